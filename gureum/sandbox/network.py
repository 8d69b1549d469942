"""Task networks: one network namespace per task with an address on a gureum bridge, and
ports published on the host's loopback through asyncio proxies (TCP streams; UDP datagrams
with a per-client upstream socket).

The bridge (`gureum0` by default, first address of the subnet, default 10.213.0.0/16 — a
range unlikely to clash with a LAN) is shared by every gureum process on the host, so
addresses are leased host-wide with exclusive lease files under /run/gureum/ecs-net/ that
name the owning pid; leases of dead processes are reclaimed. A task namespace gets `lo`
and `eth0` (a veth into the bridge) and a route to the bridge subnet only: no default
route, so nothing a task sends leaves the machine. The host and other tasks reach it at its
address; containers of one task share the namespace (localhost between them). The host side
of namespaces asked for together (namespace, veth pair, bridge port) is one `ip -batch`; each
namespace's inside (address, links up, host routes) is set over rtnetlink from a thread that
enters it (rtnl.py), not by another `ip` process.

Who made the bridge is recorded under /run/gureum/bridges/<name>/: `created` when gureum
created it, `users/<pid>` for each gureum process using it. On a clean exit a process removes
the bridge (its addresses go with it) only if gureum created it and no other live gureum
process uses it (its user file, an address lease, or a `gureum up`/`agent` process configured
for that bridge); a bridge gureum found is left as found.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import re
import secrets
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from gureum.sandbox import rtnl
from gureum.sandbox.cgroups import pid_alive

log = logging.getLogger("gureum.sandbox.network")

LEASES = Path("/run/gureum/ecs-net")
BRIDGES = Path("/run/gureum/bridges")
NETNS_DIR = Path("/run/netns")
NS_PREFIX = "gureum-"
UDP_IDLE_TIMEOUT = 60.0  # seconds a UDP client's upstream socket lives without traffic


class NetworkError(Exception):
    pass


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def _gureum_node_bridge(pid: int) -> str | None:
    """The task bridge a `gureum up` / `gureum agent` process uses (None: not one)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    args = [a.decode(errors="replace") for a in argv]
    if not any(a.endswith("gureum") or a == "gureum" for a in args) or not ({"up", "agent"} & set(args)):
        return None
    for a in args:
        if a.startswith("ecs.bridge="):
            return a.split("=", 1)[1]
    try:
        env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        env = []
    for e in env:
        if e.startswith(b"GUREUM_ECS_BRIDGE="):
            return e.split(b"=", 1)[1].decode(errors="replace")
    return "gureum0"


def _ip(*args: str, stdin: str | None = None) -> None:
    res = subprocess.run(["ip", *args], input=stdin, check=False, capture_output=True, text=True, timeout=30)
    if res.returncode != 0:
        raise NetworkError(f"ip {' '.join(args)}: {res.stderr.strip()}")


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
        mark = BRIDGES / self.name
        (mark / "users").mkdir(parents=True, exist_ok=True)
        (mark / "users" / str(os.getpid())).touch()
        if not Path(f"/sys/class/net/{self.name}").exists():
            try:
                _ip("link", "add", self.name, "type", "bridge")
                (mark / "created").write_text(f"{os.getpid()}\n")
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

    def teardown(self) -> bool:
        """On a clean exit: remove the bridge if gureum created it and no other gureum
        process on this machine uses it. Whether it was removed."""
        mark = BRIDGES / self.name
        with contextlib.suppress(OSError):
            (mark / "users" / str(os.getpid())).unlink()
        if not (mark / "created").exists() or self._used_by_others(mark):
            return False
        try:
            _ip("link", "del", self.name)
        except NetworkError as e:
            log.warning("could not remove bridge %s: %s", self.name, e)
            return False
        with contextlib.suppress(OSError):
            (mark / "created").unlink()
        self.available = False
        return True

    def _used_by_others(self, mark: Path) -> bool:
        me = os.getpid()
        users = [int(p.name) for p in (mark / "users").iterdir() if p.name.isdigit()] if (mark / "users").is_dir() else []
        for pid in users:
            if pid != me and pid_alive(pid):
                return True
            with contextlib.suppress(OSError):
                (mark / "users" / str(pid)).unlink()
        for lease in list(LEASES.iterdir()) if LEASES.is_dir() else []:
            with contextlib.suppress(OSError, ValueError, IndexError):
                pid_s, _ = lease.read_text().split()
                if int(pid_s) != me and pid_alive(int(pid_s)) and ipaddress.ip_address(lease.name) in self.net:
                    return True
        return any(pid != me and _gureum_node_bridge(pid) == self.name for pid in _pids())

    def reclaim(self) -> None:
        """Remove namespaces and leases left by gureum processes that died."""
        for lease in list(LEASES.iterdir()) if LEASES.is_dir() else []:
            try:
                pid_s, ns = lease.read_text().split()
                pid = int(pid_s)
            except (OSError, ValueError):
                continue
            if pid_alive(pid):
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
                if pid_alive(pid):
                    continue
                with contextlib.suppress(OSError):
                    path.unlink()
                continue
            with os.fdopen(fd, "w") as f:
                f.write(f"{os.getpid()} {netns}\n")
            return str(addr)
        raise NetworkError(f"no free address left in {self.net}")

    def create(self, task_id: str) -> TaskNetwork:
        """A namespace for one task with its address on the bridge (blocking)."""
        made = self.create_many([task_id])[0]
        if isinstance(made, NetworkError):
            raise made
        return made

    def create_many(self, task_ids: list[str]) -> list[TaskNetwork | NetworkError]:
        """Namespaces for several tasks at once (blocking), in the order asked: one `ip -batch`
        makes every namespace and veth pair on the host side, then this thread configures
        each namespace from inside (rtnl.py: address, links up, host routes) without another
        process. When the batch fails, each network is tried on its own, so one bad request
        fails alone (its entry is the NetworkError)."""
        if not self.available:
            return [NetworkError(self.reason or "task networking is not available") for _ in task_ids]
        if len(task_ids) > 1:
            try:
                return list(self._create_batch(task_ids))
            except NetworkError:
                pass  # (the batch's namespaces and leases are gone): one at a time
        out: list[TaskNetwork | NetworkError] = []
        for task_id in task_ids:
            try:
                out.extend(self._create_batch([task_id]))
            except NetworkError as e:
                out.append(e)
        return out

    def _create_batch(self, task_ids: list[str]) -> list[TaskNetwork]:
        made: list[TaskNetwork] = []
        ours = 0  # how many of `made` have host-side parts to remove if this fails
        try:
            for task_id in task_ids:
                short = task_id.replace("-", "")[:11]
                netns = NS_PREFIX + short
                ip = self._lease(netns)
                mac = "02:42:" + ":".join(f"{b:02x}" for b in ipaddress.ip_address(ip).packed)
                made.append(TaskNetwork(netns, str(NETNS_DIR / netns), ip, self.net.prefixlen, self.gateway, "gv" + short, mac))
            try:
                _ip("-batch", "-", stdin="".join(
                    f"netns add {tn.netns}\n"
                    f"link add {tn.host_veth} type veth peer name eth0 address {tn.mac} netns {tn.netns}\n"
                    f"link set {tn.host_veth} master {self.name} up\n"
                    for tn in made))  # fmt: skip
            except NetworkError as e:
                # `ip -batch` stops at the failing line: the networks before it are ours, and
                # the failing one's too unless its own `netns add` failed (a name taken)
                failed = re.search(r"Command failed -:(\d+)", str(e))
                ours = len(made) if failed is None else (int(failed[1]) + 1) // 3
                raise
            ours = len(made)
            for tn in made:
                try:
                    with rtnl.inside(tn.path), rtnl.Rtnl() as nl:
                        nl.add_address("eth0", tn.ip, tn.prefix)
                        nl.link_up("eth0")
                        nl.link_up("lo")
                        for r in self.host_routes:
                            nl.add_host_route(r, "eth0")
                except OSError as e:
                    raise NetworkError(f"configuring {tn.netns}: {e}") from None
        except BaseException:
            # the host ends first, at once (a namespace's veth goes with it only later, and a
            # retry under the same names would find it), then the namespaces
            if ours:
                with contextlib.suppress(NetworkError, subprocess.SubprocessError, OSError):
                    _ip("-force", "-batch", "-", stdin="".join(f"link del {tn.host_veth}\nnetns del {tn.netns}\n" for tn in made[:ours]))
            for tn in made:
                self._release(tn.ip)
            raise
        return made

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


class _Upstream(asyncio.DatagramProtocol):
    """One client's socket towards the target: replies go back to that client."""

    def __init__(self, proxy: UdpProxy, client: tuple[str, int]) -> None:
        self.proxy = proxy
        self.client = client
        self.transport: asyncio.DatagramTransport | None = None
        self.last = time.monotonic()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.last = time.monotonic()
        if self.proxy.transport is not None:
            self.proxy.transport.sendto(data, self.client)

    def error_received(self, exc: Exception) -> None:
        pass  # e.g. ICMP port unreachable while the container is not listening yet


class UdpProxy(asyncio.DatagramProtocol):
    """Listens for datagrams on host_ip:host_port and forwards each to target from a
    socket of its own per client address (so replies find their client), closed after
    `idle` seconds without traffic."""

    def __init__(self, host_ip: str, host_port: int, target: tuple[str, int], idle: float = UDP_IDLE_TIMEOUT) -> None:
        self.host_ip = host_ip
        self.host_port = host_port
        self.target = target
        self.idle = idle
        self.transport: asyncio.DatagramTransport | None = None
        self.clients: dict[tuple[str, int], _Upstream] = {}
        self.pending: dict[tuple[str, int], list[bytes]] = {}
        self._reaper: asyncio.Task[None] | None = None

    async def start(self) -> int:
        loop = asyncio.get_running_loop()
        self.transport, _ = await loop.create_datagram_endpoint(lambda: self, local_addr=(self.host_ip, self.host_port))
        self.host_port = self.transport.get_extra_info("sockname")[1]
        self._reaper = loop.create_task(self._reap())
        return self.host_port

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        up = self.clients.get(addr)
        if up is not None and up.transport is not None:
            up.last = time.monotonic()
            up.transport.sendto(data)
            return
        if addr in self.pending:  # its upstream socket is being opened
            self.pending[addr].append(data)
            return
        self.pending[addr] = [data]
        asyncio.get_running_loop().create_task(self._open(addr))

    async def _open(self, addr: tuple[str, int]) -> None:
        loop = asyncio.get_running_loop()
        try:
            _, up = await loop.create_datagram_endpoint(lambda: _Upstream(self, addr), remote_addr=self.target)
        except OSError:
            self.pending.pop(addr, None)
            return
        if self.transport is None:  # closed meanwhile
            if up.transport is not None:
                up.transport.close()
            return
        self.clients[addr] = up
        for data in self.pending.pop(addr, []):
            if up.transport is not None:
                up.transport.sendto(data)

    async def _reap(self) -> None:
        while True:
            await asyncio.sleep(min(self.idle, 5.0))
            cutoff = time.monotonic() - self.idle
            for addr, up in list(self.clients.items()):
                if up.last < cutoff:
                    del self.clients[addr]
                    if up.transport is not None:
                        up.transport.close()

    async def close(self) -> None:
        if self._reaper is not None:
            self._reaper.cancel()
        for up in self.clients.values():
            if up.transport is not None:
                up.transport.close()
        self.clients.clear()
        if self.transport is not None:
            self.transport.close()
            self.transport = None


async def publish(host_ip: str, host_port: int, target: tuple[str, int], protocol: str = "tcp") -> PortProxy | UdpProxy:
    """Publish `target` on host_ip:host_port (0: an ephemeral port), TCP or UDP."""
    proxy: PortProxy | UdpProxy = UdpProxy(host_ip, host_port, target) if protocol == "udp" else PortProxy(host_ip, host_port, target)
    await proxy.start()
    return proxy
