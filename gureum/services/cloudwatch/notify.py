"""The notification an alarm's state change sends to its actions, as AWS words it: the SNS
message JSON (AlarmName, NewStateValue, NewStateReason, Trigger, ...) and its subject
('ALARM: "name" in US East (N. Virginia)')."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)", "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)", "eu-west-1": "EU (Ireland)", "eu-west-2": "EU (London)",
    "eu-west-3": "EU (Paris)", "eu-central-1": "EU (Frankfurt)", "eu-north-1": "EU (Stockholm)",
    "ap-northeast-1": "Asia Pacific (Tokyo)", "ap-northeast-2": "Asia Pacific (Seoul)",
    "ap-southeast-1": "Asia Pacific (Singapore)", "ap-southeast-2": "Asia Pacific (Sydney)",
    "ap-south-1": "Asia Pacific (Mumbai)", "sa-east-1": "South America (Sao Paulo)", "ca-central-1": "Canada (Central)",
}


def _time(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def region_name(region: str) -> str:
    return REGION_NAMES.get(region, region)


def subject(alarm: dict[str, Any], region: str) -> str:
    return f'{alarm["StateValue"]}: "{alarm["AlarmName"]}" in {region_name(region)}'[:100]


def _trigger(a: dict[str, Any]) -> dict[str, Any]:
    t: dict[str, Any]
    if a.get("MetricName"):
        t = {"MetricName": a["MetricName"], "Namespace": a["Namespace"],
             "StatisticType": "Statistic" if a.get("Statistic") else "ExtendedStatistic",
             "Statistic": (a.get("Statistic") or a.get("ExtendedStatistic") or "").upper()
             if a.get("Statistic") else a.get("ExtendedStatistic"),
             "Unit": a.get("Unit"),
             "Dimensions": [{"value": d["Value"], "name": d["Name"]} for d in a.get("Dimensions") or []],
             "Period": a["Period"]}
    else:
        t = {"Metrics": [_metric_query(q) for q in a.get("Metrics") or []]}
    t.update({"EvaluationPeriods": a["EvaluationPeriods"], "DatapointsToAlarm": a.get("DatapointsToAlarm"),
              "ComparisonOperator": a["ComparisonOperator"], "Threshold": a.get("Threshold"),
              "TreatMissingData": a.get("TreatMissingData") or "missing",
              "EvaluateLowSampleCountPercentile": a.get("EvaluateLowSampleCountPercentile") or ""})
    if t["DatapointsToAlarm"] is None:
        del t["DatapointsToAlarm"]
    return t


def _metric_query(q: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"Id": q["Id"], "ReturnData": q.get("ReturnData", True)}
    if q.get("Expression"):
        out["Expression"] = q["Expression"]
    if q.get("Label"):
        out["Label"] = q["Label"]
    ms = q.get("MetricStat")
    if ms:
        out["MetricStat"] = {"Metric": {"Dimensions": [{"value": d["Value"], "name": d["Name"]}
                                                       for d in ms["Metric"].get("Dimensions") or []],
                                        "MetricName": ms["Metric"]["MetricName"], "Namespace": ms["Metric"]["Namespace"]},
                             "Period": ms["Period"], "Stat": ms["Stat"]}
        if ms.get("Unit"):
            out["MetricStat"]["Unit"] = ms["Unit"]
    return out


def message(note: dict[str, Any]) -> str:
    """The JSON message of a state change `note` (alarms.transition's result)."""
    a = note["alarm"]
    doc: dict[str, Any] = {
        "AlarmName": a["AlarmName"], "AlarmDescription": a.get("AlarmDescription"), "AWSAccountId": note["account"],
        "AlarmConfigurationUpdatedTimestamp": _time(a["AlarmConfigurationUpdatedTimestamp"]),
        "NewStateValue": a["StateValue"], "NewStateReason": a["StateReason"],
        "StateChangeTime": _time(a["StateUpdatedTimestamp"]), "Region": region_name(note["region"]),
        "AlarmArn": a["AlarmArn"], "OldStateValue": note["old"], "OKActions": a["OKActions"],
        "AlarmActions": a["AlarmActions"], "InsufficientDataActions": a["InsufficientDataActions"],
    }
    if a["kind"] == "metric":
        doc["Trigger"] = _trigger(a)
    else:
        doc["AlarmRule"] = a["AlarmRule"]
    return json.dumps(doc)
