"""`--auth strict`: /_gureum/logs/metrics shows a signer only its own account's datapoints;
unmasking data protected events takes logs:Unmask."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from harness import GureumProcess

A, B = "502000000001", "502000000002"
ROOT_A, ROOT_B = ("mrootA", "msecretA"), ("mrootB", "msecretB")


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path_factory.mktemp("strict-logs") / "data", [
        "--auth", "strict", "--set", f"auth.keys={ROOT_A[0]}:{ROOT_A[1]}:{A},{ROOT_B[0]}:{ROOT_B[1]}:{B}",
        "--set", "ecs.enabled=0"])
    proc.start()
    yield proc
    proc.stop()


def _get(proc: GureumProcess, query: str, key: tuple[str, str] | None) -> tuple[int, dict[str, Any]]:
    url = f"{proc.endpoint}/_gureum/logs/metrics?{query}"
    headers: dict[str, str] = {}
    if key is not None:
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        req = AWSRequest(method="GET", url=url)
        SigV4Auth(Credentials(*key), "gureum", "us-east-1").add_auth(req)
        headers = dict(req.headers.items())
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as resp:
            return resp.status, json.load(resp)
    except urllib.error.HTTPError as err:
        return err.code, json.load(err)


def test_datapoints_are_shown_only_to_their_own_account(strict: GureumProcess) -> None:
    logs = strict.client("logs", aws_access_key_id=ROOT_A[0], aws_secret_access_key=ROOT_A[1])
    logs.create_log_group(logGroupName="/app")
    logs.create_log_stream(logGroupName="/app", logStreamName="s")
    logs.put_metric_filter(logGroupName="/app", filterName="e", filterPattern="ERROR",
                           metricTransformations=[{"metricName": "Errors", "metricNamespace": "App", "metricValue": "1"}])
    logs.put_log_events(logGroupName="/app", logStreamName="s",
                        logEvents=[{"timestamp": int(time.time() * 1000), "message": "ERROR x"}])
    status, doc = _get(strict, f"account={A}&namespace=App", ROOT_A)
    assert status == 200 and [p["Value"] for p in doc["datapoints"]] == [1.0]
    status, doc = _get(strict, f"account={A}&namespace=App", ROOT_B)  # B asks for A's: sees its own (none)
    assert status == 200 and doc["datapoints"] == []
    status, _ = _get(strict, f"account={A}&namespace=App", None)
    assert status == 403


def test_unmask_needs_logs_unmask_besides_get_log_events(strict: GureumProcess) -> None:
    root = strict.client("logs", aws_access_key_id=ROOT_A[0], aws_secret_access_key=ROOT_A[1])
    root.create_log_group(logGroupName="/masked")
    root.create_log_stream(logGroupName="/masked", logStreamName="s")
    ids = ["arn:aws:dataprotection::aws:data-identifier/EmailAddress"]
    root.put_data_protection_policy(logGroupIdentifier="/masked", policyDocument=json.dumps({
        "Name": "dp", "Version": "2021-06-01", "Statement": [
            {"DataIdentifier": ids, "Operation": {"Audit": {"FindingsDestination": {}}}},
            {"DataIdentifier": ids, "Operation": {"Deidentify": {"MaskConfig": {}}}}]}))
    root.put_log_events(logGroupName="/masked", logStreamName="s",
                        logEvents=[{"timestamp": int(time.time() * 1000), "message": "to a@b.io"}])
    iam = strict.client("iam", aws_access_key_id=ROOT_A[0], aws_secret_access_key=ROOT_A[1])
    iam.create_user(UserName="reader")
    iam.put_user_policy(UserName="reader", PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:GetLogEvents", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    reader = strict.client("logs", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    assert reader.get_log_events(logGroupName="/masked", logStreamName="s")["events"][0]["message"] == "to ******"
    with pytest.raises(ClientError) as exc:
        reader.get_log_events(logGroupName="/masked", logStreamName="s", unmask=True)
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "logs:Unmask" in exc.value.response["Error"]["Message"]
    iam.put_user_policy(UserName="reader", PolicyName="unmask", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:Unmask", "Resource": "*"}]}))
    got = reader.get_log_events(logGroupName="/masked", logStreamName="s", unmask=True)["events"]
    assert got[0]["message"] == "to a@b.io"
