"""Cost Explorer's reads of the usage ledger and its one table of its own.

Line items come from the ledger (`billing.usage`, gureum/billing/ledger.py) of the caller's
account, with what running Fargate tasks and registered EC2 container instances have accrued
to their last checkpoint (meter.py), priced by the node's price table (gureum/billing/pricing.py, setting
`billing.price_file`). A standalone account sees its own usage only (LINKED_ACCOUNT is
always the caller's).

Table `ce.cost_allocation_tags`: "<account>/<tag key>" -> {"TagKey", "Type": "UserDefined",
"Status": "Active"|"Inactive", "LastUpdatedDate"}. As in AWS, a user-defined tag key is
seen by GetCostAndUsage (GroupBy TAG, Tags filters) and GetTags only once it is Active;
ListCostAllocationTags lists every key found on a resource with usage (Inactive until
activated) and every key whose status was set. A resource's tags are its current tags
(Lambda functions through lambda's port; other resources have none yet).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from gureum.billing import meter
from gureum.billing.ledger import usage_rows
from gureum.billing.line_items import LineItem, of_rows, with_free_tier
from gureum.billing.pricing import PriceTable
from gureum.services.lambda_ import port as lambda_port
from gureum.store import Txn

ALLOCATION_TAGS = "ce.cost_allocation_tags"


def items(txn: Txn, table: PriceTable, account: str, since: float = 0.0, free_tier: bool = False) -> list[LineItem]:
    """The caller's line items that accrued after `since` (epoch seconds): the ledger's, and
    what Fargate tasks still running and container instances still registered have accrued
    up to their last checkpoint; with Lambda's
    free tier deducted when `free_tier` (counted from the start of `since`'s month)."""
    rows = itertools.chain(usage_rows(txn, account), meter.accrued_rows(txn, account, time.time()))
    if not free_tier:
        return [i for i in of_rows(table, rows) if i.end >= since]
    month = datetime.fromtimestamp(since, UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()
    return [i for i in with_free_tier(table, (i for i in of_rows(table, rows) if i.end >= month)) if i.end >= since]


def resource_tags(txn: Txn, resources: set[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for r in resources:
        out[r] = lambda_port.function_tags(txn, r) if ":lambda:" in r else {}
    return out


def statuses(txn: Txn, account: str) -> dict[str, dict[str, Any]]:
    return {doc["TagKey"]: doc for _, doc in txn.scan(ALLOCATION_TAGS, f"{account}/")}


def active_tags_of(txn: Txn, account: str, line_items: list[LineItem]) -> Callable[[LineItem], dict[str, str]]:
    """item -> its resource's tags whose keys are active cost allocation tags."""
    active = {k for k, d in statuses(txn, account).items() if d.get("Status") == "Active"}
    tags = resource_tags(txn, {i.resource for i in line_items})
    cache = {r: {k: v for k, v in t.items() if k in active} for r, t in tags.items()}
    return lambda item: cache.get(item.resource, {})


def _date(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def list_allocation_tags(txn: Txn, table: PriceTable, account: str) -> list[dict[str, Any]]:
    known = statuses(txn, account)
    found: dict[str, float] = {}
    line_items = items(txn, table, account)
    last: dict[str, float] = {}
    for i in line_items:
        last[i.resource] = max(last.get(i.resource, 0.0), i.end)
    for resource, tags in resource_tags(txn, set(last)).items():
        for k in tags:
            found[k] = max(found.get(k, 0.0), last[resource])
    out = []
    for k in sorted(set(known) | set(found)):
        doc = {"TagKey": k, "Type": "UserDefined", "Status": known.get(k, {}).get("Status", "Inactive")}
        if k in known:
            doc["LastUpdatedDate"] = known[k]["LastUpdatedDate"]
        if k in found:
            doc["LastUsedDate"] = _date(found[k])
        out.append(doc)
    return out


def set_allocation_status(txn: Txn, account: str, key: str, status: str, now: float) -> None:
    txn.put(ALLOCATION_TAGS, f"{account}/{key}", {"TagKey": key, "Type": "UserDefined", "Status": status, "LastUpdatedDate": _date(now)})
