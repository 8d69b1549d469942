"""What an AWS service integration may do: it acts as its `credentials` role, which must exist
and trust apigateway.amazonaws.com (else AWS's 500: API Gateway cannot assume it); the
action (sqs:SendMessage on the queue, sns:Publish on the topic) is then decided by the
authorization gate for that role's session — its identity policies in strict mode, and in
every mode another account's resource only through its resource policy. Role sessions are
assumed through IAM's port and kept until shortly before they expire."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.aws.dispatch import RequestContext
from gureum.aws.errors import AwsError
from gureum.aws.internal_call import Caller
from gureum.policy.gate import check
from gureum.services.apigateway.slots import ROLE_SESSIONS
from gureum.services.iam import port as iam

if TYPE_CHECKING:
    from gureum.app import App

SERVICE = "apigateway.amazonaws.com"
SESSION = "apigateway"


async def _session(app: App, account: str, role_arn: str) -> dict[str, Any] | None:
    sessions = app.parts.lazy(ROLE_SESSIONS, dict)
    found = sessions.get(role_arn)
    if found is not None and found[1] > time.time() + 60:
        return dict(found[0])
    role = await iam.get_role(app, account, role_arn)
    if role is None or not iam.role_trusts_service(role, SERVICE):
        return None
    try:
        creds = await iam.assume_role_credentials(app, account, role_arn, SESSION, 3600, service=SERVICE)
    except AwsError:
        return None
    sessions[role_arn] = (creds, time.time() + 3600)
    return creds


async def caller(app: App, account: str, region: str, role_arn: str) -> Caller | None:
    """The integration's role as an internal caller (its assumed session), None when API
    Gateway cannot assume it."""
    role = arns.try_parse(role_arn)
    if role is None or role.service != "iam" or not role.resource.startswith("role/"):
        return None
    creds = await _session(app, account, role_arn)
    if creds is None:
        return None
    name = role.resource.rsplit("/", 1)[-1]
    return Caller(account, region, arns.sts_assumed_role(account, name, SESSION), str(creds["AccessKeyId"]))


async def allowed(app: App, account: str, region: str, role_arn: str, action: str, resource: str) -> bool:
    role = arns.try_parse(role_arn)
    if role is None or role.service != "iam" or not role.resource.startswith("role/"):
        return False
    creds = await _session(app, account, role_arn)
    if creds is None:
        return False
    name = role.resource.rsplit("/", 1)[-1]
    ctx = RequestContext(app=app, service="apigateway", operation="Invoke", account_id=account, region=region, request_id="",
                         access_key_id=str(creds["AccessKeyId"]), principal_arn=arns.sts_assumed_role(account, name, SESSION))
    try:
        await check(ctx, action, [resource], strict=app.config.auth == "strict")
    except AwsError:
        return False
    return True
