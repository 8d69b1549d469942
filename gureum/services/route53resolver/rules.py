"""The resolver's view of the control plane: which FORWARD rules apply (RuleIndex, rebuilt
from the store whenever model.py publishes "route53resolver.rules"), and the inbound
endpoints' listeners.

A rule applies while it is associated with at least one VPC (gureum's resolver serves the
host, which is in every VPC, as `dns.private_views` has it by default). Longest suffix wins
(RFC 1034 name order: the rule whose DomainName is the closest ancestor of the query name);
a SYSTEM rule there means "resolve it iteratively", as does RECURSIVE; a FORWARD rule sends
the query with RD to its targets."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import dns.name

from gureum.services.route53resolver import model

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.services.route53resolver.server import ResolverServer
    from gureum.store.follow import ChangeFollower

log = logging.getLogger("gureum.resolver")
Server = tuple[str, int]
INBOUND_PORT = 53


class RuleIndex:
    def __init__(self) -> None:
        self.by_name: dict[dns.name.Name, tuple[str, list[Server]]] = {}

    def load(self, rules: list[dict[str, Any]]) -> None:
        by_name: dict[dns.name.Name, tuple[str, list[Server]]] = {}
        for r in sorted(rules, key=lambda r: r["CreationTime"]):
            name = dns.name.from_text(r["DomainName"])
            kind = r["RuleType"]
            targets = [(t["Ip"], int(t.get("Port", 53))) for t in r.get("TargetIps") or () if t.get("Ip")]
            known = by_name.get(name)
            if known is None or known[0] == "FORWARD" and kind == "SYSTEM":
                by_name[name] = (kind, targets)  # a SYSTEM rule for the same name wins (AWS)
        self.by_name = by_name

    def forward_targets(self, qname: dns.name.Name) -> list[Server] | None:
        if not self.by_name:
            return None
        n = qname
        while True:
            rule = self.by_name.get(n)
            if rule is not None:
                return rule[1] if rule[0] == "FORWARD" else None
            if n == dns.name.root:
                return None
            n = n.parent()


async def follow(app: App, index: RuleIndex, server: ResolverServer) -> ChangeFollower:
    """Load the applicable rules and the inbound endpoints' listeners and keep them current
    (this node's changes at once, other nodes' by polling the change log); every change
    empties the resolver's cache."""
    from gureum.store.follow import ChangeFollower

    wake = asyncio.Event()
    follower = ChangeFollower(app.store, model.TOPIC, lambda event: wake.set())
    await follower.start()

    async def reload() -> None:
        from gureum.services.route53resolver import firewall, querylog

        index.load(await app.store.read(model.applicable_rules))
        server.firewall.load(await app.store.read(firewall.compiled))
        if server.query_log is not None:
            server.query_log.targets = await app.store.read(querylog.targets)
            server.responder.record = server.query_log.record if server.query_log.on else None
        server.forget()
        if server.listeners:  # (the inbound listeners come after the main one)
            await attach_endpoints(app, server)

    async def loop() -> None:
        while True:
            await wake.wait()
            wake.clear()
            await reload()

    await reload()
    app.spawn(loop(), "resolver-rules")
    app.every(1.0, follower.poll, name="resolver-rules-follow")
    return follower


async def attach_endpoints(app: App, server: ResolverServer) -> None:
    """Listeners for the inbound endpoints' addresses that exist on this host; those of
    endpoints that are gone are closed."""
    wanted = set(await app.store.read(model.inbound_addresses))
    for ip in sorted(server.inbound - wanted):
        await server.unlisten(ip, INBOUND_PORT)
        server.inbound.discard(ip)
    for ip in sorted(wanted - server.inbound):
        if await listen_inbound(server, ip):
            server.inbound.add(ip)


async def listen_inbound(server: ResolverServer, ip: str) -> bool:
    if any(h == ip for h, _ in server.listeners):
        return False  # served already, and not for this endpoint (the main or the tasks' listener)
    try:
        await server.listen(ip, INBOUND_PORT)
        return True
    except OSError as exc:
        log.info("inbound endpoint address %s: not served (%s)", ip, exc.strerror or exc)
        return False
