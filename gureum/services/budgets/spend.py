"""What a budget has spent in its current period, and what it is forecast to: the usage
ledger's line items (with running Fargate tasks' usage to their last checkpoint) (gureum/billing/line_items.py) of the budget's account, filtered by its
CostFilters (AWS's names: Service, Region, UsageType, LinkedAccount, Operation) or its
FilterExpression (Cost Explorer's Expression, gureum/billing/filters.py), summed as cost
(COST budgets, USD) or as usage quantity (USAGE budgets). The forecast is the period's spend
so far carried linearly to the period's end. Tag filters are not evaluated (no item matches
one). Past periods (performance history) the same way. Pure functions over given line items."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gureum.billing.filters import match_value, matches
from gureum.billing.line_items import LineItem
from gureum.services.budgets.model import period_end, period_start

COST_FILTERS = {
    "Service": lambda i: i.service, "Region": lambda i: i.region, "UsageType": lambda i: i.usage_type,
    "LinkedAccount": lambda i: i.account, "Operation": lambda i: i.operation,
}  # fmt: skip


@dataclass(frozen=True)
class Spend:
    period_start: float
    period_end: float
    actual: float
    forecast: float


def _keep(budget: dict[str, Any], item: LineItem) -> bool:
    for name, values in (budget.get("CostFilters") or {}).items():
        get = COST_FILTERS.get(name)
        if get is None or not match_value(get(item), list(values), ["EQUALS"]):
            return False
    expr = budget.get("FilterExpression")
    return not expr or matches(expr, item, lambda i: {})


def of_budget(budget: dict[str, Any], items: list[LineItem], now: float) -> Spend:
    period = budget["TimePeriod"]
    start = max(period_start(budget["TimeUnit"], now, float(period["Start"])), float(period["Start"]))
    end = min(period_end(budget["TimeUnit"], start, float(period["End"])), float(period["End"]))
    actual = in_period(budget, items, start, end)
    elapsed = max(1.0, min(now, end) - start)
    forecast = actual * (end - start) / elapsed if now < end else actual
    return Spend(start, end, actual, forecast)


def in_period(budget: dict[str, Any], items: list[LineItem], start: float, end: float) -> float:
    """What the budget spent (cost, or usage quantity) between start and end."""
    usage = budget["BudgetType"] == "USAGE"
    return sum((i.quantity if usage else i.cost) * i.share(start, end) for i in items if _keep(budget, i))


def periods(budget: dict[str, Any], now: float, since: float | None, until: float | None) -> list[tuple[float, float]]:
    """The budget's periods (start, end) from its start (or `since`) to the current one (or
    `until`), oldest first: what DescribeBudgetPerformanceHistory reports on."""
    first, last = float(budget["TimePeriod"]["Start"]), float(budget["TimePeriod"]["End"])
    unit = budget["TimeUnit"]
    if unit == "CUSTOM":
        return [(first, last)] if first <= now else []
    stop = min(now, last, until if until is not None else now)
    start = period_start(unit, max(first, since or first), first)
    out = []
    while start <= stop:
        end = min(period_end(unit, start, last), last)
        out.append((max(start, first), end))
        start = end
    return out


def crossed(notification: dict[str, Any], limit: float, spend: Spend) -> bool:
    value = spend.actual if notification["NotificationType"] == "ACTUAL" else spend.forecast
    threshold = float(notification["Threshold"])
    bar = limit * threshold / 100.0 if (notification.get("ThresholdType") or "PERCENTAGE") == "PERCENTAGE" else threshold
    op = notification["ComparisonOperator"]
    if op == "GREATER_THAN":
        return value > bar
    if op == "LESS_THAN":
        return value < bar
    return abs(value - bar) < 1e-9
