"""The response-shape walker (tests/aws/shape_check.py) on plain values: what it must flag
and what it must let through, per protocol, against botocore's real models."""

from __future__ import annotations

import json
from typing import Any

import botocore.session
import pytest
from botocore.model import OperationModel, ServiceModel
from shape_check import check_error, check_output

_session = botocore.session.get_session()


def op(service: str, name: str) -> OperationModel:
    return _session.get_service_model(service).operation_model(name)


def svc(service: str) -> ServiceModel:
    return _session.get_service_model(service)


def kinds(findings: list[Any]) -> set[tuple[str, str]]:
    return {(f.kind, f.path) for f in findings}


# --- json -------------------------------------------------------------------------------------

def test_json_clean_response_has_no_findings() -> None:
    body = json.dumps({"logGroups": [{"logGroupName": "g", "creationTime": 1, "arn": "a", "storedBytes": 0,
                                      "logGroupClass": "STANDARD"}]}).encode()
    assert check_output(op("logs", "DescribeLogGroups"), 200, {}, body) == []


def test_json_unknown_member_enum_and_type_are_flagged() -> None:
    body = json.dumps({"logGroups": [{"logGroupName": "g", "logGroupClass": "CHEAP", "creationTime": "1",
                                      "extra": 1}]}).encode()
    found = kinds(check_output(op("logs", "DescribeLogGroups"), 200, {}, body))
    assert ("unknown", "$.logGroups[0].extra") in found
    assert ("enum", "$.logGroups[0].logGroupClass") in found
    assert ("type", "$.logGroups[0].creationTime") in found


def test_json_required_member_missing_is_flagged() -> None:
    # Lambda's GetFunctionUrlConfig output requires FunctionUrl, FunctionArn, AuthType...
    found = kinds(check_output(op("lambda", "GetFunctionUrlConfig"), 200, {}, b'{"FunctionUrl":"u"}'))
    assert ("required", "$.FunctionArn") in found
    assert ("required", "$.AuthType") in found


def test_json_timestamp_must_be_epoch_seconds() -> None:
    body = json.dumps({"repository": {"repositoryName": "r", "createdAt": "2024-01-01T00:00:00Z"}}).encode()
    found = kinds(check_output(op("ecr", "CreateRepository"), 200, {}, body))
    assert ("timestamp", "$.repository.createdAt") == next(iter(found))


def test_json_operation_without_output_must_send_an_empty_body() -> None:
    assert check_output(op("logs", "CreateLogGroup"), 200, {}, b"") == []
    assert check_output(op("logs", "CreateLogGroup"), 200, {}, b"{}") == []
    assert kinds(check_output(op("logs", "CreateLogGroup"), 200, {}, b'{"a":1}')) == {("unknown", "$")}


def test_json_map_values_and_documents() -> None:
    body = json.dumps({"Attributes": {"VisibilityTimeout": "30", "Bogus": "1"}}).encode()
    found = kinds(check_output(op("sqs", "GetQueueAttributes"), 200, {}, body))
    assert found == {("enum", "$.Attributes.Bogus")}


# --- rest-json --------------------------------------------------------------------------------

def test_rest_json_headers_are_checked_by_name() -> None:
    o = op("lambda", "Invoke")
    assert check_output(o, 200, {"X-Amz-Executed-Version": "$LATEST"}, None) == []
    found = kinds(check_output(o, 200, {"x-amz-made-up": "1"}, None))
    assert found == {("unknown", "header x-amz-made-up")}


def test_rest_json_status_code_member_is_not_a_body_member() -> None:
    body = json.dumps({"FunctionName": "f", "Runtime": "python3.12", "State": "Active"}).encode()
    assert check_output(op("lambda", "GetFunctionConfiguration"), 200, {}, body) == []
    body = json.dumps({"FunctionName": "f", "Runtime": "python0"}).encode()
    assert kinds(check_output(op("lambda", "GetFunctionConfiguration"), 200, {}, body)) == {("enum", "$.Runtime")}


# --- query ------------------------------------------------------------------------------------

IAM_NS = 'xmlns="https://iam.amazonaws.com/doc/2010-05-08/"'


def _iam(inner: str, name: str = "GetUser") -> bytes:
    return (f"<{name}Response {IAM_NS}><{name}Result>{inner}</{name}Result>"
            f"<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></{name}Response>").encode()


USER = ("<User><Path>/</Path><UserName>u</UserName><UserId>AIDA</UserId><Arn>arn:aws:iam::1:user/u</Arn>"
        "<CreateDate>2024-01-01T00:00:00Z</CreateDate>{extra}</User>")


def test_query_clean_response_has_no_findings() -> None:
    assert check_output(op("iam", "GetUser"), 200, {}, _iam(USER.format(extra=""))) == []


def test_query_unknown_element_and_timestamp_and_required() -> None:
    bad = _iam(USER.format(extra="<Color>red</Color>").replace("2024-01-01T00:00:00Z", "1704067200")
               .replace("<UserId>AIDA</UserId>", ""))
    found = kinds(check_output(op("iam", "GetUser"), 200, {}, bad))
    assert found == {("unknown", "$.GetUserResult.User.Color"), ("timestamp", "$.GetUserResult.User.CreateDate"),
                     ("required", "$.GetUserResult.User.UserId")}


def test_query_envelope_must_wrap_the_result() -> None:
    body = f"<GetUserResponse {IAM_NS}>{USER.format(extra='')}</GetUserResponse>".encode()
    found = kinds(check_output(op("iam", "GetUser"), 200, {}, body))
    assert ("envelope", "$.User") in found and ("envelope", "$.ResponseMetadata") in found


def test_query_list_items_are_members() -> None:
    good = _iam("<Users><member>" + USER.format(extra="")[6:-7] + "</member></Users><IsTruncated>false</IsTruncated>",
                "ListUsers")
    assert check_output(op("iam", "ListUsers"), 200, {}, good) == []
    bad = _iam("<Users><item><UserName>u</UserName></item></Users><IsTruncated>maybe</IsTruncated>", "ListUsers")
    found = kinds(check_output(op("iam", "ListUsers"), 200, {}, bad))
    assert found == {("unknown", "$.ListUsersResult.Users.item"), ("type", "$.ListUsersResult.IsTruncated")}


# --- rest-xml ---------------------------------------------------------------------------------

def test_rest_xml_flattened_lists_and_headers() -> None:
    o = op("s3", "ListObjectsV2")
    body = (b'<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><KeyCount>1</KeyCount>'
            b"<Contents><Key>k</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified><StorageClass>STANDARD"
            b"</StorageClass></Contents><Contents><Key>k2</Key><Size>1</Size></Contents></ListBucketResult>")
    assert check_output(o, 200, {"x-amz-request-charged": "requester"}, body) == []
    bad = body.replace(b"STANDARD", b"CHEAP").replace(b"<KeyCount>1</KeyCount>", b"<KeyCount>1</KeyCount><Keys/>")
    found = kinds(check_output(o, 200, {"x-amz-bucket-region": "us-east-1"}, bad))
    assert found == {("enum", "$ListBucketResult.Contents.StorageClass"), ("unknown", "$ListBucketResult.Keys"),
                     ("unknown", "header x-amz-bucket-region")}


def test_rest_xml_header_timestamps_are_rfc822() -> None:
    o = op("s3", "HeadObject")
    assert check_output(o, 200, {"Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"}, b"") == []
    found = kinds(check_output(o, 200, {"Last-Modified": "2024-01-01T00:00:00Z"}, b""))
    assert found == {("timestamp", "header last-modified")}


# --- errors -----------------------------------------------------------------------------------

def test_query_error_envelope() -> None:
    body = (f'<ErrorResponse {IAM_NS}><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>m</Message>'
            "</Error><RequestId>r</RequestId></ErrorResponse>").encode()
    doc = check_error(svc("iam"), 404, {}, body)
    assert (doc.code, doc.fault, doc.message, doc.findings) == ("NoSuchEntity", "Sender", "m", [])
    bad = body.replace(b"<Type>Sender</Type>", b"<Type>Client</Type><Extra>1</Extra>")
    assert kinds(check_error(svc("iam"), 404, {}, bad).findings) == {("envelope", "$.Error.Type"), ("unknown", "$.Extra")}


def test_json_error_members_must_be_the_error_shape_s() -> None:
    body = json.dumps({"__type": "ResourceNotFoundException", "message": "m"}).encode()
    doc = check_error(svc("logs"), 400, {}, body)
    assert (doc.code, doc.message, doc.findings) == ("ResourceNotFoundException", "m", [])
    body = json.dumps({"__type": "ResourceNotFoundException", "message": "m", "bogus": 1}).encode()
    assert kinds(check_error(svc("logs"), 400, {}, body).findings) == {("unknown", "$.bogus")}


def test_rest_json_error_needs_the_errortype_header_and_modeled_members() -> None:
    body = json.dumps({"Type": "User", "message": "m"}).encode()
    doc = check_error(svc("lambda"), 404, {"x-amzn-errortype": "ResourceNotFoundException"}, body)
    assert (doc.code, doc.fields, doc.findings) == ("ResourceNotFoundException", {"Type": "User"}, [])
    assert kinds(check_error(svc("lambda"), 404, {}, body).findings) == {
        ("envelope", "header x-amzn-errortype"), ("envelope", "$"), ("unknown", "$.Type")}


def test_query_compatible_json_error_reads_the_query_code() -> None:
    body = json.dumps({"__type": "com.amazonaws.sqs#QueueDoesNotExist", "message": "m"}).encode()
    doc = check_error(svc("sqs"), 400, {"x-amzn-query-error": "AWS.SimpleQueueService.NonExistentQueue;Sender"}, body)
    assert (doc.code, doc.fault, doc.fields["QueryErrorCode"], doc.findings) == (
        "QueueDoesNotExist", "Sender", "AWS.SimpleQueueService.NonExistentQueue", [])


def test_s3_error_document() -> None:
    body = b"<Error><Code>NoSuchKey</Code><Message>m</Message><Key>k</Key><RequestId>r</RequestId><HostId>h</HostId></Error>"
    doc = check_error(svc("s3"), 404, {}, body)
    assert (doc.code, doc.fields["Key"], doc.findings) == ("NoSuchKey", "k", [])
    no_host = body.replace(b"<HostId>h</HostId>", b"")
    assert kinds(check_error(svc("s3"), 404, {}, no_host).findings) == {("envelope", "$.Error")}


@pytest.mark.parametrize("text", ["2024-01-01T00:00:00Z", "2024-01-01T00:00:00.123Z", "2024-01-01T00:00:00+00:00"])
def test_iso8601_forms_accepted(text: str) -> None:
    body = _iam(USER.format(extra="").replace("2024-01-01T00:00:00Z", text))
    assert check_output(op("iam", "GetUser"), 200, {}, body) == []


# --- CBOR (smithy-rpc-v2-cbor) and the allow-lists ----------------------------------------------

def test_cbor_timestamps_must_be_tagged_and_blobs_bytes() -> None:
    import datetime as dt

    import cbor2

    o = op("servicediscovery", "GetNamespace")
    if "smithy-rpc-v2-cbor" not in (o.service_model.metadata.get("protocols") or []):
        pytest.skip("this botocore's Cloud Map model has no CBOR protocol")
    cbor = {"content-type": "application/cbor"}
    good = cbor2.dumps({"Namespace": {"Id": "ns-1", "CreateDate": dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)}},
                       datetime_as_timestamp=True)
    assert check_output(o, 200, cbor, good) == []
    bad = cbor2.dumps({"Namespace": {"Id": "ns-1", "CreateDate": "2024-01-01"}})
    assert kinds(check_output(o, 200, cbor, bad)) == {("timestamp", "$.Namespace.CreateDate")}
    # the same model answered in json (content-type says which): epoch numbers
    assert check_output(o, 200, {"content-type": "application/x-amz-json-1.1"},
                        b'{"Namespace":{"Id":"ns-1","CreateDate":1704067200}}') == []


def test_allow_lists_only_cover_what_aws_sends() -> None:
    body = json.dumps({"FunctionName": "f", "LastUpdateStatusReasonCode": "Creating"}).encode()
    assert check_output(op("lambda", "UpdateFunctionConfiguration"), 200, {}, body) == []
    body = json.dumps({"FunctionName": "f", "LastUpdateStatusReasonCode": "Updating"}).encode()
    assert kinds(check_output(op("lambda", "UpdateFunctionConfiguration"), 200, {}, body)) == {
        ("enum", "$.LastUpdateStatusReasonCode")}
    zones = (b'<ListHostedZonesResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><HostedZones/>'
             b"<IsTruncated>false</IsTruncated><MaxItems>100</MaxItems></ListHostedZonesResponse>")
    assert check_output(op("route53", "ListHostedZones"), 200, {}, zones) == []
    assert kinds(check_output(op("route53", "ListHealthChecks"), 200, {}, zones.replace(
        b"ListHostedZonesResponse", b"ListHealthChecksResponse").replace(b"HostedZones", b"HealthChecks"))) == {
        ("required", "$ListHealthChecksResponse.Marker")}
