"""The `resolver` component: gureum's recursive resolver on `resolver.host`:`resolver.port`
(UDP and TCP; a free port when that one is taken, named in the banner), and more listeners
for inbound endpoints (`listen`). Around wire.py (bytes in, bytes out) and iterate.py
(resolution), with the network: upstream queries go to gureum's DNS server (the `dns` slot)
or to forward targets, through dnspython's asyncio queries.

It iterates from the registry's root, which route53domains' `domains-registry` component
serves: that component idles until Route 53 Domains has work (gureum/app.py), so the first
query resolved (not one answered from the cache) wakes it and waits, up to `WAIT_FOR_ROOT`
seconds, until the root and TLD zones are served (route53domains' ZONES slot)."""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset

from gureum.services.route53.slots import DNS
from gureum.services.route53domains.slots import ZONES
from gureum.services.route53resolver.cache import Answer, Cache
from gureum.services.route53resolver.fwdecide import Firewall
from gureum.services.route53resolver.iterate import Resolver, Server
from gureum.services.route53resolver.querylog import QueryLogger
from gureum.services.route53resolver.settings import ResolverSettings
from gureum.services.route53resolver.slots import RESOLVER
from gureum.services.route53resolver.wire import Responder

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.services.route53.server import DnsServer

log = logging.getLogger("gureum.resolver")
WILDCARDS = ("0.0.0.0", "::", "")
WAIT_FOR_ROOT = 10.0  # seconds the first resolution waits for the registry's zones (then: without)


class _UdpReader:
    """UDP without a transport: on readability, drain up to BATCH datagrams straight from the
    socket; cached answers go back at once, the rest are resolved in tasks."""

    BATCH = 64

    def __init__(self, owner: ResolverServer, sock: socket.socket) -> None:
        self.owner = owner
        self.sock = sock
        sock.setblocking(False)

    def on_readable(self) -> None:
        recv, send, fast = self.sock.recvfrom, self.sock.sendto, self.owner.responder.answer_nowait
        for _ in range(self.BATCH):
            try:
                data, addr = recv(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue
            reply = fast(data, False)
            if reply is None:
                self.owner.track(self._slow(data, addr))
                continue
            try:
                send(reply, addr)
            except OSError:
                pass

    async def _slow(self, data: bytes, addr: Any) -> None:
        reply = await self.owner.responder.answer(data, False, (addr[0], addr[1]))
        if reply is not None and self.sock.fileno() >= 0:
            try:
                self.sock.sendto(reply, addr)
            except OSError:
                pass


class ResolverServer:
    """The live resolver: its cache, responder and listeners."""

    def __init__(self, dns_server: DnsServer, settings: ResolverSettings,
                 rules: Any = None) -> None:
        self.dns_server = dns_server
        self.settings = settings
        self.cache = Cache(settings.cache_size, settings.max_negative_ttl)
        self.firewall = Firewall()
        self.query_log: QueryLogger | None = None
        self.resolver = Resolver(self.roots, self.ours, self.send, self.cache, rules)
        self.responder = Responder(self.resolve)
        self.listeners: list[tuple[str, int]] = []
        self.inbound: set[str] = set()  # addresses listened on for inbound endpoints (rules.py)
        self._closers: list[Any] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        # before the first resolution: wake the registry's root and wait for it (run() sets it)
        self.root_served: Callable[[], Awaitable[None]] | None = None

    async def _wait_for_root(self) -> None:
        gate = self.root_served
        if gate is not None:
            await gate()
            self.root_served = None

    async def resolve(self, name: dns.name.Name, rdtype: int) -> tuple[Answer, int]:
        """The answer a client gets: DNS Firewall's decision first (fwdecide.py), then the
        resolution."""
        if self.root_served is not None:
            await self._wait_for_root()
        decision = self.firewall.decide(name)
        if decision is not None and decision.alerts:
            for rule in decision.alerts:
                log.info("DNS Firewall ALERT: %s matched rule %s (group %s)", name, rule.name, rule.group_id)
        if decision is None or decision.action != "BLOCK" or decision.rule is None:
            found, age = await self.resolver.resolve(name, rdtype)
            if decision is not None and decision.alerts:
                first = decision.alerts[0]
                found = Answer(found.rcode, found.answer, found.authority, firewall={
                    "firewall_rule_action": "ALERT", "firewall_rule_group_id": first.group_id,
                    "firewall_domain_list_id": first.list_id})
            return found, age
        rule = decision.rule
        note = {"firewall_rule_action": "BLOCK", "firewall_rule_group_id": rule.group_id, "firewall_domain_list_id": rule.list_id}
        if rule.block_response == "NXDOMAIN":
            return Answer(dns.rcode.NXDOMAIN, firewall=note), 0
        if rule.block_response == "OVERRIDE" and rule.override_domain:
            target = dns.name.from_text(rule.override_domain)
            cname = dns.rrset.from_text(name, rule.override_ttl, "IN", "CNAME", target.to_text())
            if rdtype == dns.rdatatype.CNAME:
                return Answer(dns.rcode.NOERROR, [cname], firewall=note), 0
            rest, _ = await self.resolver.resolve(target, rdtype)
            return Answer(rest.rcode, [cname, *rest.answer], rest.authority, firewall=note), 0
        return Answer(dns.rcode.NOERROR, firewall=note), 0  # NODATA

    def roots(self) -> list[Server]:
        """The root servers: gureum's DNS listeners (they serve the registry's root zone)."""
        return [(h if h not in WILDCARDS else "127.0.0.1", p) for h, p in self.dns_server.listeners[:1]]

    def ours(self, ip: str) -> Server | None:
        for host, port in self.dns_server.listeners:
            if host == ip or host in WILDCARDS:
                return (ip, port)
        return None

    async def send(self, q: dns.message.Message, server: Server, tcp: bool) -> dns.message.Message:
        import dns.asyncquery  # with its backends and TLS/QUIC helpers: on the first iteration

        timeout = self.settings.query_timeout
        if tcp:
            return await dns.asyncquery.tcp(q, server[0], port=server[1], timeout=timeout)
        return await dns.asyncquery.udp(q, server[0], port=server[1], timeout=timeout)

    def track(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("resolver query failed", exc_info=task.exception())

    def forget(self) -> None:
        """Drop every cached answer (after a rule change or a reset)."""
        self.cache.clear()
        self.responder.forget()

    async def listen(self, host: str, port: int) -> tuple[str, int]:
        """Serve UDP and TCP on host:port (port 0: a free one, the same for both)."""
        loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        tcp_sock = socket.socket(family, socket.SOCK_STREAM)
        tcp_sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        udp_sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            tcp_sock.bind((host, port))
            port = tcp_sock.getsockname()[1]
            udp_sock.bind((host, port))
            tcp_sock.listen(256)
        except BaseException:
            tcp_sock.close()
            udp_sock.close()
            raise
        for opt, size in ((socket.SO_RCVBUF, 4 << 20), (socket.SO_SNDBUF, 4 << 20)):
            try:
                udp_sock.setsockopt(socket.SOL_SOCKET, opt, size)
            except OSError:
                pass
        reader = _UdpReader(self, udp_sock)
        loop.add_reader(udp_sock.fileno(), reader.on_readable)
        server = await asyncio.start_server(self._tcp, sock=tcp_sock)
        self._closers.append((loop, udp_sock, server))
        self.listeners.append((host, port))
        return (host, port)

    async def unlisten(self, host: str, port: int) -> None:
        """Stop serving host:port (an inbound endpoint's address that is gone)."""
        for i, (h, p) in enumerate(self.listeners):
            if (h, p) == (host, port):
                loop, sock, server = self._closers.pop(i)
                del self.listeners[i]
                loop.remove_reader(sock.fileno())
                sock.close()
                server.close()
                return

    async def _tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        info = writer.get_extra_info("peername")
        peer = (str(info[0]), int(info[1])) if info else ("127.0.0.1", 0)
        try:
            while True:
                head = await asyncio.wait_for(reader.readexactly(2), 10.0)
                data = await asyncio.wait_for(reader.readexactly(struct.unpack("!H", head)[0]), 5.0)
                reply = self.responder.answer_nowait(data, True) or await self.responder.answer(data, True, peer)
                if reply is not None:
                    writer.write(struct.pack("!H", len(reply)) + reply)
                    await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()

    async def close(self) -> None:
        for loop, sock, server in self._closers:
            loop.remove_reader(sock.fileno())
            sock.close()
            server.close()
        self._closers.clear()
        for task in list(self._tasks):
            task.cancel()
        self.listeners.clear()


async def run(app: App) -> None:
    settings = app.settings(ResolverSettings)
    if not settings.enabled:
        app.set_status("route53resolver", "disabled")
        await asyncio.get_running_loop().create_future()
    dns_server = await app.parts.wait(DNS)
    from gureum.services.route53resolver import rules as rules_mod

    rules = rules_mod.RuleIndex()
    server = ResolverServer(dns_server, settings, rules.forward_targets)
    server.query_log = QueryLogger(lambda: app.logs)

    async def root_served() -> None:
        if app.parts.get(ZONES) is None:
            app.wake_component("domains-registry")
            try:
                await app.parts.wait(ZONES, WAIT_FOR_ROOT)
            except TimeoutError:  # turned off, or failed: resolve without (SERVFAIL from the root)
                log.warning("the registry's root zone is not served: resolving without it")

    server.root_served = root_served
    app.every(1.0, server.query_log.flush, name="resolver-querylog", jitter=0.0)
    follower = await rules_mod.follow(app, rules, server)
    try:
        try:
            address = await server.listen(settings.host, settings.port)
        except OSError as exc:
            address = await server.listen(settings.host, 0)
            app.notes.append(f"Resolver: port {settings.port} not available ({exc.strerror or exc}); listening on {address[1]}")
        app.notes.append(f"Resolver   {address[0]}:{address[1]} (UDP+TCP, recursive from gureum's root)")
        await rules_mod.attach_endpoints(app, server)
        app.parts.put(RESOLVER, server)
        app.set_status("route53resolver", "running")
        await asyncio.get_running_loop().create_future()
    finally:
        server.query_log.flush()  # into the node's writer, flushed when the node stops
        follower.stop()
        await server.close()
