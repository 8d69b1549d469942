"""Custom domain names and API mappings of API Gateway v2: the control plane with AWS's rules
and errors, one namespace shared with REST API Gateway (a domain made through either API is
seen by both), requests by Host header routed by the longest API mapping key (multi-level
keys, the key stripped) to an HTTP API's stage or `$default` stage or a REST API's stage, and
the domain's ApiGatewayDomainName in gureum's DNS with a Route 53 alias to it."""

from __future__ import annotations

import http.client
import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for

from tests.apigateway.test_domains import mock_api
from tests.elbv2.elb_helpers import resolve

CERT = "arn:aws:acm:us-east-1:000000000000:certificate/22222222-3333-4444-5555-666666666666"
ECHO = '''
import json
def handler(event, context):
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}
'''


@pytest.fixture(scope="module")
def rest(gureum: Any) -> Any:
    return gureum.client("apigateway")


@pytest.fixture(scope="module")
def echo_fn(make_function: Any) -> str:
    return str(make_function(ECHO))


def unique_domain() -> str:
    return f"api-{uuid.uuid4().hex[:8]}.example.test"


def get(gureum: Any, host: str, path: str) -> tuple[int, Any]:
    port = int(gureum.endpoint.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path, headers={"Host": f"{host}:{port}"})
        r = conn.getresponse()
        data = r.read()
    finally:
        conn.close()
    try:
        return r.status, json.loads(data) if data else None
    except ValueError:
        return r.status, data


def error_of(e: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    err = e.value.response
    return err["Error"]["Code"], err["Error"]["Message"], err["ResponseMetadata"]["HTTPStatusCode"]


def test_domain_names_share_one_namespace_with_rest_api_gateway(apigw: Any, rest: Any) -> None:
    name = unique_domain()
    d = apigw.create_domain_name(DomainName=name, DomainNameConfigurations=[{"CertificateArn": CERT}],
                                 Tags={"team": "a"})
    conf = d["DomainNameConfigurations"][0]
    assert d["DomainName"] == name and d["ApiMappingSelectionExpression"] == "$request.basepath"
    assert conf["EndpointType"] == "REGIONAL" and conf["DomainNameStatus"] == "AVAILABLE"
    assert conf["SecurityPolicy"] == "TLS_1_2" and conf["CertificateArn"] == CERT
    assert conf["ApiGatewayDomainName"].startswith("d-")
    assert conf["ApiGatewayDomainName"].endswith(".execute-api.us-east-1.amazonaws.com")
    assert conf["HostedZoneId"] == "Z1UJRXOUMOOFQ8" and d["Tags"] == {"team": "a"}
    # the same record through REST API Gateway, and a conflict through either API
    v1 = rest.get_domain_name(domainName=name)
    assert (v1["regionalDomainName"], v1["regionalCertificateArn"]) == (conf["ApiGatewayDomainName"], CERT)
    with pytest.raises(ClientError) as e:
        rest.create_domain_name(domainName=name, regionalCertificateArn=CERT, endpointConfiguration={"types": ["REGIONAL"]})
    assert error_of(e)[0] == "ConflictException"
    with pytest.raises(ClientError) as e:
        apigw.create_domain_name(DomainName=name, DomainNameConfigurations=[{"CertificateArn": CERT}])
    assert error_of(e) == ("ConflictException", "The domain name you provided already exists.", 409)
    # a domain name made through v1 is v2's too
    other = unique_domain()
    rest.create_domain_name(domainName=other, regionalCertificateArn=CERT, endpointConfiguration={"types": ["REGIONAL"]})
    assert apigw.get_domain_name(DomainName=other)["DomainNameConfigurations"][0]["CertificateArn"] == CERT
    listed = [x["DomainName"] for x in apigw.get_paginator("get_domain_names").paginate(
        PaginationConfig={"PageSize": 1}).build_full_result()["Items"]]
    assert {name, other} <= set(listed)
    updated = apigw.update_domain_name(DomainName=name, DomainNameConfigurations=[
        {"CertificateArn": CERT.replace("2222", "9999"), "SecurityPolicy": "TLS_1_0"}])
    assert updated["DomainNameConfigurations"][0]["SecurityPolicy"] == "TLS_1_0"
    assert rest.get_domain_name(domainName=name)["securityPolicy"] == "TLS_1_0"
    with pytest.raises(ClientError) as e:
        apigw.create_domain_name(DomainName=unique_domain(), DomainNameConfigurations=[
            {"CertificateArn": CERT, "EndpointType": "EDGE"}])
    assert error_of(e)[0] == "BadRequestException"
    apigw.delete_domain_name(DomainName=other)
    with pytest.raises(ClientError) as e:
        rest.get_domain_name(domainName=other)
    assert error_of(e)[0] == "NotFoundException"
    with pytest.raises(ClientError) as e:
        apigw.get_domain_name(DomainName=other)
    assert error_of(e) == ("NotFoundException", "Invalid domain name identifier specified", 404)
    apigw.delete_domain_name(DomainName=name)


def test_api_mappings_route_http_and_rest_apis_by_the_longest_key(gureum: Any, apigw: Any, rest: Any,
                                                                 echo_fn: str) -> None:
    quick = apigw.create_api(Name=f"d{uuid.uuid4().hex[:6]}", ProtocolType="HTTP", Target=echo_fn)["ApiId"]
    named = apigw.create_api(Name=f"d{uuid.uuid4().hex[:6]}", ProtocolType="HTTP", Target=echo_fn)["ApiId"]
    apigw.create_stage(ApiId=named, StageName="live", AutoDeploy=True)
    rest_api = mock_api(rest, "rest")
    name = unique_domain()
    apigw.create_domain_name(DomainName=name, DomainNameConfigurations=[{"CertificateArn": CERT}])
    m1 = apigw.create_api_mapping(DomainName=name, ApiId=quick, Stage="$default", ApiMappingKey="orders/v1")
    assert (m1["ApiMappingKey"], m1["ApiId"], m1["Stage"]) == ("orders/v1", quick, "$default")
    m2 = apigw.create_api_mapping(DomainName=name, ApiId=named, Stage="live", ApiMappingKey="orders")
    m3 = apigw.create_api_mapping(DomainName=name, ApiId=rest_api, Stage="prod")  # the empty key: the rest
    assert m3["ApiMappingKey"] == ""
    assert apigw.get_api_mapping(DomainName=name, ApiMappingId=m2["ApiMappingId"])["Stage"] == "live"
    items = apigw.get_api_mappings(DomainName=name)["Items"]
    assert sorted(i["ApiMappingId"] for i in items) == sorted(m["ApiMappingId"] for m in (m1, m2, m3))
    # REST API Gateway sees the same mappings as base path mappings
    paths = {m["basePath"]: m["restApiId"] for m in rest.get_base_path_mappings(domainName=name)["items"]}
    assert paths == {"orders/v1": quick, "orders": named, "(none)": rest_api}

    status, event = wait_for("the deeper key serving", lambda: (lambda r: r if r[0] == 200 else None)(
        get(gureum, name, "/orders/v1/items/7?x=1")), 60)
    assert event["requestContext"]["domainName"] == name and event["requestContext"]["stage"] == "$default"
    assert event["requestContext"]["http"]["path"] == "/orders/v1/items/7"
    assert event["rawPath"] == "/orders/v1/items/7" and event["rawQueryString"] == "x=1"
    status, event = get(gureum, name, "/orders/items/8")
    assert status == 200 and event["requestContext"]["stage"] == "live"
    assert event["requestContext"]["apiId"] == named
    assert get(gureum, name, "/customers/1") == (200, {"api": "rest", "proxy": "customers/1", "stage": "prod"})

    # AWS's errors
    with pytest.raises(ClientError) as e:
        apigw.create_api_mapping(DomainName=name, ApiId=named, Stage="live", ApiMappingKey="orders")
    assert error_of(e) == ("ConflictException", "ApiMapping key already exists for this domain name", 409)
    with pytest.raises(ClientError) as e:
        apigw.create_api_mapping(DomainName=name, ApiId=named, Stage="nope", ApiMappingKey="x")
    assert error_of(e)[0] == "NotFoundException"
    with pytest.raises(ClientError) as e:
        apigw.create_api_mapping(DomainName=name, ApiId="zzzzzzzzzz", Stage="live", ApiMappingKey="x")
    assert error_of(e)[0] == "NotFoundException"
    with pytest.raises(ClientError) as e:
        apigw.create_api_mapping(DomainName=unique_domain(), ApiId=named, Stage="live", ApiMappingKey="x")
    assert error_of(e) == ("NotFoundException", "Invalid domain name identifier specified", 404)
    with pytest.raises(ClientError) as e:
        apigw.create_api_mapping(DomainName=name, ApiId=named, Stage="live", ApiMappingKey="bad key")
    assert error_of(e)[0] == "BadRequestException"
    with pytest.raises(ClientError) as e:
        apigw.get_api_mapping(DomainName=name, ApiMappingId="nosuch")
    assert error_of(e)[0] == "NotFoundException"

    # a key moved and a mapping deleted: requests follow at once
    moved = apigw.update_api_mapping(DomainName=name, ApiMappingId=m2["ApiMappingId"], ApiId=named,
                                     ApiMappingKey="shop")
    assert (moved["ApiMappingKey"], moved["ApiMappingId"]) == ("shop", m2["ApiMappingId"])
    status, event = get(gureum, name, "/shop/a")
    assert status == 200 and event["requestContext"]["apiId"] == named
    assert get(gureum, name, "/orders/items/8") == (200, {"api": "rest", "proxy": "orders/items/8", "stage": "prod"})
    apigw.delete_api_mapping(DomainName=name, ApiMappingId=m1["ApiMappingId"])
    assert get(gureum, name, "/orders/v1/items/7")[1]["api"] == "rest"
    apigw.delete_domain_name(DomainName=name)
    assert get(gureum, name, "/shop/a")[0] in (403, 404)


def test_disabled_execute_api_endpoint_still_serves_its_custom_domain(gureum: Any, apigw: Any, echo_fn: str) -> None:
    api = apigw.create_api(Name=f"d{uuid.uuid4().hex[:6]}", ProtocolType="HTTP", Target=echo_fn,
                           DisableExecuteApiEndpoint=True)["ApiId"]
    name = unique_domain()
    apigw.create_domain_name(DomainName=name, DomainNameConfigurations=[{"CertificateArn": CERT}])
    apigw.create_api_mapping(DomainName=name, ApiId=api, Stage="$default")
    status, event = wait_for("the domain serving", lambda: (lambda r: r if r[0] == 200 else None)(
        get(gureum, name, "/hello")), 60)
    assert event["rawPath"] == "/hello" and event["requestContext"]["domainName"] == name
    apigw.delete_domain_name(DomainName=name)


def test_api_gateway_domain_name_and_an_alias_to_it_resolve(gureum: Any, apigw: Any, echo_fn: str) -> None:
    r53 = gureum.client("route53")
    api = apigw.create_api(Name=f"d{uuid.uuid4().hex[:6]}", ProtocolType="HTTP", Target=echo_fn)["ApiId"]
    zone_name = f"{uuid.uuid4().hex[:8]}.example.com"
    custom = f"api.{zone_name}"
    conf = apigw.create_domain_name(DomainName=custom, DomainNameConfigurations=[
        {"CertificateArn": CERT}])["DomainNameConfigurations"][0]
    apigw.create_api_mapping(DomainName=custom, ApiId=api, Stage="$default", ApiMappingKey="v2")
    address = wait_for("the regional name in DNS", lambda: resolve(gureum.dns_port, conf["ApiGatewayDomainName"]), 20)
    assert address == "127.0.0.1"
    zone = r53.create_hosted_zone(Name=zone_name, CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
        "Name": custom, "Type": "A", "AliasTarget": {
            "HostedZoneId": conf["HostedZoneId"], "DNSName": conf["ApiGatewayDomainName"],
            "EvaluateTargetHealth": False}}}]})
    resolved = wait_for("the alias", lambda: resolve(gureum.dns_port, custom), 20)
    assert resolved == address
    port = int(gureum.endpoint.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection(resolved, port, timeout=60)
    conn.request("GET", "/v2/ping", headers={"Host": f"{custom}:{port}"})
    r = conn.getresponse()
    event = json.loads(r.read())
    conn.close()
    assert r.status == 200 and event["requestContext"]["apiId"] == api
    apigw.delete_domain_name(DomainName=custom)
    wait_for("the alias gone with its domain name", lambda: resolve(gureum.dns_port, custom) is None, 20)
