"""CloudWatch Logs metric filters and the metric datapoints they emit.

Tables (keys start with "<account>/<region>/"; \\x1f separates names, as in model.py):
  logs.metric_filters  "<acct>/<region>/<group>\\x1f<filterName>" -> the filter as
                       DescribeMetricFilters shows it (filterName, filterPattern,
                       metricTransformations, creationTime, logGroupName, ...)
  logs.metric_data     "<acct>/<region>/<namespace>\\x1f<metricName>\\x1f<ts:013d>\\x1f<id:012d>"
                       -> {"Namespace", "MetricName", "Dimensions": {name: value},
                       "Timestamp" (ms), "Value", "Unit"}: one datapoint as CloudWatch's
                       PutMetricData would take it, for a metrics service (issue 22) to serve.

Invariants: a group has at most MAX_PER_GROUP filters (AWS's quota); the group doc's
metricFilterCount is the number of its rows here. `apply` runs inside the transaction that
stores the events (ingest.py), so a datapoint exists exactly when its events were stored: one
datapoint per matching event and transformation (the value a number or the `$field`/`$.path`
it names; an event whose value is missing or not a number emits nothing), and one
`defaultValue` datapoint per batch of a stream in which no event matched (AWS reports the
default for a period in which logs arrived and none matched).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from gureum.aws import paging
from gureum.aws.errors import AwsError
from gureum.services.cloudwatch import port as cloudwatch
from gureum.services.logs import model
from gureum.services.logs.model import SEP
from gureum.services.logs.patterns import KIND_TERMS, Matcher, PatternError, compile_matcher, pattern_kind
from gureum.store import Txn

FILTERS = "logs.metric_filters"
DATA = "logs.metric_data"
MAX_PER_GROUP = 100
MAX_DIMENSIONS = 3
_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")
_FIELD_REF = re.compile(r"^\$(\.[^\s]+|[A-Za-z_][A-Za-z0-9_]*)$")


def _invalid(message: str) -> AwsError:
    return AwsError.modeled("logs", "InvalidParameterException", message)


def matcher(pattern: str | None) -> Matcher:
    """The compiled pattern; InvalidParameterException as AWS words a bad one."""
    try:
        return compile_matcher(pattern)
    except (PatternError, re.error):
        raise _invalid("Invalid metric filter pattern") from None


def _check_transformation(t: dict[str, Any], kind: str) -> None:
    value = str(t["metricValue"])
    if not (_NUMBER.match(value) or _FIELD_REF.match(value)):
        raise _invalid("Invalid metric value. The metric value must be a number or a reference to a field "
                       "extracted by the filter pattern.")
    dims = t.get("dimensions") or {}
    if dims:
        if kind == KIND_TERMS:
            raise _invalid("Dimensions are only supported for JSON or space-delimited filter patterns")
        if len(dims) > MAX_DIMENSIONS:
            raise AwsError.modeled("logs", "LimitExceededException",
                                   f"A metric transformation can have no more than {MAX_DIMENSIONS} dimensions")
        if t.get("defaultValue") is not None:
            raise _invalid("A metric transformation with dimensions cannot have a default value")
        for name, ref in dims.items():
            if not _FIELD_REF.match(str(ref)):
                raise _invalid(f"Invalid dimension value for {name}: it must name a field extracted by the filter pattern")


def put(txn: Txn, account: str, region: str, p: dict[str, Any], now: int) -> None:
    """PutMetricFilter: create or replace the filter named `filterName` on the group."""
    group = p["logGroupName"]
    g = model.get_group(txn, account, region, group)
    kind = pattern_kind(p["filterPattern"])
    matcher(p["filterPattern"])
    for t in p["metricTransformations"]:
        _check_transformation(t, kind)
    gkey = model.group_key(account, region, group)
    key = gkey + SEP + p["filterName"]
    old = txn.get(FILTERS, key)
    if old is None and txn.count(FILTERS, gkey + SEP) >= MAX_PER_GROUP:
        raise AwsError.modeled("logs", "LimitExceededException", "Resource limit exceeded.")
    doc: dict[str, Any] = {
        "filterName": p["filterName"],
        "filterPattern": p["filterPattern"],
        "metricTransformations": [_transformation(t) for t in p["metricTransformations"]],
        "creationTime": old["creationTime"] if old else now,
        "logGroupName": group,
        "applyOnTransformedLogs": bool(p.get("applyOnTransformedLogs")),
    }
    if p.get("fieldSelectionCriteria"):
        doc["fieldSelectionCriteria"] = p["fieldSelectionCriteria"]
    if p.get("emitSystemFieldDimensions"):
        doc["emitSystemFieldDimensions"] = list(p["emitSystemFieldDimensions"])
    txn.put(FILTERS, key, doc)
    if old is None:
        g["metricFilterCount"] = int(g.get("metricFilterCount", 0)) + 1
        txn.put(model.GROUPS, gkey, g)


def _transformation(t: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"metricName": t["metricName"], "metricNamespace": t["metricNamespace"],
                           "metricValue": t["metricValue"]}
    if t.get("defaultValue") is not None:
        out["defaultValue"] = float(t["defaultValue"])
    if t.get("dimensions"):
        out["dimensions"] = dict(t["dimensions"])
    if t.get("unit"):
        out["unit"] = t["unit"]
    return out


def delete(txn: Txn, account: str, region: str, group: str, name: str) -> None:
    """DeleteMetricFilter."""
    g = model.get_group(txn, account, region, group)
    gkey = model.group_key(account, region, group)
    if not txn.delete(FILTERS, gkey + SEP + name):
        raise AwsError.modeled("logs", "ResourceNotFoundException", "The specified resource does not exist.")
    g["metricFilterCount"] = max(0, int(g.get("metricFilterCount", 0)) - 1)
    txn.put(model.GROUPS, gkey, g)


def drop_group(txn: Txn, account: str, region: str, group: str) -> None:
    """A deleted group's filters go with it (its emitted datapoints stay, as metrics do)."""
    txn.delete_prefix(FILTERS, model.group_key(account, region, group) + SEP)


def _bad_token() -> AwsError:
    return _invalid("The specified nextToken is invalid.")


def describe(txn: Txn, account: str, region: str, p: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    """DescribeMetricFilters: by group (and filter name prefix), or by metric across groups."""
    group = p.get("logGroupName")
    prefix = p.get("filterNamePrefix")
    metric, namespace = p.get("metricName"), p.get("metricNamespace")
    if prefix and not group:
        raise _invalid("If you specify a filterNamePrefix, you must also specify a logGroupName.")
    if bool(metric) != bool(namespace):
        raise _invalid("If you specify a metricName, you must also specify a metricNamespace, and the reverse.")
    base = f"{account}/{region}/"
    if group:
        model.get_group(txn, account, region, group)
        scan = model.group_key(account, region, group) + SEP + (prefix or "")
    else:
        scan = base

    def keep(doc: dict[str, Any]) -> bool:
        if not metric:
            return True
        return any(t["metricName"] == metric and t["metricNamespace"] == namespace for t in doc["metricTransformations"])

    rows, nxt = paging.page(txn, FILTERS, scan, token=p.get("nextToken"), limit=p.get("limit"), default_limit=50,
                            max_limit=50, keep=keep, filters={"metricName": metric, "metricNamespace": namespace},
                            error=_bad_token)
    return [d for _, d in rows], nxt


def test(pattern: str, messages: list[str]) -> list[dict[str, Any]]:
    """TestMetricFilter: the messages the pattern matches, numbered from 1."""
    match = matcher(pattern)
    out = []
    for n, message in enumerate(messages, 1):
        m = match(message)
        if m is not None:
            out.append({"eventNumber": n, "eventMessage": message, "extractedValues": m.extracted()})
    return out


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def apply(txn: Txn, account: str, region: str, group: str, events: list[tuple[int, str]]) -> int:
    """Emit the datapoints of every filter of `group` for `events` (one stream's batch);
    returns how many were recorded."""
    if not events:
        return 0
    filters = txn.scan(FILTERS, model.group_key(account, region, group) + SEP)
    recorded = 0
    for _, f in filters:
        try:
            match = matcher(f["filterPattern"])
        except AwsError:  # checked when put; a pattern a later parser refuses emits nothing rather than lose the batch
            continue
        hits = [(ts, m) for ts, message in events if (m := match(message)) is not None]
        for t in f["metricTransformations"]:
            points: list[tuple[int, float, dict[str, str]]] = []
            for ts, m in hits:
                raw = t["metricValue"]
                value = _number(raw) if not str(raw).startswith("$") else _number(m.value(str(raw)))
                if value is None:
                    continue
                dims: dict[str, str] = {}
                for name, ref in (t.get("dimensions") or {}).items():
                    v = m.value(str(ref))
                    if v is not None:
                        dims[name] = str(v)
                points.append((ts, value, dims))
            if not hits and t.get("defaultValue") is not None:
                points.append((events[0][0], float(t["defaultValue"]), {}))
            for ts, value, dims in points:
                _record(txn, account, region, t, ts, value, dims)
                recorded += 1
    return recorded


def _record(txn: Txn, account: str, region: str, t: dict[str, Any], ts: int, value: float, dims: dict[str, str]) -> None:
    seq = txn.next_id(DATA)
    key = f"{account}/{region}/{t['metricNamespace']}{SEP}{t['metricName']}{SEP}{ts:013d}{SEP}{seq:012d}"
    txn.put(DATA, key, {"Namespace": t["metricNamespace"], "MetricName": t["metricName"], "Dimensions": dims,
                        "Timestamp": ts, "Value": value, "Unit": t.get("unit") or "None"})
    # ... and served by CloudWatch (GetMetricData, alarms), in the same transaction
    cloudwatch.put_datapoints(txn, account, region, t["metricNamespace"], [{
        "MetricName": t["metricName"], "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
        "Timestamp": datetime.fromtimestamp(ts / 1000, UTC), "Value": value, "Unit": t.get("unit") or "None"}])


def datapoints(txn: Txn, account: str, region: str, namespace: str = "", metric: str = "") -> list[dict[str, Any]]:
    """The recorded datapoints of a namespace (and metric), oldest first."""
    prefix = f"{account}/{region}/"
    if namespace:
        prefix += namespace + SEP + (metric + SEP if metric else "")
    return [d for _, d in txn.scan(DATA, prefix)]
