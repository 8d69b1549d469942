"""AWS's event stream framing (`application/vnd.amazon.eventstream`), encoding side, sans-IO:
what SelectObjectContent answers with and botocore's EventStream reads. A message is

    total length (u32) | headers length (u32) | CRC32 of those 8 bytes (u32)
    | headers | payload | CRC32 of everything before it (u32)

and each header is name length (u8), name, type (u8; 7 = string), value length (u16), value.
"""

from __future__ import annotations

import struct
import zlib

_STRING = 7


def _headers(headers: list[tuple[str, str]]) -> bytes:
    out = bytearray()
    for name, value in headers:
        n, v = name.encode(), value.encode()
        out += struct.pack(">B", len(n)) + n + struct.pack(">BH", _STRING, len(v)) + v
    return bytes(out)


def message(headers: list[tuple[str, str]], payload: bytes = b"") -> bytes:
    h = _headers(headers)
    total = 12 + len(h) + len(payload) + 4
    prelude = struct.pack(">II", total, len(h))
    head = prelude + struct.pack(">I", zlib.crc32(prelude)) + h + payload
    return head + struct.pack(">I", zlib.crc32(head))


def event(event_type: str, payload: bytes = b"", content_type: str | None = None) -> bytes:
    headers = [(":event-type", event_type)]
    if content_type:
        headers.append((":content-type", content_type))
    headers.append((":message-type", "event"))
    return message(headers, payload)


def error(code: str, text: str) -> bytes:
    return message([(":error-code", code), (":error-message", text), (":message-type", "error")])
