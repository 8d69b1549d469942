"""SNS message signatures, as AWS makes them, with gureum's own key and certificate.

One RSA key and self-signed certificate per gureum installation, made on first use and kept
in the store (table `sns_signing`, key "cert": {"key": PEM, "cert": PEM}) so every node of a
cluster signs with the same key; each node holds the loaded `Signer` in the SIGNER slot. A
reset keeps them (subscribers may have pinned the certificate).

The certificate is served on the main port, under gureum's own prefix, with AWS's file name
shape: `/_gureum/sns/SimpleNotificationService-<md5 of its DER, hex>.pem` (AWS:
https://sns.<region>.amazonaws.com/SimpleNotificationService-<hash>.pem); each message names
it in SigningCertURL. Signatures follow AWS's "Verifying
the signatures of Amazon SNS messages": the canonical string is "<Key>\\n<Value>\\n" for the
keys present of Message, MessageId, Subject, Timestamp, TopicArn, Type (notifications) or
Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn, Type (subscription and
unsubscribe confirmations); SignatureVersion "1" signs it SHA1withRSA, "2" SHA256withRSA,
base64 in Signature.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from gureum.http.server import Response
from gureum.services.sns.slots import SIGNER

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.http.server import Request
    from gureum.store.base import Txn

SIGNING = "sns_signing"
PATH_PREFIX = "/_gureum/sns/"
NOTIFICATION_KEYS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_KEYS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
_HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}


@dataclass(frozen=True)
class Signer:
    key: rsa.RSAPrivateKey
    cert_pem: bytes
    file_name: str  # SimpleNotificationService-<hash>.pem

    def cert_url(self, base_url: str) -> str:
        return f"{base_url}{PATH_PREFIX}{self.file_name}"

    def sign(self, doc: dict[str, Any], version: str = "1") -> str:
        """Signature (base64) of a notification or confirmation document."""
        keys = NOTIFICATION_KEYS if doc.get("Type") == "Notification" else CONFIRMATION_KEYS
        text = "".join(f"{k}\n{doc[k]}\n" for k in keys if doc.get(k) is not None)
        digest = _HASHES.get(version, hashes.SHA1)()
        return base64.b64encode(self.key.sign(text.encode(), padding.PKCS1v15(), digest)).decode()


def _new_material() -> dict[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com (gureum)")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650)).sign(key, hashes.SHA256()))
    return {"key": key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()).decode(),
            "cert": cert.public_bytes(serialization.Encoding.PEM).decode()}


def _load(doc: dict[str, str]) -> Signer:
    key = serialization.load_pem_private_key(doc["key"].encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the SNS signing key is not an RSA key")
    cert = x509.load_pem_x509_certificate(doc["cert"].encode())
    digest = hashlib.md5(cert.public_bytes(serialization.Encoding.DER), usedforsecurity=False).hexdigest()
    return Signer(key, doc["cert"].encode(), f"SimpleNotificationService-{digest}.pem")


async def signer(app: App) -> Signer:
    """This installation's signer (made and stored by the first node that needs one)."""
    async def make() -> Signer:
        doc = await app.store.read(lambda t: t.get(SIGNING, "cert"))
        if doc is None:
            fresh = await asyncio.to_thread(_new_material)  # RSA key generation: off the event loop

            def keep(t: Txn) -> dict[str, Any]:
                t.insert(SIGNING, "cert", fresh)  # another node may have won: use what is stored
                stored = t.get(SIGNING, "cert")
                return stored if stored is not None else fresh

            doc = await app.store.run(keep)
        return _load(doc)

    return await app.parts.lazy_async(SIGNER, make)


async def handle(app: App, request: Request) -> Response:
    """GET /_gureum/sns/SimpleNotificationService-<hash>.pem: the certificate."""
    if app.is_agent:  # agents keep no SNS state
        return Response(404, [("content-type", "text/plain")], b"Not Found")
    s = await signer(app)
    if request.method != "GET" or request.path != PATH_PREFIX + s.file_name:
        return Response(404, [("content-type", "text/plain")], b"Not Found")
    return Response(200, [("content-type", "application/x-x509-ca-cert")], s.cert_pem)
