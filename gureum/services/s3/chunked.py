"""The aws-chunked body encoding (SigV4 streaming uploads, and boto3's default unsigned
payload with trailing checksums): `<hex size>[;chunk-signature=...]\r\n<data>\r\n` ... a
0-size chunk, then trailer lines `name:value\r\n` and an empty line. A sans-IO decoder:
feed bytes, get data out; trailers land in `.trailers`."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator


class ChunkedError(ValueError):
    pass


class Decoder:
    def __init__(self) -> None:
        self._buf = bytearray()
        self._need = -1  # bytes of chunk data still to pass through; -1: expecting a size line
        self._crlf = False  # expecting the CRLF after a chunk's data
        self.trailers: dict[str, str] = {}
        self._in_trailers = False
        self.done = False

    def feed(self, data: bytes) -> list[bytes]:
        out: list[bytes] = []
        self._buf += data
        while self._buf and not self.done:
            if self._need > 0:
                take = min(self._need, len(self._buf))
                out.append(bytes(self._buf[:take]))
                del self._buf[:take]
                self._need -= take
                if self._need == 0:
                    self._crlf = True
                continue
            if self._crlf:
                if len(self._buf) < 2:
                    break
                if self._buf[:2] != b"\r\n":
                    raise ChunkedError("missing CRLF after chunk data")
                del self._buf[:2]
                self._crlf = False
                self._need = -1
                continue
            nl = self._buf.find(b"\r\n")
            if nl < 0:
                if len(self._buf) > 8192:
                    raise ChunkedError("chunk header too long")
                break
            line = bytes(self._buf[:nl]).decode("latin-1")
            del self._buf[: nl + 2]
            if self._in_trailers:
                if not line:
                    self.done = True
                    break
                name, _, value = line.partition(":")
                self.trailers[name.strip().lower()] = value.strip()
                continue
            size_text = line.split(";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise ChunkedError(f"bad chunk size {size_text!r}") from None
            if size == 0:
                self._in_trailers = True
                continue
            self._need = size
        return out

    def finish(self) -> None:
        if self._in_trailers and not self._buf:
            self.done = True  # some clients end the body right after the trailer lines
        if not self.done:
            raise ChunkedError("aws-chunked body ended early")


async def decode(source: AsyncIterable[bytes], decoder: Decoder) -> AsyncIterator[bytes]:
    async for data in source:
        for piece in decoder.feed(data):
            yield piece
    decoder.finish()
