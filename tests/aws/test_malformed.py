"""Malformed requests get the AWS-shaped 4xx each service answers, never a 500: one test per
class of input that crashed gureum (security issue item 8, parts of item 7), sent over a raw
socket (so no client fixes the bytes up) with a SigV4 scope, or through botocore."""

from __future__ import annotations

import json
import socket
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import urlsplit

import botocore.exceptions
import cbor2
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from harness import GureumProcess

CREDS = Credentials("test", "test")


def send(gureum: GureumProcess, method: str, path: bytes, body: bytes = b"", headers: dict[str, str] | None = None,
         service: str = "s3") -> tuple[int, dict[str, str], bytes]:
    """A request signed for `service` (its scope routes it), written byte for byte."""
    h = dict(headers or {})
    req = AWSRequest(method=method, url=gureum.endpoint + "/", data=body, headers=h)
    SigV4Auth(CREDS, service, "us-east-1").add_auth(req)
    h = {k: v for k, v in req.headers.items()}
    h["Host"] = urlsplit(gureum.endpoint).netloc
    h["Content-Length"] = str(len(body))
    h["Connection"] = "close"
    raw = method.encode() + b" " + path + b" HTTP/1.1\r\n"
    raw += b"".join(f"{k}: {v}\r\n".encode("latin-1") for k, v in h.items()) + b"\r\n" + body
    with socket.create_connection(("127.0.0.1", gureum.port), timeout=60) as sock:
        sock.sendall(raw)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, payload = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    hdrs = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    return status, hdrs, payload


def json_target(gureum: GureumProcess, target: str, body: bytes, service: str, version: str = "1.1") -> tuple[int, dict[str, Any]]:
    status, headers, payload = send(
        gureum, "POST", b"/", body,
        {"X-Amz-Target": target, "Content-Type": f"application/x-amz-json-{version}"}, service,
    )
    assert headers["content-type"].startswith("application/x-amz-json"), (status, headers, payload[:200])
    return status, json.loads(payload)


def no_validation(gureum: GureumProcess, service: str) -> Any:
    """A botocore client that sends what it is given (AWS's server-side checks answer)."""
    return gureum.client(service, config=Config(parameter_validation=False, retries={"max_attempts": 1}))


# --- the shared wire layer ----------------------------------------------------------------


@pytest.mark.parametrize("depth", [150, 1_100, 50_000])
def test_json_nested_deep_is_a_serialization_exception(gureum: GureumProcess, depth: int) -> None:
    body = b'{"logGroupNamePrefix":' + b'{"a":' * depth + b"1" + b"}" * depth + b"}"
    status, doc = json_target(gureum, "Logs_20140328.DescribeLogGroups", body, "logs")
    assert status == 400
    assert doc["__type"] == "SerializationException"
    assert "nested deeper" in doc["message"]


def test_cbor_nested_deep_is_a_serialization_exception(gureum: GureumProcess) -> None:
    # Refused by the protocol whatever member holds it (the walk that follows would recurse).
    nested: Any = 1
    for _ in range(150):
        nested = [nested]
    status, headers, payload = send(
        gureum, "POST", b"/service/AmazonSQS/operation/ListQueues", cbor2.dumps({"Unmodelled": nested}),
        {"smithy-protocol": "rpc-v2-cbor", "Content-Type": "application/cbor", "Accept": "application/cbor"}, "sqs",
    )
    assert status == 400
    assert cbor2.loads(payload)["__type"] == "SerializationException"


def test_a_lone_surrogate_is_refused_as_json_not_a_bare_500(gureum: GureumProcess) -> None:
    # The value used to be echoed by the validation error and crash its encoder (500 text/plain).
    status, doc = json_target(gureum, "Logs_20140328.CreateLogGroup", b'{"logGroupName":"\\ud800 x"}', "logs")
    assert status == 400
    assert doc["__type"] == "SerializationException"
    # Paired surrogates are one character, and fine.
    status, doc = json_target(gureum, "Logs_20140328.DescribeLogGroups", b'{"logGroupNamePrefix":"\\ud83d\\ude00"}', "logs")
    assert status == 400 and doc["__type"] == "InvalidParameterException"  # the pattern, not the encoding


def test_a_lone_surrogate_in_a_name_never_reaches_the_store(gureum: GureumProcess) -> None:
    status, doc = json_target(
        gureum, "AmazonEC2ContainerServiceV20141113.DescribeClusters", b'{"clusters":["a\\udfffb"]}', "ecs",
    )
    assert status == 400
    assert doc["__type"] == "SerializationException"


def test_xml_with_a_dtd_is_refused_and_its_entities_never_expanded(gureum: GureumProcess) -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "EXPANDED">]>'
        b'<CreateHostedZoneRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/">'
        b"<Name>dtd-refused.example.com</Name><CallerReference>dtd-1</CallerReference>"
        b"<HostedZoneConfig><Comment>&e;</Comment></HostedZoneConfig></CreateHostedZoneRequest>"
    )
    status, headers, payload = send(gureum, "POST", b"/2013-04-01/hostedzone", body, {}, "route53")
    assert status == 400
    root = ET.fromstring(payload)
    assert root.find(".//{*}Code").text == "MalformedXML"  # type: ignore[union-attr]
    zones = gureum.client("route53").list_hosted_zones_by_name(DNSName="dtd-refused.example.com")["HostedZones"]
    assert not [z for z in zones if z["Name"] == "dtd-refused.example.com."]


def test_an_echoed_value_is_clipped_in_the_validation_message(gureum: GureumProcess) -> None:
    logs = no_validation(gureum, "logs")
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        logs.create_log_group(logGroupName="!" * 200_000)
    err = exc.value.response["Error"]
    assert err["Code"] == "InvalidParameterException"
    assert "at 'logGroupName' failed to satisfy constraint: Member must have length less than or equal to 512" in err["Message"]
    assert len(err["Message"]) < 1_000


def test_a_huge_value_is_refused_without_running_its_pattern(gureum: GureumProcess) -> None:
    # anomalyDetectorArn has a pattern and no maximum length: a 2 MiB value that the pattern
    # would accept is refused by the limit (the regex would hold the GIL for its whole run).
    logs = no_validation(gureum, "logs")
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        logs.list_anomalies(anomalyDetectorArn="a" * (2 << 20))
    err = exc.value.response["Error"]
    assert err["Code"] == "InvalidParameterException"
    assert "Member must satisfy regular expression pattern" in err["Message"]
    assert len(err["Message"]) < 1_000


def test_a_string_payload_that_is_not_utf8_is_a_400(gureum: GureumProcess) -> None:
    gureum.client("s3").create_bucket(Bucket="malformed-policy")
    status, _, payload = send(gureum, "PUT", b"/malformed-policy?policy", b'{"Version":"2012-10-17\xc0\xaf"}', {}, "s3")
    assert status == 400
    assert ET.fromstring(payload).findtext("Code") == "InvalidArgument"


def test_a_path_that_is_not_utf8_once_decoded_is_a_400(gureum: GureumProcess) -> None:
    gureum.client("s3").create_bucket(Bucket="malformed-path")
    for path in (b"/malformed-path/%FF%FE", b"/malformed-path/a%ED%A0%80b", b"/malformed-path/%C0%AF"):
        status, _, payload = send(gureum, "GET", path, b"", {}, "s3")
        assert status == 400, (path, payload)
        assert ET.fromstring(payload).findtext("Code") == "InvalidURI"
    status, headers, payload = send(gureum, "GET", b"/2015-03-31/functions/%FF%FE", b"", {}, "lambda")
    assert status == 400
    assert headers["x-amzn-errortype"] == "ValidationException"


# --- per service ----------------------------------------------------------------------------


def test_an_s3_bucket_name_with_nul_is_invalid_bucket_name_in_wellformed_xml(gureum: GureumProcess) -> None:
    for method, path in (("GET", b"/bad%00name?location"), ("PUT", b"/bad%00name"), ("GET", b"/bad%00name/key")):
        status, headers, payload = send(gureum, method, path, b"", {}, "s3")
        assert status == 400, (method, path, payload)
        root = ET.fromstring(payload)  # no raw NUL in the document
        assert root.findtext("Code") == "InvalidBucketName"


def test_cloud_map_next_token_that_is_not_ours_is_invalid_input(gureum: GureumProcess) -> None:
    sd = gureum.client("servicediscovery")
    for token in ("!!!not-base64", "bm90LWEtbnVtYmVy", "LTU="):  # garbage, "not-a-number", "-5"
        with pytest.raises(botocore.exceptions.ClientError) as exc:
            sd.list_namespaces(NextToken=token)
        assert exc.value.response["Error"]["Code"] == "InvalidInput"
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_nul_in_an_identifier_is_the_services_validation_error(gureum: GureumProcess) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        gureum.client("servicediscovery").get_namespace(Id="ns-a\x00b")
    assert exc.value.response["Error"]["Code"] == "InvalidInput"
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        gureum.client("ecs").deregister_container_instance(containerInstance="a\x00b")
    assert exc.value.response["Error"]["Code"] == "InvalidParameterException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_route53_private_zone_with_an_empty_vpc_is_invalid_vpc_id(gureum: GureumProcess) -> None:
    body = (
        b'<CreateHostedZoneRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/">'
        b"<Name>empty-vpc.example.com</Name><VPC /><CallerReference>empty-vpc-1</CallerReference>"
        b"</CreateHostedZoneRequest>"
    )
    status, _, payload = send(gureum, "POST", b"/2013-04-01/hostedzone", body, {}, "route53")
    assert status == 400
    assert ET.fromstring(payload).find(".//{*}Code").text == "InvalidVPCId"  # type: ignore[union-attr]


def test_route53_account_limit_of_every_type_is_answered(gureum: GureumProcess) -> None:
    """GetAccountLimit answers each type the model lists (the newest, health check sources, too)."""
    r53 = gureum.client("route53")
    assert r53.get_account_limit(Type="MAX_HEALTH_CHECK_SOURCES_BY_OWNER")["Limit"]["Value"] > 0
    assert r53.get_account_limit(Type="MAX_HOSTED_ZONES_BY_OWNER")["Limit"]["Value"] > 0


# --- validation error codes per service (AWS's API references) -------------------------------


VALIDATION_CASES = [
    ("logs", "create_log_group", {"logGroupName": "bad name!"}, "InvalidParameterException"),
    ("iam", "get_user", {"UserName": "bad name!"}, "ValidationError"),
    ("sts", "assume_role", {"RoleArn": "arn:aws:iam::000000000000:role/r", "RoleSessionName": "bad name!"}, "ValidationError"),
    ("route53", "get_hosted_zone", {"Id": "Z" * 40}, "InvalidInput"),
    ("servicediscovery", "create_http_namespace", {"Name": "arn:bad"}, "InvalidInput"),
    ("ecr", "describe_repositories", {"repositoryNames": ["BAD NAME"]}, "InvalidParameterException"),
    ("lambda", "get_function", {"FunctionName": "bad name!"}, "ValidationException"),
    ("sns", "list_tags_for_resource", {"ResourceArn": ""}, "ValidationError"),
]


@pytest.mark.parametrize(("service", "method", "kwargs", "code"), VALIDATION_CASES, ids=[c[0] for c in VALIDATION_CASES])
def test_a_model_constraint_violation_gets_the_services_own_code(
    gureum: GureumProcess, service: str, method: str, kwargs: dict[str, Any], code: str
) -> None:
    client = no_validation(gureum, service)
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        getattr(client, method)(**kwargs)
    err = exc.value.response["Error"]
    assert err["Code"] == code, err
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "validation error" in err["Message"]


# --- routing ----------------------------------------------------------------------------------


def test_apigateway_rest_apis_route_to_apigateway_not_to_apigatewayv2(gureum: GureumProcess) -> None:
    # REST APIs (v1) are served; an operation not built yet is named as apigateway's.
    res = gureum.aws("apigateway", "get-domain-name-access-associations", check=False)
    assert res.returncode != 0
    assert "NotImplemented" in res.stderr
    assert "gureum does not implement apigateway GetDomainNameAccessAssociations yet" in res.stderr
    assert "No apigatewayv2 operation" not in res.stderr
    assert gureum.aws("apigateway", "get-rest-apis", check=False).returncode == 0
    # apigatewayv2's own paths route to apigatewayv2 (served too).
    v2 = gureum.aws("apigatewayv2", "get-apis", check=False)
    assert v2.returncode == 0 and "Items" in v2.stdout, v2.stderr


@pytest.mark.parametrize(("target", "body", "service", "version"), [
    ("secretsmanager.CreateSecret", {"Name": "raw-token", "SecretString": "s"}, "secretsmanager", "1.1"),
    ("DynamoDB_20120810.TransactWriteItems", {"TransactItems": [{"ConditionCheck": {
        "TableName": "no-such-table", "Key": {"k": {"S": "x"}}, "ConditionExpression": "attribute_exists(k)"}}]},
     "dynamodb", "1.0"),
])
def test_an_idempotency_token_left_out_of_a_raw_request_is_filled_as_sdks_fill_it(
        gureum: GureumProcess, target: str, body: dict[str, Any], service: str, version: str) -> None:
    """SDKs fill a member with the `idempotencyToken` trait the caller leaves out; a raw
    request without it is answered the same way (found by the fuzzer: a 500 before)."""
    status, doc = json_target(gureum, target, json.dumps(body).encode(), service, version)
    assert status < 500, doc
    if service == "secretsmanager":
        assert status == 200 and len(doc["VersionId"]) == 36, doc


@pytest.mark.parametrize(("service", "method", "kwargs", "code"), [
    ("ecs", "create_cluster", {"clusterName": "c", "tags": [{"value": "v"}]}, "InvalidParameterException"),
    ("route53", "change_tags_for_resource", {"ResourceType": "healthcheck", "ResourceId": "x", "AddTags": [{"Value": "v"}]},
     "InvalidInput"),
    ("secretsmanager", "create_secret", {"Name": "tagless", "SecretString": "s", "Tags": [{"Value": "v"}]}, None),
    ("dynamodb", "create_table", {"TableName": "t", "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}],
                                  "BillingMode": "PAY_PER_REQUEST"}, "ValidationException"),
    ("logs", "put_resource_policy", {"policyName": "p"}, "InvalidParameterException"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_members_the_model_leaves_optional_but_the_service_needs_are_4xx(
        gureum: GureumProcess, service: str, method: str, kwargs: dict[str, Any], code: str | None) -> None:
    """Found by the fuzzer: a tag without its key, a table without a key schema, a resource
    policy without a document were 500s (KeyError in the handler)."""
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        getattr(no_validation(gureum, service), method)(**kwargs)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] < 500, exc.value.response
    if code is not None:
        assert exc.value.response["Error"]["Code"] == code, exc.value.response["Error"]
