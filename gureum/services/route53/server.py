"""The DNS listeners (UDP and TCP) around the answer engine, and the `dns` component.

`run(app)` loads every hosted zone from the store into a ZoneIndex, follows the Route 53
change events the API publishes in the same transactions as its changes (so the index is
updated incrementally, with no store access per query), binds UDP and TCP on
dns_host:dns_port (falling back to 10053 when 53 is not available) and publishes the
`DnsServer` as the "dns" component.

DNS over TCP holds against hostile clients (RFC 7766 §6.2), with `TcpLimits` (settings):
`dns.tcp_idle_timeout` (10 s with no message begun), `dns.tcp_message_timeout` (5 s for a
message, from its first byte: single bytes do not keep a connection alive),
`dns.tcp_max_lifetime` (120 s per connection), `dns.tcp_write_buffer` (64 KiB of unsent
answers: reading stops until the client reads), `dns.tcp_max_connections_per_client` (64)
and `dns.tcp_max_connections` (1024), enforced by `gureum.http.accept.Acceptor` (an idle
connection is closed to admit a new one, else the new one is). UDP is served apart and
keeps answering meanwhile.

UDP on the main address is answered by native workers (native_dns.py) when
`route53.native_dns` is on and a worker could be built; they forward to this engine what
they do not answer. Otherwise (and on further addresses) `UdpReader` answers UDP here.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import gc
import logging
import socket
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gureum import collector
from gureum.http.accept import Acceptor
from gureum.services.route53.engine import Engine, PrivateViews
from gureum.services.route53.index import Zone, ZoneIndex, stored_form
from gureum.services.route53.native_dns import NativeDns
from gureum.services.route53.settings import Route53Settings
from gureum.services.route53.slots import DNS

if TYPE_CHECKING:
    from pathlib import Path

    from gureum.app import App
    from gureum.services.route53.signer import ZoneSigner

log = logging.getLogger("gureum.dns")

FALLBACK_PORT = 10053


@dataclass(frozen=True)
class TcpLimits:
    # Defaults are the `dns.tcp_*` settings' own (route53/settings.py).
    idle_timeout: float = Route53Settings.tcp_idle_timeout
    message_timeout: float = Route53Settings.tcp_message_timeout
    max_lifetime: float = Route53Settings.tcp_max_lifetime
    write_buffer: int = Route53Settings.tcp_write_buffer
    max_connections_per_client: int = Route53Settings.tcp_max_connections_per_client
    max_connections: int = Route53Settings.tcp_max_connections

    @classmethod
    def from_settings(cls, s: Route53Settings) -> TcpLimits:
        """The limits the `dns.tcp_*` settings ask for."""
        return cls(
            idle_timeout=s.tcp_idle_timeout,
            message_timeout=s.tcp_message_timeout,
            max_lifetime=s.tcp_max_lifetime,
            write_buffer=s.tcp_write_buffer,
            max_connections_per_client=s.tcp_max_connections_per_client,
            max_connections=s.tcp_max_connections,
        )


class UdpReader:
    """UDP without a transport: on readability, drain up to BATCH datagrams straight from the
    socket and answer each (fewer event-loop wake-ups than a DatagramProtocol)."""

    BATCH = 64

    def __init__(self, engine: Engine, sock: socket.socket) -> None:
        self.engine = engine
        self.sock = sock
        sock.setblocking(False)

    def on_readable(self) -> None:
        recv, send, answer = self.sock.recvfrom, self.sock.sendto, self.engine.answer
        for _ in range(self.BATCH):
            try:
                data, addr = recv(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # e.g. ICMP errors surfacing on the socket
                continue
            try:
                reply = answer(data, addr[0])
            except Exception:  # a bug must not stop the listener
                log.exception("DNS engine failed on a UDP query")
                continue
            if isinstance(reply, bytes):  # (a list, a zone transfer, is TCP only)
                try:
                    send(reply, addr)
                except OSError:  # send buffer full or peer gone: UDP may drop
                    pass


class TcpProtocol(asyncio.Protocol):
    """Length-prefixed queries, several per connection (RFC 7766): closed when idle, when a
    message does not arrive whole in time, at the end of its lifetime; reading pauses while
    the client leaves too many answers unread."""

    def __init__(self, engine: Engine, limits: TcpLimits, on_close: Any = None) -> None:
        self.engine = engine
        self.limits = limits
        self.on_close = on_close
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None
        self.peer = "127.0.0.1"
        self._timer: asyncio.TimerHandle | None = None  # idle, or the partial message's deadline
        self._lifetime: asyncio.TimerHandle | None = None
        self._paused = False
        self._unsent = 0  # unsent bytes when the timer was armed: progress keeps it open

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        transport.set_write_buffer_limits(high=self.limits.write_buffer)
        peer = transport.get_extra_info("peername")
        if peer:
            self.peer = peer[0]
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        loop = asyncio.get_running_loop()
        self._lifetime = loop.call_later(self.limits.max_lifetime, self._close)
        self._arm(self.limits.idle_timeout)

    @property
    def idle(self) -> bool:
        return not self.buf and (self.transport is None or not self.transport.get_write_buffer_size())

    def _arm(self, seconds: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._unsent = self.transport.get_write_buffer_size() if self.transport is not None else 0
        self._timer = asyncio.get_running_loop().call_later(seconds, self._expired)

    def _expired(self) -> None:
        self._timer = None
        if self.transport is None:
            return
        unsent = self.transport.get_write_buffer_size()
        if not self.buf and unsent and unsent < self._unsent:
            self._arm(self.limits.idle_timeout)  # still sending (a zone transfer) and the client reads
        else:
            self.transport.close()

    def _close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def pause_writing(self) -> None:
        # The client does not read its answers: stop reading its queries until it does.
        if self.transport is not None and not self._paused:
            self._paused = True
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.transport is not None and self._paused:
            self._paused = False
            self.transport.resume_reading()

    def data_received(self, data: bytes) -> None:
        if self.transport is None:
            return
        was_empty = not self.buf
        self.buf += data
        out = []
        answered = False
        while len(self.buf) >= 2:
            n = self.buf[0] << 8 | self.buf[1]
            if len(self.buf) < 2 + n:
                break
            query = bytes(self.buf[2 : 2 + n])
            del self.buf[: 2 + n]
            answered = True
            try:
                reply = self.engine.answer(query, self.peer, tcp=True)
            except Exception:
                log.exception("DNS engine failed on a TCP query")
                reply = None
            if reply is None:
                continue
            for message in reply if isinstance(reply, list) else (reply,):
                out.append(struct.pack("!H", len(message)) + message)
        if out:
            self.transport.write(b"".join(out))
        if not self.buf:
            self._arm(self.limits.idle_timeout)
        elif was_empty or answered:
            # A message has begun: it must arrive whole in time, whatever trickles in.
            self._arm(self.limits.message_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        for timer in (self._timer, self._lifetime):
            if timer is not None:
                timer.cancel()
        self.transport = None
        if self.on_close is not None:
            self.on_close(self)


class DnsServer:
    """The live DNS server: the engine, its index, the change follower and the listeners."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.index: ZoneIndex = engine.index
        self.address: tuple[str, int] | None = None
        self._applied: collections.OrderedDict[str, None] = collections.OrderedDict()
        self._udp: list[tuple[asyncio.AbstractEventLoop, socket.socket]] = []
        self._tcp_acceptors: list[Acceptor] = []
        self.tcp_limits = TcpLimits()
        self.listeners: list[tuple[str, int]] = []  # every (host, port) served, the main one first
        self.on_change: list[Any] = []  # callbacks(zone_id) after each applied change (NOTIFY)
        self.loaded_at = "9999"  # ISO time of the start-up load: older changes are served
        self.query_logger: Any = None  # querylog.QueryLogger
        self.native_binary: Path | None = None  # the native workers' binary: UDP is theirs
        self.native_workers = 0  # 0: one per core
        self.native: NativeDns | None = None  # the main address's native workers

    def _logged(self, zone_id: str) -> bool:
        return self.query_logger is not None and zone_id in self.query_logger.targets

    def loaded_after(self, submitted_at: str) -> bool:
        return submitted_at < self.loaded_at

    # --- following the store ------------------------------------------------------------
    def load(self, snapshot: list[tuple[dict, list[Any]]], loaded_at: str) -> bool:
        """The start-up load; returns whether some record set routes by location. It consumes
        `snapshot` (each zone's documents are let go once the index holds them, most as
        index.PlainDoc: the peak is not every document and every index entry at once).
        What it built lives as long as the node, so it is moved out of the cyclic
        collector's sight (gc.freeze): a full collection would otherwise walk every record
        set of every zone (about 4 s, answering nothing, at 10k zones × 100 records)."""
        from gureum.services.route53 import geo

        self.loaded_at = loaded_at
        located = False
        zones = len(snapshot)
        snapshot.reverse()
        while snapshot:
            zone_doc, docs = snapshot.pop()
            located = located or geo.needs_location(docs)
            self.index.put_zone(zone_from_doc(zone_doc, docs))
            del zone_doc, docs
        if zones:
            gc.freeze()
        return located

    def apply_event(self, data: dict) -> None:
        """One Route 53 change event (published by model.py in the change's transaction)."""
        kind = data.get("kind")
        zone_id = data.get("zone_id", "")
        if kind == "zone":
            self.index.put_zone(zone_from_doc(data["zone"], data.get("records", [])))
        elif kind == "zone-deleted":
            self.index.drop_zone(zone_id)
        elif kind == "records":
            self.index.apply(zone_id, data.get("deletes", []), data.get("creates", []), data.get("version"))
        elif kind == "vpcs":
            self.index.set_vpcs(zone_id, [vpc_key(v) for v in data.get("vpcs", [])])
        elif kind == "features":
            self.index.set_public_fallback(zone_id, bool(data.get("public_fallback")))
        elif kind == "dnssec":
            self.index.set_signer(zone_id, signer_from_event(data))
        elif kind == "cidr":
            self.index.set_cidr_collection(data["collection_id"], data.get("locations"))
        elif kind == "querylog" and self.query_logger is not None:
            self.query_logger.configure(data["config"]["HostedZoneId"], data["target"])
        elif kind == "querylog-deleted" and self.query_logger is not None:
            self.query_logger.configure(zone_id, None)
        change_id = data.get("change_id")
        if change_id:
            self._applied[change_id] = None
            while len(self._applied) > 100_000:
                self._applied.popitem(last=False)
        if kind in ("zone", "records"):
            for cb in list(self.on_change):
                try:
                    cb(zone_id)
                except Exception:
                    log.exception("DNS change callback failed")

    def serves(self, change_id: str) -> bool:
        """Whether the change is in the index the server answers from (GetChange INSYNC)."""
        return change_id in self._applied

    # --- listeners ------------------------------------------------------------------------
    async def listen(self, host: str, port: int, limits: TcpLimits | None = None) -> tuple[str, int]:
        """Serve UDP and TCP on host:port (port 0: any free one, the same for both). May be
        called again for more addresses (e.g. the ECS bridge's gateway); `address` stays the
        first listener's; close() closes them all."""
        loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        tcp_sock = socket.socket(family, socket.SOCK_STREAM)
        tcp_sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        udp_sock: socket.socket | None = None
        try:
            tcp_sock.bind((host, port))
            port = tcp_sock.getsockname()[1]
            if self.native_binary is not None and self.native is None and not self.listeners:
                native = NativeDns(self.engine, self.native_binary, self._logged, self.native_workers)
                try:
                    native.start(host, port)
                    self.native = native
                except OSError as exc:
                    log.warning("native DNS workers did not start (%s): UDP answered by Python", exc)
            if self.native is None or self.listeners:
                udp_sock = socket.socket(family, socket.SOCK_DGRAM)
                udp_sock.bind((host, port))
                for opt, size in ((socket.SO_RCVBUF, 4 << 20), (socket.SO_SNDBUF, 4 << 20)):
                    try:
                        udp_sock.setsockopt(socket.SOL_SOCKET, opt, size)
                    except OSError:
                        pass
        except BaseException:
            tcp_sock.close()
            if udp_sock is not None:
                udp_sock.close()
            raise
        limits = limits or self.tcp_limits
        try:
            tcp_sock.listen(512)
        except BaseException:
            tcp_sock.close()
            if udp_sock is not None:
                udp_sock.close()
            raise
        conns: dict[str, set[TcpProtocol]] = {}
        acceptor: Acceptor

        def closed(proto: TcpProtocol) -> None:
            same = conns.get(proto.peer)
            if same is not None and proto in same:
                same.discard(proto)
                if not same:
                    del conns[proto.peer]
                acceptor.released(proto.peer)

        def factory(address: str) -> TcpProtocol:
            proto = TcpProtocol(self.engine, limits, closed)
            proto.peer = address
            conns.setdefault(address, set()).add(proto)
            return proto

        def evict(address: str | None) -> bool:
            pools = [conns.get(address, set())] if address is not None else list(conns.values())
            for pool in pools:
                for proto in pool:
                    if proto.idle and proto.transport is not None and not proto.transport.is_closing():
                        proto.transport.close()
                        return True
            return False

        acceptor = Acceptor(tcp_sock, factory, per_client=limits.max_connections_per_client,
                            total=limits.max_connections, name="dns-tcp", evict=evict)
        acceptor.start()
        if udp_sock is not None:
            reader = UdpReader(self.engine, udp_sock)
            loop.add_reader(udp_sock.fileno(), reader.on_readable)
            self._udp.append((loop, udp_sock))
        self._tcp_acceptors.append(acceptor)
        self.listeners.append((host, port))
        if self.address is None:
            self.address = (host, port)
        return (host, port)

    async def close(self) -> None:
        if self.native is not None:
            self.native.close_nowait()  # its counts are drained into the engine's
            self.native = None
        for loop, sock in self._udp:
            loop.remove_reader(sock.fileno())
            sock.close()
        self._udp.clear()
        acceptors, self._tcp_acceptors = self._tcp_acceptors, []
        for acceptor in acceptors:
            await acceptor.close()
        self.listeners.clear()


def vpc_key(vpc: dict | str) -> str:
    return vpc if isinstance(vpc, str) else vpc.get("VPCId", "")


def meter_queries(app: App, engine: Engine, metrics: bool = True, native: NativeDns | None = None) -> None:
    """Hand the queries the engine counted to the usage ledger (every query log interval and
    once when the node stops): one row per (account, zone, unit) at the ledger's next flush;
    and (`metrics`: not while the node stops) to CloudWatch as AWS/Route53 DNSQueries per
    HostedZoneId (us-east-1), as AWS emits it."""
    if native is not None:
        native.drain()  # what the native workers answered
    per_zone: dict[tuple[str, str], int] = {}
    for (account, zone_id, unit), n in engine.take_metered().items():
        app.ledger.add(account, "global", "route53", unit, zone_id, n)
        per_zone[(account, zone_id)] = per_zone.get((account, zone_id), 0) + n
    if not per_zone or not metrics:
        return
    from gureum.services.cloudwatch import port as cloudwatch  # once some zone was asked

    for (account, zone_id), n in per_zone.items():
        cloudwatch.emit(app, account, "us-east-1", "AWS/Route53", "DNSQueries", {"HostedZoneId": zone_id}, float(n), "Count")


def zone_from_doc(zone_doc: dict, docs: list[Any]) -> Zone:
    from gureum.services.route53 import names

    zone = Zone(
        zone_doc["Id"].split("/")[-1],
        names.parse(zone_doc["Name"]),
        private=bool(zone_doc.get("Config", {}).get("PrivateZone")),
        vpcs=[vpc_key(v) for v in zone_doc.get("VPCs", [])],
        order=int(zone_doc.get("Order", 0)),
        version=int(zone_doc.get("Version", 0)),
    )
    zone.public_fallback = bool((zone_doc.get("Features") or {}).get("PublicDNSFallback"))
    zone.account = str(zone_doc.get("Account") or "")
    zone.load(docs)
    return zone


def signer_from_event(data: dict) -> ZoneSigner | None:
    """The signer a "dnssec" event (dnssec.signing_state) asks for, or None (not signing)."""
    if not data.get("signing"):
        return None
    import dns.name

    from gureum.services.route53.signer import ZoneSigner  # cryptography: only once a zone is signed

    return ZoneSigner(dns.name.from_text(data["origin"]), list(data["ksks"]), data["zsk"])


class Follower:
    """Applies Route 53 change events to the server once each: delivered in-process right
    after commit, and polled from the store's change log (changes other nodes make), both
    through one ChangeFollower. Events that arrive during the start-up load are held, then
    replayed (applying a change is idempotent)."""

    def __init__(self, server: DnsServer, store: Any, topic: str) -> None:
        from gureum.store.follow import ChangeFollower

        self.server = server
        self.live = False
        self.queued: list[Any] = []
        self.changes = ChangeFollower(store, topic, self.on_event)

    def on_event(self, event: Any) -> None:
        if not self.live:
            self.queued.append(event)
        else:
            self.server.apply_event(event.data)

    def go_live(self) -> None:
        """After the start-up load: replay what arrived meanwhile, then follow."""
        self.live = True
        for event in sorted(self.queued, key=lambda e: e.seq):
            self.server.apply_event(event.data)
        self.queued.clear()


async def run(app: App) -> None:
    """The `dns` component: serve every hosted zone until cancelled."""
    from gureum.services.route53 import cidr, dnssec, geo, model, native_dns, querylog, xfr

    cfg = app.config
    settings = app.settings(Route53Settings)
    engine = Engine(private_views=PrivateViews.from_setting(settings.private_views))
    server = DnsServer(engine)
    server.query_logger = querylog.QueryLogger(engine, lambda: app.logs, settings.query_log_interval)
    follower = Follower(server, app.store, model.EVENT_TOPIC)
    try:
        await follower.changes.start()  # before the snapshot: no change falls in between
        started = model.now()
        with collector.paused():  # (half the load's time at 1M records went to collections)
            snapshot = await app.store.read(functools.partial(model.load_all_zones, shape=stored_form))
            # Parsing every zone can take a while: off the loop (nothing reads the index yet).
            located = await asyncio.to_thread(server.load, snapshot, started)
        for state in await app.store.read(dnssec.load_all):
            engine.index.set_signer(state["zone_id"], signer_from_event(state))
        for coll in await app.store.read(cidr.load_all):
            engine.index.set_cidr_collection(coll["Id"], coll["Locations"])
        for conf in await app.store.read(querylog.load_all):
            region, account, group = querylog._parse_arn(conf["CloudWatchLogsLogGroupArn"])
            server.query_logger.configure(conf["HostedZoneId"], (account, region, group))
        # The geolocation database (bundled with geoip2fast, or a MaxMind file): tens of MiB
        # and ~0.2 s to load, so only when some zone routes by location (else on first use).
        engine.index.geodb = geodb = geo.LazyGeoDB(settings.geoip_db)
        if located:
            await asyncio.to_thread(geodb.load)
        follower.go_live()
        host = cfg.dns_host or cfg.host
        server.tcp_limits = TcpLimits.from_settings(settings)
        if settings.native_dns:
            server.native_binary = await asyncio.to_thread(native_dns.worker_binary)
            server.native_workers = settings.native_dns_workers
        try:
            address = await server.listen(host, cfg.dns_port)
        except OSError as exc:
            if cfg.dns_port == FALLBACK_PORT:
                raise
            address = await server.listen(host, FALLBACK_PORT)
            app.notes.append(f"DNS: port {cfg.dns_port} not available ({exc.strerror or exc}); listening on {FALLBACK_PORT}")
        app.dns_address = address
        await xfr.attach(app, server)
        app.parts.put(DNS, server)
        app.set_status("route53", "running")
        app.every(settings.query_log_interval, server.query_logger.flush, name="route53-querylog", jitter=0.0)
        app.every(settings.query_log_interval, lambda: meter_queries(app, engine, native=server.native), name="route53-metering", jitter=0.0)
        app.every(settings.follow_interval, follower.changes.poll, name="dns-follow")
        app.every(600.0, engine.index.refresh_signatures, name="dns-dnssec-refresh")
        await asyncio.get_running_loop().create_future()  # serve until the node stops
    finally:
        await server.close()  # (the native workers' counts are the engine's once they stop)
        if server.query_logger is not None:
            server.query_logger.flush()  # into the node's writer, flushed when the node stops
        meter_queries(app, engine, metrics=False)  # into the node's ledger, flushed when the node stops
        follower.changes.stop()
