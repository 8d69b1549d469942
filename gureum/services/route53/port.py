"""Route 53's port for other services that keep DNS records (Cloud Map namespaces and
instances): hosted zones and record changes, run inside the caller's store transaction so
their own rows and the records change together. Route 53's rules apply as in its API.

For ECS's task resolver (ecs/task_dns.py), which answers tasks from the node's live DNS server
(the `DNS` slot, route53/slots.py): `show_private_zones_to` puts the task subnet in every
VPC's private view. `hosted_zones` lists every zone (Cost Explorer's monthly charges)."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from gureum.services.route53 import model
from gureum.services.route53.index import EVERY_VPC
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


def hosted_zones(txn: Txn) -> list[tuple[str, str]]:
    """(account, bare zone id) of every hosted zone, public and private (monthly billing)."""
    return [(key.split("/", 1)[0], model.bare_id(doc["Id"])) for key, doc in txn.scan(model.ZONES)]
