"""API Gateway types of issue 21's last sweep through boto3 against a real gureum, each checked
in the service after every step.

Account (in an account of its own: the setting is the region's): the CloudWatch role of a role
the stack makes, moved to its other role in place, left as it was by the stack's deletion (AWS's
documented behaviour). WebSocket API: an integration response and a route response, changed in
place (same ids), the integration response moved to another integration (a replacement: the old
one gone), deletion removing them. Managed overrides of a quick-created HTTP API made outside
the stack: the integration's timeout and description, the route's operation name and the
stage's description and variables set; an update dropping some puts quick create's defaults
back; the stack's deletion puts the rest back."""

from __future__ import annotations

import random
from typing import Any

from .helpers import (
    CAPABILITY_IAM,
    code_of,
    create_stack,
    delete_stack,
    failures,
    outputs,
    parameters,
    settle,
    uniq,
    update_stack,
)

ACCOUNT = """
Parameters:
  Use: {Type: String, AllowedValues: [first, second]}
Conditions:
  First: !Equals [!Ref Use, first]
Resources:
  One:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: apigateway.amazonaws.com}, Action: sts:AssumeRole}]
  Two:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: apigateway.amazonaws.com}, Action: sts:AssumeRole}]
  Settings:
    Type: AWS::ApiGateway::Account
    Properties: {CloudWatchRoleArn: !If [First, !GetAtt One.Arn, !GetAtt Two.Arn]}
Outputs:
  Settings: {Value: !Ref Settings}
  SettingsId: {Value: !GetAtt Settings.Id}
  One: {Value: !GetAtt One.Arn}
  Two: {Value: !GetAtt Two.Arn}
"""


def test_account_cloudwatch_role(gureum: Any) -> None:
    account = str(random.randint(10**11, 10**12 - 1))  # the role is the account's (and region's) one setting
    cfn = gureum.client("cloudformation", aws_access_key_id=account, aws_secret_access_key="x")
    apigw = gureum.client("apigateway", aws_access_key_id=account, aws_secret_access_key="x")
    assert "cloudwatchRoleArn" not in apigw.get_account()
    name = uniq("apiacct")
    stack = create_stack(cfn, name, ACCOUNT, {"Use": "first"}, CAPABILITY_IAM)
    out = outputs(stack)
    assert out["Settings"] == out["SettingsId"] and out["Settings"]
    assert apigw.get_account()["cloudwatchRoleArn"] == out["One"]

    stack = update_stack(cfn, name, ACCOUNT, {"Use": "second"}, CAPABILITY_IAM)
    assert outputs(stack)["Settings"] == out["Settings"]  # in place
    assert apigw.get_account()["cloudwatchRoleArn"] == out["Two"]

    delete_stack(cfn, stack)
    assert apigw.get_account()["cloudwatchRoleArn"] == out["Two"]  # AWS leaves the setting


WEBSOCKET = """
Parameters:
  Which: {Type: String, AllowedValues: [first, second], Default: first}
  Selection: {Type: String, Default: "\\\\$default"}
  Reply: {Type: String, Default: '{"said": "one"}'}
  ResponseKey: {Type: String, Default: $default}
Conditions:
  First: !Equals [!Ref Which, first]
Resources:
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: !Sub "${AWS::StackName}-ws", ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.action}
  Mock:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: MOCK
      RequestTemplates: {$default: '{"statusCode": 200}'}
      TemplateSelectionExpression: \\$default
  Other:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: MOCK
      RequestTemplates: {$default: '{"statusCode": 200}'}
      TemplateSelectionExpression: \\$default
  Route:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: hello, Target: !Sub "integrations/${Mock}"}
  Answer:
    Type: AWS::ApiGatewayV2::IntegrationResponse
    Properties:
      ApiId: !Ref Api
      IntegrationId: !If [First, !Ref Mock, !Ref Other]
      IntegrationResponseKey: $default
      TemplateSelectionExpression: !Ref Selection
      ResponseTemplates: {$default: !Ref Reply}
  Back:
    Type: AWS::ApiGatewayV2::RouteResponse
    Properties:
      ApiId: !Ref Api
      RouteId: !Ref Route
      RouteResponseKey: !Ref ResponseKey
      ModelSelectionExpression: $request.body.kind
Outputs:
  Api: {Value: !Ref Api}
  Mock: {Value: !Ref Mock}
  Other: {Value: !Ref Other}
  Route: {Value: !Ref Route}
  Answer: {Value: !Ref Answer}
  AnswerId: {Value: !GetAtt Answer.IntegrationResponseId}
  Back: {Value: !Ref Back}
  BackId: {Value: !GetAtt Back.RouteResponseId}
"""


def test_integration_and_route_responses(gureum: Any) -> None:
    cfn = gureum.client("cloudformation")
    v2 = gureum.client("apigatewayv2")
    name = uniq("wsresp")
    stack = create_stack(cfn, name, WEBSOCKET, {}, CAPABILITY_IAM)
    out = outputs(stack)
    api, mock, route = out["Api"], out["Mock"], out["Route"]
    assert out["Answer"] == out["AnswerId"] and out["Back"] == out["BackId"]
    got = v2.get_integration_response(ApiId=api, IntegrationId=mock, IntegrationResponseId=out["Answer"])
    assert (got["IntegrationResponseKey"], got["TemplateSelectionExpression"]) == ("$default", "\\$default")
    assert got["ResponseTemplates"] == {"$default": '{"said": "one"}'}
    back = v2.get_route_response(ApiId=api, RouteId=route, RouteResponseId=out["Back"])
    assert (back["RouteResponseKey"], back["ModelSelectionExpression"]) == ("$default", "$request.body.kind")

    # in place: the template, the selection expression, the route response's key
    stack = update_stack(cfn, name, WEBSOCKET, {"Reply": '{"said": "two"}', "Selection": "$integration.response.statuscode",
                                           "ResponseKey": "$default"}, CAPABILITY_IAM)
    assert outputs(stack)["Answer"] == out["Answer"] and outputs(stack)["Back"] == out["Back"]
    got = v2.get_integration_response(ApiId=api, IntegrationId=mock, IntegrationResponseId=out["Answer"])
    assert got["ResponseTemplates"] == {"$default": '{"said": "two"}'}
    assert got["TemplateSelectionExpression"] == "$integration.response.statuscode"

    # another integration replaces the integration response: the first integration has none left
    stack = update_stack(cfn, name, WEBSOCKET, {"Which": "second", "Reply": '{"said": "two"}',
                                           "Selection": "$integration.response.statuscode"}, CAPABILITY_IAM)
    moved = outputs(stack)["Answer"]
    got = v2.get_integration_response(ApiId=api, IntegrationId=out["Other"], IntegrationResponseId=moved)
    assert got["ResponseTemplates"] == {"$default": '{"said": "two"}'}
    assert v2.get_integration_responses(ApiId=api, IntegrationId=mock)["Items"] == []

    delete_stack(cfn, stack)
    assert code_of(lambda: v2.get_api(ApiId=api)) == "NotFoundException"


OVERRIDES = """
Parameters:
  ApiId: {Type: String}
  Full: {Type: String, AllowedValues: ["yes", "no"], Default: "yes"}
Conditions:
  Full: !Equals [!Ref Full, "yes"]
Resources:
  Overrides:
    Type: AWS::ApiGatewayV2::ApiGatewayManagedOverrides
    Properties:
      ApiId: !Ref ApiId
      Integration:
        TimeoutInMillis: !If [Full, 5000, 8000]
        Description: !If [Full, slow backend, !Ref AWS::NoValue]
      Route: !If [Full, {OperationName: sayHello}, !Ref AWS::NoValue]
      Stage: {Description: quick, StageVariables: {color: blue}}
Outputs:
  Overrides: {Value: !Ref Overrides}
  OverridesId: {Value: !GetAtt Overrides.Id}
"""


def _managed(v2: Any, api: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    integ = [i for i in v2.get_integrations(ApiId=api)["Items"] if i.get("ApiGatewayManaged")]
    route = [r for r in v2.get_routes(ApiId=api)["Items"] if r.get("ApiGatewayManaged")]
    stage = [s for s in v2.get_stages(ApiId=api)["Items"] if s.get("ApiGatewayManaged")]
    assert len(integ) == len(route) == len(stage) == 1
    return integ[0], route[0], stage[0]


def test_managed_overrides_of_a_quick_created_api(gureum: Any) -> None:
    cfn = gureum.client("cloudformation")
    v2 = gureum.client("apigatewayv2")
    api = v2.create_api(Name=uniq("quick"), ProtocolType="HTTP", Target="http://127.0.0.1:9/hello")["ApiId"]
    try:
        integ, route, stage = _managed(v2, api)
        assert (integ["TimeoutInMillis"], integ.get("Description")) == (30000, None)
        name = uniq("ovr")
        stack = create_stack(cfn, name, OVERRIDES, {"ApiId": api}, CAPABILITY_IAM)
        out = outputs(stack)
        assert out["Overrides"] == out["OverridesId"] and out["Overrides"]
        integ, route, stage = _managed(v2, api)
        assert (integ["TimeoutInMillis"], integ["Description"]) == (5000, "slow backend")
        assert route["OperationName"] == "sayHello"
        assert (stage["Description"], stage["StageVariables"]) == ("quick", {"color": "blue"})

        # in place: a new timeout; the description and the route's override dropped: quick create's values back
        stack = update_stack(cfn, name, OVERRIDES, {"ApiId": api, "Full": "no"}, CAPABILITY_IAM)
        assert outputs(stack)["Overrides"] == out["Overrides"]
        integ, route, stage = _managed(v2, api)
        assert (integ["TimeoutInMillis"], integ.get("Description") or "") == (8000, "")
        assert (route.get("OperationName") or "") == ""
        assert route["Target"] == f"integrations/{integ['IntegrationId']}"
        assert stage["Description"] == "quick"

        # the stack's deletion puts back the rest it overrode
        delete_stack(cfn, stack)
        integ, route, stage = _managed(v2, api)
        assert integ["TimeoutInMillis"] == 30000
        assert (stage.get("Description") or "") == ""
        assert stage["AutoDeploy"] is True
    finally:
        v2.delete_api(ApiId=api)


def test_managed_overrides_need_a_quick_created_api(gureum: Any) -> None:
    cfn = gureum.client("cloudformation")
    v2 = gureum.client("apigatewayv2")
    api = v2.create_api(Name=uniq("plain"), ProtocolType="HTTP")["ApiId"]
    try:
        name = uniq("ovrx")
        cfn.create_stack(StackName=name, TemplateBody=OVERRIDES, Parameters=parameters({"ApiId": api}))
        stack = settle(cfn, name, timeout=120)
        assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
        reasons = [r for _, status, r in failures(cfn, name) if status == "CREATE_FAILED"]
        assert any("quick create" in r for r in reasons), reasons
        cfn.delete_stack(StackName=stack["StackId"])
        assert settle(cfn, stack["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    finally:
        v2.delete_api(ApiId=api)

