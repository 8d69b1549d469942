"""Field index policies (PutIndexPolicy, DescribeIndexPolicies, DeleteIndexPolicy) and the
field indexes they create (DescribeFieldIndexes).

Store table: logs.index_policies "<acct>/<region>/<group>" -> {logGroupIdentifier,
lastUpdateTime, policyDocument, policyName, source: "LOG_GROUP"}. A policy document is
`{"Fields": [...]}` (at most 20 fields; `"FieldsV2": {"name": {"type": "FIELD_INDEX"|"FACET"}}`
too); only Standard-class groups take one, and it goes with its group. DescribeFieldIndexes
reports each CUSTOM index with the first and last timestamps of the group's events that have
the field (their own or transformed JSON fields), read when it is asked.
"""

from __future__ import annotations

import json
import time
from typing import Any

from gureum.aws import paging
from gureum.aws.errors import AwsError
from gureum.services.logs import group_extras, model
from gureum.services.logs.insights.evaluator import discover
from gureum.store import Txn

TABLE = group_extras.INDEX_POLICIES
MAX_FIELDS = 20
SCAN_LIMIT = 100_000


def _key(account: str, region: str, group: str) -> str:
    return f"{account}/{region}/{group}"


def _invalid(message: str) -> AwsError:
    return AwsError.modeled("logs", "InvalidParameterException", message)


def fields_of(policy: str) -> dict[str, str]:
    """{field: FIELD_INDEX | FACET} of a policy document, or InvalidParameterException."""
    try:
        doc = json.loads(policy)
    except ValueError:
        raise _invalid("The policy document is not valid JSON.") from None
    if not isinstance(doc, dict):
        raise _invalid("The policy document must be a JSON object.")
    out: dict[str, str] = {}
    listed = doc.get("Fields", [])
    v2 = doc.get("FieldsV2", {})
    if not isinstance(listed, list) or not all(isinstance(f, str) and f for f in listed) or not isinstance(v2, dict):
        raise _invalid("Fields must be a list of field names.")
    for f in listed:
        out[f] = "FIELD_INDEX"
    for f, spec in v2.items():
        kind = spec.get("type", "FIELD_INDEX") if isinstance(spec, dict) else None
        if kind not in ("FIELD_INDEX", "FACET"):
            raise _invalid(f"Invalid index type for field {f}.")
        out[f] = kind
    if not out:
        raise _invalid("The policy document must name at least one field in Fields.")
    if len(out) > MAX_FIELDS:
        raise AwsError.modeled("logs", "LimitExceededException", f"A field index policy can include at most {MAX_FIELDS} fields.")
    return out


def put(txn: Txn, account: str, region: str, group: str, identifier: str, policy: str) -> dict[str, Any]:
    g = model.get_group(txn, account, region, group)
    if g.get("logGroupClass", "STANDARD") != "STANDARD":
        raise AwsError.modeled("logs", "InvalidParameterException", "Only log groups in the Standard log class support field index policies.")
    fields_of(policy)
    doc = {"logGroupIdentifier": identifier, "lastUpdateTime": int(time.time() * 1000), "policyDocument": policy,
           "policyName": f"{group}-index-policy", "source": "LOG_GROUP"}
    txn.put(TABLE, _key(account, region, group), doc)
    return doc


def describe(txn: Txn, account: str, region: str, groups: list[tuple[str, str]]) -> list[dict[str, Any]]:
    out = []
    for ident, group in groups:
        model.get_group(txn, account, region, group)
        doc = txn.get(TABLE, _key(account, region, group))
        if doc is not None:
            out.append({**doc, "logGroupIdentifier": ident})
    return out


def delete(txn: Txn, account: str, region: str, group: str) -> None:
    model.get_group(txn, account, region, group)
    if not txn.delete(TABLE, _key(account, region, group)):
        raise AwsError.modeled("logs", "ResourceNotFoundException", "The specified log group has no index policy.")


def field_indexes(txn: Txn, account: str, region: str, groups: list[tuple[str, str]], categories: list[str] | None,
                  token: str | None) -> tuple[list[dict[str, Any]], str | None]:
    wanted = set(categories or ["DEFAULT", "CUSTOM", "INACTIVE"])
    rows: list[dict[str, Any]] = []
    now = int(time.time() * 1000)
    for ident, group in groups:
        model.get_group(txn, account, region, group)
        doc = txn.get(TABLE, _key(account, region, group))
        if doc is None or "CUSTOM" not in wanted:
            continue
        fields = fields_of(doc["policyDocument"])
        seen: dict[str, list[int]] = {}
        scanned = 0
        for _, ev in txn.scan(model.EVENTS, model.group_key(account, region, group) + model.SEP, limit=SCAN_LIMIT):
            scanned += 1
            present = discover(ev.get("x") or ev["m"])
            for f in fields:
                if f in present:
                    span = seen.setdefault(f, [ev["t"], ev["t"]])
                    span[0], span[1] = min(span[0], ev["t"]), max(span[1], ev["t"])
        for f, kind in fields.items():
            row: dict[str, Any] = {"logGroupIdentifier": ident, "fieldIndexName": f, "lastScanTime": now,
                                   "type": kind, "indexCategory": "CUSTOM"}
            if f in seen:
                row["firstEventTime"], row["lastEventTime"] = seen[f]
            rows.append(row)
    rows.sort(key=lambda r: f"{r['logGroupIdentifier']}\x00{r['fieldIndexName']}")
    return paging.page_items(rows, lambda r: f"{r['logGroupIdentifier']}\x00{r['fieldIndexName']}", listing=f"{TABLE}/fields",
                             token=token, limit=None, default_limit=1000, max_limit=1000,
                             filters={"g": [i for i, _ in groups], "c": sorted(wanted)},
                             error=lambda: _invalid("The specified nextToken is invalid."))
