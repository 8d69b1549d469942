"""The MD5 digests SQS returns (and botocore verifies): of the body, and of message
attributes / system attributes in AWS's length-prefixed binary encoding."""

from __future__ import annotations

import base64
import hashlib
import struct
from typing import Any

STRING, BINARY = 1, 2


def md5_body(body: str) -> str:
    return hashlib.md5(body.encode("utf-8"), usedforsecurity=False).hexdigest()


def md5_attributes(attrs: dict[str, dict[str, Any]]) -> str | None:
    """AWS's digest of message attributes: for each attribute, sorted by name, the
    length-prefixed name, data type, a transport byte (1 string, 2 binary) and value.
    Stored attributes keep BinaryValue as base64 text (JSON-safe)."""
    if not attrs:
        return None
    h = hashlib.md5(usedforsecurity=False)

    def put(data: bytes) -> None:
        h.update(struct.pack(">I", len(data)))
        h.update(data)

    for name in sorted(attrs):
        value = attrs[name]
        put(name.encode("utf-8"))
        put(value["DataType"].encode("utf-8"))
        if value.get("StringValue") is not None:
            h.update(bytes([STRING]))
            put(value["StringValue"].encode("utf-8"))
        else:
            h.update(bytes([BINARY]))
            put(base64.b64decode(value.get("BinaryValue") or ""))
    return h.hexdigest()
