"""API keys, usage plans, their keys and the usage they count (per account and Region).

Tables:
- apigw_api_keys: "{account}/{region}/{id}" -> ApiKey {"id", "value", "name", "description",
  "enabled", "customerId", "stageKeys", "createdDate", "lastUpdatedDate", "tags"}.
- apigw_key_values: "{account}/{region}/{value}" -> {"id"}: a key's value is unique in its
  account and Region (the data plane finds a key by x-api-key through it).
- apigw_usage_plans: "{account}/{region}/{id}" -> UsagePlan {"id", "name", "description",
  "apiStages": [{"apiId", "stage", "throttle"}], "throttle", "quota", "tags"}.
- apigw_plan_keys: "{account}/{region}/{plan id}/{key id}" -> {"id", "type": "API_KEY"}.
- apigw_usage: "{account}/{region}/{plan id}/{key id}/{YYYY-MM-DD}" -> {"used": n}: requests
  a key made through a plan on a UTC day (written by usage.py in batches).

Invariants: a key belongs to at most one plan per API stage; deleting a key or a plan drops
their plan keys. Writes publish "apigateway.keys" {} (the data plane's key cache follows it).
"""

from __future__ import annotations

import datetime as dt
import secrets
import string
from typing import Any

from gureum.aws import paging, tags
from gureum.services.apigateway import ids, patch
from gureum.services.apigateway.apis import STAGES, TAG_RULES, get, page, scope
from gureum.services.apigateway.errors import bad_request, conflict, not_found
from gureum.store import Txn

Doc = dict[str, Any]
API_KEYS = "apigw_api_keys"
KEY_VALUES = "apigw_key_values"
USAGE_PLANS = "apigw_usage_plans"
PLAN_KEYS = "apigw_plan_keys"
USAGE = "apigw_usage"
TABLES = (API_KEYS, KEY_VALUES, USAGE_PLANS, PLAN_KEYS, USAGE)
TOPIC = "apigateway.keys"
PERIODS = ("DAY", "WEEK", "MONTH")


def _changed(txn: Txn) -> None:
    txn.publish(TOPIC, {})


def _view(doc: Doc, include_value: bool) -> Doc:
    return {k: v for k, v in doc.items() if include_value or k != "value"}


def api_key(txn: Txn, account: str, region: str, key_id: str) -> Doc:
    doc = txn.get(API_KEYS, f"{account}/{region}/{key_id}")
    if doc is None:
        raise not_found("Invalid API Key identifier specified")
    return doc


def create_key(txn: Txn, account: str, region: str, p: Doc, now: float) -> Doc:
    value = p.get("value") or "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(40))
    if len(value) < 20:
        raise bad_request("API Key value should be at least 20 characters")
    if txn.get(KEY_VALUES, f"{account}/{region}/{value}") is not None:
        raise conflict("API Key value already exists")
    for sk in p.get("stageKeys") or []:
        get(txn, account, region, str(sk.get("restApiId")))
        if txn.get(STAGES, f"{scope(account, region, str(sk.get('restApiId')))}/{sk.get('stageName')}") is None:
            raise bad_request("Invalid stage identifier specified")
    key_id = ids.fresh(lambda c: txn.get(API_KEYS, f"{account}/{region}/{c}") is not None, 10)
    doc: Doc = {"id": key_id, "value": value, "enabled": bool(p.get("enabled", False)), "createdDate": now,
                "lastUpdatedDate": now, "stageKeys": [f"{sk['restApiId']}/{sk['stageName']}" for sk in p.get("stageKeys") or []],
                "tags": tags.check(dict(p.get("tags") or {}), TAG_RULES)}
    for field in ("name", "description", "customerId"):
        if p.get(field) is not None:
            doc[field] = p[field]
    txn.put(API_KEYS, f"{account}/{region}/{key_id}", doc)
    txn.put(KEY_VALUES, f"{account}/{region}/{value}", {"id": key_id})
    _changed(txn)
    return doc


def list_keys(txn: Txn, account: str, region: str, p: Doc) -> tuple[list[Doc], str | None]:
    name, customer = p.get("nameQuery"), p.get("customerId")
    if p.get("limit") is not None and not 1 <= p["limit"] <= 500:
        raise bad_request("Invalid limit, must be between 1 and 500")
    rows, nxt = paging.page(txn, API_KEYS, f"{account}/{region}/", token=p.get("position"), limit=p.get("limit"),
                            default_limit=25, max_limit=500, filters={"name": name, "customer": customer},
                            keep=lambda d: (not name or str(d.get("name", "")).startswith(name))
                            and (not customer or d.get("customerId") == customer),
                            error=lambda: bad_request("Invalid position parameter"))
    return [_view(d, bool(p.get("includeValues"))) for _, d in rows], nxt


def update_key(txn: Txn, account: str, region: str, key_id: str, operations: list[Doc] | None, now: float) -> Doc:
    doc = api_key(txn, account, region, key_id)
    new = patch.apply(doc, operations, patch.Fields(
        scalars={"name": patch.as_str, "description": patch.as_str, "enabled": patch.as_bool,
                 "customerId": patch.as_str}, lists=("stageKeys",)))
    new["lastUpdatedDate"] = now
    txn.put(API_KEYS, f"{account}/{region}/{key_id}", new)
    _changed(txn)
    return new


def delete_key(txn: Txn, account: str, region: str, key_id: str) -> None:
    doc = api_key(txn, account, region, key_id)
    txn.delete(API_KEYS, f"{account}/{region}/{key_id}")
    txn.delete(KEY_VALUES, f"{account}/{region}/{doc['value']}")
    for key, _ in txn.scan(PLAN_KEYS, f"{account}/{region}/"):
        if key.endswith("/" + key_id):
            txn.delete(PLAN_KEYS, key)
    _changed(txn)


def key_by_value(txn: Txn, account: str, region: str, value: str) -> Doc | None:
    found = txn.get(KEY_VALUES, f"{account}/{region}/{value}")
    return None if found is None else txn.get(API_KEYS, f"{account}/{region}/{found['id']}")


# --- usage plans --------------------------------------------------------------------------

def plan(txn: Txn, account: str, region: str, plan_id: str) -> Doc:
    doc = txn.get(USAGE_PLANS, f"{account}/{region}/{plan_id}")
    if doc is None:
        raise not_found("Invalid Usage Plan ID specified")
    return doc


def _check_plan(txn: Txn, account: str, region: str, doc: Doc) -> None:
    for s in doc.get("apiStages") or []:
        get(txn, account, region, str(s.get("apiId")))
        if txn.get(STAGES, f"{scope(account, region, str(s['apiId']))}/{s.get('stage')}") is None:
            raise not_found("Invalid stage identifier specified")
    quota = doc.get("quota")
    if quota:
        if quota.get("period") not in PERIODS:
            raise bad_request("Invalid quota period specified. Valid options are DAY, WEEK, MONTH")
        if int(quota.get("limit", 0)) < 0:
            raise bad_request("Quota limit should be a non-negative integer")
    throttle = doc.get("throttle")
    if throttle and (float(throttle.get("rateLimit", 0)) < 0 or int(throttle.get("burstLimit", 0)) < 0):
        raise bad_request("Throttle limits should be non-negative")


def create_plan(txn: Txn, account: str, region: str, p: Doc) -> Doc:
    plan_id = ids.fresh(lambda c: txn.get(USAGE_PLANS, f"{account}/{region}/{c}") is not None)
    doc: Doc = {"id": plan_id, "name": p["name"], "apiStages": [dict(s) for s in p.get("apiStages") or []],
                "tags": tags.check(dict(p.get("tags") or {}), TAG_RULES)}
    for field in ("description", "throttle", "quota"):
        if p.get(field) is not None:
            doc[field] = dict(p[field]) if isinstance(p[field], dict) else p[field]
    _check_plan(txn, account, region, doc)
    txn.put(USAGE_PLANS, f"{account}/{region}/{plan_id}", doc)
    _changed(txn)
    return doc


def list_plans(txn: Txn, account: str, region: str, p: Doc) -> tuple[list[Doc], str | None]:
    key_id = p.get("keyId")
    rows, nxt = paging.page(txn, USAGE_PLANS, f"{account}/{region}/", token=p.get("position"), limit=p.get("limit"),
                            default_limit=25, max_limit=500, filters={"key": key_id},
                            keep=lambda d: not key_id or txn.get(PLAN_KEYS, f"{account}/{region}/{d['id']}/{key_id}") is not None,
                            error=lambda: bad_request("Invalid position parameter"))
    return [d for _, d in rows], nxt


def _plan_special(doc: Doc, op: str, parts: list[str], value: str | None) -> bool:
    if parts[0] in ("throttle", "quota") and len(parts) == 2:
        convert = {"rateLimit": patch.as_float, "burstLimit": patch.as_int, "limit": patch.as_int,
                   "offset": patch.as_int, "period": patch.as_str}.get(parts[1])
        if convert is None:
            return False
        section = dict(doc.get(parts[0]) or {})
        if op == "remove":
            section.pop(parts[1], None)
        else:
            section[parts[1]] = convert(value)
        doc[parts[0]] = section
        return True
    if parts[0] in ("throttle", "quota") and len(parts) == 1 and op == "remove":
        doc.pop(parts[0], None)
        return True
    if parts[0] == "apiStages" and len(parts) == 1 and value:
        api_id, _, stage = value.partition(":")
        stages = [s for s in doc.get("apiStages") or [] if (s["apiId"], s["stage"]) != (api_id, stage)]
        if op == "add":
            stages.append({"apiId": api_id, "stage": stage})
        doc["apiStages"] = stages
        return True
    return False


def update_plan(txn: Txn, account: str, region: str, plan_id: str, operations: list[Doc] | None) -> Doc:
    doc = plan(txn, account, region, plan_id)
    new = patch.apply(doc, operations, patch.Fields(scalars={"name": patch.as_str, "description": patch.as_str},
                                                    special=_plan_special))
    _check_plan(txn, account, region, new)
    txn.put(USAGE_PLANS, f"{account}/{region}/{plan_id}", new)
    _changed(txn)
    return new


def delete_plan(txn: Txn, account: str, region: str, plan_id: str) -> None:
    plan(txn, account, region, plan_id)
    txn.delete(USAGE_PLANS, f"{account}/{region}/{plan_id}")
    txn.delete_prefix(PLAN_KEYS, f"{account}/{region}/{plan_id}/")
    _changed(txn)


def _plan_key_view(key: Doc) -> Doc:
    return {"id": key["id"], "type": "API_KEY", "value": key["value"], **({"name": key["name"]} if key.get("name") else {})}


def create_plan_key(txn: Txn, account: str, region: str, plan_id: str, key_id: str, key_type: str) -> Doc:
    doc = plan(txn, account, region, plan_id)
    if key_type != "API_KEY":
        raise bad_request("Invalid key type specified. Valid options are API_KEY")
    key = api_key(txn, account, region, key_id)
    if txn.get(PLAN_KEYS, f"{account}/{region}/{plan_id}/{key_id}") is not None:
        raise conflict(f"Usage Plan {plan_id} already contains API Key {key_id}")
    mine = {(s["apiId"], s["stage"]) for s in doc.get("apiStages") or []}
    for other_key, _ in txn.scan(PLAN_KEYS, f"{account}/{region}/"):
        other_plan, _, other_id = other_key[len(f"{account}/{region}/"):].partition("/")
        if other_id != key_id:
            continue
        other = txn.get(USAGE_PLANS, f"{account}/{region}/{other_plan}") or {}
        shared = mine & {(s["apiId"], s["stage"]) for s in other.get("apiStages") or []}
        if shared:
            api_id, stage = sorted(shared)[0]
            raise conflict(f"API Key {key_id} cannot reference multiple Usage Plans with the same API Stage: "
                           f"{api_id}:{stage}")
    txn.put(PLAN_KEYS, f"{account}/{region}/{plan_id}/{key_id}", {"id": key_id, "type": "API_KEY"})
    _changed(txn)
    return _plan_key_view(key)


def plan_key(txn: Txn, account: str, region: str, plan_id: str, key_id: str) -> Doc:
    plan(txn, account, region, plan_id)
    if txn.get(PLAN_KEYS, f"{account}/{region}/{plan_id}/{key_id}") is None:
        raise not_found("Invalid Usage Plan Key identifier specified")
    return _plan_key_view(api_key(txn, account, region, key_id))


def list_plan_keys(txn: Txn, account: str, region: str, plan_id: str, p: Doc) -> tuple[list[Doc], str | None]:
    plan(txn, account, region, plan_id)
    rows, nxt = page(txn, PLAN_KEYS, f"{account}/{region}/{plan_id}/", p.get("position"), p.get("limit"))
    out = []
    for _, row in rows:
        key = txn.get(API_KEYS, f"{account}/{region}/{row['id']}")
        if key is not None and (not p.get("nameQuery") or str(key.get("name", "")).startswith(p["nameQuery"])):
            out.append(_plan_key_view(key))
    return out, nxt


def delete_plan_key(txn: Txn, account: str, region: str, plan_id: str, key_id: str) -> None:
    plan(txn, account, region, plan_id)
    if not txn.delete(PLAN_KEYS, f"{account}/{region}/{plan_id}/{key_id}"):
        raise not_found("Invalid Usage Plan Key identifier specified")
    _changed(txn)


def plans_for(txn: Txn, account: str, region: str, key_id: str, api_id: str, stage: str) -> Doc | None:
    """The usage plan through which key `key_id` may call stage `stage` of `api_id`, or None."""
    for row_key, _ in txn.scan(PLAN_KEYS, f"{account}/{region}/"):
        plan_id, _, kid = row_key[len(f"{account}/{region}/"):].partition("/")
        if kid != key_id:
            continue
        doc = txn.get(USAGE_PLANS, f"{account}/{region}/{plan_id}")
        if doc is not None and any((s["apiId"], s["stage"]) == (api_id, stage) for s in doc.get("apiStages") or []):
            return doc
    return None


# --- usage --------------------------------------------------------------------------------

def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise bad_request(f"Invalid date format: {text}. Expected yyyy-MM-dd") from None


def period_start(quota: Doc, day: dt.date) -> dt.date:
    """The first day of the quota period `day` falls in (weeks start on Monday, months on the 1st;
    the quota's offset shifts the start)."""
    offset = int(quota.get("offset") or 0)
    if quota.get("period") == "WEEK":
        return day - dt.timedelta(days=(day.weekday() - offset) % 7)
    if quota.get("period") == "MONTH":
        start = day.replace(day=1) + dt.timedelta(days=offset)
        return start if start <= day else (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1) + dt.timedelta(days=offset)
    return day


def used_in_period(txn: Txn, account: str, region: str, plan_doc: Doc, key_id: str, day: dt.date) -> int:
    quota = plan_doc.get("quota") or {}
    start = period_start(quota, day)
    total = 0
    d = start
    while d <= day:
        row = txn.get(USAGE, f"{account}/{region}/{plan_doc['id']}/{key_id}/{d.isoformat()}")
        total += int((row or {}).get("used", 0))
        d += dt.timedelta(days=1)
    return total


def usage(txn: Txn, account: str, region: str, plan_id: str, p: Doc) -> Doc:
    doc = plan(txn, account, region, plan_id)
    start, end = _day(p["startDate"]), _day(p["endDate"])
    if end < start:
        raise bad_request("The end date must be after the start date")
    if (end - start).days > 90:
        raise bad_request("The usage data requested exceeds the maximum range of 90 days")
    key_ids = [p["keyId"]] if p.get("keyId") else [row["id"] for _, row in txn.scan(PLAN_KEYS, f"{account}/{region}/{plan_id}/")]
    quota = doc.get("quota") or {}
    items: dict[str, list[list[int]]] = {}
    for key_id in key_ids:
        days: list[list[int]] = []
        d = start
        while d <= end:
            row = txn.get(USAGE, f"{account}/{region}/{plan_id}/{key_id}/{d.isoformat()}")
            used = int((row or {}).get("used", 0))
            remaining = max(0, int(quota["limit"]) - used_in_period(txn, account, region, doc, key_id, d)) if quota else 0
            days.append([used, remaining])
            d += dt.timedelta(days=1)
        items[key_id] = days
    return {"usagePlanId": plan_id, "startDate": start.isoformat(), "endDate": end.isoformat(), "items": items}


def add_usage(txn: Txn, counts: dict[tuple[str, str, str, str, str], int]) -> None:
    """Add the requests counted since the last flush: (account, region, plan, key, day) -> n."""
    for (account, region, plan_id, key_id, day), n in counts.items():
        k = f"{account}/{region}/{plan_id}/{key_id}/{day}"
        row = txn.get(USAGE, k) or {"used": 0}
        txn.put(USAGE, k, {"used": int(row["used"]) + n})
