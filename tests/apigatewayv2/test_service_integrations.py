"""HTTP APIs' AWS service integrations (AWS_PROXY with an IntegrationSubtype) end to end:
boto3 builds the API, raw HTTP calls it, the queue or stream holds what the route sent, as
the integration's role."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.apigatewayv2.conftest import call
from tests.waiting import wait_for

TRUSTS_APIGW = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
TRUSTS_LAMBDA = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def _role(gureum: Any, trust: dict[str, Any]) -> str:
    return str(gureum.client("iam").create_role(RoleName=f"apigw-svc-{uuid.uuid4().hex[:8]}",
                                                 AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"])


@pytest.fixture(scope="module")
def svc_role(gureum: Any) -> str:
    return _role(gureum, TRUSTS_APIGW)


def _api_with(apigw: Any, routes: dict[str, dict[str, Any]]) -> str:
    api_id = str(apigw.create_api(Name=f"svc{uuid.uuid4().hex[:6]}", ProtocolType="HTTP")["ApiId"])
    for route_key, integration in routes.items():
        iid = apigw.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", PayloadFormatVersion="1.0",
                                       **integration)["IntegrationId"]
        apigw.create_route(ApiId=api_id, RouteKey=route_key, Target=f"integrations/{iid}")
    apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    return api_id


def test_sqs_send_receive_delete_and_purge(gureum: Any, apigw: Any, svc_role: str) -> None:
    sqs = gureum.client("sqs")
    queue_url = sqs.create_queue(QueueName=f"apigw-svc-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    api_id = _api_with(apigw, {
        "POST /send": {"IntegrationSubtype": "SQS-SendMessage", "CredentialsArn": svc_role, "RequestParameters": {
            "QueueUrl": queue_url, "MessageBody": "$request.body.message", "DelaySeconds": "$request.querystring.delay",
            "MessageAttributes": "$request.body.attributes"}},
        "POST /receive": {"IntegrationSubtype": "SQS-ReceiveMessage", "CredentialsArn": svc_role, "RequestParameters": {
            "QueueUrl": queue_url, "MaxNumberOfMessages": "$request.header.x-max", "MessageAttributeNames": "All"}},
        "POST /delete": {"IntegrationSubtype": "SQS-DeleteMessage", "CredentialsArn": svc_role, "RequestParameters": {
            "QueueUrl": queue_url, "ReceiptHandle": "$request.body.handle"}},
        "POST /purge": {"IntegrationSubtype": "SQS-PurgeQueue", "CredentialsArn": svc_role,
                        "RequestParameters": {"QueueUrl": queue_url}},
    })
    sent = json.dumps({"message": "hello from the route", "attributes": {
        "color": {"DataType": "String", "StringValue": "blue"}}}).encode()
    r = call(gureum, api_id, "POST", "/send?delay=0", sent, {"content-type": "application/json"})
    assert r.status == 200, r.body
    result = r.json()["SendMessageResponse"]["SendMessageResult"]
    assert result["MessageId"] and result["SequenceNumber"] is None
    assert r.json()["SendMessageResponse"]["ResponseMetadata"]["RequestId"]

    r = call(gureum, api_id, "POST", "/receive", b"", {"x-max": "5"})
    assert r.status == 200, r.body
    messages = r.json()["ReceiveMessageResponse"]["ReceiveMessageResult"]["messages"]
    assert [m["Body"] for m in messages] == ["hello from the route"]
    assert messages[0]["MessageId"] == result["MessageId"]
    assert messages[0]["MessageAttributes"]["color"]["StringValue"] == "blue"

    handle = messages[0]["ReceiptHandle"]
    r = call(gureum, api_id, "POST", "/delete", json.dumps({"handle": handle}).encode())
    assert r.status == 200, r.body
    assert "DeleteMessageResult" not in r.json()["DeleteMessageResponse"]
    # the service's own error, as SQS's JSON query answer
    r = call(gureum, api_id, "POST", "/delete", json.dumps({"handle": "not-a-handle"}).encode())
    assert r.status == 400 and r.json()["Error"]["Code"] == "ReceiptHandleIsInvalid", r.body

    call(gureum, api_id, "POST", "/send", json.dumps({"message": "to purge"}).encode())
    r = call(gureum, api_id, "POST", "/purge", b"")
    assert r.status == 200 and "PurgeQueueResponse" in r.json(), r.body
    wait_for("the purged queue to be empty", lambda: sqs.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]["ApproximateNumberOfMessages"] == "0")
    assert "Messages" not in sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0)


def test_a_missing_body_value_is_the_service_validation_error(gureum: Any, apigw: Any, svc_role: str) -> None:
    queue_url = gureum.client("sqs").create_queue(QueueName=f"apigw-svc-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    api_id = _api_with(apigw, {"POST /send": {"IntegrationSubtype": "SQS-SendMessage", "CredentialsArn": svc_role,
                                              "RequestParameters": {"QueueUrl": queue_url,
                                                                    "MessageBody": "$request.body.message"}}})
    r = call(gureum, api_id, "POST", "/send", b'{"other": 1}')
    assert 400 <= r.status < 500 and "Error" in r.json(), (r.status, r.body)


def test_kinesis_put_record(gureum: Any, apigw: Any, svc_role: str) -> None:
    kinesis = gureum.client("kinesis")
    stream = f"apigw-svc-{uuid.uuid4().hex[:6]}"
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=stream)
    api_id = _api_with(apigw, {"POST /put": {"IntegrationSubtype": "Kinesis-PutRecord", "CredentialsArn": svc_role,
                                             "RequestParameters": {"StreamName": stream, "Data": "$request.body.data",
                                                                   "PartitionKey": "$request.header.x-key"}}})
    data = base64.b64encode(b"a record through the API").decode()
    r = call(gureum, api_id, "POST", "/put", json.dumps({"data": data}).encode(), {"x-key": "k1"})
    assert r.status == 200, r.body
    out = r.json()
    assert out["ShardId"].startswith("shardId-") and out["SequenceNumber"]
    it = kinesis.get_shard_iterator(StreamName=stream, ShardId=out["ShardId"], ShardIteratorType="AT_SEQUENCE_NUMBER",
                                    StartingSequenceNumber=out["SequenceNumber"])["ShardIterator"]
    records = kinesis.get_records(ShardIterator=it)["Records"]
    assert (records[0]["Data"], records[0]["PartitionKey"]) == (b"a record through the API", "k1")
    # a stream that does not exist: Kinesis's own error
    missing = _api_with(apigw, {"POST /put": {"IntegrationSubtype": "Kinesis-PutRecord", "CredentialsArn": svc_role,
                                              "RequestParameters": {"StreamName": "no-such-stream-" + uuid.uuid4().hex[:6],
                                                                    "Data": data, "PartitionKey": "k"}}})
    r = call(gureum, missing, "POST", "/put", b"")
    assert r.status == 400 and r.json()["__type"] == "ResourceNotFoundException", r.body


def test_a_role_api_gateway_cannot_assume_is_a_500(gureum: Any, apigw: Any) -> None:
    sqs = gureum.client("sqs")
    queue_url = sqs.create_queue(QueueName=f"apigw-svc-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    api_id = _api_with(apigw, {"POST /send": {"IntegrationSubtype": "SQS-SendMessage",
                                              "CredentialsArn": _role(gureum, TRUSTS_LAMBDA),
                                              "RequestParameters": {"QueueUrl": queue_url, "MessageBody": "x"}}})
    r = call(gureum, api_id, "POST", "/send", b"")
    assert r.status == 500 and r.json() == {"message": "Internal Server Error"}
    assert "Messages" not in sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0)


@pytest.mark.parametrize("integration, wording", [
    ({"IntegrationSubtype": "SQS-SendMessage", "RequestParameters": {"QueueUrl": "q"}}, "MessageBody"),
    ({"IntegrationSubtype": "SQS-SendMessage", "RequestParameters": {"QueueUrl": "q", "MessageBody": "b", "Bogus": "x"}},
     "Bogus"),
    ({"IntegrationSubtype": "SQS-Nonsense", "RequestParameters": {"QueueUrl": "q"}}, "SQS-Nonsense"),
    ({"IntegrationSubtype": "EventBridge-PutEvents",
      "RequestParameters": {"Detail": "{}", "DetailType": "t", "Source": "s"}}, "EventBridge-PutEvents"),
    ({"IntegrationSubtype": "StepFunctions-StartExecution", "RequestParameters": {"StateMachineArn": "a"}},
     "StepFunctions-StartExecution"),
    ({"IntegrationSubtype": "AppConfig-GetConfiguration", "RequestParameters": {"Application": "a"}},
     "AppConfig-GetConfiguration"),
])
def test_subtypes_are_checked_at_creation(apigw: Any, svc_role: str, integration: dict[str, Any], wording: str) -> None:
    api_id = apigw.create_api(Name=f"svc{uuid.uuid4().hex[:6]}", ProtocolType="HTTP")["ApiId"]
    with pytest.raises(ClientError) as e:
        apigw.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", PayloadFormatVersion="1.0",
                                 CredentialsArn=svc_role, **integration)
    assert e.value.response["Error"]["Code"] == "BadRequestException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert wording in e.value.response["Error"]["Message"]


def test_a_subtype_needs_aws_proxy_and_payload_1(apigw: Any, svc_role: str) -> None:
    api_id = apigw.create_api(Name=f"svc{uuid.uuid4().hex[:6]}", ProtocolType="HTTP")["ApiId"]
    params = {"QueueUrl": "q", "MessageBody": "b"}
    with pytest.raises(ClientError) as e:
        apigw.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", PayloadFormatVersion="2.0",
                                 IntegrationSubtype="SQS-SendMessage", RequestParameters=params)
    assert e.value.response["Error"]["Code"] == "BadRequestException"
    iid = apigw.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", PayloadFormatVersion="1.0",
                                   IntegrationSubtype="SQS-SendMessage", RequestParameters=params,
                                   CredentialsArn=svc_role)["IntegrationId"]
    got = apigw.get_integration(ApiId=api_id, IntegrationId=iid)
    assert (got["IntegrationSubtype"], got["RequestParameters"]) == ("SQS-SendMessage", params)
    with pytest.raises(ClientError) as e:
        apigw.update_integration(ApiId=api_id, IntegrationId=iid, RequestParameters={"QueueUrl": "q"})
    assert e.value.response["Error"]["Code"] == "BadRequestException"


def test_openapi_import_and_export_keep_subtypes(gureum: Any, apigw: Any, svc_role: str) -> None:
    queue_url = gureum.client("sqs").create_queue(QueueName=f"apigw-svc-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    integration = {"type": "aws_proxy", "integrationSubtype": "SQS-SendMessage", "credentials": svc_role,
                   "payloadFormatVersion": "1.0",
                   "requestParameters": {"QueueUrl": queue_url, "MessageBody": "$request.body"}}
    doc = {"openapi": "3.0.1", "info": {"title": f"svc{uuid.uuid4().hex[:6]}", "version": "1"},
           "paths": {"/send": {"post": {"x-amazon-apigateway-integration": integration}}}}
    api_id = apigw.import_api(Body=json.dumps(doc), FailOnWarnings=True)["ApiId"]
    (got,) = apigw.get_integrations(ApiId=api_id)["Items"]
    assert (got["IntegrationSubtype"], got["CredentialsArn"], got["RequestParameters"]) == (
        "SQS-SendMessage", svc_role, integration["requestParameters"])
    exported = json.loads(apigw.export_api(ApiId=api_id, Specification="OAS30", OutputType="JSON")["body"].read())
    ext = exported["paths"]["/send"]["post"]["x-amazon-apigateway-integration"]
    assert {k: ext[k] for k in integration} == integration and "uri" not in ext
    # an unserved subtype in a document is refused as CreateIntegration refuses it
    doc["paths"]["/send"]["post"]["x-amazon-apigateway-integration"] = {
        **integration, "integrationSubtype": "StepFunctions-StartExecution", "requestParameters": {"StateMachineArn": "a"}}
    with pytest.raises(ClientError) as e:
        apigw.import_api(Body=json.dumps(doc))
    assert e.value.response["Error"]["Code"] == "BadRequestException"
    # the whole body as the message
    apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    r = call(gureum, api_id, "POST", "/send", b"raw text body")
    assert r.status == 200, r.body
    got_msg = gureum.client("sqs").receive_message(QueueUrl=queue_url, WaitTimeSeconds=5)["Messages"][0]
    assert got_msg["Body"] == "raw text body"
