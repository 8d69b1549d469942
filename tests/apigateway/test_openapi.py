"""OpenAPI for REST APIs end to end: ImportRestApi of an OpenAPI 3 YAML definition with API
Gateway's extensions (a Lambda proxy integration, a MOCK with templates, an API key, a
request validator with a model) serves requests once deployed; GetExport writes it back as
OpenAPI 3 and Swagger 2 (with the extensions); PutRestApi overwrites and merges; Swagger 2
imports; TestInvokeMethod runs a method as it is; the AWS CLI imports a file."""

from __future__ import annotations

import http.client
import json
import uuid
from typing import Any

import pytest
import yaml
from botocore.exceptions import ClientError
from lambda_.lambda_helpers import TRUST, zip_of

FN = """
import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"path": event["path"], "params": event["pathParameters"]})}
"""


@pytest.fixture(scope="module")
def apigw(gureum: Any) -> Any:
    return gureum.client("apigateway")


@pytest.fixture(scope="module")
def fn_arn(gureum: Any) -> str:
    iam, lam = gureum.client("iam"), gureum.client("lambda")
    role = iam.create_role(RoleName=f"apigw-oas-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    arn: str = lam.create_function(FunctionName=f"apigw-oas-{uuid.uuid4().hex[:8]}", Runtime="python3.12", Role=role,
                                   Handler="app.handler", Code={"ZipFile": zip_of({"app.py": FN})})["FunctionArn"]
    lam.add_permission(FunctionName=arn, StatementId="apigw", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com")
    return arn


def definition(fn_arn: str) -> str:
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{fn_arn}/invocations"
    return f"""
openapi: "3.0.1"
info:
  title: pets-api
  version: "1.0"
x-amazon-apigateway-request-validators:
  body-only:
    validateRequestBody: true
    validateRequestParameters: false
paths:
  /pets/{{petId}}:
    get:
      parameters:
        - name: petId
          in: path
          required: true
          schema: {{type: string}}
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: {uri}
    post:
      security:
        - api_key: []
      x-amazon-apigateway-request-validator: body-only
      requestBody:
        content:
          application/json:
            schema: {{$ref: "#/components/schemas/Pet"}}
      responses:
        "200":
          description: ok
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates:
          application/json: '{{"statusCode": 200}}'
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '{{"created": "$context.resourcePath"}}'
components:
  schemas:
    Pet:
      type: object
      required: [name]
      properties:
        name: {{type: string}}
  securitySchemes:
    api_key:
      type: apiKey
      name: x-api-key
      in: header
"""


def call(gureum: Any, method: str, path: str, body: bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, Any]:
    port = int(gureum.endpoint.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, json.loads(data) if data else None


def test_import_deploy_call_and_export(apigw: Any, gureum: Any, fn_arn: str) -> None:
    api = apigw.import_rest_api(body=definition(fn_arn).encode())
    assert api["name"] == "pets-api" and api["version"] == "1.0"
    paths = sorted(r["path"] for r in apigw.get_resources(restApiId=api["id"])["items"])
    assert paths == ["/", "/pets", "/pets/{petId}"]
    assert apigw.get_model(restApiId=api["id"], modelName="Pet")["contentType"] == "application/json"
    apigw.create_deployment(restApiId=api["id"], stageName="v1")
    status, body = call(gureum, "GET", f"/_aws/execute-api/{api['id']}/v1/pets/7")
    assert (status, body) == (200, {"path": "/pets/7", "params": {"petId": "7"}})
    status, body = call(gureum, "POST", f"/_aws/execute-api/{api['id']}/v1/pets/7", b'{"name": "rex"}',
                        {"Content-Type": "application/json"})
    assert (status, body) == (403, {"message": "Forbidden"})  # the api_key security requirement
    key = apigw.create_api_key(name="k", enabled=True)
    plan = apigw.create_usage_plan(name="p", apiStages=[{"apiId": api["id"], "stage": "v1"}])
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    headers = {"Content-Type": "application/json", "x-api-key": key["value"]}
    status, body = call(gureum, "POST", f"/_aws/execute-api/{api['id']}/v1/pets/7", b'{"nome": 1}', headers)
    assert (status, body) == (400, {"message": "Invalid request body"})
    status, body = call(gureum, "POST", f"/_aws/execute-api/{api['id']}/v1/pets/7", b'{"name": "rex"}', headers)
    assert (status, body) == (200, {"created": "/pets/{petId}"})

    oas = json.loads(apigw.get_export(restApiId=api["id"], stageName="v1", exportType="oas30",
                                      parameters={"extensions": "integrations"}, accepts="application/json")["body"].read())
    assert oas["openapi"].startswith("3.0") and oas["info"]["title"] == "pets-api"
    get = oas["paths"]["/pets/{petId}"]["get"]
    assert get["x-amazon-apigateway-integration"]["type"] == "aws_proxy" and fn_arn in get["x-amazon-apigateway-integration"]["uri"]
    post = oas["paths"]["/pets/{petId}"]["post"]
    assert post["security"] == [{"api_key": []}] and post["x-amazon-apigateway-request-validator"] == "body-only"
    assert post["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Pet"}
    assert oas["components"]["schemas"]["Pet"]["required"] == ["name"]
    swagger = yaml.safe_load(apigw.get_export(restApiId=api["id"], stageName="v1", exportType="swagger",
                                              accepts="application/yaml")["body"].read())
    assert swagger["swagger"] == "2.0" and swagger["basePath"] == "/v1" and "/pets/{petId}" in swagger["paths"]
    assert "x-amazon-apigateway-integration" not in swagger["paths"]["/pets/{petId}"]["get"]  # no extensions asked
    # the export imports again into an equivalent API
    again = apigw.import_rest_api(body=json.dumps(oas).encode())
    assert sorted(r["path"] for r in apigw.get_resources(restApiId=again["id"])["items"]) == paths


def test_put_rest_api_overwrite_and_merge(apigw: Any) -> None:
    api = apigw.create_rest_api(name="put")
    apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="old")
    swagger = {"swagger": "2.0", "info": {"title": "put", "version": "2"}, "paths": {
        "/new": {"get": {"x-amazon-apigateway-integration": {"type": "mock", "requestTemplates": {"application/json": "{}"}}}}}}
    apigw.put_rest_api(restApiId=api["id"], mode="merge", body=json.dumps(swagger).encode())
    assert sorted(r["path"] for r in apigw.get_resources(restApiId=api["id"])["items"]) == ["/", "/new", "/old"]
    apigw.put_rest_api(restApiId=api["id"], mode="overwrite", body=json.dumps(swagger).encode())
    assert sorted(r["path"] for r in apigw.get_resources(restApiId=api["id"])["items"]) == ["/", "/new"]
    with pytest.raises(ClientError) as e:
        apigw.put_rest_api(restApiId=api["id"], body=b"this is not openapi")
    assert e.value.response["Error"]["Code"] == "BadRequestException"


def test_test_invoke_method_runs_the_current_method(apigw: Any) -> None:
    api = apigw.create_rest_api(name="ti")
    root = api["rootResourceId"]
    rid = apigw.create_resource(restApiId=api["id"], parentId=root, pathPart="{name}")["id"]
    apigw.put_method(restApiId=api["id"], resourceId=rid, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(restApiId=api["id"], resourceId=rid, httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(restApiId=api["id"], resourceId=rid, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(restApiId=api["id"], resourceId=rid, httpMethod="GET", statusCode="200",
                                   responseTemplates={"application/json": '{"hello": "$input.params(\'name\')", "v": "$stageVariables.v"}'})
    out = apigw.test_invoke_method(restApiId=api["id"], resourceId=rid, httpMethod="GET", pathWithQueryString="/world",
                                   stageVariables={"v": "x"})
    assert out["status"] == 200 and json.loads(out["body"]) == {"hello": "world", "v": "x"}
    assert "Method completed with status: 200" in out["log"]


def test_aws_cli_imports_a_file(gureum: Any, tmp_path: Any) -> None:
    spec = tmp_path / "api.json"
    spec.write_text(json.dumps({"openapi": "3.0.1", "info": {"title": "cli-api", "version": "1"}, "paths": {
        "/ping": {"get": {"x-amazon-apigateway-integration": {"type": "mock"}}}}}))
    out = gureum.aws("apigateway", "import-rest-api", "--body", f"fileb://{spec}")
    assert out["name"] == "cli-api"
    listed = gureum.aws("apigateway", "get-resources", "--rest-api-id", out["id"])
    assert sorted(r["path"] for r in listed["items"]) == ["/", "/ping"]
