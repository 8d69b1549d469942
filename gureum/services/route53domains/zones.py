"""The `domains-registry` component: serves the registry's root and TLD zones (registry.py)
from route53's live DNS server (the `dns` slot, through route53's port) and keeps them current.

It waits for the DNS server, loads every TLD's delegations from the store, then follows
"route53domains.registry" events (this node's at once, other nodes' by polling the change
log): an event marks its TLD dirty and the TLD's zone is rebuilt from the store and served
under a new version (a TLD zone is rebuilt whole: registries here are small). Once the root
and every TLD are served it publishes itself in the ZONES slot (slots.py: the resolver waits
for that before iterating from the root). It idles until Route 53 Domains has work or the
resolver asks for the root (gureum/app.py `wake_component`).
Where the name servers are: `domains.nameserver_address`, else the DNS server's own address
(a wildcard listen address means loopback)."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from typing import TYPE_CHECKING, Any

from gureum.services.route53 import port as route53
from gureum.services.route53.slots import DNS
from gureum.services.route53domains import model, registry
from gureum.services.route53domains.settings import DomainsSettings
from gureum.services.route53domains.slots import ZONES

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.services.route53.server import DnsServer

log = logging.getLogger("gureum.domains")


def name_server_address(server: DnsServer, setting: str | None) -> str:
    if setting:
        return setting
    host = server.address[0] if server.address else "127.0.0.1"
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)


class RegistryZones:
    """The zones served, their versions, and the TLDs waiting to be rebuilt."""

    def __init__(self, server: DnsServer, address: str, tlds: list[str]) -> None:
        self.server = server
        self.address = address
        self.tlds = tlds
        self.version = int(time.time())
        self.dirty: set[str] = set()
        self.wake = asyncio.Event()

    def _next_version(self) -> int:
        self.version = max(self.version + 1, int(time.time()))
        return self.version

    def serve_root(self) -> None:
        v = self._next_version()
        route53.serve_zone(self.server, registry.zone_id(""), ".", registry.root_zone(self.tlds, self.address, v), v)

    def serve_tld(self, tld: str, domains: list[dict[str, Any]]) -> None:
        v = self._next_version()
        route53.serve_zone(self.server, registry.zone_id(tld), registry.origin(tld),
                           registry.tld_zone(tld, self.address, v, domains), v)

    def on_event(self, event: Any) -> None:
        tld = str(event.data.get("tld") or "")
        if tld in self.tlds:
            self.dirty.add(tld)
            self.wake.set()
        elif event.data.get("reset"):
            self.dirty.update(self.tlds)
            self.wake.set()

    def close(self) -> None:
        for tld in ["", *self.tlds]:
            route53.stop_serving_zone(self.server, registry.zone_id(tld))


async def run(app: App) -> None:
    from gureum.store.follow import ChangeFollower

    settings = app.settings(DomainsSettings)
    server = await app.parts.wait(DNS)
    zones = RegistryZones(server, name_server_address(server, settings.nameserver_address),
                          registry.served_tlds(settings.tlds))
    follower = ChangeFollower(app.store, model.TOPIC, zones.on_event)
    await follower.start()
    try:
        zones.serve_root()
        for tld in zones.tlds:
            zones.serve_tld(tld, await app.store.read(functools.partial(model.delegations, tld=tld)))
        app.every(1.0, follower.poll, name="domains-registry-follow")
        app.parts.put(ZONES, zones)
        app.set_status("route53domains", "running")
        while True:
            await zones.wake.wait()
            zones.wake.clear()
            todo, zones.dirty = zones.dirty, set()
            for tld in sorted(todo):
                zones.serve_tld(tld, await app.store.read(functools.partial(model.delegations, tld=tld)))
    finally:
        follower.stop()
        zones.close()
