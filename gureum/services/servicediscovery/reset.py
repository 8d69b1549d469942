"""Cloud Map's reset (POST /_gureum/reset, see gureum/reset.py): every namespace, service,
instance and operation is dropped in one transaction, with the Route 53 hosted zones of the
DNS namespaces (and their records), as DeleteNamespace deletes them: the DNS servers stop
answering for them through Route 53's zone-deleted events (route53/port.py `drop_zone`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.aws import arn as arns
from gureum.reset import drop_tables
from gureum.services.route53 import port as route53
from gureum.services.servicediscovery.model import (
    INSTANCES,
    NAMESPACES,
    OPERATIONS,
    SERVICES,
)

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store.base import Txn

TABLES: tuple[str, ...] = (NAMESPACES, SERVICES, INSTANCES, OPERATIONS)


def reset_txn(txn: Txn) -> int:
    for _key, doc in txn.scan(NAMESPACES):
        zone_id = ((doc.get("Properties") or {}).get("DnsProperties") or {}).get("HostedZoneId")
        if zone_id:
            route53.drop_zone(txn, arns.parse(doc["Arn"]).account, zone_id)
    return drop_tables(txn, TABLES)


async def reset(app: App) -> None:
    await app.store.run(reset_txn)
