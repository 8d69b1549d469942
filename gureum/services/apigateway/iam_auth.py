"""AWS_IAM authorization of REST API methods: the request must carry a SigV4 signature for
service "execute-api" (verified in strict auth mode, as gureum's own API is: gureum/aws/auth.py)
from a caller allowed execute-api:Invoke on the method ARN (gureum/policy/gate.py: in strict
mode the caller's identity policies; in open mode any caller of the API's account). The
caller's identity reaches the integration (requestContext.identity: accessKey, accountId,
caller, user, userArn)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.aws.auth import authenticate
from gureum.aws.dispatch import RequestContext
from gureum.aws.errors import AwsError
from gureum.aws.routing import credential_scope
from gureum.policy.gate import check
from gureum.services.apigateway import proxy
from gureum.services.apigateway.integrations import Failure

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.http.server import Request

MISSING = (403, "MissingAuthenticationTokenException", "Missing Authentication Token")


async def authorize(app: App, request: Request, call: proxy.Call, method_arn: str) -> None:
    scope = credential_scope(request)
    if scope is None:
        raise Failure(*MISSING, response_type="MISSING_AUTHENTICATION_TOKEN")
    if scope.service != "execute-api":
        raise Failure(403, "InvalidSignatureException", "Credential should be scoped to correct service: 'execute-api'.",
                      response_type="INVALID_SIGNATURE")
    try:
        identity = await authenticate(app, request, scope, None, call.body)
    except AwsError as e:
        raise Failure(403, "InvalidSignatureException", e.message, response_type="INVALID_SIGNATURE") from None
    ctx = RequestContext(app=app, service="apigateway", operation="Invoke", account_id=identity.account_id,
                         region=call.region, request_id=call.request_id, access_key_id=identity.access_key_id,
                         principal_arn=identity.arn, request=request)
    try:
        await check(ctx, "execute-api:Invoke", [method_arn], strict=app.config.auth == "strict")
    except AwsError:
        raise Failure(403, "AccessDeniedException", f"User: {identity.arn} is not authorized to perform: "
                      f"execute-api:Invoke on resource: {method_arn}", response_type="ACCESS_DENIED",
                      message_key="Message") from None
    call.iam = {"accessKey": identity.access_key_id, "accountId": identity.account_id,
                "caller": identity.access_key_id, "user": identity.access_key_id, "userArn": identity.arn}
