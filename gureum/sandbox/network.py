"""Task networks: one network namespace per task with an address on a gureum bridge, and
ports published on the host's loopback through an asyncio TCP proxy.

The bridge (`gureum0` by default, first address of the subnet, default 10.213.0.0/16 — a
range unlikely to clash with a LAN) is shared by every gureum process on the host, so
addresses are leased host-wide with exclusive lease files under /run/gureum/ecs-net/ that
name the owning pid; leases of dead processes are reclaimed. A task namespace gets `lo`
and `eth0` (a veth into the bridge) and a route to the bridge subnet only: no default
route, so nothing a task sends leaves the machine. The host and other tasks reach it at its
address; containers of one task share the namespace (localhost between them).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import secrets
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("gureum.sandbox.network")

LEASES = Path("/run/gureum/ecs-net")
NETNS_DIR = Path("/run/netns")
NS_PREFIX = "gureum-"


class NetworkError(Exception):
    pass


def _ip(*args: str, stdin: str | None = None) -> None:
    res = subprocess.run(["ip", *args], input=stdin, check=False, capture_output=True, text=True, timeout=30)
    if res.returncode != 0:
        raise NetworkError(f"ip {' '.join(args)}: {res.stderr.strip()}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class TaskNetwork:
    """What a task got: its namespace (path for the OCI config), address and interface."""

    netns: str
    path: str
    ip: str
    prefix: int
    gateway: str
    host_veth: str
    mac: str


class Bridge:
    """The host side: the bridge, address leases, and per-task namespaces."""

    def __init__(self, name: str = "gureum0", subnet: str = "10.213.0.0/16") -> None:
        self.name = name
        self.net = ipaddress.ip_network(subnet)
        self.gateway = str(self.net.network_address + 1)
        self.available = False
        self.reason = ""
        self.host_routes: list[str] = []  # link-local addresses on the bridge tasks may reach

    def setup(self) -> None:
        """Create the bridge if it is missing, reclaim leases of dead processes."""
        if os.geteuid() != 0:
            self.reason = "task networking needs root"
            return
        LEASES.mkdir(parents=True, exist_ok=True)
        if not Path(f"/sys/class/net/{self.name}").exists():
            try:
                _ip("link", "add", self.name, "type", "bridge")
            except NetworkError as e:
                if "exists" not in str(e):
                    self.reason = str(e)
                    return
        with contextlib.suppress(NetworkError):
            _ip("addr", "add", f"{self.gateway}/{self.net.prefixlen}", "dev", self.name)
        try:
            _ip("link", "set", self.name, "up")
        except NetworkError as e:
            self.reason = str(e)
            return
        self.reclaim()
        self.available = True

    def reclaim(self) -> None:
        """Remove namespaces and leases left by gureum processes that died."""
        for lease in list(LEASES.iterdir()) if LEASES.is_dir() else []:
            try:
                pid_s, ns = lease.read_text().split()
                pid = int(pid_s)
            except (OSError, ValueError):
                continue
            if _alive(pid):
                continue
            self._remove_ns(ns)
            with contextlib.suppress(OSError):
                lease.unlink()

    def _lease(self, netns: str) -> str:
        hosts = self.net.num_addresses - 2
        start = secrets.randbelow(max(1, hosts - 1))
        for i in range(hosts):
            addr = self.net.network_address + 2 + (start + i) % (hosts - 1)
            path = LEASES / str(addr)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                try:
                    pid = int(path.read_text().split()[0])
                except (OSError, ValueError, IndexError):
                    continue
                if _alive(pid):
                    continue
                with contextlib.suppress(OSError):
                    path.unlink()
                continue
            with os.fdopen(fd, "w") as f:
                f.write(f"{os.getpid()} {netns}\n")
            return str(addr)
        raise NetworkError(f"no free address left in {self.net}")

    def create(self, task_id: str) -> TaskNetwork:
        """A namespace for one task with its address on the bridge (blocking, ~10 ms)."""
        if not self.available:
            raise NetworkError(self.reason or "task networking is not available")
        short = task_id.replace("-", "")[:11]
        netns = NS_PREFIX + short
        veth = "gv" + short
        ip = self._lease(netns)
        mac = "02:42:" + ":".join(f"{b:02x}" for b in ipaddress.ip_address(ip).packed)
        try:
            _ip(
                "-batch",
                "-",
                stdin=(
                    f"netns add {netns}\n"
                    f"link add {veth} type veth peer name eth0 netns {netns}\n"
                    f"link set {veth} master {self.name} up\n"
                ),
            )
            _ip(
                "-n",
                netns,
                "-batch",
                "-",
                stdin=(
                    f"link set eth0 address {mac}\n"
                    f"addr add {ip}/{self.net.prefixlen} dev eth0\n"
                    "link set eth0 up\n"
                    "link set lo up\n"
                    + "".join(f"route add {r}/32 dev eth0\n" for r in self.host_routes)
                ),
            )
        except NetworkError:
            self._remove_ns(netns)
            self._release(ip)
            raise
        return TaskNetwork(netns, str(NETNS_DIR / netns), ip, self.net.prefixlen, self.gateway, veth, mac)

    def destroy(self, tn: TaskNetwork) -> None:
        self._remove_ns(tn.netns)
        self._release(tn.ip)

    def _release(self, ip: str) -> None:
        with contextlib.suppress(OSError):
            (LEASES / ip).unlink()

    @staticmethod
    def _remove_ns(netns: str) -> None:
        # Deleting the namespace destroys its veth end and with it the host end.
        with contextlib.suppress(NetworkError, subprocess.SubprocessError, OSError):
            _ip("netns", "delete", netns)


# --- port publishing ---------------------------------------------------------------------


@dataclass
class PortProxy:
    """Listens on host_ip:host_port and forwards each TCP connection to target."""

    host_ip: str
    host_port: int
    target: tuple[str, int]
    server: asyncio.Server | None = None
    _conns: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._handle, self.host_ip, self.host_port, reuse_address=True)
        self.host_port = self.server.sockets[0].getsockname()[1]
        return self.host_port

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._conns.add(task)
        try:
            try:
                ureader, uwriter = await asyncio.wait_for(asyncio.open_connection(*self.target), 5)
            except (TimeoutError, OSError):
                return
            try:
                async with asyncio.TaskGroup() as tg:
                    tg.create_task(_pipe(reader, uwriter))
                    tg.create_task(_pipe(ureader, writer))
            except* OSError:
                pass
            finally:
                uwriter.close()
        finally:
            writer.close()
            self._conns.discard(task)

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            for t in list(self._conns):
                t.cancel()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.server.wait_closed(), 2)


async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
    try:
        while data := await src.read(65536):
            dst.write(data)
            await dst.drain()
    finally:
        with contextlib.suppress(OSError, RuntimeError):
            if dst.can_write_eof():
                dst.write_eof()


async def publish(host_ip: str, host_port: int, target: tuple[str, int]) -> PortProxy:
    """Publish `target` on host_ip:host_port (0: an ephemeral port)."""
    proxy = PortProxy(host_ip, host_port, target)
    await proxy.start()
    return proxy
