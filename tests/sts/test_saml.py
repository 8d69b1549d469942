"""AssumeRoleWithSAML end to end through boto3: an IdP key and certificate made here, the
certificate in an IAM SAML provider's metadata, SAML responses signed with signxml as an IdP
signs them. A signed response naming the role and provider gets credentials with AWS's
response fields and the trust policy's SAML:aud condition applies; a response signed by
another key, a tampered one, an expired one, one naming another role, or one whose assertion
is wrapped around a signed decoy, gets none."""

from __future__ import annotations

import base64
import hashlib
import json
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import XMLSigner

AWS_AUD = "https://signin.aws.amazon.com/saml"
ISSUER = "https://idp.example.com/"


def keypair() -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp.example.com")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30)).sign(key, hashes.SHA256()))
    return (key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
            cert.public_bytes(serialization.Encoding.PEM))


def metadata(cert_pem: bytes) -> str:
    der = x509.load_pem_x509_certificate(cert_pem).public_bytes(serialization.Encoding.DER)
    return (
        f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{ISSUER}">'
        '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        '<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>'
        f"<ds:X509Certificate>{base64.b64encode(der).decode()}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
        '</md:KeyDescriptor><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"'
        ' Location="https://idp.example.com/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>')


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def assertion_xml(role: str, provider: str, *, subject: str = "alice", issued: datetime | None = None,
                  audience: str = AWS_AUD, session: str = "alice@example.com", recipient: str = AWS_AUD) -> str:
    now = issued or datetime.now(UTC)
    aid = "_" + uuid.uuid4().hex
    return (
        f'<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{aid}" Version="2.0" IssueInstant="{iso(now)}">'
        f"<saml:Issuer>{ISSUER}</saml:Issuer>"
        '<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">'
        f'{subject}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">'
        f'<saml:SubjectConfirmationData NotOnOrAfter="{iso(now + timedelta(minutes=5))}" Recipient="{recipient}"/>'
        "</saml:SubjectConfirmation></saml:Subject>"
        f'<saml:Conditions NotBefore="{iso(now - timedelta(minutes=1))}" NotOnOrAfter="{iso(now + timedelta(minutes=5))}">'
        f"<saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions>"
        '<saml:AttributeStatement>'
        '<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role">'
        f"<saml:AttributeValue>{role},{provider}</saml:AttributeValue></saml:Attribute>"
        '<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName">'
        f"<saml:AttributeValue>{session}</saml:AttributeValue></saml:Attribute>"
        "</saml:AttributeStatement></saml:Assertion>")


def signed_response(key: bytes, cert: bytes, assertion: str) -> bytes:
    """A samlp:Response whose Assertion is signed (enveloped, exclusive c14n, RSA-SHA256)."""
    node = etree.fromstring(assertion.encode())
    signed = XMLSigner(c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#").sign(
        node, key=key, cert=cert.decode(), reference_uri=node.get("ID"))
    resp = etree.fromstring(
        f'<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_{uuid.uuid4().hex}" Version="2.0"'
        f' IssueInstant="{iso(datetime.now(UTC))}"><samlp:Status><samlp:StatusCode'
        ' Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:Response>'.encode())
    resp.append(signed)
    return etree.tostring(resp)


def b64(xml: bytes) -> str:
    return base64.b64encode(xml).decode()


@pytest.fixture(scope="module")
def setup(gureum):  # type: ignore[no-untyped-def]
    account = str(random.randint(10**11, 10**12 - 1))
    iam = gureum.client("iam", aws_access_key_id=account)
    key, cert = keypair()
    provider = iam.create_saml_provider(Name="corp", SAMLMetadataDocument=metadata(cert))["SAMLProviderArn"]
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithSAML",
        "Condition": {"StringEquals": {"SAML:aud": AWS_AUD}}}]}
    role = iam.create_role(RoleName="saml-admin", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    other = iam.create_role(RoleName="saml-other", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    return {"account": account, "key": key, "cert": cert, "provider": provider, "role": role, "other": other,
            "sts": gureum.client("sts", aws_access_key_id=account)}


def refused(setup, assertion: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    with pytest.raises(ClientError) as e:
        setup["sts"].assume_role_with_saml(RoleArn=setup["role"], PrincipalArn=setup["provider"], SAMLAssertion=assertion)
    return dict(e.value.response["Error"])


def test_a_signed_response_gets_credentials_with_awss_fields(gureum, setup) -> None:  # type: ignore[no-untyped-def]
    xml = signed_response(setup["key"], setup["cert"], assertion_xml(setup["role"], setup["provider"]))
    out = setup["sts"].assume_role_with_saml(RoleArn=setup["role"], PrincipalArn=setup["provider"], SAMLAssertion=b64(xml))
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{setup['account']}:assumed-role/saml-admin/alice@example.com"
    assert (out["Subject"], out["SubjectType"], out["Issuer"], out["Audience"]) == ("alice", "persistent", ISSUER, AWS_AUD)
    want = base64.b64encode(hashlib.sha1(f"{ISSUER}{setup['account']}/corp".encode()).digest()).decode()
    assert out["NameQualifier"] == want
    creds = out["Credentials"]
    me = gureum.client("sts", aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                       aws_session_token=creds["SessionToken"]).get_caller_identity()
    assert me["Arn"] == out["AssumedRoleUser"]["Arn"]


def test_forged_tampered_expired_and_misdirected_responses_are_refused(setup) -> None:  # type: ignore[no-untyped-def]
    role, provider = setup["role"], setup["provider"]
    other_key, other_cert = keypair()
    assert refused(setup, b64(signed_response(other_key, other_cert, assertion_xml(role, provider))))["Code"] == "InvalidIdentityToken"
    good = signed_response(setup["key"], setup["cert"], assertion_xml(role, provider))
    tampered = good.replace(b">alice<", b">mallory<")
    assert refused(setup, b64(tampered))["Code"] == "InvalidIdentityToken"
    old = assertion_xml(role, provider, issued=datetime.now(UTC) - timedelta(hours=1))
    assert refused(setup, b64(signed_response(setup["key"], setup["cert"], old)))["Code"] == "ExpiredTokenException"
    # a response for another role does not open this one
    for_other = signed_response(setup["key"], setup["cert"], assertion_xml(setup["other"], provider))
    assert refused(setup, b64(for_other))["Code"] == "AccessDenied"
    # the trust policy's SAML:aud condition (the Recipient): presented elsewhere, refused
    elsewhere = assertion_xml(role, provider, audience="urn:amazon:webservices", recipient="urn:amazon:webservices")
    assert refused(setup, b64(signed_response(setup["key"], setup["cert"], elsewhere)))["Code"] == "AccessDenied"
    # an assertion for another service provider altogether
    not_aws = assertion_xml(role, provider, audience="https://app.example.com/")
    assert refused(setup, b64(signed_response(setup["key"], setup["cert"], not_aws)))["Code"] == "InvalidIdentityToken"
    assert refused(setup, "not base64!")["Code"] == "InvalidIdentityToken"
    assert refused(setup, b64(b"<x>unsigned</x>"))["Code"] == "InvalidIdentityToken"


def test_signature_wrapping_is_refused(setup) -> None:  # type: ignore[no-untyped-def]
    """An attacker keeps a validly signed assertion (for an innocent subject) as a decoy and
    puts an unsigned assertion of their own first: only the signed element is read."""
    signed = signed_response(setup["key"], setup["cert"], assertion_xml(setup["other"], setup["provider"], subject="bob"))
    resp = etree.fromstring(signed)
    evil = etree.fromstring(assertion_xml(setup["role"], setup["provider"], subject="mallory").encode())
    resp.insert(1, evil)  # before the signed one
    with pytest.raises(ClientError) as e:
        setup["sts"].assume_role_with_saml(RoleArn=setup["role"], PrincipalArn=setup["provider"],
                                           SAMLAssertion=b64(etree.tostring(resp)))
    assert e.value.response["Error"]["Code"] in ("AccessDenied", "InvalidIdentityToken")


def encrypt_assertion(signed_assertion: bytes, sp_cert_public_key: Any) -> bytes:
    """A saml:EncryptedAssertion as an IdP makes it: AES-256-GCM data, RSA-OAEP key transport."""
    import os

    from cryptography.hazmat.primitives.asymmetric import padding as rsa_padding
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    secret = os.urandom(32)
    iv = os.urandom(12)
    body = base64.b64encode(iv + AESGCM(secret).encrypt(iv, signed_assertion, None)).decode()
    wrapped = base64.b64encode(sp_cert_public_key.encrypt(secret, rsa_padding.OAEP(
        mgf=rsa_padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None))).decode()
    return (
        '<saml:EncryptedAssertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">'
        '<xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#" Type="http://www.w3.org/2001/04/xmlenc#Element">'
        '<xenc:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#aes256-gcm"/>'
        '<ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><xenc:EncryptedKey>'
        '<xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"/>'
        f"<xenc:CipherData><xenc:CipherValue>{wrapped}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>"
        f"<xenc:CipherData><xenc:CipherValue>{body}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData>"
        "</saml:EncryptedAssertion>").encode()


def test_encrypted_assertions_open_with_the_providers_private_key(gureum, setup) -> None:  # type: ignore[no-untyped-def]
    sp_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = sp_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    iam = gureum.client("iam", aws_access_key_id=setup["account"])
    iam.update_saml_provider(SAMLProviderArn=setup["provider"], AddPrivateKey=pem, AssertionEncryptionMode="Required")
    try:
        node = etree.fromstring(assertion_xml(setup["role"], setup["provider"], subject="enc").encode())
        signed = etree.tostring(XMLSigner(c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#").sign(
            node, key=setup["key"], cert=setup["cert"].decode(), reference_uri=node.get("ID")))
        resp = etree.fromstring(
            '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r" Version="2.0"'
            f' IssueInstant="{iso(datetime.now(UTC))}"/>'.encode())
        resp.append(etree.fromstring(encrypt_assertion(signed, sp_key.public_key())))
        out = setup["sts"].assume_role_with_saml(RoleArn=setup["role"], PrincipalArn=setup["provider"],
                                                 SAMLAssertion=b64(etree.tostring(resp)))
        assert out["Subject"] == "enc"
        # an unsigned assertion, encrypted, inside a signed Response: the response's signature covers it
        bare = assertion_xml(setup["role"], setup["provider"], subject="enc2").encode()
        outer = etree.fromstring(
            '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_outer" Version="2.0"'
            f' IssueInstant="{iso(datetime.now(UTC))}"/>'.encode())
        outer.append(etree.fromstring(encrypt_assertion(bare, sp_key.public_key())))
        outer = XMLSigner(c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#").sign(
            outer, key=setup["key"], cert=setup["cert"].decode(), reference_uri="_outer")
        out = setup["sts"].assume_role_with_saml(RoleArn=setup["role"], PrincipalArn=setup["provider"],
                                                 SAMLAssertion=b64(etree.tostring(outer)))
        assert out["Subject"] == "enc2"
        # Required: a plain (signed, unencrypted) assertion is refused now
        plain = signed_response(setup["key"], setup["cert"], assertion_xml(setup["role"], setup["provider"]))
        assert refused(setup, b64(plain))["Code"] == "InvalidIdentityToken"
        # encrypted for another key: does not open
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        resp2 = etree.fromstring(
            '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r2" Version="2.0"'
            f' IssueInstant="{iso(datetime.now(UTC))}"/>'.encode())
        resp2.append(etree.fromstring(encrypt_assertion(signed, other.public_key())))
        assert refused(setup, b64(etree.tostring(resp2)))["Code"] == "InvalidIdentityToken"
    finally:
        key_id = iam.get_saml_provider(SAMLProviderArn=setup["provider"])["PrivateKeyList"][0]["KeyId"]
        iam.update_saml_provider(SAMLProviderArn=setup["provider"], AssertionEncryptionMode="Allowed", RemovePrivateKey=key_id)
