"""API documentation end to end: documentation parts with AWS's location rules (fields per
type, defaults, one part per location), filters and paging, updates, ImportDocumentationParts
(merge and overwrite, warnings), documentation versions (a snapshot, a stage's
documentationVersion) and GetExport with extensions=documentation (properties merged into the
OpenAPI objects, inherited by child locations, and the parts themselves)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError


@pytest.fixture(scope="module")
def apigw(gureum: Any) -> Any:
    return gureum.client("apigateway")


def _api(apigw: Any) -> tuple[str, str]:
    api = apigw.create_rest_api(name=f"docs-{uuid.uuid4().hex[:6]}")["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    pets = apigw.create_resource(restApiId=api, parentId=root, pathPart="pets")["id"]
    for verb in ("GET", "POST"):
        apigw.put_method(restApiId=api, resourceId=pets, httpMethod=verb, authorizationType="NONE",
                         requestParameters={"method.request.querystring.limit": False})
        apigw.put_integration(restApiId=api, resourceId=pets, httpMethod=verb, type="MOCK",
                              requestTemplates={"application/json": '{"statusCode": 200}'})
        for code in ("200", "404"):
            apigw.put_method_response(restApiId=api, resourceId=pets, httpMethod=verb, statusCode=code)
    apigw.create_deployment(restApiId=api, stageName="v1")
    return api, pets


def _error(e: pytest.ExceptionInfo[ClientError]) -> str:
    return str(e.value.response["Error"]["Code"])


def test_parts_follow_the_location_rules(apigw: Any) -> None:
    api, _ = _api(apigw)
    method = apigw.create_documentation_part(restApiId=api, location={"type": "METHOD", "path": "/pets", "method": "get"},
                                             properties=json.dumps({"summary": "List pets"}))
    assert method["location"] == {"type": "METHOD", "path": "/pets", "method": "GET"}
    response = apigw.create_documentation_part(restApiId=api, location={"type": "RESPONSE"},
                                               properties=json.dumps({"description": "Anything"}))
    assert response["location"] == {"type": "RESPONSE", "path": "/", "method": "*", "statusCode": "*"}
    api_part = apigw.create_documentation_part(restApiId=api, location={"type": "API"}, properties="{}")
    assert api_part["location"] == {"type": "API"}
    refused = [({"type": "API", "path": "/pets"}, "{}"),  # path is no field of API
               ({"type": "MODEL"}, "{}"),  # a MODEL needs its name
               ({"type": "RESOURCE", "statusCode": "200"}, "{}"),
               ({"type": "METHOD", "path": "/pets", "method": "POST"}, "not json"),
               ({"type": "METHOD", "path": "/pets", "method": "POST"}, "[1]")]
    for loc, props in refused:
        with pytest.raises(ClientError) as e:
            apigw.create_documentation_part(restApiId=api, location=loc, properties=props)
        assert _error(e) == "BadRequestException", loc
    with pytest.raises(ClientError) as e:
        apigw.create_documentation_part(restApiId=api, location={"type": "METHOD", "path": "/pets", "method": "GET"},
                                        properties="{}")
    assert _error(e) == "ConflictException"
    got = apigw.get_documentation_part(restApiId=api, documentationPartId=method["id"])
    assert json.loads(got["properties"]) == {"summary": "List pets"}
    updated = apigw.update_documentation_part(restApiId=api, documentationPartId=method["id"], patchOperations=[
        {"op": "replace", "path": "/properties", "value": json.dumps({"summary": "All pets"})}])
    assert json.loads(updated["properties"]) == {"summary": "All pets"}
    seen = [p["id"] for page in apigw.get_paginator("get_documentation_parts").paginate(
        restApiId=api, PaginationConfig={"PageSize": 1}) for p in page["items"]]
    assert sorted(seen) == sorted([method["id"], response["id"], api_part["id"]])
    assert [p["id"] for p in apigw.get_documentation_parts(restApiId=api, type="METHOD")["items"]] == [method["id"]]
    assert [p["id"] for p in apigw.get_documentation_parts(restApiId=api, locationStatus="UNDOCUMENTED")["items"]] == [api_part["id"]]
    apigw.delete_documentation_part(restApiId=api, documentationPartId=api_part["id"])
    with pytest.raises(ClientError) as e:
        apigw.get_documentation_part(restApiId=api, documentationPartId=api_part["id"])
    assert _error(e) == "NotFoundException"


def test_import_merge_and_overwrite(apigw: Any) -> None:
    api, _ = _api(apigw)
    kept = apigw.create_documentation_part(restApiId=api, location={"type": "API"},
                                           properties=json.dumps({"info": {"description": "old"}}))
    other = apigw.create_documentation_part(restApiId=api, location={"type": "RESOURCE", "path": "/pets"}, properties="{}")
    body = {"openapi": "3.0.1", "info": {"title": "x", "version": "1"}, "paths": {},
            "x-amazon-apigateway-documentation": {"version": "1", "documentationParts": [
                {"location": {"type": "API"}, "properties": {"info": {"description": "new"}}},
                {"location": {"type": "METHOD", "path": "/pets", "method": "GET"}, "properties": {"summary": "s"}},
                {"location": {"type": "MODEL"}, "properties": {}}]}}  # no name: a warning
    with pytest.raises(ClientError) as e:
        apigw.import_documentation_parts(restApiId=api, body=json.dumps(body).encode(), failOnWarnings=True)
    assert _error(e) == "BadRequestException"
    out = apigw.import_documentation_parts(restApiId=api, body=json.dumps(body).encode(), mode="merge")
    assert len(out["ids"]) == 2 and len(out["warnings"]) == 1 and kept["id"] in out["ids"]
    parts = {p["id"]: p for p in apigw.get_documentation_parts(restApiId=api)["items"]}
    assert json.loads(parts[kept["id"]]["properties"]) == {"info": {"description": "new"}} and other["id"] in parts
    out = apigw.import_documentation_parts(restApiId=api, body=json.dumps(body).encode(), mode="overwrite")
    assert {p["id"] for p in apigw.get_documentation_parts(restApiId=api)["items"]} == set(out["ids"])
    assert other["id"] not in out["ids"]


def test_versions_and_export_with_documentation(apigw: Any) -> None:
    api, _ = _api(apigw)
    for loc, props in (({"type": "API"}, {"info": {"description": "Pet store"}}),
                       ({"type": "METHOD", "path": "/pets", "method": "GET"}, {"summary": "List pets", "tags": ["pets"]}),
                       ({"type": "RESPONSE", "statusCode": "404"}, {"description": "Not found anywhere"}),
                       ({"type": "RESPONSE", "path": "/pets", "method": "GET", "statusCode": "200"}, {"description": "The pets"}),
                       ({"type": "QUERY_PARAMETER", "path": "/", "method": "GET", "name": "limit"}, {"description": "How many"})):
        apigw.create_documentation_part(restApiId=api, location=loc, properties=json.dumps(props))
    v1 = apigw.create_documentation_version(restApiId=api, documentationVersion="1.0.0", stageName="v1",
                                            description="first")
    assert v1["version"] == "1.0.0" and v1["description"] == "first" and "parts" not in v1
    assert apigw.get_stage(restApiId=api, stageName="v1")["documentationVersion"] == "1.0.0"
    with pytest.raises(ClientError) as e:
        apigw.create_documentation_version(restApiId=api, documentationVersion="1.0.0")
    assert _error(e) == "ConflictException"
    # later edits do not change what version 1.0.0 documents
    method = apigw.get_documentation_parts(restApiId=api, type="METHOD")["items"][0]
    apigw.update_documentation_part(restApiId=api, documentationPartId=method["id"], patchOperations=[
        {"op": "replace", "path": "/properties", "value": json.dumps({"summary": "changed"})}])
    export = json.loads(apigw.get_export(restApiId=api, stageName="v1", exportType="oas30",
                                         parameters={"extensions": "documentation"})["body"].read())
    assert export["info"]["description"] == "Pet store"
    get_op, post_op = export["paths"]["/pets"]["get"], export["paths"]["/pets"]["post"]
    assert get_op["summary"] == "List pets" and get_op["tags"] == ["pets"]
    assert get_op["responses"]["200"]["description"] == "The pets"
    assert get_op["responses"]["404"]["description"] == "Not found anywhere"  # inherited from path "/" and method "*"
    assert post_op["responses"]["404"]["description"] == "Not found anywhere"
    assert post_op["responses"]["200"]["description"] != "The pets"  # GET's part does not document POST
    limit = next(p for p in get_op["parameters"] if p["name"] == "limit")
    assert limit["description"] == "How many"  # inherited from the "/" prefix
    section = export["x-amazon-apigateway-documentation"]
    assert section["version"] == "1.0.0" and len(section["documentationParts"]) == 5
    plain = json.loads(apigw.get_export(restApiId=api, stageName="v1", exportType="oas30")["body"].read())
    assert "x-amazon-apigateway-documentation" not in plain
    apigw.create_documentation_version(restApiId=api, documentationVersion="2.0.0")
    versions = [v["version"] for v in apigw.get_documentation_versions(restApiId=api)["items"]]
    assert versions == ["1.0.0", "2.0.0"]
    assert apigw.update_documentation_version(restApiId=api, documentationVersion="2.0.0", patchOperations=[
        {"op": "replace", "path": "/description", "value": "second"}])["description"] == "second"
    apigw.update_stage(restApiId=api, stageName="v1", patchOperations=[
        {"op": "replace", "path": "/documentationVersion", "value": "2.0.0"}])
    export = json.loads(apigw.get_export(restApiId=api, stageName="v1", exportType="swagger",
                                         parameters={"extensions": "documentation"})["body"].read())
    assert export["paths"]["/pets"]["get"]["summary"] == "changed"
    apigw.delete_documentation_version(restApiId=api, documentationVersion="1.0.0")
    with pytest.raises(ClientError) as e:
        apigw.get_documentation_version(restApiId=api, documentationVersion="1.0.0")
    assert _error(e) == "NotFoundException"
