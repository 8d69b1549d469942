"""CloudWatch alarms through boto3 against a real gureum: the evaluator moves a metric alarm
to ALARM and back with AWS's reasons, publishes the state change to an SNS topic whose SQS
subscription receives AWS's message JSON; M out of N, missing data treatment, metric math
alarms, composite alarms, SetAlarmState, actions disabled, history, DescribeAlarms filters and
paging, tags, errors."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for

REGION = "ap-southeast-2"


@pytest.fixture(scope="module")
def cw(gureum):  # type: ignore[no-untyped-def]
    return gureum.client("cloudwatch", region=REGION)


@pytest.fixture(scope="module")
def inbox(gureum):  # type: ignore[no-untyped-def]
    """An SNS topic with an SQS queue subscribed (raw off: the SNS envelope as AWS sends it)."""
    sns, sqs = gureum.client("sns", region=REGION), gureum.client("sqs", region=REGION)
    topic = sns.create_topic(Name=f"alarms-{uuid.uuid4().hex[:6]}")["TopicArn"]
    url = sqs.create_queue(QueueName=f"alarms-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)
    return topic, sqs, url


def _name() -> str:
    return f"al-{uuid.uuid4().hex[:8]}"


def _state(cw: Any, name: str) -> str:
    alarms = cw.describe_alarms(AlarmNames=[name], AlarmTypes=["MetricAlarm", "CompositeAlarm"])
    found = alarms["MetricAlarms"] + alarms["CompositeAlarms"]
    return str(found[0]["StateValue"])


def _messages(sqs: Any, url: str, name: str, want: int, timeout: float = 60) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []

    def more() -> bool:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            env = json.loads(m["Body"])
            msg = json.loads(env["Message"])
            if msg["AlarmName"] == name:
                got.append({"subject": env.get("Subject"), **msg})
        return len(got) >= want

    wait_for(f"{want} notifications of {name}", more, timeout, interval=0.1)
    return got


def _put(cw: Any, ns: str, value: float) -> None:
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "Load", "Value": value, "Timestamp": datetime.now(UTC)}])


def _put_minutes(cw: Any, ns: str, points: list[tuple[str, int, float]]) -> None:
    """(metric name, minutes from now, value) points stamped from ONE instant in one call, so no
    minute boundary falls between them. Future minutes (AWS takes data up to two hours ahead)
    keep the evaluated range filled whenever the evaluator (every 10 s) next runs, even on a
    slow machine."""
    now = datetime.now(UTC)
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": name, "Value": value, "Timestamp": now + timedelta(minutes=k)}
                                                 for name, k, value in points])


def test_alarm_fires_to_sns_and_sqs_and_recovers(cw, inbox):  # type: ignore[no-untyped-def]
    topic, sqs, url = inbox
    ns, name = f"App/{uuid.uuid4().hex[:6]}", _name()
    cw.put_metric_alarm(AlarmName=name, AlarmDescription="load too high", Namespace=ns, MetricName="Load",
                        Statistic="Maximum", Period=60, EvaluationPeriods=1, Threshold=5.0,
                        ComparisonOperator="GreaterThanThreshold", AlarmActions=[topic], OKActions=[topic])
    alarm = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
    assert alarm["StateValue"] == "INSUFFICIENT_DATA" and alarm["StateReason"] == "Unchecked: Initial alarm creation"
    assert alarm["AlarmArn"].endswith(f":alarm:{name}") and alarm["TreatMissingData"] == "missing"
    _put(cw, ns, 9.0)
    wait_for("alarm in ALARM", lambda: _state(cw, name) == "ALARM", 60, interval=0.5)
    alarm = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]
    assert alarm["StateReason"].startswith("Threshold Crossed: 1 out of the last 1 datapoints [9.0 (")
    assert "was greater than the threshold (5.0)" in alarm["StateReason"]
    assert json.loads(alarm["StateReasonData"])["recentDatapoints"] == [9.0]
    [msg] = _messages(sqs, url, name, 1)
    assert msg["subject"] == f'ALARM: "{name}" in Asia Pacific (Sydney)'
    assert msg["NewStateValue"] == "ALARM" and msg["OldStateValue"] == "INSUFFICIENT_DATA"
    assert msg["AlarmDescription"] == "load too high" and msg["AWSAccountId"] == "000000000000"
    assert msg["Trigger"]["MetricName"] == "Load" and msg["Trigger"]["Namespace"] == ns
    assert msg["Trigger"]["Statistic"] == "MAXIMUM" and msg["Trigger"]["Threshold"] == 5.0
    assert msg["AlarmActions"] == [topic] and msg["AlarmArn"] == alarm["AlarmArn"]
    # a lower value in a later minute: back to OK, announced to OKActions
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "Load", "Value": 1.0,
                                                   "Timestamp": datetime.now(UTC) + timedelta(minutes=1)}])
    wait_for("alarm in OK", lambda: _state(cw, name) == "OK", 120, interval=0.5)
    [msg] = _messages(sqs, url, name, 1)
    assert msg["NewStateValue"] == "OK" and msg["OldStateValue"] == "ALARM"
    history = cw.describe_alarm_history(AlarmName=name, HistoryItemType="StateUpdate")["AlarmHistoryItems"]
    assert [h["HistorySummary"] for h in history] == ["Alarm updated from ALARM to OK",
                                                      "Alarm updated from INSUFFICIENT_DATA to ALARM"]
    everything = cw.describe_alarm_history(AlarmName=name, ScanBy="TimestampAscending")["AlarmHistoryItems"]
    assert everything[0]["HistoryItemType"] == "ConfigurationUpdate" and len(everything) >= 5


def test_m_out_of_n_and_missing_data(cw):  # type: ignore[no-untyped-def]
    ns = f"App/{uuid.uuid4().hex[:6]}"
    two_of_three, breaching = _name(), _name()
    # 9, 9, 1 repeating over minutes -3..+5: any three consecutive minutes hold exactly two
    # breaching values, whichever minute the evaluation falls in
    _put_minutes(cw, ns, [("Load", k, 1.0 if k % 3 == 0 else 9.0) for k in range(-3, 6)])
    cw.put_metric_alarm(AlarmName=two_of_three, Namespace=ns, MetricName="Load", Statistic="Average", Period=60,
                        EvaluationPeriods=3, DatapointsToAlarm=2, Threshold=5.0,
                        ComparisonOperator="GreaterThanOrEqualToThreshold")
    cw.put_metric_alarm(AlarmName=breaching, Namespace=ns, MetricName="Nothing", Statistic="Average", Period=60,
                        EvaluationPeriods=2, Threshold=5.0, ComparisonOperator="GreaterThanThreshold",
                        TreatMissingData="breaching")
    quiet = _name()
    cw.put_metric_alarm(AlarmName=quiet, Namespace=ns, MetricName="Nothing", Statistic="Average", Period=60,
                        EvaluationPeriods=2, Threshold=5.0, ComparisonOperator="GreaterThanThreshold",
                        TreatMissingData="notBreaching")
    wait_for("alarm in ALARM", lambda: _state(cw, two_of_three) == "ALARM", 60, interval=0.5)
    reason = cw.describe_alarms(AlarmNames=[two_of_three])["MetricAlarms"][0]["StateReason"]
    assert "2 out of the last 3 datapoints" in reason and "(minimum 2 datapoints for OK -> ALARM transition)" in reason
    wait_for("alarm in ALARM", lambda: _state(cw, breaching) == "ALARM", 60, interval=0.5)
    wait_for("alarm in OK", lambda: _state(cw, quiet) == "OK", 60, interval=0.5)


def test_metric_math_alarm(cw):  # type: ignore[no-untyped-def]
    ns, name = f"App/{uuid.uuid4().hex[:6]}", _name()
    # the same minutes for both metrics (one instant), from one minute ago to five ahead
    _put_minutes(cw, ns, [(metric, k, value) for k in range(-1, 6) for metric, value in (("Errors", 3.0), ("Requests", 4.0))])
    cw.put_metric_alarm(AlarmName=name, EvaluationPeriods=1, Threshold=50.0,
                        ComparisonOperator="GreaterThanThreshold", Metrics=[
                            {"Id": "e1", "Expression": "100 * m1 / m2", "Label": "ErrorRate", "ReturnData": True},
                            {"Id": "m1", "ReturnData": False, "MetricStat": {"Metric": {"Namespace": ns, "MetricName": "Errors"},
                                                                           "Period": 60, "Stat": "Sum"}},
                            {"Id": "m2", "ReturnData": False, "MetricStat": {"Metric": {"Namespace": ns, "MetricName": "Requests"},
                                                                           "Period": 60, "Stat": "Sum"}}])
    wait_for("alarm in ALARM", lambda: _state(cw, name) == "ALARM", 60, interval=0.5)
    assert "[75.0 (" in cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateReason"]


def test_composite_alarm_set_state_and_disabled_actions(cw, inbox):  # type: ignore[no-untyped-def]
    topic, sqs, url = inbox
    ns = f"App/{uuid.uuid4().hex[:6]}"
    a, b, c = _name(), _name(), _name()
    for n in (a, b):
        cw.put_metric_alarm(AlarmName=n, Namespace=ns, MetricName="Never", Statistic="Sum", Period=60,
                            EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold",
                            TreatMissingData="ignore")
    cw.put_composite_alarm(AlarmName=c, AlarmRule=f'ALARM("{a}") AND NOT ALARM({b})', AlarmActions=[topic])
    with pytest.raises(ClientError) as e:
        cw.put_composite_alarm(AlarmName=_name(), AlarmRule="ALARM(nope-" + uuid.uuid4().hex + ")")
    assert e.value.response["Error"]["Code"] == "ValidationError"
    with pytest.raises(ClientError) as e:
        cw.put_composite_alarm(AlarmName=_name(), AlarmRule=f"ALARM({a}) AND AND")
    assert e.value.response["Error"]["Code"] == "ValidationError"
    cw.set_alarm_state(AlarmName=a, StateValue="ALARM", StateReason="testing")
    assert cw.describe_alarms(AlarmNames=[a])["MetricAlarms"][0]["StateReason"] == "testing"
    wait_for("alarm in ALARM", lambda: _state(cw, c) == "ALARM", 60, interval=0.5)
    [msg] = _messages(sqs, url, c, 1)
    assert msg["NewStateValue"] == "ALARM" and msg["AlarmRule"] == f'ALARM("{a}") AND NOT ALARM({b})'
    children = cw.describe_alarms(ChildrenOfAlarmName=c, AlarmTypes=["MetricAlarm"])["MetricAlarms"]
    assert {x["AlarmName"] for x in children} == {a, b}
    parents = cw.describe_alarms(ParentsOfAlarmName=a, AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]
    assert [x["AlarmName"] for x in parents] == [c]
    with pytest.raises(ClientError) as e:
        cw.delete_alarms(AlarmNames=[a])
    assert e.value.response["Error"]["Code"] == "ValidationError"
    # actions disabled: the state changes, nothing is sent
    cw.disable_alarm_actions(AlarmNames=[c])
    assert cw.describe_alarms(AlarmNames=[c], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"][0]["ActionsEnabled"] is False
    cw.set_alarm_state(AlarmName=b, StateValue="ALARM", StateReason="b too")
    wait_for("alarm in OK", lambda: _state(cw, c) == "OK", 60, interval=0.5)
    cw.enable_alarm_actions(AlarmNames=[c])
    cw.set_alarm_state(AlarmName=c, StateValue="ALARM", StateReason="by hand")
    [msg] = _messages(sqs, url, c, 1)
    assert msg["NewStateReason"] == "by hand" and msg["OldStateValue"] == "OK"
    cw.delete_alarms(AlarmNames=[c, a, b])
    assert cw.describe_alarms(AlarmNames=[a, b, c], AlarmTypes=["MetricAlarm", "CompositeAlarm"]) \
        ["MetricAlarms"] == []


def test_describe_filters_paging_tags_and_errors(cw, gureum):  # type: ignore[no-untyped-def]
    prefix = f"pg-{uuid.uuid4().hex[:6]}-"
    for i in range(5):
        cw.put_metric_alarm(AlarmName=f"{prefix}{i}", Namespace="P", MetricName="M", Statistic="Sum", Period=60,
                            EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanThreshold",
                            Dimensions=[{"Name": "I", "Value": str(i % 2)}], Tags=[{"Key": "team", "Value": str(i)}])
    pages = list(cw.get_paginator("describe_alarms").paginate(AlarmNamePrefix=prefix,
                                                              PaginationConfig={"PageSize": 2}))
    assert [len(p["MetricAlarms"]) for p in pages] == [2, 2, 1]
    assert [a["AlarmName"] for p in pages for a in p["MetricAlarms"]] == [f"{prefix}{i}" for i in range(5)]
    for_metric = cw.describe_alarms_for_metric(Namespace="P", MetricName="M", Dimensions=[{"Name": "I", "Value": "1"}])
    assert {a["AlarmName"] for a in for_metric["MetricAlarms"]} >= {f"{prefix}1", f"{prefix}3"}
    assert f"{prefix}0" not in {a["AlarmName"] for a in for_metric["MetricAlarms"]}
    arn = cw.describe_alarms(AlarmNames=[f"{prefix}0"])["MetricAlarms"][0]["AlarmArn"]
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "0"}]
    cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "env", "Value": "prod"}])
    cw.untag_resource(ResourceARN=arn, TagKeys=["team"])
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "env", "Value": "prod"}]
    with pytest.raises(ClientError) as e:
        cw.list_tags_for_resource(ResourceARN=arn + "-missing")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        cw.put_metric_alarm(AlarmName=_name(), Namespace="P", MetricName="M", Statistic="Sum", Period=60,
                            EvaluationPeriods=2, DatapointsToAlarm=3, Threshold=1.0,
                            ComparisonOperator="GreaterThanThreshold")
    assert e.value.response["Error"]["Code"] == "ValidationError"
    with pytest.raises(ClientError) as e:
        cw.put_metric_alarm(AlarmName=_name(), Namespace="P", MetricName="M", Statistic="Sum",
                            ExtendedStatistic="p90", Period=60, EvaluationPeriods=1, Threshold=1.0,
                            ComparisonOperator="GreaterThanThreshold")
    assert e.value.response["Error"]["Code"] == "InvalidParameterCombination"
    with pytest.raises(ClientError) as e:
        cw.set_alarm_state(AlarmName=_name(), StateValue="OK", StateReason="x")
    assert e.value.response["Error"]["Code"] == "ResourceNotFound"
    with pytest.raises(ClientError) as e:
        cw.delete_alarms(AlarmNames=[_name()])
    assert e.value.response["Error"]["Code"] == "ResourceNotFound"
    with pytest.raises(ClientError) as e:
        cw.describe_alarms(NextToken="nope")
    assert e.value.response["Error"]["Code"] == "InvalidNextToken"
    # durable: the alarms are there after a restart
    gureum.restart()
    cw2 = gureum.client("cloudwatch", region=REGION)
    assert len(cw2.describe_alarms(AlarmNamePrefix=prefix)["MetricAlarms"]) == 5


def test_anomaly_detection_alarms_are_refused_as_not_implemented(cw):  # type: ignore[no-untyped-def]
    name = _name()
    with pytest.raises(ClientError) as e:
        cw.put_metric_alarm(AlarmName=name, EvaluationPeriods=1, ThresholdMetricId="ad1",
                            ComparisonOperator="LessThanLowerOrGreaterThanUpperThreshold", Metrics=[
                                {"Id": "m1", "ReturnData": True, "MetricStat": {
                                    "Metric": {"Namespace": "P", "MetricName": "M"}, "Period": 60, "Stat": "Average"}},
                                {"Id": "ad1", "Expression": "ANOMALY_DETECTION_BAND(m1, 2)"}])
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert cw.describe_alarms(AlarmNames=[name])["MetricAlarms"] == []
