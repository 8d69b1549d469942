"""HTTP API authorization through the front door: JWT authorizers verifying RS256 tokens
against an issuer's JWKS (served by a local http.server, discovered through
.well-known/openid-configuration), audiences and route scopes; Lambda REQUEST authorizers
with simple responses and IAM policies, result caching by identity source, context handed to
the integration; and stage throttling (429)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from oidc_issuer import Issuer

from tests.apigatewayv2.conftest import call

ECHO = '''
import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event)}
'''


@pytest.fixture(scope="module")
def echo_fn(make_function: Any) -> str:
    return str(make_function(ECHO))


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    idp = Issuer("")
    with idp.serve() as url:
        idp.issuer = url
        yield idp


def test_jwt_authorizer(gureum: Any, apigw: Any, echo_fn: str, issuer: Issuer) -> None:
    api_id = apigw.create_api(Name=f"jwt{uuid.uuid4().hex[:6]}", ProtocolType="HTTP", Target=echo_fn)["ApiId"]
    auth = apigw.create_authorizer(ApiId=api_id, AuthorizerType="JWT", Name="idp",
                                   IdentitySource=["$request.header.Authorization"],
                                   JwtConfiguration={"Issuer": issuer.issuer, "Audience": ["my-client"]})
    route = apigw.get_routes(ApiId=api_id)["Items"][0]
    apigw.update_route(ApiId=api_id, RouteId=route["RouteId"], AuthorizationType="JWT",
                       AuthorizerId=auth["AuthorizerId"], AuthorizationScopes=["orders/read"])

    def get(token: str | None) -> Any:
        return call(gureum, api_id, "GET", "/", headers={"Authorization": f"Bearer {token}"} if token else {})

    r = get(None)
    assert (r.status, r.json()) == (401, {"message": "Unauthorized"})
    good = issuer.token(aud="my-client", scope="orders/read profile", sub="user-1")
    r = get(good)
    assert r.status == 200, r.body
    jwt_ctx = r.json()["requestContext"]["authorizer"]["jwt"]
    assert jwt_ctx["claims"]["sub"] == "user-1" and jwt_ctx["scopes"] == ["orders/read", "profile"]
    # wrong audience, expired, another key, unsigned, another issuer: 401 with invalid_token
    for bad in (issuer.token(aud="other", scope="orders/read"),
                issuer.token(aud="my-client", scope="orders/read", exp=int(time.time()) - 10),
                issuer.token(aud="my-client", scope="orders/read", alg="ES256"),
                issuer.unsigned(aud="my-client", scope="orders/read"),
                issuer.token(aud="my-client", scope="orders/read", iss="http://elsewhere")):
        r = get(bad)
        assert r.status == 401, bad
        assert 'error="invalid_token"' in (r.header("www-authenticate") or "")
    tampered = good.rsplit(".", 1)[0] + "." + good.rsplit(".", 1)[1][::-1]
    assert get(tampered).status == 401
    # a valid token without the route's scope: 403
    r = get(issuer.token(aud="my-client", scope="profile"))
    assert (r.status, r.json()) == (403, {"message": "Forbidden"})
    # the keys were fetched through discovery once, then cached
    assert issuer.fetches.count("/.well-known/openid-configuration") == 1


AUTHORIZER = '''
import json
def handler(event, context):
    token = event["identitySource"][0] if event.get("version") == "2.0" else event["authorizationToken"]
    calls = context.function_name
    if event.get("version") == "2.0" and token.startswith("simple-"):
        return {"isAuthorized": token == "simple-yes", "context": {"user": "alice", "n": 7}}
    effect = "Allow" if token == "policy-yes" else "Deny"
    return {"principalId": "bob", "context": {"team": "blue"},
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event.get("routeArn") or event.get("methodArn")}]}}
'''


def test_lambda_request_authorizers(gureum: Any, apigw: Any, echo_fn: str, make_function: Any) -> None:
    fn = make_function(AUTHORIZER)
    api_id = apigw.create_api(Name=f"la{uuid.uuid4().hex[:6]}", ProtocolType="HTTP", Target=echo_fn)["ApiId"]
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{fn}/invocations"
    simple = apigw.create_authorizer(ApiId=api_id, AuthorizerType="REQUEST", Name="simple", AuthorizerUri=uri,
                                     IdentitySource=["$request.header.x-token"], AuthorizerPayloadFormatVersion="2.0",
                                     EnableSimpleResponses=True, AuthorizerResultTtlInSeconds=0)
    route = apigw.get_routes(ApiId=api_id)["Items"][0]
    apigw.update_route(ApiId=api_id, RouteId=route["RouteId"], AuthorizationType="CUSTOM", AuthorizerId=simple["AuthorizerId"])
    r = call(gureum, api_id, "GET", "/")
    assert (r.status, r.json()) == (401, {"message": "Unauthorized"})  # identity source missing
    r = call(gureum, api_id, "GET", "/", headers={"x-token": "simple-yes"})
    assert r.status == 200, r.body
    assert r.json()["requestContext"]["authorizer"] == {"lambda": {"user": "alice", "n": 7}}
    assert call(gureum, api_id, "GET", "/", headers={"x-token": "simple-no"}).json() == {"message": "Forbidden"}
    # IAM policy answers (payload 1.0), cached by identity source
    policy = apigw.create_authorizer(ApiId=api_id, AuthorizerType="REQUEST", Name="policy", AuthorizerUri=uri,
                                     IdentitySource=["$request.header.x-token"], AuthorizerPayloadFormatVersion="1.0",
                                     AuthorizerResultTtlInSeconds=300)
    apigw.update_route(ApiId=api_id, RouteId=route["RouteId"], AuthorizerId=policy["AuthorizerId"])
    r = call(gureum, api_id, "GET", "/", headers={"x-token": "policy-yes"})
    assert r.status == 200, r.body
    assert r.json()["requestContext"]["authorizer"] == {"lambda": {"team": "blue"}}  # as the 2.0 integration sees it
    assert call(gureum, api_id, "GET", "/", headers={"x-token": "policy-no"}).status == 403


def test_authorizer_answers_are_cached_per_identity(gureum: Any, apigw: Any, echo_fn: str, make_function: Any,
                                                    lam: Any) -> None:
    fn = make_function(AUTHORIZER)
    api_id = apigw.create_api(Name=f"lc{uuid.uuid4().hex[:6]}", ProtocolType="HTTP", Target=echo_fn)["ApiId"]
    auth = apigw.create_authorizer(ApiId=api_id, AuthorizerType="REQUEST", Name="cached", AuthorizerUri=fn,
                                   IdentitySource=["$request.header.x-token"], AuthorizerPayloadFormatVersion="2.0",
                                   EnableSimpleResponses=True, AuthorizerResultTtlInSeconds=300)
    route = apigw.get_routes(ApiId=api_id)["Items"][0]
    apigw.update_route(ApiId=api_id, RouteId=route["RouteId"], AuthorizationType="CUSTOM", AuthorizerId=auth["AuthorizerId"])
    assert call(gureum, api_id, "GET", "/", headers={"x-token": "simple-yes"}).status == 200
    # the authorizer now refuses everything; the cached answer for this identity still holds
    lam.update_function_code(FunctionName=fn, ZipFile=_zip('def handler(e, c):\n    return {"isAuthorized": False}\n'))
    lam.get_waiter("function_updated_v2").wait(FunctionName=fn)
    assert call(gureum, api_id, "GET", "/", headers={"x-token": "simple-yes"}).status == 200
    assert call(gureum, api_id, "GET", "/", headers={"x-token": "simple-other"}).status == 403
    # ResetAuthorizersCache drops the cached answers: the new code decides
    apigw.reset_authorizers_cache(ApiId=api_id, StageName="$default")
    assert call(gureum, api_id, "GET", "/", headers={"x-token": "simple-yes"}).status == 403


def _zip(code: str) -> bytes:
    from tests.apigatewayv2.conftest import zip_of

    return zip_of({"app.py": code})


def test_stage_throttling_answers_429(gureum: Any, apigw: Any, echo_fn: str) -> None:
    api_id = apigw.create_api(Name=f"th{uuid.uuid4().hex[:6]}", ProtocolType="HTTP", Target=echo_fn)["ApiId"]
    apigw.update_stage(ApiId=api_id, StageName="$default",
                       RouteSettings={"$default": {"ThrottlingBurstLimit": 2, "ThrottlingRateLimit": 0.001}})
    statuses = [call(gureum, api_id, "GET", "/").status for _ in range(4)]
    assert statuses[:2] == [200, 200] and statuses[2:] == [429, 429]
    assert call(gureum, api_id, "GET", "/").json() == {"message": "Too Many Requests"}


def _signed(gureum: Any, api_id: str, path: str, secret: str = "test") -> dict[str, str]:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    port = int(gureum.endpoint.rsplit(":", 1)[1])
    req = AWSRequest(method="GET", url=f"http://{api_id}.execute-api.localhost:{port}{path}")
    SigV4Auth(Credentials("test", secret), "execute-api", "us-east-1").add_auth(req)
    return {k: v for k, v in req.headers.items() if k.lower() != "host"}


def test_aws_iam_routes_need_an_execute_api_signature(gureum: Any, apigw: Any, echo_fn: str) -> None:
    api_id = apigw.create_api(Name=f"iam{uuid.uuid4().hex[:6]}", ProtocolType="HTTP", Target=echo_fn)["ApiId"]
    route = apigw.get_routes(ApiId=api_id)["Items"][0]
    apigw.update_route(ApiId=api_id, RouteId=route["RouteId"], AuthorizationType="AWS_IAM")
    r = call(gureum, api_id, "GET", "/")
    assert (r.status, r.json()) == (403, {"message": "Forbidden"})
    r = call(gureum, api_id, "GET", "/", headers=_signed(gureum, api_id, "/"))
    assert r.status == 200, r.body
    iam = r.json()["requestContext"]["authorizer"]["iam"]
    assert iam["accountId"] == "000000000000" and iam["accessKey"] == "test" and iam["userArn"]
