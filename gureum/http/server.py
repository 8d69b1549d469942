"""A small asyncio HTTP/1.1 server: httptools parses, we stream bodies both ways.

One `Handler` (an async callable `Request -> Response`) serves every connection. Request
bodies are streamed with flow control (reading pauses while the handler lags), responses
may be bytes, an async iterator of bytes (sent chunked unless a length is given), or a
`FileBody` (a range of an open file, sent with zero-copy `sendfile`).
Keep-alive and pipelining are handled per connection; a handler bug becomes a 500.
A request asking for a protocol upgrade (`Upgrade:`, e.g. WebSocket) goes to the handler like
any other; a 101 response carrying `upgrade` hands the connection over: the callable gets the
transport and the bytes already received past the request, and its `Upgraded` receives every
later byte (HTTP parsing, keep-alive and the request deadlines end there). Any other answer to
an upgrade request closes the connection after it.

Hostile clients meet the limits of `gureum.http.limits.HttpLimits` (settings `http.*`):
request-line and header-section caps (414 / 431), a header deadline and a minimum body rate
and total inbound deadline per request (408 or close), bounded pipelining and unsent output
(reading pauses, so unread responses cannot grow memory), and connection caps per client
address and in total, enforced by `gureum.http.accept.Acceptor` before a connection costs
anything. Reading is paused for several reasons at once (`_Connection._pause`); deadlines
only count time the server is waiting for the client.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterable, Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import BinaryIO, Protocol, overload
from urllib.parse import parse_qsl, unquote

import httptools

from gureum.http.accept import Acceptor, quiet_accept_errors
from gureum.http.limits import HttpLimits

log = logging.getLogger("gureum.http")

_HIGH_WATER = 1 << 20  # pause reading when this many body bytes are queued
# After answering a request whose body is still arriving: stop writing, discard what still
# comes for this long, then close (so the client reads the answer instead of a reset).
_LINGER = 2.0


class Headers:
    """Case-insensitive, ordered, multi-valued header list."""

    __slots__ = ("_items",)

    def __init__(self, items: list[tuple[str, str]] | None = None) -> None:
        self._items: list[tuple[str, str]] = items or []

    @overload
    def get(self, name: str) -> str | None: ...
    @overload
    def get(self, name: str, default: str) -> str: ...
    @overload
    def get(self, name: str, default: str | None) -> str | None: ...

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of header `name` (any case), else `default`."""
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
    # The path the client signed, when a front door hands the request on under another path
    # (API Gateway's `<stage>/@connections/...` answered as `/@connections/...`); SigV4 checks this.
    signed_path: str | None = None

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


class Upgraded(Protocol):
    """The new owner of an upgraded connection (see the module docstring)."""

    def data_received(self, data: bytes) -> None: ...

    def connection_lost(self, exc: Exception | None) -> None: ...


@dataclass(eq=False)
class FileBody:
    """A response body of `count` bytes of `file` from `offset`, sent by the kernel
    (`loop.sendfile`: `sendfile(2)` on plain sockets, a buffered copy otherwise) with a
    Content-Length. The server owns the file: it closes it once sent, or when the response
    is not sent (HEAD, a closed connection). `count` must not exceed what the file holds
    past `offset` (the client was promised that many bytes)."""

    file: BinaryIO
    offset: int
    count: int

    def close(self) -> None:
        self.file.close()


@dataclass
class Response:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | AsyncIterable[bytes] | FileBody = b""
    # A length for a streamed body (sent as Content-Length instead of chunked).
    content_length: int | None = None
    # With status 101 to an upgrade request: takes the connection over (transport, bytes
    # received past the request) once the response is written.
    upgrade: Callable[[asyncio.Transport, bytes], Upgraded] | None = None

    def header(self, name: str, value: str) -> Response:
        self.headers.append((name, value))
        return self


Handler = Callable[[Request], Awaitable[Response]]


class _BodyStream:
    """Body chunks pushed by the protocol, pulled by the handler, with flow control."""

    def __init__(self, pause: Callable[[], None], resume: Callable[[], None]) -> None:
        self._pause_reading = pause
        self._resume_reading = resume
        self._chunks: deque[bytes] = deque()
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
            self._pause_reading()
        self._wake()

    def finish(self, error: Exception | None = None) -> None:
        if self._done:
            return
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
        # One chunk as it arrived (no join: a large upload is not copied once more here).
        data = self._chunks.popleft()
        self._queued -= len(data)
        if self._paused and not self._chunks:
            self._paused = False
            self._resume_reading()
        return data


class _Reject(Exception):
    """Raised from a parser callback: answer `status` and close."""

    def __init__(self, status: int, message: bytes) -> None:
        super().__init__(status)
        self.status = status
        self.message = message


class _Connection(asyncio.Protocol):
    def __init__(self, server: HttpServer, address: str) -> None:
        self._server = server
        self._limits = server.limits
        self._handler = server.handler
        self.address = address
        self.draining = False
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._pending: list[Request] = []
        self._current: Request | None = None
        self._parsing: Request | None = None  # the request whose body is arriving
        self._url = bytearray()
        self._headers: list[tuple[str, str]] = []
        self._header_bytes = 0
        self._worker: asyncio.Task[None] | None = None
        self._wakeup: asyncio.Event = asyncio.Event()
        self._closed = False
        self._lingering = False
        self._rejecting = False  # an error response is queued: ignore further input
        self._eof = False  # the client half-closed: answer what arrived whole, then close
        self._error_response: bytes | None = None
        self._idle: asyncio.TimerHandle | None = None
        self._can_write = asyncio.Event()
        self._can_write.set()
        self._peer: tuple[str, int] = ("", 0)
        self._sock: tuple[str, int] = ("", 0)
        # Why reading is paused (body backlog, unsent output, pipelined backlog, error).
        self._paused: set[str] = set()
        self._paused_since_check = False
        # The request being received: its inbound deadlines (see _check).
        self._receiving = False
        self._headers_done = False
        self._inbound = 0.0  # seconds spent waiting for this request's bytes
        self._last_check = 0.0
        self._window_start = 0.0
        self._window_bytes = 0
        self._watch: asyncio.TimerHandle | None = None
        self._upgrade_rest: bytes | None = None  # an upgrade request's following bytes
        self._upgraded: Upgraded | None = None  # who owns the connection after a 101

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        transport.set_write_buffer_limits(high=self._limits.write_buffer)
        self._server._added(self)
        peer = transport.get_extra_info("peername") or ("", 0)
        sock = transport.get_extra_info("socket")
        name = transport.get_extra_info("sockname") or ("", 0)
        self._peer = (peer[0], peer[1]) if isinstance(peer, tuple) else ("", 0)
        self._sock = (name[0], name[1]) if isinstance(name, tuple) else ("", 0)
        if sock is not None:
            import socket

            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        self._worker = asyncio.get_running_loop().create_task(self._serve())
        self._server._tasks.add(self._worker)
        self._worker.add_done_callback(self._server._tasks.discard)
        self._arm_idle()

    def data_received(self, data: bytes) -> None:
        if self._upgraded is not None:
            self._upgraded.data_received(data)
            return
        if self._upgrade_rest is not None:  # the handler is answering the upgrade request
            self._upgrade_rest += data
            return
        if self._lingering:
            return  # the rest of a body we answered without reading
        if self._rejecting or self._closed:
            return
        self._window_bytes += len(data)
        try:
            self._parser.feed_data(data)
        except _Reject as exc:
            self._fail(exc.status, exc.message)
        except httptools.HttpParserUpgrade as exc:
            offset = exc.args[0] if exc.args and isinstance(exc.args[0], int) else len(data)
            self._upgrade_rest = data[offset:]
            self._pause("upgrade")
        except httptools.HttpParserCallbackError as exc:
            cause = exc.__context__ or exc.__cause__
            if isinstance(cause, _Reject):
                self._fail(cause.status, cause.message)
            else:
                raise
        except httptools.HttpParserError:
            self._fail(400, b"malformed request")

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._server._removed(self)
        if self._upgraded is not None:
            self._upgraded.connection_lost(exc)
        if self._current is not None:
            self._current._body.finish(ConnectionError("client disconnected"))
        for req in self._pending:
            req._body.finish(ConnectionError("client disconnected"))
        if self._parsing is not None:
            self._parsing._body.finish(ConnectionError("client disconnected"))
        self._can_write.set()
        self._wakeup.set()
        for timer in (self._idle, self._watch):
            if timer is not None:
                timer.cancel()

    def eof_received(self) -> bool:
        """The client sent all it will (half-close): a request cut short is dropped, those
        received whole are still answered, then the connection closes."""
        if self._upgraded is not None:
            return False  # the transport closes: the upgraded protocol hears connection_lost
        self._eof = True
        self._receiving = False
        if self._parsing is not None:
            self._parsing._body.finish(ConnectionError("request truncated by the client"))
            if self._parsing in self._pending:
                self._pending.remove(self._parsing)
            self._parsing = None
        self._wakeup.set()
        return True

    def pause_writing(self) -> None:
        self._can_write.clear()
        self._pause("write")

    def resume_writing(self) -> None:
        self._can_write.set()
        self._resume("write")

    # reading, paused for any of several reasons
    def _pause(self, reason: str) -> None:
        if not self._paused and self._transport is not None and not self._closed:
            self._transport.pause_reading()
        self._paused.add(reason)
        self._paused_since_check = True

    def _resume(self, reason: str) -> None:
        if reason not in self._paused:
            return
        self._paused.discard(reason)
        if not self._paused and self._transport is not None and not self._closed:
            self._transport.resume_reading()

    @property
    def idle(self) -> bool:
        """Between requests: closing it loses nothing."""
        return (self._current is None and not self._pending and not self._receiving
                and not self._rejecting and not self._closed and self._upgraded is None)

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._url = bytearray()
        self._headers = []
        self._header_bytes = 0
        self._receiving = True
        self._headers_done = False
        self._inbound = 0.0
        now = asyncio.get_running_loop().time()
        self._last_check = self._window_start = now
        self._window_bytes = 0
        self._paused_since_check = bool(self._paused)
        if self._watch is None:
            self._watch = asyncio.get_running_loop().call_later(self._limits.tick, self._check)

    def on_url(self, url: bytes) -> None:
        self._url += url
        if len(self._url) > self._limits.max_request_line:
            raise _Reject(414, b"request line too long")

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value) + 4
        if self._header_bytes > self._limits.max_header_bytes:
            raise _Reject(431, b"request header fields too large")
        self._headers.append((name.decode("latin-1").lower(), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        assert self._transport is not None
        self._headers_done = True
        url = self._url.decode("latin-1")
        path, _, query = url.partition("?")
        if "://" in path:  # absolute-form request target
            path = "/" + path.split("://", 1)[1].partition("/")[2]
        body = _BodyStream(lambda: self._pause("body"), lambda: self._resume("body"))
        req = Request(
            method=self._parser.get_method().decode("ascii"),
            raw_path=path or "/",
            query_string=query,
            headers=Headers(self._headers),
            client=self._peer,
            server=self._sock,
            _body=body,
            keep_alive=self._parser.should_keep_alive(),
        )
        if (req.headers.get("expect") or "").lower() == "100-continue":
            self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self._pending.append(req)
        if len(self._pending) >= self._limits.max_pipelined:
            self._pause("pipeline")
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
        self._receiving = False

    # deadlines of the request being received
    def _check(self) -> None:
        self._watch = None
        if self._closed or not self._receiving:
            return
        limits = self._limits
        now = asyncio.get_running_loop().time()
        if self._paused or self._paused_since_check:
            # The server held the client back: this interval is not the client's.
            self._paused_since_check = bool(self._paused)
            self._window_start = now
            self._window_bytes = 0
        else:
            self._inbound += now - self._last_check
            if not self._headers_done and self._inbound >= limits.header_timeout:
                self._fail(408, b"request headers not received in time")
                return
            if self._inbound >= limits.request_timeout:
                self._fail(408, b"request not received in time")
                return
            window = now - self._window_start
            if self._headers_done and window >= limits.body_rate_window:
                if self._window_bytes < limits.body_min_rate * window:
                    self._fail(408, b"request body too slow")
                    return
                self._window_start = now
                self._window_bytes = 0
        self._last_check = now
        self._watch = asyncio.get_running_loop().call_later(limits.tick, self._check)

    # serving
    def _fail(self, status: int, message: bytes) -> None:
        """Answer `status` once the requests before this one are answered, then close."""
        if self._closed or self._rejecting:
            return
        self._rejecting = True
        self._receiving = False
        self._pause("error")
        if self._parsing is not None:
            self._parsing._body.finish(ConnectionError(f"request rejected: {status}"))
            if self._parsing in self._pending:
                self._pending.remove(self._parsing)
            self._parsing = None
        self._error_response = b"HTTP/1.1 %d %s\r\ncontent-length: %d\r\nconnection: close\r\n\r\n%s" % (
            status, _reason(status), len(message), message,
        )
        self._wakeup.set()

    def _arm_idle(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
        loop = asyncio.get_running_loop()
        self._idle = loop.call_later(self._limits.keepalive_timeout, self._idle_timeout)

    def close(self) -> None:
        self._rejecting = True  # no longer idle, so not picked to be closed again
        if self._transport is not None:
            self._transport.close()

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
        if self.idle and self._transport is not None:
            self._transport.close()

    async def _serve(self) -> None:
        while not self._closed:
            if not self._pending:
                if self._error_response is not None or self._eof:
                    if self._transport is not None:
                        if self._error_response is not None:
                            self._transport.write(self._error_response)
                        self._transport.close()
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            if not self._can_write.is_set():
                # The client is not reading its answers: serve no more until it does.
                await self._can_write.wait()
                continue
            req = self._pending.pop(0)
            if len(self._pending) < self._limits.max_pipelined:
                self._resume("pipeline")
            self._current = req
            if self._idle is not None:
                self._idle.cancel()
            keep_alive = await self._respond(req)
            self._current = None
            if self._upgraded is not None:
                return  # the connection is the upgraded protocol's now
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
        if self._upgrade_rest is not None:
            return await self._answer_upgrade(req, resp)
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
                if isinstance(resp.body, FileBody):
                    resp.body.close()
                return False
        await self._write_response(req, resp, keep_alive)
        return keep_alive and not self._closed

    async def _answer_upgrade(self, req: Request, resp: Response) -> bool:
        """Answer an upgrade request: hand the connection over on a 101 with `upgrade`, else
        answer and close (the parser is past HTTP on this connection)."""
        assert self._transport is not None
        rest, self._upgrade_rest = self._upgrade_rest or b"", None
        if resp.status != 101 or resp.upgrade is None or self._closed:
            if resp.status == 101:
                resp = Response(500, [("content-type", "text/plain")], b"internal error")
            await self._write_response(req, resp, False)
            return False
        await self._write_response(req, resp, True)
        for timer in (self._idle, self._watch):
            if timer is not None:
                timer.cancel()
        self._idle = self._watch = None
        self._receiving = False
        self._upgraded = resp.upgrade(self._transport, rest)
        self._paused.clear()
        self._transport.resume_reading()
        return True

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
            if not has_length and resp.status not in (204, 304) and resp.status >= 200:
                lines.append(b"content-length: %d\r\n" % len(body))
        elif isinstance(body, FileBody):
            if not has_length:
                lines.append(b"content-length: %d\r\n" % body.count)
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
        if isinstance(body, FileBody):
            await self._send_file(body, no_body)
            return
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


    async def _send_file(self, body: FileBody, no_body: bool) -> None:
        """Send a FileBody after its headers; a client gone mid-way closes the connection."""
        assert self._transport is not None
        try:
            if no_body or self._closed or body.count <= 0:
                return
            await asyncio.get_running_loop().sendfile(self._transport, body.file, body.offset, body.count)
        except (ConnectionError, OSError, RuntimeError) as exc:  # RuntimeError: transport closing
            log.debug("file body not sent whole: %s", exc)
            self._transport.close()
        finally:
            body.close()


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
    """Owns the listening socket (through an Acceptor), the connections and their workers."""

    def __init__(self, handler: Handler, limits: HttpLimits | None = None,
                 on_connection: Callable[[], None] | None = None) -> None:
        self.handler = handler
        self.limits = limits or HttpLimits()
        self.on_connection = on_connection  # called once per accepted connection (a load balancer's meter)
        self._tasks: set[asyncio.Task[None]] = set()
        self._conns: set[_Connection] = set()
        self._by_address: dict[str, set[_Connection]] = {}
        self._acceptor: Acceptor | None = None

    async def start(self, host: str, port: int, sock: object | None = None) -> tuple[str, int]:
        import socket

        loop = asyncio.get_running_loop()
        quiet_accept_errors(loop)
        if sock is None:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            lsock = socket.socket(family, socket.SOCK_STREAM)
            try:
                lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                lsock.bind((host, port))
                lsock.listen(1024)
            except BaseException:
                lsock.close()
                raise
        else:
            assert isinstance(sock, socket.socket)
            lsock = sock
            lsock.listen(1024)
        self._acceptor = Acceptor(
            lsock,
            lambda address: _Connection(self, address),
            per_client=self.limits.max_connections_per_client,
            total=self.limits.max_connections,
            name="http",
            evict=self._evict,
        )
        self._acceptor.start()
        addr = lsock.getsockname()
        return addr[0], addr[1]

    def _added(self, conn: _Connection) -> None:
        if self.on_connection is not None:
            self.on_connection()
        self._conns.add(conn)
        self._by_address.setdefault(conn.address, set()).add(conn)

    def _removed(self, conn: _Connection) -> None:
        if conn in self._conns:
            self._conns.discard(conn)
            same = self._by_address.get(conn.address)
            if same is not None:
                same.discard(conn)
                if not same:
                    del self._by_address[conn.address]
            if self._acceptor is not None:
                self._acceptor.released(conn.address)

    def _evict(self, address: str | None) -> bool:
        """Close the oldest idle connection (of `address`, or of anyone) to admit a new one."""
        candidates = self._conns if address is None else self._by_address.get(address, set())
        for conn in candidates:
            if conn.idle and not conn.draining:
                conn.close()
                return True
        return False

    async def stop(self, grace: float = 5.0) -> None:
        """Stop accepting, give in-flight requests `grace` seconds, then cancel them."""
        if self._acceptor is not None:
            await self._acceptor.close()
        for conn in list(self._conns):
            conn.drain()
        tasks = [t for t in self._tasks if not t.done()]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace)
            for t in pending:
                t.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
