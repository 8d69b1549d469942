"""API Gateway v2's control plane through boto3 (and the AWS CLI) against a real gureum:
APIs of both protocols, quick create, routes, integrations, stages with auto-deploy,
deployments, authorizers, route and integration responses, CORS, tags, paging, AWS's errors,
and durability across a restart."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

FN = "arn:aws:lambda:us-east-1:000000000000:function:nothing"


def code_of(call: Any) -> str:
    with pytest.raises(ClientError) as e:
        call()
    return str(e.value.response["Error"]["Code"])


def test_http_api_lifecycle_and_errors(apigw: Any) -> None:
    api = apigw.create_api(Name="shop", ProtocolType="HTTP", Description="d", Tags={"team": "a"})
    api_id = api["ApiId"]
    assert len(api_id) == 10 and api_id.isalnum() and api_id.islower()
    assert api["RouteSelectionExpression"] == "${request.method} ${request.path}"
    assert api["ApiKeySelectionExpression"] == "$request.header.x-api-key"
    assert api["ApiEndpoint"].startswith(f"http://{api_id}.execute-api.localhost:")
    got = apigw.get_api(ApiId=api_id)
    assert (got["Name"], got["Description"], got["Tags"]) == ("shop", "d", {"team": "a"})
    assert apigw.update_api(ApiId=api_id, Name="shop2")["Name"] == "shop2"
    assert code_of(lambda: apigw.get_api(ApiId="zzzzzzzzzz")) == "NotFoundException"
    assert code_of(lambda: apigw.create_api(Name="x", ProtocolType="HTTP", RouteSelectionExpression="$request.body.action")) == "BadRequestException"
    assert code_of(lambda: apigw.create_api(Name="x", ProtocolType="WEBSOCKET")) == "BadRequestException"
    apigw.delete_api(ApiId=api_id)
    assert code_of(lambda: apigw.get_api(ApiId=api_id)) == "NotFoundException"


def test_routes_integrations_and_their_rules(apigw: Any) -> None:
    api_id = apigw.create_api(Name="r", ProtocolType="HTTP")["ApiId"]
    integ = apigw.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=FN, PayloadFormatVersion="2.0")
    assert (integ["PayloadFormatVersion"], integ["TimeoutInMillis"], integ["ConnectionType"]) == ("2.0", 30000, "INTERNET")
    iid = integ["IntegrationId"]
    route = apigw.create_route(ApiId=api_id, RouteKey="GET /items/{id}", Target=f"integrations/{iid}")
    assert route["AuthorizationType"] == "NONE" and route["ApiKeyRequired"] is False
    apigw.create_route(ApiId=api_id, RouteKey="ANY /{proxy+}", Target=f"integrations/{iid}")
    apigw.create_route(ApiId=api_id, RouteKey="$default", Target=f"integrations/{iid}")
    assert code_of(lambda: apigw.create_route(ApiId=api_id, RouteKey="GET /items/{id}")) == "ConflictException"
    assert code_of(lambda: apigw.create_route(ApiId=api_id, RouteKey="FETCH /x")) == "BadRequestException"
    assert code_of(lambda: apigw.create_route(ApiId=api_id, RouteKey="GET /{a+}/b")) == "BadRequestException"
    assert code_of(lambda: apigw.create_route(ApiId=api_id, RouteKey="GET /y", Target="integrations/nope")) == "BadRequestException"
    assert code_of(lambda: apigw.create_integration(ApiId=api_id, IntegrationType="MOCK")) == "BadRequestException"
    assert code_of(lambda: apigw.create_integration(ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="GET",
                                                    IntegrationUri="ftp://x")) == "BadRequestException"
    assert code_of(lambda: apigw.get_route(ApiId=api_id, RouteId="nope123")) == "NotFoundException"
    assert code_of(lambda: apigw.delete_integration(ApiId=api_id, IntegrationId=iid)) == "ConflictException"
    keys = sorted(r["RouteKey"] for r in apigw.get_routes(ApiId=api_id)["Items"])
    assert keys == ["$default", "ANY /{proxy+}", "GET /items/{id}"]
    updated = apigw.update_route(ApiId=api_id, RouteId=route["RouteId"], RouteKey="GET /things/{id}")
    assert updated["RouteKey"] == "GET /things/{id}"
    rr = apigw.create_route_response(ApiId=api_id, RouteId=route["RouteId"], RouteResponseKey="$default")
    assert apigw.get_route_responses(ApiId=api_id, RouteId=route["RouteId"])["Items"][0]["RouteResponseId"] == rr["RouteResponseId"]
    ir = apigw.create_integration_response(ApiId=api_id, IntegrationId=iid, IntegrationResponseKey="/200/")
    assert apigw.get_integration_response(ApiId=api_id, IntegrationId=iid,
                                          IntegrationResponseId=ir["IntegrationResponseId"])["IntegrationResponseKey"] == "/200/"


def test_quick_create_makes_a_default_route_integration_and_auto_deployed_stage(apigw: Any) -> None:
    api = apigw.create_api(Name="q", ProtocolType="HTTP", Target=FN)
    api_id = api["ApiId"]
    routes = apigw.get_routes(ApiId=api_id)["Items"]
    assert [(r["RouteKey"], r["ApiGatewayManaged"]) for r in routes] == [("$default", True)]
    integ = apigw.get_integrations(ApiId=api_id)["Items"][0]
    assert (integ["IntegrationType"], integ["IntegrationUri"], integ["PayloadFormatVersion"]) == ("AWS_PROXY", FN, "2.0")
    assert routes[0]["Target"] == f"integrations/{integ['IntegrationId']}"
    stage = apigw.get_stage(ApiId=api_id, StageName="$default")
    assert stage["AutoDeploy"] is True and stage["DeploymentId"]
    dep = apigw.get_deployment(ApiId=api_id, DeploymentId=stage["DeploymentId"])
    assert dep["AutoDeployed"] is True and dep["DeploymentStatus"] == "DEPLOYED"
    # a change to the routes deploys again
    apigw.create_route(ApiId=api_id, RouteKey="GET /more", Target=routes[0]["Target"])
    assert apigw.get_stage(ApiId=api_id, StageName="$default")["DeploymentId"] != stage["DeploymentId"]


def test_stages_and_deployments(apigw: Any) -> None:
    api_id = apigw.create_api(Name="s", ProtocolType="HTTP")["ApiId"]
    assert code_of(lambda: apigw.create_deployment(ApiId=api_id)) == "BadRequestException"  # no routes yet
    iid = apigw.create_integration(ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="ANY",
                                   IntegrationUri="http://127.0.0.1:9/")["IntegrationId"]
    apigw.create_route(ApiId=api_id, RouteKey="GET /", Target=f"integrations/{iid}")
    stage = apigw.create_stage(ApiId=api_id, StageName="prod", StageVariables={"v": "1"},
                               RouteSettings={"GET /": {"ThrottlingBurstLimit": 5, "ThrottlingRateLimit": 1.0}})
    assert stage["StageVariables"] == {"v": "1"} and "DeploymentId" not in stage
    assert code_of(lambda: apigw.create_stage(ApiId=api_id, StageName="prod")) == "ConflictException"
    assert code_of(lambda: apigw.create_stage(ApiId=api_id, StageName="bad name")) == "BadRequestException"
    dep = apigw.create_deployment(ApiId=api_id, StageName="prod", Description="first")
    assert apigw.get_stage(ApiId=api_id, StageName="prod")["DeploymentId"] == dep["DeploymentId"]
    assert code_of(lambda: apigw.delete_deployment(ApiId=api_id, DeploymentId=dep["DeploymentId"])) == "BadRequestException"
    stage = apigw.update_stage(ApiId=api_id, StageName="prod", StageVariables={"w": "2"})
    assert stage["StageVariables"] == {"v": "1", "w": "2"}
    apigw.delete_route_settings(ApiId=api_id, StageName="prod", RouteKey="GET /")
    assert apigw.get_stage(ApiId=api_id, StageName="prod")["RouteSettings"] == {}
    assert [d["Description"] for d in apigw.get_deployments(ApiId=api_id)["Items"]] == ["first"]
    apigw.delete_stage(ApiId=api_id, StageName="prod")
    assert code_of(lambda: apigw.get_stage(ApiId=api_id, StageName="prod")) == "NotFoundException"


def test_authorizers_are_validated(apigw: Any) -> None:
    api_id = apigw.create_api(Name="a", ProtocolType="HTTP")["ApiId"]
    jwt = apigw.create_authorizer(ApiId=api_id, AuthorizerType="JWT", Name="j", IdentitySource=["$request.header.Authorization"],
                                  JwtConfiguration={"Issuer": "http://127.0.0.1:1/pool", "Audience": ["client"]})
    assert jwt["JwtConfiguration"]["Audience"] == ["client"]
    assert code_of(lambda: apigw.create_authorizer(ApiId=api_id, AuthorizerType="REQUEST", Name="r",
                                                   IdentitySource=["$request.header.x"], AuthorizerUri=FN)) == "BadRequestException"
    req = apigw.create_authorizer(ApiId=api_id, AuthorizerType="REQUEST", Name="r", IdentitySource=["$request.header.x"],
                                  AuthorizerUri=FN, AuthorizerPayloadFormatVersion="2.0", EnableSimpleResponses=True)
    assert req["AuthorizerResultTtlInSeconds"] == 300
    route = apigw.create_route(ApiId=api_id, RouteKey="GET /", AuthorizationType="JWT", AuthorizerId=jwt["AuthorizerId"],
                               AuthorizationScopes=["read"])
    assert route["AuthorizationScopes"] == ["read"]
    assert code_of(lambda: apigw.create_route(ApiId=api_id, RouteKey="GET /x", AuthorizationType="JWT")) == "BadRequestException"
    assert code_of(lambda: apigw.delete_authorizer(ApiId=api_id, AuthorizerId=jwt["AuthorizerId"])) == "ConflictException"
    apigw.delete_authorizer(ApiId=api_id, AuthorizerId=req["AuthorizerId"])
    assert [a["Name"] for a in apigw.get_authorizers(ApiId=api_id)["Items"]] == ["j"]


def test_cors_configuration(apigw: Any) -> None:
    cors = {"AllowOrigins": ["https://a.example"], "AllowMethods": ["GET"], "MaxAge": 60}
    api_id = apigw.create_api(Name="c", ProtocolType="HTTP", CorsConfiguration=cors)["ApiId"]
    assert apigw.get_api(ApiId=api_id)["CorsConfiguration"] == cors
    assert code_of(lambda: apigw.create_api(Name="c", ProtocolType="HTTP", CorsConfiguration={
        "AllowOrigins": ["*"], "AllowCredentials": True})) == "BadRequestException"
    apigw.delete_cors_configuration(ApiId=api_id)
    assert "CorsConfiguration" not in apigw.get_api(ApiId=api_id)
    assert code_of(lambda: apigw.delete_cors_configuration(ApiId=api_id)) == "NotFoundException"


def test_tags_on_apis_and_stages(apigw: Any) -> None:
    api_id = apigw.create_api(Name="t", ProtocolType="HTTP")["ApiId"]
    arn = f"arn:aws:apigateway:us-east-1::/apis/{api_id}"
    apigw.tag_resource(ResourceArn=arn, Tags={"a": "1", "b": "2"})
    apigw.untag_resource(ResourceArn=arn, TagKeys=["a"])
    assert apigw.get_tags(ResourceArn=arn)["Tags"] == {"b": "2"}
    assert code_of(lambda: apigw.get_tags(ResourceArn="arn:aws:apigateway:us-east-1::/apis/zzzzzzzzzz")) == "NotFoundException"
    assert code_of(lambda: apigw.tag_resource(ResourceArn=arn, Tags={"aws:x": "1"})) == "BadRequestException"


def test_get_apis_pages(apigw: Any) -> None:
    ids = {apigw.create_api(Name=f"p{i}", ProtocolType="HTTP")["ApiId"] for i in range(5)}
    seen: list[str] = []
    token = None
    while True:
        page = apigw.get_apis(MaxResults="2", **({"NextToken": token} if token else {}))
        assert len(page["Items"]) <= 2
        seen += [a["ApiId"] for a in page["Items"]]
        token = page.get("NextToken")
        if not token:
            break
    assert ids <= set(seen) and len(seen) == len(set(seen))
    assert code_of(lambda: apigw.get_apis(NextToken="garbage")) == "BadRequestException"


def test_websocket_api_control_plane(apigw: Any) -> None:
    api = apigw.create_api(Name="ws", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")
    assert api["ApiEndpoint"].startswith("ws://")
    api_id = api["ApiId"]
    for key in ("$connect", "$disconnect", "$default", "sendmessage"):
        apigw.create_route(ApiId=api_id, RouteKey=key)
    assert code_of(lambda: apigw.create_stage(ApiId=api_id, StageName="$default")) == "BadRequestException"
    assert code_of(lambda: apigw.create_api(Name="w", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.a",
                                            CorsConfiguration={"AllowOrigins": ["*"]})) == "BadRequestException"


def test_the_aws_cli_and_durability(gureum: Any, apigw: Any) -> None:
    out = gureum.aws("apigatewayv2", "create-api", "--name", "cli", "--protocol-type", "HTTP", "--target", FN)
    api_id = out["ApiId"]
    gureum.restart()
    apigw2 = gureum.client("apigatewayv2")
    assert apigw2.get_api(ApiId=api_id)["Name"] == "cli"
    assert apigw2.get_stage(ApiId=api_id, StageName="$default")["AutoDeploy"] is True


OPENAPI = """
openapi: 3.0.1
info: {title: imported-shop, version: "2024-01-01"}
paths:
  /items/{id}:
    get:
      operationId: getItem
      security: [{idp: [items/read]}]
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: arn:aws:lambda:us-east-1:000000000000:function:nothing
        payloadFormatVersion: "2.0"
    x-amazon-apigateway-any-method:
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: ANY
        uri: http://127.0.0.1:9/items
  $default:
    x-amazon-apigateway-any-method:
      x-amazon-apigateway-integration:
        type: aws_proxy
        httpMethod: POST
        uri: arn:aws:lambda:us-east-1:000000000000:function:nothing
        payloadFormatVersion: "2.0"
components:
  securitySchemes:
    idp:
      type: oauth2
      x-amazon-apigateway-authorizer:
        type: jwt
        identitySource: $request.header.Authorization
        jwtConfiguration: {issuer: "http://127.0.0.1:1/pool", audience: [client-1]}
x-amazon-apigateway-cors: {allowOrigins: ["https://a.example"], allowMethods: [GET], maxAge: 10}
x-amazon-apigateway-unknown-thing: 1
"""


def test_import_export_and_reimport_openapi(apigw: Any) -> None:
    import json

    import yaml

    api = apigw.import_api(Body=OPENAPI)
    api_id = api["ApiId"]
    assert (api["Name"], api["Version"], api["ProtocolType"]) == ("imported-shop", "2024-01-01", "HTTP")
    assert api["CorsConfiguration"] == {"AllowOrigins": ["https://a.example"], "AllowMethods": ["GET"], "MaxAge": 10}
    routes = {r["RouteKey"]: r for r in apigw.get_routes(ApiId=api_id)["Items"]}
    assert set(routes) == {"GET /items/{id}", "ANY /items/{id}", "$default"}
    assert routes["GET /items/{id}"]["AuthorizationType"] == "JWT"
    assert routes["GET /items/{id}"]["AuthorizationScopes"] == ["items/read"]
    assert routes["GET /items/{id}"]["OperationName"] == "getItem"
    integrations = apigw.get_integrations(ApiId=api_id)["Items"]
    assert sorted(i["IntegrationType"] for i in integrations) == ["AWS_PROXY", "HTTP_PROXY"]  # the same one shared
    assert apigw.get_authorizers(ApiId=api_id)["Items"][0]["JwtConfiguration"]["Audience"] == ["client-1"]
    exported = json.loads(apigw.export_api(ApiId=api_id, Specification="OAS30", OutputType="JSON")["body"].read())
    assert exported["info"]["title"] == "imported-shop"
    get = exported["paths"]["/items/{id}"]["get"]
    assert get["x-amazon-apigateway-integration"]["type"] == "aws_proxy" and get["security"] == [{"idp": ["items/read"]}]
    assert "x-amazon-apigateway-any-method" in exported["paths"]["$default"]
    assert exported["components"]["securitySchemes"]["idp"]["x-amazon-apigateway-authorizer"]["type"] == "jwt"
    bare = yaml.safe_load(apigw.export_api(ApiId=api_id, Specification="OAS30", OutputType="YAML",
                                           IncludeExtensions=False)["body"].read())
    assert "x-amazon-apigateway-integration" not in bare["paths"]["/items/{id}"]["get"]
    # the exported document imports again into an equal API
    again = apigw.import_api(Body=json.dumps(exported))["ApiId"]
    assert {r["RouteKey"] for r in apigw.get_routes(ApiId=again)["Items"]} == set(routes)
    # reimport replaces the routes
    smaller = OPENAPI.split("  $default:")[0] + "x-amazon-apigateway-importexport-version: '1.0'\n"
    apigw.reimport_api(ApiId=api_id, Body=smaller)
    assert {r["RouteKey"] for r in apigw.get_routes(ApiId=api_id)["Items"]} == {"GET /items/{id}", "ANY /items/{id}"}
    assert code_of(lambda: apigw.import_api(Body="openapi: [")) == "BadRequestException"
    assert code_of(lambda: apigw.import_api(Body='{"swagger": "2.0"}')) == "BadRequestException"
    assert code_of(lambda: apigw.import_api(Body=OPENAPI.replace("type: http_proxy", "type: mock"),
                                            FailOnWarnings=True)) == "BadRequestException"
