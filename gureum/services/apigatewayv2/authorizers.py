"""Route authorization of HTTP APIs, as AWS runs it before the integration.

- JWT (AuthorizationType JWT): the token from the authorizer's identity source (a header,
  `Bearer ` stripped) verified against the issuer's JWKS (jwt.py). No token or a bad one:
  401 {"message":"Unauthorized"} with `www-authenticate: Bearer ... error="invalid_token"`;
  a valid token carrying none of the route's AuthorizationScopes: 403 {"message":"Forbidden"}.
  The integration sees requestContext.authorizer.jwt {claims, scopes}.
- AWS_IAM: a SigV4 signature for execute-api and execute-api:Invoke on the route's ARN
  (`_iam`); anything else is 403 Forbidden.
- Lambda REQUEST (AuthorizationType CUSTOM): every identity source must be present (else 401
  without calling the function); the function gets AWS's authorizer event (payload 2.0 or
  1.0) and answers a simple response {"isAuthorized", "context"} (EnableSimpleResponses) or
  an IAM policy {"principalId", "policyDocument", "context"} evaluated for
  `execute-api:Invoke` on the route's ARN (Deny wins). Refused: 403 Forbidden; a function
  error or an unreadable answer: 500 Internal Server Error. Answers are cached per
  authorizer and identity-source values for AuthorizerResultTtlInSeconds (each node's own
  cache; ResetAuthorizersCache empties the API's on every node, views.py). The integration sees
  requestContext.authorizer.lambda (its payload 2.0) or the context's keys with principalId
  (payload 1.0), whatever the authorizer's own payload version.
  Invoking the authorizer needs the function's permission for apigateway.amazonaws.com with
  source ARN `<api>/authorizers/<id>`, unless AuthorizerCredentialsArn is set.
"""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.http.server import Request
from gureum.services.apigatewayv2 import events, jwt, permission
from gureum.services.apigatewayv2.slots import KEYS, RESULTS

if TYPE_CHECKING:
    from gureum.app import App

log = logging.getLogger("gureum.apigatewayv2")

_CACHE_MAX = 10000

_JSON = [("content-type", "application/json")]


def _unauthorized(description: str | None = None) -> events.Outgoing:
    headers = list(_JSON)
    if description is not None:
        headers.append(("www-authenticate", f'Bearer scope="" error="invalid_token" error_description="{description}"'))
    return events.Outgoing(401, headers, b'{"message":"Unauthorized"}')


FORBIDDEN = events.Outgoing(403, list(_JSON), b'{"message":"Forbidden"}')


def identity_value(source: str, req: events.Incoming) -> str | None:
    """The value of one identity source ($request.header.X, $request.querystring.X,
    $context.X, $stageVariables.X; WebSocket APIs write route.request.header.X,
    route.request.querystring.X) for `req`, or None."""
    from urllib.parse import parse_qsl

    if source.startswith("route.request."):  # WebSocket APIs' spelling
        source = "$request." + source[len("route.request."):]
    if source.startswith("$request.header."):
        name = source[len("$request.header."):].lower()
        values = [v for k, v in req.headers if k == name]
        return ",".join(values) if values else None
    if source.startswith("$request.querystring."):
        name = source[len("$request.querystring."):]
        values = [v for k, v in parse_qsl(req.raw_query, keep_blank_values=True) if k == name]
        return ",".join(values) if values else None
    if source.startswith("$stageVariables."):
        return req.stage_variables.get(source[len("$stageVariables."):])
    if source.startswith("$context."):
        known = {"requestId": req.request_id, "stage": req.stage, "routeKey": req.route_key, "apiId": req.api_id,
                 "domainName": req.domain, "httpMethod": req.method}
        return known.get(source[len("$context."):])
    return None


async def authorize(app: App, view: dict[str, Any], snap: dict[str, Any], route: dict[str, Any],
                    req: events.Incoming, request: Request | None = None) -> events.Outgoing | None:
    """None when the request may go on (req.authorizer set), else the refusal to send."""
    kind = route.get("AuthorizationType") or "NONE"
    if kind == "NONE":
        return None
    if kind == "AWS_IAM":
        return await _iam(app, view, req, request)
    authorizer = snap["authorizers"].get(route.get("AuthorizerId") or "")
    if authorizer is None:
        return events.INTERNAL_ERROR
    if authorizer["AuthorizerType"] == "JWT":
        return await _jwt(app, authorizer, route, req)
    if authorizer["AuthorizerType"] == "REQUEST":
        return await _request(app, view, authorizer, req)
    return events.INTERNAL_ERROR


async def _jwt(app: App, authorizer: dict[str, Any], route: dict[str, Any], req: events.Incoming) -> events.Outgoing | None:
    sources = authorizer.get("IdentitySource") or ["$request.header.Authorization"]
    token = identity_value(sources[0], req)
    if not token:
        return _unauthorized()
    if token.lower().startswith("bearer "):
        token = token[7:].strip()
    config = authorizer.get("JwtConfiguration") or {}
    issuer = str(config.get("Issuer", ""))
    try:
        header = jwt.split(token)[0]
        keys = await app.parts.lazy(KEYS, jwt.Keys).jwks(issuer, header.get("kid"))
        claims = jwt.verify(token, keys, issuer, list(config.get("Audience") or []), time.time())
    except jwt.Invalid as e:
        return _unauthorized(str(e))
    granted = jwt.scopes(claims)
    wanted = route.get("AuthorizationScopes") or []
    if wanted and not any(s in granted for s in wanted):
        return FORBIDDEN
    req.authorizer = {"jwt": {"claims": jwt.claim_strings(claims), "scopes": granted or None}}
    return None


def _route_arn(view: dict[str, Any], req: events.Incoming) -> str:
    if req.route_key.startswith("$"):
        rest = f"{req.stage}/{req.route_key}"
    else:
        rest = f"{req.stage}/{req.method}{req.raw_path if req.stage == '$default' else req.raw_path[len(req.stage) + 1:]}"
    return arns.execute_api(view["region"], view["account"], view["api"]["ApiId"], rest)


def _event(authorizer: dict[str, Any], route_arn: str, values: list[str], req: events.Incoming) -> dict[str, Any]:
    if authorizer.get("AuthorizerPayloadFormatVersion") == "2.0":
        base = events.event_v2(req)
        base.pop("version", None)
        base.pop("body", None)
        base.pop("isBase64Encoded", None)
        return {"version": "2.0", "type": "REQUEST", "routeArn": route_arn, "identitySource": values, **base}
    base = events.event_v1(req)
    base.pop("body", None)
    base.pop("isBase64Encoded", None)
    return {**base, "type": "REQUEST", "methodArn": route_arn, "identitySource": ",".join(values),
            "authorizationToken": values[0] if values else None}


def _allows(policy: Any, route_arn: str) -> bool:
    from gureum.policy.engine import ANONYMOUS, AuthRequest, Decision, PolicyError, parse_policy, statement_decision

    try:
        parsed = parse_policy(json.dumps(policy) if not isinstance(policy, str) else policy)
    except (PolicyError, TypeError, ValueError):
        return False
    return statement_decision(parsed, AuthRequest(ANONYMOUS, "execute-api:Invoke", route_arn)) is Decision.ALLOW


async def _request(app: App, view: dict[str, Any], authorizer: dict[str, Any], req: events.Incoming) -> events.Outgoing | None:
    from gureum.ports import FUNCTIONS, port

    sources = list(authorizer.get("IdentitySource") or [])
    values = [identity_value(s, req) for s in sources]
    if any(not v for v in values):
        return _unauthorized()
    present = [str(v) for v in values]
    ttl = int(authorizer.get("AuthorizerResultTtlInSeconds") or 0)
    cache = app.parts.lazy(RESULTS, dict)
    key = (view["api"]["ApiId"], str(authorizer["AuthorizerId"]), tuple(present))
    route_arn = _route_arn(view, req)
    now = time.monotonic()
    hit = cache.get(key) if ttl and present else None
    if hit is not None and hit[0] > now:
        answer = hit[1]
    else:
        fn = permission.function_arn(str(authorizer.get("AuthorizerUri", "")))
        auth_source = arns.execute_api(view["region"], view["account"], view["api"]["ApiId"],
                                       f"authorizers/{authorizer['AuthorizerId']}")
        if not authorizer.get("AuthorizerCredentialsArn") and not await permission.may_invoke(
                app, fn, source_arn=auth_source, source_account=view["account"]):
            log.info("authorizer %s: no permission to invoke %s", authorizer["AuthorizerId"], fn)
            return events.INTERNAL_ERROR
        try:
            payload, error = await port(app, FUNCTIONS).invoke(fn, json.dumps(_event(authorizer, route_arn, present, req)).encode())
            answer = None if error else json.loads(payload)
        except Exception as e:  # missing function, throttled, unreadable answer: AWS's 500
            log.info("authorizer %s failed: %s", authorizer["AuthorizerId"], e)
            answer = None
        if answer is None or not isinstance(answer, dict):
            return events.INTERNAL_ERROR
        if ttl and present:
            if len(cache) >= _CACHE_MAX:
                cache.clear()
            cache[key] = (now + ttl, answer)
    context = answer.get("context") if isinstance(answer.get("context"), dict) else {}
    if authorizer.get("EnableSimpleResponses"):
        allowed = answer.get("isAuthorized") is True
    else:
        allowed = _allows(answer.get("policyDocument"), route_arn)
    if not allowed:
        return FORBIDDEN
    req.authorizer = {"lambda": context}
    if isinstance(answer.get("principalId"), str):
        req.principal_id = answer["principalId"]
    return None


async def _iam(app: App, view: dict[str, Any], req: events.Incoming, request: Request | None) -> events.Outgoing | None:
    """AWS_IAM: a SigV4 signature for `execute-api` (verified, with the body, in strict mode, as
    gureum checks its own API), and `execute-api:Invoke` on the route's ARN for the caller
    (gureum.policy.gate: identity policies in strict mode; another account's API is refused,
    HTTP APIs having no resource policy). The integration sees requestContext.authorizer.iam."""
    from gureum.aws import auth
    from gureum.aws import routing as aws_routing
    from gureum.aws.dispatch import RequestContext
    from gureum.policy import gate

    scope = aws_routing.credential_scope(request) if request is not None else None
    if request is None or scope is None or scope.service != "execute-api":
        return FORBIDDEN
    try:
        admission = await auth.admit(app, request, scope)
        identity = await admission.finish(req.body)
        ctx = RequestContext(app=app, service="apigatewayv2", operation="Invoke", account_id=identity.account_id,
                             region=view["region"], request_id=req.request_id, access_key_id=identity.access_key_id,
                             principal_arn=identity.arn, request=request)
        await gate.check(ctx, "execute-api:Invoke", [_route_arn(view, req)], strict=app.config.auth == "strict")
    except AwsError as e:
        log.info("AWS_IAM route %s refused: %s", req.route_key, e.message)
        return FORBIDDEN
    req.authorizer = {"iam": {"accessKey": identity.access_key_id, "accountId": identity.account_id,
                              "callerId": identity.arn.rsplit("/", 1)[-1], "cognitoIdentity": None,
                              "principalOrgId": None, "userArn": identity.arn,
                              "userId": identity.arn.rsplit("/", 1)[-1]}}
    return None
