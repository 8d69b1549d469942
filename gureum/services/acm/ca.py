"""gureum's certificate authority: one self-signed root (RSA 2048, 10 years) per store, which
signs the certificates ACM issues (RSA 2048, 395 days, as ACM's). Clients trust gureum's
certificates by trusting the root, served at /_gureum/ca.pem.

Table acm_ca: "root" -> {"cert": PEM, "key": the PKCS#8 PEM sealed with gureum/sealing.py
(context "acm-ca-root")}. Created by the first use, in the caller's transaction (nodes sharing
a store share the root)."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from gureum import sealing
from gureum.store import Txn

CA = "acm_ca"
_CONTEXT = "acm-ca-root"
ROOT_NAME = "gureum Root CA"
ISSUED_DAYS = 395


@dataclass(frozen=True)
class Issued:
    cert_pem: str
    key_pem: str
    serial: str  # colon-separated hex, as ACM shows it
    not_before: float
    not_after: float


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem_key(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def root(txn: Txn) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    """The root certificate and key, made on first use."""
    doc = txn.get(CA, "root")
    if doc is None:
        key = _new_key()
        name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "gureum"),
                          x509.NameAttribute(NameOID.COMMON_NAME, ROOT_NAME)])
        now = dt.datetime.now(dt.UTC)
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
                .not_valid_after(now + dt.timedelta(days=3650))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                             key_encipherment=False, data_encipherment=False, key_agreement=False,
                                             encipher_only=False, decipher_only=False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .sign(key, hashes.SHA256()))
        doc = {"cert": cert.public_bytes(serialization.Encoding.PEM).decode(),
               "key": sealing.seal(txn, _pem_key(key).encode(), _CONTEXT)}
        if not txn.insert(CA, "root", doc):
            doc = txn.get(CA, "root")
            assert doc is not None
    cert = x509.load_pem_x509_certificate(doc["cert"].encode())
    loaded = serialization.load_pem_private_key(sealing.unseal(txn, doc["key"], _CONTEXT), password=None)
    assert isinstance(loaded, rsa.RSAPrivateKey)
    return cert, loaded


def root_pem(txn: Txn) -> str:
    return root(txn)[0].public_bytes(serialization.Encoding.PEM).decode()


def issue(txn: Txn, domains: list[str], now: float) -> Issued:
    """A certificate for `domains` (the first is the subject) signed by the root."""
    ca_cert, ca_key = root(txn)
    key = _new_key()
    start = dt.datetime.fromtimestamp(now, dt.UTC)
    serial = int.from_bytes(secrets.token_bytes(16), "big") >> 1
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domains[0])]))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(serial)
            .not_valid_before(start).not_valid_after(start + dt.timedelta(days=ISSUED_DAYS))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(d) for d in domains]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=True, content_commitment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    hexed = f"{serial:x}"
    hexed = ("0" * (len(hexed) % 2)) + hexed
    return Issued(cert.public_bytes(serialization.Encoding.PEM).decode(), _pem_key(key),
                  ":".join(hexed[i:i + 2] for i in range(0, len(hexed), 2)), start.timestamp(),
                  (start + dt.timedelta(days=ISSUED_DAYS)).timestamp())
