"""Configuring a task network namespace from inside gureum, without an `ip` process: a
thread enters the namespace with setns(2), speaks rtnetlink there, and returns home.

A netlink socket belongs to the namespace of the thread that created it, so everything
below acts on the namespace the calling thread is in. Messages (linux/rtnetlink.h):
RTM_NEWLINK (interface flags up), RTM_NEWADDR (an IPv4 address with its prefix length; the
kernel adds the subnet route with it) and RTM_NEWROUTE (a /32 link-scope route through an
interface, as `ip route add A/32 dev IF` makes), each sent with NLM_F_ACK and its
acknowledgement read back: a failure raises `RtnlError` with the kernel's errno.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import ipaddress
import os
import socket
import struct
from collections.abc import Iterator

CLONE_NEWNET = 0x40000000
_RTM_NEWLINK, _RTM_NEWADDR, _RTM_NEWROUTE = 16, 20, 24
_NLMSG_ERROR = 2
_NLM_F_REQUEST, _NLM_F_ACK, _NLM_F_EXCL, _NLM_F_CREATE = 0x1, 0x4, 0x200, 0x400
_IFF_UP = 0x1
_IFA_ADDRESS, _IFA_LOCAL = 1, 2
_RTA_DST, _RTA_OIF = 1, 4
_RT_TABLE_MAIN, _RTPROT_BOOT, _RT_SCOPE_LINK, _RTN_UNICAST = 254, 3, 253, 1

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


class RtnlError(OSError):
    """The kernel refused a request (errno and what was asked)."""


def _attr(kind: int, data: bytes) -> bytes:
    length = 4 + len(data)
    return struct.pack("=HH", length, kind) + data + b"\0" * (-length % 4)


class Rtnl:
    """One rtnetlink socket in the calling thread's network namespace."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, socket.NETLINK_ROUTE)
        self.sock.bind((0, 0))
        self.seq = 0

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> Rtnl:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _request(self, kind: int, flags: int, body: bytes, what: str) -> None:
        self.seq += 1
        seq = self.seq
        self.sock.send(struct.pack("=IHHII", 16 + len(body), kind, _NLM_F_REQUEST | _NLM_F_ACK | flags, seq, 0) + body)
        while True:
            data = self.sock.recv(65536)
            off = 0
            while off + 16 <= len(data):
                length, mtype, _, mseq, _ = struct.unpack_from("=IHHII", data, off)
                if mtype == _NLMSG_ERROR and mseq == seq:
                    (err,) = struct.unpack_from("=i", data, off + 16)
                    if err:
                        raise RtnlError(-err, f"{what}: {os.strerror(-err)}")
                    return
                off += max((length + 3) & ~3, 16)

    def link_up(self, ifname: str) -> None:
        index = socket.if_nametoindex(ifname)
        body = struct.pack("=BxHiII", socket.AF_UNSPEC, 0, index, _IFF_UP, _IFF_UP)
        self._request(_RTM_NEWLINK, 0, body, f"link set {ifname} up")

    def add_address(self, ifname: str, address: str, prefixlen: int) -> None:
        index = socket.if_nametoindex(ifname)
        raw = ipaddress.IPv4Address(address).packed
        body = struct.pack("=BBBBI", socket.AF_INET, prefixlen, 0, 0, index) + _attr(_IFA_LOCAL, raw) + _attr(_IFA_ADDRESS, raw)
        self._request(_RTM_NEWADDR, _NLM_F_CREATE | _NLM_F_EXCL, body, f"addr add {address}/{prefixlen} dev {ifname}")

    def add_host_route(self, destination: str, ifname: str) -> None:
        index = socket.if_nametoindex(ifname)
        body = struct.pack("=BBBBBBBBI", socket.AF_INET, 32, 0, 0, _RT_TABLE_MAIN, _RTPROT_BOOT, _RT_SCOPE_LINK, _RTN_UNICAST, 0)
        body += _attr(_RTA_DST, ipaddress.IPv4Address(destination).packed) + _attr(_RTA_OIF, struct.pack("=i", index))
        self._request(_RTM_NEWROUTE, _NLM_F_CREATE | _NLM_F_EXCL, body, f"route add {destination}/32 dev {ifname}")


@contextlib.contextmanager
def inside(netns_path: str) -> Iterator[None]:
    """Run the block with the calling thread in the network namespace at `netns_path`
    (a file under /run/netns), and bring it back home after."""
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        target = os.open(netns_path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            if _libc.setns(target, CLONE_NEWNET) != 0:
                err = ctypes.get_errno()
                raise RtnlError(err, f"setns({netns_path}): {os.strerror(err)}")
        finally:
            os.close(target)
        try:
            yield
        finally:
            if _libc.setns(home, CLONE_NEWNET) != 0:  # a thread left in a task's namespace would be a leak
                err = ctypes.get_errno()
                raise RtnlError(err, f"setns(home): {os.strerror(err)}")
    finally:
        os.close(home)
