"""Operation handlers: `@operation("route53", "CreateHostedZone")` and the context they get.

A handler is `def|async def handler(ctx: RequestContext, params: dict) -> dict | None`.
`params` is the validated input, keyed by the model's member names exactly as boto3 takes
them as keyword arguments (timestamps as aware datetimes, blobs as bytes, or — for streaming
blob payloads — an async iterator in `ctx.body_stream`). The result is a dict shaped like the
output model (member names; the serializer puts headers, status code and payload where the
model says). Errors are raised as `gureum.aws.errors.AwsError`.

Handlers live in `gureum/services/<name>/api.py`, imported lazily the first time a request
for that service arrives (see gureum/services/registry.py).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.http.server import Request

Handler = Callable[["RequestContext", dict[str, Any]], Any]

_HANDLERS: dict[tuple[str, str], Handler] = {}


@dataclass
class RequestContext:
    app: App
    service: str  # botocore service name, e.g. "route53"
    operation: str  # e.g. "CreateHostedZone"
    account_id: str
    region: str
    request_id: str
    access_key_id: str
    principal_arn: str
    request: Request | None = None
    # Set for operations whose input payload is a streaming blob (S3 PutObject, ...).
    body_stream: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def partition(self) -> str:
        return "aws"

    def arn(self, service: str, resource: str, *, region: str | None = None, account: str | None = None) -> str:
        """arn:aws:<service>:<region>:<account>:<resource> (region '' for global services)."""
        reg = self.region if region is None else region
        acct = self.account_id if account is None else account
        return arns.build(service, reg, acct, resource)


def operation(service: str, name: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of `service`'s operation `name`."""

    def register(fn: Handler) -> Handler:
        key = (service, name)
        if key in _HANDLERS and _HANDLERS[key] is not fn:
            raise RuntimeError(f"two handlers for {service}.{name}")
        _HANDLERS[key] = fn
        return fn

    return register


def find_handler(service: str, name: str) -> Handler | None:
    return _HANDLERS.get((service, name))


def implemented(service: str) -> list[str]:
    """Names of the operations of `service` that have handlers (after its modules load)."""
    return sorted(op for svc, op in _HANDLERS if svc == service)


async def call_handler(handler: Handler, ctx: RequestContext, params: dict[str, Any]) -> Any:
    result = handler(ctx, params)
    if inspect.isawaitable(result):
        result = await result
    return result
