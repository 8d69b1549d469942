"""Custom domain names and base path mappings: the control plane with AWS's rules, and
requests answered by Host header through the mapping's API and stage."""

from __future__ import annotations

import http.client
import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError


@pytest.fixture(scope="module")
def apigw(gureum: Any) -> Any:
    return gureum.client("apigateway")


def mock_api(apigw: Any, answer: str) -> str:
    api = apigw.create_rest_api(name=f"dom-{uuid.uuid4().hex[:6]}")
    rid = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="{proxy+}")["id"]
    apigw.put_method(restApiId=api["id"], resourceId=rid, httpMethod="ANY", authorizationType="NONE")
    apigw.put_integration(restApiId=api["id"], resourceId=rid, httpMethod="ANY", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(restApiId=api["id"], resourceId=rid, httpMethod="ANY", statusCode="200")
    apigw.put_integration_response(restApiId=api["id"], resourceId=rid, httpMethod="ANY", statusCode="200",
                                   responseTemplates={"application/json": '{"api": "' + answer + '", "proxy": "$input.params(\'proxy\')", "stage": "$context.stage"}'})
    apigw.create_deployment(restApiId=api["id"], stageName="prod")
    return str(api["id"])


def get(gureum: Any, host: str, path: str) -> tuple[int, Any]:
    port = int(gureum.endpoint.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Host": f"{host}:{port}"})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    try:
        return r.status, json.loads(data) if data else None
    except ValueError:
        return r.status, data


def test_domain_names_and_base_path_mappings_route_by_host(apigw: Any, gureum: Any) -> None:
    one, two = mock_api(apigw, "one"), mock_api(apigw, "two")
    name = f"api-{uuid.uuid4().hex[:6]}.example.test"
    with pytest.raises(ClientError) as e:
        apigw.create_domain_name(domainName=name, endpointConfiguration={"types": ["REGIONAL"]})
    assert e.value.response["Error"]["Code"] == "BadRequestException"
    cert = "arn:aws:acm:us-east-1:000000000000:certificate/11111111-2222-3333-4444-555555555555"
    d = apigw.create_domain_name(domainName=name, regionalCertificateArn=cert, endpointConfiguration={"types": ["REGIONAL"]})
    assert d["domainNameStatus"] == "AVAILABLE" and d["regionalDomainName"].endswith(".execute-api.us-east-1.amazonaws.com")
    assert d["regionalHostedZoneId"] == "Z1UJRXOUMOOFQ8"
    with pytest.raises(ClientError) as e:
        apigw.create_domain_name(domainName=name, regionalCertificateArn=cert, endpointConfiguration={"types": ["REGIONAL"]})
    assert e.value.response["Error"]["Code"] == "ConflictException"
    apigw.create_base_path_mapping(domainName=name, basePath="v1", restApiId=one, stage="prod")
    apigw.create_base_path_mapping(domainName=name, restApiId=two, stage="prod")  # (none): everything else
    with pytest.raises(ClientError) as e:
        apigw.create_base_path_mapping(domainName=name, basePath="v1", restApiId=two, stage="prod")
    assert e.value.response["Error"]["Code"] == "ConflictException"
    with pytest.raises(ClientError) as e:
        apigw.create_base_path_mapping(domainName=name, basePath="v9", restApiId=two, stage="nostage")
    assert e.value.response["Error"]["Code"] == "BadRequestException"
    assert sorted(m["basePath"] for m in apigw.get_base_path_mappings(domainName=name)["items"]) == ["(none)", "v1"]
    assert get(gureum, name, "/v1/a/b") == (200, {"api": "one", "proxy": "a/b", "stage": "prod"})
    assert get(gureum, name, "/other/c") == (200, {"api": "two", "proxy": "other/c", "stage": "prod"})
    apigw.delete_base_path_mapping(domainName=name, basePath="(none)")
    assert get(gureum, name, "/other/c")[0] == 403
    apigw.delete_domain_name(domainName=name)
    with pytest.raises(ClientError) as e:
        apigw.get_domain_name(domainName=name)
    assert e.value.response["Error"]["Code"] == "NotFoundException"
    # no longer a custom domain: the Host is not API Gateway's any more
    status, _ = get(gureum, name, "/v1/a/b")
    assert status != 200


def test_canary_deployment_takes_its_share_of_traffic(apigw: Any, gureum: Any) -> None:
    api = apigw.create_rest_api(name="canary")
    rid = api["rootResourceId"]
    apigw.put_method(restApiId=api["id"], resourceId=rid, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api["id"], resourceId=rid, httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(restApiId=api["id"], resourceId=rid, httpMethod="GET", statusCode="200")

    def answer(text: str) -> None:
        apigw.put_integration_response(restApiId=api["id"], resourceId=rid, httpMethod="GET", statusCode="200",
                                       responseTemplates={"application/json": '{"v": "' + text + '", "color": "$stageVariables.color"}'})

    answer("1")
    apigw.create_deployment(restApiId=api["id"], stageName="live", variables={"color": "blue"})
    answer("2")
    canary = apigw.create_deployment(restApiId=api["id"])["id"]
    path = f"/_aws/execute-api/{api['id']}/live/"
    port = int(gureum.endpoint.rsplit(":", 1)[1])

    def served() -> Any:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", path)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return json.loads(data)

    assert served() == {"v": "1", "color": "blue"}
    apigw.update_stage(restApiId=api["id"], stageName="live", patchOperations=[
        {"op": "replace", "path": "/canarySettings/deploymentId", "value": canary},
        {"op": "replace", "path": "/canarySettings/percentTraffic", "value": "100"},
        {"op": "replace", "path": "/canarySettings/stageVariableOverrides/color", "value": "green"}])
    assert [served() for _ in range(5)] == [{"v": "2", "color": "green"}] * 5
    apigw.update_stage(restApiId=api["id"], stageName="live", patchOperations=[
        {"op": "replace", "path": "/canarySettings/percentTraffic", "value": "0"}])
    assert [served() for _ in range(5)] == [{"v": "1", "color": "blue"}] * 5
