"""Cost Explorer's filter expressions over line items (gureum/billing/line_items.py), shared
by Cost Explorer and Budgets: the dimensions a line item carries and AWS's Expression
(`And`/`Or`/`Not`, `Dimensions`, `Tags`, `CostCategories`, with MatchOptions EQUALS,
ABSENT, STARTS_WITH, ENDS_WITH, CONTAINS, CASE_SENSITIVE/CASE_INSENSITIVE). Pure
functions; a caller gives the tags of an item's resource (`tags_of`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gureum.billing.line_items import LineItem

# dimensions gureum's line items carry -> the item's attribute
DIMENSIONS: dict[str, Callable[[LineItem], str]] = {
    "SERVICE": lambda i: i.service,
    "USAGE_TYPE": lambda i: i.usage_type,
    "REGION": lambda i: i.region,
    "LINKED_ACCOUNT": lambda i: i.account,
    "OPERATION": lambda i: i.operation,
    "RECORD_TYPE": lambda i: "Usage",
    "PURCHASE_TYPE": lambda i: "On Demand Instances",
    "RESOURCE_ID": lambda i: i.resource,
}
TagsOf = Callable[[LineItem], dict[str, str]]


def match_value(value: str | None, values: list[str], options: list[str]) -> bool:
    if "ABSENT" in options:
        return value is None or value == ""
    if value is None:
        return False
    fold = "CASE_INSENSITIVE" in options
    v = value.lower() if fold else value
    for want in values:
        w = want.lower() if fold else want
        if "STARTS_WITH" in options and v.startswith(w):
            return True
        if "ENDS_WITH" in options and v.endswith(w):
            return True
        if "CONTAINS" in options and w in v:
            return True
        if not ({"STARTS_WITH", "ENDS_WITH", "CONTAINS"} & set(options)) and v == w:
            return True
    return False


def matches(expr: dict[str, Any], item: LineItem, tags_of: TagsOf, categories: dict[str, str] | None = None) -> bool:
    if expr.get("And") is not None:
        return all(matches(e, item, tags_of, categories) for e in expr["And"])
    if expr.get("Or") is not None:
        return any(matches(e, item, tags_of, categories) for e in expr["Or"])
    if expr.get("Not") is not None:
        return not matches(expr["Not"], item, tags_of, categories)
    if expr.get("Dimensions") is not None:
        d = expr["Dimensions"]
        return match_value(DIMENSIONS[d["Key"]](item), list(d.get("Values") or []), list(d.get("MatchOptions") or ["EQUALS"]))
    if expr.get("Tags") is not None:
        d = expr["Tags"]
        return match_value(tags_of(item).get(d.get("Key") or ""), list(d.get("Values") or []), list(d.get("MatchOptions") or ["EQUALS"]))
    if expr.get("CostCategories") is not None:
        d = expr["CostCategories"]  # the item's values (ce/categories.py); none given: uncategorized
        return match_value((categories or {}).get(d.get("Key") or ""), list(d.get("Values") or []), list(d.get("MatchOptions") or ["EQUALS"]))
    return True
