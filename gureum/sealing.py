"""Values sealed at rest with a gureum-held key (SSM SecureString parameters, Secrets Manager
secret values): AES-256-GCM from `cryptography`, a fresh 96-bit nonce per seal, and the
owning resource's name as associated data, so a sealed value copied onto another resource
does not open.

Table sealing_keys: "aesgcm-1" -> {"key": base64 of 32 random bytes}, created by the first
seal (in the caller's transaction, so nodes sharing one store share the key). A sealed value
is "g1:" + base64(nonce || ciphertext || tag). The key lives in the store next to the data
it protects: this keeps plaintext out of the rows, dumps and change log, not out of the hands
of whoever holds the whole store. `cryptography` is imported by the first seal or unseal,
not with this module (the task agent's imports reach it): an idle node does not hold it."""

from __future__ import annotations

import base64
import os

from gureum.store import Txn

KEYS = "sealing_keys"
_KEY_ID = "aesgcm-1"
_PREFIX = "g1:"


class Unsealable(ValueError):
    """A sealed value that does not open with the key (tampered, or another resource's)."""


def _key(txn: Txn, create: bool) -> bytes:
    doc = txn.get(KEYS, _KEY_ID)
    if doc is None:
        if not create:
            raise Unsealable("no sealing key")
        fresh = {"key": base64.b64encode(os.urandom(32)).decode()}
        if not txn.insert(KEYS, _KEY_ID, fresh):
            doc = txn.get(KEYS, _KEY_ID)
        doc = doc or fresh
    return base64.b64decode(doc["key"])


def seal(txn: Txn, plaintext: bytes, context: str) -> str:
    """`plaintext` sealed for the resource `context` (run inside a writing transaction)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    sealed = AESGCM(_key(txn, True)).encrypt(nonce, plaintext, context.encode())
    return _PREFIX + base64.b64encode(nonce + sealed).decode()


def unseal(txn: Txn, sealed: str, context: str) -> bytes:
    """The plaintext of `sealed` (made by `seal` for `context`); Unsealable if it is not."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not sealed.startswith(_PREFIX):
        raise Unsealable("not a sealed value")
    raw = base64.b64decode(sealed[len(_PREFIX):])
    try:
        return AESGCM(_key(txn, False)).decrypt(raw[:12], raw[12:], context.encode())
    except InvalidTag as e:
        raise Unsealable("sealed value does not open") from e


def ciphertext(sealed: str) -> str:
    """What AWS shows for an encrypted value read without decryption: the ciphertext, base64."""
    return sealed[len(_PREFIX):] if sealed.startswith(_PREFIX) else sealed
