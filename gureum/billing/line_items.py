"""Ledger rows -> line items: what each row of `billing.usage` (ledger.py) is billed as, under
AWS's usage types, with its price from the price table (pricing.py).

One ledger row gives one or more line items (a Lambda invocation: its request and its
GB-seconds; a Fargate task: vCPU-hours and GB-hours; an EC2 container instance: its instance
type's hours, BoxUsage:<type>, resource its EC2 instance id, none for a type the table does
not price). Each item carries the dimensions Cost Explorer groups and filters by (account,
service, Region, usage type, operation, resource) and the span of time it accrued over: an
invocation is a point in time, a task's run (an instance's registration) spans from its
start to its stop (its billed minimum included in the quantity, not the span).
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
    key: str = ""  # the price table unit it is priced as ("Lambda-GB-Second")

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
        cost=quantity * rate.price, key=key,
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
    if service == "ec2":  # an EC2 container instance's hours (meter.py EC2), under AWS's EC2 usage type
        rate = table.instance_hours(region, str(row.get("instance_type", "")))
        if rate is None:  # a type the table has no price for: not billed
            return []
        billed = float(row.get("billed_seconds") or row.get("seconds") or 0.0)
        start = ts - float(row.get("seconds") or 0.0)
        instance = {**row, "resource": row.get("ec2_instance_id") or row.get("resource", "")}  # AWS bills the EC2 instance
        return [_item(table, account, region, rate, instance, billed / 3600.0, start, ts)]
    if service == "route53":  # monthly charges (gureum/services/ce/monthly.py)
        return [_item(table, account, "global", str(row["unit"]), row, float(row.get("quantity", 1)), ts, ts)]
    if service == "kinesis":  # shard-hours (kinesis/sweep.py) and PUT payload units (kinesis/api.py)
        if row.get("shard_hours") is not None:
            return [_item(table, account, region, "Storage-ShardHour", row, float(row["shard_hours"]), ts, ts)]
        return [_item(table, account, region, "PutRequestPayloadUnits", row, float(row.get("put_payload_units", 0)), ts, ts)]
    if service == "route53domains":  # a registration or renewal, priced by the registrar's own TLD list
        return [LineItem(account=account, service="Amazon Registrar", region="global", usage_type=str(row.get("unit", "")),
                         operation=str(row.get("operation", "")), resource=str(row.get("resource", "")), start=ts, end=ts,
                         quantity=1.0, unit="Domain", cost=float(row.get("amount", 0.0)))]
    if service == "dynamodb":  # capacity-hours and storage (dynamodb/capacity_hours.py)
        start = ts - float(row.get("hours") or 0.0) * 3600.0
        keys = (("ReadCapacityUnit-Hrs", "rcu_hours"), ("WriteCapacityUnit-Hrs", "wcu_hours"),
                ("DynamoDB-TimedStorage-ByteHrs", "storage_gb_months"))
        return [_item(table, account, region, k, row, float(row[f]), start, ts) for k, f in keys if row.get(f)]
    if service == "apigateway" and row.get("api_type") == "REST":  # a REST API request (apigateway/metering.py)
        return [_item(table, account, region, "ApiGatewayRequest", row, float(row.get("requests", 1)), ts, ts)]
    if service == "apigateway" and row.get("cache_seconds") is not None:  # stage cache clusters (apigateway/cache_cluster.py)
        seconds = float(row["cache_seconds"])
        return [_item(table, account, region, f"ApiGatewayCache-{row.get('cache_size', '0.5')}GB", row, seconds / 3600.0,
                      ts - seconds, ts)]
    if service == "cognito":  # a monthly active user of a user pool (cognito_idp/mau.py)
        tier = str(row.get("tier") or "ESSENTIALS").title()
        return [_item(table, account, region, f"Cognito-MAU-{tier}", row, float(row.get("quantity", 1)), ts, ts)]
    if service == "eks":  # an ACTIVE cluster's hours (eks/metering.py)
        hours = float(row.get("hours") or 0.0)
        return [_item(table, account, region, "EKS-Hours:perCluster", row, hours, ts - hours * 3600.0, ts)]
    if service == "elb":  # load balancer seconds and capacity unit inputs (elbv2/meter.py)
        return _elb(table, account, region, row, ts)
    if service == "requests":
        return [_item(table, account, region, str(row["unit"]), row, float(row.get("requests", 1)), ts, ts)]
    return []


# What one (N)LCU-hour provides of each dimension AWS prices (elasticloadbalancing/pricing): new
# connections (per second, over the hour), bytes processed (1 GB per hour), rule evaluations beyond
# the first 10 of each request (ALB, per second). Active connections are not metered.
_GB = 1024**3
_LCU = {"application": {"new_connections": 25 * 3600.0, "bytes": float(_GB), "rule_evaluations": 1000 * 3600.0},
        "network": {"new_connections": 800 * 3600.0, "bytes": float(_GB)}}
_FREE_RULES = 10


def elb_capacity_units(row: dict[str, Any]) -> float:
    """The (N)LCU-hours of an "elb" ledger row: its most used dimension's share of one
    (N)LCU-hour. A row spans about a minute (elbv2/meter.py FLUSH_EVERY); AWS takes the largest
    dimension per hour, so summing each row's largest can only exceed that when the dimensions
    peak in different minutes of the hour."""
    kind = "network" if row.get("type") == "network" else "application"
    used = {"new_connections": float(row.get("new_connections") or 0), "bytes": float(row.get("bytes") or 0),
            "rule_evaluations": max(0.0, float(row.get("rule_evaluations") or 0) - _FREE_RULES * float(row.get("requests") or 0))}
    return max(used[d] / per for d, per in _LCU[kind].items())


def _elb(table: PriceTable, account: str, region: str, row: dict[str, Any], ts: float) -> list[LineItem]:
    prefix = "NLB" if row.get("type") == "network" else "ALB"
    seconds = float(row.get("seconds") or 0.0)
    out = []
    if seconds > 0:
        out.append(_item(table, account, region, f"{prefix}-LoadBalancerUsage", row, seconds / 3600.0, ts - seconds, ts))
    lcu = elb_capacity_units(row)
    if lcu > 0:
        out.append(_item(table, account, region, f"{prefix}-LCUUsage", row, lcu, ts, ts))
    return out


def of_rows(table: PriceTable, rows: Iterable[tuple[str, dict[str, Any]]]) -> Iterator[LineItem]:
    for key, row in rows:
        yield from of_row(table, key, row)


def with_free_tier(table: PriceTable, items: Iterable[LineItem]) -> list[LineItem]:
    """`items` with the monthly free tiers deducted, in the order they accrued, per account and
    calendar month (UTC), every Region together: Lambda's (the table's "lambda_free_tier": the
    first requests and GB-seconds, both architectures), the table's "free_tiers" (DynamoDB's
    storage and provisioned capacity, Route 53's health checks of AWS endpoints), and the bands
    of tiered rates (Cognito's MAUs: the free ones, then each band's price by the month's count).
    Cost Explorer applies it when the setting `billing.lambda_free_tier` is on."""
    out = sorted(items, key=lambda i: i.start)
    left: dict[tuple[str, str, str], float] = {}
    used: dict[tuple[str, str, str], float] = {}
    for n, item in enumerate(out):
        when = datetime.fromtimestamp(item.start, UTC)
        month = when.strftime("%Y-%m")
        if item.service == "AWS Lambda":
            if "Provisioned" in item.usage_type:  # no free tier for provisioned concurrency
                continue
            kind = "gbs" if "GB-Second" in item.usage_type else "requests"
            allowance = table.free_gb_seconds if kind == "gbs" else float(table.free_requests)
        else:
            kind = item.key
            bands = table.tiers(item.region, kind) if kind else None
            if bands is not None:
                k = (item.account, month, kind)
                before = used.get(k, 0.0)
                used[k] = before + item.quantity
                out[n] = replace(item, cost=_banded(bands, before, item.quantity))
                continue
            allowance = table.free_quantity(kind, _month_hours(when)) if kind in table.free else 0.0
            if allowance <= 0:
                continue
        k = (item.account, month, kind)
        free = left.setdefault(k, allowance)
        if free <= 0 or item.quantity <= 0:
            continue
        spent = min(free, item.quantity)
        left[k] = free - spent
        out[n] = replace(item, cost=item.cost * (1 - spent / item.quantity))
    return out


def _banded(bands: list[tuple[float | None, float]], before: float, quantity: float) -> float:
    """The cost of `quantity` units after `before` units of the month, band by band."""
    cost, lo, at, end = 0.0, 0.0, before, before + quantity
    for upto, price in bands:
        hi = float("inf") if upto is None else upto
        overlap = min(end, hi) - max(at, lo)
        if overlap > 0:
            cost += overlap * price
        lo = hi
    return cost


def _month_hours(when: datetime) -> float:
    start = when.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    nxt = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    return (nxt - start).total_seconds() / 3600.0
