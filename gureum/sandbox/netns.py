"""Private network namespaces for sandboxes that must reach nothing of the host (Lambda
execution environments), with listening sockets gureum opens *inside* them, and a small
pool of such namespaces made ahead of time.

A namespace here has `lo` (up) and, when a task bridge is given (network.Bridge, the ECS
task network), an `eth0` on it with a leased address and a route to the bridge subnet only,
minus the host's own address on the bridge (an `unreachable` route: the sandbox's
unprivileged processes cannot change it). So a process in it reaches neither the host's
loopback listeners nor the host itself nor anything off the machine — only task addresses
on the bridge. What the sandbox may talk to is offered on its own 127.0.0.1: gureum binds listening
sockets in the namespace (a helper thread enters it with setns(2), binds, and leaves; a
socket stays in the namespace it was created in) and serves them from its own event loop —
the environment's Runtime API, `SocketProxy` forwarding e.g. gureum's API port to the
host's 127.0.0.1, `SocketUdpProxy` forwarding DNS (UDP 53) to gureum's DNS server. Only processes in that namespace can connect to those sockets.

The namespace is held by an open fd on its nsfs inode (`Netns.fd`); the sandbox launcher
joins it (`--netns FD`). It disappears when the fd, the sockets and the processes in it
are gone. Creating one (unshare + lo up + binds: ~2 ms in a thread; with a bridge address
two `ip` runs more) and tearing it down cost far more than using one: `NetnsPool` keeps
a few ready so a cold start does not wait, and takes back those whose sandbox is gone.
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
import subprocess
import threading
import uuid
from dataclasses import dataclass, field

from gureum.sandbox.network import Bridge, NetworkError, PortProxy, TaskNetwork, UdpProxy

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
    udp_sockets: dict[int, socket.socket] = field(default_factory=dict)
    bridge: Bridge | None = None
    link: TaskNetwork | None = None  # its address on the bridge, if attached

    @property
    def address(self) -> str | None:
        return self.link.ip if self.link is not None else None

    def take_socket(self, port: int) -> socket.socket:
        """The listening socket on `port` (the caller now owns it)."""
        return self.sockets.pop(port)

    def serve_socket(self, port: int) -> socket.socket:
        """A duplicate of the listening socket on `port` for a server: closing it leaves
        the namespace's own, so the namespace can be used again (NetnsPool.give_back)."""
        return self.sockets[port].dup()

    def serve_udp_socket(self, port: int) -> socket.socket:
        return self.udp_sockets[port].dup()

    def close(self) -> None:
        """Release it (blocking when attached to a bridge: `ip netns delete`)."""
        for s in [*self.sockets.values(), *self.udp_sockets.values()]:
            s.close()
        self.sockets.clear()
        self.udp_sockets.clear()
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        if self.link is not None and self.bridge is not None:
            self.bridge.destroy(self.link)
            self.link = None

    async def aclose(self) -> None:
        if self.link is not None:
            await asyncio.to_thread(self.close)
        else:
            self.close()


def _lo_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        req = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack("16sH22x", fcntl.ioctl(s.fileno(), _SIOCGIFFLAGS, req))[1]
        fcntl.ioctl(s.fileno(), _SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | _IFF_UP))


def _no_route_to(netns: str, address: str) -> None:
    res = subprocess.run(
        ["ip", "-n", netns, "route", "add", "unreachable", f"{address}/32"], capture_output=True, text=True, timeout=30, check=False
    )
    if res.returncode != 0:
        raise NetworkError(f"ip route add unreachable {address}: {res.stderr.strip()}")


def _attach(bridge: Bridge) -> TaskNetwork:
    """A named namespace with an address on `bridge` and no route to the host's own
    address there. The bridge is set up again once if that fails (another gureum process
    on this host may have removed it)."""
    try:
        link = bridge.create("fn" + uuid.uuid4().hex)
    except NetworkError:
        bridge.setup()
        link = bridge.create("fn" + uuid.uuid4().hex)
    try:
        _no_route_to(link.netns, bridge.gateway)
    except NetworkError:
        bridge.destroy(link)
        raise
    return link


def _create_blocking(ports: tuple[int, ...], bridge: Bridge | None, udp_ports: tuple[int, ...] = ()) -> Netns:
    """Runs in a thread of its own: enter a new namespace, set it up, and return."""
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    ns = Netns(-1, bridge=bridge)
    try:
        if bridge is not None:
            try:
                ns.link = _attach(bridge)
            except NetworkError as exc:  # no task network: still a private namespace
                log.warning("sandbox namespace without the task network: %s", exc)
                ns.bridge = None
        if ns.link is not None:
            ns.fd = os.open(ns.link.path, os.O_RDONLY | os.O_CLOEXEC)
            _check(_libc.setns(ns.fd, CLONE_NEWNET), "setns(task network)")
        else:
            _check(_libc.unshare(CLONE_NEWNET), "unshare(CLONE_NEWNET)")
        try:
            if ns.link is None:
                ns.fd = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
                _lo_up()
            for port in ports:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                ns.sockets[port] = s
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", port))
                s.listen(64)
                s.setblocking(False)
            for port in udp_ports:
                u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                ns.udp_sockets[port] = u
                u.bind(("127.0.0.1", port))
                u.setblocking(False)
        finally:
            _check(_libc.setns(home, CLONE_NEWNET), "setns(home)")
    except BaseException:
        ns.close()
        raise
    finally:
        os.close(home)
    return ns


async def create(ports: tuple[int, ...], bridge: Bridge | None = None, udp_ports: tuple[int, ...] = ()) -> Netns:
    """A new namespace with listening sockets on 127.0.0.1:`ports` inside (and an
    address on `bridge`, if given). A thread of its own does it (a thread that failed to
    return home must not be reused)."""
    loop = asyncio.get_running_loop()
    fut: asyncio.Future[Netns] = loop.create_future()

    def work() -> None:
        try:
            ns = _create_blocking(ports, bridge, udp_ports)
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting task
            with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is waiting
                loop.call_soon_threadsafe(_settle, fut, None, exc)
            return
        try:
            loop.call_soon_threadsafe(_settle, fut, ns, None)
        except RuntimeError:  # the loop closed meanwhile (shutdown): release it here
            ns.close()

    threading.Thread(target=work, name="gureum-netns", daemon=True).start()
    return await fut


def _settle(fut: asyncio.Future[Netns], ns: Netns | None, exc: BaseException | None) -> None:
    if fut.cancelled():
        if ns is not None:
            threading.Thread(target=ns.close, name="gureum-netns-close", daemon=True).start()
    elif exc is not None:
        fut.set_exception(exc)
    else:
        assert ns is not None
        fut.set_result(ns)


class NetnsPool:
    """Keeps up to `size` ready namespaces for one set of ports; `take()` hands one out
    (creating it on the spot when none is ready) and refills in the background; a
    namespace whose sandbox is gone comes back with `give_back()` (up to `keep` are kept):
    creating and tearing down namespaces (veths, `ip` runs, the kernel's cleanup) is the
    expensive part, and one that held no process any more carries nothing over — its
    processes could change no interface, route or setting in it, and their sockets died
    with them. The refill task is owned here and ended by `close()`."""

    def __init__(
        self, ports: tuple[int, ...], size: int = 2, bridge: Bridge | None = None, udp_ports: tuple[int, ...] = (), keep: int = 16
    ) -> None:
        self.ports = ports
        self.udp_ports = udp_ports
        self.size = size
        self.keep = keep
        self.bridge = bridge
        self._ready: list[Netns] = []
        self._refill: asyncio.Task[None] | None = None
        self._closed = False

    async def take(self) -> Netns:
        ns = self._ready.pop() if self._ready else None
        if ns is None:
            ns = await create(self.ports, self.bridge, self.udp_ports)
        self._start_refill()
        return ns

    async def give_back(self, ns: Netns) -> None:
        """Take back a namespace no process uses any more (its sockets all still there)."""
        whole = set(ns.sockets) == set(self.ports) and set(ns.udp_sockets) == set(self.udp_ports) and ns.fd >= 0
        if self._closed or not whole or len(self._ready) >= self.keep:
            await ns.aclose()
            return
        self._ready.append(ns)

    def _start_refill(self) -> None:
        if self._closed or (self._refill is not None and not self._refill.done()):
            return
        self._refill = asyncio.get_running_loop().create_task(self._fill(), name="gureum-netns-pool")

    async def _fill(self) -> None:
        while not self._closed and len(self._ready) < self.size:
            try:
                ns = await create(self.ports, self.bridge, self.udp_ports)
            except (OSError, NetworkError) as exc:
                log.warning("could not prepare a network namespace: %s", exc)
                return
            if self._closed:
                await ns.aclose()
                return
            self._ready.append(ns)

    async def close(self) -> None:
        self._closed = True
        if self._refill is not None:
            self._refill.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._refill
            self._refill = None
        ready, self._ready = self._ready, []
        for ns in ready:
            await ns.aclose()


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


class SocketUdpProxy(UdpProxy):
    """A UdpProxy serving an already bound UDP socket (e.g. one inside a sandbox's
    namespace)."""

    def __init__(self, sock: socket.socket, target: tuple[str, int]) -> None:
        name = sock.getsockname()
        super().__init__(name[0], name[1], target)
        self._sock = sock

    async def start(self) -> int:
        loop = asyncio.get_running_loop()
        self.transport, _ = await loop.create_datagram_endpoint(lambda: self, sock=self._sock)
        self._reaper = loop.create_task(self._reap())
        return self.host_port
