"""Tags of the Logs resources other than log groups, for TagResource, UntagResource and
ListTagsForResource: delivery sources, delivery destinations, deliveries, anomaly
detectors, lookup tables and scheduled queries keep theirs as a "tags" dict in their own
docs (deliveries.py, anomalies.py, lookup_tables.py, scheduled_queries.py)."""

from __future__ import annotations

from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.logs import anomalies, deliveries, lookup_tables, scheduled_queries
from gureum.store import Txn

TABLES = {
    "delivery-source": deliveries.SOURCES_TABLE,
    "delivery-destination": deliveries.DESTINATIONS,
    "delivery": deliveries.DELIVERIES,
    "anomaly-detector": anomalies.TABLE,
    "lookup-table": lookup_tables.TABLE,
    "scheduled-query": scheduled_queries.TABLE,
}


class DocTags:
    """`gureum.aws.tags.Place` over the "tags" of one doc of one table."""

    def __init__(self, table: str, key: str) -> None:
        self.table, self.key = table, key

    def _doc(self, txn: Txn) -> dict[str, Any]:
        doc = txn.get(self.table, self.key)
        if doc is None:
            raise AwsError.modeled("logs", "ResourceNotFoundException", "The specified resource does not exist.")
        return doc

    def read(self, txn: Txn) -> dict[str, str]:
        return dict(self._doc(txn).get("tags") or {})

    def write(self, txn: Txn, new: dict[str, str]) -> None:
        doc = self._doc(txn)
        if new:
            doc["tags"] = new
        else:
            doc.pop("tags", None)
        txn.put(self.table, self.key, doc)


def place_for(account: str, region: str, resource_arn: str) -> DocTags | None:
    """Where the tags of the resource `resource_arn` names are, if it is one of these kinds
    in the caller's account and Region (None for log groups and anything else)."""
    parsed = arns.try_parse(resource_arn)
    if parsed is None or parsed.service != "logs" or ":" not in parsed.resource:
        return None
    kind, name = parsed.resource.split(":", 1)
    table = TABLES.get(kind)
    if table is None:
        return None
    if (parsed.account, parsed.region) != (account, region):
        return DocTags(table, "\x00absent")  # another account's: not found here
    return DocTags(table, f"{account}/{region}/{name}")
