"""Ledger rows -> line items: what each row of `billing.usage` (ledger.py) is billed as, under
AWS's usage types, with its price from the price table (pricing.py).

One ledger row gives one or more line items (a Lambda invocation: its request and its
GB-seconds; a Fargate task: vCPU-hours and GB-hours). Each item carries the dimensions Cost
Explorer groups and filters by (account, service, Region, usage type, operation, resource)
and the span of time it accrued over: an invocation is a point in time, a task's run spans
from its start to its stop (its billed minimum included in the quantity, not the span).
Pure functions: nothing here reads the store.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from gureum.billing.pricing import PriceTable


@dataclass(frozen=True)
class LineItem:
    account: str
    service: str  # AWS's name: "AWS Lambda"
    region: str
    usage_type: str  # "USE1-Lambda-GB-Second"
    operation: str
    resource: str
    start: float  # epoch seconds the usage accrued from
    end: float  # ... and until (== start for a point)
    quantity: float
    unit: str
    cost: float  # unblended, before free tiers

    def share(self, lo: float, hi: float) -> float:
        """The fraction of this item that accrued in [lo, hi)."""
        if self.end <= self.start:
            return 1.0 if lo <= self.start < hi else 0.0
        overlap = min(hi, self.end) - max(lo, self.start)
        return max(0.0, overlap) / (self.end - self.start)


def _item(table: PriceTable, account: str, region: str, key: str, row: dict[str, Any], quantity: float, start: float, end: float) -> LineItem:
    rate = table.rate(region, key)
    return LineItem(
        account=account, service=rate.service, region=region, usage_type=rate.usage_type, operation=rate.operation,
        resource=str(row.get("resource", "")), start=start, end=end, quantity=quantity, unit=rate.unit,
        cost=quantity * rate.price,
    )


def of_row(table: PriceTable, key: str, row: dict[str, Any]) -> list[LineItem]:
    """The line items of the ledger row stored at `key` ("<account>/<service>/...")."""
    account = key.split("/", 1)[0]
    region = str(row.get("region") or "us-east-1")
    ts = float(row.get("ts", 0)) / 1000.0
    service = row.get("service")
    if service == "lambda":
        arm = row.get("arch") == "arm64"
        suffix = "-ARM" if arm else ""
        gb = int(row.get("memory_mb", 128)) / 1024.0
        if row.get("pc_seconds") is not None:  # provisioned concurrency kept (lambda_.engine meter_provisioned)
            held = float(row["pc_seconds"]) * int(row.get("pc_concurrency", 0)) * gb
            return [_item(table, account, region, "Lambda-Provisioned-Concurrency" + suffix, row, held,
                          ts - float(row["pc_seconds"]), ts)]
        gbs = int(row.get("billed_ms", 0)) / 1000.0 * gb
        duration = "Lambda-Provisioned-GB-Second" if row.get("provisioned") else "Lambda-GB-Second"
        return [
            _item(table, account, region, "Request" + suffix, row, float(row.get("requests", 1)), ts, ts),
            _item(table, account, region, duration + suffix, row, gbs, ts, ts),
        ]
    if service == "fargate":
        billed = float(row.get("billed_seconds") or row.get("seconds") or 0.0)
        start = ts - float(row.get("seconds") or 0.0)
        arm = "ARM-" if row.get("arch") == "arm64" else ""
        hours = billed / 3600.0
        out = [
            _item(table, account, region, f"Fargate-{arm}vCPU-Hours:perCPU", row, hours * float(row.get("vcpu", 0.25)), start, ts),
            _item(table, account, region, f"Fargate-{arm}GB-Hours", row, hours * float(row.get("memory_gb", 0.5)), start, ts),
        ]
        extra = float(row.get("ephemeral_gb") or 0.0) - 20.0  # the first 20 GB come with the task
        if extra > 0:
            out.append(_item(table, account, region, "Fargate-EphemeralStorage-GB-Hours", row, hours * extra, start, ts))
        return out
    if service == "route53":  # monthly charges (gureum/services/ce/monthly.py)
        return [_item(table, account, "global", str(row["unit"]), row, float(row.get("quantity", 1)), ts, ts)]
    if service == "requests":
        return [_item(table, account, region, str(row["unit"]), row, float(row.get("requests", 1)), ts, ts)]
    return []


def of_rows(table: PriceTable, rows: Iterable[tuple[str, dict[str, Any]]]) -> Iterator[LineItem]:
    for key, row in rows:
        yield from of_row(table, key, row)


def with_free_tier(table: PriceTable, items: Iterable[LineItem]) -> list[LineItem]:
    """`items` with Lambda's monthly free tier deducted (the table's "lambda_free_tier": the
    first requests and GB-seconds of each calendar month (UTC), per account, both
    architectures and every Region together, cost nothing), in the order they accrued.
    Cost Explorer applies it when the setting `billing.lambda_free_tier` is on."""
    out = sorted(items, key=lambda i: i.start)
    left: dict[tuple[str, str, str], float] = {}
    for n, item in enumerate(out):
        if item.service != "AWS Lambda" or "Provisioned" in item.usage_type:  # no free tier for provisioned concurrency
            continue
        kind = "gbs" if "GB-Second" in item.usage_type else "requests"
        month = datetime.fromtimestamp(item.start, UTC).strftime("%Y-%m")
        k = (item.account, month, kind)
        free = left.setdefault(k, table.free_gb_seconds if kind == "gbs" else float(table.free_requests))
        if free <= 0 or item.quantity <= 0:
            continue
        used = min(free, item.quantity)
        left[k] = free - used
        out[n] = replace(item, cost=item.cost * (1 - used / item.quantity))
    return out
