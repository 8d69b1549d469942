"""A small asyncio HTTP/1.1 server: httptools parses, we stream bodies both ways.

One `Handler` (an async callable `Request -> Response`) serves every connection. Request
bodies are streamed with flow control (reading pauses while the handler lags), responses
may be bytes or an async iterator of bytes (sent chunked unless a length is given).
Keep-alive and pipelining are handled per connection; a handler bug becomes a 500.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterable, Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import parse_qsl, unquote

import httptools

log = logging.getLogger("gureum.http")

MAX_HEADER_BYTES = 64 * 1024
_HIGH_WATER = 1 << 20  # pause reading when this many body bytes are queued
_KEEPALIVE_IDLE = 75.0
# After answering a request whose body is still arriving: stop writing, discard what still
# comes for this long, then close (so the client reads the answer instead of a reset).
_LINGER = 2.0


class Headers:
    """Case-insensitive, ordered, multi-valued header list."""

    __slots__ = ("_items",)

    def __init__(self, items: list[tuple[str, str]] | None = None) -> None:
        self._items: list[tuple[str, str]] = items or []

    def get(self, name: str, default: str | None = None) -> str | None:
        name = name.lower()
        for k, v in self._items:
            if k == name:
                return v
        return default

    def get_all(self, name: str) -> list[str]:
        name = name.lower()
        return [v for k, v in self._items if k == name]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def items(self) -> list[tuple[str, str]]:
        return list(self._items)

    def add(self, name: str, value: str) -> None:
        self._items.append((name.lower(), value))

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


class BodyTooLarge(Exception):
    """The request body exceeded the limit the handler asked for."""


@dataclass(eq=False)
class Request:
    method: str
    raw_path: str  # path as sent, still percent-encoded
    query_string: str
    headers: Headers
    client: tuple[str, int]
    server: tuple[str, int]
    _body: _BodyStream = field(repr=False)
    _cached: bytes | None = field(default=None, repr=False)
    # What the client asked for (HTTP version and Connection header), read while parsing.
    keep_alive: bool = True

    @property
    def path(self) -> str:
        return unquote(self.raw_path)

    @property
    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query_string, keep_blank_values=True)

    def query_dict(self) -> dict[str, str]:
        return dict(self.query)

    @property
    def host(self) -> str:
        return self.headers.get("host", "") or ""

    async def body(self, limit: int | None = None) -> bytes:
        """The whole body (cached); raises BodyTooLarge past `limit` bytes."""
        if self._cached is None:
            chunks = []
            size = 0
            async for chunk in self._body:
                size += len(chunk)
                if limit is not None and size > limit:
                    raise BodyTooLarge(size)
                chunks.append(chunk)
            self._cached = b"".join(chunks)
        return self._cached

    def stream(self) -> AsyncIterable[bytes]:
        """The body as it arrives; use either this or body(), once."""
        if self._cached is not None:
            return _once(self._cached)
        return self._body


async def _once(data: bytes) -> AsyncIterable[bytes]:
    if data:
        yield data


@dataclass
class Response:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | AsyncIterable[bytes] = b""
    # A length for a streamed body (sent as Content-Length instead of chunked).
    content_length: int | None = None

    def header(self, name: str, value: str) -> Response:
        self.headers.append((name, value))
        return self


Handler = Callable[[Request], Awaitable[Response]]


class _BodyStream:
    """Body chunks pushed by the protocol, pulled by the handler, with flow control."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._chunks: list[bytes] = []
        self._queued = 0
        self._done = False
        self._error: Exception | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._paused = False

    def feed(self, data: bytes) -> None:
        self._chunks.append(data)
        self._queued += len(data)
        if self._queued > _HIGH_WATER and not self._paused:
            self._paused = True
            self._transport.pause_reading()
        self._wake()

    def finish(self, error: Exception | None = None) -> None:
        self._done = True
        self._error = error
        self._wake()

    @property
    def complete(self) -> bool:
        return self._done and not self._chunks

    @property
    def arrived(self) -> bool:
        """The whole body has been received (read or not)."""
        return self._done

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def __aiter__(self) -> _BodyStream:
        return self

    async def __anext__(self) -> bytes:
        while not self._chunks:
            if self._done:
                if self._error is not None:
                    raise self._error
                raise StopAsyncIteration
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
            self._waiter = None
        data = b"".join(self._chunks) if len(self._chunks) > 1 else self._chunks[0]
        self._chunks.clear()
        self._queued = 0
        if self._paused:
            self._paused = False
            self._transport.resume_reading()
        return data


class _Connection(asyncio.Protocol):
    def __init__(self, handler: Handler, tasks: set[asyncio.Task[None]], conns: set[_Connection]) -> None:
        self._handler = handler
        self._tasks = tasks
        self._conns = conns
        self.draining = False
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._pending: list[Request] = []
        self._current: Request | None = None
        self._parsing: Request | None = None  # the request whose body is arriving
        self._url = b""
        self._headers: list[tuple[str, str]] = []
        self._header_bytes = 0
        self._worker: asyncio.Task[None] | None = None
        self._wakeup: asyncio.Event = asyncio.Event()
        self._closed = False
        self._lingering = False
        self._idle: asyncio.TimerHandle | None = None
        self._can_write = asyncio.Event()
        self._can_write.set()
        self._peer: tuple[str, int] = ("", 0)
        self._sock: tuple[str, int] = ("", 0)

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._conns.add(self)
        peer = transport.get_extra_info("peername") or ("", 0)
        sock = transport.get_extra_info("sockname") or ("", 0)
        self._peer = (peer[0], peer[1]) if isinstance(peer, tuple) else ("", 0)
        self._sock = (sock[0], sock[1]) if isinstance(sock, tuple) else ("", 0)
        sockobj = transport.get_extra_info("socket")
        if sockobj is not None:
            import socket

            try:
                sockobj.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        self._worker = asyncio.get_running_loop().create_task(self._serve())
        self._tasks.add(self._worker)
        self._worker.add_done_callback(self._tasks.discard)
        self._arm_idle()

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return  # the rest of a body we answered without reading
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(400, b"upgrade not supported")
        except httptools.HttpParserError:
            self._fail(400, b"malformed request")

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._conns.discard(self)
        if self._current is not None:
            self._current._body.finish(ConnectionError("client disconnected"))
        for req in self._pending:
            req._body.finish(ConnectionError("client disconnected"))
        self._can_write.set()
        self._wakeup.set()
        if self._idle is not None:
            self._idle.cancel()

    def pause_writing(self) -> None:
        self._can_write.clear()

    def resume_writing(self) -> None:
        self._can_write.set()

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = []
        self._header_bytes = 0

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value)
        if self._header_bytes > MAX_HEADER_BYTES:
            raise httptools.HttpParserError("headers too large")
        self._headers.append((name.decode("latin-1").lower(), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        assert self._transport is not None
        url = self._url.decode("latin-1")
        path, _, query = url.partition("?")
        if "://" in path:  # absolute-form request target
            path = "/" + path.split("://", 1)[1].partition("/")[2]
        req = Request(
            method=self._parser.get_method().decode("ascii"),
            raw_path=path or "/",
            query_string=query,
            headers=Headers(self._headers),
            client=self._peer,
            server=self._sock,
            _body=_BodyStream(self._transport),
            keep_alive=self._parser.should_keep_alive(),
        )
        if req.headers.get("expect", "").lower() == "100-continue":
            self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self._pending.append(req)
        self._parsing = req
        self._wakeup.set()

    def on_body(self, body: bytes) -> None:
        # Not self._pending[-1]: the worker may already have taken the request off the queue.
        assert self._parsing is not None
        self._parsing._body.feed(body)

    def on_message_complete(self) -> None:
        assert self._parsing is not None
        self._parsing._body.finish()
        self._parsing = None

    # serving
    def _fail(self, status: int, message: bytes) -> None:
        if self._transport is not None and not self._closed:
            self._transport.write(
                b"HTTP/1.1 %d %s\r\ncontent-length: %d\r\nconnection: close\r\n\r\n%s"
                % (status, HTTPStatus(status).phrase.encode(), len(message), message)
            )
            self._transport.close()
        self._closed = True
        self._wakeup.set()

    def _arm_idle(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
        loop = asyncio.get_running_loop()
        self._idle = loop.call_later(_KEEPALIVE_IDLE, self._idle_timeout)

    def _linger_close(self) -> None:
        assert self._transport is not None
        transport = self._transport
        self._lingering = True
        try:
            transport.resume_reading()
            transport.write_eof()
        except (OSError, RuntimeError, NotImplementedError):
            transport.close()
            return
        if self._idle is not None:
            self._idle.cancel()
        self._idle = asyncio.get_running_loop().call_later(_LINGER, transport.close)

    def drain(self) -> None:
        """Finish the request in flight (if any), then close."""
        self.draining = True
        if self._current is None and not self._pending and self._transport is not None:
            self._transport.close()

    def _idle_timeout(self) -> None:
        if self._current is None and not self._pending and self._transport is not None:
            self._transport.close()

    async def _serve(self) -> None:
        while not self._closed:
            if not self._pending:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            req = self._pending.pop(0)
            self._current = req
            if self._idle is not None:
                self._idle.cancel()
            keep_alive = await self._respond(req)
            self._current = None
            if not keep_alive:
                if self._transport is not None:
                    if req._body.arrived or self._closed:
                        self._transport.close()
                    else:
                        self._linger_close()
                return
            self._arm_idle()

    async def _respond(self, req: Request) -> bool:
        assert self._transport is not None
        try:
            resp = await self._handler(req)
        except asyncio.CancelledError:
            raise
        except ConnectionError:
            return False
        except Exception:
            log.exception("unhandled error serving %s %s", req.method, req.raw_path)
            resp = Response(500, [("content-type", "text/plain")], b"internal error")
        keep_alive = req.keep_alive and not self._closed and not self.draining
        if not req._body.complete and req._cached is None and not req._body.arrived:
            # The handler answered without reading a body still on its way (e.g. a request
            # refused unsigned): answer now and close, never wait for (or read) the rest.
            keep_alive = False
        # Drain whatever the handler did not read, so the next request parses cleanly.
        elif not req._body.complete and req._cached is None:
            try:
                async for _ in req._body:
                    pass
            except ConnectionError:
                return False
        await self._write_response(req, resp, keep_alive)
        return keep_alive and not self._closed

    async def _write_response(self, req: Request, resp: Response, keep_alive: bool) -> None:
        assert self._transport is not None
        lines = [b"HTTP/1.1 %d %s\r\n" % (resp.status, _reason(resp.status))]
        has_length = False
        for name, value in resp.headers:
            if name.lower() == "content-length":
                has_length = True
            lines.append(f"{name}: {value}\r\n".encode("latin-1"))
        no_body = req.method == "HEAD" or resp.status in (204, 304) or 100 <= resp.status < 200
        body = resp.body
        chunked = False
        if isinstance(body, (bytes, bytearray, memoryview)):
            if not has_length and resp.status not in (204, 304):
                lines.append(b"content-length: %d\r\n" % len(body))
        elif resp.content_length is not None:
            if not has_length:
                lines.append(b"content-length: %d\r\n" % resp.content_length)
        elif not has_length and not no_body:
            chunked = True
            lines.append(b"transfer-encoding: chunked\r\n")
        if not keep_alive:
            lines.append(b"connection: close\r\n")
        lines.append(b"\r\n")
        if isinstance(body, (bytes, bytearray, memoryview)):
            if not no_body:
                lines.append(bytes(body))
            self._transport.write(b"".join(lines))
            return
        self._transport.write(b"".join(lines))
        if no_body:
            aclose = getattr(body, "aclose", None)
            if aclose is not None:
                await aclose()
            return
        async for chunk in body:
            if self._closed:
                break
            if not chunk:
                continue
            if chunked:
                self._transport.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            else:
                self._transport.write(chunk)
            if not self._can_write.is_set():
                await self._can_write.wait()
        if chunked and not self._closed:
            self._transport.write(b"0\r\n\r\n")


_REASONS: dict[int, bytes] = {}


def _reason(status: int) -> bytes:
    phrase = _REASONS.get(status)
    if phrase is None:
        try:
            phrase = HTTPStatus(status).phrase.encode()
        except ValueError:
            phrase = b"Unknown"
        _REASONS[status] = phrase
    return phrase


class HttpServer:
    """Owns the listening socket and the connection workers."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._tasks: set[asyncio.Task[None]] = set()
        self._conns: set[_Connection] = set()
        self._server: asyncio.base_events.Server | None = None

    async def start(self, host: str, port: int, sock: object | None = None) -> tuple[str, int]:
        loop = asyncio.get_running_loop()
        factory = lambda: _Connection(self._handler, self._tasks, self._conns)  # noqa: E731
        if sock is not None:
            self._server = await loop.create_server(factory, sock=sock, backlog=1024)
        else:
            self._server = await loop.create_server(
                factory, host, port, reuse_address=True, backlog=1024
            )
        addr = self._server.sockets[0].getsockname()
        return addr[0], addr[1]

    async def stop(self, grace: float = 5.0) -> None:
        """Stop accepting, give in-flight requests `grace` seconds, then cancel them."""
        if self._server is not None:
            self._server.close()
        for conn in list(self._conns):
            conn.drain()
        tasks = [t for t in self._tasks if not t.done()]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace)
            for t in pending:
                t.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
