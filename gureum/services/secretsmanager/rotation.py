"""Rotation: the secret's rotation function invoked synchronously through Lambda's port for
each of AWS's four steps, in order, with AWS's event {"SecretId": <ARN>,
"ClientRequestToken": <new version id>, "Step": "createSecret" | "setSecret" | "testSecret"
| "finishSecret"}; a step that fails (function error, or the function cannot be invoked)
ends the rotation there, leaving AWSPENDING on the new version as AWS does, for the next
attempt. After finishSecret moved AWSCURRENT, the version loses AWSPENDING
(model.finish_rotation).

Before anything runs, RotateSecret checks as AWS does that the function's policy lets the
service principal secretsmanager.amazonaws.com invoke it (`may_invoke`; the policy an
`aws lambda add-permission --principal secretsmanager.amazonaws.com` writes), conditions
evaluated with aws:SourceArn (the secret) and aws:SourceAccount."""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING

from gureum.aws.errors import AwsError
from gureum.policy import resource_policies
from gureum.policy.engine import AuthRequest, Decision, PolicyError, Principal, parse_policy, statement_decision
from gureum.ports import FUNCTIONS, port
from gureum.services.secretsmanager import model

if TYPE_CHECKING:
    from gureum.app import App

log = logging.getLogger(__name__)
STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
SERVICE = "secretsmanager.amazonaws.com"


async def may_invoke(app: App, function_arn: str, secret_arn: str, account: str) -> bool:
    """Whether the function's resource policy allows Secrets Manager to invoke it for this secret."""
    text = await resource_policies.read(app, "lambda", "lambda:InvokeFunction", function_arn)
    if not text:
        return False
    try:
        policy = parse_policy(text, kind="resource")
    except PolicyError:
        return False
    req = AuthRequest(Principal(arn=SERVICE, account="", kind="service", service=SERVICE), "lambda:InvokeFunction", function_arn,
                      {"aws:SourceArn": secret_arn, "aws:SourceAccount": account})
    return statement_decision(policy, req) is Decision.ALLOW


def cannot_invoke() -> AwsError:
    return AwsError.common("AccessDeniedException", "Secrets Manager cannot invoke the specified Lambda function. Ensure that the "
                           "function policy grants access to the principal secretsmanager.amazonaws.com.")


async def run(app: App, secret_arn: str, function_arn: str, token: str) -> bool:
    """Run the four steps; True if every one succeeded."""
    functions = port(app, FUNCTIONS)
    ok = True
    for step in STEPS:
        event = json.dumps({"SecretId": secret_arn, "ClientRequestToken": token, "Step": step}).encode()
        try:
            _, error = await functions.invoke(function_arn, event)
        except AwsError as e:
            error = f"{e.code}: {e.message}"
        if error is not None:
            log.warning("rotation of %s failed at %s: %s", secret_arn, step, error)
            ok = False
            break
    await app.store.run(lambda t: model.finish_rotation(t, secret_arn, token, ok, time.time()))
    return ok
