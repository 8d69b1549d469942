"""Client certificates: the self-signed certificates API Gateway presents to HTTP and HTTP_PROXY
integration backends over HTTPS, so a backend can tell the gateway's requests from others.

Table apigw_client_certs (apis.CLIENT_CERTS): "{account}/{region}/{id}" -> {"clientCertificateId",
"description", "pemEncodedCertificate", "createdDate", "expirationDate", "tags", "privateKey":
the key's PEM (never answered: no AWS member)}. A certificate is RSA 2048, SHA-256, valid 365
days from GenerateClientCertificate, subject CN "ApiGateway" (the name AWS's carry), its own
issuer. A stage names one by `clientCertificateId` (stages.py checks it exists); a certificate
a stage names cannot be deleted. Writes publish TOPIC {"id"}: each node's SSL contexts
(`Contexts`) follow it.
"""

from __future__ import annotations

import datetime as dt
import os
import ssl
import tempfile
from typing import TYPE_CHECKING, Any

from gureum.aws import tags
from gureum.services.apigateway import ids, patch
from gureum.services.apigateway.apis import CLIENT_CERTS, STAGES, TAG_RULES, page
from gureum.services.apigateway.directory import follow
from gureum.services.apigateway.errors import conflict, not_found

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Event, Txn

Doc = dict[str, Any]
TOPIC = "apigateway.client_cert"
VALID_DAYS = 365
_FIELDS = patch.Fields(scalars={"description": patch.as_str})


def _key(account: str, region: str, cert_id: str) -> str:
    return f"{account}/{region}/{cert_id}"


def issue(now: float) -> tuple[str, str, float]:
    """(certificate PEM, private key PEM, expiry epoch seconds): a fresh self-signed certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ApiGateway")])
    start = dt.datetime.fromtimestamp(int(now), dt.UTC)
    end = start + dt.timedelta(days=VALID_DAYS)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return pem, key_pem, end.timestamp()


def view(doc: Doc) -> Doc:
    return {k: v for k, v in doc.items() if k != "privateKey"}


def generate(txn: Txn, account: str, region: str, p: Doc, issued: tuple[str, str, float], now: float) -> Doc:
    """Store a certificate `issue()`d outside the transaction (RSA key generation is slow)."""
    pem, key_pem, expires = issued
    cert_id = ids.fresh(lambda c: txn.get(CLIENT_CERTS, _key(account, region, c)) is not None)
    doc: Doc = {"clientCertificateId": cert_id, "pemEncodedCertificate": pem, "createdDate": now,
                "expirationDate": expires, "tags": tags.check(dict(p.get("tags") or {}), TAG_RULES), "privateKey": key_pem}
    if p.get("description") is not None:
        doc["description"] = p["description"]
    txn.put(CLIENT_CERTS, _key(account, region, cert_id), doc)
    txn.publish(TOPIC, {"id": cert_id})
    return view(doc)


def _get(txn: Txn, account: str, region: str, cert_id: str) -> Doc:
    doc = txn.get(CLIENT_CERTS, _key(account, region, cert_id))
    if doc is None:
        raise not_found("Invalid Client Certificate identifier specified")
    return doc


def get(txn: Txn, account: str, region: str, cert_id: str) -> Doc:
    return view(_get(txn, account, region, cert_id))


def listing(txn: Txn, account: str, region: str, position: str | None, limit: int | None) -> tuple[list[Doc], str | None]:
    rows, nxt = page(txn, CLIENT_CERTS, f"{account}/{region}/", position, limit)
    return [view(d) for _, d in rows], nxt


def update(txn: Txn, account: str, region: str, cert_id: str, operations: list[Doc] | None) -> Doc:
    doc = _get(txn, account, region, cert_id)
    new = patch.apply(doc, operations, _FIELDS)
    txn.put(CLIENT_CERTS, _key(account, region, cert_id), new)
    return view(new)


def delete(txn: Txn, account: str, region: str, cert_id: str) -> None:
    _get(txn, account, region, cert_id)
    for _, stage in txn.scan(STAGES, f"{account}/{region}/"):
        if stage.get("clientCertificateId") == cert_id:
            raise conflict("Cannot delete client certificate which is in use by one or more stages")
    txn.delete(CLIENT_CERTS, _key(account, region, cert_id))
    txn.publish(TOPIC, {"id": cert_id})


def _context(cert_pem: str | None, key_pem: str | None, verify: bool) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if cert_pem and key_pem:
        # the ssl module loads a certificate chain from files only: a private file, read and removed
        fd, path = tempfile.mkstemp(suffix=".pem")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(cert_pem + key_pem)
            context.load_cert_chain(path)
        finally:
            os.unlink(path)
    return context


class Contexts:
    """This node's TLS client contexts for integrations: per (account, region, certificate id
    or None, whether the backend's certificate is verified); dropped when a certificate changes."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._contexts: dict[tuple[str, str, str | None, bool], ssl.SSLContext] = {}
        follow(app, TOPIC, self._on_change)

    def _on_change(self, event: Event) -> None:
        cert_id = event.data.get("id")
        for k in [k for k in self._contexts if k[2] == cert_id]:
            del self._contexts[k]

    async def context(self, account: str, region: str, cert_id: str | None, verify: bool) -> ssl.SSLContext:
        key = (account, region, cert_id, verify)
        found = self._contexts.get(key)
        if found is None:
            doc = (await self.app.store.read(lambda t: t.get(CLIENT_CERTS, _key(account, region, cert_id)))
                   if cert_id else None)
            found = _context((doc or {}).get("pemEncodedCertificate"), (doc or {}).get("privateKey"), verify)
            self._contexts[key] = found
        return found
