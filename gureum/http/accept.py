"""Accepting TCP connections under caps: per client address and in total (HTTP and DNS).

asyncio's own accept loop has two faults under attack: it admits every connection until the
process runs out of file descriptors, and on EMFILE it logs once per backlog slot and keeps
rescheduling itself (hundreds of thousands of log lines a minute). `Acceptor` replaces it for
a listening socket it is given:
- a connection from an address already holding `per_client` connections, or arriving while
  `total` are open, is closed at once (before any protocol or buffer exists) — unless the
  owner's `evict(address)` closes an idle connection of that address (or, at the total cap,
  of any address) to make room, so well-behaved keep-alive clients are not locked out;
- out of descriptors (EMFILE/ENFILE/ENOBUFS/ENOMEM) it stops accepting for `retry_delay`
  seconds, then resumes; every such event and every refusal is logged at most once per
  `LOG_INTERVAL` seconds, with the count of what was suppressed.
Protocols call `released(address)` from connection_lost so the counts stay exact.
`RateLimitedLog` and `quiet_accept_errors(loop)` (the same rate limit for asyncio's message
from other listeners on the loop) are here too.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("gureum.net")

LOG_INTERVAL = 10.0
_RESOURCE_ERRORS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)


class RateLimitedLog:
    """Logs a message at most once per `interval` seconds; says how many were suppressed."""

    def __init__(self, logger: logging.Logger, interval: float = LOG_INTERVAL) -> None:
        self.logger = logger
        self.interval = interval
        self._last = -1e18
        self.suppressed = 0

    def __call__(self, level: int, msg: str, *args: object) -> None:
        now = time.monotonic()
        if now - self._last < self.interval:
            self.suppressed += 1
            return
        if self.suppressed:
            msg += f" ({self.suppressed} more like this in the last {now - self._last:.0f} s)"
        self.suppressed = 0
        self._last = now
        self.logger.log(level, msg, *args)


def quiet_accept_errors(loop: asyncio.AbstractEventLoop) -> None:
    """Rate-limit asyncio's 'socket.accept() out of system resource' (logged once per backlog
    slot by other listeners' accept loops); other exceptions go to the previous handler."""
    if getattr(loop, "_gureum_quiet_accept", False):
        return
    previous = loop.get_exception_handler()
    limited = RateLimitedLog(logging.getLogger("asyncio"))

    def handler(lp: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        message = str(context.get("message", ""))
        if message.startswith("socket.accept() out of system resource"):
            limited(logging.ERROR, "%s: %s", message, context.get("exception"))
            return
        if previous is not None:
            previous(lp, context)
        else:
            lp.default_exception_handler(context)

    loop.set_exception_handler(handler)
    try:
        loop._gureum_quiet_accept = True  # type: ignore[attr-defined]  # a marker on the loop object
    except AttributeError:  # a loop without a __dict__ (uvloop): wrapping twice is harmless
        pass


class Acceptor:
    """Accepts connections on `sock` and hands each to `factory(address)`'s protocol."""

    BATCH = 64  # connections accepted per readiness event

    def __init__(
        self,
        sock: socket.socket,
        factory: Callable[[str], asyncio.Protocol],
        *,
        per_client: int,
        total: int,
        name: str,
        evict: Callable[[str | None], bool] | None = None,
        retry_delay: float = 0.5,
    ) -> None:
        self.sock = sock
        self.factory = factory
        self.per_client = max(1, per_client)
        self.total = max(1, total)
        self.name = name
        self.evict = evict
        self.retry_delay = retry_delay
        self.counts: dict[str, int] = {}
        self.open = 0
        self.refused = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reading = False
        self._retry: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._log_refused = RateLimitedLog(log)
        self._log_resources = RateLimitedLog(log)
        sock.setblocking(False)

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._add_reader()

    def _add_reader(self) -> None:
        self._retry = None
        if self._loop is not None and not self._reading and self.sock.fileno() >= 0:
            self._loop.add_reader(self.sock.fileno(), self._on_readable)
            self._reading = True

    def _remove_reader(self) -> None:
        if self._loop is not None and self._reading:
            self._loop.remove_reader(self.sock.fileno())
            self._reading = False

    async def close(self) -> None:
        """Stop accepting, close the socket, wait for connections being set up."""
        self._remove_reader()
        if self._retry is not None:
            self._retry.cancel()
        self.sock.close()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def released(self, address: str) -> None:
        """A connection from `address` closed (protocols call this from connection_lost)."""
        n = self.counts.get(address, 0) - 1
        if n > 0:
            self.counts[address] = n
        else:
            self.counts.pop(address, None)
        self.open -= 1

    def _admit(self, address: str) -> bool:
        if self.counts.get(address, 0) >= self.per_client:
            if self.evict is not None and self.evict(address):
                return True
            self.refused += 1
            self._log_refused(logging.WARNING, "%s: refusing connections from %s: %d open (per-client cap)",
                              self.name, address, self.counts.get(address, 0))
            return False
        if self.open >= self.total:
            if self.evict is not None and self.evict(None):
                return True
            self.refused += 1
            self._log_refused(logging.WARNING, "%s: refusing connections: %d open (total cap)", self.name, self.open)
            return False
        return True

    def _on_readable(self) -> None:
        assert self._loop is not None
        for _ in range(self.BATCH):
            try:
                conn, addr = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except ConnectionAbortedError:
                continue
            except OSError as exc:
                if exc.errno in _RESOURCE_ERRORS:
                    # Out of descriptors: stop trying for a while instead of spinning.
                    self._log_resources(logging.ERROR, "%s: accept failed (%s); pausing accepts for %.1f s (%d open)",
                                        self.name, exc.strerror or exc, self.retry_delay, self.open)
                    self._remove_reader()
                    if self._retry is None:
                        self._retry = self._loop.call_later(self.retry_delay, self._add_reader)
                    return
                self._log_resources(logging.WARNING, "%s: accept failed: %s", self.name, exc)
                return
            address = addr[0] if isinstance(addr, tuple) and addr else ""
            if not self._admit(address):
                conn.close()
                continue
            conn.setblocking(False)
            self.counts[address] = self.counts.get(address, 0) + 1
            self.open += 1
            task = self._loop.create_task(self._connect(conn, address))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _connect(self, conn: socket.socket, address: str) -> None:
        assert self._loop is not None
        try:
            await self._loop.connect_accepted_socket(lambda: self.factory(address), conn)
        except OSError:  # the peer went away before the transport was set up
            conn.close()
            self.released(address)
