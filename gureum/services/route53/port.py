"""Route 53's port for other services that keep DNS records (Cloud Map namespaces and
instances): hosted zones and record changes, run inside the caller's store transaction so
their own rows and the records change together. Route 53's rules apply as in its API.

For ECS's task resolver (ecs/task_dns.py), which answers tasks from the node's live DNS server
(the `DNS` slot, route53/slots.py): `show_private_zones_to` puts the task subnet in every
VPC's private view. `hosted_zones` lists every zone (Cost Explorer's monthly charges)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gureum.services.route53 import model
from gureum.services.route53.index import EVERY_VPC, external_health_id
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.services.route53.server import DnsServer


def create_zone(txn: Txn, account: str, name: str, caller_ref: str, comment: str | None, private: bool,
                vpc: dict[str, Any] | None) -> str:
    """CreateHostedZone; returns the new zone's bare id ("Z...")."""
    out = model.create_zone(txn, account, name, caller_ref, comment, private, vpc, None)
    return model.bare_id(out["zone"]["Id"])


def delete_zone(txn: Txn, account: str, zone_id: str) -> None:
    model.delete_zone(txn, account, zone_id)


def drop_zone(txn: Txn, account: str, zone_id: str) -> None:
    """Remove a hosted zone with every record set in it (a namespace's reset), telling the DNS
    servers."""
    model.drop_zone(txn, account, zone_id)


def change_record_sets(txn: Txn, account: str, zone_id: str, changes: list[dict[str, Any]], comment: str) -> None:
    """ChangeResourceRecordSets with `changes` ({"Action", "ResourceRecordSet"}), atomically."""
    model.change_record_sets(txn, account, zone_id, {"Changes": changes, "Comment": comment})


def set_soa_ttl(txn: Txn, account: str, zone_id: str, ttl: int) -> None:
    """Give the zone's SOA record set the TTL `ttl` (a Cloud Map namespace's SOA TTL, what
    resolvers cache negative answers for), as an UPSERT of the SOA through
    ChangeResourceRecordSets; nothing when it already has it."""
    zone = model.get_zone(txn, account, zone_id)
    soa = txn.get(model.RECORDS, model.soa_key(account, zone))
    if soa is None or soa.get("TTL") == ttl:
        return
    rrs = {"Name": soa["Name"], "Type": "SOA", "TTL": ttl, "ResourceRecords": soa["ResourceRecords"]}
    change_record_sets(txn, account, zone_id, [{"Action": "UPSERT", "ResourceRecordSet": rrs}], "SOA TTL")


def show_private_zones_to(server: DnsServer, network: str) -> None:
    """Make clients whose source address is in `network` (a CIDR) see every private hosted
    zone, as a member of every VPC, overlaid on the public zones (idempotent); the views of
    other clients stay as they were."""
    engine = server.engine
    net = ipaddress.ip_network(network, strict=False)
    views = engine.private_views
    if (net, EVERY_VPC) in views.cidrs:
        return
    views.cidrs.append((net, EVERY_VPC))
    # Forget what the engine memoized under the old views (client -> view, cached answers).
    engine.forget_views()


def answer_unzoned(server: DnsServer, fn: Callable[[bytes], bytes | None]) -> None:
    """Let `fn(query bytes) -> response bytes or None` answer what no hosted zone answers on
    the node's DNS server (Elastic Load Balancing's DNS names)."""
    server.engine.add_fallback(fn)


def resolve_aliases(server: DnsServer, zone_ids: list[str], resolve: Callable[[str], list[str] | None]) -> None:
    """Alias records whose AliasTarget names one of `zone_ids` (Elastic Load Balancing's
    canonical hosted zones) answer A queries with `resolve(alias DNSName)`'s addresses."""
    server.engine.index.set_external(zone_ids, resolve)


def refresh_aliases(server: DnsServer) -> None:
    """What `resolve` answers changed (a load balancer came or went): re-derive those aliases."""
    server.engine.index.refresh_external()


def set_alias_health(server: DnsServer, health: dict[str, bool]) -> None:
    """The health of external alias targets (load balancer DNS name -> healthy), which alias
    records with EvaluateTargetHealth follow as Route 53's routing policies do."""
    server.engine.index.set_health({external_health_id(name): ok for name, ok in health.items()})


def hosted_zones(txn: Txn) -> list[tuple[str, str]]:
    """(account, bare zone id) of every hosted zone, public and private (monthly billing)."""
    return [(key.split("/", 1)[0], model.bare_id(doc["Id"])) for key, doc in txn.scan(model.ZONES)]


def zone_name_servers(txn: Txn, account: str, zone_id: str) -> list[str]:
    """The four name servers Route 53 gave the hosted zone (its delegation set), without the
    trailing dot (as GetHostedZone's DelegationSet lists them)."""
    return list(model.get_zone(txn, account, zone_id)["NameServers"])


def serve_zone(server: DnsServer, zone_id: str, origin: str, record_sets: list[dict[str, Any]], version: int) -> None:
    """Serve a zone another package keeps (the domain registry's root and TLD zones,
    route53domains/registry.py) from this DNS server, replacing what it served under
    `zone_id` when `version` is newer. `record_sets` are shaped as the API keeps them
    ({"Name", "Type", "TTL", "ResourceRecords": [{"Value"}]}); the zone is public and wins
    over a hosted zone of the same name (order -1: older than any hosted zone)."""
    from gureum.services.route53 import names
    from gureum.services.route53.index import Zone

    zone = Zone(zone_id, names.parse(origin), order=-1, version=version)
    for doc in record_sets:
        zone.put(doc)
    server.index.put_zone(zone)


def stop_serving_zone(server: DnsServer, zone_id: str) -> None:
    """Stop serving a zone `serve_zone` put in."""
    server.index.drop_zone(zone_id)


def health_checks(txn: Txn) -> list[tuple[str, str, list[tuple[str, int]]]]:
    """(account, health check id, [(price table unit, quantity)]) of every health check
    (monthly billing: metering.health_check_units)."""
    from gureum.services.route53 import health, metering

    return [(key.split("/", 1)[0], str(doc["Id"]), metering.health_check_units(doc.get("HealthCheckConfig") or {}))
            for key, doc in txn.scan(health.HEALTHCHECKS)]
