"""The aws-chunked decoder and the CRC combination, fed bytes directly (no server)."""

from __future__ import annotations

import base64
import zlib

import pytest

from gureum.services.s3 import checksums, chunked


def _encode(data: bytes, chunk: int, trailer: bytes = b"", signed: bool = False) -> bytes:
    out = b""
    for i in range(0, len(data), chunk):
        piece = data[i:i + chunk]
        ext = b";chunk-signature=" + b"0" * 64 if signed else b""
        out += b"%x%s\r\n%s\r\n" % (len(piece), ext, piece)
    ext = b";chunk-signature=" + b"0" * 64 if signed else b""
    return out + b"0" + ext + b"\r\n" + trailer + b"\r\n"


@pytest.mark.parametrize("feed", [1, 3, 7, 64, 100000])
@pytest.mark.parametrize("signed", [False, True])
def test_decoder_any_split(feed, signed):
    data = bytes(range(256)) * 40
    crc = base64.b64encode(zlib.crc32(data).to_bytes(4, "big"))
    wire = _encode(data, 1000, b"x-amz-checksum-crc32:" + crc + b"\r\n", signed)
    dec = chunked.Decoder()
    out = b""
    for i in range(0, len(wire), feed):
        out += b"".join(dec.feed(wire[i:i + feed]))
    dec.finish()
    assert out == data
    assert dec.trailers == {"x-amz-checksum-crc32": crc.decode()}


def test_decoder_rejects_truncated_and_garbage():
    dec = chunked.Decoder()
    dec.feed(b"10\r\nshort")
    with pytest.raises(chunked.ChunkedError):
        dec.finish()
    with pytest.raises(chunked.ChunkedError):
        chunked.Decoder().feed(b"zz\r\n")


def test_crc_combine_matches_whole_crc():
    a, b = b"abc" * 1000, b"xyz" * 333
    combined = checksums.crc_combine("CRC32", zlib.crc32(a), zlib.crc32(b), len(b))
    assert combined == zlib.crc32(a + b)
