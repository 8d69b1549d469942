"""Whether API Gateway may invoke a Lambda function for a request, as AWS decides: the
function's resource policy must allow `lambda:InvokeFunction` to the service principal
`apigateway.amazonaws.com`, its conditions evaluated with aws:SourceArn (the execute-api ARN
of the route: `<api>/<stage>/<METHOD>/<path>` or `<api>/<stage>/$default`) and
aws:SourceAccount. Same-account functions need the permission too (quick create through the
API does not add it; `aws lambda add-permission` does). An integration with CredentialsArn
invokes with that role instead and is not checked here."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from gureum.policy import resource_policies

if TYPE_CHECKING:
    from gureum.app import App

PRINCIPAL = "apigateway.amazonaws.com"
ACTION = "lambda:InvokeFunction"
_FN_IN_URI = re.compile(r"/functions/(?P<fn>arn:[^/]+)/invocations$")


def function_arn(uri: str) -> str:
    """The function an AWS_PROXY integration's URI names (a function ARN, or API Gateway's
    `arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<arn>/invocations`)."""
    m = _FN_IN_URI.search(uri)
    return m["fn"] if m else uri


async def may_invoke(app: App, fn: str, *, source_arn: str, source_account: str) -> bool:
    from gureum.policy.engine import AuthRequest, Decision, Principal, statement_decision
    from gureum.policy.gate import parsed

    text = await resource_policies.read(app, "lambda", ACTION, fn)
    policy = parsed(app, text, "resource")
    if policy is None:
        return False
    principal = Principal(arn=PRINCIPAL, account="", kind="service", service=PRINCIPAL)
    req = AuthRequest(principal, ACTION, fn,
                      {"aws:SourceArn": source_arn, "aws:SourceAccount": source_account})
    return statement_decision(policy, req) is Decision.ALLOW
