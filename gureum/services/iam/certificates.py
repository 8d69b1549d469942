"""IAM's X.509 certificates: users' signing certificates and the account's server certificates.

Tables (rows.py):
- `iam_signing_certificates`: {acct}/{user id}/{certificate id} -> {"CertificateId",
  "CertificateBody", "Status", "UploadDate"}; keyed by the user's id (a renamed user keeps its
  certificates; a user with certificates cannot be deleted, model.delete_user). The id is
  derived from the certificate's DER bytes, so the same certificate uploaded twice in an
  account is a DuplicateCertificate. At most MAX_SIGNING_PER_USER per user.
- `iam_server_certificates`: {acct}/{lower-cased name} -> {"ServerCertificateName",
  "ServerCertificateId", "Path", "Arn", "UploadDate", "Expiration", "CertificateBody",
  ["CertificateChain"], "Tags"}; at most MAX_SERVER_PER_ACCOUNT per account. The private key
  is checked to match the certificate and then dropped: IAM never returns it.

Certificates, chains and keys are PEM, parsed with `cryptography`: what does not parse is
MalformedCertificate, a certificate past its validity InvalidCertificate (signing) and a key
that is not the certificate's KeyPairMismatch.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from gureum.aws.errors import AwsError
from gureum.services.iam import ids
from gureum.services.iam.model import Iam
from gureum.services.iam.rows import SERVER_CERTS, SIGNING_CERTS, lower, merge_tags, remove_tags
from gureum.store.base import Doc

MAX_SIGNING_PER_USER = 2
MAX_SERVER_PER_ACCOUNT = 20
SERVER_CERT_ID_PREFIX = "ASCA"
_PEM_CERT = re.compile(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)


def _malformed(message: str) -> AwsError:
    return AwsError.modeled("iam", "MalformedCertificate", message)


def parse_certificate(body: str) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(body.strip().encode("latin-1"))
    except (ValueError, UnicodeEncodeError):
        raise _malformed("Unable to parse certificate. Please ensure the certificate is in PEM format.") from None


def certificate_id(cert: x509.Certificate) -> str:
    """A signing certificate's id: 32 base32 characters of the SHA-256 of its DER bytes."""
    der = cert.public_bytes(serialization.Encoding.DER)
    return base64.b32encode(hashlib.sha256(der).digest()).decode()[:32]


def check_server_certificate(body: str, private_key: str, chain: str | None) -> datetime:
    """Check a server certificate, its key and chain as UploadServerCertificate does; its expiry."""
    cert = parse_certificate(body)
    try:
        key = serialization.load_pem_private_key(private_key.strip().encode("latin-1"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError):
        raise _malformed("Unable to parse private key. Please ensure the key is in unencrypted PEM format.") from None
    pub = serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(serialization.Encoding.DER, pub) != cert.public_key().public_bytes(
        serialization.Encoding.DER, pub
    ):
        raise AwsError.modeled("iam", "KeyPairMismatch", "The private key does not match the certificate.")
    if chain is not None:
        blocks = _PEM_CERT.findall(chain)
        if not blocks:
            raise _malformed("Unable to parse certificate chain. Please ensure the chain is in PEM format.")
        for block in blocks:
            parse_certificate(block)
    return cert.not_valid_after_utc


class SigningCertificates:
    """One account's users' signing certificates inside one transaction."""

    def __init__(self, iam: Iam) -> None:
        self.iam = iam
        self.t = iam.t

    def upload(self, user_name: str, body: str, cert_id: str, expired: bool) -> Doc:
        user = self.iam.get_user(user_name)
        if expired:
            raise AwsError.modeled("iam", "InvalidCertificate", "The certificate has expired.")
        if any(k.endswith("/" + cert_id) for k, _ in self.t.scan(SIGNING_CERTS, self.iam.key(""))):
            raise AwsError.modeled("iam", "DuplicateCertificate", f"The Certificate with id {cert_id} already exists.")
        prefix = self.iam.key(user["UserId"], "")
        if self.t.count(SIGNING_CERTS, prefix) >= MAX_SIGNING_PER_USER:
            raise AwsError.modeled(
                "iam", "LimitExceeded", f"Cannot exceed quota for SigningCertificatesPerUser: {MAX_SIGNING_PER_USER}"
            )
        doc: Doc = {"CertificateId": cert_id, "CertificateBody": body, "Status": "Active",
                    "UploadDate": ids.iso(ids.now())}
        self.t.put(SIGNING_CERTS, prefix + cert_id, doc)
        return {**doc, "UserName": user["UserName"]}

    def _find(self, user_name: str, cert_id: str) -> tuple[str, Doc]:
        user = self.iam.get_user(user_name)
        key = self.iam.key(user["UserId"], cert_id)
        doc = self.t.get(SIGNING_CERTS, key)
        if doc is None:
            raise AwsError.modeled("iam", "NoSuchEntity", f"The Certificate with id {cert_id} cannot be found.")
        return key, doc

    def listing(self, user_name: str) -> list[tuple[str, Doc]]:
        user = self.iam.get_user(user_name)
        return [(k, {**d, "UserName": user["UserName"]})
                for k, d in self.t.scan(SIGNING_CERTS, self.iam.key(user["UserId"], ""))]

    def set_status(self, user_name: str, cert_id: str, status: str) -> None:
        key, doc = self._find(user_name, cert_id)
        doc["Status"] = status
        self.t.put(SIGNING_CERTS, key, doc)

    def delete(self, user_name: str, cert_id: str) -> None:
        key, _ = self._find(user_name, cert_id)
        self.t.delete(SIGNING_CERTS, key)


class ServerCertificates:
    """One account's server certificates inside one transaction."""

    def __init__(self, iam: Iam) -> None:
        self.iam = iam
        self.t = iam.t

    def get(self, name: str) -> Doc:
        doc = self.t.get(SERVER_CERTS, self.iam.key(lower(name)))
        if doc is None:
            raise AwsError.modeled("iam", "NoSuchEntity", f"The Server Certificate with name {name} cannot be found.")
        return doc

    def upload(
        self, name: str, path: str, body: str, chain: str | None, expiration: datetime, tags: list[Doc] | None
    ) -> Doc:
        doc: Doc = {
            "ServerCertificateName": name,
            "ServerCertificateId": ids.unique_id(SERVER_CERT_ID_PREFIX),
            "Path": path,
            "Arn": self.iam.arn("server-certificate", path, name),
            "UploadDate": ids.iso(ids.now()),
            "Expiration": ids.iso(expiration.astimezone(UTC)),
            "CertificateBody": body,
            "Tags": merge_tags([], tags or [], "ServerCertificate"),
        }
        if chain is not None:
            doc["CertificateChain"] = chain
        if not self.t.insert(SERVER_CERTS, self.iam.key(lower(name)), doc):
            raise AwsError.modeled("iam", "EntityAlreadyExists", f"The Server Certificate with name {name} already exists.")
        if self.t.count(SERVER_CERTS, self.iam.key("")) > MAX_SERVER_PER_ACCOUNT:
            raise AwsError.modeled(
                "iam", "LimitExceeded", f"Cannot exceed quota for ServerCertificatesPerAccount: {MAX_SERVER_PER_ACCOUNT}"
            )
        return doc

    def listing(self, prefix: str | None) -> list[tuple[str, Doc]]:
        want = prefix or "/"
        return [(k, d) for k, d in self.t.scan(SERVER_CERTS, self.iam.key("")) if d["Path"].startswith(want)]

    def update(self, name: str, new_name: str | None, new_path: str | None) -> None:
        doc = self.get(name)
        old_key = self.iam.key(lower(doc["ServerCertificateName"]))
        if new_path:
            doc["Path"] = new_path
        if new_name:
            if lower(new_name) != lower(doc["ServerCertificateName"]) and self.t.get(
                SERVER_CERTS, self.iam.key(lower(new_name))
            ) is not None:
                raise AwsError.modeled(
                    "iam", "EntityAlreadyExists", f"The Server Certificate with name {new_name} already exists."
                )
            doc["ServerCertificateName"] = new_name
        doc["Arn"] = self.iam.arn("server-certificate", doc["Path"], doc["ServerCertificateName"])
        self.t.delete(SERVER_CERTS, old_key)
        self.t.put(SERVER_CERTS, self.iam.key(lower(doc["ServerCertificateName"])), doc)

    def delete(self, name: str) -> None:
        doc = self.get(name)
        self.t.delete(SERVER_CERTS, self.iam.key(lower(doc["ServerCertificateName"])))

    def tag(self, name: str, tags: list[Doc]) -> None:
        doc = self.get(name)
        doc["Tags"] = merge_tags(doc["Tags"], tags, "ServerCertificate")
        self.t.put(SERVER_CERTS, self.iam.key(lower(doc["ServerCertificateName"])), doc)

    def untag(self, name: str, keys: list[str]) -> None:
        doc = self.get(name)
        doc["Tags"] = remove_tags(doc["Tags"], keys, "ServerCertificate")
        self.t.put(SERVER_CERTS, self.iam.key(lower(doc["ServerCertificateName"])), doc)
