"""The ELBv2 data plane of a node (the "elbv2" component): keeps a snapshot of what the store
says (snapshot.py), binds every listener on its load balancer's own loopback address and port
(HTTP through front.py's AlbServer with alb.py's handler, each accepted connection one new
connection in the meter; when the native worker builds and `elbv2.native_workers` > 0, an
HTTP listener's socket is the worker's (native_alb.py: plain forwards served in C, the rest
handed to the AlbServer, the table refreshed after every reconcile, its counts drained into
the meter and CloudWatch's tally before each flush); HTTPS through tls.py's relay to one, its authenticate actions run by
auth_action.py's Gate; NLB TLS through nlb_tls.py; TCP and UDP through nlb.py), closes
what was deleted, marks a load balancer "active" once its listeners are bound, runs the
health checker (health.py) each second, and writes the access logs it buffered every
`elbv2.access_log_interval` (access_logs.py) and when it stops.

The snapshot is rebuilt when an "elbv2." event is committed on this node, and every
`elbv2.reconcile_seconds` for other nodes' changes; requests read only the snapshot. A
listener whose address and port cannot be bound (another process holds it) is retried on
every reconcile and its load balancer stays "provisioning"."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from gureum.ports import FUNCTIONS
from gureum.ports import port as port_of
from gureum.services.elbv2 import balancers, cw_metrics, dnsnames, health, names, native_alb, nlb_tls, routing, snapshot
from gureum.services.elbv2.access_logs import AccessLogs
from gureum.services.elbv2.alb import AlbHandler
from gureum.services.elbv2.auth_action import Gate
from gureum.services.elbv2.front import AlbServer
from gureum.services.elbv2.meter import Meter
from gureum.services.elbv2.native_alb import NativeListener
from gureum.services.elbv2.nlb import TcpListener, UdpListener
from gureum.services.elbv2.settings import Elbv2Settings
from gureum.services.elbv2.tls import HttpsListener
from gureum.services.elbv2.upstream import Pool
from gureum.services.route53 import port as route53
from gureum.services.route53.slots import DNS
from gureum.store import Event, Txn

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.services.route53.server import DnsServer

log = logging.getLogger("gureum.elbv2")
BindKey = tuple[str, int, str]  # address, port, transport ("tcp" / "udp")


class _Bound(Protocol):
    async def close(self) -> None: ...


class _HttpBound:
    def __init__(self, server: AlbServer, native: NativeListener | None = None) -> None:
        self.server = server
        self.native = native

    async def close(self) -> None:
        if self.native is not None:
            self.native.close_nowait()  # no new connections; the ones Python holds finish below
        await self.server.stop(grace=1.0)


class DataPlane:
    def __init__(self, app: App) -> None:
        self.app = app
        self.snap = snapshot.Snapshot()
        self.bound: dict[BindKey, _Bound] = {}
        self.modes: dict[BindKey, str] = {}
        self.pool = Pool()
        self.rr = routing.RoundRobin()
        self.meter = Meter()
        self.tally = cw_metrics.Tally()  # requests for CloudWatch, flushed every second
        self.changed = asyncio.Event()
        self.checker = health.Checker(app, lambda: self.snap)
        self.dns: DnsServer | None = None  # the node's DNS server, once it listens
        self.names_served = False
        self.gate = Gate(app)  # auth_action.py: the HTTPS listeners' authenticate actions
        self.access_logs = AccessLogs(app)  # access_logs.py: entries buffered, written every access_log_interval
        self.native_binary: Path | None = None  # native_alb.py's worker, when elbv2.native_workers and it builds
        self.native_workers = app.settings(Elbv2Settings).native_workers
        self._native_tried = False  # built (or found) at the first HTTP listener, not at start

    def _serve_names(self, server: DnsServer) -> None:
        """Answer the load balancers' names on the node's DNS server, and Route 53 aliases to
        them (AliasTarget with ELB's canonical hosted zone ids) with their addresses."""
        route53.answer_unzoned(server, dnsnames.answerer(lambda: self.snap.names))
        route53.resolve_aliases(server, sorted(names.ALL_ZONE_IDS), lambda name: dnsnames.alias(name, self.snap.names))
        route53.set_alias_health(server, self.snap.name_health)
        self.names_served = True

    def on_event(self, event: Event) -> None:
        self.changed.set()

    def current(self) -> snapshot.Snapshot:
        return self.snap

    async def reconcile(self) -> None:
        before, health_before = self.snap.names, self.snap.name_health
        self.snap = await self.app.store.read(snapshot.build)
        if self.dns is not None and self.snap.names and not self.names_served:
            self._serve_names(self.dns)
        elif self.names_served and self.dns is not None and self.snap.names != before:
            route53.refresh_aliases(self.dns)
        if self.names_served and self.dns is not None and self.snap.name_health != health_before:
            route53.set_alias_health(self.dns, self.snap.name_health)
        want: dict[BindKey, str] = {}
        for (address, port), view in self.snap.listeners.items():
            if view.protocol == "HTTPS":  # its certificates change in place (HttpsListener.update)
                want[(address, port, "tcp")] = "https:" + hashlib.sha256(repr(view.certs).encode()).hexdigest()
            elif view.protocol == "HTTP":
                want[(address, port, "tcp")] = "http"
            elif view.protocol == "TLS":  # nlb_tls.py: its certificates change in place too
                want[(address, port, "tcp")] = nlb_tls.mode(view)
            elif view.protocol == "TCP":
                want[(address, port, "tcp")] = "tcp"
            elif view.protocol == "UDP":
                want[(address, port, "udp")] = "udp"
            else:  # TCP_UDP
                want[(address, port, "tcp")] = "tcp"
                want[(address, port, "udp")] = "udp"
        for key in list(self.bound):
            mode, have = want.get(key), self.modes.get(key)
            if mode != have:
                bound = self.bound[key]
                same = ((mode is not None and have is not None and mode.startswith("https:") and have.startswith("https:")
                         and isinstance(bound, HttpsListener))
                        or (nlb_tls.same_socket(mode, have) and isinstance(bound, nlb_tls.TlsListener)))
                if mode is not None and same and isinstance(bound, (HttpsListener, nlb_tls.TlsListener)):
                    try:  # new certificates on the same socket: no window without a listener
                        bound.update(self.snap.listeners[(key[0], key[1])].certs)
                        self.modes[key] = mode
                        continue
                    except (ValueError, OSError) as e:  # ssl.SSLError is an OSError
                        log.warning("cannot load the certificates of listener %s:%d: %s", key[0], key[1], e)
                await self.bound.pop(key).close()
                self.modes.pop(key, None)
        failed: set[str] = set()
        for key, mode in want.items():
            if key in self.bound:
                continue
            try:
                self.bound[key] = await self._bind(key, mode)
                self.modes[key] = mode
            except OSError as e:
                log.warning("cannot bind load balancer listener %s:%d/%s: %s", key[0], key[1], key[2], e)
                failed.add(key[0])
        for bound in self.bound.values():
            if isinstance(bound, _HttpBound) and bound.native is not None:
                bound.native.refresh()
        ready = [k for k, (address, state) in self.snap.lbs.items() if state == "provisioning" and address not in failed]
        if ready:
            def mark(t: Txn) -> None:
                for k in ready:
                    balancers.set_state(t, k, "active")
            await self.app.store.run(mark)

    async def _bind(self, key: BindKey, mode: str) -> _Bound:
        address, port, _ = key
        if mode.startswith("https:"):
            view = self.snap.listeners[(address, port)]
            front: HttpsListener | None = None

            def client_of(seen: tuple[str, int]) -> tuple[str, int]:
                return front.client_of(seen) if front is not None else seen
            handler = AlbHandler((address, port), self.current, self.pool, self.rr, self.meter, self._invoke,
                                 self._observe, client_of)
            handler.access_log = self.access_logs.add
            handler.gate = self.gate
            inner = AlbServer(handler, on_connection=lambda: self.meter.accepted(self.snap, (address, port)))
            front = HttpsListener((address, port), view.certs, inner)  # each TLS client: one relayed connection
            await front.start()
            return front
        if mode == "http":
            plain = AlbHandler((address, port), self.current, self.pool, self.rr, self.meter, self._invoke, self._observe)
            plain.access_log = self.access_logs.add
            server = AlbServer(plain, on_connection=lambda: self.meter.accepted(self.snap, (address, port)))  # ALB new connections
            if self.native_workers > 0 and not self._native_tried:
                self._native_tried = True
                self.native_binary = await asyncio.to_thread(native_alb.worker_binary)
            if self.native_binary is None or self.native_workers <= 0:
                await server.start(address, port)
                return _HttpBound(server)
            lsock = AlbServer.bind(address, port)
            native = NativeListener(self.native_binary, plain, server, self.meter, self.tally, self.native_workers)
            try:
                native.start(lsock)
            except OSError as e:
                log.warning("native ALB workers did not start (%s): listener %s:%d served by Python", e, address, port)
                server.serve(lsock)
                return _HttpBound(server)
            lsock.close()  # the workers hold it
            server.serve_handed()
            return _HttpBound(server, native)
        if mode.startswith("tls:"):
            front_tls = nlb_tls.TlsListener(self.snap.listeners[(address, port)], self.current, self.rr, self.meter)
            await front_tls.start()
            return front_tls
        if mode == "tcp":
            tcp = TcpListener((address, port), self.current, self.rr, self.meter)
            await tcp.start()
            return tcp
        udp = UdpListener((address, port), self.current, self.rr, self.meter)
        await udp.start()
        return udp

    async def _invoke(self, function: str, payload: bytes) -> tuple[bytes, str | None]:
        return await port_of(self.app, FUNCTIONS).invoke(function, payload)

    def _observe(self, lb_arn: str, tg_arn: str | None, status: int, from_target: bool, seconds: float) -> None:
        self.tally.request(lb_arn, tg_arn, status, from_target, seconds, time.time())

    def drain_native(self) -> None:
        """Add what the native workers counted to the meter and the tally."""
        for bound in self.bound.values():
            if isinstance(bound, _HttpBound) and bound.native is not None:
                bound.native.drain()

    def native_listener(self, address: str, port: int) -> NativeListener | None:
        bound = self.bound.get((address, port, "tcp"))
        return bound.native if isinstance(bound, _HttpBound) else None

    def flush_metrics(self) -> None:
        self.drain_native()
        self.tally.flush(self.app)

    def flush_usage(self) -> None:
        self.drain_native()
        self.meter.flush(self.app.ledger, self.snap, self.checker.lead)

    async def close(self) -> None:
        for flush in (self.flush_usage, self.flush_metrics):
            try:  # a failing flush (CloudWatch's emitter cannot start while the node stops) skips no other
                flush()
            except Exception:  # noqa: BLE001 - shutting down: those counts are lost, as on a killed node
                log.exception("%s failed at shutdown", flush.__name__)
        for bound in self.bound.values():
            await bound.close()
        self.bound.clear()
        await self.checker.close()
        self.pool.close()
        try:
            await self.access_logs.flush()  # what this node holds goes out before it stops
        except Exception:  # noqa: BLE001 - shutting down: the entries are lost, as on a killed node
            log.exception("access logs not written at shutdown")


async def _find_dns(app: App, plane: DataPlane) -> None:
    """Once the node's DNS server listens, hand it to the data plane (which puts the load
    balancers' names on it when the first one exists: until then DNS pays nothing)."""
    plane.dns = await app.parts.wait(DNS, None)
    plane.changed.set()


async def run(app: App) -> None:
    plane = DataPlane(app)
    app.spawn(_find_dns(app, plane), "elbv2-dns")
    app.every(1.0, plane.flush_metrics, name="elbv2-metrics", jitter=0.0)
    interval = app.settings(Elbv2Settings).reconcile_seconds
    flush_every = app.settings(Elbv2Settings).meter_seconds
    unsubscribe = app.store.subscribe("elbv2.", plane.on_event)
    app.set_status("elbv2", "running")
    app.every(app.settings(Elbv2Settings).access_log_interval, plane.access_logs.flush, name="elbv2-access-logs",
              jitter=0.0)
    next_flush = asyncio.get_running_loop().time() + flush_every
    try:
        while True:
            try:
                await plane.reconcile()
                await plane.checker.tick()
                if asyncio.get_running_loop().time() >= next_flush:
                    next_flush += flush_every
                    plane.flush_usage()
            except Exception:  # noqa: BLE001 - the data plane keeps serving what it has
                log.exception("elbv2 reconcile failed")
            try:
                await asyncio.wait_for(plane.changed.wait(), interval)
            except asyncio.TimeoutError:
                pass
            plane.changed.clear()
    finally:
        unsubscribe()
        await plane.close()
