"""`gureum costs --group-by`: the ledger's line items (line_items.py) summed by one of Cost
Explorer's dimensions (filters.py DIMENSIONS), as a whole and per UTC day. Pure functions;
cli.py prints them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from gureum.billing.filters import DIMENSIONS
from gureum.billing.line_items import LineItem

GROUPS = tuple(sorted(DIMENSIONS))


def by_group(items: Iterable[LineItem], dimension: str) -> dict[str, dict[str, float]]:
    """group value -> {"cost", "quantity"} over all the items."""
    get = DIMENSIONS[dimension]
    out: dict[str, dict[str, float]] = {}
    for i in items:
        s = out.setdefault(get(i), {"cost": 0.0, "quantity": 0.0})
        s["cost"] += i.cost
        s["quantity"] += i.quantity
    return out


def by_day(items: Iterable[LineItem], dimension: str) -> dict[str, dict[str, float]]:
    """"YYYY-MM-DD" -> group value -> cost (an item spanning days shared by overlap)."""
    get = DIMENSIONS[dimension]
    out: dict[str, dict[str, float]] = {}
    for i in items:
        day = datetime.fromtimestamp(i.start, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        while True:
            lo = day.timestamp()
            hi = (day + timedelta(days=1)).timestamp()
            share = i.share(lo, hi)
            if share > 0:
                row = out.setdefault(day.strftime("%Y-%m-%d"), {})
                row[get(i)] = row.get(get(i), 0.0) + i.cost * share
            if hi > i.end:
                break
            day += timedelta(days=1)
    return out


def table(items: list[LineItem], dimension: str) -> list[str]:
    """The grouped table and the per-day table, as lines."""
    groups = by_group(items, dimension)
    width = max([len(dimension), *(len(g) for g in groups)]) + 2
    lines = [f"{dimension:<{width}} {'USAGE':>16} {'COST (USD)':>14}"]
    for g, s in sorted(groups.items(), key=lambda kv: -kv[1]["cost"]):
        lines.append(f"{g:<{width}} {s['quantity']:>16.6f} {s['cost']:>14.8f}")
    lines.append(f"{'total':<{width}} {'':>16} {sum(s['cost'] for s in groups.values()):>14.8f}")
    days = by_day(items, dimension)
    names = sorted(groups, key=lambda g: -groups[g]["cost"])
    col = max([12, *(len(n) for n in names)]) + 2
    lines.append("")
    lines.append(f"{'DAY':<12}" + "".join(f"{n:>{col}}" for n in names) + f"{'TOTAL':>14}")
    for day in sorted(days):
        row = days[day]
        lines.append(f"{day:<12}" + "".join(f"{row.get(n, 0.0):>{col}.8f}" for n in names) + f"{sum(row.values()):>14.8f}")
    return lines
