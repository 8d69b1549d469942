"""Encrypted SAML assertions (saml:EncryptedAssertion, W3C XML Encryption), opened with a
private key of the IAM SAML provider (its PrivateKeys, AddPrivateKey): the xenc:EncryptedKey
is RSA-OAEP (rsa-oaep-mgf1p, or xmlenc11 rsa-oaep with its DigestMethod) or RSA PKCS#1 v1.5,
the xenc:EncryptedData AES-128/192/256 in CBC (XML Encryption padding) or GCM. Sans-IO:
bytes of the EncryptedAssertion element's content in, the assertion's XML out; anything that
does not open is InvalidIdentityToken."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gureum.aws.errors import AwsError

XENC = "{http://www.w3.org/2001/04/xmlenc#}"
XENC11 = "http://www.w3.org/2009/xmlenc11#"
DS = "{http://www.w3.org/2000/09/xmldsig#}"
_CBC = {"http://www.w3.org/2001/04/xmlenc#aes128-cbc", "http://www.w3.org/2001/04/xmlenc#aes192-cbc",
        "http://www.w3.org/2001/04/xmlenc#aes256-cbc"}
_GCM = {XENC11 + "aes128-gcm", XENC11 + "aes192-gcm", XENC11 + "aes256-gcm"}
_DIGESTS: dict[str, Callable[[], hashes.HashAlgorithm]] = {"http://www.w3.org/2000/09/xmldsig#sha1": hashes.SHA1, "http://www.w3.org/2001/04/xmlenc#sha256": hashes.SHA256,
            "http://www.w3.org/2001/04/xmldsig-more#sha384": hashes.SHA384, "http://www.w3.org/2001/04/xmlenc#sha512": hashes.SHA512}
_MGF: dict[str, Callable[[], hashes.HashAlgorithm]] = {XENC11 + "mgf1sha1": hashes.SHA1, XENC11 + "mgf1sha256": hashes.SHA256, XENC11 + "mgf1sha384": hashes.SHA384,
        XENC11 + "mgf1sha512": hashes.SHA512}


def _invalid(why: str) -> AwsError:
    return AwsError.modeled("sts", "InvalidIdentityToken", f"Invalid SAML response: the encrypted assertion {why}")


def _b64(node: Any) -> bytes:
    text = "".join((node.text or "").split()) if node is not None else ""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid("holds a value that is not base64") from None


def _unwrap(encrypted_key: Any, key: rsa.RSAPrivateKey) -> bytes:
    method = encrypted_key.find(XENC + "EncryptionMethod")
    alg = method.get("Algorithm") if method is not None else ""
    cipher = _b64(encrypted_key.find(f"{XENC}CipherData/{XENC}CipherValue"))
    if alg == "http://www.w3.org/2001/04/xmlenc#rsa-1_5":
        return key.decrypt(cipher, padding.PKCS1v15())
    if alg in ("http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p", XENC11 + "rsa-oaep"):
        digest_node = method.find(DS + "DigestMethod")
        digest = _DIGESTS.get(digest_node.get("Algorithm") if digest_node is not None else "", hashes.SHA1)
        mgf_node = method.find("{" + XENC11 + "}MGF")
        mgf = _MGF.get(mgf_node.get("Algorithm") if mgf_node is not None else "", hashes.SHA1)
        return key.decrypt(cipher, padding.OAEP(mgf=padding.MGF1(mgf()), algorithm=digest(), label=None))
    raise _invalid(f"uses a key transport gureum does not read ({alg})")


def decrypt(encrypted_assertion: Any, private_keys: list[str]) -> bytes:
    """The XML of the assertion inside a saml:EncryptedAssertion element (an lxml element)."""
    data = encrypted_assertion.find(XENC + "EncryptedData")
    if data is None:
        raise _invalid("has no EncryptedData")
    wrapped = data.find(f"{DS}KeyInfo/{XENC}EncryptedKey")
    if wrapped is None:
        wrapped = encrypted_assertion.find(XENC + "EncryptedKey")
    if wrapped is None:
        raise _invalid("has no EncryptedKey")
    method = data.find(XENC + "EncryptionMethod")
    alg = method.get("Algorithm") if method is not None else ""
    body = _b64(data.find(f"{XENC}CipherData/{XENC}CipherValue"))
    for pem in private_keys:
        try:
            key = serialization.load_pem_private_key(pem.encode(), password=None)
        except (ValueError, TypeError):
            continue
        if not isinstance(key, rsa.RSAPrivateKey):
            continue
        try:
            secret = _unwrap(wrapped, key)
            if alg in _GCM:
                return AESGCM(secret).decrypt(body[:12], body[12:], None)
            if alg in _CBC:
                if len(body) < 32 or len(body) % 16:
                    raise ValueError("bad length")
                dec = Cipher(algorithms.AES(secret), modes.CBC(body[:16])).decryptor()
                plain = dec.update(body[16:]) + dec.finalize()
                pad = plain[-1]
                if not 1 <= pad <= 16:
                    raise ValueError("bad padding")
                return plain[:-pad]
        except AwsError:
            raise
        except Exception:  # noqa: BLE001 - any failure to open it with this key: try the next
            continue
        raise _invalid(f"uses a cipher gureum does not read ({alg})")
    raise _invalid("does not open with any private key of the SAML provider")
