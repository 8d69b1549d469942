"""S3 notifications and SNS subscriptions delivered to a real Lambda function (an Event
invocation through Lambda's durable queue); the function prints what it got to its logs."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from typing import Any

import pytest
from waiting import wait_for

TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                                  "Action": "sts:AssumeRole"}]}
RECORDER = "import json\ndef handler(e, c):\n    print('RECORD ' + json.dumps(e))\n    return 'ok'\n"


def _zip(code: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", code)
    return buf.getvalue()


def _function(g: Any) -> str:
    role = g.client("iam").create_role(RoleName=f"r-{uuid.uuid4().hex[:6]}",
                                       AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    lam = g.client("lambda")
    name = f"fn-{uuid.uuid4().hex[:8]}"
    try:
        arn = lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler",
                                  Code={"ZipFile": _zip(RECORDER)})["FunctionArn"]
    except Exception as exc:  # noqa: BLE001 - Lambda may not be available on this machine
        pytest.skip(f"Lambda is not available: {exc}")
    try:  # its engine started with the first Lambda call (an idle component until then)
        g.wait_service("lambda", "running", timeout=60)
    except RuntimeError:
        pytest.skip(f"Lambda is not running: {g.health()['services'].get('lambda')}")
    return arn


def _records(g: Any, function: str, want: int, timeout: float = 60) -> list[dict[str, Any]]:
    logs = g.client("logs")
    found: list[dict[str, Any]] = []

    def enough() -> bool:
        nonlocal found
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{function}", filterPattern="RECORD")["events"]
        except Exception:  # noqa: BLE001 - the group appears with the first invocation
            events = []
        found = [json.loads(e["message"].split("RECORD ", 1)[1]) for e in events if "RECORD " in e["message"]]
        return len(found) >= want

    try:
        wait_for(f"{want} records of {function}", enough, timeout, interval=0.3)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; {len(found)} found:\n{g.log_tail()}") from None
    return found


def test_s3_and_sns_events_reach_a_function(gureum):
    arn = _function(gureum)
    name = arn.rsplit(":", 1)[1]
    s3 = gureum.client("s3")
    bucket = f"lam-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    lam = gureum.client("lambda")
    config = {"LambdaFunctionConfigurations": [{"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}]}
    with pytest.raises(Exception, match="Unable to validate"):  # S3 may not invoke it yet
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    lam.add_permission(FunctionName=name, StatementId="s3", Action="lambda:InvokeFunction",
                       Principal="s3.amazonaws.com", SourceArn=f"arn:aws:s3:::{bucket}")
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
    s3.put_object(Bucket=bucket, Key="pics/cat.png", Body=b"\x89PNG")
    sns = gureum.client("sns")
    topic = sns.create_topic(Name=f"t-{uuid.uuid4().hex[:8]}")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn)
    sns.publish(TopicArn=topic, Message="hello lambda", Subject="s",
                MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}})
    records = _records(gureum, name, 2)
    s3_rec = next(r["Records"][0] for r in records if r["Records"][0].get("eventSource") == "aws:s3")
    assert s3_rec["eventName"] == "ObjectCreated:Put" and s3_rec["s3"]["object"]["key"] == "pics/cat.png"
    sns_rec = next(r["Records"][0] for r in records if r["Records"][0].get("EventSource") == "aws:sns")
    assert sns_rec["Sns"]["Message"] == "hello lambda" and sns_rec["Sns"]["TopicArn"] == topic
    assert sns_rec["Sns"]["MessageAttributes"] == {"k": {"Type": "String", "Value": "v"}}
    # AWS's spelling in Lambda records (the SQS/HTTP envelope says SigningCertURL/UnsubscribeURL)
    assert {"SigningCertUrl", "UnsubscribeUrl", "Signature", "SignatureVersion"} <= set(sns_rec["Sns"])
    assert "SigningCertURL" not in sns_rec["Sns"] and "UnsubscribeURL" not in sns_rec["Sns"]
    assert sns_rec["Sns"]["UnsubscribeUrl"].endswith("SubscriptionArn=" + sns_rec["EventSubscriptionArn"])
