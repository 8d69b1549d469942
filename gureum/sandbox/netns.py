"""Private network namespaces for sandboxes that must reach nothing of the host (Lambda
execution environments), with listening sockets gureum opens *inside* them, and a small
pool of such namespaces made ahead of time.

A namespace here has only `lo` (up): no interface leads out, so a process in it reaches
neither the host's loopback listeners nor any other address, and nothing outside reaches
it. What the sandbox may talk to is offered on its own 127.0.0.1: gureum binds listening
sockets in the namespace (a helper thread enters it with setns(2), binds, and leaves; a
socket stays in the namespace it was created in) and serves them from its own event loop —
the environment's Runtime API, and `SocketProxy` forwarding e.g. gureum's API port to the
host's 127.0.0.1. Only processes in that namespace can connect to those sockets.

The namespace is held by an open fd on its nsfs inode (`Netns.fd`); the sandbox launcher
joins it (`--netns FD`). It disappears when the fd, the sockets and the processes in it
are gone. Creating one (unshare + lo up + binds) costs about a millisecond of kernel work
in a thread; `NetnsPool` keeps a few ready so a cold start does not wait for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import fcntl
import logging
import os
import socket
import struct
import threading
from dataclasses import dataclass, field

from gureum.sandbox.network import PortProxy

log = logging.getLogger("gureum.sandbox.netns")

CLONE_NEWNET = 0x40000000
_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1
_libc = ctypes.CDLL(None, use_errno=True)


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def supported() -> bool:
    """Whether this process may create network namespaces (root on Linux)."""
    return os.geteuid() == 0 and os.path.exists("/proc/thread-self/ns/net")


@dataclass
class Netns:
    """One private namespace: `fd` holds it; `sockets` are listening TCP sockets bound on
    its 127.0.0.1, by port."""

    fd: int
    sockets: dict[int, socket.socket] = field(default_factory=dict)

    def take_socket(self, port: int) -> socket.socket:
        """The listening socket on `port` (the caller now owns it)."""
        return self.sockets.pop(port)

    def close(self) -> None:
        for s in self.sockets.values():
            s.close()
        self.sockets.clear()
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _lo_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        req = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack("16sH22x", fcntl.ioctl(s.fileno(), _SIOCGIFFLAGS, req))[1]
        fcntl.ioctl(s.fileno(), _SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | _IFF_UP))


def _create_blocking(ports: tuple[int, ...]) -> Netns:
    """Runs in a thread of its own: enter a new namespace, set it up, and return."""
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    ns = Netns(-1)
    try:
        _check(_libc.unshare(CLONE_NEWNET), "unshare(CLONE_NEWNET)")
        try:
            ns.fd = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
            _lo_up()
            for port in ports:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                ns.sockets[port] = s
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", port))
                s.listen(64)
                s.setblocking(False)
        finally:
            _check(_libc.setns(home, CLONE_NEWNET), "setns(home)")
    except BaseException:
        ns.close()
        raise
    finally:
        os.close(home)
    return ns


async def create(ports: tuple[int, ...]) -> Netns:
    """A new namespace with listening sockets on 127.0.0.1:`ports` inside. A thread of its
    own does it (a thread that failed to return home must not be reused)."""
    loop = asyncio.get_running_loop()
    fut: asyncio.Future[Netns] = loop.create_future()

    def work() -> None:
        try:
            ns = _create_blocking(ports)
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting task
            loop.call_soon_threadsafe(_settle, fut, None, exc)
        else:
            loop.call_soon_threadsafe(_settle, fut, ns, None)

    threading.Thread(target=work, name="gureum-netns", daemon=True).start()
    return await fut


def _settle(fut: asyncio.Future[Netns], ns: Netns | None, exc: BaseException | None) -> None:
    if fut.cancelled():
        if ns is not None:
            ns.close()
    elif exc is not None:
        fut.set_exception(exc)
    else:
        assert ns is not None
        fut.set_result(ns)


class NetnsPool:
    """Keeps up to `size` ready namespaces for one set of ports; `take()` hands one out
    (creating it on the spot when none is ready) and refills in the background. The refill
    task is owned here and ended by `close()`."""

    def __init__(self, ports: tuple[int, ...], size: int = 2) -> None:
        self.ports = ports
        self.size = size
        self._ready: list[Netns] = []
        self._refill: asyncio.Task[None] | None = None
        self._closed = False

    async def take(self) -> Netns:
        ns = self._ready.pop() if self._ready else None
        if ns is None:
            ns = await create(self.ports)
        self._start_refill()
        return ns

    def _start_refill(self) -> None:
        if self._closed or (self._refill is not None and not self._refill.done()):
            return
        self._refill = asyncio.get_running_loop().create_task(self._fill(), name="gureum-netns-pool")

    async def _fill(self) -> None:
        while not self._closed and len(self._ready) < self.size:
            try:
                ns = await create(self.ports)
            except OSError as exc:
                log.warning("could not prepare a network namespace: %s", exc)
                return
            if self._closed:
                ns.close()
                return
            self._ready.append(ns)

    async def close(self) -> None:
        self._closed = True
        if self._refill is not None:
            self._refill.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._refill
            self._refill = None
        for ns in self._ready:
            ns.close()
        self._ready.clear()


class SocketProxy(PortProxy):
    """A PortProxy serving an already bound listening socket (e.g. one inside a sandbox's
    namespace) instead of binding host_ip:host_port itself."""

    def __init__(self, sock: socket.socket, target: tuple[str, int]) -> None:
        name = sock.getsockname()
        super().__init__(name[0], name[1], target)
        self._sock = sock

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._handle, sock=self._sock)
        return self.host_port
