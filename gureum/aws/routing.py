"""Which service and operation a request is for, the way AWS's endpoints tell: the SigV4
credential scope, X-Amz-Target, the query `Action`, and the REST path and method.

The credential scope's service (the signing name) is decided first: it narrows the candidates
to the served services that sign with it (registry.signing_candidates). A signing name that
belongs to an AWS service gureum does not implement (any botocore model of that name, or the
unserved services a served one's manifest lists in `Routing.unserved_sharing`, matched by the
paths their models declare) gets a 501 NotImplemented naming that service, never a routing
error of a sibling service. No service is named here: the facts come from the registry."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from gureum.aws import hooks, specs
from gureum.aws.errors import AwsError, NotImplementedOperation, clip
from gureum.http.server import Request
from gureum.services import registry
from gureum.services.registry import API_MODULES, SERVED

# Every per-service fact (signing names, X-Amz-Target prefixes, query versions, which
# services route by REST paths and in which order, unserved services sharing a signing name)
# comes from the packages' manifests through the registry (gureum/services/manifest.py
# `Routing`); protocol departures (S3's virtual hosts) from the service's hooks.

_CREDENTIAL = re.compile(r"Credential=([^/\s,]*)/(\d{8})/([^/]*)/([^/]*)/aws4_request")


@dataclass
class Scope:
    access_key_id: str
    date: str
    region: str
    service: str


@dataclass
class Route:
    service: str
    operation: str
    labels: dict[str, str]  # REST path labels (still percent-encoded)
    form: list[tuple[str, str]] | None = None  # query protocol parameters
    protocol: str | None = None  # the protocol the request speaks, when the request says


class NoRoute(AwsError):
    code = "UnknownOperationException"
    status = 400


_CBOR_PATH = re.compile(r"^/service/([^/]+)/operation/([^/]+)$")


def is_cbor_request(request: Request) -> bool:
    return request.headers.get("smithy-protocol") == "rpc-v2-cbor" and _CBOR_PATH.match(request.raw_path) is not None


def credential_scope(request: Request) -> Scope | None:
    auth = request.headers.get("authorization") or ""
    m = _CREDENTIAL.search(auth)
    if m is None and "X-Amz-Credential" in request.query_string:
        cred = request.query_dict().get("X-Amz-Credential", "")
        m = _CREDENTIAL.search("Credential=" + cred)
    if m is None:
        return None
    return Scope(m.group(1), m.group(2), m.group(3), m.group(4))


def implemented() -> str:
    """The services that have handlers, for error messages."""
    return ", ".join(sorted(API_MODULES))


def _is_aws_service(name: str) -> bool:
    """Whether botocore knows a service of this name (cheap: a directory lookup)."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", name):
        return False
    return os.path.isdir(os.path.join(specs.data_dir(), name))


def not_implemented_service(name: str, operation: str | None = None) -> NotImplementedOperation:
    what = f" ({operation})" if operation else ""
    return NotImplementedOperation(
        "NotImplemented",
        f"gureum does not implement the {name} service{what}; it implements: {implemented()}",
        501,
    )


def candidates_for_signing_name(name: str) -> tuple[str, ...]:
    return registry.signing_candidates(name)


def rest_path(spec_name: str, request: Request) -> str:
    """The path REST routes match against: the request's, unless the service's hooks say
    otherwise (S3's virtual-hosted buckets)."""
    return hooks.for_service(spec_name).route_path(request) or request.raw_path


def _match_rest(spec: specs.ServiceSpec, request: Request, qkeys: dict[str, str]) -> Route | None:
    """The best REST route: most specific URI; among equals, the one whose required header
    and query members are all present (the most of them), not deprecated."""
    best: tuple[tuple[Any, ...], specs.UriRoute, dict[str, str]] | None = None
    path = rest_path(spec.name, request)
    for r in spec.routes_for(request.method, path):
        if best is not None and r.specificity < best[1].specificity:
            break
        labels = r.match(request.method, path, qkeys)
        if labels is None:
            continue
        present = all(
            (name in qkeys) if loc == "querystring" else (request.headers.get(name) is not None)
            for loc, name in r.required_located
        )
        score = (present, len(r.required_located) if present else 0, not r.deprecated)
        if best is None or score > best[0]:
            best = (score, r, labels)
    if best is None:
        return None
    return Route(spec.name, best[1].operation.name, best[2])


def route(request: Request, scope: Scope | None, form: list[tuple[str, str]] | None) -> Route:
    """Find the operation. `form` is the parsed urlencoded body (query protocol) if any."""
    target = request.headers.get("x-amz-target")
    cbor = _CBOR_PATH.match(request.raw_path) if request.method == "POST" else None
    if cbor is not None and request.headers.get("smithy-protocol") == "rpc-v2-cbor":
        svc = registry.TARGET_PREFIXES.get(cbor.group(1))
        if svc is None or (scope is not None and svc not in candidates_for_signing_name(scope.service)):
            raise NoRoute("UnknownOperationException", f"Unknown service {clip(repr(cbor.group(1)))}", 404)
        if not specs.load(svc).has_operation(cbor.group(2)):
            raise NoRoute("UnknownOperationException", f"Unknown operation {clip(repr(cbor.group(2)))}", 404)
        return Route(svc, cbor.group(2), {}, protocol="smithy-rpc-v2-cbor")
    if scope is not None:
        services = candidates_for_signing_name(scope.service)
        if not services:
            if _is_aws_service(scope.service):
                raise not_implemented_service(scope.service)
            raise NoRoute(
                "UnknownService",
                f"gureum does not know the service '{clip(scope.service, 64)}' (it implements: {implemented()})",
                400,
            )
    else:
        services = SERVED
    if target:
        prefix, _, op = target.rpartition(".")
        svc = registry.TARGET_PREFIXES.get(prefix)
        if svc is None or svc not in services:
            raise NoRoute("UnknownOperationException", f"Unknown target {clip(repr(target))}", 400)
        spec = specs.load(svc)
        if not spec.has_operation(op):
            raise NoRoute("UnknownOperationException", f"Unknown operation {clip(repr(op))}", 400)
        return Route(svc, op, {}, protocol="json")
    params = form if form is not None else []
    if not params and request.query_string and "Action=" in request.query_string:
        params = parse_qsl(request.query_string, keep_blank_values=True)
    action = next((v for k, v in params if k == "Action"), None)
    if action is not None:
        version = next((v for k, v in params if k == "Version"), None)
        versions = registry.QUERY_VERSIONS
        query_services = [s for s in services if s in versions.values()]
        if version in versions and versions[version] in query_services:
            query_services = [versions[version]]
        for svc in query_services:
            spec = specs.load(svc)
            if spec.has_operation(action):
                return Route(svc, action, {}, params, protocol="query")
        if query_services:
            raise NoRoute("InvalidAction", f"The action {clip(action)} is not valid for this web service.", 400)
    qkeys = dict(parse_qsl(request.query_string, keep_blank_values=True)) if request.query_string else {}
    rest = [s for s in registry.REST_SERVICES if s in services]
    for svc in rest:
        found = _match_rest(specs.load(svc), request, qkeys)
        if found is not None:
            return found
    if scope is not None:
        for other in registry.unserved_sharing(scope.service):
            found = _match_rest(specs.load(other), request, qkeys)
            if found is not None:
                raise not_implemented_service(other, found.operation)
    if scope is not None and len(services) == 1:
        svc = services[0]
        raise NoRoute(
            "UnknownOperationException",
            f"No {svc} operation matches {clip(request.method, 16)} {clip(request.raw_path)}",
            404 if specs.load(svc).protocol.startswith("rest") else 400,
        )
    raise NoRoute(
        "UnknownOperationException",
        f"No AWS operation matches {clip(request.method, 16)} {clip(request.raw_path)}"
        " (sign requests with SigV4 or send X-Amz-Target / Action so gureum can tell the service)",
        400,
    )
