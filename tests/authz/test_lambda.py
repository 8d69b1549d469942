"""Lambda across accounts: Invoke of another account's function ARN and its AWS_IAM function
URL are refused unless the function's resource policy (AddPermission) grants the caller;
with the grant they work, as on AWS. Open mode (the default)."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from waiting import wait_for

A = "401000000011"
B = "401000000012"
REGION = "us-east-1"
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
CODE = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'hello from B'}\n"


def _client(gureum: Any, service: str, account: str) -> Any:
    return gureum.client(service, aws_access_key_id=account, aws_secret_access_key="x")


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", CODE)
    return buf.getvalue()


@pytest.fixture(scope="module")
def function_of_b(gureum: Any) -> Iterator[str]:
    role = _client(gureum, "iam", B).create_role(
        RoleName=f"fn-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    lam = _client(gureum, "lambda", B)
    name = f"fn-{uuid.uuid4().hex[:8]}"
    arn = lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler",
                              Code={"ZipFile": _zip()})["FunctionArn"]
    yield arn
    lam.delete_function(FunctionName=name)


def _get(url: str, account: str | None) -> tuple[int, bytes]:
    host = url.split("//", 1)[1].split("/", 1)[0]
    target = f"http://127.0.0.1:{host.rsplit(':', 1)[1]}/"
    headers = {"Host": host}
    if account is not None:
        signed = AWSRequest(method="GET", url=f"http://{host}/", headers={"Host": host})
        SigV4Auth(Credentials(account, "x"), "lambda", REGION).add_auth(signed)
        headers = dict(signed.headers.items())
    try:
        with urllib.request.urlopen(urllib.request.Request(target, headers=headers), timeout=60) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_invoking_another_accounts_function_needs_a_grant_in_its_policy(gureum: Any, function_of_b: str) -> None:
    lam_a = _client(gureum, "lambda", A)
    lam_b = _client(gureum, "lambda", B)
    with pytest.raises(ClientError) as exc:
        lam_a.invoke(FunctionName=function_of_b, Payload=b"{}")
    err = exc.value.response["Error"]
    assert (err["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]) == ("AccessDeniedException", 403)
    assert err["Message"] == (f"User: arn:aws:iam::{A}:root is not authorized to perform: lambda:InvokeFunction on "
                              f"resource: {function_of_b} because no resource-based policy allows the "
                              "lambda:InvokeFunction action")
    with pytest.raises(ClientError) as exc:
        lam_a.get_function(FunctionName=function_of_b)
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"

    lam_b.add_permission(FunctionName=function_of_b, StatementId="a-invokes", Action="lambda:InvokeFunction",
                         Principal=A)
    resp = lam_a.invoke(FunctionName=function_of_b, Payload=b"{}")
    assert resp["StatusCode"] == 200
    assert json.loads(resp["Payload"].read())["body"] == "hello from B"
    with pytest.raises(ClientError) as exc:  # the grant is for InvokeFunction only
        lam_a.get_function(FunctionName=function_of_b)
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
    lam_b.remove_permission(FunctionName=function_of_b, StatementId="a-invokes")


def test_repeated_invokes_are_decided_afresh_after_grants_change(gureum: Any, function_of_b: str) -> None:
    """The gate remembers Invoke's target by account, region, FunctionName and Qualifier, not
    its verdict: a grant and its removal take effect on the next invoke, and the same plain
    name invoked from another account is that account's function."""
    lam_a = _client(gureum, "lambda", A)
    lam_b = _client(gureum, "lambda", B)
    name = function_of_b.rsplit(":", 1)[1]
    for _ in range(2):
        assert lam_b.invoke(FunctionName=name, Payload=b"{}")["StatusCode"] == 200
        with pytest.raises(ClientError) as exc:
            lam_a.invoke(FunctionName=name, Payload=b"{}")  # A's own (missing) function of that name
        assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
        for qualifier in (None, "$LATEST"):
            extra = {"Qualifier": qualifier} if qualifier else {}
            with pytest.raises(ClientError) as exc:
                lam_a.invoke(FunctionName=function_of_b, Payload=b"{}", **extra)
            assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
    lam_b.add_permission(FunctionName=function_of_b, StatementId="a-again", Action="lambda:InvokeFunction",
                         Principal=A)
    assert lam_a.invoke(FunctionName=function_of_b, Payload=b"{}")["StatusCode"] == 200
    lam_b.remove_permission(FunctionName=function_of_b, StatementId="a-again")
    with pytest.raises(ClientError) as exc:
        lam_a.invoke(FunctionName=function_of_b, Payload=b"{}")
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"


def test_an_aws_iam_function_url_refuses_another_account_without_a_grant(gureum: Any, function_of_b: str) -> None:
    lam_b = _client(gureum, "lambda", B)
    url = lam_b.create_function_url_config(FunctionName=function_of_b, AuthType="AWS_IAM")["FunctionUrl"]
    try:
        assert _get(url, None)[0] == 403
        assert _get(url, B) == (200, b"hello from B")
        status, body = _get(url, A)
        assert (status, json.loads(body)) == (403, {"Message": "Forbidden"})

        lam_b.add_permission(FunctionName=function_of_b, StatementId="a-url", Action="lambda:InvokeFunctionUrl",
                             Principal=A, FunctionUrlAuthType="AWS_IAM")
        assert _get(url, A) == (200, b"hello from B")
        lam_b.remove_permission(FunctionName=function_of_b, StatementId="a-url")
        assert _get(url, A)[0] == 403
    finally:
        lam_b.delete_function_url_config(FunctionName=function_of_b)


def test_a_mapping_cannot_drain_another_accounts_queue_without_its_grant(gureum: Any) -> None:
    """CreateEventSourceMapping from B's queue into A's function would have A's function
    receive (and delete) B's messages."""
    role = _client(gureum, "iam", A).create_role(
        RoleName=f"esm-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    lam_a = _client(gureum, "lambda", A)
    name = f"esm-{uuid.uuid4().hex[:8]}"
    lam_a.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler",
                          Code={"ZipFile": _zip()})
    sqs_b = _client(gureum, "sqs", B)
    url = sqs_b.create_queue(QueueName=f"src-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs_b.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    try:
        with pytest.raises(ClientError) as exc:
            lam_a.create_event_source_mapping(FunctionName=name, EventSourceArn=queue_arn, Enabled=False)
        assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
        assert f"sqs:ReceiveMessage on resource: {queue_arn}" in exc.value.response["Error"]["Message"]
        sqs_b.add_permission(QueueUrl=url, Label="a-reads", AWSAccountIds=[A],
                             Actions=["ReceiveMessage", "DeleteMessage", "GetQueueAttributes"])
        uuid_ = lam_a.create_event_source_mapping(FunctionName=name, EventSourceArn=queue_arn, Enabled=False)["UUID"]
        # a mapping can be deleted once it has settled
        wait_for("the mapping settled (Disabled or Enabled)", lambda: lam_a.get_event_source_mapping(UUID=uuid_)["State"] in ("Disabled", "Enabled"), timeout=30, interval=0.05)
        lam_a.delete_event_source_mapping(UUID=uuid_)
    finally:
        lam_a.delete_function(FunctionName=name)


def test_async_destinations_in_another_account_need_its_grant(gureum: Any, function_of_b: str) -> None:
    """B may not point its function's failures at A's queue unless A's queue allows it."""
    sqs_a = _client(gureum, "sqs", A)
    url = sqs_a.create_queue(QueueName=f"dest-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs_a.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    lam_b = _client(gureum, "lambda", B)
    for call in (
        lambda: lam_b.put_function_event_invoke_config(
            FunctionName=function_of_b, DestinationConfig={"OnFailure": {"Destination": queue_arn}}),
        lambda: lam_b.update_function_configuration(FunctionName=function_of_b,
                                                    DeadLetterConfig={"TargetArn": queue_arn}),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
        assert f"sqs:SendMessage on resource: {queue_arn}" in exc.value.response["Error"]["Message"]
    sqs_a.add_permission(QueueUrl=url, Label="b-sends", AWSAccountIds=[B], Actions=["SendMessage"])
    lam_b.put_function_event_invoke_config(
        FunctionName=function_of_b, DestinationConfig={"OnFailure": {"Destination": queue_arn}})
    lam_b.delete_function_event_invoke_config(FunctionName=function_of_b)


def test_another_accounts_layer_cannot_be_used_or_read(gureum: Any) -> None:
    """No layer version permissions exist in gureum yet, so another account's layer is out of reach."""
    lam_b = _client(gureum, "lambda", B)
    layer = lam_b.publish_layer_version(LayerName=f"lib-{uuid.uuid4().hex[:6]}", Content={"ZipFile": _zip()})
    lam_a = _client(gureum, "lambda", A)
    with pytest.raises(ClientError) as exc:
        lam_a.get_layer_version_by_arn(Arn=layer["LayerVersionArn"])
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
    role = _client(gureum, "iam", A).create_role(
        RoleName=f"layer-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    with pytest.raises(ClientError) as exc:
        lam_a.create_function(FunctionName=f"uses-{uuid.uuid4().hex[:8]}", Runtime="python3.12", Role=role,
                              Handler="app.handler", Code={"ZipFile": _zip()}, Layers=[layer["LayerVersionArn"]])
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
    assert f"lambda:GetLayerVersion on resource: {layer['LayerVersionArn']}" in exc.value.response["Error"]["Message"]
