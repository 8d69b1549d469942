"""TestInvokeAuthorizer: an authorizer as it is now (not as deployed) run on a request the
caller describes (headers, multiValueHeaders, pathWithQueryString, body, stageVariables),
through the same code a deployed method's request meets (access.py: the Lambda authorizer's
TOKEN or REQUEST event, never cached; cognito_auth.py: a user pool token's claims). The
answer is AWS's: clientStatus 200 with principalId and the policy (Lambda) or the claims
(Cognito), 401 for a missing or refused identity, 500 for an authorizer that answers
something that is no policy; the execution log and the latency in ms. The method ARN is
AWS's test one: "<api>/ESTestInvoke-stage/GET/<path>"."""

from __future__ import annotations

import json
import time
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from gureum.aws import arn as arns
from gureum.services.apigateway import apis, authorizers, cognito_auth
from gureum.services.apigateway.access import Access
from gureum.services.apigateway.integrations import Failure
from gureum.services.apigateway.proxy import Call
from gureum.services.apigateway.slots import ACCESS

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Txn

Doc = dict[str, Any]
STAGE = "ESTestInvoke-stage"


async def run(app: App, account: str, region: str, api_id: str, authorizer_id: str, p: Doc) -> Doc:
    def read(t: Txn) -> tuple[Doc, Doc]:
        return apis.get(t, account, region, api_id), authorizers.authorizer(t, account, region, api_id, authorizer_id)

    api, auth = await app.store.read(read)
    path, _, query = (p.get("pathWithQueryString") or "/").partition("?")
    headers = [(k, v) for k, v in (p.get("headers") or {}).items()]
    headers += [(k, v) for k, vs in (p.get("multiValueHeaders") or {}).items() for v in vs]
    request_id = str(uuid.uuid4())
    variables = dict(p.get("stageVariables") or {})
    call = Call(account=account, region=region, api_id=api_id, stage=STAGE, deployment_id="test-invoke-deployment-id",
                http_method="GET", path=path, resource_id="", resource_path=path, headers=headers,
                query=parse_qsl(query, keep_blank_values=True), path_parameters={}, stage_variables=variables,
                body=(p.get("body") or "").encode(), source_ip="test-invoke-source-ip",
                domain_name="testPrefix.testDomainName", request_id=request_id, extended_request_id=request_id,
                binary_media_types=list(api.get("binaryMediaTypes") or []))
    method_arn = arns.execute_api_method(region, account, api_id, STAGE, "GET", path)
    started = time.monotonic()
    log = [f"Execution log for request {request_id}", f"Starting authorizer: {authorizer_id} for request: {request_id}"]
    out: Doc = {}
    try:
        if auth["type"] == "COGNITO_USER_POOLS":
            header = str(auth.get("identitySource", "")).rsplit(".", 1)[-1].lower()
            token = next((v for k, v in headers if k.lower() == header), "") or ""
            if token[:7].lower() == "bearer ":
                token = token[7:].strip()
            now = time.time()
            claims = (await app.store.read(lambda t: cognito_auth.claims_of(t, app, list(auth.get("providerARNs") or []),
                                                                          token, None, now))) if token else None
            if claims is None:
                raise Failure(401, "UnauthorizedException", "Unauthorized")
            out = {"clientStatus": 200, "claims": {k: str(v) for k, v in claims.items()}}
        else:
            access = app.parts.lazy(ACCESS, lambda: Access(app))
            principal, policy, context = await access.test_invoke(auth, call, method_arn)
            out = {"clientStatus": 200, "principalId": principal, "policy": json.dumps(policy),
                   "authorization": {k: [str(v)] for k, v in context.items()}}
        log.append(f"Authorizer result: {out.get('principalId', 'claims')}")
    except Failure as f:
        out = {"clientStatus": f.status}
        log.append(f"Execution failed due to configuration error: {f.message}" if f.status >= 500
                   else f"Unauthorized request: {request_id}")
    latency = int((time.monotonic() - started) * 1000)
    log.append(f"Authorizer completed with status: {out['clientStatus']} in {latency} ms")
    return {**out, "log": "\n".join(log), "latency": latency}
