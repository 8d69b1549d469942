"""GetObjectTorrent's answer: a BitTorrent metainfo file (BEP 3) for one object, with the
object's URL as its web seed (BEP 19), so any BitTorrent client can fetch it from gureum.
Sans-IO: bencoding and the piece hashes over the bytes it is fed."""

from __future__ import annotations

import hashlib
from typing import Any

PIECE = 256 * 1024


def bencode(value: Any) -> bytes:
    if isinstance(value, bool):
        raise TypeError("bencode has no booleans")
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, list):
        return b"l" + b"".join(bencode(v) for v in value) + b"e"
    if isinstance(value, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, v) for k, v in value.items())
        return b"d" + b"".join(bencode(k) + bencode(v) for k, v in items) + b"e"
    raise TypeError(f"cannot bencode {type(value).__name__}")


class Pieces:
    """SHA-1 of each PIECE-sized run of the bytes fed in."""

    def __init__(self) -> None:
        self._hash = hashlib.sha1(usedforsecurity=False)
        self._filled = 0
        self.digests: list[bytes] = []

    def feed(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            take = min(PIECE - self._filled, len(view))
            self._hash.update(view[:take])
            self._filled += take
            view = view[take:]
            if self._filled == PIECE:
                self.digests.append(self._hash.digest())
                self._hash = hashlib.sha1(usedforsecurity=False)
                self._filled = 0

    def finish(self) -> bytes:
        if self._filled or not self.digests:
            self.digests.append(self._hash.digest())
            self._filled = 0
        return b"".join(self.digests)


def metainfo(name: str, length: int, pieces: bytes, url: str, bucket: str, key: str) -> bytes:
    """The .torrent for one object: a single-file, trackerless torrent seeded from `url`."""
    return bencode({
        "url-list": [url],
        "info": {"name": name, "length": length, "piece length": PIECE, "pieces": pieces},
        "x-amz-bucket": bucket,
        "x-amz-key": key,
    })
