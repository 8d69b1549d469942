"""The AWS/Lambda metrics gureum emits as AWS does, read back through CloudWatch: three
invocations of a function (one failing) show as Invocations, Errors, Duration and
ConcurrentExecutions per FunctionName, per Resource, and in the account's totals; an alarm on
Errors fires."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

from waiting import wait_for

CODE = """
def handler(event, context):
    if event.get("fail"):
        raise ValueError("asked to fail")
    return {"ok": True}
"""
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", CODE)
    return buf.getvalue()


def _sum(cw: Any, metric: str, dims: list[dict[str, str]], stat: str = "Sum") -> float:
    now = datetime.now(UTC)
    got = cw.get_metric_statistics(Namespace="AWS/Lambda", MetricName=metric, Dimensions=dims,
                                   StartTime=now - timedelta(minutes=10), EndTime=now + timedelta(minutes=1),
                                   Period=600 + 60, Statistics=[stat])
    return float(sum(p[stat] for p in got["Datapoints"]))


def test_invocations_errors_duration_reach_cloudwatch(gureum):  # type: ignore[no-untyped-def]
    lam, cw = gureum.client("lambda"), gureum.client("cloudwatch")
    role = gureum.client("iam").create_role(RoleName=f"cwm-{uuid.uuid4().hex[:8]}",
                                            AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    name = f"cwm-{uuid.uuid4().hex[:8]}"
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler",
                        Code={"ZipFile": _zip()})
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    cw.put_metric_alarm(AlarmName=f"{name}-errors", Namespace="AWS/Lambda", MetricName="Errors", Statistic="Sum",
                        Dimensions=[{"Name": "FunctionName", "Value": name}], Period=60, EvaluationPeriods=1,
                        Threshold=0.0, ComparisonOperator="GreaterThanThreshold")
    for event in ({}, {}, {"fail": True}):
        lam.invoke(FunctionName=name, Payload=json.dumps(event).encode())
    by_name = [{"Name": "FunctionName", "Value": name}]
    wait_for("3 invocations in AWS/Lambda", lambda: _sum(cw, "Invocations", by_name) == 3.0, 60, interval=0.5)
    assert _sum(cw, "Errors", by_name) == 1.0
    assert _sum(cw, "Duration", by_name, "SampleCount") == 3.0 and _sum(cw, "Duration", by_name, "Maximum") > 0
    assert _sum(cw, "ConcurrentExecutions", by_name, "Maximum") >= 1.0
    assert _sum(cw, "Invocations", [*by_name, {"Name": "Resource", "Value": name}]) == 3.0
    assert _sum(cw, "Invocations", []) >= 3.0
    listed = cw.list_metrics(Namespace="AWS/Lambda", Dimensions=[{"Name": "FunctionName", "Value": name}])["Metrics"]
    assert {"Invocations", "Errors", "Duration", "ConcurrentExecutions"} <= {m["MetricName"] for m in listed}

    def alarmed() -> bool:
        return str(cw.describe_alarms(AlarmNames=[f"{name}-errors"])["MetricAlarms"][0]["StateValue"]) == "ALARM"

    wait_for("the Errors alarm in ALARM", alarmed, 90, interval=0.5)


def test_throttled_invocations_count_as_throttles(gureum):  # type: ignore[no-untyped-def]
    from botocore.config import Config

    # one attempt per call: every throttled request counts, retries too
    lam = gureum.client("lambda", config=Config(retries={"total_max_attempts": 1}))
    cw = gureum.client("cloudwatch")
    role = gureum.client("iam").create_role(RoleName=f"cwt-{uuid.uuid4().hex[:8]}",
                                            AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    name = f"cwt-{uuid.uuid4().hex[:8]}"
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler",
                        Code={"ZipFile": _zip()})
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    for _ in range(2):
        try:
            lam.invoke(FunctionName=name, Payload=b"{}")
        except lam.exceptions.TooManyRequestsException:
            pass
        else:
            raise AssertionError("an invocation with reserved concurrency 0 ran")
    by_name = [{"Name": "FunctionName", "Value": name}]
    wait_for("2 throttles in AWS/Lambda", lambda: _sum(cw, "Throttles", by_name) == 2.0, 60, interval=0.5)
    assert _sum(cw, "Invocations", by_name) == 0.0
