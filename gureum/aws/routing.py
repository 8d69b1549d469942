"""Which service and operation a request is for, the way AWS's endpoints tell: the SigV4
credential scope, X-Amz-Target, the query `Action`, and the REST path and method."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from gureum.aws import specs
from gureum.aws.errors import AwsError
from gureum.http.server import Request
from gureum.services.registry import SERVED

# SigV4 signing name -> services that sign with it (all must be in SERVED).
SIGNING_NAMES: dict[str, tuple[str, ...]] = {
    "dynamodb": ("dynamodb", "dynamodbstreams"),
    "elasticloadbalancing": ("elbv2",),
    "apigateway": ("apigatewayv2",),
}
# X-Amz-Target prefix -> service.
TARGET_PREFIXES: dict[str, str] = {
    "Route53Domains_v20140515": "route53domains",
    "Route53Resolver": "route53resolver",
    "AmazonEC2ContainerRegistry_V20150921": "ecr",
    "AmazonEC2ContainerServiceV20141113": "ecs",
    "AmazonSQS": "sqs",
    "Kinesis_20131202": "kinesis",
    "DynamoDB_20120810": "dynamodb",
    "DynamoDBStreams_20120810": "dynamodbstreams",
    "Logs_20140328": "logs",
    "Route53AutoNaming_v20170314": "servicediscovery",
    "AWSInsightsIndexService": "ce",
}
QUERY_SERVICES = ("iam", "sts", "sns", "elbv2", "sqs")
REST_SERVICES = ("route53", "lambda", "eks", "apigatewayv2", "s3")  # s3 last: it matches most paths
_QUERY_VERSIONS = {"2010-05-08": "iam", "2011-06-15": "sts", "2010-03-31": "sns", "2015-12-01": "elbv2", "2012-11-05": "sqs"}

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
    auth = request.headers.get("authorization", "")
    m = _CREDENTIAL.search(auth)
    if m is None and "X-Amz-Credential" in request.query_string:
        cred = request.query_dict().get("X-Amz-Credential", "")
        m = _CREDENTIAL.search("Credential=" + cred)
    if m is None:
        return None
    return Scope(m.group(1), m.group(2), m.group(3), m.group(4))


def candidates_for_signing_name(name: str) -> tuple[str, ...]:
    if name in SIGNING_NAMES:
        return SIGNING_NAMES[name]
    if name in SERVED:
        return (name,)
    return ()


# Virtual-hosted-style S3: <bucket>.localhost, <bucket>.s3.localhost, <bucket>.s3[.<region>].amazonaws.com
_S3_VHOST = re.compile(
    r"^(?P<bucket>[a-z0-9][a-z0-9.-]*?)\.(?:s3\.)?(?:localhost|s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com)(?::\d+)?$"
)


def s3_bucket_from_host(host: str) -> str | None:
    """The bucket named by a virtual-hosted-style Host header, if it is one."""
    m = _S3_VHOST.match(host.lower())
    if m is None or m.group("bucket") in ("s3",):
        return None
    return m.group("bucket")


def rest_path(spec_name: str, request: Request) -> str:
    """The path REST routes match against: for S3 virtual hosts, /<bucket> + path."""
    if spec_name == "s3":
        bucket = s3_bucket_from_host(request.host)
        if bucket is not None:
            return "/" + bucket + request.raw_path
    return request.raw_path


def _match_rest(spec: specs.ServiceSpec, request: Request, qkeys: dict[str, str]) -> Route | None:
    """The best REST route: most specific URI; among equals, the one whose required header
    and query members are all present (the most of them), not deprecated."""
    best: tuple[tuple[Any, ...], specs.UriRoute, dict[str, str]] | None = None
    path = rest_path(spec.name, request)
    for r in spec.uri_routes:
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
        svc = TARGET_PREFIXES.get(cbor.group(1))
        if svc is None or (scope is not None and svc not in candidates_for_signing_name(scope.service)):
            raise NoRoute("UnknownOperationException", f"Unknown service {cbor.group(1)!r}", 404)
        if not specs.load(svc).has_operation(cbor.group(2)):
            raise NoRoute("UnknownOperationException", f"Unknown operation {cbor.group(2)!r}", 404)
        return Route(svc, cbor.group(2), {}, protocol="smithy-rpc-v2-cbor")
    if scope is not None:
        services = candidates_for_signing_name(scope.service)
        if not services:
            raise NoRoute(
                "UnknownService",
                f"gureum does not serve the service '{scope.service}' (it serves: {', '.join(SERVED)})",
                400,
            )
    else:
        services = SERVED
    if target:
        prefix, _, op = target.rpartition(".")
        svc = TARGET_PREFIXES.get(prefix)
        if svc is None or svc not in services:
            raise NoRoute("UnknownOperationException", f"Unknown target {target!r}", 400)
        spec = specs.load(svc)
        if not spec.has_operation(op):
            raise NoRoute("UnknownOperationException", f"Unknown operation {op!r}", 400)
        return Route(svc, op, {}, protocol="json")
    params = form if form is not None else []
    if not params and request.query_string and "Action=" in request.query_string:
        params = parse_qsl(request.query_string, keep_blank_values=True)
    action = next((v for k, v in params if k == "Action"), None)
    if action is not None:
        version = next((v for k, v in params if k == "Version"), None)
        query_services = [s for s in services if s in QUERY_SERVICES]
        if version in _QUERY_VERSIONS and _QUERY_VERSIONS[version] in query_services:
            query_services = [_QUERY_VERSIONS[version]]
        for svc in query_services:
            spec = specs.load(svc)
            if spec.has_operation(action):
                return Route(svc, action, {}, params)
        if query_services:
            raise NoRoute("InvalidAction", f"The action {action} is not valid for this web service.", 400)
    qkeys = dict(parse_qsl(request.query_string, keep_blank_values=True))
    rest = [s for s in REST_SERVICES if s in services]
    for svc in rest:
        found = _match_rest(specs.load(svc), request, qkeys)
        if found is not None:
            return found
    if scope is not None and len(services) == 1:
        svc = services[0]
        raise NoRoute(
            "UnknownOperationException",
            f"No {svc} operation matches {request.method} {request.raw_path}",
            404 if specs.load(svc).protocol.startswith("rest") else 400,
        )
    raise NoRoute(
        "UnknownOperationException",
        f"No AWS operation matches {request.method} {request.raw_path}"
        " (sign requests with SigV4 or send X-Amz-Target / Action so gureum can tell the service)",
        400,
    )
