"""IAM users' SSH public keys (what CodeCommit authenticates SSH with).

Table (rows.py) `iam_ssh_public_keys`: {acct}/{user id}/{key id} -> {"SSHPublicKeyId",
"Fingerprint", "SSHPublicKeyBody", "Status", "UploadDate", "Blob"}; keyed by the user's id
so a renamed user keeps its keys; a user with keys cannot be deleted (model.delete_user).

A key is accepted as AWS documents: RSA of at least 2048 bits, in OpenSSH (`ssh-rsa AAAA...`)
or PEM (SubjectPublicKeyInfo or PKCS#1) encoding, parsed with `cryptography`. `Blob` is the
key's OpenSSH wire encoding (base64): the fingerprint is the MD5 of those bytes, colon
separated (as `ssh-keygen -l -E md5` prints it), and GetSSHPublicKey renders it in either
encoding. A user holds at most MAX_KEYS_PER_USER keys, never the same key twice.
"""

from __future__ import annotations

import base64
import hashlib
import re

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from gureum.aws.errors import AwsError
from gureum.services.iam import ids
from gureum.services.iam.model import Iam
from gureum.services.iam.rows import SSH_KEYS
from gureum.store.base import Doc

_SSH_LINE = re.compile(r"(ssh|ecdsa|sk)-[\w@.-]+\s")  # "<key type> <base64> [comment]"
MAX_KEYS_PER_USER = 5
MIN_BITS = 2048
KEY_ID_PREFIX = "APKA"


def parse_key(body: str) -> tuple[str, str]:
    """(OpenSSH wire blob as base64, MD5 fingerprint) of an RSA public key in SSH or PEM form."""
    text = body.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_public_key(text.encode("latin-1"))
        elif _SSH_LINE.match(text):
            key = serialization.load_ssh_public_key(text.encode("latin-1"))
        else:
            raise AwsError.modeled(
                "iam", "UnrecognizedPublicKeyEncoding",
                "The public key encoding format is unsupported or unrecognized: use ssh-rsa or PEM.",
            )
    except (ValueError, TypeError, UnicodeEncodeError):
        raise AwsError.modeled("iam", "InvalidPublicKey", "The public key is malformed or otherwise invalid.") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise AwsError.modeled("iam", "InvalidPublicKey", "The public key must be an ssh-rsa key.")
    if key.key_size < MIN_BITS:
        raise AwsError.modeled(
            "iam", "InvalidPublicKey", f"The minimum bit-length of the public key is {MIN_BITS} bits."
        )
    openssh = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    blob = base64.b64decode(openssh.split()[1])
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    fingerprint = ":".join(digest[i : i + 2] for i in range(0, 32, 2))
    return base64.b64encode(blob).decode(), fingerprint


def render(blob: str, encoding: str) -> str:
    """The key in `encoding`: SSH (`ssh-rsa AAAA...`) or PEM (SubjectPublicKeyInfo)."""
    if encoding == "SSH":
        return f"ssh-rsa {blob}"
    key = serialization.load_ssh_public_key(f"ssh-rsa {blob}".encode())
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


class SshKeys:
    """One account's users' SSH public keys inside one transaction."""

    def __init__(self, iam: Iam) -> None:
        self.iam = iam
        self.t = iam.t

    def _find(self, user_name: str, key_id: str) -> tuple[Doc, Doc]:
        user = self.iam.get_user(user_name)
        doc = self.t.get(SSH_KEYS, self.iam.key(user["UserId"], key_id))
        if doc is None:
            raise AwsError.modeled("iam", "NoSuchEntity", f"The Public Key with id {key_id} cannot be found.")
        doc["UserName"] = user["UserName"]
        return user, doc

    def upload(self, user_name: str, body: str, blob: str, fingerprint: str) -> Doc:
        user = self.iam.get_user(user_name)
        prefix = self.iam.key(user["UserId"], "")
        existing = [d for _, d in self.t.scan(SSH_KEYS, prefix)]
        if any(d["Fingerprint"] == fingerprint for d in existing):
            raise AwsError.modeled(
                "iam", "DuplicateSSHPublicKey",
                "The SSH public key you are attempting to upload is already associated with the user.",
            )
        if len(existing) >= MAX_KEYS_PER_USER:
            raise AwsError.modeled(
                "iam", "LimitExceeded", f"Cannot exceed quota for SSHPublicKeysPerUser: {MAX_KEYS_PER_USER}"
            )
        doc: Doc = {
            "SSHPublicKeyId": ids.access_key_id(KEY_ID_PREFIX),
            "Fingerprint": fingerprint,
            "SSHPublicKeyBody": body,
            "Status": "Active",
            "UploadDate": ids.iso(ids.now()),
            "Blob": blob,
        }
        self.t.put(SSH_KEYS, prefix + doc["SSHPublicKeyId"], doc)
        doc["UserName"] = user["UserName"]
        return doc

    def get(self, user_name: str, key_id: str) -> Doc:
        return self._find(user_name, key_id)[1]

    def list(self, user_name: str) -> list[tuple[str, Doc]]:
        user = self.iam.get_user(user_name)
        rows = []
        for k, d in self.t.scan(SSH_KEYS, self.iam.key(user["UserId"], "")):
            d["UserName"] = user["UserName"]
            rows.append((k, d))
        return rows

    def set_status(self, user_name: str, key_id: str, status: str) -> None:
        user, doc = self._find(user_name, key_id)
        doc["Status"] = status
        doc.pop("UserName")
        self.t.put(SSH_KEYS, self.iam.key(user["UserId"], key_id), doc)

    def delete(self, user_name: str, key_id: str) -> None:
        user, _ = self._find(user_name, key_id)
        self.t.delete(SSH_KEYS, self.iam.key(user["UserId"], key_id))
