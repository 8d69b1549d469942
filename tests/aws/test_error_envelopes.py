"""Errors in each protocol's envelope as AWS shapes them (serialized by the wire layer, read
back by tests/aws/shape_check.py's check_error against botocore's models): query errors with
Type/Code/Message and RequestId (SQS's older query wire adding its XML declaration and empty
`<Detail/>`); json `__type` (SQS's qualified by its Smithy namespace) with the message member
cased as the error shape has it (Cloud Map `Message`); rest-json `x-amzn-errortype`; rest-xml
`<ErrorResponse><Error><Type>`."""

from __future__ import annotations

import json

import botocore.session
import pytest
from shape_check import check_error

from gureum.aws import specs
from gureum.aws.errors import AwsError
from gureum.aws.protocols.table import PROTOCOLS

_session = botocore.session.get_session()


def _serialize(service: str, protocol: str, err: AwsError) -> tuple[int, dict[str, str], bytes]:
    resp = PROTOCOLS[protocol].serialize_error(specs.load(service), err, "req-1")
    return resp.status, dict(resp.headers), bytes(resp.body)


@pytest.mark.parametrize("service", ["iam", "sts", "sns"])
def test_query_errors_have_no_detail_element(service: str) -> None:
    code = {"iam": "NoSuchEntity", "sts": "ExpiredTokenException", "sns": "NotFound"}[service]
    status, headers, body = _serialize(service, "query", AwsError.modeled(service, code, "gone"))
    assert b"<Detail" not in body and not body.startswith(b"<?xml")
    doc = check_error(_session.get_service_model(service), status, headers, body)
    assert doc.findings == []
    assert doc.fault == "Sender" and doc.message == "gone"


def test_sqs_query_errors_carry_the_declaration_the_queue_namespace_and_an_empty_detail() -> None:
    err = AwsError.modeled("sqs", "QueueDoesNotExist", "The specified queue does not exist.")
    status, _, body = _serialize("sqs", "query-compat", err)
    assert status == 400
    assert body.startswith(b'<?xml version="1.0"?><ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">')
    assert b"<Code>AWS.SimpleQueueService.NonExistentQueue</Code>" in body
    assert b"<Message>The specified queue does not exist.</Message><Detail/></Error><RequestId>req-1</RequestId>" in body


def test_sqs_json_errors_qualify_the_type_and_send_the_query_code() -> None:
    err = AwsError.modeled("sqs", "QueueDoesNotExist", "The specified queue does not exist.")
    status, headers, body = _serialize("sqs", "json", err)
    assert json.loads(body) == {"__type": "com.amazonaws.sqs#QueueDoesNotExist",
                                "message": "The specified queue does not exist."}
    assert headers["x-amzn-query-error"] == "AWS.SimpleQueueService.NonExistentQueue;Sender"
    doc = check_error(_session.get_service_model("sqs"), status, headers, body)
    assert (doc.code, doc.fault, doc.findings) == ("QueueDoesNotExist", "Sender", [])


@pytest.mark.parametrize(("service", "code", "key"), [
    ("logs", "ResourceNotFoundException", "message"),
    ("ecr", "RepositoryNotFoundException", "message"),
    ("ecs", "ClusterNotFoundException", "message"),
    ("servicediscovery", "NamespaceNotFound", "Message"),
])
def test_json_errors_case_the_message_as_the_error_shape_does(service: str, code: str, key: str) -> None:
    status, headers, body = _serialize(service, "json", AwsError.modeled(service, code, "m"))
    assert json.loads(body) == {"__type": code, key: "m"}
    assert "x-amzn-query-error" not in headers
    doc = check_error(_session.get_service_model(service), status, {"content-type": "application/x-amz-json-1.1"}, body)
    assert doc.findings == []


def test_cloud_map_cbor_errors_case_the_message_too() -> None:
    import cbor2

    resp = PROTOCOLS["smithy-rpc-v2-cbor"].serialize_error(
        specs.load("servicediscovery"), AwsError.modeled("servicediscovery", "ServiceNotFound", "m"), "r")
    assert cbor2.loads(bytes(resp.body)) == {"__type": "ServiceNotFound", "Message": "m"}


def test_rest_json_errors_carry_the_errortype_header_and_modeled_members() -> None:
    err = AwsError.modeled("lambda", "ResourceNotFoundException", "Function not found: x", Type="User")
    status, headers, body = _serialize("lambda", "rest-json", err)
    assert status == 404 and headers["x-amzn-errortype"] == "ResourceNotFoundException"
    assert json.loads(body) == {"Message": "Function not found: x", "Type": "User"}
    doc = check_error(_session.get_service_model("lambda"), status, headers, body)
    assert doc.findings == []


def test_route53_errors_are_error_responses_with_a_type() -> None:
    status, headers, body = _serialize("route53", "rest-xml", AwsError.modeled("route53", "NoSuchHostedZone", "gone"))
    doc = check_error(_session.get_service_model("route53"), status, headers, body)
    assert (status, doc.code, doc.fault, doc.findings) == (404, "NoSuchHostedZone", "Sender", [])
    assert b'<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">' in body
