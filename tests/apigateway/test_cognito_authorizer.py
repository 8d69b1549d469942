"""REST API Cognito user pool authorizers end to end (CreateAuthorizer and OpenAPI import/export): the check of the
providerARNs (existing user pools only), a real pool's user signing in with
USER_PASSWORD_AUTH, its ID token admitted (bare or after `Bearer `; claims in $context.authorizer.claims of a MOCK's
template and in a Lambda proxy event's requestContext.authorizer.claims), and AWS's 401 for a
missing, forged, other pool's or wrong-use token, and for an access token without the
method's scope."""

from __future__ import annotations

import http.client
import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from lambda_.lambda_helpers import TRUST, zip_of

ECHO = """
import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event["requestContext"].get("authorizer"))}
"""
PASSWORD = "Passw0rd!x"


def call(gureum: Any, path: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    port = int(gureum.endpoint.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path, headers=headers or {})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, json.loads(data) if data else None


def pool_with_user(idp: Any, email: str) -> tuple[str, str, dict[str, str]]:
    """(pool ARN, pool id, tokens) of a new pool whose user signed in with USER_PASSWORD_AUTH."""
    pool = idp.create_user_pool(PoolName=f"p{uuid.uuid4().hex[:8]}")["UserPool"]
    client = idp.create_user_pool_client(UserPoolId=pool["Id"], ClientName="web",
                                         ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    idp.admin_create_user(UserPoolId=pool["Id"], Username="alice", MessageAction="SUPPRESS",
                          UserAttributes=[{"Name": "email", "Value": email}])
    idp.admin_set_user_password(UserPoolId=pool["Id"], Username="alice", Password=PASSWORD, Permanent=True)
    result = idp.initiate_auth(AuthFlow="USER_PASSWORD_AUTH", ClientId=client["UserPoolClient"]["ClientId"],
                               AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD})["AuthenticationResult"]
    return pool["Arn"], pool["Id"], result


@pytest.fixture(scope="module")
def echo_arn(gureum: Any) -> str:
    iam, lam = gureum.client("iam"), gureum.client("lambda")
    role = iam.create_role(RoleName=f"apigw-cog-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    arn: str = lam.create_function(FunctionName=f"apigw-cog-{uuid.uuid4().hex[:8]}", Runtime="python3.12", Role=role,
                                   Handler="app.handler", Code={"ZipFile": zip_of({"app.py": ECHO})})["FunctionArn"]
    lam.add_permission(FunctionName=arn, StatementId="apigw", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com")
    return arn


def test_create_authorizer_needs_existing_user_pools(gureum: Any) -> None:
    apigw = gureum.client("apigateway")
    api = apigw.create_rest_api(name=f"cog-{uuid.uuid4().hex[:6]}")["id"]
    for arns in (["arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_nosuchpool"],
                 ["arn:aws:sqs:us-east-1:000000000000:q"]):
        with pytest.raises(ClientError) as e:
            apigw.create_authorizer(restApiId=api, name="c", type="COGNITO_USER_POOLS", providerARNs=arns,
                                    identitySource="method.request.header.Authorization")
        assert e.value.response["Error"]["Code"] == "BadRequestException"
        assert e.value.response["Error"]["Message"] == f"Invalid provider ARN specified: {arns[0]}"
    pool_arn = gureum.client("cognito-idp").create_user_pool(PoolName=f"p{uuid.uuid4().hex[:8]}")["UserPool"]["Arn"]
    with pytest.raises(ClientError) as e:
        apigw.create_authorizer(restApiId=api, name="c", type="COGNITO_USER_POOLS", providerARNs=[pool_arn])
    assert e.value.response["Error"]["Code"] == "BadRequestException"
    made = apigw.create_authorizer(restApiId=api, name="c", type="COGNITO_USER_POOLS", providerARNs=[pool_arn],
                                   identitySource="method.request.header.Authorization")
    assert apigw.get_authorizer(restApiId=api, authorizerId=made["id"])["providerARNs"] == [pool_arn]


def test_id_token_admitted_with_claims_and_bad_tokens_refused(gureum: Any, echo_arn: str) -> None:
    apigw, idp = gureum.client("apigateway"), gureum.client("cognito-idp")
    pool_arn, pool_id, tokens = pool_with_user(idp, "alice@example.com")
    _, _, other = pool_with_user(idp, "mallory@example.com")
    api = apigw.create_rest_api(name=f"cog-{uuid.uuid4().hex[:6]}")
    api_id, root = api["id"], api["rootResourceId"]
    auth = apigw.create_authorizer(restApiId=api_id, name="pool", type="COGNITO_USER_POOLS", providerARNs=[pool_arn],
                                   identitySource="method.request.header.Authorization")["id"]

    def method(part: str, scopes: list[str] | None = None, **integration: Any) -> str:
        rid = apigw.create_resource(restApiId=api_id, parentId=root, pathPart=part)["id"]
        apigw.put_method(restApiId=api_id, resourceId=rid, httpMethod="GET", authorizationType="COGNITO_USER_POOLS",
                         authorizerId=auth, **({"authorizationScopes": scopes} if scopes else {}))
        apigw.put_integration(restApiId=api_id, resourceId=rid, httpMethod="GET", **integration)
        return rid

    mock = method("mock", type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(restApiId=api_id, resourceId=mock, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(restApiId=api_id, resourceId=mock, httpMethod="GET", statusCode="200",
                                   responseTemplates={"application/json": '{"email": "$context.authorizer.claims.email", '
                                                      '"user": "$context.authorizer.claims[\'cognito:username\']"}'})
    lambda_uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{echo_arn}/invocations"
    method("proxy", type="AWS_PROXY", integrationHttpMethod="POST", uri=lambda_uri)
    method("scoped", ["aws.cognito.signin.user.admin"], type="AWS_PROXY", integrationHttpMethod="POST", uri=lambda_uri)
    method("otherscope", ["orders/read"], type="AWS_PROXY", integrationHttpMethod="POST", uri=lambda_uri)
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    base = f"/_aws/execute-api/{api_id}/prod"

    status, body = call(gureum, base + "/mock", {"Authorization": tokens["IdToken"]})
    assert (status, body) == (200, {"email": "alice@example.com", "user": "alice"})
    status, body = call(gureum, base + "/proxy", {"Authorization": tokens["IdToken"]})
    assert status == 200, body
    claims = body["claims"]
    assert claims["email"] == "alice@example.com" and claims["cognito:username"] == "alice"
    assert claims["token_use"] == "id" and claims["iss"].endswith("/" + pool_id)
    assert all(isinstance(v, str) for v in claims.values()) and claims["exp"].endswith(" UTC " + claims["exp"][-4:])
    status, body = call(gureum, base + "/scoped", {"Authorization": tokens["AccessToken"]})
    assert status == 200 and body["claims"]["token_use"] == "access"
    status, body = call(gureum, base + "/mock", {"Authorization": "Bearer " + tokens["IdToken"]})
    assert (status, body) == (200, {"email": "alice@example.com", "user": "alice"})

    header, payload, signature = tokens["IdToken"].split(".")
    forged = ".".join((header, payload, signature[:-4] + ("AAAA" if signature[-4:] != "AAAA" else "BBBB")))
    unauthorized = (401, {"message": "Unauthorized"})
    for path, headers in (("/mock", {}), ("/mock", {"Authorization": "not-a-jwt"}),
                          ("/mock", {"Authorization": forged}),
                          ("/proxy", {"Authorization": other["IdToken"]}),  # another pool's user
                          ("/proxy", {"Authorization": tokens["AccessToken"]}),  # no scopes: an ID token is needed
                          ("/scoped", {"Authorization": tokens["IdToken"]}),
                          ("/otherscope", {"Authorization": tokens["AccessToken"]})):
        assert call(gureum, base + path, headers) == unauthorized, (path, headers)


def test_openapi_import_and_export_of_a_cognito_authorizer(gureum: Any) -> None:
    apigw, idp = gureum.client("apigateway"), gureum.client("cognito-idp")
    pool_arn, _, tokens = pool_with_user(idp, "bob@example.com")
    mock = {"type": "mock", "requestTemplates": {"application/json": '{"statusCode": 200}'},
            "responses": {"default": {"statusCode": "200", "responseTemplates": {
                "application/json": '{"sub": "$context.authorizer.claims.sub"}'}}}}
    definition = {
        "openapi": "3.0.1", "info": {"title": f"cog-{uuid.uuid4().hex[:6]}", "version": "1"},
        "paths": {"/me": {"get": {"security": [{"pool": []}], "responses": {"200": {"description": "ok"}},
                                  "x-amazon-apigateway-integration": mock}},
                  "/admin": {"get": {"security": [{"pool": ["aws.cognito.signin.user.admin"]}],
                                     "responses": {"200": {"description": "ok"}},
                                     "x-amazon-apigateway-integration": mock}}},
        "components": {"securitySchemes": {"pool": {
            "type": "apiKey", "name": "Authorization", "in": "header", "x-amazon-apigateway-authtype": "cognito_user_pools",
            "x-amazon-apigateway-authorizer": {"type": "cognito_user_pools", "providerARNs": [pool_arn]}}}}}
    bad = json.loads(json.dumps(definition))
    bad["components"]["securitySchemes"]["pool"]["x-amazon-apigateway-authorizer"]["providerARNs"] = [
        pool_arn.rsplit("/", 1)[0] + "/us-east-1_missing"]
    with pytest.raises(ClientError) as e:
        apigw.import_rest_api(body=json.dumps(bad).encode())
    assert e.value.response["Error"]["Code"] == "BadRequestException"
    api = apigw.import_rest_api(body=json.dumps(definition).encode())["id"]
    auth = apigw.get_authorizers(restApiId=api)["items"]
    assert [(a["type"], a["providerARNs"], a["identitySource"]) for a in auth] == [
        ("COGNITO_USER_POOLS", [pool_arn], "method.request.header.Authorization")]
    apigw.create_deployment(restApiId=api, stageName="v1")
    base = f"/_aws/execute-api/{api}/v1"
    status, body = call(gureum, base + "/me", {"Authorization": tokens["IdToken"]})
    assert status == 200 and body["sub"]
    assert call(gureum, base + "/admin", {"Authorization": tokens["IdToken"]}) == (401, {"message": "Unauthorized"})
    assert call(gureum, base + "/admin", {"Authorization": tokens["AccessToken"]})[0] == 200
    oas = json.loads(apigw.get_export(restApiId=api, stageName="v1", exportType="oas30",
                                      parameters={"extensions": "authorizers"})["body"].read())
    assert oas["paths"]["/admin"]["get"]["security"] == [{"pool": ["aws.cognito.signin.user.admin"]}]
    scheme = oas["components"]["securitySchemes"]["pool"]
    assert scheme["x-amazon-apigateway-authtype"] == "cognito_user_pools"
    assert scheme["x-amazon-apigateway-authorizer"]["providerARNs"] == [pool_arn]
