"""The Lambda Runtime API (2018-06-01) one execution environment talks to.

`RuntimeApi` is the environment's invocation state, with no I/O: at most one invocation in
flight, handed out on `GET /runtime/invocation/next` (a long poll: the poller is parked
until `submit()`), finished by `POST .../response` or `POST .../error`;
`POST /runtime/init/error` reports a failed init.

Response streaming: a response POSTed with `Lambda-Runtime-Function-Response-Mode:
streaming` (chunked) is passed on chunk by chunk to the invocation's `ResponseStream` when
it has one (InvokeWithResponseStream), else buffered as any response (Invoke of a streaming
function answers the whole body, up to 6 MB). An error after streaming began comes in the
trailers `Lambda-Runtime-Function-Error-Type` and `Lambda-Runtime-Function-Error-Body`
(base64). A streamed response may reach MAX_STREAM_BYTES.

`RuntimeApiProtocol` is its HTTP/1.1 adapter (httptools parses): each request is answered
synchronously from the parser's callbacks, a parked poll is answered from inside
`submit()`, every response goes out in one write with Nagle disabled. The 202 accepting an
invocation's response (or error) is written right after the current loop step, so that the
invoke waiting for it answers its caller first (the runtime waits on it only to poll again). No task per request
or connection: an invoke costs the event loop no more wake-ups than the bytes themselves,
and AWS's runtime interface clients (awslambdaric, ...) work unmodified.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import httptools

PREFIX = "/2018-06-01"
MAX_RESPONSE_BYTES = 6 * 1024 * 1024  # AWS: 6 MB synchronous response
MAX_STREAM_BYTES = 20 * 1024 * 1024  # AWS: a streamed response's default maximum (20 MB)
_STREAMING = b"streaming"
_ERROR_BODY_LIMIT = 1024 * 1024
_WANTED_LENGTHS = frozenset((len(b"expect"), len(b"lambda-runtime-function-error-type"), len(b"content-type"),
                             len(b"lambda-runtime-function-response-mode")))
_MAX_HEADER_BYTES = 64 * 1024
_ACCEPTED = b'{"status":"OK"}'
_TOO_LARGE = json.dumps(
    {
        "errorMessage": f"Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
    }
).encode()


class ResponseStream:
    """Where a streamed response goes as the runtime sends it: `started` resolves with the
    content type when the runtime begins streaming; `chunks()` yields the body's pieces until
    `close()` (called once the invocation has ended, whatever its outcome)."""

    def __init__(self) -> None:
        self.started: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        self.size = 0

    def begin(self, content_type: str) -> None:
        if not self.started.done():
            self.started.set_result(content_type or "application/octet-stream")

    def feed(self, data: bytes) -> None:
        self.size += len(data)
        self._queue.put_nowait(data)

    def close(self) -> None:
        self._queue.put_nowait(None)

    async def chunks(self) -> AsyncIterator[bytes]:
        while True:
            data = await self._queue.get()
            if data is None:
                return
            yield data


@dataclass
class Invocation:
    request_id: str
    payload: bytes
    deadline_ms: int  # epoch milliseconds
    function_arn: str
    trace_id: str = ""
    client_context: str | None = None  # JSON text
    cognito_identity: str | None = None
    stream: ResponseStream | None = None  # InvokeWithResponseStream: where a streamed response goes
    # Set by the runtime's answer:
    done: asyncio.Future[Outcome] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


@dataclass(frozen=True)
class Outcome:
    """How an invocation ended, as the runtime reported it."""

    payload: bytes
    error_type: str | None = None  # None: success; else the function error's type


class InitError(Exception):
    def __init__(self, payload: bytes, error_type: str) -> None:
        super().__init__(error_type)
        self.payload = payload
        self.error_type = error_type


Poller = Callable[["Invocation"], None]


class RuntimeApi:
    """Invocation state of one environment (no I/O besides futures)."""

    def __init__(self) -> None:
        self._queued: Invocation | None = None
        self.current: Invocation | None = None
        self._poller: Poller | None = None
        # Resolved on the first GET next (init finished) or an init error.
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # Called when the runtime parks a poll with nothing to hand out (it is idle).
        self.on_park: Callable[[], None] | None = None

    @property
    def parked(self) -> bool:
        """Whether the runtime is waiting on GET next with nothing queued."""
        return self._poller is not None

    # --- the environment's side ----------------------------------------------------
    def submit(self, inv: Invocation) -> None:
        """Hand `inv` to the runtime: to its parked poll now, or on its next poll."""
        assert self._queued is None and self.current is None, "environment is busy"
        poller, self._poller = self._poller, None
        if poller is not None:
            self.current = inv
            poller(inv)
        else:
            self._queued = inv

    def finish_current(self) -> None:
        self.current = None

    # --- the runtime's side --------------------------------------------------------
    def poll(self, poller: Poller) -> Invocation | None:
        """GET next: the queued invocation, or None after parking `poller` until submit()."""
        if not self.ready.done():
            self.ready.set_result(None)
        prev = self.current
        if prev is not None and not prev.done.done():
            # The runtime asked for more work without answering: AWS treats the previous
            # invocation as finished with no response.
            prev.done.set_result(Outcome(b"null"))
        if self._queued is not None:
            inv, self._queued = self._queued, None
            self.current = inv
            return inv
        self._poller = poller
        if self.on_park is not None:
            self.on_park()
        return None

    def unpark(self, poller: Poller) -> None:
        if self._poller is poller:
            self._poller = None

    async def next(self) -> Invocation:
        """poll() as a coroutine (for callers that are not an HTTP connection)."""
        fut: asyncio.Future[Invocation] = asyncio.get_running_loop().create_future()
        inv = self.poll(fut.set_result)
        return inv if inv is not None else await fut

    def respond(self, request_id: str, body: bytes) -> None:
        inv = self._lookup(request_id)
        if not inv.done.done():
            inv.done.set_result(Outcome(body))

    def fail(self, request_id: str, body: bytes, error_type: str) -> None:
        inv = self._lookup(request_id)
        if not inv.done.done():
            inv.done.set_result(Outcome(body, error_type or "Unhandled"))

    def init_failed(self, body: bytes, error_type: str) -> None:
        if not self.ready.done():
            self.ready.set_exception(InitError(body, error_type or "Runtime.Unknown"))

    def _lookup(self, request_id: str) -> Invocation:
        inv = self.current
        if inv is None or inv.request_id != request_id:
            raise KeyError(request_id)
        return inv


def _response(status: int, reason: bytes, body: bytes, headers: list[tuple[str, str]] | None = None, close: bool = False) -> bytes:
    head = [b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n" % (status, reason, len(body))]
    for k, v in headers or ():
        head.append(f"{k}: {v}\r\n".encode("latin-1"))
    if close:
        head.append(b"connection: close\r\n")
    head.append(b"\r\n")
    head.append(body)
    return b"".join(head)


_ACCEPTED_RESPONSE = _response(202, b"Accepted", _ACCEPTED)


def _error(status: int, reason: bytes, error_type: str, message: str, close: bool) -> bytes:
    return _response(status, reason, json.dumps({"errorMessage": message, "errorType": error_type}).encode(), close=close)


class RuntimeApiProtocol(asyncio.Protocol):
    """One runtime connection: requests answered from the parser callbacks."""

    def __init__(self, api: RuntimeApi, connections: set[RuntimeApiProtocol]) -> None:
        self.api = api
        self._connections = connections
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._url = b""
        self._headers: dict[bytes, bytes] = {}
        self._header_bytes = 0
        self._body: list[bytes] = []
        self._size = 0
        self._limit = _ERROR_BODY_LIMIT
        self._keep_alive = True
        self._ack: tuple[bytes, bool] | None = None  # a 202 not yet written (see _ack_later)
        self._streaming = False  # this request is a streamed response
        self._stream_to: ResponseStream | None = None  # ... passed on to this invocation's stream

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._connections.add(self)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except (httptools.HttpParserError, httptools.HttpParserUpgrade):
            self._write(_error(400, b"Bad Request", "InvalidRequest", "malformed request", True), close=True)

    def connection_lost(self, exc: Exception | None) -> None:
        self.api.unpark(self._deliver)
        self._connections.discard(self)
        self._transport = None

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = {}
        self._header_bytes = 0
        self._body = []
        self._size = 0
        self._streaming = False
        self._stream_to = None

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value)
        if self._header_bytes > _MAX_HEADER_BYTES:
            raise httptools.HttpParserError("headers too large")
        if len(name) in _WANTED_LENGTHS:  # only Expect, Content-Type and Lambda-Runtime-Function-* are read
            self._headers[name.lower()] = value

    def on_headers_complete(self) -> None:
        self._keep_alive = self._parser.should_keep_alive()
        self._limit = MAX_RESPONSE_BYTES if self._url.endswith(b"/response") else _ERROR_BODY_LIMIT
        if self._url.endswith(b"/response") and self._headers.get(b"lambda-runtime-function-response-mode", b"").lower() == _STREAMING:
            self._streaming = True
            current = self.api.current
            request_id = self._url.rsplit(b"/", 2)[-2].decode("latin-1")
            if current is not None and current.request_id == request_id and current.stream is not None:
                self._stream_to = current.stream
                self._limit = MAX_STREAM_BYTES
                current.stream.begin(self._headers.get(b"content-type", b"").decode("latin-1"))
        if self._headers.get(b"expect", b"").lower() == b"100-continue" and self._transport is not None:
            self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        if self._size <= self._limit:
            if self._stream_to is not None:
                self._stream_to.feed(body)
            else:
                self._body.append(body)

    def on_message_complete(self) -> None:
        close = not self._keep_alive
        try:
            out = self._dispatch(self._parser.get_method(), self._url.split(b"?", 1)[0].decode("latin-1"), close)
        except Exception as exc:  # a bug here must not kill the connection silently
            out = _error(500, b"Internal Server Error", "ServiceException", str(exc), close)
        if out is not None:
            self._write(out, close)

    # serving
    def _write(self, data: bytes, close: bool = False) -> None:
        if self._ack is not None:
            self._flush_ack()
        if self._transport is None or self._transport.is_closing():
            return
        self._transport.write(data)
        if close:
            self._transport.close()

    def _ack_later(self, close: bool) -> None:
        """Accept a response or error after the current loop step: the invoke waiting for
        it resumes (and answers its caller) first; the runtime is not waiting on it for
        anything but its next poll. Anything else written on this connection first
        writes the acknowledgement, so responses stay in order."""
        if self._ack is not None:
            self._flush_ack()
        self._ack = (_ACCEPTED_RESPONSE if not close else _response(202, b"Accepted", _ACCEPTED, close=True), close)
        asyncio.get_running_loop().call_soon(self._flush_ack)

    def _flush_ack(self) -> None:
        ack, self._ack = self._ack, None
        if ack is not None:
            self._write(*ack)

    def _deliver(self, inv: Invocation) -> None:
        """Answer the parked GET next with `inv`."""
        self._write(self._next_response(inv, not self._keep_alive), not self._keep_alive)

    @staticmethod
    def _next_response(inv: Invocation, close: bool) -> bytes:
        head = (
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
            "Lambda-Runtime-Aws-Request-Id: %s\r\nLambda-Runtime-Deadline-Ms: %d\r\n"
            "Lambda-Runtime-Invoked-Function-Arn: %s\r\nLambda-Runtime-Trace-Id: %s\r\n"
        ) % (len(inv.payload), inv.request_id, inv.deadline_ms, inv.function_arn, inv.trace_id)
        if inv.client_context is not None:
            head += f"Lambda-Runtime-Client-Context: {inv.client_context}\r\n"
        if inv.cognito_identity is not None:
            head += f"Lambda-Runtime-Cognito-Identity: {inv.cognito_identity}\r\n"
        if close:
            head += "connection: close\r\n"
        return (head + "\r\n").encode("latin-1") + inv.payload

    def _dispatch(self, method: bytes, path: str, close: bool) -> bytes | None:
        if not path.startswith(PREFIX + "/"):
            return _error(404, b"Not Found", "InvalidPath", "Not found", close)
        path = path[len(PREFIX) :]
        if path == "/runtime/invocation/next" and method == b"GET":
            inv = self.api.poll(self._deliver)
            if inv is None:
                return None  # parked: _deliver() answers when an invocation is submitted
            return self._next_response(inv, close)
        if method != b"POST":
            return _error(405, b"Method Not Allowed", "InvalidRequest", "Method not allowed", close)
        body = b"".join(self._body)
        error_type = self._headers.get(b"lambda-runtime-function-error-type", b"").decode("latin-1")
        if path == "/runtime/init/error":
            self.api.init_failed(body, error_type)
            return _response(202, b"Accepted", _ACCEPTED, close=close)
        if path.startswith("/runtime/invocation/"):
            request_id, _, action = path[len("/runtime/invocation/") :].partition("/")
            try:
                if action == "response" and self._streaming:
                    return self._streamed(request_id, body, close)
                if action == "response":
                    if self._size > MAX_RESPONSE_BYTES:
                        self.api.fail(request_id, _TOO_LARGE, "Function.ResponseSizeTooLarge")
                        return _error(413, b"Payload Too Large", "RequestEntityTooLarge", "Exceeded maximum allowed payload size", close)
                    self.api.respond(request_id, body)
                    self._ack_later(close)
                    return None
                if action == "error":
                    self.api.fail(request_id, body, error_type)
                    self._ack_later(close)
                    return None
            except KeyError:
                return _error(400, b"Bad Request", "InvalidRequestID", "Invalid request ID", close)
        return _error(404, b"Not Found", "InvalidPath", "Not found", close)


    def _streamed(self, request_id: str, body: bytes, close: bool) -> bytes | None:
        """A streamed response has ended: its outcome (an error from the trailers)."""
        if self._size > self._limit:
            size_error = _TOO_LARGE if self._stream_to is None else json.dumps({
                "errorMessage": f"Response payload size exceeded maximum allowed payload size ({MAX_STREAM_BYTES} bytes).",
                "errorType": "Function.ResponseSizeTooLarge"}).encode()
            self.api.fail(request_id, size_error, "Function.ResponseSizeTooLarge")
            return _error(413, b"Payload Too Large", "RequestEntityTooLarge", "Exceeded maximum allowed payload size", close)
        error_type = self._headers.get(b"lambda-runtime-function-error-type", b"").decode("latin-1")
        if error_type:
            try:
                detail = base64.b64decode(self._headers.get(b"lambda-runtime-function-error-body", b""), validate=True)
            except (binascii.Error, ValueError):
                detail = b""
            self.api.fail(request_id, detail or json.dumps({"errorType": error_type, "errorMessage": ""}).encode(), error_type)
        else:
            self.api.respond(request_id, body if self._stream_to is None else b"")
        self._ack_later(close)
        return None


class RuntimeApiServer:
    """One loopback listener serving one environment's RuntimeApi: a fresh port on the
    host's 127.0.0.1, or a given listening socket (one bound inside the environment's own
    network namespace, where only that environment can reach it)."""

    def __init__(self, api: RuntimeApi) -> None:
        self.api = api
        self._server: asyncio.base_events.Server | None = None
        self._connections: set[RuntimeApiProtocol] = set()
        self.address: tuple[str, int] = ("127.0.0.1", 0)

    async def start(self, host: str = "127.0.0.1", *, sock: socket.socket | None = None) -> str:
        def factory() -> RuntimeApiProtocol:
            return RuntimeApiProtocol(self.api, self._connections)

        loop = asyncio.get_running_loop()
        if sock is not None:
            self._server = await loop.create_server(factory, sock=sock)
        else:
            self._server = await loop.create_server(factory, host, 0, backlog=16)
        addr = self._server.sockets[0].getsockname()
        self.address = (addr[0], addr[1])
        return f"{self.address[0]}:{self.address[1]}"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for conn in list(self._connections):
            conn.close()
