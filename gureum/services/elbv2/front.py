"""The ALB listener's client side: an HTTP/1.1 server protocol (httptools parses) that hands
each request head to alb.py's `AlbHandler.decide` and moves the bytes itself, callback to
callback, with no task or future per request: a forward's head goes to a pooled target
connection (upstream.py) as soon as the request head is parsed, the request body is streamed
to it as it arrives, and the target's answer is streamed back (its Content-Length kept, else
re-chunked); fixed responses, redirects and errors are answered at once; a Lambda target
(the whole body needed) runs in a task, and so does a rule's authenticate action
(`Authenticate`: the body is held, as for a target not yet connected, until the gate lets the
request go on to the rule's terminal action or answers it).

Per client connection, one exchange is active at a time (pipelined requests queue in order,
reading pauses past `http.max_pipelined`); reading also pauses while the target cannot take
the body, and the target's reading while the client cannot take the answer. A pooled target
connection found closed when used is retried once on a new one (when the body sent so far
was kept: up to `_RETRY_KEEP` bytes). Deadlines need no timer per request: one sweep per
listener every `_SWEEP` seconds checks each connection's (header deadline: 408; the load
balancer's idle timeout: the target's answer (504) and idle keep-alive connections).
Hostile clients meet the HTTP server's limits (gureum/http/limits.py: request line 414,
header section 431, connection caps per client and in total through `Acceptor`).

With the native worker (native_alb.py) the server accepts nothing itself (`serve_handed`):
the worker hands it connections with the bytes it read (`adopt`), which are parsed first, as
if read here; such a connection was counted by the worker and is not counted again.

Each accepted connection calls the server's `on_connection` (the data plane's ALB
new-connection meter, Meter.accepted); a target group with application stickiness has its
target's answer head looked at for the application cookie (AWSALBAPP-*, app_cookie.py); a
request with an access-log Trail gets its send and answer times here, and its sizes go to
`AlbHandler.record` with the count.

An answer head with nothing to add (no cookies, keep-alive, HTTP/1.1, not HEAD) that is the
same as the listener's last such one (a target's heads repeat within its Date's second) is not
rewritten again: the server keeps the last head and what was written for it."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import time
from collections import deque
from collections.abc import Callable
from http import HTTPStatus
from typing import cast

import httptools

from gureum.http.accept import Acceptor, quiet_accept_errors
from gureum.http.limits import HttpLimits
from gureum.services.elbv2 import app_cookie
from gureum.services.elbv2.alb import (
    AlbHandler,
    Answer,
    Authenticate,
    CallLambda,
    Decision,
    Forward,
    Incoming,
    error_answer,
)
from gureum.services.elbv2.upstream import Upstream

log = logging.getLogger("gureum.elbv2")

_SWEEP = 0.25  # seconds between deadline checks
_HIGH_WATER = 1 << 20  # body bytes held for a target not yet connected before reading pauses
_RETRY_KEEP = 64 * 1024  # body bytes kept to resend when a pooled connection turns out closed
# hop-by-hop header lines of a target's answer, dropped
_HOP = re.compile(rb"\r\n(?:connection|keep-alive|proxy-connection|te|trailer|transfer-encoding|upgrade)[ \t]*:[^\r]*",
                  re.IGNORECASE)
_LENGTH = re.compile(rb"\r\ncontent-length[ \t]*:", re.IGNORECASE)
_REASONS: dict[int, bytes] = {}
# What every client connection reads into (BufferedProtocol, as upstream.py's): parsed at once.
_BUFFER = memoryview(bytearray(64 * 1024))


def _status_line(status: int) -> bytes:
    phrase = _REASONS.get(status)
    if phrase is None:
        try:
            phrase = HTTPStatus(status).phrase.encode()
        except ValueError:
            phrase = b"Unknown"
        _REASONS[status] = phrase
    return b"HTTP/1.1 %d %s\r\n" % (status, phrase)


class _Reject(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class _Exchange:
    """One request and its answer."""

    __slots__ = ("conn", "req", "keep_alive", "decision", "forward", "upstream", "held", "held_size", "sent",
                 "sent_size", "req_done", "resp_done", "answered", "chunked_out", "size", "status", "from_target",
                 "started", "deadline", "retried", "discard", "finished", "task", "out", "got", "head_out")

    def __init__(self, conn: _Client, req: Incoming, keep_alive: bool) -> None:
        self.conn = conn
        self.req = req
        self.keep_alive = keep_alive
        self.decision: Decision | None = None
        self.forward: Forward | None = None
        self.upstream: Upstream | None = None
        self.held: list[bytes] = []  # body bytes (as sent on) not yet sent
        self.held_size = 0
        self.sent: list[bytes] | None = []  # body bytes sent, kept for one retry (None: too many)
        self.sent_size = 0
        self.req_done = False
        self.resp_done = False
        self.answered = False  # the answer's head is written
        self.chunked_out = False
        self.size = 0  # bytes processed (request body and answer body)
        self.got = 0  # of which the request body's
        self.head_out = 0  # bytes of the answer's head as written to the client
        self.status = 0
        self.from_target = False
        self.started = 0.0
        self.deadline = 0.0  # the target's answer is due (loop time; 0: not waiting for one)
        self.retried = False
        self.discard = False  # the body is not wanted (the load balancer answers)
        self.finished = False
        self.task: asyncio.Task[None] | None = None
        self.out: list[bytes] = []  # the answer's bytes from the target, written once per read

    # the client's side
    def start(self) -> None:
        """It is this connection's turn: decide, then answer or forward."""
        self.started = time.monotonic()
        decision = self.decision = self.conn.handler.decide(self.req)
        self._go(decision.plan)

    def _go(self, plan: Answer | Forward | CallLambda | Authenticate) -> None:
        conn = self.conn
        if isinstance(plan, Forward):
            self.forward = plan
            conn.handler.started(plan.target)
            self.deadline = conn.server.clock + plan.timeout
            up = conn.server.handler.pool.idle(*plan.target)
            if up is not None:
                self._send_on(up)
            else:
                self._connect()
        elif isinstance(plan, CallLambda):
            if self.req_done:
                self._call_lambda(plan)
        elif isinstance(plan, Authenticate):
            self._authenticate(plan)
        else:
            self._answer(plan, False)

    def body(self, data: bytes) -> None:
        self.size += len(data)
        self.got += len(data)
        if self.discard:
            return
        wire = b"%x\r\n%s\r\n" % (len(data), data) if self.req.chunked else data
        self._pass(wire)

    def body_end(self) -> None:
        self.req_done = True
        if not self.discard and self.req.chunked:
            self._pass(b"0\r\n\r\n")
        if self.decision is not None:
            if isinstance(self.decision.plan, CallLambda) and self.task is None:
                self._call_lambda(self.decision.plan)
            self._maybe_done()

    def _pass(self, wire: bytes) -> None:
        sent = self.sent
        if sent is not None:
            sent.append(wire)
            self.sent_size += len(wire)
            if self.sent_size > _RETRY_KEEP and not self.retried:
                self.sent = None
        up = self.upstream
        if up is not None:
            up.write(wire)
            return
        self.held.append(wire)
        self.held_size += len(wire)
        if self.held_size > _HIGH_WATER:
            self.conn.pause("body")

    # the target's side
    def _connect(self) -> None:
        assert self.forward is not None
        host, port = self.forward.target
        task = asyncio.get_running_loop().create_task(self.conn.server.handler.pool.connect(host, port))
        self.conn.server.track(task)
        task.add_done_callback(self._connected)

    def _connected(self, task: asyncio.Task[Upstream]) -> None:
        if task.cancelled():
            return
        error = task.exception()
        if self.finished or self.resp_done:
            if error is None:
                task.result().close()
            return
        if error is not None:
            self._answer(error_answer(502), False)
            return
        self._send_on(task.result())

    def _send_on(self, up: Upstream) -> None:
        assert self.forward is not None
        self.upstream = up
        up.begin(self, self.req.method)
        trail = self.decision.trail if self.decision is not None else None
        if trail is not None:
            trail.sent = time.monotonic()
        if self.retried:
            if self.sent is None:
                self.upstream = None
                up.abandon()
                self._answer(error_answer(502), False)
                return
            up.write(self.forward.head + b"".join(self.sent))
        else:
            up.write(self.forward.head + b"".join(self.held) if self.held else self.forward.head)
        self.held = []
        if self.held_size:
            self.held_size = 0
            self.conn.resume("body")

    def upstream_head(self, status: int, head: bytes, framed: bool) -> None:
        self.status = status
        self.from_target = True
        self.answered = True
        self.sent = None
        forward = self.forward
        assert forward is not None
        trail = self.decision.trail if self.decision is not None else None
        if trail is not None:
            trail.answered = time.monotonic()
        # the common case (nothing to add, keep-alive, HTTP/1.1, not HEAD): the answer head of the
        # last such answer on this listener, when the target sent the same head (as a server does
        # within a second), is reused: its hop-by-hop lines dropped, its framing decided
        plain = (not forward.set_cookies and forward.app_group is None and self.keep_alive and not self.conn.http10
                 and self.req.method != "HEAD")
        server = self.conn.server
        if plain and head == server.last_head:
            out = server.last_out
            self.chunked_out = server.last_chunked
            self.head_out = len(out)
            self.out.append(out)
            return
        first = head.find(b"\r\n")
        rest = _HOP.sub(b"", head[first:])  # from the CRLF ending the status line
        lines = [head[:first] if head.startswith(b"HTTP/1.1 ") else _status_line(status)[:-2], rest]
        cookies = forward.set_cookies
        if forward.app_group is not None:  # application stickiness: AWSALBAPP-* when the target set its cookie
            cookies = cookies + app_cookie.cookies_of_head(forward.app_group, forward.target, head)
        for c in cookies:
            lines.append(b"set-cookie: %s\r\n" % c.encode("latin-1"))
        if not (self.req.method == "HEAD" or status in (204, 304) or _LENGTH.search(rest)):
            if self.conn.http10:
                self.keep_alive = False  # delimited by the close
            else:
                self.chunked_out = True
                lines.append(b"transfer-encoding: chunked\r\n")
        if not self.keep_alive:
            lines.append(b"connection: close\r\n")
        lines.append(b"\r\n")
        out = b"".join(lines)
        if plain:
            server.last_head, server.last_out, server.last_chunked = head, out, self.chunked_out
        self.head_out = len(out)
        self.out.append(out)

    def upstream_body(self, data: bytes) -> None:
        self.size += len(data)
        self.out.append(b"%x\r\n%s\r\n" % (len(data), data) if self.chunked_out else data)

    def upstream_flush(self) -> None:
        out = self.out
        if out:
            self.conn.write(out[0] if len(out) == 1 else b"".join(out))
            out.clear()

    def upstream_end(self, persistent: bool) -> None:
        up, self.upstream = self.upstream, None
        self.deadline = 0.0
        out = self.out
        if self.chunked_out:
            out.append(b"0\r\n\r\n")
        if out:
            self.conn.write(out[0] if len(out) == 1 else b"".join(out))
            out.clear()
        if up is not None:
            if persistent and self.req_done and not self.discard:
                self.conn.server.handler.pool.release(up)
            else:
                up.close()
        if not self.req_done:
            self.discard = True  # the target answered before the body ended: the rest is dropped
            self.held = []
        self.resp_done = True
        self._maybe_done()

    def upstream_failed(self, error: Exception, answered: bool) -> None:
        up, self.upstream = self.upstream, None
        if self.answered:  # cut mid-answer: so is the client's
            self.upstream_flush()
            self.keep_alive = False
            self.resp_done = True
            self.conn.abort()
            self._maybe_done()
            return
        if up is not None and up.reused and not self.retried and self.sent is not None and not self.finished:
            self.retried = True  # a pooled connection the target had closed: once more on a new one
            self._connect()
            return
        self._answer(error_answer(502), False)

    def upstream_pause(self, paused: bool) -> None:
        if paused:
            self.conn.pause("target")
        else:
            self.conn.resume("target")

    def timed_out(self) -> None:
        """The target did not answer within the load balancer's idle timeout."""
        up, self.upstream = self.upstream, None
        self.deadline = 0.0
        if up is not None:
            up.abandon()
        if self.answered:
            self.keep_alive = False
            self.resp_done = True
            self.conn.abort()
            self._maybe_done()
        else:
            self._answer(error_answer(504), False)

    # answers
    def _answer(self, answer: Answer, from_target: bool) -> None:
        self.status = answer.status
        self.from_target = from_target
        self.discard = True
        self.held = []
        self.deadline = 0.0
        if self.held_size:
            self.held_size = 0
            self.conn.resume("body")
        if not self.req_done and (self.req.length or self.req.chunked):
            self.keep_alive = False  # answered before the body arrived: no waiting for the rest
        lines = [_status_line(answer.status)]
        lines += [b"%s: %s\r\n" % (k.encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers]
        if answer.status not in (204, 304):
            lines.append(b"content-length: %d\r\n" % len(answer.body))
        if not self.keep_alive:
            lines.append(b"connection: close\r\n")
        lines.append(b"\r\n")
        self.head_out = sum(len(x) for x in lines)
        if self.req.method != "HEAD" and answer.status not in (204, 304):
            lines.append(answer.body)
            self.size += len(answer.body)
        self.answered = True
        self.conn.write(b"".join(lines))
        self.resp_done = True
        if not self.keep_alive:
            self.req_done = True  # the connection closes after this answer: the rest of the body is not awaited
        self._maybe_done()

    def _call_lambda(self, plan: CallLambda) -> None:
        body = b"".join(self.held)
        if self.req.chunked:  # held as chunks on the wire: the Lambda event wants the bytes
            body = _dechunk(body)
        self.held = []
        self.held_size = 0
        self.conn.resume("body")

        async def call() -> None:
            answer, from_target = await self.conn.handler.call_lambda(self.req, plan, body)
            if not self.finished and not self.conn.closed:
                self._answer(answer, from_target)
        self.task = asyncio.get_running_loop().create_task(call())
        self.conn.server.track(self.task)

    def _authenticate(self, plan: Authenticate) -> None:
        """Await the gate; then its answer, or the rule's terminal action (the body held meanwhile)."""
        handler = self.conn.handler

        async def gate() -> None:
            try:
                answer = await handler.authenticate(self.req, plan)
            except Exception:  # noqa: BLE001 - the gate's keys or IdP failed unexpectedly: a 500, not a hang
                log.exception("the authenticate action of %s failed", plan.action.rule.get("RuleArn"))
                answer = error_answer(500)
            if self.finished or self.conn.closed:
                return
            self.task = None
            if answer is not None:
                self._answer(answer, False)
                return
            trail = self.decision.trail if self.decision is not None else None
            decision = self.decision = handler.proceed(self.req, plan, trail)
            self._go(decision.plan)
        self.task = asyncio.get_running_loop().create_task(gate())
        self.conn.server.track(self.task)

    def _maybe_done(self) -> None:
        if self.finished or not (self.req_done and self.resp_done):
            return
        self.finished = True
        handler = self.conn.handler
        if self.forward is not None:
            handler.ended(self.forward.target)
        if self.decision is not None:
            handler.record(self.decision, self.size, self.status, self.from_target, time.monotonic() - self.started,
                           self.req, self.got, self.head_out + self.size - self.got)
        self.conn.exchange_done(self)

    def client_gone(self) -> None:
        """The client closed: nothing more to answer."""
        if self.finished:
            return
        self.finished = True
        up, self.upstream = self.upstream, None
        if up is not None:
            up.abandon()
        if self.forward is not None and self.decision is not None:
            self.conn.handler.ended(self.forward.target)
        if self.task is not None:
            self.task.cancel()


def _dechunk(wire: bytes) -> bytes:
    out: list[bytes] = []
    i = 0
    while True:
        end = wire.index(b"\r\n", i)
        n = int(wire[i:end], 16)
        if n == 0:
            return b"".join(out)
        out.append(wire[end + 2:end + 2 + n])
        i = end + 2 + n + 2


class _Client(asyncio.BufferedProtocol):
    """One client connection."""

    def __init__(self, server: AlbServer, address: str, handed: bytes | None = None) -> None:
        self.server = server
        self.handed = handed  # a native worker's connection: the bytes it read (fed first)
        self.handler = server.handler
        self.limits = server.limits
        self.address = address
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.peer: tuple[str, int] = ("", 0)
        self.http10 = False
        self._url = b""
        self._headers: list[tuple[str, str]] = []
        self._header_bytes = 0
        self.receiving: _Exchange | None = None  # whose body is arriving
        self.active: _Exchange | None = None  # whose turn it is
        self.queue: deque[_Exchange] = deque()
        self.paused: set[str] = set()
        self.closed = False
        self.reject: int | None = None  # answer this once the exchanges before it are done, then close
        self.last = False  # no request after the active one (an upgrade, a half-close, draining)
        self.head_since = 0.0  # a request head began (loop time, 0: none in progress)
        self.idle_since = 0.0  # no exchange since (0: busy)

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.set_write_buffer_limits(high=self.limits.write_buffer)
        peer = transport.get_extra_info("peername")
        self.peer = (peer[0], peer[1]) if isinstance(peer, tuple) else ("", 0)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        self.idle_since = self.server.clock
        self.server.added(self)
        handed, self.handed = self.handed, None
        if handed is not None:  # accepted (and counted) by a native worker
            if handed:
                self.data_received(handed)
        elif self.server.on_connection is not None:
            self.server.on_connection()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.server.removed(self)
        for ex in (self.active, self.receiving, *self.queue):
            if ex is not None:
                ex.client_gone()
        self.queue.clear()
        self.active = self.receiving = None

    def eof_received(self) -> bool:
        self.last = True
        if self.receiving is not None or self.active is None:
            return False  # a request cut short, or nothing in flight: close
        return True  # answer what arrived whole, then close

    def pause_writing(self) -> None:
        ex = self.active
        if ex is not None and ex.upstream is not None:
            ex.upstream.pause_reading(True)

    def resume_writing(self) -> None:
        ex = self.active
        if ex is not None and ex.upstream is not None:
            ex.upstream.pause_reading(False)

    def get_buffer(self, sizehint: int) -> memoryview:
        return _BUFFER

    def buffer_updated(self, nbytes: int) -> None:
        self.data_received(_BUFFER[:nbytes])

    def data_received(self, data: bytes | memoryview) -> None:
        if self.closed or self.reject is not None or self.last:
            return
        try:
            self.parser.feed_data(data)
        except _Reject as e:
            self._refuse(e.status)
        except httptools.HttpParserCallbackError as e:
            cause = e.__context__ or e.__cause__
            if not isinstance(cause, _Reject):
                raise
            self._refuse(cause.status)
        except httptools.HttpParserUpgrade:
            self.last = True  # the load balancer does not tunnel upgrades: answer, then close
            self.pause("upgrade")
            ex, self.receiving = self.receiving, None
            if ex is not None:
                ex.keep_alive = False
                ex.body_end()
        except httptools.HttpParserError:
            self._refuse(400)

    # httptools callbacks
    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = []
        self._header_bytes = 0
        self.head_since = self.server.clock
        self.idle_since = 0.0

    def on_url(self, url: bytes) -> None:
        self._url += url
        if len(self._url) > self.limits.max_request_line:
            raise _Reject(414)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value) + 4
        if self._header_bytes > self.limits.max_header_bytes:
            raise _Reject(431)
        self._headers.append((name.decode("latin-1").lower(), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        self.head_since = 0.0
        url = self._url.decode("latin-1")
        path, _, query = url.partition("?")
        if "://" in path:  # absolute-form request target
            path = "/" + path.split("://", 1)[1].partition("/")[2]
        chunked = False
        length = 0
        expect = False
        for k, v in self._headers:
            if k == "content-length":
                length = int(v) if v.isdigit() else 0
            elif k == "transfer-encoding":
                chunked = "chunked" in v.lower()
            elif k == "expect":
                expect = v.lower() == "100-continue"
        parser = self.parser
        self.http10 = parser.get_http_version() == "1.0"
        req = Incoming(parser.get_method().decode("ascii"), path or "/", query, self._headers, self.peer, chunked,
                       length)
        ex = _Exchange(self, req, parser.should_keep_alive())
        self.receiving = ex
        if expect and self.transport is not None:
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        if self.active is None:
            self.active = ex
            ex.start()
        else:
            self.queue.append(ex)
            if len(self.queue) >= self.limits.max_pipelined:
                self.pause("pipeline")

    def on_body(self, body: bytes) -> None:
        if self.receiving is not None:
            self.receiving.body(body)

    def on_message_complete(self) -> None:
        ex, self.receiving = self.receiving, None
        if ex is not None:
            ex.body_end()

    # flow
    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.closed:
            self.transport.write(data)

    def pause(self, reason: str) -> None:
        if not self.paused and self.transport is not None and not self.closed:
            self.transport.pause_reading()
        self.paused.add(reason)

    def resume(self, reason: str) -> None:
        if reason not in self.paused:
            return
        self.paused.discard(reason)
        if not self.paused and self.transport is not None and not self.closed:
            self.transport.resume_reading()

    def exchange_done(self, ex: _Exchange) -> None:
        if self.active is ex:
            self.active = None
        if not ex.keep_alive or self.closed:
            self.close()
            return
        if self.queue:
            nxt = self.active = self.queue.popleft()
            if len(self.queue) < self.limits.max_pipelined:
                self.resume("pipeline")
            nxt.start()
            return
        if self.reject is not None:
            self._refuse(self.reject)
            return
        if self.last and self.receiving is None:
            self.close()
            return
        self.idle_since = self.server.clock

    def _refuse(self, status: int) -> None:
        """Answer `status` after the exchanges before it, then close."""
        self.reject = status
        self.pause("error")
        if self.receiving is not None and self.receiving is not self.active:
            if self.receiving in self.queue:
                self.queue.remove(self.receiving)
            self.receiving.client_gone()
        self.receiving = None
        if self.active is not None or self.queue:
            return
        answer = error_answer(status)
        lines = [_status_line(status)] + [b"%s: %s\r\n" % (k.encode(), v.encode()) for k, v in answer.headers]
        lines.append(b"content-length: %d\r\nconnection: close\r\n\r\n" % len(answer.body))
        self.write(b"".join(lines) + answer.body)
        self.close()

    def check(self, now: float, idle_timeout: float) -> None:
        """The sweep: deadlines of this connection."""
        ex = self.active
        if ex is not None and ex.deadline and now >= ex.deadline:
            ex.timed_out()
            return
        if self.head_since and now - self.head_since >= self.limits.header_timeout:
            self._refuse(408)
        elif self.idle_since and self.active is None and now - self.idle_since >= idle_timeout:
            self.close()

    def close(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.close()

    def abort(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.abort()

    def drain(self) -> None:
        """Finish the exchange in flight (if any), then close."""
        self.last = True
        if self.active is None:
            self.close()

    @property
    def idle(self) -> bool:
        return self.active is None and self.receiving is None and not self.closed


class AlbServer:
    """Owns a listener's socket (through an Acceptor), its client connections and the sweep."""

    def __init__(self, handler: AlbHandler, limits: HttpLimits | None = None,
                 on_connection: Callable[[], None] | None = None) -> None:
        self.handler = handler
        self.limits = limits or HttpLimits()
        self.on_connection = on_connection  # called once per accepted connection (the load balancer's meter)
        self.clock = 0.0  # loop time, as of the last sweep
        self._conns: set[_Client] = set()
        self._tasks: set[asyncio.Task[object]] = set()
        self._acceptor: Acceptor | None = None
        self._sweep: asyncio.TimerHandle | None = None
        self._empty = asyncio.Event()
        # the last plain answer head a target sent, as written to the client (and whether its
        # body is re-chunked): _Exchange.upstream_head reuses it for the same head
        self.last_head = b""
        self.last_out = b""
        self.last_chunked = False

    async def start(self, host: str, port: int) -> tuple[str, int]:
        return self.serve(self.bind(host, port))

    @staticmethod
    def bind(host: str, port: int) -> socket.socket:
        """The listener's socket, bound and listening."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        lsock = socket.socket(family, socket.SOCK_STREAM)
        try:
            lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            lsock.bind((host, port))
            lsock.listen(1024)
        except BaseException:
            lsock.close()
            raise
        return lsock

    def serve_handed(self) -> None:
        """Serve only the connections native workers hand over (`adopt`): no accepting here."""
        self.clock = asyncio.get_running_loop().time()
        self._tick()

    def adopt(self, sock: socket.socket, data: bytes) -> None:
        """A connection a native worker accepted and read `data` from: served from here on as
        if this server had accepted it and read those bytes itself."""
        loop = asyncio.get_running_loop()
        try:
            peer = sock.getpeername()
        except OSError:
            sock.close()
            return
        address = peer[0] if isinstance(peer, tuple) else ""
        same = sum(1 for conn in self._conns if conn.address == address)
        if len(self._conns) >= self.limits.max_connections or same >= self.limits.max_connections_per_client:
            sock.close()  # this server's own caps hold for handed connections too
            return
        task = loop.create_task(loop.connect_accepted_socket(
            lambda: cast(asyncio.Protocol, _Client(self, address, data)), sock))
        self.track(cast("asyncio.Task[object]", task))

    def serve(self, lsock: socket.socket) -> tuple[str, int]:
        """Accept and serve on the bound socket."""
        loop = asyncio.get_running_loop()
        quiet_accept_errors(loop)
        # a BufferedProtocol: asyncio serves it as any protocol (Acceptor's type names the plain kind)
        self._acceptor = Acceptor(lsock, lambda address: cast(asyncio.Protocol, _Client(self, address)),
                                  per_client=self.limits.max_connections_per_client, total=self.limits.max_connections,
                                  name="alb", evict=self._evict)
        self.clock = loop.time()
        self._acceptor.start()
        self._tick()
        addr = lsock.getsockname()
        return addr[0], addr[1]

    def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        self.clock = now = loop.time()
        if self._conns:
            table = self.handler.table()
            idle_timeout = table.timeout if table is not None else self.limits.keepalive_timeout
            for conn in list(self._conns):
                conn.check(now, idle_timeout)
        self._sweep = loop.call_later(_SWEEP, self._tick)

    def track(self, task: asyncio.Task[object]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def added(self, conn: _Client) -> None:
        self._conns.add(conn)
        self._empty.clear()

    def removed(self, conn: _Client) -> None:
        if conn in self._conns:
            self._conns.discard(conn)
            if self._acceptor is not None:
                self._acceptor.released(conn.address)
            if not self._conns:
                self._empty.set()

    def _evict(self, address: str | None) -> bool:
        for conn in self._conns:
            if (address is None or conn.address == address) and conn.idle:
                conn.close()
                return True
        return False

    async def stop(self, grace: float = 5.0) -> None:
        """Stop accepting, give exchanges in flight `grace` seconds, then close the rest."""
        if self._acceptor is not None:
            await self._acceptor.close()
        for conn in list(self._conns):
            conn.drain()
        if self._conns:
            try:
                await asyncio.wait_for(self._empty.wait(), grace)
            except asyncio.TimeoutError:
                pass
        for conn in list(self._conns):
            conn.abort()
        if self._sweep is not None:
            self._sweep.cancel()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
