"""API Gateway REST APIs' control plane through boto3 against a real gureum: APIs with their
root resource, resources with {param} and {proxy+} path parts and AWS's rules for them,
methods, method responses, integrations, integration responses, deployments and stages
(variables, method settings, canary settings), models, request validators, tags, paging
with position/limit, AWS's errors and messages, and durability across a restart."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError


@pytest.fixture(scope="module")
def apigw(gureum: Any) -> Any:
    return gureum.client("apigateway")


def error_of(call: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as e:
        call()
    r = e.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def new_api(apigw: Any, **kwargs: Any) -> dict[str, Any]:
    return apigw.create_rest_api(name=f"api-{uuid.uuid4().hex[:8]}", **kwargs)


def test_create_rest_api_has_a_root_resource_and_aws_defaults(apigw: Any) -> None:
    api = new_api(apigw, description="d", tags={"team": "a"})
    assert len(api["id"]) == 10 and api["id"].isalnum() and api["id"].islower()
    assert api["apiKeySource"] == "HEADER"
    assert api["endpointConfiguration"]["types"] == ["EDGE"]
    assert api["disableExecuteApiEndpoint"] is False
    assert api["tags"] == {"team": "a"}
    resources = apigw.get_resources(restApiId=api["id"])["items"]
    assert resources == [{"id": api["rootResourceId"], "path": "/"}]
    got = apigw.get_rest_api(restApiId=api["id"])
    assert got["name"] == api["name"] and got["description"] == "d"


def test_unknown_api_is_not_found_in_aws_words(apigw: Any, gureum: Any) -> None:
    code, message, status = error_of(lambda: apigw.get_rest_api(restApiId="nosuchapi0"))
    assert (code, status) == ("NotFoundException", 404)
    assert message == "Invalid API identifier specified 000000000000:nosuchapi0"
    code, _, _ = error_of(lambda: apigw.get_resources(restApiId="nosuchapi0"))
    assert code == "NotFoundException"


def test_update_rest_api_patches_fields_and_binary_media_types(apigw: Any) -> None:
    api = new_api(apigw)
    out = apigw.update_rest_api(restApiId=api["id"], patchOperations=[
        {"op": "replace", "path": "/name", "value": "renamed"},
        {"op": "add", "path": "/binaryMediaTypes/image~1png", "value": ""},
        {"op": "replace", "path": "/minimumCompressionSize", "value": "1024"},
    ])
    assert out["name"] == "renamed" and out["binaryMediaTypes"] == ["image/png"] and out["minimumCompressionSize"] == 1024
    code, message, _ = error_of(lambda: apigw.update_rest_api(restApiId=api["id"], patchOperations=[
        {"op": "replace", "path": "/nonsense", "value": "x"}]))
    assert code == "BadRequestException" and "/nonsense" in message


def test_resources_paths_variables_and_greedy_rules(apigw: Any) -> None:
    api = new_api(apigw)
    root = api["rootResourceId"]
    items = apigw.create_resource(restApiId=api["id"], parentId=root, pathPart="items")
    assert items["path"] == "/items" and items["parentId"] == root
    one = apigw.create_resource(restApiId=api["id"], parentId=items["id"], pathPart="{id}")
    assert one["path"] == "/items/{id}"
    code, message, status = error_of(lambda: apigw.create_resource(restApiId=api["id"], parentId=root, pathPart="items"))
    assert (code, status) == ("ConflictException", 409)
    assert message == "Another resource with the same parent already has this name: items"
    code, message, _ = error_of(lambda: apigw.create_resource(restApiId=api["id"], parentId=items["id"], pathPart="{other}"))
    assert code == "BadRequestException" and "only one is allowed" in message
    code, message, _ = error_of(lambda: apigw.create_resource(restApiId=api["id"], parentId=root, pathPart="a b"))
    assert code == "BadRequestException" and message.startswith("Resource's path part only allow a-zA-Z0-9._-")
    proxy = apigw.create_resource(restApiId=api["id"], parentId=root, pathPart="{proxy+}")
    code, message, _ = error_of(lambda: apigw.create_resource(restApiId=api["id"], parentId=proxy["id"], pathPart="x"))
    assert code == "BadRequestException" and "greedy path variable" in message
    code, message, _ = error_of(lambda: apigw.delete_resource(restApiId=api["id"], resourceId=root))
    assert code == "BadRequestException"
    code, message, status = error_of(lambda: apigw.get_resource(restApiId=api["id"], resourceId="nope00"))
    assert (code, message, status) == ("NotFoundException", "Invalid Resource identifier specified", 404)
    # deleting a resource deletes its children
    apigw.delete_resource(restApiId=api["id"], resourceId=items["id"])
    paths = sorted(r["path"] for r in apigw.get_resources(restApiId=api["id"])["items"])
    assert paths == ["/", "/{proxy+}"]


def test_methods_integrations_and_their_responses(apigw: Any) -> None:
    api = new_api(apigw)
    rid = api["rootResourceId"]
    m = apigw.put_method(restApiId=api["id"], resourceId=rid, httpMethod="GET", authorizationType="NONE",
                         requestParameters={"method.request.querystring.q": False})
    assert m["httpMethod"] == "GET" and m["apiKeyRequired"] is False
    code, message, _ = error_of(lambda: apigw.put_method(restApiId=api["id"], resourceId=rid, httpMethod="GET",
                                                         authorizationType="NONE"))
    assert (code, message) == ("ConflictException", "Method already exists for this resource")
    code, message, _ = error_of(lambda: apigw.put_method(restApiId=api["id"], resourceId=rid, httpMethod="FETCH",
                                                         authorizationType="NONE"))
    assert code == "BadRequestException" and "Invalid HttpMethod" in message
    code, message, _ = error_of(lambda: apigw.get_integration(restApiId=api["id"], resourceId=rid, httpMethod="GET"))
    assert (code, message) == ("NotFoundException", "Invalid Integration identifier specified")
    code, message, _ = error_of(lambda: apigw.put_integration(restApiId=api["id"], resourceId=rid, httpMethod="GET",
                                                              type="HTTP", uri="http://example.com"))
    assert (code, message) == ("BadRequestException", "Enumeration value for HttpMethod must be non-empty")
    integ = apigw.put_integration(restApiId=api["id"], resourceId=rid, httpMethod="GET", type="MOCK",
                                  requestTemplates={"application/json": '{"statusCode": 200}'})
    assert integ["type"] == "MOCK" and integ["passthroughBehavior"] == "WHEN_NO_MATCH" and integ["timeoutInMillis"] == 29000
    apigw.put_method_response(restApiId=api["id"], resourceId=rid, httpMethod="GET", statusCode="200")
    ir = apigw.put_integration_response(restApiId=api["id"], resourceId=rid, httpMethod="GET", statusCode="200",
                                        selectionPattern="", responseTemplates={"application/json": '{"ok": true}'})
    assert ir["statusCode"] == "200"
    method = apigw.get_method(restApiId=api["id"], resourceId=rid, httpMethod="GET")
    assert method["methodResponses"]["200"]["statusCode"] == "200"
    assert method["methodIntegration"]["integrationResponses"]["200"]["responseTemplates"] == {"application/json": '{"ok": true}'}
    updated = apigw.update_method(restApiId=api["id"], resourceId=rid, httpMethod="GET", patchOperations=[
        {"op": "replace", "path": "/apiKeyRequired", "value": "true"}])
    assert updated["apiKeyRequired"] is True
    embedded = apigw.get_resource(restApiId=api["id"], resourceId=rid, embed=["methods"])
    assert embedded["resourceMethods"]["GET"]["methodIntegration"]["type"] == "MOCK"
    apigw.delete_integration_response(restApiId=api["id"], resourceId=rid, httpMethod="GET", statusCode="200")
    code, message, _ = error_of(lambda: apigw.get_integration_response(restApiId=api["id"], resourceId=rid,
                                                                       httpMethod="GET", statusCode="200"))
    assert (code, message) == ("NotFoundException", "Invalid Response status code specified")
    apigw.delete_method(restApiId=api["id"], resourceId=rid, httpMethod="GET")
    code, message, _ = error_of(lambda: apigw.get_method(restApiId=api["id"], resourceId=rid, httpMethod="GET"))
    assert (code, message) == ("NotFoundException", "Invalid Method identifier specified")


def _mock_method(apigw: Any, api_id: str, resource_id: str, verb: str = "GET") -> None:
    apigw.put_method(restApiId=api_id, resourceId=resource_id, httpMethod=verb, authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=resource_id, httpMethod=verb, type="MOCK")


def test_deployments_and_stages(apigw: Any) -> None:
    api = new_api(apigw)
    code, message, _ = error_of(lambda: apigw.create_deployment(restApiId=api["id"], stageName="dev"))
    assert (code, message) == ("BadRequestException", "The REST API doesn't contain any methods")
    apigw.put_method(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET", authorizationType="NONE")
    code, message, _ = error_of(lambda: apigw.create_deployment(restApiId=api["id"], stageName="dev"))
    assert (code, message) == ("BadRequestException", "No integration defined for method")
    apigw.put_integration(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET", type="MOCK")
    dep = apigw.create_deployment(restApiId=api["id"], stageName="dev", variables={"v": "1"}, description="first")
    stage = apigw.get_stage(restApiId=api["id"], stageName="dev")
    assert stage["deploymentId"] == dep["id"] and stage["variables"] == {"v": "1"}
    code, message, _ = error_of(lambda: apigw.create_stage(restApiId=api["id"], stageName="dev", deploymentId=dep["id"]))
    assert (code, message) == ("ConflictException", "Stage already exists")
    code, message, _ = error_of(lambda: apigw.create_stage(restApiId=api["id"], stageName="x", deploymentId="nope00"))
    assert (code, message) == ("NotFoundException", "Invalid Deployment identifier specified")
    code, message, _ = error_of(lambda: apigw.create_stage(restApiId=api["id"], stageName="bad-name", deploymentId=dep["id"]))
    assert (code, message) == ("BadRequestException", "Stage name only allows a-zA-Z0-9_")
    prod = apigw.create_stage(restApiId=api["id"], stageName="prod", deploymentId=dep["id"],
                              canarySettings={"percentTraffic": 10.0, "deploymentId": dep["id"]}, tags={"env": "prod"})
    assert prod["canarySettings"]["percentTraffic"] == 10.0
    up = apigw.update_stage(restApiId=api["id"], stageName="prod", patchOperations=[
        {"op": "replace", "path": "/*/*/metrics/enabled", "value": "true"},
        {"op": "replace", "path": "/~1/GET/throttling/rateLimit", "value": "50"},
        {"op": "replace", "path": "/variables/color", "value": "blue"},
        {"op": "replace", "path": "/canarySettings/percentTraffic", "value": "25"},
    ])
    assert up["methodSettings"]["*/*"]["metricsEnabled"] is True
    assert up["methodSettings"]["~1/GET"]["throttlingRateLimit"] == 50.0
    assert up["variables"] == {"color": "blue"} and up["canarySettings"]["percentTraffic"] == 25.0
    names = sorted(s["stageName"] for s in apigw.get_stages(restApiId=api["id"])["item"])
    assert names == ["dev", "prod"]
    code, message, _ = error_of(lambda: apigw.delete_deployment(restApiId=api["id"], deploymentId=dep["id"]))
    assert (code, message) == ("BadRequestException", "Active stages pointing to this deployment must be moved or deleted")
    got = apigw.get_deployment(restApiId=api["id"], deploymentId=dep["id"])
    assert got["description"] == "first" and got["apiSummary"]["/"]["GET"]["authorizationType"] == "NONE"
    apigw.delete_stage(restApiId=api["id"], stageName="prod")
    code, message, _ = error_of(lambda: apigw.get_stage(restApiId=api["id"], stageName="prod"))
    assert (code, message) == ("NotFoundException", "Invalid Stage identifier specified")


def test_models_and_request_validators(apigw: Any) -> None:
    api = new_api(apigw)
    schema = json.dumps({"$schema": "http://json-schema.org/draft-04/schema#", "type": "object",
                         "properties": {"name": {"type": "string"}}, "required": ["name"]})
    model = apigw.create_model(restApiId=api["id"], name="Pet", contentType="application/json", schema=schema)
    assert model["name"] == "Pet" and model["schema"] == schema
    code, message, _ = error_of(lambda: apigw.create_model(restApiId=api["id"], name="Pet", contentType="application/json",
                                                           schema=schema))
    assert (code, message) == ("ConflictException", "Model name already exists for this REST API")
    code, _, _ = error_of(lambda: apigw.create_model(restApiId=api["id"], name="Bad", contentType="application/json",
                                                     schema="{not json"))
    assert code == "BadRequestException"
    code, message, _ = error_of(lambda: apigw.get_model(restApiId=api["id"], modelName="Nope"))
    assert (code, message) == ("NotFoundException", "Invalid model name specified: Nope")
    validator = apigw.create_request_validator(restApiId=api["id"], name="body", validateRequestBody=True)
    assert validator["validateRequestBody"] is True and validator["validateRequestParameters"] is False
    apigw.put_method(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="POST", authorizationType="NONE",
                     requestModels={"application/json": "Pet"}, requestValidatorId=validator["id"])
    code, message, _ = error_of(lambda: apigw.delete_model(restApiId=api["id"], modelName="Pet"))
    assert code == "ConflictException" and "Pet" in message
    code, message, _ = error_of(lambda: apigw.put_method(restApiId=api["id"], resourceId=api["rootResourceId"],
                                                         httpMethod="PUT", authorizationType="NONE",
                                                         requestValidatorId="nope00"))
    assert (code, message) == ("BadRequestException", "Invalid Request Validator identifier specified")
    assert [v["id"] for v in apigw.get_request_validators(restApiId=api["id"])["items"]] == [validator["id"]]
    assert "$inputRoot.name" in apigw.get_model_template(restApiId=api["id"], modelName="Pet")["value"]


def test_tags_on_apis_and_stages(apigw: Any, gureum: Any) -> None:
    api = new_api(apigw)
    arn = f"arn:aws:apigateway:us-east-1::/restapis/{api['id']}"
    apigw.tag_resource(resourceArn=arn, tags={"a": "1", "b": "2"})
    apigw.untag_resource(resourceArn=arn, tagKeys=["a"])
    assert apigw.get_tags(resourceArn=arn)["tags"] == {"b": "2"}
    assert apigw.get_rest_api(restApiId=api["id"])["tags"] == {"b": "2"}
    _mock_method(apigw, api["id"], api["rootResourceId"])
    apigw.create_deployment(restApiId=api["id"], stageName="s1")
    stage_arn = f"{arn}/stages/s1"
    apigw.tag_resource(resourceArn=stage_arn, tags={"env": "x"})
    assert apigw.get_tags(resourceArn=stage_arn)["tags"] == {"env": "x"}
    code, _, _ = error_of(lambda: apigw.get_tags(resourceArn="arn:aws:apigateway:us-east-1::/restapis/nosuchapi0"))
    assert code == "NotFoundException"


def test_paging_with_position_and_limit(apigw: Any, gureum: Any) -> None:
    api = new_api(apigw)
    for i in range(7):
        apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart=f"r{i}")
    seen: list[str] = []
    position = None
    pages = 0
    while True:
        kwargs = {"position": position} if position else {}
        page = apigw.get_resources(restApiId=api["id"], limit=3, **kwargs)
        seen += [r["path"] for r in page["items"]]
        pages += 1
        position = page.get("position")
        if not position:
            break
    assert pages == 3 and sorted(seen) == sorted(["/"] + [f"/r{i}" for i in range(7)])
    paginated = [r["path"] for p in apigw.get_paginator("get_resources").paginate(restApiId=api["id"],
                                                                                     PaginationConfig={"PageSize": 2})
                 for r in p["items"]]
    assert sorted(paginated) == sorted(seen)
    code, _, _ = error_of(lambda: apigw.get_resources(restApiId=api["id"], position="garbage"))
    assert code == "BadRequestException"
    code, _, _ = error_of(lambda: apigw.get_rest_apis(limit=501))
    assert code == "BadRequestException"


def test_delete_rest_api_and_clone(apigw: Any) -> None:
    api = new_api(apigw)
    r = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="pets")
    _mock_method(apigw, api["id"], r["id"])
    clone = apigw.create_rest_api(name="clone", cloneFrom=api["id"])
    paths = sorted(x["path"] for x in apigw.get_resources(restApiId=clone["id"])["items"])
    assert paths == ["/", "/pets"]
    apigw.delete_rest_api(restApiId=api["id"])
    code, _, _ = error_of(lambda: apigw.get_rest_api(restApiId=api["id"]))
    assert code == "NotFoundException"
    assert apigw.get_rest_api(restApiId=clone["id"])["name"] == "clone"


def test_rest_apis_survive_a_restart(fresh_gureum: Any) -> None:
    import http.client

    def ping(api_id: str) -> tuple[int, bytes]:
        port = int(fresh_gureum.endpoint.rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", f"/_aws/execute-api/{api_id}/live/any/path")
        r = conn.getresponse()
        out = r.status, r.read()
        conn.close()
        return out

    apigw = fresh_gureum.client("apigateway")
    api = new_api(apigw)
    r = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="{proxy+}")
    _mock_method(apigw, api["id"], r["id"], "ANY")
    apigw.put_integration_response(restApiId=api["id"], resourceId=r["id"], httpMethod="ANY", statusCode="200",
                                   responseTemplates={"application/json": '{"served": "$context.stage"}'})
    apigw.create_deployment(restApiId=api["id"], stageName="live")
    assert ping(api["id"]) == (200, b'{"served": "live"}')
    fresh_gureum.restart()
    apigw = fresh_gureum.client("apigateway")
    assert apigw.get_rest_api(restApiId=api["id"])["name"] == api["name"]
    assert apigw.get_method(restApiId=api["id"], resourceId=r["id"], httpMethod="ANY")["methodIntegration"]["type"] == "MOCK"
    assert apigw.get_stage(restApiId=api["id"], stageName="live")["stageName"] == "live"
    assert ping(api["id"]) == (200, b'{"served": "live"}')


def test_account_settings(apigw: Any) -> None:
    account = apigw.get_account()
    assert account["throttleSettings"] == {"burstLimit": 5000, "rateLimit": 10000.0}
    role = "arn:aws:iam::000000000000:role/apigw-logs"
    out = apigw.update_account(patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": role}])
    assert out["cloudwatchRoleArn"] == role and apigw.get_account()["cloudwatchRoleArn"] == role
    code, _, _ = error_of(lambda: apigw.update_account(patchOperations=[
        {"op": "replace", "path": "/cloudwatchRoleArn", "value": "not-an-arn"}]))
    assert code == "BadRequestException"


def test_reset_drops_every_rest_api_and_the_data_plane_follows(fresh_gureum: Any) -> None:
    import http.client
    import urllib.request

    apigw = fresh_gureum.client("apigateway")
    api = new_api(apigw)
    _mock_method(apigw, api["id"], api["rootResourceId"])
    apigw.put_integration_response(restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET",
                                   statusCode="200")
    apigw.create_deployment(restApiId=api["id"], stageName="s")
    port = int(fresh_gureum.endpoint.rsplit(":", 1)[1])

    def status() -> int:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", f"/_aws/execute-api/{api['id']}/s/")
        r = conn.getresponse()
        r.read()
        conn.close()
        return r.status

    assert status() == 200
    urllib.request.urlopen(urllib.request.Request(f"{fresh_gureum.endpoint}/_gureum/reset?service=apigateway",
                                                  method="POST"), timeout=30).read()
    code, _, _ = error_of(lambda: apigw.get_rest_api(restApiId=api["id"]))
    assert code == "NotFoundException"
    assert apigw.get_rest_apis()["items"] == []
    assert status() != 200
