"""A service's departures from the generic wire layer, behind one small typed interface.

The wire layer (routing, the protocols, SigV4) knows no service by name. Where a service's
wire behaviour differs from what its model and the generic protocol say (S3: virtual-hosted
buckets, `InvalidURI`, its `<Error>` envelope and `x-amz-request-id`, its SigV4 variant), the
service's package implements `ProtocolHooks` and names the object in its manifest's
`protocol_hooks` ("module:object", gureum/services/manifest.py). Every hook answers None /
False for "do what the generic layer does", so `GenericHooks` (what services without hooks
get) is all defaults and a package overrides only what differs.

Lookups: `for_service(name)` by botocore service name; `for_signing_name(name)` by the SigV4
credential scope's service, through the registry's signing-name table. Objects are loaded on
first use and cached per process (they hold no state).
"""

from __future__ import annotations

import importlib
from collections.abc import Collection
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from gureum.aws.dispatch import RequestContext
    from gureum.aws.errors import AwsError
    from gureum.http.server import Request, Response


class ProtocolHooks(Protocol):
    """What the generic wire layer asks a service (None / False: the generic behaviour)."""

    def route_path(self, request: Request) -> str | None:
        """The path REST routes are matched against, when not the request's own path."""
        ...

    def label_error(self) -> AwsError | None:
        """The error for a path label that is not UTF-8 once percent-decoded."""
        ...

    def request_id_header(self) -> str | None:
        """The response header carrying the request id (generic: x-amzn-requestid)."""
        ...

    def error_envelope(self, err: AwsError, extra_xml: str, request_id: str) -> tuple[str, list[tuple[str, str]]] | None:
        """A rest-xml error document and its extra headers, when not `<ErrorResponse>`."""
        ...

    def skew_error(self, amz_date: str, server_time: str) -> AwsError | None:
        """The error for a signature date outside the allowed clock skew."""
        ...

    def payload_hash_from_header(self) -> bool:
        """Whether SigV4 takes the payload hash from x-amz-content-sha256 (else sha256(body))."""
        ...

    def path_signed_as_sent(self) -> bool:
        """Whether the canonical URI is the raw path (else the path percent-encoded again)."""
        ...

    def implicit_params(self, request: Request, members: Collection[str]) -> dict[str, Any] | None:
        """Input members (of `members`) a query request carries outside its parameters
        (SQS: the queue URL the request was sent to); parameters sent win over these."""
        ...

    async def answered(self, ctx: RequestContext, response: Response, error_code: str | None) -> None:
        """Told of every answered request that reached an operation (S3: server access logs);
        must not raise, and may only wait briefly (a cached lookup)."""
        ...


class GenericHooks:
    """No departures: what a service without `protocol_hooks` gets; subclass to override."""

    def route_path(self, request: Request) -> str | None:
        return None

    def label_error(self) -> AwsError | None:
        return None

    def request_id_header(self) -> str | None:
        return None

    def error_envelope(self, err: AwsError, extra_xml: str, request_id: str) -> tuple[str, list[tuple[str, str]]] | None:
        return None

    def skew_error(self, amz_date: str, server_time: str) -> AwsError | None:
        return None

    def payload_hash_from_header(self) -> bool:
        return False

    def path_signed_as_sent(self) -> bool:
        return False

    def implicit_params(self, request: Request, members: Collection[str]) -> dict[str, Any] | None:
        return None

    async def answered(self, ctx: RequestContext, response: Response, error_code: str | None) -> None:
        return None


GENERIC: ProtocolHooks = GenericHooks()
_LOADED: dict[str, ProtocolHooks] = {}


def _load(entry: str) -> ProtocolHooks:
    hooks = _LOADED.get(entry)
    if hooks is None:
        module, _, attr = entry.partition(":")
        hooks = getattr(importlib.import_module(module), attr)
        _LOADED[entry] = hooks
    return hooks


_BY_SERVICE: dict[str | None, ProtocolHooks] = {}


def for_service(service: str | None) -> ProtocolHooks:
    """The hooks of `service` (botocore's name); GENERIC when it declares none."""
    hooks = _BY_SERVICE.get(service)
    if hooks is None:
        from gureum.services.registry import PROTOCOL_HOOKS

        entry = PROTOCOL_HOOKS.get(service) if service is not None else None
        hooks = _load(entry) if entry is not None else GENERIC
        _BY_SERVICE[service] = hooks
    return hooks


def for_signing_name(name: str) -> ProtocolHooks:
    """The hooks of the served service that signs with `name` and declares any."""
    from gureum.services.registry import PROTOCOL_HOOKS, signing_candidates

    for service in signing_candidates(name):
        entry = PROTOCOL_HOOKS.get(service)
        if entry is not None:
            return _load(entry)
    return GENERIC
