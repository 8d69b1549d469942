"""Object bytes in and out: request bodies streamed into the blob store (aws-chunked
decoding, Content-MD5 and x-amz-checksum-* verification, trailing checksums), and object
bodies streamed back out of their blob pieces for any byte range."""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gureum.aws.errors import AwsError
from gureum.services.s3 import checksums, chunked, storage

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.aws.dispatch import RequestContext

_BATCH = 1 << 20


@dataclass
class Stored:
    digest: str
    size: int
    md5_hex: str
    checksums: dict[str, str] = field(default_factory=dict)  # algorithm -> base64

    @property
    def etag(self) -> str:
        return f'"{self.md5_hex}"'

    @property
    def pieces(self) -> list[list[Any]]:
        return [[self.digest, self.size]]


async def _empty() -> AsyncIterator[bytes]:
    return
    yield b""  # pragma: no cover


def _algorithms(ctx: RequestContext, params: dict[str, Any]) -> tuple[dict[str, str | None], str | None]:
    """Algorithms to compute -> the value the client promised (None: just compute).
    Also the trailer header that will carry a value, if any."""
    want: dict[str, str | None] = {}
    headers = ctx.request.headers if ctx.request is not None else None
    trailer = (headers.get("x-amz-trailer") or "").strip().lower() if headers is not None else ""
    for alg in checksums.ALGORITHMS:
        value = params.get(checksums.member(alg))
        if value:
            want[alg] = value
        if trailer == checksums.header(alg):
            want.setdefault(alg, None)
    algo = params.get("ChecksumAlgorithm")
    if algo and algo.upper() in checksums.ALGORITHMS:
        want.setdefault(algo.upper(), None)
    return want, trailer or None


def _is_chunked(ctx: RequestContext) -> bool:
    if ctx.request is None:
        return False
    h = ctx.request.headers
    enc = (h.get("content-encoding") or "").lower()
    sha = (h.get("x-amz-content-sha256") or "").upper()
    return "aws-chunked" in enc or sha.startswith("STREAMING-")


async def receive(ctx: RequestContext, params: dict[str, Any], source: AsyncIterable[bytes] | None = None) -> Stored:
    """Store the request body as a blob, checking every digest the client sent."""
    app = ctx.app
    if source is None:
        source = ctx.body_stream if ctx.body_stream is not None else _empty()
        body = params.get("Body")
        if isinstance(body, (bytes, bytearray)) and ctx.body_stream is None:
            source = _once(bytes(body))
    decoder = None
    if source is not None and _is_chunked(ctx):
        decoder = chunked.Decoder()
        source = chunked.decode(source, decoder)
    want, trailer = _algorithms(ctx, params)
    sums = {alg: checksums.Checksum(alg) for alg in want}
    writer = await asyncio.to_thread(storage.blobs(app).writer)

    def write(batch: list[bytes]) -> None:
        for data in batch:
            writer.write(data)
            for c in sums.values():
                c.update(data)

    try:
        batch: list[bytes] = []
        pending = 0
        try:
            async for data in source:
                if not data:
                    continue
                batch.append(bytes(data))
                pending += len(data)
                if pending >= _BATCH:
                    await asyncio.to_thread(write, batch)
                    batch, pending = [], 0
        except chunked.ChunkedError as exc:
            raise AwsError.modeled(
                "s3", "IncompleteBody", f"The request body is not valid aws-chunked encoding: {exc}"
            ) from None
        if batch:
            await asyncio.to_thread(write, batch)
        if decoder is not None and trailer:
            value = decoder.trailers.get(trailer)
            for alg in want:
                if checksums.header(alg) == trailer and value:
                    want[alg] = value
        declared = ctx.request.headers.get("x-amz-decoded-content-length") if ctx.request is not None else None
        if declared is not None and declared.isdigit() and int(declared) != writer.size:
            raise AwsError.modeled(
                "s3",
                "IncompleteBody",
                "You did not provide the number of bytes specified by the Content-Length HTTP header.",
            )
        md5 = params.get("ContentMD5")
        if md5:
            try:
                expected = base64.b64decode(md5, validate=True)
            except (binascii.Error, ValueError):
                raise AwsError.modeled("s3", "InvalidDigest", "The Content-MD5 you specified was invalid.") from None
            if len(expected) != 16:
                raise AwsError.modeled("s3", "InvalidDigest", "The Content-MD5 you specified was invalid.")
            if expected.hex() != writer.md5_hex:
                raise AwsError.modeled(
                    "s3",
                    "BadDigest",
                    "The Content-MD5 you specified did not match what we received.",
                    ExpectedDigest=expected.hex(),
                    CalculatedDigest=writer.md5_hex,
                )
        computed: dict[str, str] = {}
        for alg, c in sums.items():
            if not c.supported:
                claimed = want[alg]
                if claimed:
                    computed[alg] = claimed  # cannot check here; keep what the client said
                continue
            value = c.b64()
            if want[alg] is not None and want[alg] != value:
                raise AwsError.modeled(
                    "s3", "BadDigest", f"The {alg} you specified did not match the calculated checksum."
                )
            computed[alg] = value
        digest = await asyncio.to_thread(writer.commit)
        return Stored(digest, writer.size, writer.md5_hex, computed)
    except BaseException:
        await asyncio.shield(asyncio.to_thread(writer.abort))
        raise


async def _once(data: bytes) -> AsyncIterator[bytes]:
    if data:
        yield data


async def read(app: App, pieces: list[list[Any]], start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
    """Bytes [start, end) of an object made of blob pieces [[digest, size], ...]."""
    offset = 0
    for digest, size in pieces:
        p_start, p_end = offset, offset + size
        offset = p_end
        if end is not None and p_start >= end:
            break
        if p_end <= start:
            continue
        lo = max(start, p_start) - p_start
        hi = (min(end, p_end) if end is not None else p_end) - p_start
        if hi <= lo:
            continue
        async for chunk in storage.blobs(app).read(digest, lo, hi):
            yield chunk


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """A `bytes=a-b` range as [start, end) within `size`; None to serve the whole object.
    Raises InvalidRange (416) when unsatisfiable."""
    header = header.strip()
    if not header.startswith("bytes="):
        return None
    spec = header[6:].split(",", 1)[0].strip()
    first, _, last = spec.partition("-")
    try:
        if first == "":
            n = int(last)
            if n == 0:
                raise AwsError.modeled(
                    "s3",
                    "InvalidRange",
                    "The requested range is not satisfiable",
                    ActualObjectSize=str(size),
                    RangeRequested="",
                )
            return max(0, size - n), size
        a = int(first)
        b = int(last) if last else size - 1
    except ValueError:
        return None
    if b < a:
        return None
    if a >= size:
        raise AwsError.modeled(
            "s3",
            "InvalidRange",
            "The requested range is not satisfiable",
            ActualObjectSize=str(size),
            RangeRequested="",
        )
    return a, min(b, size - 1) + 1


__all__ = ["Stored", "parse_range", "read", "receive"]
