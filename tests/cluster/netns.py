"""Network namespaces for the cluster failure suite: one bridge on the host and one named
namespace per gureum node, each joined to the bridge by a veth pair.

Layout (everything named after a random 5-hex tag, so two runs never collide):
  bridge `gcl<tag>` on the host, address 10.<a>.<b>.1/24 (a /24 chosen free of the host's routes);
  namespace `gcl-<tag>-<i>`, with `lo` up and `eth0` (the veth's far end) at 10.<a>.<b>.<10+i>/24.
The host (where the test's clients run) reaches each node at its address; the nodes reach
PostgreSQL through its unix socket (a path, shared across network namespaces). Nothing is
routed off the bridge. `ClusterNetwork.close()` deletes the namespaces and the bridge
(the veths go with them)."""

from __future__ import annotations

import ipaddress
import secrets
import subprocess
from dataclasses import dataclass, field


class NetnsError(RuntimeError):
    pass


def _ip(*args: str) -> str:
    res = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30, check=False)
    if res.returncode != 0:
        raise NetnsError(f"ip {' '.join(args)}: {res.stderr.strip()}")
    return res.stdout


def _free_subnet() -> ipaddress.IPv4Network:
    """A /24 inside 10.240.0.0/12 that no route on the host overlaps."""
    used = []
    for line in _ip("-4", "route", "show", "table", "all").splitlines():
        word = line.split()[0] if line.split() else ""
        if word and word[0].isdigit():
            try:
                used.append(ipaddress.ip_network(word, strict=False))
            except ValueError:
                continue
    for _ in range(200):
        net = ipaddress.IPv4Network(f"10.{240 + secrets.randbelow(16)}.{secrets.randbelow(256)}.0/24")
        if not any(net.overlaps(u) for u in used if u.prefixlen > 0):
            return net
    raise NetnsError("no free /24 in 10.240.0.0/12")


@dataclass
class ClusterNetwork:
    """`size` namespaces on one host bridge; `address(i)` is node i's address."""

    size: int
    tag: str = field(default_factory=lambda: secrets.token_hex(3)[:5])
    subnet: ipaddress.IPv4Network = field(default_factory=_free_subnet)
    namespaces: list[str] = field(default_factory=list)
    bridge: str = ""

    def __post_init__(self) -> None:
        self.bridge = f"gcl{self.tag}"

    def address(self, i: int) -> str:
        return str(self.subnet.network_address + 10 + i)

    def host_address(self) -> str:
        return str(self.subnet.network_address + 1)

    def open(self) -> ClusterNetwork:
        try:
            _ip("link", "add", self.bridge, "type", "bridge")
            _ip("addr", "add", f"{self.host_address()}/{self.subnet.prefixlen}", "dev", self.bridge)
            _ip("link", "set", self.bridge, "up")
            for i in range(self.size):
                ns = f"gcl-{self.tag}-{i}"
                _ip("netns", "add", ns)
                self.namespaces.append(ns)
                host_end, ns_end = f"gcl{self.tag}h{i}", f"gcl{self.tag}n{i}"
                _ip("link", "add", host_end, "type", "veth", "peer", "name", ns_end)
                _ip("link", "set", host_end, "master", self.bridge)
                _ip("link", "set", host_end, "up")
                _ip("link", "set", ns_end, "netns", ns)
                _ip("-n", ns, "link", "set", ns_end, "name", "eth0")
                _ip("-n", ns, "addr", "add", f"{self.address(i)}/{self.subnet.prefixlen}", "dev", "eth0")
                _ip("-n", ns, "link", "set", "eth0", "up")
                _ip("-n", ns, "link", "set", "lo", "up")
        except BaseException:
            self.close()
            raise
        return self

    def exec_prefix(self, i: int) -> list[str]:
        """The command prefix that runs a program inside node i's network namespace and no
        other (nsenter execs the program: its pid is the program's). Not `ip netns exec`: it
        also makes a mount namespace with a fresh /sys, hiding /sys/fs/cgroup from runc and
        the Lambda sandboxes."""
        return ["nsenter", f"--net=/run/netns/{self.namespaces[i]}", "--"]

    def close(self) -> None:
        for ns in self.namespaces:
            subprocess.run(["ip", "netns", "delete", ns], capture_output=True, check=False, timeout=30)
        self.namespaces.clear()
        subprocess.run(["ip", "link", "delete", self.bridge], capture_output=True, check=False, timeout=30)

    def __enter__(self) -> ClusterNetwork:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()
