"""ACM certificates: the store layout and AWS's rules.

Table acm_certs: "{account}/{region}/{certificate id}" -> the CertificateDetail members
(timestamps as epoch seconds) plus "id", "tags": {k: v}, "token": [IdempotencyToken, epoch],
"body": the certificate PEM, "chain": the chain PEM, "key": the private key PEM sealed with
gureum/sealing.py (context: the certificate ARN).

A requested certificate (Type AMAZON_ISSUED) is PENDING_VALIDATION until every domain's DNS
validation record (a CNAME, its name and value in DomainValidationOptions) is answered by
gureum's DNS (validator.py), then ISSUED by gureum's CA (ca.py). An imported one (IMPORTED)
is ISSUED at once (EXPIRED past its NotAfter). Writes publish "acm.cert" {"key"}.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from typing import TYPE_CHECKING, Any

from gureum import sealing
from gureum.aws import arn as arns
from gureum.aws import paging, tags
from gureum.aws.errors import AwsError
from gureum.services.acm import uses
from gureum.store import Txn

if TYPE_CHECKING:
    from cryptography import x509

CERTS = "acm_certs"
TOPIC = "acm.cert"
TOKEN_SECONDS = 3600
MAX_DOMAINS = 10
Doc = dict[str, Any]
TAG_RULES = tags.Rules(invalid=lambda m: AwsError.modeled("acm", "InvalidTagException", m),
                       too_many=lambda m: AwsError.modeled("acm", "TooManyTagsException", m))


def key(account: str, region: str, cert_id: str) -> str:
    return f"{account}/{region}/{cert_id}"


def in_use(arn: str) -> AwsError:
    return AwsError.modeled("acm", "ResourceInUseException", f"Certificate {arn} in account {arns.parse(arn).account} is in use.")


def _not_found(arn: str) -> AwsError:
    return AwsError.modeled("acm", "ResourceNotFoundException", f"Could not find certificate {arn}.")


def get(txn: Txn, arn: str) -> tuple[str, Doc]:
    a = arns.try_parse(arn)
    if a is None or a.service != "acm" or a.resource_type != "certificate":
        raise AwsError.modeled("acm", "InvalidArnException", f"{arn} is not a valid certificate ARN")
    k = key(a.account, a.region, a.resource_id)
    doc = txn.get(CERTS, k)
    if doc is None or doc["CertificateArn"] != arn:
        raise _not_found(arn)
    return k, doc


def _validation(account: str, domain: str, method: str, validation_domain: str | None = None) -> Doc:
    base = domain[2:] if domain.startswith("*.") else domain
    out: Doc = {"DomainName": domain, "ValidationDomain": base, "ValidationStatus": "PENDING_VALIDATION",
                "ValidationMethod": method}
    if method == "DNS":
        digest = hashlib.sha256(f"{account}/{base}".encode()).hexdigest()  # one record per account and domain, as ACM
        out["ResourceRecord"] = {"Name": f"_{digest[:32]}.{base}.", "Type": "CNAME",
                                 "Value": f"_{digest[32:64]}.{hashlib.sha256(digest.encode()).hexdigest()[:10]}.acm-validations.aws."}
    else:
        vd = (validation_domain or base).lower().rstrip(".")
        if vd != base and not base.endswith("." + vd):
            raise AwsError.modeled("acm", "InvalidDomainValidationOptionsException",
                                   f"The validation domain {vd} is not the domain {domain} or a superdomain of it.")
        out["ValidationDomain"] = vd
        out["ValidationEmails"] = [f"{who}@{vd}" for who in ("admin", "administrator", "hostmaster", "postmaster", "webmaster")]
    return out


def request(txn: Txn, account: str, region: str, p: Doc, now: float) -> str:
    """RequestCertificate; returns the ARN (the same one for a repeated IdempotencyToken within
    an hour, as ACM)."""
    token = p.get("IdempotencyToken")
    domain: str = p["DomainName"].lower().rstrip(".")
    if token:
        for _, old in txn.scan(CERTS, f"{account}/{region}/"):
            t = old.get("token")
            if t and t[0] == token and now - t[1] < TOKEN_SECONDS and old["DomainName"] == domain:
                return str(old["CertificateArn"])
    sans = [d.lower().rstrip(".") for d in p.get("SubjectAlternativeNames") or []]
    domains = list(dict.fromkeys([domain, *sans]))
    if len(domains) > MAX_DOMAINS:
        raise AwsError.modeled("acm", "LimitExceededException",
                               f"Cannot request a certificate with more than {MAX_DOMAINS} domain names.")
    for d in domains:
        labels = (d[2:] if d.startswith("*.") else d).split(".")
        if len(labels) < 2 or "*" in d[1:] or not all(labels):
            raise AwsError.modeled("acm", "InvalidDomainValidationOptionsException", f"The domain name {d} is not valid.")
    method = p.get("ValidationMethod") or "EMAIL"
    key_alg = p.get("KeyAlgorithm") or "RSA_2048"
    if key_alg != "RSA_2048":
        raise AwsError.modeled("acm", "ValidationException", f"Key algorithm {key_alg} is not supported by gureum's certificate authority.")
    cert_id = str(uuid.uuid4())
    arn = arns.acm_certificate(region, account, cert_id)
    asked = {str(o["DomainName"]).lower().rstrip("."): str(o["ValidationDomain"]) for o in p.get("DomainValidationOptions") or []}
    for d in asked:
        if d not in domains:
            raise AwsError.modeled("acm", "InvalidDomainValidationOptionsException",
                                   f"The domain {d} in DomainValidationOptions is not one of the certificate's domain names.")
    options = {"CertificateTransparencyLoggingPreference": "ENABLED", "Export": "DISABLED"} | (p.get("Options") or {})
    doc: Doc = {
        "CertificateArn": arn, "DomainName": domain, "SubjectAlternativeNames": domains,
        "DomainValidationOptions": [_validation(account, d, method, asked.get(d)) for d in domains], "Status": "PENDING_VALIDATION",
        "Type": "AMAZON_ISSUED", "KeyAlgorithm": key_alg, "SignatureAlgorithm": "SHA256WITHRSA", "InUseBy": [],
        "CreatedAt": now, "RenewalEligibility": "INELIGIBLE",
        "Options": options, "KeyUsages": [], "ExtendedKeyUsages": [], "id": cert_id,
        "approvals": {d: secrets.token_urlsafe(24) for d in domains} if method == "EMAIL" else {},
        "tags": tags.check([(t.get("Key"), t.get("Value") or "") for t in p.get("Tags") or []], TAG_RULES),
        "token": [token, now] if token else None,
    }
    txn.put(CERTS, key(account, region, cert_id), doc)
    txn.publish(TOPIC, {"key": key(account, region, cert_id)})
    return arn


def mark_mailed(txn: Txn, arn: str) -> None:
    """The approval mails of a requested certificate went out (a repeated request sends none)."""
    k, doc = get(txn, arn)
    doc["mailed"] = True
    txn.put(CERTS, k, doc)


def awaiting(doc: Doc) -> list[Doc] | None:
    """The validation options being checked now: the request's while PENDING_VALIDATION, the
    renewal's while a renewal is pending; None otherwise."""
    if doc["Status"] == "PENDING_VALIDATION":
        return list(doc["DomainValidationOptions"])
    renewal = doc.get("RenewalSummary")
    if doc["Status"] == "ISSUED" and renewal and renewal["RenewalStatus"] in ("PENDING_AUTO_RENEWAL", "PENDING_VALIDATION"):
        return list(renewal["DomainValidationOptions"])
    return None


def _issue(txn: Txn, doc: Doc, now: float) -> None:
    from cryptography.hazmat.primitives import serialization  # cryptography: only to issue (a lean idle node)

    from gureum.services.acm import ca

    issued = ca.issue(txn, doc["SubjectAlternativeNames"], now)
    root_cert, _ = ca.root(txn)
    doc |= {"Status": "ISSUED", "IssuedAt": now, "NotBefore": issued.not_before, "NotAfter": issued.not_after,
            "Serial": issued.serial, "Subject": f"CN={doc['DomainName']}", "Issuer": ca.ROOT_NAME,
            "body": issued.cert_pem, "chain": root_cert.public_bytes(serialization.Encoding.PEM).decode(),
            "key": sealing.seal(txn, issued.key_pem.encode(), doc["CertificateArn"]),
            "KeyUsages": [{"Name": "DIGITAL_SIGNATURE"}, {"Name": "KEY_ENCIPHERMENT"}],
            "ExtendedKeyUsages": [{"Name": "TLS_WEB_SERVER_AUTHENTICATION", "OID": "1.3.6.1.5.5.7.3.1"},
                                  {"Name": "TLS_WEB_CLIENT_AUTHENTICATION", "OID": "1.3.6.1.5.5.7.3.2"}]}


def validated(txn: Txn, k: str, domain: str, now: float) -> bool:
    """A domain's validation succeeded (its DNS record was found, its approval link followed):
    mark it, and issue the certificate (a new one, for a renewal) once every domain is
    validated; True when it was issued."""
    doc = txn.get(CERTS, k)
    if doc is None:
        return False
    options = awaiting(doc)
    if options is None:
        return False
    for dv in options:
        if dv["DomainName"] == domain:
            dv["ValidationStatus"] = "SUCCESS"
    renewal = doc.get("RenewalSummary") if doc["Status"] == "ISSUED" else None
    if renewal is not None:
        renewal["DomainValidationOptions"] = options
        renewal["UpdatedAt"] = now
    else:
        doc["DomainValidationOptions"] = options
    issued = all(dv["ValidationStatus"] == "SUCCESS" for dv in options)
    if issued:
        _issue(txn, doc, now)
        if renewal is not None:
            renewal["RenewalStatus"] = "SUCCESS"
    txn.put(CERTS, k, doc)
    txn.publish(TOPIC, {"key": k})
    return issued


def pending(txn: Txn) -> list[tuple[str, str, str, str]]:
    """(row key, domain, record name, record value) of every DNS validation still pending (of
    a request or of a renewal)."""
    out = []
    for k, doc in txn.scan(CERTS):
        for dv in awaiting(doc) or []:
            rr = dv.get("ResourceRecord")
            if rr and dv["ValidationStatus"] == "PENDING_VALIDATION":
                out.append((k, dv["DomainName"], rr["Name"], rr["Value"]))
    return out


def _load(pem: bytes, what: str) -> list[x509.Certificate]:
    from cryptography import x509

    try:
        return x509.load_pem_x509_certificates(pem)
    except ValueError:
        raise AwsError.modeled("acm", "ValidationException", f"The {what} is not a valid PEM certificate.") from None


def import_(txn: Txn, account: str, region: str, p: Doc, now: float) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    certs = _load(p["Certificate"], "certificate")
    chain = _load(p["CertificateChain"], "certificate chain") if p.get("CertificateChain") else []
    try:
        priv = serialization.load_pem_private_key(p["PrivateKey"], password=None)
    except (ValueError, TypeError):
        raise AwsError.modeled("acm", "ValidationException", "The private key is not supported.") from None
    cert = certs[0]
    pub = priv.public_key()
    if pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) != \
            cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo):
        raise AwsError.modeled("acm", "ValidationException", "The private key does not match the certificate.")
    if isinstance(priv, rsa.RSAPrivateKey):
        alg = f"RSA_{priv.key_size}"
    elif isinstance(priv, ec.EllipticCurvePrivateKey):
        alg = {"secp256r1": "EC_prime256v1", "secp384r1": "EC_secp384r1", "secp521r1": "EC_secp521r1"}.get(priv.curve.name, "EC_prime256v1")
    else:
        raise AwsError.modeled("acm", "ValidationException", "The private key is not supported.")
    try:
        sans = [str(n) for n in cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)]
    except x509.ExtensionNotFound:
        sans = []
    cns = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    domain = str(cns[0].value) if cns else (sans[0] if sans else "")
    existing = p.get("CertificateArn")
    if existing:
        k, old = get(txn, existing)
        arn, cert_id, tags_now = existing, str(old["id"]), dict(old["tags"])
        if p.get("Tags"):
            raise AwsError.modeled("acm", "InvalidParameterException", "Tags cannot be specified when reimporting a certificate.")
    else:
        cert_id = str(uuid.uuid4())
        arn = arns.acm_certificate(region, account, cert_id)
        k = key(account, region, cert_id)
        tags_now = tags.check([(t.get("Key"), t.get("Value") or "") for t in p.get("Tags") or []], TAG_RULES)
    not_after = cert.not_valid_after_utc.timestamp()
    serial = f"{cert.serial_number:x}"
    serial = ("0" * (len(serial) % 2)) + serial
    doc: Doc = {
        "CertificateArn": arn, "DomainName": domain, "SubjectAlternativeNames": sans or [domain], "Status":
        "EXPIRED" if not_after < now else "ISSUED", "Type": "IMPORTED", "KeyAlgorithm": alg,
        "SignatureAlgorithm": (cert.signature_hash_algorithm.name.upper() + "WITH" + ("RSA" if alg.startswith("RSA") else "ECDSA"))
        if cert.signature_hash_algorithm else "UNKNOWN",
        "InUseBy": [], "CreatedAt": now, "ImportedAt": now, "NotBefore": cert.not_valid_before_utc.timestamp(),
        "NotAfter": not_after, "Serial": ":".join(serial[i:i + 2] for i in range(0, len(serial), 2)),
        "Subject": cert.subject.rfc4514_string(), "Issuer": cert.issuer.rfc4514_string(), "RenewalEligibility": "INELIGIBLE",
        "KeyUsages": [], "ExtendedKeyUsages": [], "id": cert_id, "tags": tags_now,
        "body": cert.public_bytes(serialization.Encoding.PEM).decode(),
        "chain": "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in certs[1:] + chain),
        "key": sealing.seal(txn, p["PrivateKey"], arn),
    }
    txn.put(CERTS, k, doc)
    txn.publish(TOPIC, {"key": k})
    return str(arn)


def public(doc: Doc) -> Doc:
    return {k: v for k, v in doc.items() if k[0].isupper()}


def eligible(doc: Doc, in_use: bool) -> bool:
    """AWS's managed-renewal eligibility: an Amazon-issued certificate in use by an integrated
    service, or exported."""
    return doc["Type"] == "AMAZON_ISSUED" and doc["Status"] == "ISSUED" and (in_use or bool(doc.get("exported")))


def _with_uses(txn: Txn, k: str, doc: Doc) -> Doc:
    users = uses.in_use_by(txn, k)
    return doc | {"InUseBy": users, "RenewalEligibility": "ELIGIBLE" if eligible(doc, bool(users)) else "INELIGIBLE"}


def detail(txn: Txn, arn: str) -> Doc:
    """DescribeCertificate's CertificateDetail, with InUseBy from the users' records (uses.py)."""
    k, doc = get(txn, arn)
    return public(_with_uses(txn, k, doc))


def summary(doc: Doc) -> Doc:
    out = {k: doc[k] for k in ("CertificateArn", "DomainName", "Status", "Type", "KeyAlgorithm", "CreatedAt",
                               "IssuedAt", "ImportedAt", "NotBefore", "NotAfter", "RenewalEligibility") if k in doc}
    sans = doc.get("SubjectAlternativeNames") or []
    return out | {"SubjectAlternativeNameSummaries": sans[:100], "HasAdditionalSubjectAlternativeNames": len(sans) > 100,
                  "InUse": bool(doc.get("InUseBy"))}


def list_(txn: Txn, account: str, region: str, p: Doc) -> tuple[list[Doc], str | None]:
    statuses = set(p.get("CertificateStatuses") or [])
    rows, token = paging.page(txn, CERTS, f"{account}/{region}/", token=p.get("NextToken"), limit=p.get("MaxItems"),
                              default_limit=1000, max_limit=1000, keep=lambda d: not statuses or d["Status"] in statuses,
                              filters={"s": sorted(statuses)},
                              error=lambda: AwsError.modeled("acm", "InvalidArgsException", "The NextToken is not valid."))
    return [summary(_with_uses(txn, k, d)) for k, d in rows], token


def delete(txn: Txn, arn: str) -> None:
    k, _ = get(txn, arn)
    if uses.in_use_by(txn, k):
        raise in_use(arn)
    txn.delete(CERTS, k)
    txn.publish(TOPIC, {"key": k, "deleted": True})


def certificate(txn: Txn, arn: str) -> Doc:
    """GetCertificate: the certificate and its chain; RequestInProgressException before issue."""
    _, doc = get(txn, arn)
    if doc["Status"] not in ("ISSUED", "EXPIRED") or not doc.get("body"):
        raise AwsError.modeled("acm", "RequestInProgressException",
                               f"Certificate {arn} is not yet issued.")
    out = {"Certificate": doc["body"]}
    if doc.get("chain"):
        out["CertificateChain"] = doc["chain"]
    return out


def key_pair(txn: Txn, arn: str) -> tuple[str, str] | None:
    """(certificate + chain PEM, private key PEM) of an issued certificate, for TLS listeners."""
    try:
        _, doc = get(txn, arn)
    except AwsError:
        return None
    if doc["Status"] != "ISSUED" or not doc.get("body"):
        return None
    return doc["body"] + (doc.get("chain") or ""), sealing.unseal(txn, doc["key"], arn).decode()
