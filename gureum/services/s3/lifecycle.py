"""S3 lifecycle configuration: Put/Get/DeleteBucketLifecycleConfiguration and the legacy
Put/GetBucketLifecycle and DeleteBucketLifecycle, held to AWS's rules; lifecycle_plan.py
decides and lifecycle_sweep.py applies what the rules do.

State: the bucket document's `lifecycle` = {"Rules": [...], "MinSize":
TransitionDefaultMinimumObjectSize} or None. Rules are stored normalized: dates as epoch
seconds (AWS requires midnight UTC), a legacy rule's `Transition` /
`NoncurrentVersionTransition` as one-element `Transitions` / `NoncurrentVersionTransitions`,
its Prefix kept as the rule's Prefix.

The 2006 API's requests are the same HTTP requests as the current API's (same method and
URI, and its singular <Transition> is the current model's flattened Transitions list), so on
the wire they reach the current handlers, as on AWS; the legacy handlers below serve the
same rules to callers that name those operations.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.s3 import model

MAX_RULES = 1000
DEFAULT_MIN_SIZE = "all_storage_classes_128K"
_IA = ("STANDARD_IA", "ONEZONE_IA")


def _malformed() -> AwsError:
    return AwsError.modeled("s3", "MalformedXML", "The XML you provided was not well-formed or did not validate "
                                                  "against our published schema")


def _invalid(message: str, name: str = "", value: str = "") -> AwsError:
    return AwsError.modeled("s3", "InvalidArgument", message, ArgumentName=name, ArgumentValue=value)


def _epoch(value: Any) -> float:
    if isinstance(value, dt.datetime):
        when = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        if (when.hour, when.minute, when.second, when.microsecond) != (0, 0, 0, 0):
            raise _invalid("'Date' must be at midnight GMT", "Date", when.isoformat())
        return when.timestamp()
    return float(value)


def _has_tags(rule: dict[str, Any]) -> bool:
    f = rule.get("Filter") or {}
    return bool(f.get("Tag") or (f.get("And") or {}).get("Tags"))


def _check_filter(rule: dict[str, Any]) -> None:
    f = rule.get("Filter")
    if f is not None and "Prefix" in rule:
        raise _malformed()
    if f is None:
        return
    given = [k for k in ("Prefix", "Tag", "ObjectSizeGreaterThan", "ObjectSizeLessThan", "And") if k in f]
    if len(given) > 1:
        raise _malformed()
    conds = f.get("And") or f
    greater, less = conds.get("ObjectSizeGreaterThan"), conds.get("ObjectSizeLessThan")
    for v in (greater, less):
        if v is not None and v < 0:
            raise _invalid("Object size must be a non-negative value", "ObjectSize", str(v))
    if greater is not None and less is not None and less <= greater:
        raise _invalid("ObjectSizeLessThan must be greater than ObjectSizeGreaterThan in a filter",
                       "ObjectSizeLessThan", str(less))
    tags = [t["Key"] for t in (f.get("And") or {}).get("Tags") or []]
    if len(tags) != len(set(tags)):
        raise _invalid("Duplicate Tag Keys are not allowed.", "Tags", ",".join(tags))


def _check_rule(rule: dict[str, Any]) -> dict[str, Any]:
    rid = rule.get("ID") or ""
    if len(rid) > 255:
        raise _invalid("ID length should not exceed allowed limit of 255", "ID", rid)
    _check_filter(rule)
    actions = ("Expiration", "Transitions", "NoncurrentVersionTransitions", "NoncurrentVersionExpiration",
               "AbortIncompleteMultipartUpload")
    if not any(rule.get(a) for a in actions):
        raise AwsError.modeled("s3", "InvalidRequest", "At least one action needs to be specified in a rule")
    out = {k: v for k, v in rule.items() if v is not None}
    exp = rule.get("Expiration")
    if exp is not None:
        given = [k for k in ("Days", "Date", "ExpiredObjectDeleteMarker") if exp.get(k) is not None]
        if len(given) != 1:
            raise _malformed()
        if exp.get("Days") is not None and exp["Days"] <= 0:
            raise _invalid("'Days' for Expiration action must be a positive integer", "Days", str(exp["Days"]))
        if exp.get("ExpiredObjectDeleteMarker") is not None and _has_tags(rule):
            raise _invalid("ExpiredObjectDeleteMarker cannot be specified with object tagging filter",
                           "ExpiredObjectDeleteMarker")
        out["Expiration"] = {**exp, **({"Date": _epoch(exp["Date"])} if exp.get("Date") is not None else {})}
    transitions = []
    for t in rule.get("Transitions") or []:
        given = [k for k in ("Days", "Date") if t.get(k) is not None]
        if len(given) != 1 or not t.get("StorageClass"):
            raise _malformed()
        if t.get("Days") is not None:
            if t["Days"] < 0:
                raise _invalid("'Days' in Transition action must be a non-negative integer", "Days", str(t["Days"]))
            if t.get("StorageClass") in _IA and t["Days"] < 30:
                raise _invalid(f"'Days' in Transition action must be greater than or equal to 30 for storageClass "
                               f"'{t['StorageClass']}'", "StorageClass", t["StorageClass"])
            if exp and exp.get("Days") is not None and exp["Days"] <= t["Days"]:
                raise _invalid(f"'Days' in the Expiration action for filter '{rule.get('Filter') or rule.get('Prefix') or ''}'"
                               " must be greater than 'Days' in the Transition action", "Days", str(exp["Days"]))
        transitions.append({**t, **({"Date": _epoch(t["Date"])} if t.get("Date") is not None else {})})
    classes = [t["StorageClass"] for t in transitions]
    if len(classes) != len(set(classes)):
        raise _invalid("'StorageClass' must be different for 'Transition' actions in same 'Rule'", "StorageClass")
    if transitions:
        out["Transitions"] = transitions
    for t in rule.get("NoncurrentVersionTransitions") or []:
        if not t.get("StorageClass"):
            raise _malformed()
        if t.get("NoncurrentDays") is None or t["NoncurrentDays"] < 0:
            raise _invalid("'NoncurrentDays' in NoncurrentVersionTransition action must be a non-negative integer",
                           "NoncurrentDays")
        if t.get("StorageClass") in _IA and t["NoncurrentDays"] < 30:
            raise _invalid(f"'NoncurrentDays' in NoncurrentVersionTransition action must be greater than or equal "
                           f"to 30 for storageClass '{t['StorageClass']}'", "StorageClass", t["StorageClass"])
    nve = rule.get("NoncurrentVersionExpiration")
    if nve is not None:
        if nve.get("NoncurrentDays") is None or nve["NoncurrentDays"] <= 0:
            raise _invalid("'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer",
                           "NoncurrentDays", str(nve.get("NoncurrentDays")))
        newer = nve.get("NewerNoncurrentVersions")
        if newer is not None and not 1 <= newer <= 100:
            raise _invalid("NewerNoncurrentVersions must be between 1 and 100", "NewerNoncurrentVersions", str(newer))
    abort = rule.get("AbortIncompleteMultipartUpload")
    if abort is not None:
        if abort.get("DaysAfterInitiation") is None or abort["DaysAfterInitiation"] <= 0:
            raise _invalid("'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive "
                           "integer", "DaysAfterInitiation")
        if _has_tags(rule):
            raise _invalid("AbortIncompleteMultipartUpload cannot be specified with Tags.", "AbortIncompleteMultipartUpload")
    return out


def check_rules(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not rules or len(rules) > MAX_RULES:
        raise _malformed()
    ids = [r["ID"] for r in rules if r.get("ID")]
    if len(ids) != len(set(ids)):
        raise _invalid("Rule ID must be unique. Found same ID for more than one rule", "ID",
                       next(i for i in ids if ids.count(i) > 1))
    out = []
    for n, r in enumerate(rules):
        rule = _check_rule(r)
        rule.setdefault("ID", f"rule-{n + 1}")
        out.append(rule)
    return out


def from_legacy(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The 2006 API's rules (Prefix, one Transition) in the current form."""
    out = []
    for r in rules:
        rule = {k: v for k, v in r.items() if k not in ("Transition", "NoncurrentVersionTransition")}
        if r.get("Transition"):
            rule["Transitions"] = [r["Transition"]]
        if r.get("NoncurrentVersionTransition"):
            rule["NoncurrentVersionTransitions"] = [r["NoncurrentVersionTransition"]]
        out.append(rule)
    return out


def _dates_out(action: dict[str, Any]) -> dict[str, Any]:
    if action.get("Date") is None:
        return action
    return {**action, "Date": dt.datetime.fromtimestamp(action["Date"], dt.UTC)}


def rules_out(rules: list[dict[str, Any]], legacy: bool = False) -> list[dict[str, Any]]:
    out = []
    for r in rules:
        rule = dict(r)
        if rule.get("Expiration"):
            rule["Expiration"] = _dates_out(rule["Expiration"])
        if rule.get("Transitions"):
            rule["Transitions"] = [_dates_out(t) for t in rule["Transitions"]]
        if legacy:
            ts, nts = rule.pop("Transitions", None), rule.pop("NoncurrentVersionTransitions", None)
            if ts:
                rule["Transition"] = ts[0]
            if nts:
                rule["NoncurrentVersionTransition"] = nts[0]
            f = rule.pop("Filter", None)
            rule.setdefault("Prefix", (f or {}).get("Prefix") or "")
        out.append(rule)
    return out


async def _put(ctx: RequestContext, name: str, rules: list[dict[str, Any]], min_size: str) -> None:
    config = {"Rules": check_rules(rules), "MinSize": min_size}
    await ctx.app.store.run(lambda t: model.update_bucket(t, name, ctx.account_id, lifecycle=config))


async def _get(ctx: RequestContext, name: str) -> dict[str, Any]:
    b = await ctx.app.store.read(lambda t: model.bucket(t, name, ctx.account_id))
    if not b.get("lifecycle"):
        raise AwsError.modeled("s3", "NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist",
                               BucketName=name)
    config: dict[str, Any] = b["lifecycle"]
    return config


@operation("s3", "PutBucketLifecycleConfiguration")
async def put_bucket_lifecycle_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    min_size = params.get("TransitionDefaultMinimumObjectSize") or DEFAULT_MIN_SIZE
    await _put(ctx, params["Bucket"], (params.get("LifecycleConfiguration") or {}).get("Rules") or [], min_size)
    return {"TransitionDefaultMinimumObjectSize": min_size}


@operation("s3", "GetBucketLifecycleConfiguration")
async def get_bucket_lifecycle_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    config = await _get(ctx, params["Bucket"])
    return {"Rules": rules_out(config["Rules"]), "TransitionDefaultMinimumObjectSize": config["MinSize"]}


@operation("s3", "PutBucketLifecycle")
async def put_bucket_lifecycle(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    rules = from_legacy((params.get("LifecycleConfiguration") or {}).get("Rules") or [])
    await _put(ctx, params["Bucket"], rules, DEFAULT_MIN_SIZE)
    return {}


@operation("s3", "GetBucketLifecycle")
async def get_bucket_lifecycle(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    config = await _get(ctx, params["Bucket"])
    return {"Rules": rules_out(config["Rules"], legacy=True)}


@operation("s3", "DeleteBucketLifecycle")
async def delete_bucket_lifecycle(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: model.update_bucket(t, params["Bucket"], ctx.account_id, lifecycle=None))
    return {}
