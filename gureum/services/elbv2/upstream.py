"""HTTP/1.1 to targets: keep-alive connections (asyncio protocols, no stream objects) pooled
per target address, each carrying one exchange at a time, its response parsed with httptools
and handed on piece by piece to the exchange's `Sink` (the ALB front, front.py) as it arrives:
nothing is buffered whole here.

Invariants: a connection is in the pool only when idle (its last response read whole, the
request sent whole, the target's answer persistent); a pooled connection that the target
closes leaves the pool by itself; the sink hears exactly one of `upstream_end` or
`upstream_failed` per exchange, never from inside the parser's callbacks (so the sink may
hand the connection on at once). Whether an answer head frames its body is looked up once
per distinct head (the pool keeps the last one)."""

from __future__ import annotations

import asyncio
import re
import socket
from typing import Protocol

import httptools

_IDLE_KEEP = 256  # idle connections kept per target
# What every target connection reads into (asyncio's BufferedProtocol: recv_into, where a plain
# Protocol's recv allocates 256 KiB per read). One buffer serves all: each read is parsed (and
# copied where kept) before the event loop does anything else.
_BUFFER = memoryview(bytearray(64 * 1024))
_FRAMED = re.compile(rb"\r\n(?:content-length|transfer-encoding)[ \t]*:", re.IGNORECASE)
Key = tuple[str, int]


class TargetFailed(Exception):
    """Connection refused, reset or a malformed response: 502."""


class TargetTimeout(Exception):
    """No response within the load balancer's idle timeout: 504."""


class Sink(Protocol):
    """Who receives one exchange's response."""

    def upstream_head(self, status: int, head: bytes, framed: bool) -> None:
        """The response head as the target sent it: status line and header lines, each
        ending with CRLF, without the blank line."""

    def upstream_body(self, data: bytes) -> None: ...

    def upstream_flush(self) -> None:
        """Write what the last read brought (head and body pieces) in one go."""

    def upstream_end(self, persistent: bool) -> None: ...

    def upstream_failed(self, error: Exception, answered: bool) -> None:
        """The connection failed; `answered`: part of a response was already handed on."""

    def upstream_pause(self, paused: bool) -> None:
        """The connection's send buffer is full (True) or drained (False)."""


class Upstream(asyncio.BufferedProtocol):
    """One connection to a target."""

    def __init__(self, pool: Pool, key: Key) -> None:
        self.pool = pool
        self.key = key
        self.transport: asyncio.Transport | None = None
        self.sink: Sink | None = None
        self.closed = False
        self.reused = False  # it carried an exchange before the current one
        self._parser: httptools.HttpResponseParser | None = None
        self._raw = b""  # what arrived of the response head
        self._persistent = True
        self._head_only = False
        self._informational = False
        self._head_seen = False
        self._framed = False
        self._done = False  # the response is complete (set inside the parser, acted on after it)

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.pool.forget(self)
        sink, self.sink = self.sink, None
        if sink is None:
            return
        if self._head_seen and not self._framed and not self._head_only:
            sink.upstream_end(False)  # a body delimited by the close
        else:
            sink.upstream_failed(TargetFailed(str(exc or "connection closed before a complete response")),
                                 self._head_seen)

    def eof_received(self) -> bool:
        return False  # close: connection_lost tells the sink

    def pause_writing(self) -> None:
        if self.sink is not None:
            self.sink.upstream_pause(True)

    def resume_writing(self) -> None:
        if self.sink is not None:
            self.sink.upstream_pause(False)

    def get_buffer(self, sizehint: int) -> memoryview:
        return _BUFFER

    def buffer_updated(self, nbytes: int) -> None:
        self.data_received(_BUFFER[:nbytes])

    def data_received(self, data: bytes | memoryview) -> None:
        parser = self._parser
        if parser is None or self.sink is None:
            self.close()  # bytes nobody asked for: the connection is out of step
            return
        if not self._head_seen:
            self._raw += data
        try:
            parser.feed_data(data)
        except httptools.HttpParserError as e:
            self._fail(TargetFailed(f"malformed response: {e}"))
            return
        if self._done:
            self._finish()
        elif self.sink is not None:
            self.sink.upstream_flush()

    # httptools callbacks
    def on_headers_complete(self) -> None:
        assert self._parser is not None and self.sink is not None
        status = self._parser.get_status_code()
        raw = self._raw
        end = raw.find(b"\r\n\r\n")
        if 100 <= status < 200:
            self._informational = True  # 100 Continue and the like: the real answer follows
            self._raw = raw[end + 4:]
            return
        self._head_seen = True
        self._raw = b""
        head = raw[:end + 2]
        pool = self.pool
        if head == pool.last_head:  # the same head as the last answer (a server's, within a second)
            self._framed = pool.last_framed
        else:
            self._framed = pool.last_framed = _FRAMED.search(head) is not None
            pool.last_head = head
        self._persistent = self._parser.should_keep_alive()
        self.sink.upstream_head(status, head, self._framed)
        if self._head_only or status in (204, 304):
            self._framed = True
            self._done = True

    def on_body(self, body: bytes) -> None:
        if self.sink is not None and not self._done:
            self.sink.upstream_body(body)

    def on_message_complete(self) -> None:
        if self._informational:
            self._informational = False
            return
        self._done = True

    # the exchange
    def begin(self, sink: Sink, method: str) -> None:
        """Take on an exchange whose request the caller writes with `write`."""
        self.sink = sink
        if self._parser is None:  # else the last one, at a message's start again
            self._parser = httptools.HttpResponseParser(self)
        self._raw = b""
        self._head_only = method == "HEAD"
        self._informational = self._head_seen = self._framed = self._done = False

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.closed:
            self.transport.write(data)

    def pause_reading(self, paused: bool) -> None:
        if self.transport is not None and not self.closed:
            if paused:
                self.transport.pause_reading()
            else:
                self.transport.resume_reading()

    def _finish(self) -> None:
        sink, self.sink = self.sink, None
        persistent = self._persistent
        if self._head_only:
            self._parser = None  # it waits for a body that never comes: a new one next time
        if sink is not None:
            sink.upstream_end(persistent)

    def _fail(self, error: Exception) -> None:
        sink, self.sink = self.sink, None
        self.close()
        if sink is not None:
            sink.upstream_failed(error, self._head_seen)

    def abandon(self) -> None:
        """The exchange is over without this connection's answer (timeout, client gone)."""
        self.sink = None
        self.close()

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class Pool:
    """Idle keep-alive connections per (host, port)."""

    def __init__(self) -> None:
        self._idle: dict[Key, list[Upstream]] = {}
        self.last_head = b""  # the last answer head a target sent, and whether it frames its body
        self.last_framed = False

    def idle(self, host: str, port: int) -> Upstream | None:
        """A pooled connection to the target, if one is idle."""
        conns = self._idle.get((host, port))
        while conns:
            conn = conns.pop()
            if not conn.closed and conn.transport is not None and not conn.transport.is_closing():
                conn.reused = True
                return conn
        return None

    async def connect(self, host: str, port: int) -> Upstream:
        """A new connection to the target (TargetFailed when it cannot be made)."""
        loop = asyncio.get_running_loop()
        try:
            _, conn = await loop.create_connection(lambda: Upstream(self, (host, port)), host, port)
        except OSError as e:
            raise TargetFailed(str(e)) from None
        return conn

    def release(self, conn: Upstream) -> None:
        """Put a connection whose exchange ended cleanly back, or close it past the cap."""
        if conn.closed:
            return
        conns = self._idle.setdefault(conn.key, [])
        if len(conns) < _IDLE_KEEP:
            conns.append(conn)
        else:
            conn.close()

    def forget(self, conn: Upstream) -> None:
        conns = self._idle.get(conn.key)
        if conns and conn in conns:
            conns.remove(conn)

    def close(self) -> None:
        for conns in self._idle.values():
            for conn in conns:
                conn.close()
        self._idle.clear()
