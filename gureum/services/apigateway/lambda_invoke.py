"""Calling a Lambda function for an integration: the function ARN an integration URI names
(`arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function ARN>/invocations`,
`${stageVariables.x}` substituted), and AWS's permission rule: without integration
credentials, the function's resource policy must allow apigateway.amazonaws.com
lambda:InvokeFunction for the calling method's execute-api ARN (aws:SourceArn) — else the
call fails with AWS's 500 (its execution log says "Invalid permissions on Lambda function")."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from gureum.aws import arn as arns
from gureum.policy import gate, resource_policies
from gureum.policy.engine import AuthRequest, Decision, Principal, statement_decision
from gureum.ports import FUNCTIONS, port
from gureum.services.apigateway.slots import DECISIONS

if TYPE_CHECKING:
    from gureum.app import App

SERVICE = "apigateway.amazonaws.com"
_SERVICE = Principal(arn=SERVICE, account="", kind="service", service=SERVICE)
_PATH = re.compile(r"path/\d{4}-\d{2}-\d{2}/functions/(?P<fn>[^/]+)/invocations")
_STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([a-zA-Z0-9_]+)\}")


def substitute(text: str, variables: dict[str, str]) -> str:
    """`${stageVariables.name}` replaced by the stage's variable (empty when unset)."""
    return _STAGE_VARIABLE.sub(lambda m: variables.get(m.group(1), ""), text)


def function_arn(uri: str, variables: dict[str, str]) -> str | None:
    a = arns.try_parse(substitute(uri, variables))
    if a is None or a.service != "apigateway" or a.account != "lambda":
        return None
    m = _PATH.fullmatch(a.resource)
    if m is None or arns.service_of(m.group("fn")) != "lambda":
        return None
    return m.group("fn")


async def may_invoke(app: App, fn_arn: str, source_arn: str, account: str) -> bool:
    """Whether the function's policy (read through Lambda's function cache, parsed once per
    text by the gate) lets API Gateway invoke it for `source_arn`; decisions are remembered
    per policy text, so a changed policy is decided afresh."""
    text = await resource_policies.read(app, "lambda", "lambda:InvokeFunction", fn_arn)
    if not text:
        return False
    decisions = app.parts.lazy(DECISIONS, dict)
    key = (text, fn_arn, source_arn, account)
    found = decisions.get(key)
    if found is None:
        policy = gate.parsed(app, text, "resource")
        req = AuthRequest(_SERVICE, "lambda:InvokeFunction", fn_arn, {"aws:SourceArn": source_arn, "aws:SourceAccount": account})
        found = policy is not None and statement_decision(policy, req) is Decision.ALLOW
        if len(decisions) > 10000:
            decisions.clear()
        decisions[key] = found
    return found


async def invoke(app: App, fn_arn: str, payload: bytes) -> tuple[bytes, str | None]:
    return await port(app, FUNCTIONS).invoke(fn_arn, payload)
