"""Route 53's reset (POST /_gureum/reset, see gureum/reset.py): every hosted zone, record
set, change, delegation set, tag, DNSSEC key, VPC association authorization, record set protection, change history row,
health check source, traffic policy, CIDR collection, health check and query
logging configuration is dropped in one transaction, which publishes the events the DNS
server (a "zone-deleted" per zone, a "cidr" without locations per collection, a
"querylog-deleted" per configuration) and the health checkers (a "delete" per check) follow,
on this node and on every node sharing the store: the DNS server stops answering for the
dropped zones (REFUSED, as for any name it is not authoritative for) and the probes stop.

Kept: `route53.settings` (written by the DNS component at start-up, not by a client).
`model.drop_zone` (through port.py) is what Cloud Map's reset uses for the zones of its DNS namespaces.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.reset import drop_tables
from gureum.services.route53 import cidr, dnssec, health, health_sources, model, querylog, traffic, vpc_auth

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store.base import Txn

TABLES: tuple[str, ...] = (
    model.ZONES, model.RECORDS, model.CALLERREFS, model.CHANGES, model.DSETS, model.DSET_REFS, model.TAGS,
    traffic.POLICIES, traffic.INSTANCES, cidr.CIDR, cidr.CIDR_REFS,
    health.HEALTHCHECKS, health.HEALTH_REFS, querylog.QUERYLOG, dnssec.KSKS, dnssec.DNSSEC,
    vpc_auth.AUTHS, vpc_auth.LINKS, model.PROTECTIONS, model.HISTORY,
    health_sources.SOURCES, health_sources.SOURCE_REFS,
)


def reset_txn(txn: Txn) -> int:
    for key, _zone in txn.scan(model.ZONES):
        txn.publish(model.EVENT_TOPIC, {"kind": "zone-deleted", "zone_id": key.rsplit("/", 1)[-1]})
    for key, _doc in txn.scan(cidr.CIDR):
        txn.publish(model.EVENT_TOPIC, {"kind": "cidr", "collection_id": key.rsplit("/", 1)[-1], "locations": None})
    for _key, doc in txn.scan(querylog.QUERYLOG):
        txn.publish(model.EVENT_TOPIC, {"kind": "querylog-deleted", "zone_id": model.bare_id(doc["HostedZoneId"])})
    for _key, doc in txn.scan(health.HEALTHCHECKS):
        txn.publish(health.HEALTH_TOPIC, {"kind": "delete", "id": doc["Id"]})
    return drop_tables(txn, TABLES)


async def reset(app: App) -> None:
    await app.store.run(reset_txn)
