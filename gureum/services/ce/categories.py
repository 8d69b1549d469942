"""Cost categories: an account's named rules that give each line item a value (AWS's cost
category definitions), seen by GetCostAndUsage as GroupBy {Type: COST_CATEGORY, Key: name}
and as CostCategories filters.

Table `ce.cost_categories`: "<account>/<id>" -> {"CostCategoryArn", "Name", "EffectiveStart"
(text, "YYYY-MM-DDThh:mm:ssZ"), "RuleVersion", "Rules", "DefaultValue" (absent: none)}; the
id is a UUID, the ARN `arn:...:ce::<account>:costcategory/<id>`. Names are unique per account;
at most 50 definitions (AWS's quota) of at most 500 rules.

How an item is categorized (`values_of`): the rules in order, the first that applies gives the
value: a REGULAR rule when its Rule (an Expression of Dimensions and Tags, billing/filters.py)
matches the item; an INHERITED_VALUE rule with DimensionName TAG when the item carries that tag
(its value). No rule applies: the DefaultValue, or none (the item is uncategorized, grouped
under the empty value as AWS groups "No cost category"). What gureum does not do: split charges
(SplitChargeRules is refused), rules that name other cost categories (they match no item),
INHERITED_VALUE by LINKED_ACCOUNT_NAME (refused: gureum's accounts have no names), and rules
by effective period (the current rules categorize every period)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.billing.filters import TagsOf, matches
from gureum.billing.line_items import LineItem
from gureum.services.ce import query
from gureum.store import Txn

CATEGORIES = "ce.cost_categories"
MAX_CATEGORIES = 50


def _not_found(arn: str) -> AwsError:
    return AwsError.modeled("ce", "ResourceNotFoundException", f"No Cost Category found for the ARN: {arn}")


def _month_start(now: float) -> str:
    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-01T00:00:00Z")


def _check(p: dict[str, Any]) -> None:
    if p.get("SplitChargeRules"):
        raise query.invalid("gureum does not split charges: SplitChargeRules are not supported")
    for rule in p["Rules"]:
        kind = rule.get("Type") or "REGULAR"
        if kind == "REGULAR":
            if not rule.get("Value") or rule.get("Rule") is None:
                raise query.invalid("A REGULAR cost category rule needs a Value and a Rule")
            query.check_filter(rule["Rule"])
        else:
            inherited = rule.get("InheritedValue") or {}
            if inherited.get("DimensionName") != "TAG" or not inherited.get("DimensionKey"):
                raise query.invalid("gureum inherits cost category values from tags only (DimensionName TAG with a DimensionKey)")


def _stored(p: dict[str, Any], arn: str, name: str, start: str) -> dict[str, Any]:
    doc = {"CostCategoryArn": arn, "Name": name, "EffectiveStart": start, "RuleVersion": p["RuleVersion"],
           "Rules": list(p["Rules"])}
    if p.get("DefaultValue"):
        doc["DefaultValue"] = p["DefaultValue"]
    return doc


def create(txn: Txn, account: str, p: dict[str, Any], now: float) -> dict[str, Any]:
    _check(p)
    existing = [d for _, d in txn.scan(CATEGORIES, f"{account}/")]
    if any(d["Name"] == p["Name"] for d in existing):
        raise query.invalid(f"Failed to create Cost Category: Cost category name {p['Name']} already exists")
    if len(existing) >= MAX_CATEGORIES:
        raise AwsError.modeled("ce", "ServiceQuotaExceededException",
                               f"You've reached the limit of {MAX_CATEGORIES} cost categories for this account.")
    category_id = str(uuid.uuid4())
    doc = _stored(p, arns.ce_cost_category(account, category_id), p["Name"], p.get("EffectiveStart") or _month_start(now))
    txn.put(CATEGORIES, f"{account}/{category_id}", doc)
    return doc


def _key(account: str, arn: str) -> str:
    parsed = arns.try_parse(arn)
    if parsed is None or parsed.service != "ce" or parsed.account != account or not parsed.resource.startswith("costcategory/"):
        raise _not_found(arn)
    return f"{account}/{parsed.resource.split('/', 1)[1]}"


def get(txn: Txn, account: str, arn: str) -> dict[str, Any]:
    doc = txn.get(CATEGORIES, _key(account, arn))
    if doc is None:
        raise _not_found(arn)
    return dict(doc)


def update(txn: Txn, account: str, p: dict[str, Any], now: float) -> dict[str, Any]:
    _check(p)
    old = get(txn, account, p["CostCategoryArn"])
    doc = _stored(p, old["CostCategoryArn"], old["Name"], p.get("EffectiveStart") or _month_start(now))
    txn.put(CATEGORIES, _key(account, p["CostCategoryArn"]), doc)
    return doc


def delete(txn: Txn, account: str, arn: str) -> None:
    get(txn, account, arn)
    txn.delete(CATEGORIES, _key(account, arn))


def list_all(txn: Txn, account: str) -> list[dict[str, Any]]:
    return sorted((d for _, d in txn.scan(CATEGORIES, f"{account}/")), key=lambda d: d["Name"])


def values_of(definitions: list[dict[str, Any]], tags_of: TagsOf) -> Callable[[LineItem], dict[str, str]]:
    """item -> {category name: its value} (an uncategorized item has no entry for the name)."""

    def of(item: LineItem) -> dict[str, str]:
        out: dict[str, str] = {}
        for d in definitions:
            value = d.get("DefaultValue")
            for rule in d["Rules"]:
                if (rule.get("Type") or "REGULAR") == "REGULAR":
                    if matches(rule["Rule"], item, tags_of):
                        value = rule["Value"]
                        break
                else:
                    found = tags_of(item).get(rule["InheritedValue"]["DimensionKey"])
                    if found:
                        value = found
                        break
            if value:
                out[d["Name"]] = str(value)
        return out

    return of
