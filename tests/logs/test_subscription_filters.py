"""Subscription filters through boto3: matching events reach a Lambda function as AWS sends
them ({"awslogs": {"data": base64(gzip(json))}}, a CONTROL_MESSAGE at creation), only with
the function's permission for logs.amazonaws.com; destinations and unusable targets."""

from __future__ import annotations

import base64
import gzip
import json
import time
import urllib.parse
import urllib.request
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from lambda_.lambda_helpers import TRUST, zip_of
from waiting import wait_for

PRINTER = """import base64, gzip, json
def handler(event, context):
    doc = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
    print("GOT " + json.dumps(doc, sort_keys=True))
"""


@pytest.fixture
def logs(gureum: Any) -> Any:
    return gureum.client("logs")


@pytest.fixture(scope="module")
def printer(gureum: Any) -> tuple[str, str]:
    """A function printing every awslogs payload it gets: (name, ARN)."""
    iam, lam = gureum.client("iam"), gureum.client("lambda")
    role = iam.create_role(RoleName=f"r-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    name = f"sub-{uuid.uuid4().hex[:8]}"
    arn = lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler",
                              Code={"ZipFile": zip_of({"app.py": PRINTER})})["FunctionArn"]
    return name, arn


def _received(gureum: Any, name: str, count: int, timeout: float = 60.0) -> list[dict[str, Any]]:
    """The payloads the function printed, once there are `count`."""
    return _received_in(gureum, gureum.client("logs"), name, count, timeout)


def _received_in(gureum: Any, logs: Any, name: str, count: int, timeout: float = 60.0) -> list[dict[str, Any]]:
    """The payloads function `name` (of the account `logs` is a client of) printed, once there are `count`."""
    got: list[dict[str, Any]] = []

    def seen() -> bool:
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}", filterPattern='"GOT "')["events"]
        except logs.exceptions.ResourceNotFoundException:
            return False
        got[:] = [json.loads(e["message"].split("GOT ", 1)[1]) for e in events]
        return len(got) >= count

    try:
        wait_for(f"{count} payloads in {name}'s log", seen, timeout=timeout)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; got {got}\n{gureum.log_tail()}") from None
    return got


def _group(logs: Any) -> tuple[str, str]:
    name = f"/sub/{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=name)
    logs.create_log_stream(logGroupName=name, logStreamName="app")
    arn = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]["arn"]
    return name, arn


def test_matching_events_reach_the_function_gzipped_after_a_control_message(gureum, logs, printer):
    name, fn_arn = printer
    group, group_arn = _group(logs)
    with pytest.raises(ClientError) as exc:  # no permission for CloudWatch Logs yet
        logs.put_subscription_filter(logGroupName=group, filterName="f", filterPattern="ERROR", destinationArn=fn_arn)
    assert exc.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "permission" in exc.value.response["Error"]["Message"]
    gureum.client("lambda").add_permission(FunctionName=name, StatementId=f"logs-{uuid.uuid4().hex[:6]}",
                                           Action="lambda:InvokeFunction", Principal="logs.amazonaws.com",
                                           SourceArn=group_arn)
    logs.put_subscription_filter(logGroupName=group, filterName="f", filterPattern="[level = ERROR, code, ...]",
                                 destinationArn=fn_arn)
    control = _received(gureum, name, 1)
    assert control[0]["messageType"] == "CONTROL_MESSAGE"
    assert control[0]["logEvents"][0]["message"].startswith("CWL CONTROL MESSAGE")

    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName=group, logStreamName="app", logEvents=[
        {"timestamp": now, "message": "ERROR 500 boom"}, {"timestamp": now + 1, "message": "INFO 200 fine"},
        {"timestamp": now + 2, "message": "ERROR 503 down again"}])
    data = [d for d in _received(gureum, name, 2) if d["messageType"] == "DATA_MESSAGE"]
    assert len(data) == 1
    msg = data[0]
    assert msg["owner"] == "000000000000"
    assert (msg["logGroup"], msg["logStream"], msg["subscriptionFilters"]) == (group, "app", ["f"])
    assert [(e["timestamp"], e["message"]) for e in msg["logEvents"]] == [(now, "ERROR 500 boom"), (now + 2, "ERROR 503 down again")]
    assert msg["logEvents"][0]["extractedFields"] == {"level": "ERROR", "code": "500"}
    ids = {e["eventId"] for e in logs.filter_log_events(logGroupName=group, filterPattern="ERROR")["events"]}
    assert {e["id"] for e in msg["logEvents"]} == ids  # the same ids FilterLogEvents gives

    described = logs.describe_subscription_filters(logGroupName=group)["subscriptionFilters"]
    assert [(f["filterName"], f["destinationArn"], f["distribution"]) for f in described] == [("f", fn_arn, "ByLogStream")]
    logs.delete_subscription_filter(logGroupName=group, filterName="f")
    assert logs.describe_subscription_filters(logGroupName=group)["subscriptionFilters"] == []
    with pytest.raises(ClientError) as exc:
        logs.delete_subscription_filter(logGroupName=group, filterName="f")
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_two_filters_per_group_and_kinesis_or_firehose_are_unusable(gureum, logs, printer):
    name, fn_arn = printer
    group, group_arn = _group(logs)
    gureum.client("lambda").add_permission(FunctionName=name, StatementId=f"logs-{uuid.uuid4().hex[:6]}",
                                           Action="lambda:InvokeFunction", Principal="logs.us-east-1.amazonaws.com",
                                           SourceArn=group_arn)  # the regional principal Terraform's examples use
    for f in ("a", "b"):
        logs.put_subscription_filter(logGroupName=group, filterName=f, filterPattern="", destinationArn=fn_arn)
    with pytest.raises(ClientError) as exc:
        logs.put_subscription_filter(logGroupName=group, filterName="c", filterPattern="", destinationArn=fn_arn)
    assert exc.value.response["Error"]["Code"] == "LimitExceededException"
    logs.put_subscription_filter(logGroupName=group, filterName="a", filterPattern="x", destinationArn=fn_arn)  # replace
    for target in ("arn:aws:kinesis:us-east-1:000000000000:stream/s", "arn:aws:firehose:us-east-1:000000000000:deliverystream/d"):
        with pytest.raises(ClientError) as exc:
            logs.put_subscription_filter(logGroupName=group, filterName="a", filterPattern="", destinationArn=target,
                                         roleArn="arn:aws:iam::000000000000:role/r")
        assert exc.value.response["Error"]["Code"] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        logs.put_subscription_filter(logGroupName="/no/such/group", filterName="a", filterPattern="", destinationArn=fn_arn)
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_destinations_kept_policy_checked_across_accounts(gureum, logs):
    dest = f"d{uuid.uuid4().hex[:8]}"
    out = logs.put_destination(destinationName=dest, targetArn="arn:aws:kinesis:us-east-1:000000000000:stream/s",
                               roleArn="arn:aws:iam::000000000000:role/CWLtoKinesis", tags={"team": "a"})["destination"]
    assert out["arn"] == f"arn:aws:logs:us-east-1:000000000000:destination:{dest}"
    logs.tag_resource(resourceArn=out["arn"], tags={"env": "dev"})
    assert logs.list_tags_for_resource(resourceArn=out["arn"])["tags"] == {"team": "a", "env": "dev"}
    logs.untag_resource(resourceArn=out["arn"], tagKeys=["team"])
    assert logs.list_tags_for_resource(resourceArn=out["arn"])["tags"] == {"env": "dev"}
    with pytest.raises(ClientError) as exc:
        logs.put_destination(destinationName=dest + "x", targetArn="arn:aws:sqs:us-east-1:000000000000:q",
                             roleArn="arn:aws:iam::000000000000:role/r")
    assert exc.value.response["Error"]["Code"] == "InvalidParameterException"
    other = gureum.client("logs", aws_access_key_id="111111111111")
    group = f"/x/{uuid.uuid4().hex[:8]}"
    other.create_log_group(logGroupName=group)
    with pytest.raises(ClientError) as exc:  # no access policy lets 111111111111 subscribe
        other.put_subscription_filter(logGroupName=group, filterName="f", filterPattern="", destinationArn=out["arn"])
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
    with pytest.raises(ClientError) as exc:  # another account cannot tag this destination
        other.tag_resource(resourceArn=out["arn"], tags={"x": "y"})
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "111111111111"},
                                                      "Action": "logs:PutSubscriptionFilter", "Resource": out["arn"]}]}
    logs.put_destination_policy(destinationName=dest, accessPolicy=json.dumps(policy))
    described = [d for d in logs.describe_destinations(DestinationNamePrefix=dest)["destinations"]]
    assert [(d["destinationName"], json.loads(d["accessPolicy"])) for d in described] == [(dest, policy)]
    with pytest.raises(ClientError) as exc:  # allowed now, but its Kinesis target is not served (issue 18)
        other.put_subscription_filter(logGroupName=group, filterName="f", filterPattern="", destinationArn=out["arn"])
    assert exc.value.response["Error"]["Code"] == "InvalidParameterException"
    logs.delete_destination(destinationName=dest)
    with pytest.raises(ClientError) as exc:
        logs.delete_destination(destinationName=dest)
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_metric_filter_on_a_functions_log_group_counts_what_lambda_logs(gureum, logs, printer):
    """Lambda's log lines go through the node's writer, which applies metric filters too."""
    name, _ = printer
    group = f"/aws/lambda/{name}"
    try:
        logs.create_log_group(logGroupName=group)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    ns = f"fn{uuid.uuid4().hex[:6]}"
    marker = f"m{uuid.uuid4().hex[:10]}"  # this invocation's line only (earlier tests' control messages may still arrive)
    logs.put_metric_filter(logGroupName=group, filterName="got", filterPattern=f'"GOT " {marker}',
                           metricTransformations=[{"metricName": "Payloads", "metricNamespace": ns, "metricValue": "1"}])
    payload = {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps({"messageType": marker}).encode())).decode()}}
    gureum.client("lambda").invoke(FunctionName=name, Payload=json.dumps(payload).encode())

    def counted() -> bool:
        q = urllib.parse.urlencode({"namespace": ns, "metricName": "Payloads"})
        with urllib.request.urlopen(f"{gureum.endpoint}/_gureum/logs/metrics?{q}", timeout=10) as resp:
            got = [p["Value"] for p in json.loads(resp.read())["datapoints"]]
        assert len(got) <= 1, got
        return got == [1.0]

    wait_for("the function's GOT line counted", counted, timeout=60)


def test_account_subscription_filter_policy_delivers_from_every_selected_group(gureum):
    """An account-level SUBSCRIPTION_FILTER_POLICY adds to the groups' own filters (in an
    account of its own, so no other test's groups deliver to this function)."""
    key = "333333333333"
    iam, lam = gureum.client("iam", aws_access_key_id=key), gureum.client("lambda", aws_access_key_id=key)
    logs = gureum.client("logs", aws_access_key_id=key)
    role = iam.create_role(RoleName=f"r-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    name = f"acct-{uuid.uuid4().hex[:8]}"
    fn_arn = lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler",
                                 Code={"ZipFile": zip_of({"app.py": PRINTER})})["FunctionArn"]
    policy = {"DestinationArn": fn_arn, "FilterPattern": "ALERT", "Distribution": "Random"}
    logs.put_account_policy(policyName="to-fn", policyType="SUBSCRIPTION_FILTER_POLICY", policyDocument=json.dumps(policy),
                            selectionCriteria=f'LogGroupName NOT IN ["/aws/lambda/{name}", "/skipped"]')
    try:
        for group in ("/watched", "/skipped"):
            logs.create_log_group(logGroupName=group)
            logs.create_log_stream(logGroupName=group, logStreamName="s")
            now = int(time.time() * 1000)
            logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[
                {"timestamp": now, "message": f"ALERT in {group}"}, {"timestamp": now + 1, "message": "calm"}])
        got = _received_in(gureum, logs, name, 1)
        assert [(d["logGroup"], d["subscriptionFilters"], [e["message"] for e in d["logEvents"]]) for d in got] == [
            ("/watched", ["to-fn"], ["ALERT in /watched"])]
    finally:
        logs.delete_account_policy(policyName="to-fn", policyType="SUBSCRIPTION_FILTER_POLICY")
