"""Cost Explorer's query engine, sans-IO: line items (gureum/billing/line_items.py) in, the
ResultsByTime of GetCostAndUsage out; also the filter expressions, the time periods and
AWS's way of writing amounts. Nothing here reads the store.

Time periods: Start inclusive, End exclusive, "YYYY-MM-DD" (DAILY, MONTHLY) or
"YYYY-MM-DDThh:mm:ssZ" (HOURLY also takes dates). Buckets follow the granularity and are
clipped to the period (a MONTHLY query from the 10th has a first bucket from the 10th).
An item spanning time (a Fargate task) is shared between buckets by overlap.
"""

from __future__ import annotations

import bisect
import calendar
import math
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from gureum.aws.errors import AwsError
from gureum.billing.filters import DIMENSIONS, TagsOf, matches
from gureum.billing.line_items import LineItem

METRICS = ("AmortizedCost", "BlendedCost", "NetAmortizedCost", "NetUnblendedCost", "NormalizedUsageAmount", "UnblendedCost", "UsageQuantity")
COST_METRICS = frozenset(METRICS) - {"NormalizedUsageAmount", "UsageQuantity"}
GROUP_DIMENSIONS = frozenset(DIMENSIONS) - {"RESOURCE_ID"}



def invalid(message: str) -> AwsError:
    return AwsError.common("ValidationException", message)


def parse_time(value: str, hourly: bool) -> datetime:
    for fmt in (("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d") if hourly else ("%Y-%m-%d",)):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    if hourly:
        raise invalid(f"Start and end dates must be in the format yyyy-MM-dd or yyyy-MM-ddTHH:mm:ssZ: {value}")
    raise invalid(f"Start and end dates must be in the format yyyy-MM-dd: {value}")


def period(p: dict[str, Any], granularity: str, now: datetime | None = None) -> tuple[datetime, datetime]:
    """Start and End of a TimePeriod, AWS's limits checked: hourly data for the last 14 days
    only, data at all for the last 14 months (older: BillExpirationException)."""
    hourly = granularity == "HOURLY"
    start, end = parse_time(p["Start"], hourly), parse_time(p["End"], hourly)
    if start >= end:
        raise invalid("Start date (and hour) should be before end date (and hour)")
    if now is not None:
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        if hourly and start < today - timedelta(days=14):
            raise invalid("Hourly data is available for the past 14 days only: the start must be within them")
        if hourly and end > today + timedelta(days=15):
            raise invalid("Hourly data is available for the past 14 days only: the end must be within them")
        oldest = (today.replace(day=1) - timedelta(days=14 * 31)).replace(day=1)
        if start < oldest:
            raise AwsError.modeled("ce", "BillExpirationException", "The requested report expired. Update the date interval and try again.")
        if end > today + timedelta(days=366 * 3):
            raise invalid("End date is too far in the future")
    return start, end


def write_time(t: datetime, hourly: bool) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ" if hourly else "%Y-%m-%d")


def buckets(start: datetime, end: datetime, granularity: str) -> list[tuple[datetime, datetime]]:
    out: list[tuple[datetime, datetime]] = []
    t = start
    while t < end:
        if granularity == "HOURLY":
            nxt = t.replace(minute=0, second=0) + timedelta(hours=1)
        elif granularity == "DAILY":
            nxt = t.replace(hour=0, minute=0, second=0) + timedelta(days=1)
        else:
            days = calendar.monthrange(t.year, t.month)[1]
            nxt = t.replace(day=1, hour=0, minute=0, second=0) + timedelta(days=days)
        out.append((t, min(nxt, end)))
        t = nxt
    return out


def overlapping(starts: list[float], item: LineItem) -> range:
    """The indexes of the buckets (by their sorted start times) an item may fall in."""
    first = max(0, bisect.bisect_right(starts, item.start) - 1)
    last = bisect.bisect_right(starts, item.end)
    return range(first, max(first, last))


def amount(value: float) -> str:
    """AWS's writing of an amount: up to 10 decimals, no trailing zeros ("0" for nothing)."""
    if not math.isfinite(value) or abs(value) < 5e-11:
        return "0"
    text = f"{value:.10f}".rstrip("0").rstrip(".")
    return text


def check_filter(expr: dict[str, Any], dimensions: frozenset[str] = frozenset(DIMENSIONS)) -> None:
    """AWS's rules for an Expression: exactly one of its members, And/Or of two or more."""
    keys = [k for k, v in expr.items() if v is not None]
    if len(keys) != 1:
        raise invalid("Expression has more than one roots. Only one root operator is allowed for each expression: And, Or, Not, Dimensions, Tags, CostCategories")
    k = keys[0]
    if k in ("And", "Or"):
        if len(expr[k]) < 2:
            raise invalid(f"{k} expression must have at least 2 operands")
        for e in expr[k]:
            check_filter(e, dimensions)
    elif k == "Not":
        check_filter(expr[k], dimensions)
    elif k == "Dimensions":
        d = expr[k]
        if d.get("Key") not in dimensions:
            raise invalid(f"Dimension {d.get('Key')} is not allowed. Allowed dimension(s): {', '.join(sorted(dimensions))}")
        if not d.get("Values") and "ABSENT" not in (d.get("MatchOptions") or []):
            raise invalid("Dimension values must not be empty")
    elif k == "ProductAttributes":
        raise invalid("ProductAttributes filter is not supported for this operation")


def check_group_by(group_by: list[dict[str, Any]], dimensions: frozenset[str] = GROUP_DIMENSIONS) -> None:
    if len(group_by) > 2:
        raise invalid("You may only specify up to 2 group by clauses")
    seen = set()
    for g in group_by:
        kind, key = g.get("Type"), g.get("Key")
        if kind == "DIMENSION" and key not in dimensions:
            raise invalid(f"Group Definition dimension is invalid. Valid values are {', '.join(sorted(dimensions))}")
        if kind not in ("DIMENSION", "TAG", "COST_CATEGORY"):
            raise invalid(f"Group Definition type is invalid. Valid values are DIMENSION, TAG, COST_CATEGORY: {kind}")
        if not key:
            raise invalid("Group Definition key must not be empty")
        if (kind, key) in seen:
            raise invalid("Duplicate group by clauses are not allowed")
        seen.add((kind, key))


def group_key(g: dict[str, Any], item: LineItem, tags_of: TagsOf, categories: dict[str, str] | None = None) -> str:
    if g["Type"] == "DIMENSION":
        return DIMENSIONS[g["Key"]](item)
    if g["Type"] == "TAG":
        return f"{g['Key']}${tags_of(item).get(g['Key'], '')}"
    return f"{g['Key']}${(categories or {}).get(g['Key'], '')}"  # COST_CATEGORY: its value, or none


def _metrics(sums: dict[str, float], units: set[str], metrics: list[str]) -> dict[str, dict[str, str]]:
    out = {}
    for m in metrics:
        if m in COST_METRICS:
            out[m] = {"Amount": amount(sums.get("cost", 0.0)), "Unit": "USD"}
        else:
            unit = next(iter(units)) if len(units) == 1 else "N/A"
            out[m] = {"Amount": amount(sums.get("quantity", 0.0)), "Unit": unit}
    return out


def results(
    items: Iterable[LineItem], start: datetime, end: datetime, granularity: str, metrics: list[str],
    group_by: list[dict[str, Any]], flt: dict[str, Any] | None, tags_of: TagsOf, now: float,
    categories_of: Callable[[LineItem], dict[str, str]] | None = None,
) -> list[dict[str, Any]]:
    """GetCostAndUsage's ResultsByTime; `categories_of` gives an item's cost category values."""
    hourly = granularity == "HOURLY"
    spans = buckets(start, end, granularity)
    bounds = [(a.timestamp(), b.timestamp()) for a, b in spans]
    starts = [a for a, _ in bounds]
    lo, hi = bounds[0][0], bounds[-1][1]
    totals: list[dict[str, float]] = [{} for _ in spans]
    total_units: list[set[str]] = [set() for _ in spans]
    groups: list[dict[tuple[str, ...], dict[str, float]]] = [{} for _ in spans]
    group_units: list[dict[tuple[str, ...], set[str]]] = [{} for _ in spans]
    for item in items:
        if item.end < lo or item.start >= hi:
            continue
        categories = categories_of(item) if categories_of is not None else None
        if flt and not matches(flt, item, tags_of, categories):
            continue
        keys = tuple(group_key(g, item, tags_of, categories) for g in group_by)
        for n in overlapping(starts, item):
            a, b = bounds[n]
            share = item.share(a, b)
            if share <= 0:
                continue
            target = groups[n].setdefault(keys, {}) if group_by else totals[n]
            units = group_units[n].setdefault(keys, set()) if group_by else total_units[n]
            target["cost"] = target.get("cost", 0.0) + item.cost * share
            target["quantity"] = target.get("quantity", 0.0) + item.quantity * share
            units.add(item.unit)
    out = []
    for n, (a_t, b_t) in enumerate(spans):
        entry: dict[str, Any] = {"TimePeriod": {"Start": write_time(a_t, hourly), "End": write_time(b_t, hourly)}}
        if group_by:
            entry["Total"] = {}
            entry["Groups"] = [
                {"Keys": list(k), "Metrics": _metrics(v, group_units[n][k], metrics)} for k, v in sorted(groups[n].items())
            ]
        else:
            entry["Total"] = _metrics(totals[n], total_units[n], metrics)
            entry["Groups"] = []
        entry["Estimated"] = b_t.timestamp() > now - 86400  # the bill of a day is final a day later
        out.append(entry)
    return out


def daily_costs(items: Iterable[LineItem], start: datetime, end: datetime, flt: dict[str, Any] | None, tags_of: TagsOf, quantity: bool = False) -> list[float]:
    """The cost (or usage quantity) of each day in [start, end)."""
    spans = buckets(start, end, "DAILY")
    bounds = [(a.timestamp(), b.timestamp()) for a, b in spans]
    starts = [a for a, _ in bounds]
    out = [0.0 for _ in spans]
    for item in items:
        if flt and not matches(flt, item, tags_of):
            continue
        for n in overlapping(starts, item):
            a, b = bounds[n]
            out[n] += (item.quantity if quantity else item.cost) * item.share(a, b)
    return out
