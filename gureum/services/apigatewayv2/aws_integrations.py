"""AWS service integrations of HTTP APIs at request time: the integration's RequestParameters
are resolved against the request (subtypes.py), and the subtype's operation runs through
gureum/aws/internal_call.py as the integration's CredentialsArn role — assumed through REST
API Gateway's port exactly as its AWS integrations assume theirs, so the authorization gate
decides for the role's session as for any client. A role API Gateway cannot assume (missing,
not trusting apigateway.amazonaws.com), or no role at all, is AWS's 500 Internal Server Error;
a parameter that does not fit the operation is the service's own validation error; the
service's answer or error is returned as subtypes.py shapes it."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from gureum.aws.errors import AwsError
from gureum.aws.internal_call import call
from gureum.services.apigateway import port as rest_port
from gureum.services.apigatewayv2 import events, subtypes

if TYPE_CHECKING:
    from gureum.app import App

log = logging.getLogger("gureum.apigatewayv2")


async def integrate(app: App, view: dict[str, Any], integration: dict[str, Any], req: events.Incoming,
                    timeout: float, late: events.Outgoing) -> events.Outgoing:
    """The integration's answer; `late` when the call outlasts the integration's timeout."""
    sub = subtypes.SERVED.get(str(integration.get("IntegrationSubtype")))
    role = str(integration.get("CredentialsArn") or "")
    if sub is None or not role:
        return events.INTERNAL_ERROR
    resolved = subtypes.resolve(dict(integration.get("RequestParameters") or {}), req)
    region, params = subtypes.call_parameters(sub, resolved)
    caller = await rest_port.role_caller(app, view["account"], region or view["region"], role)
    if caller is None:
        log.info("API %s: API Gateway cannot assume %s", view["api"]["ApiId"], role)
        return events.INTERNAL_ERROR
    try:
        async with asyncio.timeout(timeout):
            result = await call(app, caller, sub.service, sub.operation, params)
    except TimeoutError:
        return late
    except AwsError as e:
        if e.status >= 500:
            log.info("API %s: %s %s failed: %s", view["api"]["ApiId"], sub.service, sub.operation, e)
        return subtypes.error(sub, e.code, e.message, e.status, e.fields.get("QueryCode"), req.request_id)
    return subtypes.answer(sub, result, req.request_id)
