"""Registered targets and their health as DescribeTargetHealth reports it.

Table elbv2_targets: "{account}/{region}/{tg id}/{target id}|{port}" -> {"Id", "Port",
"AvailabilityZone"?, "registered": epoch, "state": "initial" | "healthy" | "unhealthy" |
"draining", "reason", "description", "ok": consecutive passes, "fail": consecutive failures,
"drain_until": epoch (draining only), "slow_from"/"slow_until": epoch (in slow start only,
slow_start.py)}.

States (AWS's TargetHealth): a new registration is "initial" (Elb.RegistrationInProgress,
then Elb.InitialHealthChecking once probed) until HealthyThresholdCount consecutive passes
make it "healthy" or UnhealthyThresholdCount consecutive failures "unhealthy"
(Target.FailedHealthChecks / Target.ResponseCodeMismatch / Target.Timeout); deregistration
makes it "draining" (Target.DeregistrationInProgress) for the group's
deregistration_delay.timeout_seconds, after which the row is gone (`sweep`). What is
reported but not stored: "unused" (Target.NotInUse) while no load balancer uses the group,
"unavailable" (Target.HealthCheckDisabled) when its health checks are off, "unused"
(Target.NotRegistered) for a target asked about that is not registered. Probe results are
written by health.py through `record`. Writes publish "elbv2.target" {"tg": tg key}.
"""

from __future__ import annotations

import ipaddress
import time
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.elbv2 import groups, slow_start
from gureum.services.elbv2.names import validation
from gureum.services.lambda_ import port as lambda_port
from gureum.store import Txn

TARGETS = "elbv2_targets"
TOPIC = "elbv2.target"
MAX_TARGETS = 1000
Doc = dict[str, Any]

_REGISTERING = ("Elb.RegistrationInProgress", "Target registration is in progress")
_INITIAL = ("Elb.InitialHealthChecking", "Initial health checks in progress")
_DRAINING = ("Target.DeregistrationInProgress", "Target deregistration is in progress")


def _tkey(tg_key: str, target_id: str, port: int | None) -> str:
    return f"{tg_key}/{target_id}|{port if port is not None else ''}"


def _invalid_target(message: str) -> AwsError:
    return AwsError.modeled("elbv2", "InvalidTarget", message)


def _check_target(txn: Txn, tg: Doc, t: Doc) -> tuple[str, int | None]:
    tid = str(t.get("Id") or "")
    kind = tg["TargetType"]
    port = t.get("Port")
    if kind == "lambda":
        if port is not None:
            raise validation("A port cannot be specified for targets of target groups with target type 'lambda'")
        if not lambda_port.service_may_invoke(txn, tid, "elasticloadbalancing.amazonaws.com", tg["TargetGroupArn"]):
            raise AwsError.common("AccessDenied", f"elasticloadbalancing principal does not have permission to invoke "
                                  f"{tid} from target group {tg['TargetGroupArn']}")
        return tid, None
    if kind == "ip":
        try:
            ipaddress.IPv4Address(tid)
        except ValueError:
            raise _invalid_target(f"The IP address '{tid}' is not a valid IPv4 address") from None
    elif kind == "instance" and not tid.startswith("i-"):
        raise _invalid_target(f"The following targets are not valid instances: '{tid}'")
    elif kind == "alb":
        raise _invalid_target("Application Load Balancer targets are not supported by gureum yet")
    port = port if port is not None else tg.get("Port")
    if port is not None and not 1 <= port <= 65535:
        raise validation(f"Target port '{port}' must be between 1 and 65535")
    return tid, port


def register(txn: Txn, tg_arn: str, items: list[Doc], now: float) -> None:
    tg_key, tg = groups.get(txn, tg_arn)
    rows = []
    for t in items:
        tid, port = _check_target(txn, tg, t)
        rows.append((_tkey(tg_key, tid, port), tid, port, t.get("AvailabilityZone")))
    if tg["TargetType"] == "lambda" and len({r[1] for r in rows} | {d["Id"] for _, d in txn.scan(TARGETS, tg_key + "/")}) > 1:
        raise AwsError.modeled("elbv2", "TooManyTargets", "You can register only one Lambda function per target group")
    if txn.count(TARGETS, tg_key + "/") + len(rows) > MAX_TARGETS:
        raise AwsError.modeled("elbv2", "TooManyTargets", "You've reached the limit on the number of targets")
    for k, tid, port, az in rows:
        old = txn.get(TARGETS, k)
        if old is not None and old["state"] != "draining":
            continue  # registering a registered target again changes nothing
        doc: Doc = {"Id": tid, "Port": port, "registered": now, "state": "initial", "reason": _REGISTERING[0],
                    "description": _REGISTERING[1], "ok": 0, "fail": 0}
        if az:
            doc["AvailabilityZone"] = az
        txn.put(TARGETS, k, doc)
    txn.publish(TOPIC, {"tg": tg_key})


def deregister(txn: Txn, tg_arn: str, items: list[Doc], now: float) -> None:
    tg_key, tg = groups.get(txn, tg_arn)
    delay = int(tg["attributes"].get("deregistration_delay.timeout_seconds", "300"))
    keys = []
    for t in items:
        tid = str(t.get("Id") or "")
        port = t.get("Port") if t.get("Port") is not None else tg.get("Port")
        k = _tkey(tg_key, tid, port)
        if txn.get(TARGETS, k) is None:
            raise _invalid_target(f"The following targets are not registered in target group '{tg_arn}': '{tid}'")
        keys.append(k)
    for k in keys:
        doc = txn.get(TARGETS, k)
        assert doc is not None
        if doc["state"] == "draining":
            continue
        if delay <= 0:
            txn.delete(TARGETS, k)
            continue
        doc |= {"state": "draining", "reason": _DRAINING[0], "description": _DRAINING[1], "drain_until": now + delay}
        txn.put(TARGETS, k, doc)
    txn.publish(TOPIC, {"tg": tg_key})


def drop_for_tg(txn: Txn, tg_key: str) -> None:
    txn.delete_prefix(TARGETS, tg_key + "/")


def sweep(txn: Txn, now: float) -> int:
    """Drop the targets whose draining has ended; returns how many."""
    n = 0
    for k, doc in txn.scan(TARGETS):
        if doc["state"] == "draining" and doc.get("drain_until", 0) <= now:
            txn.delete(TARGETS, k)
            txn.publish(TOPIC, {"tg": k.rsplit("/", 1)[0]})
            n += 1
    return n


def record(txn: Txn, k: str, passed: bool, reason: tuple[str, str] | None, healthy_n: int, unhealthy_n: int,
           now: float | None = None) -> None:
    """One probe's result for target row `k`, moving its state at the thresholds (and in or
    out of slow start, slow_start.py)."""
    doc = txn.get(TARGETS, k)
    if doc is None or doc["state"] == "draining":
        return
    before = (doc["state"], doc.get("reason"))
    if passed:
        doc["ok"], doc["fail"] = doc["ok"] + 1, 0
        if doc["ok"] >= healthy_n:
            doc |= {"state": "healthy", "reason": None, "description": None}
        elif doc["state"] == "initial":
            doc |= {"reason": _INITIAL[0], "description": _INITIAL[1]}
    else:
        doc["ok"], doc["fail"] = 0, doc["fail"] + 1
        assert reason is not None
        if doc["fail"] >= unhealthy_n:
            doc |= {"state": "unhealthy", "reason": reason[0], "description": reason[1]}
        elif doc["state"] == "initial":
            doc |= {"reason": _INITIAL[0], "description": _INITIAL[1]}
    if doc["state"] != before[0]:
        tg_key = k.rsplit("/", 1)[0]
        if doc["state"] == "healthy":
            others = [d for kk, d in txn.scan(TARGETS, tg_key + "/") if kk != k]
            slow_start.enter(txn.get(groups.TGS, tg_key), others, doc, time.time() if now is None else now)
        else:
            slow_start.leave(doc)
    txn.put(TARGETS, k, doc)
    if (doc["state"], doc.get("reason")) != before:
        txn.publish(TOPIC, {"tg": k.rsplit("/", 1)[0]})


def state_of(txn: Txn, tg_arn: str, target_id: str, port: int | None) -> tuple[str, str | None]:
    """The stored state of one target ("unregistered" when it is not) and its reason's
    description."""
    tg_key, tg = groups.get(txn, tg_arn)
    doc = txn.get(TARGETS, _tkey(tg_key, target_id, port if port is not None else tg.get("Port")))
    if doc is None:
        return "unregistered", None
    return str(doc["state"]), doc.get("description")


def _health(doc: Doc, tg: Doc, in_use: bool) -> Doc:
    if doc["state"] == "draining":
        return {"State": "draining", "Reason": _DRAINING[0], "Description": _DRAINING[1]}
    if not in_use:
        return {"State": "unused", "Reason": "Target.NotInUse",
                "Description": "Target group is not configured to receive traffic from the load balancer"}
    if not tg.get("HealthCheckEnabled", True):
        return {"State": "unavailable", "Reason": "Target.HealthCheckDisabled",
                "Description": "Health checks are disabled for the target group"}
    out: Doc = {"State": doc["state"]}
    if doc.get("reason"):
        out |= {"Reason": doc["reason"], "Description": doc["description"]}
    return out


def describe_health(txn: Txn, tg_arn: str, asked: list[Doc] | None, in_use: bool) -> list[Doc]:
    tg_key, tg = groups.get(txn, tg_arn)
    hc_port = tg.get("HealthCheckPort")
    out = []
    rows = txn.scan(TARGETS, tg_key + "/")
    if asked:
        by_key = dict(rows)
        for t in asked:
            tid = str(t.get("Id") or "")
            port = t.get("Port") if t.get("Port") is not None else tg.get("Port")
            doc = by_key.get(_tkey(tg_key, tid, port))
            target: Doc = {"Id": tid, **({"Port": port} if port is not None else {})}
            if doc is None:
                health: Doc = {"State": "unused", "Reason": "Target.NotRegistered",
                               "Description": "Target is not registered to the target group"}
            else:
                health = _health(doc, tg, in_use)
            out.append(_shape(target, health, hc_port, port))
        return out
    for _, doc in rows:
        target = {"Id": doc["Id"], **({"Port": doc["Port"]} if doc["Port"] is not None else {})}
        if doc.get("AvailabilityZone"):
            target["AvailabilityZone"] = doc["AvailabilityZone"]
        out.append(_shape(target, _health(doc, tg, in_use), hc_port, doc["Port"]))
    return out


def _shape(target: Doc, health: Doc, hc_port: str | None, port: int | None) -> Doc:
    out: Doc = {"Target": target, "TargetHealth": health}
    if hc_port is not None:
        out["HealthCheckPort"] = str(port) if hc_port == "traffic-port" and port is not None else hc_port
    return out
