"""One service calling another's operation in-process as a client would (CloudFormation's
resource providers): the parameters are validated against the botocore model exactly as the
edge validates a request, the caller's principal is checked by the same authorization gate, and
the operation's own handler runs. Nothing here knows a service; a refusal is the handler's (or
the validator's) AwsError, raised to the caller unchanged."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gureum.aws import specs
from gureum.aws.dispatch import RequestContext, call_handler, find_handler
from gureum.aws.edge import idempotency_tokens, load_handlers
from gureum.aws.errors import NotImplementedOperation
from gureum.aws.validate import validate

if TYPE_CHECKING:
    from gureum.app import App


@dataclass(frozen=True)
class Caller:
    """Who calls, and where: the account and region the calls are made in, and the principal
    (and its access key, '' for a role assumed by a service) IAM decides for."""

    account_id: str
    region: str
    principal_arn: str
    access_key_id: str = ""


async def call(app: App, caller: Caller, service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """`operation` of `service` with `params` (keyed as boto3 takes them) for `caller`: the
    handler's result, or the AwsError the validator, the gate or the handler raised."""
    spec = specs.load(service)
    op = spec.operation(operation)
    params = dict(params)
    if op.input is not None:
        for member in idempotency_tokens(spec, op.name, op.input):
            params.setdefault(member, str(uuid.uuid4()))
    validate(spec, op.input, params)
    load_handlers(service)
    app.wake_service(service)
    handler = find_handler(service, op.name)
    if handler is None:
        raise NotImplementedOperation("NotImplemented", f"gureum does not implement {service} {op.name} yet", 501)
    ctx = RequestContext(app=app, service=service, operation=op.name, account_id=caller.account_id,
                         region=caller.region, request_id=str(uuid.uuid4()), access_key_id=caller.access_key_id,
                         principal_arn=caller.principal_arn)
    from gureum.policy.gate import authorize

    await authorize(ctx, op.name, params)
    result = await call_handler(handler, ctx, params)
    app.ledger.count(ctx.account_id, ctx.region, service, op.name, params)
    return result if isinstance(result, dict) else {}
