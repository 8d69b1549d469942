"""A Network Load Balancer listener: TCP connections spliced to a target (chosen round-robin
from the default action's group, or by source address when the group is sticky), and UDP
datagrams relayed per client address through a socket of their own, replies sent back from
the listener's address. A target that refuses a TCP connection gets the client's connection
reset, as an NLB does.

Invariant: a listener holds each connection's task in `live` until it ends (`hold`, which
nlb_tls.py and tls.py use too). asyncio's stream protocol holds its reader only weakly and its
handler task only through the client's transport, which the event loop lets go once that
transport stops reading (the client half-closed or closed, or flow control paused it): a
splice then waiting for its target was reachable from nothing, and a garbage collection
destroyed it mid-connection (the client's socket closed unanswered, the target's left open)."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from typing import cast

from gureum.services.elbv2 import routing
from gureum.services.elbv2.meter import Meter
from gureum.services.elbv2.snapshot import GroupView, Snapshot

log = logging.getLogger("gureum.elbv2.nlb")
_UDP_IDLE = 120.0


def _group(snap: Snapshot, key: tuple[str, int]) -> GroupView | None:
    view = snap.listeners.get(key)
    if view is None:
        return None
    cfg = view.rules[-1]["Actions"][-1].get("ForwardConfig") or {}
    arn = routing.pick_group(cfg.get("TargetGroups") or [])
    return snap.groups.get(arn or "")


def _pick(group: GroupView, rr: routing.RoundRobin, client: str) -> tuple[str, int] | None:
    if not group.routable:
        return None
    if group.doc["attributes"].get("stickiness.enabled") == "true":
        return group.routable[hash(client) % len(group.routable)]
    return group.routable[rr.pick(group.arn, len(group.routable))]


def hold(live: set[asyncio.Task[None]]) -> None:
    """Hold the running task (one connection's handler) in `live` until it is done."""
    task = cast("asyncio.Task[None]", asyncio.current_task())
    live.add(task)
    task.add_done_callback(live.discard)


async def _pipe(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
    try:
        while data := await r.read(65536):
            w.write(data)
            await w.drain()
        if w.can_write_eof():
            w.write_eof()
    except (ConnectionError, OSError):
        pass


class TcpListener:
    def __init__(self, key: tuple[str, int], snapshot: Callable[[], Snapshot], rr: routing.RoundRobin,
                 meter: Meter) -> None:
        self.key = key
        self.snapshot = snapshot
        self.rr = rr
        self.meter = meter
        self.server: asyncio.Server | None = None
        self.live: set[asyncio.Task[None]] = set()  # the connections being spliced (`hold`)

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._conn, self.key[0], self.key[1], reuse_address=True)

    async def _conn(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        hold(self.live)
        peer = w.get_extra_info("peername") or ("", 0)
        snap = self.snapshot()
        view = snap.listeners.get(self.key)
        if view is not None:
            self.meter.connection(view.lb_key)
        group = _group(snap, self.key)
        target = _pick(group, self.rr, peer[0]) if group is not None else None
        try:
            if target is None:
                raise ConnectionRefusedError("no target")
            tr, tw = await asyncio.open_connection(target[0], target[1])
        except OSError as e:
            log.info("TCP connection from %s to %s:%d reset: %s (target %s)", peer[0], self.key[0], self.key[1], e, target)
            sock = w.get_extra_info("socket")
            if sock is not None:  # RST, as a load balancer with nowhere to send answers
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            w.close()
            return
        try:
            await asyncio.gather(_pipe(r, tw), _pipe(tr, w))
        finally:
            tw.close()
            w.close()

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()


class _Relay(asyncio.DatagramProtocol):
    """One client's upstream socket: replies go back to the client from the listener."""

    def __init__(self, send_back: Callable[[bytes], None]) -> None:
        self.send_back = send_back
        self.transport: asyncio.DatagramTransport | None = None
        self.last = asyncio.get_running_loop().time()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)  # the selector's is no subclass

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.last = asyncio.get_running_loop().time()
        self.send_back(data)


class UdpListener(asyncio.DatagramProtocol):
    def __init__(self, key: tuple[str, int], snapshot: Callable[[], Snapshot], rr: routing.RoundRobin,
                 meter: Meter) -> None:
        self.key = key
        self.snapshot = snapshot
        self.rr = rr
        self.meter = meter
        self.transport: asyncio.DatagramTransport | None = None
        self.flows: dict[tuple[str, int], _Relay] = {}
        self._opening: set[tuple[str, int]] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(lambda: self, local_addr=self.key, reuse_port=False)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)  # the selector's is no subclass

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        relay = self.flows.get(addr)
        if relay is not None and relay.transport is not None:
            relay.last = asyncio.get_running_loop().time()
            relay.transport.sendto(data)
            return
        task = asyncio.get_running_loop().create_task(self._open(addr, data))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _open(self, addr: tuple[str, int], first: bytes) -> None:
        try:
            await self._open_flow(addr, first)
        except OSError as e:
            log.warning("UDP flow from %s:%d not opened: %s", addr[0], addr[1], e)

    async def _open_flow(self, addr: tuple[str, int], first: bytes) -> None:
        snap = self.snapshot()
        view = snap.listeners.get(self.key)
        if view is not None:
            self.meter.connection(view.lb_key, len(first))
        group = _group(snap, self.key)
        target = _pick(group, self.rr, addr[0]) if group is not None else None
        if target is None:
            return
        loop = asyncio.get_running_loop()

        def back(data: bytes) -> None:
            if self.transport is not None:
                self.transport.sendto(data, addr)
        _, relay = await loop.create_datagram_endpoint(lambda: _Relay(back), remote_addr=target)
        old = self.flows.get(addr)
        if old is not None and old.transport is not None:
            old.transport.close()
        self.flows[addr] = relay
        assert relay.transport is not None
        relay.transport.sendto(first)

    def expire(self) -> None:
        now = asyncio.get_running_loop().time()
        for addr, relay in list(self.flows.items()):
            if now - relay.last > _UDP_IDLE and relay.transport is not None:
                relay.transport.close()
                del self.flows[addr]

    async def close(self) -> None:
        for relay in self.flows.values():
            if relay.transport is not None:
                relay.transport.close()
        self.flows.clear()
        if self.transport is not None:
            self.transport.close()
