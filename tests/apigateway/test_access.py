"""Who may call a REST API method, end to end: Lambda TOKEN and REQUEST authorizers (policy
evaluated against the method ARN, results cached per identity, context passed on as
requestContext.authorizer, AWS's 401/403/500 answers), API keys and usage plans (x-api-key,
throttling 429, quotas, GetUsage's real counts), request validation against models (400s)
and customised gateway responses."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import uuid
from typing import Any

import pytest
from lambda_.lambda_helpers import TRUST, zip_of

ECHO = """
import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"authorizer": event["requestContext"].get("authorizer"),
                                                   "identity": event["requestContext"]["identity"]})}
"""

# Allows "allow-*" tokens on every method, "get-only" on GET, denies "deny", fails on "error",
# answers Unauthorized for "unauth"; counts its calls in /tmp (per environment) for the cache.
AUTHORIZER = """
import os
CALLS = []
def handler(event, context):
    token = event.get("authorizationToken") or (event.get("headers") or {}).get("x-user") or ""
    CALLS.append(token)
    if token == "unauth":
        raise Exception("Unauthorized")
    if token == "error":
        raise Exception("boom")
    arn = event["methodArn"]
    base = arn.split("/")[0]
    if token == "get-only":
        resource = base + "/*/GET/*"
    else:
        resource = base + "/*"
    effect = "Deny" if token == "deny" else "Allow"
    return {"principalId": "user-" + token,
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}]},
            "context": {"calls": len(CALLS), "tier": "gold", "ok": True}}
"""


@pytest.fixture(scope="module")
def apigw(gureum: Any) -> Any:
    return gureum.client("apigateway")


@pytest.fixture(scope="module")
def functions(gureum: Any) -> dict[str, str]:
    iam, lam = gureum.client("iam"), gureum.client("lambda")
    role = iam.create_role(RoleName=f"apigw-acc-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    out = {}
    for name, code in (("echo", ECHO), ("auth", AUTHORIZER)):
        arn = lam.create_function(FunctionName=f"apigw-{name}-{uuid.uuid4().hex[:8]}", Runtime="python3.12", Role=role,
                                  Handler="app.handler", Code={"ZipFile": zip_of({"app.py": code})})["FunctionArn"]
        lam.add_permission(FunctionName=arn, StatementId="apigw", Action="lambda:InvokeFunction",
                           Principal="apigateway.amazonaws.com")
        out[name] = arn
    return out


def uri(arn: str) -> str:
    return f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations"


def call(gureum: Any, method: str, path: str, headers: dict[str, str] | None = None,
         body: bytes | None = None) -> tuple[int, dict[str, str], Any]:
    port = int(gureum.endpoint.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, json.loads(data) if data else None


def api_with(apigw: Any, functions: dict[str, str], *, authorizer: dict[str, Any] | None = None,
             key_required: bool = False, validator: bool = False) -> tuple[str, str | None]:
    api = apigw.create_rest_api(name=f"acc-{uuid.uuid4().hex[:6]}")
    api_id, root = api["id"], api["rootResourceId"]
    auth_id = None
    if authorizer is not None:
        auth_id = apigw.create_authorizer(restApiId=api_id, name="auth", authorizerUri=uri(functions["auth"]),
                                          **authorizer)["id"]
    rid = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="things")["id"]
    extra: dict[str, Any] = {}
    if validator:
        apigw.create_model(restApiId=api_id, name="Thing", contentType="application/json", schema=json.dumps(
            {"$schema": "http://json-schema.org/draft-04/schema#", "type": "object",
             "properties": {"name": {"type": "string"}, "n": {"type": "integer", "minimum": 1}}, "required": ["name"]}))
        v = apigw.create_request_validator(restApiId=api_id, name="all", validateRequestBody=True,
                                           validateRequestParameters=True)
        extra = {"requestValidatorId": v["id"], "requestModels": {"application/json": "Thing"},
                 "requestParameters": {"method.request.querystring.q": True, "method.request.header.X-Need": True}}
    for verb in ("GET", "POST"):
        apigw.put_method(restApiId=api_id, resourceId=rid, httpMethod=verb,
                         authorizationType="CUSTOM" if auth_id else "NONE", apiKeyRequired=key_required,
                         **({"authorizerId": auth_id} if auth_id else {}), **extra)
        apigw.put_integration(restApiId=api_id, resourceId=rid, httpMethod=verb, type="AWS_PROXY",
                              integrationHttpMethod="POST", uri=uri(functions["echo"]))
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    return api_id, auth_id


def test_token_authorizer_policy_context_and_cache(apigw: Any, gureum: Any, functions: dict[str, str]) -> None:
    api, _ = api_with(apigw, functions, authorizer={"type": "TOKEN", "identitySource": "method.request.header.Authorization",
                                                    "authorizerResultTtlInSeconds": 300})
    path = f"/_aws/execute-api/{api}/prod/things"
    status, _, body = call(gureum, "GET", path)
    assert (status, body) == (401, {"message": "Unauthorized"})
    status, _, body = call(gureum, "GET", path, {"Authorization": "allow-a"})
    assert status == 200, body
    auth = body["authorizer"]
    assert auth["principalId"] == "user-allow-a" and auth["tier"] == "gold" and "integrationLatency" in auth
    first_calls = auth["calls"]
    status, _, body = call(gureum, "GET", path, {"Authorization": "allow-a"})
    assert status == 200 and body["authorizer"]["calls"] == first_calls  # cached: the authorizer did not run again
    status, _, body = call(gureum, "GET", path, {"Authorization": "deny"})
    assert (status, body) == (403, {"Message": "User is not authorized to access this resource with an explicit deny"})
    status, _, body = call(gureum, "POST", path, {"Authorization": "get-only"})
    assert (status, body) == (403, {"Message": "User is not authorized to access this resource"})
    status, _, body = call(gureum, "GET", path, {"Authorization": "get-only"})
    assert status == 200  # the same cached policy, evaluated for another method ARN
    status, _, body = call(gureum, "GET", path, {"Authorization": "unauth"})
    assert (status, body) == (401, {"message": "Unauthorized"})
    status, headers, body = call(gureum, "GET", path, {"Authorization": "error"})
    assert (status, body) == (500, {"message": None})
    assert headers["x-amzn-errortype"] == "AuthorizerConfigurationException"


def test_token_validation_expression_and_request_authorizer(apigw: Any, gureum: Any, functions: dict[str, str]) -> None:
    api, _ = api_with(apigw, functions, authorizer={"type": "TOKEN", "identitySource": "method.request.header.Authorization",
                                                    "identityValidationExpression": "allow-.*"})
    status, _, _ = call(gureum, "GET", f"/_aws/execute-api/{api}/prod/things", {"Authorization": "deny"})
    assert status == 401  # refused before the function runs
    api, _ = api_with(apigw, functions, authorizer={"type": "REQUEST", "identitySource": "method.request.header.X-User",
                                                    "authorizerResultTtlInSeconds": 0})
    status, _, _ = call(gureum, "GET", f"/_aws/execute-api/{api}/prod/things")
    assert status == 401
    status, _, body = call(gureum, "GET", f"/_aws/execute-api/{api}/prod/things", {"X-User": "allow-r"})
    assert status == 200 and body["authorizer"]["principalId"] == "user-allow-r"


def test_authorizer_control_plane_rules(apigw: Any, functions: dict[str, str]) -> None:
    api = apigw.create_rest_api(name="authz")["id"]
    with pytest.raises(apigw.exceptions.BadRequestException):
        apigw.create_authorizer(restApiId=api, name="a", type="TOKEN", authorizerUri=uri(functions["auth"]))
    a = apigw.create_authorizer(restApiId=api, name="a", type="TOKEN", authorizerUri=uri(functions["auth"]),
                                identitySource="method.request.header.Auth")
    assert a["authorizerResultTtlInSeconds"] == 300
    assert apigw.get_authorizers(restApiId=api)["items"][0]["id"] == a["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    with pytest.raises(apigw.exceptions.BadRequestException):
        apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="CUSTOM", authorizerId="nope00")
    apigw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="CUSTOM", authorizerId=a["id"])
    with pytest.raises(apigw.exceptions.ConflictException):
        apigw.delete_authorizer(restApiId=api, authorizerId=a["id"])


def test_api_keys_usage_plans_throttle_quota_and_usage(apigw: Any, gureum: Any, functions: dict[str, str]) -> None:
    api, _ = api_with(apigw, functions, key_required=True)
    path = f"/_aws/execute-api/{api}/prod/things"
    key = apigw.create_api_key(name=f"k-{uuid.uuid4().hex[:6]}", enabled=True)
    assert len(key["value"]) >= 20
    assert "value" not in apigw.get_api_key(apiKey=key["id"])
    assert apigw.get_api_key(apiKey=key["id"], includeValue=True)["value"] == key["value"]
    status, headers, body = call(gureum, "GET", path)
    assert (status, body) == (403, {"message": "Forbidden"})
    status, _, body = call(gureum, "GET", path, {"x-api-key": key["value"]})
    assert status == 403  # not in a usage plan for this stage yet
    plan = apigw.create_usage_plan(name="p", apiStages=[{"apiId": api, "stage": "prod"}],
                                   throttle={"rateLimit": 0.001, "burstLimit": 3}, quota={"limit": 100, "period": "DAY"})
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    statuses = [call(gureum, "GET", path, {"x-api-key": key["value"]}) for _ in range(4)]
    assert [s for s, _, _ in statuses] == [200, 200, 200, 429]
    assert statuses[-1][2] == {"message": "Too Many Requests"}
    assert statuses[0][2]["identity"]["apiKey"] == key["value"] and statuses[0][2]["identity"]["apiKeyId"] == key["id"]
    today = dt.datetime.now(dt.UTC).date().isoformat()
    usage = apigw.get_usage(usagePlanId=plan["id"], startDate=today, endDate=today)
    assert usage["items"] == {key["id"]: [[3, 97]]}
    # a quota of 1 a day: the second request is over it
    key2 = apigw.create_api_key(name="k2", enabled=True)
    plan2 = apigw.create_usage_plan(name="q", apiStages=[{"apiId": api, "stage": "prod"}], quota={"limit": 1, "period": "DAY"})
    apigw.create_usage_plan_key(usagePlanId=plan2["id"], keyId=key2["id"], keyType="API_KEY")
    assert call(gureum, "GET", path, {"x-api-key": key2["value"]})[0] == 200
    status, _, body = call(gureum, "GET", path, {"x-api-key": key2["value"]})
    assert (status, body) == (429, {"message": "Limit Exceeded"})
    with pytest.raises(apigw.exceptions.ConflictException):  # one plan per API stage for a key
        apigw.create_usage_plan_key(usagePlanId=plan2["id"], keyId=key["id"], keyType="API_KEY")
    apigw.update_api_key(apiKey=key2["id"], patchOperations=[{"op": "replace", "path": "/enabled", "value": "false"}])
    assert call(gureum, "GET", path, {"x-api-key": key2["value"]})[0] == 403
    keys = apigw.get_usage_plan_keys(usagePlanId=plan["id"])["items"]
    assert [k["id"] for k in keys] == [key["id"]] and keys[0]["type"] == "API_KEY"


def test_request_validation_against_models(apigw: Any, gureum: Any, functions: dict[str, str]) -> None:
    api, _ = api_with(apigw, functions, validator=True)
    path = f"/_aws/execute-api/{api}/prod/things"
    json_headers = {"Content-Type": "application/json", "X-Need": "1"}
    status, _, body = call(gureum, "POST", path, {"Content-Type": "application/json"}, b'{"name": "x"}')
    assert (status, body) == (400, {"message": "Missing required request parameters: [q, X-Need]"})
    status, _, body = call(gureum, "POST", path + "?q=1", json_headers, b'{"n": 0}')
    assert (status, body) == (400, {"message": "Invalid request body"})
    status, _, body = call(gureum, "POST", path + "?q=1", json_headers, b'not json')
    assert (status, body) == (400, {"message": "Invalid request body"})
    status, _, body = call(gureum, "POST", path + "?q=1", json_headers, b'{"name": "ok", "n": 2}')
    assert status == 200


def test_gateway_responses_restyle_errors_after_deployment(apigw: Any, gureum: Any, functions: dict[str, str]) -> None:
    api, _ = api_with(apigw, functions, key_required=True)
    apigw.put_gateway_response(restApiId=api, responseType="INVALID_API_KEY", statusCode="401",
                               responseParameters={"gatewayresponse.header.X-Why": "'no key'"},
                               responseTemplates={"application/json": '{"error": $context.error.messageString, "type": "$context.error.responseType"}'})
    got = apigw.get_gateway_response(restApiId=api, responseType="INVALID_API_KEY")
    assert got["statusCode"] == "401" and got["defaultResponse"] is False
    assert apigw.get_gateway_response(restApiId=api, responseType="THROTTLED")["defaultResponse"] is True
    path = f"/_aws/execute-api/{api}/prod/things"
    assert call(gureum, "GET", path)[0] == 403  # not deployed yet
    apigw.create_deployment(restApiId=api, stageName="prod")
    status, headers, body = call(gureum, "GET", path)
    assert (status, body) == (401, {"error": "Forbidden", "type": "INVALID_API_KEY"})
    assert headers["x-why"] == "no key"
