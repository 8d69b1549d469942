"""The SAML 2.0 response of AssumeRoleWithSAML, read as AWS reads it (sans-IO: text in, a
checked `Assertion` out, or STS's error).

- The response is base64 of a samlp:Response. Its XML signature (on the Response or on the
  Assertion: enveloped, exclusive c14n, RSA or ECDSA with SHA-2) is verified with `signxml`
  against each signing certificate of the SAML provider's metadata (IDPSSODescriptor's
  KeyDescriptor X509Certificate); only the element the signature covers is read from then on,
  so content wrapped around a signed element (signature wrapping) is never trusted.
- The assertion must be for AWS (an AudienceRestriction naming https://signin.aws.amazon.com/saml,
  a regional https://<region>.signin.aws.amazon.com/saml, or urn:amazon:webservices), within its
  Conditions' NotBefore/NotOnOrAfter and its SubjectConfirmationData's NotOnOrAfter, and used
  within REDEEM_WITHIN of its IssueInstant ("Token must be redeemed within 5 minutes of
  issuance"), CLOCK_SKEW allowed either way.
- Attributes (AWS's names): https://aws.amazon.com/SAML/Attributes/Role (values
  "role ARN,provider ARN", either order), .../RoleSessionName (required), .../SessionDuration,
  .../SourceIdentity.
An EncryptedAssertion is opened with the provider's private keys (saml_decrypt.py): when the
Response is signed its signature covers the encrypted assertion; otherwise the decrypted
assertion must carry its own valid signature. A provider whose AssertionEncryptionMode is
Required refuses a plain assertion.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from lxml import etree  # type: ignore[import-untyped]
from signxml.exceptions import InvalidInput, InvalidSignature
from signxml.verifier import SignatureConfiguration, XMLVerifier

from gureum.aws.errors import AwsError
from gureum.services.sts import saml_decrypt

MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
DS = "{http://www.w3.org/2000/09/xmldsig#}"
SAML = "{urn:oasis:names:tc:SAML:2.0:assertion}"
SAMLP = "{urn:oasis:names:tc:SAML:2.0:protocol}"
ATTR = "https://aws.amazon.com/SAML/Attributes/"
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
REDEEM_WITHIN = timedelta(minutes=5)
CLOCK_SKEW = timedelta(minutes=5)
_FORMATS = {"urn:oasis:names:tc:SAML:2.0:nameid-format:transient": "transient",
            "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent": "persistent"}


def _invalid(message: str) -> AwsError:
    return AwsError.modeled("sts", "InvalidIdentityToken", message)


def signing_certificates(metadata: str) -> list[str]:
    """The PEM certificates an IdP's metadata offers for signing (KeyDescriptor use="signing"
    or without `use`)."""
    try:
        root = fromstring(metadata.encode("utf-8"))
    except (ParseError, DefusedXmlException, ValueError):
        return []
    out = []
    for idp in root.iter(MD + "IDPSSODescriptor"):
        for kd in idp.iter(MD + "KeyDescriptor"):
            if kd.get("use") not in (None, "signing"):
                continue
            for node in kd.iter(DS + "X509Certificate"):
                der = "".join((node.text or "").split())
                try:
                    cert = x509.load_der_x509_certificate(base64.b64decode(der))
                except (ValueError, binascii.Error):
                    continue
                out.append(cert.public_bytes(Encoding.PEM).decode())
    return out


@dataclass
class Assertion:
    issuer: str
    subject: str
    subject_format: str
    audience: str
    recipient: str
    roles: list[tuple[str, str]]  # (role ARN, provider ARN)
    session_name: str
    duration: int | None
    source_identity: str | None
    attributes: dict[str, list[str]] = field(default_factory=dict)

    @property
    def subject_type(self) -> str:
        return _FORMATS.get(self.subject_format, self.subject_format)


def name_qualifier(issuer: str, account: str, provider_name: str) -> str:
    """AWS's NameQualifier: base64(sha1(issuer + account + "/" + provider name))."""
    return base64.b64encode(hashlib.sha1(f"{issuer}{account}/{provider_name}".encode()).digest()).decode()


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _invalid(f"Invalid SAML time {text}") from None


def _signed_element(xml: bytes, certs: list[str], want: str | None = None) -> Any:
    config = SignatureConfiguration(location=".//", expect_references=1)
    last: Exception | None = None
    for cert in certs:
        try:
            result = XMLVerifier().verify(xml, x509_cert=cert, expect_config=config)
        except (InvalidSignature, InvalidInput, etree.XMLSyntaxError, ValueError) as exc:
            last = exc
            continue
        signed = result.signed_xml if not isinstance(result, list) else result[0].signed_xml
        if signed is None or (want is not None and signed.tag != want):
            continue
        return signed
    raise _invalid("Invalid SAML response: its signature does not verify with the provider's metadata"
                   + (f" ({type(last).__name__})" if last else ""))


def read(encoded: str, certs: list[str], now: datetime, private_keys: list[str] | None = None,
         encryption: str | None = None) -> Assertion:
    """The checked assertion of a base64 SAMLResponse (see the module docstring). An
    EncryptedAssertion is opened with `private_keys` (saml_decrypt.py); with `encryption`
    "Required" a plain one is refused."""
    try:
        xml = base64.b64decode("".join(encoded.split()), validate=True)
    except (binascii.Error, ValueError):
        raise _invalid("Invalid base64 SAMLResponse") from None
    try:  # refuse DTDs and entities before signxml parses it
        fromstring(xml)
    except (ParseError, DefusedXmlException, ValueError):
        raise _invalid("Invalid SAML response: not well-formed XML") from None
    if not certs:
        raise _invalid("Invalid SAML response: the provider's metadata has no signing certificate")
    root = etree.fromstring(xml, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    encrypted = root.find(SAML + "EncryptedAssertion") if root.tag == SAMLP + "Response" else None
    if encrypted is None and encryption == "Required":
        raise _invalid("Invalid SAML response: the SAML provider requires encrypted assertions")
    if encrypted is not None and root.find(DS + "Signature") is None:
        # the assertion signs itself inside the encryption: open it, then check its signature
        inner = saml_decrypt.decrypt(encrypted, private_keys or [])
        return _assertion(_signed_element(inner, certs, want=SAML + "Assertion"), now)
    signed = _signed_element(xml, certs)
    if signed.tag == SAMLP + "Response":
        status = signed.find(f"{SAMLP}Status/{SAMLP}StatusCode")
        if status is not None and status.get("Value") != SUCCESS:
            raise AwsError.modeled("sts", "IDPRejectedClaim", "The SAML response's status is not Success")
        sealed = signed.find(SAML + "EncryptedAssertion")
        if sealed is not None:  # covered by the response's signature
            inner = saml_decrypt.decrypt(sealed, private_keys or [])
            assertion = etree.fromstring(inner, parser=etree.XMLParser(resolve_entities=False, no_network=True))
            return _assertion(assertion, now)
        assertion = signed.find(SAML + "Assertion")
    elif signed.tag == SAML + "Assertion":
        assertion = signed
    else:
        assertion = None
    if assertion is None:
        raise _invalid("Invalid SAML response: no signed assertion")
    return _assertion(assertion, now)


def _assertion(a: Any, now: datetime) -> Assertion:
    issued = _time(a.get("IssueInstant"))
    if issued is not None and now - issued > REDEEM_WITHIN + CLOCK_SKEW:
        raise AwsError.modeled("sts", "ExpiredTokenException", "Token must be redeemed within 5 minutes of issuance")
    conditions = a.find(SAML + "Conditions")
    audiences: list[str] = []
    if conditions is not None:
        before, after = _time(conditions.get("NotBefore")), _time(conditions.get("NotOnOrAfter"))
        if before is not None and now + CLOCK_SKEW < before:
            raise _invalid("The SAML assertion is not yet valid")
        if after is not None and now - CLOCK_SKEW >= after:
            raise AwsError.modeled("sts", "ExpiredTokenException", "The SAML assertion has expired")
        audiences = [(x.text or "").strip() for x in conditions.iter(SAML + "Audience")]
    aws = [x for x in audiences if x == "urn:amazon:webservices" or (x.startswith("https://") and x.endswith("signin.aws.amazon.com/saml"))]
    if not aws:
        raise _invalid("Invalid SAML assertion: its audience is not AWS (https://signin.aws.amazon.com/saml)")
    subject = a.find(SAML + "Subject")
    name_id = subject.find(SAML + "NameID") if subject is not None else None
    recipient = ""
    for data in subject.iter(SAML + "SubjectConfirmationData") if subject is not None else ():
        after = _time(data.get("NotOnOrAfter"))
        if after is not None and now - CLOCK_SKEW >= after:
            raise AwsError.modeled("sts", "ExpiredTokenException", "The SAML assertion has expired")
        recipient = data.get("Recipient") or recipient
    attrs: dict[str, list[str]] = {}
    for attr in a.iter(SAML + "Attribute"):
        attrs.setdefault(attr.get("Name") or "", []).extend((v.text or "").strip() for v in attr.iter(SAML + "AttributeValue"))
    roles = []
    for value in attrs.get(ATTR + "Role", []):
        first, _, second = (p.strip() for p in value.partition(","))
        role, provider = (first, second) if ":role/" in first else (second, first)
        roles.append((role, provider))
    names = attrs.get(ATTR + "RoleSessionName") or []
    if not names or not names[0]:
        raise _invalid("RoleSessionName is required in AuthnResponse")
    duration = None
    if attrs.get(ATTR + "SessionDuration"):
        text = attrs[ATTR + "SessionDuration"][0]
        if not text.isdigit() or not 900 <= int(text) <= 43200:
            raise _invalid("SessionDuration in AuthnResponse must be an integer from 900 to 43200")
        duration = int(text)
    issuer = a.find(SAML + "Issuer")
    return Assertion(
        issuer=(issuer.text or "").strip() if issuer is not None else "",
        subject=(name_id.text or "").strip() if name_id is not None else "",
        subject_format=(name_id.get("Format") or "") if name_id is not None else "",
        audience=aws[0], recipient=recipient or aws[0], roles=roles, session_name=names[0],
        duration=duration, source_identity=next(iter(attrs.get(ATTR + "SourceIdentity") or []), None), attributes=attrs)
