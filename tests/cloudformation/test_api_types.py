"""API Gateway resource types through boto3 against a real gureum: a REST API (resource,
MOCK method with its integration, deployment, stage) and HTTP APIs (quick create with a
Lambda Target; an explicit route, Lambda proxy integration and auto-deployed stage) deployed
by a stack and called over HTTP; an in-place update (stage variables and method settings,
descriptions, route key) seen on the wire; delete removing them all; an API from an OpenAPI
definition in S3; SAM Api/HttpApi events; a property gureum does not apply failing the stack."""

from __future__ import annotations

import http.client
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .helpers import events, settle, statuses, uniq

TEMPLATE = """
Parameters:
  Greeting: {Type: String, Default: hello}
  RoutePath: {Type: String, Default: /hi}
  Rate: {Type: Number, Default: 5}
Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: !Sub "${AWS::StackName}-rest", Description: !Sub "greets ${Greeting}"}
  Things:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: things}
  Get:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Things
      HttpMethod: GET
      AuthorizationType: NONE
      MethodResponses: [{StatusCode: "200"}]
      Integration:
        Type: MOCK
        RequestTemplates: {application/json: '{"statusCode": 200}'}
        IntegrationResponses:
          - StatusCode: "200"
            ResponseTemplates: {application/json: '{"say": "$stageVariables.greet", "stage": "$context.stage"}'}
  Deploy:
    Type: AWS::ApiGateway::Deployment
    DependsOn: Get
    Properties: {RestApiId: !Ref Api, Description: first}
  Live:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref Api
      DeploymentId: !Ref Deploy
      StageName: live
      Variables: {greet: !Ref Greeting}
      MethodSettings: [{HttpMethod: "*", ResourcePath: /*, ThrottlingRateLimit: !Ref Rate, MetricsEnabled: true}]
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: !GetAtt Role.Arn
      Code:
        ZipFile: |
          import json
          def handler(event, context):
              return {"statusCode": 200, "body": json.dumps({"route": event["routeKey"], "path": event["rawPath"]})}
  Invoke:
    Type: AWS::Lambda::Permission
    Properties: {FunctionName: !Ref Fn, Action: lambda:InvokeFunction, Principal: apigateway.amazonaws.com}
  Quick:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: !Sub "${AWS::StackName}-quick", ProtocolType: HTTP, Target: !GetAtt Fn.Arn}
  Http:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: !Sub "${AWS::StackName}-http", ProtocolType: HTTP, Description: !Ref Greeting}
  Lambda:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {ApiId: !Ref Http, IntegrationType: AWS_PROXY, IntegrationUri: !GetAtt Fn.Arn, PayloadFormatVersion: "2.0"}
  Route:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Http, RouteKey: !Sub "GET ${RoutePath}", Target: !Sub "integrations/${Lambda}"}
  Default:
    Type: AWS::ApiGatewayV2::Stage
    Properties: {ApiId: !Ref Http, StageName: $default, AutoDeploy: true}
Outputs:
  RestId: {Value: !GetAtt Api.RestApiId}
  Root: {Value: !GetAtt Api.RootResourceId}
  ThingsId: {Value: !GetAtt Things.ResourceId}
  DeployId: {Value: !GetAtt Deploy.DeploymentId}
  Stage: {Value: !Ref Live}
  QuickId: {Value: !Ref Quick}
  QuickEndpoint: {Value: !GetAtt Quick.ApiEndpoint}
  HttpId: {Value: !GetAtt Http.ApiId}
  RouteId: {Value: !GetAtt Route.RouteId}
  IntegrationId: {Value: !GetAtt Lambda.IntegrationId}
  DefaultStage: {Value: !Ref Default}
"""


def _get(gureum: Any, path: str, host: str | None = None) -> tuple[int, bytes]:
    port = int(gureum.endpoint.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.putrequest("GET", path, skip_host=True)
        conn.putheader("Host", host.replace("PORT", str(port)) if host else f"127.0.0.1:{port}")
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def _outputs(stack: dict[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}


@pytest.fixture(scope="module")
def cfn(gureum: Any) -> Any:
    return gureum.client("cloudformation")


def test_rest_and_http_apis_deployed_by_a_stack_answer_over_http(cfn: Any, gureum: Any) -> None:
    name = uniq("api")
    cfn.create_stack(StackName=name, TemplateBody=TEMPLATE, Capabilities=["CAPABILITY_IAM"])
    stack = settle(cfn, name, timeout=180)
    assert stack["StackStatus"] == "CREATE_COMPLETE", statuses(cfn, name)
    out = _outputs(stack)
    rest, v2 = gureum.client("apigateway"), gureum.client("apigatewayv2")
    api = rest.get_rest_api(restApiId=out["RestId"])
    assert (api["name"], api["description"], api["rootResourceId"]) == (f"{name}-rest", "greets hello", out["Root"])
    assert rest.get_resource(restApiId=out["RestId"], resourceId=out["ThingsId"])["path"] == "/things"
    method = rest.get_method(restApiId=out["RestId"], resourceId=out["ThingsId"], httpMethod="GET")
    assert method["methodIntegration"]["type"] == "MOCK" and "200" in method["methodResponses"]
    assert rest.get_stage(restApiId=out["RestId"], stageName="live")["deploymentId"] == out["DeployId"]
    assert out["Stage"] == "live"
    settings = rest.get_stage(restApiId=out["RestId"], stageName="live")["methodSettings"]["*/*"]
    assert (settings["throttlingRateLimit"], settings["metricsEnabled"]) == (5.0, True)
    status, body = _get(gureum, f"/_aws/execute-api/{out['RestId']}/live/things")
    assert (status, json.loads(body)) == (200, {"say": "hello", "stage": "live"})

    assert out["QuickEndpoint"] == v2.get_api(ApiId=out["QuickId"])["ApiEndpoint"]
    status, body = _get(gureum, "/any/where", host=f"{out['QuickId']}.execute-api.localhost:PORT")
    assert (status, json.loads(body)) == (200, {"route": "$default", "path": "/any/where"})
    assert v2.get_route(ApiId=out["HttpId"], RouteId=out["RouteId"])["Target"] == f"integrations/{out['IntegrationId']}"
    assert out["DefaultStage"] == "$default"
    status, body = _get(gureum, "/hi", host=f"{out['HttpId']}.execute-api.localhost:PORT")
    assert (status, json.loads(body)) == (200, {"route": "GET /hi", "path": "/hi"})

    # in place: the stage's variable, the APIs' descriptions and the route key change, ids stay
    cfn.update_stack(StackName=name, TemplateBody=TEMPLATE, Capabilities=["CAPABILITY_IAM"],
                     Parameters=[{"ParameterKey": "Greeting", "ParameterValue": "bonjour"},
                                 {"ParameterKey": "RoutePath", "ParameterValue": "/salut"},
                                 {"ParameterKey": "Rate", "ParameterValue": "7"}])
    stack = settle(cfn, name, timeout=180)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", statuses(cfn, name)
    assert _outputs(stack) == out
    assert rest.get_rest_api(restApiId=out["RestId"])["description"] == "greets bonjour"
    assert v2.get_api(ApiId=out["HttpId"])["Description"] == "bonjour"
    assert rest.get_stage(restApiId=out["RestId"], stageName="live")["methodSettings"]["*/*"]["throttlingRateLimit"] == 7.0
    status, body = _get(gureum, f"/_aws/execute-api/{out['RestId']}/live/things")
    assert (status, json.loads(body)) == (200, {"say": "bonjour", "stage": "live"})
    status, body = _get(gureum, "/salut", host=f"{out['HttpId']}.execute-api.localhost:PORT")
    assert (status, json.loads(body)) == (200, {"route": "GET /salut", "path": "/salut"})
    assert _get(gureum, "/hi", host=f"{out['HttpId']}.execute-api.localhost:PORT")[0] == 404

    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=180)["StackStatus"] == "DELETE_COMPLETE", statuses(cfn, stack["StackId"])
    for call in (lambda: rest.get_rest_api(restApiId=out["RestId"]), lambda: v2.get_api(ApiId=out["QuickId"]),
                 lambda: v2.get_api(ApiId=out["HttpId"])):
        with pytest.raises(ClientError) as e:
            call()
        assert e.value.response["Error"]["Code"] == "NotFoundException"


SAM = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        import json
        def handler(event, context):
            return {"statusCode": 200, "body": json.dumps({"path": event.get("path") or event.get("rawPath")})}
      Events:
        Rest:
          Type: Api
          Properties: {Path: /items, Method: get}
        Http:
          Type: HttpApi
          Properties: {Path: /things, Method: get}
Outputs:
  RestApi: {Value: !Ref ServerlessRestApi}
  HttpApi: {Value: !Ref ServerlessHttpApi}
"""


def test_sam_api_and_http_api_events_deploy_and_answer(cfn: Any, gureum: Any) -> None:
    """SAM expands Api and HttpApi events into RestApi (an OpenAPI Body), Deployment, Stage,
    ApiGatewayV2::Api (Body) and Stage, and the Lambda permissions: both APIs call the function."""
    name = uniq("samapi")
    cfn.create_stack(StackName=name, TemplateBody=SAM, Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
    stack = settle(cfn, name, timeout=180)
    assert stack["StackStatus"] == "CREATE_COMPLETE", statuses(cfn, name)
    out = _outputs(stack)
    status, body = _get(gureum, f"/_aws/execute-api/{out['RestApi']}/Prod/items")
    assert (status, json.loads(body)) == (200, {"path": "/items"})
    status, body = _get(gureum, "/things", host=f"{out['HttpApi']}.execute-api.localhost:PORT")
    assert (status, json.loads(body)) == (200, {"path": "/things"})
    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=180)["StackStatus"] == "DELETE_COMPLETE", statuses(cfn, stack["StackId"])


DEFINITION = {
    "openapi": "3.0.1", "info": {"title": "from-s3", "version": "1"},
    "paths": {"/ping": {"get": {
        "responses": {"200": {"description": "ok"}},
        "x-amazon-apigateway-integration": {
            "type": "mock", "requestTemplates": {"application/json": '{"statusCode": 200}'},
            "responses": {"default": {"statusCode": "200", "responseTemplates": {"application/json": '{"pong": true}'}}}}}}},
}


def test_a_rest_api_from_an_openapi_definition_in_s3(cfn: Any, gureum: Any) -> None:
    name = uniq("apis3")
    s3 = gureum.client("s3")
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="api.json", Body=json.dumps(DEFINITION).encode())
    template = {"Resources": {
        "Api": {"Type": "AWS::ApiGateway::RestApi",
                "Properties": {"BodyS3Location": {"Bucket": name, "Key": "api.json"}, "Description": "the template's"}},
        "Deploy": {"Type": "AWS::ApiGateway::Deployment", "Properties": {"RestApiId": {"Ref": "Api"}, "StageName": "v1"}}},
        "Outputs": {"Id": {"Value": {"Ref": "Api"}}}}
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(template))
    stack = settle(cfn, name, timeout=120)
    assert stack["StackStatus"] == "CREATE_COMPLETE", statuses(cfn, name)
    api_id = _outputs(stack)["Id"]
    api = gureum.client("apigateway").get_rest_api(restApiId=api_id)
    assert (api["name"], api["description"]) == ("from-s3", "the template's")
    status, body = _get(gureum, f"/_aws/execute-api/{api_id}/v1/ping")
    assert (status, json.loads(body)) == (200, {"pong": True})
    cfn.delete_stack(StackName=name)
    assert settle(cfn, stack["StackId"], timeout=120)["StackStatus"] == "DELETE_COMPLETE", statuses(cfn, stack["StackId"])


def test_a_property_gureum_does_not_apply_fails_the_resource_and_rolls_back(cfn: Any, gureum: Any) -> None:
    name = uniq("apino")
    template = {"Resources": {
        "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": name}},
        "Root": {"Type": "AWS::ApiGateway::Method", "Properties": {
            "RestApiId": {"Ref": "Api"}, "ResourceId": {"Fn::GetAtt": ["Api", "RootResourceId"]}, "HttpMethod": "GET",
            "AuthorizationType": "NONE", "Integration": {"Type": "MOCK"}}},
        "Deploy": {"Type": "AWS::ApiGateway::Deployment", "DependsOn": "Root", "Properties": {"RestApiId": {"Ref": "Api"}}},
        "Stage": {"Type": "AWS::ApiGateway::Stage", "Properties": {
            "RestApiId": {"Ref": "Api"}, "DeploymentId": {"Ref": "Deploy"}, "StageName": "s",
            "DocumentationVersion": "v1"}}}}
    sid = cfn.create_stack(StackName=name, TemplateBody=json.dumps(template))["StackId"]
    stack = settle(cfn, sid, timeout=120)
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE", statuses(cfn, sid)
    failed = [e for e in events(cfn, sid) if e["ResourceStatus"] == "CREATE_FAILED"]
    assert [(e["LogicalResourceId"], e["ResourceStatusReason"]) for e in failed] == [
        ("Stage", "gureum does not apply DocumentationVersion of AWS::ApiGateway::Stage yet")]
    assert name not in [a["name"] for a in gureum.client("apigateway").get_rest_apis(limit=500)["items"]]
