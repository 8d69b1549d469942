"""A resolver for ECS tasks: gureum's DNS server, also listening on the task bridge's gateway.

Tasks live in their own network namespaces on the bridge (gureum/sandbox/network.py); the
only host address they reach without routes of their own is the gateway. resolv.conf cannot
name a port, so the DNS server gets a second listener, UDP and TCP, on <gateway>:53, and each
task's /etc/resolv.conf says `nameserver <gateway>`.

Usage (the agent, once at start-up after the bridge exists, then per task):

    nameserver = await task_dns.serve_on_bridge(app, bridge.gateway)
    text = task_dns.resolv_conf(nameserver)

Where the node runs gureum's recursive resolver (route53resolver, `resolver.enabled`), the
gateway listener is the resolver's: tasks resolve from gureum's root (registered domains,
public hosted zones, Cloud Map namespaces through the host's view) and names leading outside
gureum fail at once (SERVFAIL). Otherwise (an agent, or the resolver turned off) it is the
authoritative server's: tasks resolve the names of gureum's hosted zones, and other names get
REFUSED or the registry's NXDOMAIN at once.

Private zones. Cloud Map private DNS namespaces are private hosted zones associated with the
VPC id given to CreatePrivateDnsNamespace, and the DNS server shows a private zone only to
clients "in" an associated VPC (the `dns.private_views` setting maps source CIDRs to VPC ids).
gureum has no VPCs: an ECS task's awsvpcConfiguration accepts any subnet id, and nothing ties a
subnet id to the VPC id a namespace names, so there is no honest way to place a task in "the"
VPC of a namespace. The choice made here: a client whose source address is in the task
subnet (`ecs.subnet`, the bridge's network) is in every VPC at once, so it sees every private
zone (overlaid on the public ones, as for any VPC member) -- what a task expects when its
service and the namespace were set up together, which in AWS requires them to share the VPC.
Everyone else keeps exactly the views they had (configured `dns.private_views`, or by
default the host's loopback in every VPC and other sources public zones only). If two accounts have private zones with the same name, tasks see the older one
(the index's rule for overlapping zones).
"""

from __future__ import annotations

import errno
import ipaddress
import logging
from typing import TYPE_CHECKING, Any

from gureum.node_settings import TaskNetworkSettings
from gureum.services.ecs.settings import EcsSettings
from gureum.services.route53 import port as route53
from gureum.services.route53.slots import DNS
from gureum.services.route53resolver.slots import RESOLVER
from gureum.settings import flag

if TYPE_CHECKING:
    from gureum.app import App

log = logging.getLogger("gureum.ecs.dns")

DNS_PORT = 53
NO_RESOLVER = "options timeout:1 attempts:1\n"


def _covers(address: tuple[str, int] | None, ip: str, port: int) -> bool:
    """Whether an existing listener already answers on ip:port (a wildcard, or that address)."""
    if not address or address[1] != port:
        return False
    return address[0] in ("0.0.0.0", "", "::", ip)


async def serve_on_bridge(app: App, gateway_ip: str) -> str | None:
    """Have the DNS server answer on gateway_ip:53 (UDP and TCP) and tasks on the bridge see
    private zones; the nameserver address for tasks' resolv.conf, or None (reason logged)."""
    if not flag(app.config.setting, "dns.enabled", True):  # the DNS component's switch, read as the node reads it
        log.info("tasks get no nameserver: the DNS server is turned off (dns.enabled)")
        return None
    try:
        server = await app.parts.wait(DNS, timeout=app.settings(EcsSettings).dns_wait)
    except TimeoutError:
        log.warning("tasks get no nameserver: the DNS server did not start")
        return None
    subnet = app.settings(TaskNetworkSettings).subnet
    try:
        if ipaddress.ip_address(gateway_ip) not in ipaddress.ip_network(subnet, strict=False):
            subnet = f"{gateway_ip}/{32 if ':' not in gateway_ip else 128}"
            log.warning("gateway %s is outside ecs.subnet; private zones are shown to the gateway only", gateway_ip)
    except ValueError as exc:
        log.warning("tasks get no nameserver: %s", exc)
        return None
    route53.show_private_zones_to(server, subnet)
    # Where this node runs gureum's recursive resolver (route53resolver), tasks get it rather
    # than the authoritative server: registered domains and every name gureum knows resolve.
    listener = await _resolver(app) or server
    if any(_covers(a, gateway_ip, DNS_PORT) for a in [getattr(listener, "address", None), *getattr(listener, "listeners", [])]):
        return gateway_ip
    try:
        await listener.listen(gateway_ip, DNS_PORT)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            why = f"{gateway_ip}:{DNS_PORT} is in use (another DNS server, or another gureum on this bridge)"
        elif exc.errno == errno.EADDRNOTAVAIL:
            why = f"{gateway_ip} is not an address of this host (is the bridge up?)"
        elif exc.errno == errno.EACCES:
            why = f"binding port {DNS_PORT} needs root or CAP_NET_BIND_SERVICE"
        else:
            why = f"{gateway_ip}:{DNS_PORT}: {exc.strerror or exc}"
        log.warning("tasks get no nameserver: %s", why)
        notes = getattr(app, "notes", None)
        if isinstance(notes, list):
            notes.append(f"ECS: tasks have no DNS resolver ({why})")
        return None
    log.info("DNS for ECS tasks on %s:%d", gateway_ip, DNS_PORT)
    return gateway_ip


async def _resolver(app: App) -> Any:
    """The node's recursive resolver, when it runs one (not on agents, not turned off)."""
    if getattr(app, "is_agent", False) or not flag(app.config.setting, "resolver.enabled", True):
        return None
    try:
        return await app.parts.wait(RESOLVER, timeout=app.settings(EcsSettings).dns_wait)
    except TimeoutError:
        log.warning("tasks get gureum's authoritative DNS server: the resolver did not start")
        return None


def resolv_conf(nameserver: str | None) -> str:
    """The text of a task's /etc/resolv.conf. Without a nameserver the C library tries
    127.0.0.1 in the task's namespace and fails at once (no stall)."""
    if not nameserver:
        return NO_RESOLVER
    return f"nameserver {nameserver}\noptions timeout:2 attempts:2\n"
