"""Body checks that run while the body streams: the declared SHA-256 of a whole body, and the
signature chain of a `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]` (aws-chunked) body.

Both are pass-through: the bytes go on unchanged (S3's own aws-chunked decoder in
gureum.services.s3.chunked still decodes them and reads the checksum trailers); the check
raises an AwsError from inside the stream before the stream ends, so a consumer that only
commits after the last byte (gureum.services.s3.bodies.receive) never stores a body that
failed it.

The chain (AWS S3 "sigv4-streaming" and "sigv4-streaming-trailers"), with `prev` starting at
the request's header signature (the seed):

    chunk:   HMAC(key, "AWS4-HMAC-SHA256-PAYLOAD\\n<amz date>\\n<scope>\\n<prev>\\n"
                       "<sha256('')>\\n<sha256(chunk data)>")
    trailer: HMAC(key, "AWS4-HMAC-SHA256-TRAILER\\n<amz date>\\n<scope>\\n<prev>\\n"
                       "<sha256('name:value\\n' for each trailing header)>")

Framing: `<hex size>;chunk-signature=<sig>\\r\\n<data>\\r\\n`, ending with a 0-size chunk;
then either `\\r\\n`, or (trailer) lines `name:value\\r\\n`, `x-amz-trailer-signature:<sig>\\r\\n`
and an empty line.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterable, AsyncIterator

from gureum.aws.errors import AwsError
from gureum.aws.sigv4 import EMPTY_SHA256, content_mismatch, signature_mismatch

_MAX_LINE = 8192
_MAX_TRAILER = 16384


def _incomplete(detail: str) -> AwsError:
    return AwsError.common("IncompleteBody", f"The request body is not valid aws-chunked encoding: {detail}")


class ChunkSignatures:
    """Sans-IO: feed the raw aws-chunked body, raises on the first chunk whose signature
    does not follow the chain; `finish()` at the end of the body."""

    def __init__(self, key: bytes, amz_date: str, scope: str, seed: str, trailer: bool) -> None:
        self._key = key
        self._prefix = f"{amz_date}\n{scope}\n"
        self._prev = seed
        self._trailer = trailer
        self._buf = bytearray()
        self._state = "size"  # size | data | crlf | end | trailer | done
        self._need = 0
        self._sig = ""
        self._hash = hashlib.sha256()
        self._trailers: list[tuple[str, str]] = []
        self._trailer_bytes = 0

    @property
    def done(self) -> bool:
        return self._state == "done"

    def _check(self, kind: str, digest_lines: str, claimed: str) -> None:
        to_sign = f"{kind}\n{self._prefix}{self._prev}\n{digest_lines}"
        expected = hmac.new(self._key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, claimed.lower()):
            raise signature_mismatch()
        self._prev = expected

    def _chunk_done(self) -> None:
        self._check("AWS4-HMAC-SHA256-PAYLOAD", f"{EMPTY_SHA256}\n{self._hash.hexdigest()}", self._sig)
        self._hash = hashlib.sha256()

    def _line(self) -> str | None:
        nl = self._buf.find(b"\r\n")
        if nl < 0:
            if len(self._buf) > _MAX_LINE:
                raise _incomplete("chunk header too long")
            return None
        line = bytes(self._buf[:nl]).decode("latin-1")
        del self._buf[: nl + 2]
        return line

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        if self._state == "data" and not self._buf:
            # The common case: a run of chunk data, hashed without copying it around.
            view = memoryview(data)
            take = min(self._need, len(view))
            self._hash.update(view[:take])
            self._need -= take
            if self._need == 0:
                self._state = "crlf"
            data = view[take:]
            if not data:
                return
        self._buf += data
        while self._buf and self._state != "done":
            if self._state == "data":
                take = min(self._need, len(self._buf))
                self._hash.update(memoryview(self._buf)[:take])
                del self._buf[:take]
                self._need -= take
                if self._need == 0:
                    self._state = "crlf"
                continue
            if self._state == "crlf":
                if len(self._buf) < 2:
                    return
                if self._buf[:2] != b"\r\n":
                    raise _incomplete("missing CRLF after chunk data")
                del self._buf[:2]
                self._chunk_done()
                self._state = "size"
                continue
            line = self._line()
            if line is None:
                return
            if self._state == "size":
                self._start_chunk(line)
            elif self._state == "end":
                if line:
                    raise _incomplete("data after the final chunk")
                self._state = "done"
            else:  # trailer
                self._trailer_line(line)

    def _start_chunk(self, line: str) -> None:
        size_text, _, ext = line.partition(";")
        try:
            size = int(size_text.strip(), 16)
        except ValueError:
            raise _incomplete(f"bad chunk size {size_text!r}") from None
        name, _, sig = ext.partition("=")
        if name.strip() != "chunk-signature" or not sig.strip():
            raise signature_mismatch()
        self._sig = sig.strip()
        if size > 0:
            self._need = size
            self._state = "data"
            return
        self._chunk_done()  # the 0-size chunk is signed too
        self._state = "trailer" if self._trailer else "end"

    def _trailer_line(self, line: str) -> None:
        self._trailer_bytes += len(line) + 2
        if self._trailer_bytes > _MAX_TRAILER:
            raise _incomplete("trailer too long")
        if not line:
            raise signature_mismatch()  # the trailer ended without its signature
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name != "x-amz-trailer-signature":
            self._trailers.append((name, value.strip()))
            return
        canonical = "".join(f"{n}:{v}\n" for n, v in self._trailers)
        self._check("AWS4-HMAC-SHA256-TRAILER", hashlib.sha256(canonical.encode("utf-8")).hexdigest(), value.strip())
        self._state = "end"

    def finish(self) -> None:
        if self._state == "end" and not self._buf:
            self._state = "done"  # some clients end the body right after the last line
        if self._state != "done":
            raise _incomplete("the body ended before its final signed chunk")


async def verify_chunks(source: AsyncIterable[bytes], checker: ChunkSignatures) -> AsyncIterator[bytes]:
    """The body unchanged, each piece passed on only after the checker has seen it."""
    async for data in source:
        checker.feed(data)
        yield data
    checker.finish()


async def verify_sha256(source: AsyncIterable[bytes], declared: str) -> AsyncIterator[bytes]:
    """The body unchanged; raises XAmzContentSHA256Mismatch at its end unless it hashes to `declared`."""
    h = hashlib.sha256()
    async for data in source:
        h.update(data)
        yield data
    computed = h.hexdigest()
    if computed != declared:
        raise content_mismatch(declared, computed)
