"""The object checksums S3 computes and checks (CRC32, CRC32C, SHA1, SHA256), fed
incrementally; values are base64 of the big-endian digest, as the x-amz-checksum-* headers."""

from __future__ import annotations

import base64
import hashlib
import zlib
from types import ModuleType

_crc32c: ModuleType | None
try:
    import crc32c as _crc32c
except ImportError:  # pragma: no cover - crc32c is a dependency; degrade to not checking
    _crc32c = None

ALGORITHMS = ("CRC32", "CRC32C", "SHA1", "SHA256")


class Checksum:
    def __init__(self, algorithm: str) -> None:
        self.algorithm = algorithm
        self._crc = 0
        self._hash = hashlib.sha1() if algorithm == "SHA1" else hashlib.sha256() if algorithm == "SHA256" else None

    @property
    def supported(self) -> bool:
        return self.algorithm in ("CRC32", "SHA1", "SHA256") or (self.algorithm == "CRC32C" and _crc32c is not None)

    def update(self, data: bytes) -> None:
        if self.algorithm == "CRC32":
            self._crc = zlib.crc32(data, self._crc)
        elif self.algorithm == "CRC32C" and _crc32c is not None:
            self._crc = _crc32c.crc32c(data, self._crc)
        elif self._hash is not None:
            self._hash.update(data)

    def digest(self) -> bytes:
        if self._hash is not None:
            return self._hash.digest()
        return self._crc.to_bytes(4, "big")

    def b64(self) -> str:
        return base64.b64encode(self.digest()).decode()


def composite(algorithm: str, part_values: list[str]) -> str:
    """The checksum of a multipart object: the checksum of the parts' binary checksums, -N."""
    c = Checksum(algorithm)
    for v in part_values:
        c.update(base64.b64decode(v))
    return f"{c.b64()}-{len(part_values)}"


_POLYS = {"CRC32": 0xEDB88320, "CRC32C": 0x82F63B78}


def _gf2_times(mat: list[int], vec: int) -> int:
    out = 0
    i = 0
    while vec:
        if vec & 1:
            out ^= mat[i]
        vec >>= 1
        i += 1
    return out


def _gf2_square(mat: list[int]) -> list[int]:
    return [_gf2_times(mat, mat[n]) for n in range(32)]


def crc_combine(algorithm: str, crc1: int, crc2: int, len2: int) -> int:
    """The CRC of A+B from crc(A), crc(B) and len(B) (zlib's crc32_combine, any reflected
    32-bit polynomial): full-object checksums of multipart uploads without re-reading data."""
    if len2 <= 0:
        return crc1
    odd = [_POLYS[algorithm]] + [1 << (n - 1) for n in range(1, 32)]
    even = _gf2_square(odd)
    odd = _gf2_square(even)
    while True:
        even = _gf2_square(odd)
        if len2 & 1:
            crc1 = _gf2_times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = _gf2_square(even)
        if len2 & 1:
            crc1 = _gf2_times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2


def full_object_crc(algorithm: str, parts: list[tuple[str, int]]) -> str:
    """Base64 full-object CRC of a multipart object from (part checksum b64, part size)."""
    crc = 0
    for value, size in parts:
        crc = crc_combine(algorithm, crc, int.from_bytes(base64.b64decode(value), "big"), size)
    return base64.b64encode(crc.to_bytes(4, "big")).decode()


def member(algorithm: str) -> str:
    return "Checksum" + algorithm


def header(algorithm: str) -> str:
    return "x-amz-checksum-" + algorithm.lower()
