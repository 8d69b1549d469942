"""Cost Explorer through boto3 over a known workload: N invocations of a function of known
memory, whose billed durations Lambda reports (LogType=Tail's REPORT line), priced by hand
here with AWS's us-east-1 list prices."""

from __future__ import annotations

import base64
import io
import json
import re
import subprocess
import sys
import uuid
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from harness import GureumProcess
from waiting import wait_for

GB_SECOND = 0.0000166667
REQUEST = 0.20 / 1_000_000
N = 4
MEMORY = 256


@pytest.fixture(scope="module")
def workload(tmp_path_factory):
    g = GureumProcess(tmp_path_factory.mktemp("ce") / "data", env={"GUREUM_LAMBDA_RUNTIME_DATE": "2026-05-01"})
    g.start()
    try:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("app.py", "import time\ndef handler(e, c):\n    time.sleep(0.05)\n    return 1\n")
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
        role = g.client("iam").create_role(RoleName=f"r-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=json.dumps(trust))
        lam = g.client("lambda")
        name = f"ce-{uuid.uuid4().hex[:6]}"
        fn = lam.create_function(FunctionName=name, Runtime="python3.12", Role=role["Role"]["Arn"], Handler="app.handler",
                                 Code={"ZipFile": buf.getvalue()}, MemorySize=MEMORY, Tags={"team": "blue"})
        wait_for("function active", lambda: lam.get_function(FunctionName=name)["Configuration"]["State"] == "Active", timeout=60)
        billed_ms = 0
        for _ in range(N):
            out = lam.invoke(FunctionName=name, LogType="Tail")
            report = base64.b64decode(out["LogResult"]).decode()
            billed_ms += int(re.search(r"Billed Duration: (\d+) ms", report).group(1))
        gbs = billed_ms / 1000 * MEMORY / 1024
        yield {"g": g, "name": name, "arn": fn["FunctionArn"], "gbs": gbs, "cost": gbs * GB_SECOND + N * REQUEST}
    finally:
        g.stop()


def _today() -> tuple[str, str]:
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%d"), (now + timedelta(days=1)).strftime("%Y-%m-%d")


def _period() -> dict:
    start, end = _today()
    return {"Start": start, "End": end}


def test_cost_of_known_invocations_by_service_and_usage_type(workload):
    ce = workload["g"].client("ce")
    out = ce.get_cost_and_usage(TimePeriod=_period(), Granularity="DAILY", Metrics=["UnblendedCost", "UsageQuantity"],
                                GroupBy=[{"Type": "DIMENSION", "Key": "SERVICE"}])
    assert out["GroupDefinitions"] == [{"Type": "DIMENSION", "Key": "SERVICE"}]
    [day] = out["ResultsByTime"]
    assert day["TimePeriod"] == _period() and day["Estimated"] is True
    groups = {g["Keys"][0]: g["Metrics"] for g in day["Groups"]}
    assert list(groups) == ["AWS Lambda"]
    cost = groups["AWS Lambda"]["UnblendedCost"]
    assert cost["Unit"] == "USD" and float(cost["Amount"]) == pytest.approx(workload["cost"], abs=1e-10)
    assert re.fullmatch(r"\d+\.\d{1,10}", cost["Amount"])

    by_type = ce.get_cost_and_usage(TimePeriod=_period(), Granularity="DAILY", Metrics=["UsageQuantity", "BlendedCost"],
                                    GroupBy=[{"Type": "DIMENSION", "Key": "USAGE_TYPE"}])
    usage = {g["Keys"][0]: g["Metrics"] for g in by_type["ResultsByTime"][0]["Groups"]}
    assert set(usage) == {"USE1-Lambda-GB-Second", "USE1-Request"}
    assert float(usage["USE1-Request"]["UsageQuantity"]["Amount"]) == N
    assert usage["USE1-Request"]["UsageQuantity"]["Unit"] == "Requests"
    assert float(usage["USE1-Lambda-GB-Second"]["UsageQuantity"]["Amount"]) == pytest.approx(workload["gbs"], abs=1e-9)
    assert float(usage["USE1-Lambda-GB-Second"]["BlendedCost"]["Amount"]) == pytest.approx(workload["gbs"] * GB_SECOND, abs=1e-10)


def test_totals_monthly_hourly_and_nested_filters(workload):
    ce = workload["g"].client("ce")
    month = ce.get_cost_and_usage(TimePeriod=_period(), Granularity="MONTHLY", Metrics=["AmortizedCost", "NetUnblendedCost"])
    total = month["ResultsByTime"][0]["Total"]
    assert float(total["AmortizedCost"]["Amount"]) == pytest.approx(workload["cost"], abs=1e-10)
    assert month["ResultsByTime"][0]["Groups"] == []
    hourly = ce.get_cost_and_usage(TimePeriod=_period(), Granularity="HOURLY", Metrics=["UnblendedCost"])
    assert len(hourly["ResultsByTime"]) == 24
    assert hourly["ResultsByTime"][0]["TimePeriod"]["Start"].endswith("T00:00:00Z")
    assert sum(float(r["Total"]["UnblendedCost"]["Amount"]) for r in hourly["ResultsByTime"]) == pytest.approx(workload["cost"], abs=1e-9)
    only_requests = {"And": [{"Dimensions": {"Key": "SERVICE", "Values": ["AWS Lambda"]}},
                             {"Not": {"Dimensions": {"Key": "USAGE_TYPE", "Values": ["GB-Second"], "MatchOptions": ["ENDS_WITH"]}}}]}
    req = ce.get_cost_and_usage(TimePeriod=_period(), Granularity="DAILY", Metrics=["UnblendedCost"], Filter=only_requests)
    assert float(req["ResultsByTime"][0]["Total"]["UnblendedCost"]["Amount"]) == pytest.approx(N * REQUEST, abs=1e-12)
    none = ce.get_cost_and_usage(TimePeriod=_period(), Granularity="DAILY", Metrics=["UnblendedCost"],
                                 Filter={"Dimensions": {"Key": "REGION", "Values": ["eu-west-1"]}})
    assert none["ResultsByTime"][0]["Total"]["UnblendedCost"]["Amount"] == "0"


def test_resources_dimension_values_and_tags_after_activation(workload):
    g = workload["g"]
    ce = g.client("ce")
    res = ce.get_cost_and_usage_with_resources(TimePeriod=_period(), Granularity="DAILY", Metrics=["UnblendedCost"],
                                               Filter={"Dimensions": {"Key": "SERVICE", "Values": ["AWS Lambda"]}},
                                               GroupBy=[{"Type": "DIMENSION", "Key": "RESOURCE_ID"}])
    [group] = res["ResultsByTime"][0]["Groups"]
    assert group["Keys"] == [workload["arn"]]
    values = ce.get_dimension_values(TimePeriod=_period(), Dimension="USAGE_TYPE", SearchString="gb")
    assert [v["Value"] for v in values["DimensionValues"]] == ["USE1-Lambda-GB-Second"] and values["TotalSize"] == 1
    acct = ce.get_dimension_values(TimePeriod=_period(), Dimension="LINKED_ACCOUNT")["DimensionValues"]
    assert len(acct) == 1 and re.fullmatch(r"\d{12}", acct[0]["Value"])

    # a user-defined tag is seen once it is an active cost allocation tag
    assert ce.get_tags(TimePeriod=_period())["Tags"] == []
    listed = ce.list_cost_allocation_tags()["CostAllocationTags"]
    assert [(t["TagKey"], t["Status"]) for t in listed] == [("team", "Inactive")]
    ce.update_cost_allocation_tags_status(CostAllocationTagsStatus=[{"TagKey": "team", "Status": "Active"}])
    assert ce.get_tags(TimePeriod=_period())["Tags"] == ["team"]
    assert ce.get_tags(TimePeriod=_period(), TagKey="team")["Tags"] == ["blue"]
    tagged = ce.get_cost_and_usage(TimePeriod=_period(), Granularity="DAILY", Metrics=["UnblendedCost"],
                                   GroupBy=[{"Type": "TAG", "Key": "team"}])
    [tg] = tagged["ResultsByTime"][0]["Groups"]
    assert tg["Keys"] == ["team$blue"] and float(tg["Metrics"]["UnblendedCost"]["Amount"]) == pytest.approx(workload["cost"], abs=1e-10)
    g.restart()
    assert ce.list_cost_allocation_tags(Status="Active")["CostAllocationTags"][0]["TagKey"] == "team"
    again = g.client("ce").get_cost_and_usage(TimePeriod=_period(), Granularity="DAILY", Metrics=["UnblendedCost"])
    assert float(again["ResultsByTime"][0]["Total"]["UnblendedCost"]["Amount"]) == pytest.approx(workload["cost"], abs=1e-10)


def test_forecast_from_recorded_days(workload):
    ce = workload["g"].client("ce")
    start = datetime.now(UTC)
    end = start + timedelta(days=3)
    out = ce.get_cost_forecast(TimePeriod={"Start": start.strftime("%Y-%m-%d"), "End": end.strftime("%Y-%m-%d")},
                               Metric="UNBLENDED_COST", Granularity="DAILY", PredictionIntervalLevel=80)
    assert len(out["ForecastResultsByTime"]) == 3 and out["Total"]["Unit"] == "USD"
    # one recorded day: the line is flat at that day's cost
    for r in out["ForecastResultsByTime"]:
        assert float(r["MeanValue"]) == pytest.approx(workload["cost"], abs=1e-9)
        assert float(r["PredictionIntervalLowerBound"]) <= float(r["MeanValue"]) <= float(r["PredictionIntervalUpperBound"])
    with pytest.raises(ClientError) as e:
        ce.get_cost_forecast(TimePeriod={"Start": "2020-01-01", "End": "2020-02-01"}, Metric="UNBLENDED_COST", Granularity="MONTHLY")
    assert e.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as e:
        ce.get_cost_forecast(TimePeriod={"Start": start.strftime("%Y-%m-%d"), "End": end.strftime("%Y-%m-%d")}, Metric="UNBLENDED_COST",
                             Granularity="DAILY", Filter={"Dimensions": {"Key": "SERVICE", "Values": ["Amazon Route 53"]}})
    assert e.value.response["Error"]["Code"] == "DataUnavailableException"


def test_bad_requests_are_aws_errors(workload):
    ce = workload["g"].client("ce")
    start, end = _today()
    cases = [
        dict(TimePeriod={"Start": end, "End": start}, Granularity="DAILY", Metrics=["UnblendedCost"]),
        dict(TimePeriod={"Start": "2026-13-01", "End": end}, Granularity="DAILY", Metrics=["UnblendedCost"]),
        dict(TimePeriod=_period(), Granularity="DAILY", Metrics=["Cost"]),
        dict(TimePeriod=_period(), Granularity="DAILY", Metrics=["UnblendedCost"], GroupBy=[{"Type": "DIMENSION", "Key": "AZ"}]),
        dict(TimePeriod=_period(), Granularity="DAILY", Metrics=["UnblendedCost"], GroupBy=[{"Type": "DIMENSION", "Key": "SERVICE"}] * 3),
        dict(TimePeriod=_period(), Granularity="DAILY", Metrics=["UnblendedCost"], Filter={"And": [{"Dimensions": {"Key": "SERVICE", "Values": ["x"]}}]}),
    ]
    for kwargs in cases:
        with pytest.raises(ClientError) as e:
            ce.get_cost_and_usage(**kwargs)
        assert e.value.response["Error"]["Code"] == "ValidationException", kwargs
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as e:
        ce.get_cost_and_usage(TimePeriod={"Start": "2019-01-01", "End": end}, Granularity="MONTHLY", Metrics=["UnblendedCost"])
    assert e.value.response["Error"]["Code"] == "BillExpirationException"
    old = (datetime.now(UTC) - timedelta(days=20)).strftime("%Y-%m-%d")
    with pytest.raises(ClientError) as e:  # hourly data: the past 14 days
        ce.get_cost_and_usage(TimePeriod={"Start": old, "End": end}, Granularity="HOURLY", Metrics=["UnblendedCost"])
    assert e.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as e:
        ce.get_cost_and_usage(TimePeriod=_period(), Granularity="DAILY", Metrics=["UnblendedCost"], NextPageToken="nope")
    assert e.value.response["Error"]["Code"] == "InvalidNextTokenException"


def test_gureum_costs_groups_by_service_with_a_per_day_table(workload):
    g = workload["g"]
    out = subprocess.run([sys.executable, "-m", "gureum", "costs", "--group-by", "usage_type", "--json", "--endpoint", g.endpoint],
                         capture_output=True, text=True, timeout=60, env=g.env)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["groups"]["USE1-Request"]["quantity"] == N
    assert sum(s["cost"] for s in doc["groups"].values()) == pytest.approx(workload["cost"], abs=1e-10)
    [day] = doc["days"]
    assert day == _today()[0]
    text = subprocess.run([sys.executable, "-m", "gureum", "costs", "--group-by", "SERVICE", "--endpoint", g.endpoint],
                          capture_output=True, text=True, timeout=60, env=g.env)
    assert text.returncode == 0 and "AWS Lambda" in text.stdout and _today()[0] in text.stdout


def test_billed_requests_of_s3_sqs_and_sns(workload):
    g = workload["g"]
    sqs, s3, sns = g.client("sqs"), g.client("s3"), g.client("sns")
    queue = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    fifo = sqs.create_queue(QueueName=f"f-{uuid.uuid4().hex[:6]}.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    for i in range(3):
        sqs.send_message(QueueUrl=queue, MessageBody=f"m{i}")
    sqs.send_message_batch(QueueUrl=queue, Entries=[{"Id": str(i), "MessageBody": "b"} for i in range(5)])  # one request
    sqs.receive_message(QueueUrl=queue)
    sqs.send_message(QueueUrl=fifo, MessageBody="x", MessageGroupId="g")
    bucket = f"b-{uuid.uuid4().hex[:6]}"
    s3.create_bucket(Bucket=bucket)
    for i in range(2):
        s3.put_object(Bucket=bucket, Key=f"k{i}", Body=b"x")
    for _ in range(3):
        s3.get_object(Bucket=bucket, Key="k0")
    s3.delete_object(Bucket=bucket, Key="k1")  # free
    topic = sns.create_topic(Name=f"t-{uuid.uuid4().hex[:6]}")["TopicArn"]
    sns.publish(TopicArn=topic, Message="one")
    sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=[{"Id": str(i), "Message": "m"} for i in range(3)])

    ce = g.client("ce")
    out = ce.get_cost_and_usage_with_resources(
        TimePeriod=_period(), Granularity="DAILY", Metrics=["UsageQuantity", "UnblendedCost"],
        Filter={"Not": {"Dimensions": {"Key": "SERVICE", "Values": ["AWS Lambda"]}}},
        GroupBy=[{"Type": "DIMENSION", "Key": "RESOURCE_ID"}, {"Type": "DIMENSION", "Key": "USAGE_TYPE"}])
    got = {tuple(gr["Keys"]): gr["Metrics"] for gr in out["ResultsByTime"][0]["Groups"]}
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    fifo_arn = sqs.get_queue_attributes(QueueUrl=fifo, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert float(got[(queue_arn, "USE1-Requests-RBP")]["UsageQuantity"]["Amount"]) == 3 + 1 + 1
    assert float(got[(queue_arn, "USE1-Requests-RBP")]["UnblendedCost"]["Amount"]) == pytest.approx(5 * 0.40 / 1e6, abs=1e-12)
    assert float(got[(fifo_arn, "USE1-Requests-FIFO-RBP")]["UsageQuantity"]["Amount"]) == 1
    assert float(got[(bucket, "USE1-Requests-Tier1")]["UsageQuantity"]["Amount"]) == 1 + 2  # CreateBucket, 2 PUTs
    assert float(got[(bucket, "USE1-Requests-Tier2")]["UsageQuantity"]["Amount"]) == 3
    assert float(got[(topic, "USE1-Requests-Tier1")]["UsageQuantity"]["Amount"]) == 1 + 3
    assert float(got[(topic, "USE1-Requests-Tier1")]["UnblendedCost"]["Amount"]) == pytest.approx(4 * 0.50 / 1e6, abs=1e-12)
    services = ce.get_dimension_values(TimePeriod=_period(), Dimension="SERVICE")["DimensionValues"]
    assert {v["Value"] for v in services} == {"AWS Lambda", "Amazon Simple Queue Service", "Amazon Simple Storage Service",
                                              "Amazon Simple Notification Service"}


def test_aws_cli_get_cost_and_usage(workload):
    start, end = _today()
    out = workload["g"].aws("ce", "get-cost-and-usage", "--time-period", f"Start={start},End={end}", "--granularity", "DAILY",
                            "--metrics", "UnblendedCost", "--group-by", "Type=DIMENSION,Key=SERVICE")
    groups = {g["Keys"][0]: g for g in out["ResultsByTime"][0]["Groups"]}
    assert float(groups["AWS Lambda"]["Metrics"]["UnblendedCost"]["Amount"]) == pytest.approx(workload["cost"], abs=1e-10)


def test_free_tier_setting_makes_a_small_workload_free(tmp_path):
    g = GureumProcess(tmp_path / "data", env={"GUREUM_LAMBDA_RUNTIME_DATE": "2026-05-01", "GUREUM_BILLING_LAMBDA_FREE_TIER": "1"})
    g.start()
    try:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("app.py", "def handler(e, c):\n    return 1\n")
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
        role = g.client("iam").create_role(RoleName="r-free", AssumeRolePolicyDocument=json.dumps(trust))
        lam = g.client("lambda")
        lam.create_function(FunctionName="free", Runtime="python3.12", Role=role["Role"]["Arn"], Handler="app.handler",
                            Code={"ZipFile": buf.getvalue()}, MemorySize=128)
        wait_for("function active", lambda: lam.get_function(FunctionName="free")["Configuration"]["State"] == "Active", timeout=60)
        lam.invoke(FunctionName="free")
        out = g.client("ce").get_cost_and_usage(TimePeriod=_period(), Granularity="DAILY", Metrics=["UnblendedCost", "UsageQuantity"],
                                                GroupBy=[{"Type": "DIMENSION", "Key": "USAGE_TYPE"}])
        groups = {gr["Keys"][0]: gr["Metrics"] for gr in out["ResultsByTime"][0]["Groups"]}
        assert groups["USE1-Request"]["UsageQuantity"]["Amount"] == "1"  # used, and free
        assert groups["USE1-Request"]["UnblendedCost"]["Amount"] == "0"
        assert groups["USE1-Lambda-GB-Second"]["UnblendedCost"]["Amount"] == "0"
    finally:
        g.stop()
