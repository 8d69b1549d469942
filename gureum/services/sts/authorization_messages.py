"""Encoded authorization messages (DecodeAuthorizationMessage): the details of a refusal,
sealed so only the refused account can read them back through STS.

`encode(txn, account, details)` seals the JSON document AWS decodes to ({"allowed",
"explicitDeny", "matchedStatements", "failures", "context": {"principal", "action",
"resource", "conditions"}}) with AES-256-GCM under this installation's key (table
`sts_authorization_key`, key "key": {"key": hex}, made once), the account as associated
data; the message is url-safe base64 of nonce and ciphertext. `decode` opens it for the same
account only: anything else (another account's message, a changed byte, garbage) is
InvalidAuthorizationMessageException. Services whose refusals AWS documents as encoded
(EC2's UnauthorizedOperation; gureum serves none of them yet) call `encode`."""

from __future__ import annotations

import base64
import binascii
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gureum.aws.errors import AwsError
from gureum.store.base import Txn

KEYS = "sts_authorization_key"


def _key(txn: Txn) -> AESGCM:
    doc = txn.get(KEYS, "key")
    if doc is None:
        doc = {"key": os.urandom(32).hex()}
        txn.put(KEYS, "key", doc)
    return AESGCM(bytes.fromhex(doc["key"]))


def encode(txn: Txn, account: str, details: dict[str, Any]) -> str:
    nonce = os.urandom(12)
    sealed = _key(txn).encrypt(nonce, json.dumps(details, separators=(",", ":")).encode(), account.encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")


def decode(txn: Txn, account: str, message: str) -> str:
    def invalid() -> AwsError:
        return AwsError.modeled("sts", "InvalidAuthorizationMessageException",
                                "The encoded authorization message is invalid or has expired.")

    try:
        raw = base64.urlsafe_b64decode(message + "=" * (-len(message) % 4))
    except (binascii.Error, ValueError):
        raise invalid() from None
    if len(raw) < 12 + 16 or txn.get(KEYS, "key") is None:
        raise invalid()
    try:
        return _key(txn).decrypt(raw[:12], raw[12:], account.encode()).decode()
    except (InvalidTag, ValueError):
        raise invalid() from None


def denial(principal_arn: str, principal_id: str, action: str, resource: str, explicit: bool) -> dict[str, Any]:
    """The decoded document of one refusal, in AWS's shape."""
    return {"allowed": False, "explicitDeny": explicit, "matchedStatements": {"items": []}, "failures": {"items": []},
            "context": {"principal": {"id": principal_id, "arn": principal_arn}, "action": action,
                        "resource": resource, "conditions": {"items": []}}}
