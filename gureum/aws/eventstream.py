"""AWS's event stream framing (application/vnd.amazon.eventstream), the encoding side: the
messages an operation with an event stream output (CloudWatch Logs' StartLiveTail, S3's
SelectObjectContent, Lambda's InvokeWithResponseStream) sends in its response body, which
botocore's EventStream reads.

A message is: total length (4 bytes, big-endian), headers length (4), CRC32 of those 8
bytes (4), the headers, the payload, CRC32 of everything before it (4). A header is its
name's length (1 byte), the name, a type byte (7: string) and the value's length (2) and
UTF-8 bytes. Only string headers are written: `:message-type`, `:event-type`,
`:exception-type`, `:error-code`, `:error-message` and `:content-type` are all AWS uses here.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Mapping
from typing import Any

STRING = 7
CONTENT_TYPE = "application/vnd.amazon.eventstream"


def message(headers: Mapping[str, str], payload: bytes = b"") -> bytes:
    encoded = b"".join(_header(k, v) for k, v in headers.items())
    total = 12 + len(encoded) + len(payload) + 4
    prelude = struct.pack(">II", total, len(encoded))
    body = prelude + struct.pack(">I", zlib.crc32(prelude)) + encoded + payload
    return body + struct.pack(">I", zlib.crc32(body))


def _header(name: str, value: str) -> bytes:
    n, v = name.encode(), value.encode()
    return struct.pack(">B", len(n)) + n + struct.pack(">BH", STRING, len(v)) + v


def event(event_type: str, doc: dict[str, Any], content_type: str = "application/json") -> bytes:
    """An event of the stream's member `event_type` (or `initial-response`), as JSON."""
    return message({":message-type": "event", ":event-type": event_type, ":content-type": content_type},
                   json.dumps(doc, separators=(",", ":")).encode())


def raw_event(event_type: str, payload: bytes = b"", content_type: str | None = None) -> bytes:
    """An event whose payload is given as bytes (S3 Select's Records, Lambda's PayloadChunk)."""
    headers = {":event-type": event_type}
    if content_type:
        headers[":content-type"] = content_type
    headers[":message-type"] = "event"
    return message(headers, payload)


def error(code: str, text: str) -> bytes:
    """An unmodeled error message (S3 Select's failure after its output has begun)."""
    return message({":error-code": code, ":error-message": text, ":message-type": "error"})


def exception(exception_type: str, text: str) -> bytes:
    """A modeled exception member of the stream; the stream ends after it."""
    return message({":message-type": "exception", ":exception-type": exception_type, ":content-type": "application/json"},
                   json.dumps({"message": text}).encode())


def decode(data: bytes) -> list[tuple[dict[str, str], bytes]]:
    """The messages in `data` (for tests and checks): (headers, payload) each, CRCs verified."""
    out: list[tuple[dict[str, str], bytes]] = []
    i = 0
    while i < len(data):
        total, hlen = struct.unpack_from(">II", data, i)
        if struct.unpack_from(">I", data, i + 8)[0] != zlib.crc32(data[i:i + 8]):
            raise ValueError("bad prelude CRC")
        if struct.unpack_from(">I", data, i + total - 4)[0] != zlib.crc32(data[i:i + total - 4]):
            raise ValueError("bad message CRC")
        headers: dict[str, str] = {}
        j, end = i + 12, i + 12 + hlen
        while j < end:
            n = data[j]
            name = data[j + 1:j + 1 + n].decode()
            j += 1 + n
            if data[j] != STRING:
                raise ValueError("only string headers are read")
            (vlen,) = struct.unpack_from(">H", data, j + 1)
            headers[name] = data[j + 3:j + 3 + vlen].decode()
            j += 3 + vlen
        out.append((headers, data[end:i + total - 4]))
        i += total
    return out
