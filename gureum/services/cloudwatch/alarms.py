"""CloudWatch alarms: metric alarms (one metric, or metric math) and composite alarms, their
state, history and tags.

Tables:
- `cloudwatch_alarms`: "{account}/{region}/{AlarmName}" -> the alarm as DescribeAlarms shows it
  (MetricAlarm or CompositeAlarm members; timestamps as epoch seconds) plus "kind" ("metric" |
  "composite") and "tags" {key: value}.
- `cloudwatch_alarm_history`: "{account}/{region}/{t:017.6f}/{AlarmName}/{n}" -> an
  AlarmHistoryItem (Timestamp as epoch seconds), kept 30 days (`sweep_history`).

Invariants: a state change (`transition`) happens in one transaction that writes the new state,
its history item and returns the notification to send, so with several nodes sharing a store
each transition is decided, recorded and announced exactly once (the node whose transaction
changed the state announces it). Writes publish "cloudwatch.alarm" {"key"}.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from gureum.aws import arn as arns
from gureum.aws import paging, tags
from gureum.aws.errors import AwsError, NotImplementedOperation
from gureum.services.cloudwatch import evaluate, rule, stats
from gureum.services.cloudwatch.query import check_period
from gureum.store import Txn

ALARMS = "cloudwatch_alarms"
HISTORY = "cloudwatch_alarm_history"
TOPIC = "cloudwatch.alarm"
HISTORY_DAYS = 30
MAX_ACTIONS = 5
STATES = ("OK", "ALARM", "INSUFFICIENT_DATA")
_ACTION_TARGETS = ("sns", "lambda", "autoscaling", "ec2", "ssm", "swf", "automate", "ssm-incidents")

TAG_RULES = tags.Rules(
    invalid=lambda m: AwsError.modeled("cloudwatch", "InvalidParameterValue", m),
    too_many=lambda m: AwsError.modeled("cloudwatch", "LimitExceededFault", m),
)

_METRIC_MEMBERS = ("AlarmName", "AlarmArn", "AlarmDescription", "AlarmConfigurationUpdatedTimestamp", "ActionsEnabled",
                   "OKActions", "AlarmActions", "InsufficientDataActions", "StateValue", "StateReason",
                   "StateReasonData", "StateUpdatedTimestamp", "MetricName", "Namespace", "Statistic",
                   "ExtendedStatistic", "Dimensions", "Period", "Unit", "EvaluationPeriods", "DatapointsToAlarm",
                   "Threshold", "ComparisonOperator", "TreatMissingData", "EvaluateLowSampleCountPercentile",
                   "Metrics", "ThresholdMetricId", "StateTransitionedTimestamp")
_COMPOSITE_MEMBERS = ("ActionsEnabled", "AlarmActions", "AlarmArn", "AlarmConfigurationUpdatedTimestamp",
                      "AlarmDescription", "AlarmName", "AlarmRule", "InsufficientDataActions", "OKActions",
                      "StateReason", "StateReasonData", "StateUpdatedTimestamp", "StateValue",
                      "StateTransitionedTimestamp", "ActionsSuppressor", "ActionsSuppressorWaitPeriod",
                      "ActionsSuppressorExtensionPeriod")
_TIMES = ("AlarmConfigurationUpdatedTimestamp", "StateUpdatedTimestamp", "StateTransitionedTimestamp")


def key(account: str, region: str, name: str) -> str:
    return f"{account}/{region}/{name}"


def _bad(message: str) -> AwsError:
    return AwsError.modeled("cloudwatch", "InvalidParameterValue", message)


def _combo(message: str) -> AwsError:
    return AwsError.modeled("cloudwatch", "InvalidParameterCombination", message)


def _check_actions(p: dict[str, Any]) -> None:
    for field in ("AlarmActions", "OKActions", "InsufficientDataActions"):
        acts = p.get(field) or []
        if len(acts) > MAX_ACTIONS:
            raise AwsError.modeled("cloudwatch", "ValidationError",
                                   f"The collection {field} must not have a size greater than {MAX_ACTIONS}.")
        for a in acts:
            parsed = arns.try_parse(a)
            if parsed is None or parsed.service not in _ACTION_TARGETS:
                raise AwsError.modeled("cloudwatch", "ValidationError", f"Invalid arn syntax: {a}")


def _check_metric_alarm(p: dict[str, Any]) -> None:
    single = [k for k in ("MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Dimensions", "Period", "Unit")
              if p.get(k) is not None]
    if p.get("Metrics") and single:
        raise _combo(f"The parameters Metrics and {single[0]} are mutually exclusive and you have specified both.")
    if not p.get("Metrics"):
        for need in ("MetricName", "Namespace", "Period"):
            if p.get(need) is None:
                raise AwsError.modeled("cloudwatch", "ValidationError", f"{need} must not be null")
        if p.get("Statistic") and p.get("ExtendedStatistic"):
            raise _combo("The parameters Statistic and ExtendedStatistic are mutually exclusive and you have "
                         "specified both.")
        if not p.get("Statistic") and not p.get("ExtendedStatistic"):
            raise AwsError.modeled("cloudwatch", "MissingParameter",
                                   "Must specify either Statistic or ExtendedStatistic.")
        ext = p.get("ExtendedStatistic")
        if ext and not stats.PERCENTILE.match(ext):
            raise _bad(f"The value {ext} for parameter ExtendedStatistic is not supported.")
        if p["Period"] not in (10, 20, 30) and p["Period"] % 60:
            raise _bad("Period must be 10, 20, 30 or a multiple of 60.")
    else:
        returned = [q for q in p["Metrics"] if q.get("ReturnData", True)]
        if len(returned) != 1 and not p.get("ThresholdMetricId"):
            raise AwsError.modeled("cloudwatch", "ValidationError",
                                   "Metrics list must contain exactly one metric with ReturnData set to true.")
        for q in p["Metrics"]:
            if q.get("MetricStat"):
                check_period(q["MetricStat"]["Period"], "Metrics.MetricStat.Period")
    n = p["EvaluationPeriods"]
    m = p.get("DatapointsToAlarm")
    if m is not None and m > n:
        raise AwsError.modeled("cloudwatch", "ValidationError",
                               "DatapointsToAlarm must be less than or equal to EvaluationPeriods")
    op = p["ComparisonOperator"]
    if op in evaluate.ANOMALY_OPERATORS:
        if not p.get("ThresholdMetricId"):
            raise AwsError.modeled("cloudwatch", "ValidationError",
                                   "ThresholdMetricId must be specified for an anomaly detection comparison operator.")
        # anomaly detection bands are not evaluated yet: refused, never stored as if they were
        raise NotImplementedOperation(message="gureum does not implement anomaly detection alarms yet")
    elif p.get("Threshold") is None:
        raise AwsError.modeled("cloudwatch", "ValidationError",
                               "Comparison operators without ThresholdMetricId need a Threshold.")
    treat = p.get("TreatMissingData")
    if treat is not None and treat not in ("breaching", "notBreaching", "ignore", "missing"):
        raise AwsError.modeled("cloudwatch", "ValidationError",
                               f"Invalid value {treat} for TreatMissingData: must be one of breaching, notBreaching, "
                               "ignore, missing.")
    _check_actions(p)


def put_metric_alarm(txn: Txn, account: str, region: str, p: dict[str, Any], now: float) -> None:
    _check_metric_alarm(p)
    k = key(account, region, p["AlarmName"])
    old = txn.get(ALARMS, k)
    if old is not None and old["kind"] != "metric":
        raise AwsError.modeled("cloudwatch", "ValidationError",
                               f"An alarm named {p['AlarmName']} of a different type already exists.")
    doc: dict[str, Any] = {
        "kind": "metric", "AlarmName": p["AlarmName"], "AlarmArn": arns.cloudwatch_alarm(region, account, p["AlarmName"]),
        "AlarmConfigurationUpdatedTimestamp": now, "ActionsEnabled": p.get("ActionsEnabled", True),
        "OKActions": p.get("OKActions") or [], "AlarmActions": p.get("AlarmActions") or [],
        "InsufficientDataActions": p.get("InsufficientDataActions") or [],
        "EvaluationPeriods": p["EvaluationPeriods"], "ComparisonOperator": p["ComparisonOperator"],
        "TreatMissingData": p.get("TreatMissingData") or "missing",
    }
    for opt in ("AlarmDescription", "MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Period", "Unit",
                "DatapointsToAlarm", "Threshold", "EvaluateLowSampleCountPercentile", "Metrics", "ThresholdMetricId"):
        if p.get(opt) is not None:
            doc[opt] = p[opt]
    if p.get("MetricName"):
        doc["Dimensions"] = p.get("Dimensions") or []
    _keep_state(doc, old, now)
    doc["tags"] = (old or {}).get("tags") or tags.check(tags.from_pairs(p.get("Tags")), TAG_RULES)
    txn.put(ALARMS, k, doc)
    _history(txn, account, region, p["AlarmName"], "ConfigurationUpdate", now,
             f"Alarm \"{p['AlarmName']}\" {'updated' if old else 'created'}", "metric",
             {"version": "1.0", "type": "Update" if old else "Create"})
    txn.publish(TOPIC, {"key": k})


def _keep_state(doc: dict[str, Any], old: dict[str, Any] | None, now: float) -> None:
    if old is None:
        doc.update({"StateValue": "INSUFFICIENT_DATA", "StateReason": "Unchecked: Initial alarm creation",
                    "StateUpdatedTimestamp": now, "StateTransitionedTimestamp": now})
    else:
        for f in ("StateValue", "StateReason", "StateReasonData", "StateUpdatedTimestamp", "StateTransitionedTimestamp"):
            if old.get(f) is not None:
                doc[f] = old[f]


def put_composite_alarm(txn: Txn, account: str, region: str, p: dict[str, Any], now: float) -> None:
    text = p["AlarmRule"]
    try:
        parsed = rule.parse(text)
    except rule.RuleError as e:
        raise AwsError.modeled("cloudwatch", "ValidationError", f"Error in AlarmRule: {e}.") from None
    for ref in rule.names(parsed):
        name = ref.rsplit(":alarm:", 1)[-1]
        if name == p["AlarmName"]:
            raise AwsError.modeled("cloudwatch", "ValidationError", "An alarm rule cannot refer to the alarm itself.")
        if txn.get(ALARMS, key(account, region, name)) is None:
            raise AwsError.modeled("cloudwatch", "ValidationError", f"Could not save the composite alarm as alarms "
                                   f"[{name}] in the alarm rule do not exist")
    _check_actions(p)
    k = key(account, region, p["AlarmName"])
    old = txn.get(ALARMS, k)
    if old is not None and old["kind"] != "composite":
        raise AwsError.modeled("cloudwatch", "ValidationError",
                               f"An alarm named {p['AlarmName']} of a different type already exists.")
    doc: dict[str, Any] = {
        "kind": "composite", "AlarmName": p["AlarmName"], "AlarmArn": arns.cloudwatch_alarm(region, account, p["AlarmName"]),
        "AlarmRule": text, "AlarmConfigurationUpdatedTimestamp": now, "ActionsEnabled": p.get("ActionsEnabled", True),
        "OKActions": p.get("OKActions") or [], "AlarmActions": p.get("AlarmActions") or [],
        "InsufficientDataActions": p.get("InsufficientDataActions") or [],
    }
    for opt in ("AlarmDescription", "ActionsSuppressor", "ActionsSuppressorWaitPeriod", "ActionsSuppressorExtensionPeriod"):
        if p.get(opt) is not None:
            doc[opt] = p[opt]
    _keep_state(doc, old, now)
    doc["tags"] = (old or {}).get("tags") or tags.check(tags.from_pairs(p.get("Tags")), TAG_RULES)
    txn.put(ALARMS, k, doc)
    _history(txn, account, region, p["AlarmName"], "ConfigurationUpdate", now,
             f"Alarm \"{p['AlarmName']}\" {'updated' if old else 'created'}", "composite",
             {"version": "1.0", "type": "Update" if old else "Create"})
    txn.publish(TOPIC, {"key": k})


def view(doc: dict[str, Any]) -> dict[str, Any]:
    """The alarm as DescribeAlarms shows it."""
    members = _METRIC_MEMBERS if doc["kind"] == "metric" else _COMPOSITE_MEMBERS
    out = {k: doc[k] for k in members if doc.get(k) is not None}
    for t in _TIMES:
        if t in out:
            out[t] = datetime.fromtimestamp(out[t], UTC)
    return out


def get(txn: Txn, account: str, region: str, name: str) -> dict[str, Any] | None:
    return txn.get(ALARMS, key(account, region, name))


def describe(txn: Txn, account: str, region: str, p: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    names = p.get("AlarmNames")
    if names and p.get("AlarmNamePrefix"):
        raise _combo("The parameters AlarmNames and AlarmNamePrefix are mutually exclusive and you have specified both.")
    types = p.get("AlarmTypes") or ["MetricAlarm"]
    kinds = {"MetricAlarm": "metric", "CompositeAlarm": "composite"}
    want = {kinds[t] for t in types if t in kinds}
    children: set[str] | None = None
    parents: set[str] | None = None
    if p.get("ChildrenOfAlarmName"):
        parent = txn.get(ALARMS, key(account, region, p["ChildrenOfAlarmName"]))
        children = {n.rsplit(":alarm:", 1)[-1] for n in rule.names(rule.parse(parent["AlarmRule"]))} \
            if parent and parent["kind"] == "composite" else set()
    if p.get("ParentsOfAlarmName"):
        child = p["ParentsOfAlarmName"]
        parents = {d["AlarmName"] for _, d in txn.scan(ALARMS, f"{account}/{region}/") if d["kind"] == "composite"
                   and child in {n.rsplit(":alarm:", 1)[-1] for n in rule.names(rule.parse(d["AlarmRule"]))}}

    def keep(d: dict[str, Any]) -> bool:
        if d["kind"] not in want:
            return False
        if names and d["AlarmName"] not in names:
            return False
        if p.get("StateValue") and d["StateValue"] != p["StateValue"]:
            return False
        if p.get("ActionPrefix") and not any(a.startswith(p["ActionPrefix"]) for a in d["AlarmActions"] + d["OKActions"]
                                             + d["InsufficientDataActions"]):
            return False
        if children is not None and d["AlarmName"] not in children:
            return False
        return parents is None or d["AlarmName"] in parents

    rows, nxt = paging.page(txn, ALARMS, f"{account}/{region}/{p.get('AlarmNamePrefix') or ''}",
                            token=p.get("NextToken"), limit=p.get("MaxRecords"), default_limit=50, max_limit=100,
                            keep=keep, filters={k: p.get(k) for k in ("AlarmNames", "AlarmTypes", "StateValue",
                                                                     "ActionPrefix", "ChildrenOfAlarmName",
                                                                     "ParentsOfAlarmName")},
                            error=lambda: AwsError.modeled("cloudwatch", "InvalidNextToken",
                                                           "The specified NextToken is not valid."))
    return [d for _, d in rows], nxt


def for_metric(txn: Txn, account: str, region: str, p: dict[str, Any]) -> list[dict[str, Any]]:
    dims = sorted((d["Name"], d["Value"]) for d in p.get("Dimensions") or [])
    out = []
    for _, d in txn.scan(ALARMS, f"{account}/{region}/"):
        if d["kind"] != "metric" or d.get("MetricName") != p["MetricName"] or d.get("Namespace") != p["Namespace"]:
            continue
        if sorted((x["Name"], x["Value"]) for x in d.get("Dimensions") or []) != dims:
            continue
        if p.get("Statistic") and d.get("Statistic") != p["Statistic"]:
            continue
        if p.get("ExtendedStatistic") and d.get("ExtendedStatistic") != p["ExtendedStatistic"]:
            continue
        if p.get("Period") and d.get("Period") != p["Period"]:
            continue
        if p.get("Unit") and d.get("Unit") != p["Unit"]:
            continue
        out.append(d)
    return out


def delete(txn: Txn, account: str, region: str, names: list[str]) -> None:
    missing = [n for n in names if txn.get(ALARMS, key(account, region, n)) is None]
    if missing:
        raise AwsError.modeled("cloudwatch", "ResourceNotFound", f"The following alarms could not be found: "
                               f"[{', '.join(missing)}]")
    for n in names:
        for _, d in txn.scan(ALARMS, f"{account}/{region}/"):
            if d["kind"] == "composite" and d["AlarmName"] not in names and \
                    n in {r.rsplit(":alarm:", 1)[-1] for r in rule.names(rule.parse(d["AlarmRule"]))}:
                raise AwsError.modeled("cloudwatch", "ValidationError",
                                       f"Alarm {n} is referenced by composite alarm {d['AlarmName']}; delete it first.")
    for n in names:
        k = key(account, region, n)
        txn.delete(ALARMS, k)
        txn.publish(TOPIC, {"key": k})


def set_actions(txn: Txn, account: str, region: str, names: list[str], enabled: bool) -> None:
    for n in names:
        k = key(account, region, n)
        d = txn.get(ALARMS, k)
        if d is not None and d["ActionsEnabled"] != enabled:
            txn.put(ALARMS, k, {**d, "ActionsEnabled": enabled})
            txn.publish(TOPIC, {"key": k})


def transition(txn: Txn, account: str, region: str, name: str, state: str, reason: str, reason_data: str | None,
               now: float, *, expect: str | None = None) -> dict[str, Any] | None:
    """Set alarm `name`'s state. Returns the notification (alarm doc before and after) when the
    state changed and actions are due, else None. `expect`: change only if the alarm is still in
    that state (an evaluator's decision read in an older snapshot)."""
    k = key(account, region, name)
    d = txn.get(ALARMS, k)
    if d is None:
        return None
    if expect is not None and d["StateValue"] != expect:
        return None
    old_state = d["StateValue"]
    new = {**d, "StateValue": state, "StateReason": reason, "StateUpdatedTimestamp": now}
    if reason_data is not None:
        new["StateReasonData"] = reason_data
    else:
        new.pop("StateReasonData", None)
    changed = old_state != state
    if not changed and d.get("StateReason") == reason:
        return None
    if changed:
        new["StateTransitionedTimestamp"] = now
    txn.put(ALARMS, k, new)
    txn.publish(TOPIC, {"key": k})
    if not changed:
        return None
    _history(txn, account, region, name, "StateUpdate", now,
             f"Alarm updated from {old_state} to {state}", d["kind"],
             {"version": "1.0", "oldState": {"stateValue": old_state, "stateReason": d.get("StateReason")},
              "newState": {"stateValue": state, "stateReason": reason,
                           **({"stateReasonData": json.loads(reason_data)} if reason_data else {})}})
    actions = {"OK": new["OKActions"], "ALARM": new["AlarmActions"],
               "INSUFFICIENT_DATA": new["InsufficientDataActions"]}[state]
    if not new["ActionsEnabled"] or not actions:
        return {"alarm": new, "old": old_state, "actions": [], "region": region, "account": account}
    _history(txn, account, region, name, "Action", now + 0.000001,
             f"Successfully executed action {actions[0]}", d["kind"],
             {"actionState": "Succeeded", "notificationResource": actions[0], "stateUpdateTimestamp": int(now * 1000)})
    return {"alarm": new, "old": old_state, "actions": actions, "region": region, "account": account}


def set_state(txn: Txn, account: str, region: str, p: dict[str, Any], now: float) -> dict[str, Any] | None:
    d = txn.get(ALARMS, key(account, region, p["AlarmName"]))
    if d is None:
        raise AwsError.modeled("cloudwatch", "ResourceNotFound", f"Alarm {p['AlarmName']} not found")
    data = p.get("StateReasonData")
    if data is not None:
        try:
            json.loads(data)
        except ValueError:
            raise AwsError.modeled("cloudwatch", "InvalidFormat", "StateReasonData is not valid JSON.") from None
    return transition(txn, account, region, p["AlarmName"], p["StateValue"], p["StateReason"], data, now)


def _history(txn: Txn, account: str, region: str, name: str, kind: str, now: float, summary: str, alarm_kind: str,
             data: dict[str, Any]) -> None:
    n = txn.next_id("cloudwatch.history")
    txn.put(HISTORY, f"{account}/{region}/{now:017.6f}/{name}/{n:012d}",
            {"AlarmName": name, "AlarmType": "MetricAlarm" if alarm_kind == "metric" else "CompositeAlarm",
             "Timestamp": now, "HistoryItemType": kind, "HistorySummary": summary, "HistoryData": json.dumps(data)})


def history(txn: Txn, account: str, region: str, p: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    lo = p["StartDate"].timestamp() if p.get("StartDate") else 0.0
    hi = p["EndDate"].timestamp() if p.get("EndDate") else time.time() + 86400
    prefix = f"{account}/{region}/"
    types = p.get("AlarmTypes")
    items = []
    for _, d in txn.scan(HISTORY, prefix, start=prefix + f"{lo:017.6f}", end=prefix + f"{hi:017.6f}"):
        if p.get("AlarmName") and d["AlarmName"] != p["AlarmName"]:
            continue
        if p.get("HistoryItemType") and d["HistoryItemType"] != p["HistoryItemType"]:
            continue
        if types and d["AlarmType"] not in types:
            continue
        items.append(d)
    descending = (p.get("ScanBy") or "TimestampDescending") == "TimestampDescending"
    items.sort(key=lambda d: (d["Timestamp"], d["AlarmName"], d["HistorySummary"]), reverse=descending)
    page, nxt = paging.page_items(
        items, lambda d: (d["Timestamp"], d["AlarmName"], d["HistorySummary"]), listing=f"cloudwatch.history/{prefix}",
        token=p.get("NextToken"), limit=p.get("MaxRecords"), default_limit=100, descending=descending,
        filters={k: str(p.get(k)) for k in ("AlarmName", "HistoryItemType", "StartDate", "EndDate", "AlarmTypes", "ScanBy")},
        error=lambda: AwsError.modeled("cloudwatch", "InvalidNextToken", "The specified NextToken is not valid."))
    return [{**d, "Timestamp": datetime.fromtimestamp(d["Timestamp"], UTC)} for d in page], nxt


def sweep_history(txn: Txn, now: float, limit: int = 5000) -> int:
    """Drop history items older than HISTORY_DAYS (bounded per call)."""
    cutoff = now - HISTORY_DAYS * 86400
    n = 0
    for k, _ in txn.scan(HISTORY):
        if n >= limit:
            break
        if float(k.split("/", 3)[2]) < cutoff:
            txn.delete(HISTORY, k)
            n += 1
    return n
