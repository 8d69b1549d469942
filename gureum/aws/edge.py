"""The AWS front door: one request in, routed, authenticated, parsed, validated, handled,
serialized; every failure turned into the service's own error shape."""

from __future__ import annotations

import asyncio
import importlib
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from gureum.aws import arn as arns
from gureum.aws import auth, routing, specs
from gureum.aws.dispatch import RequestContext, call_handler, find_handler
from gureum.aws.errors import AwsError, InternalFailure, NotImplementedOperation, RequestTooLarge, serializable
from gureum.aws.protocols import cbor_rpc, json_rpc, query, query_compat, rest
from gureum.aws.specs import ServiceSpec
from gureum.aws.validate import invalid_characters, validate
from gureum.http.server import BodyTooLarge, Request, Response
from gureum.policy.gate import authorize
from gureum.services.registry import API_MODULES
from gureum.store.threaded import InvalidKey

if TYPE_CHECKING:
    from gureum.app import App

log = logging.getLogger("gureum.aws")

DEFAULT_ACCOUNT = "000000000000"
DEFAULT_REGION = "us-east-1"
MAX_BODY = 128 * 1024 * 1024  # non-streamed bodies (Lambda zips arrive base64 in JSON)
VALIDATE_INLINE_BYTES = 256 * 1024  # bigger bodies are validated in a worker thread
_loaded: set[str] = set()


def _load_handlers(service: str) -> None:
    if service in _loaded:
        return
    for module in API_MODULES.get(service, ()):
        importlib.import_module(module)
    _loaded.add(service)


def _protocol_of(spec: ServiceSpec | None, request: Request) -> str:
    """The protocol to answer an error in: the one the request was sent in."""
    if routing.is_cbor_request(request):
        return "smithy-rpc-v2-cbor"
    if request.headers.get("x-amz-target") and (spec is None or spec.protocol in ("json", "smithy-rpc-v2-cbor")):
        return "json"
    if spec is not None:
        return spec.protocol
    if request.headers.get("x-amz-target"):
        return "json"
    if "x-www-form-urlencoded" in (request.headers.get("content-type") or "") or "Action=" in request.query_string:
        return "query"
    return "rest-json"


def error_response(spec: ServiceSpec | None, protocol: str, err: AwsError, request_id: str) -> Response:
    err = serializable(err)  # client values echoed in messages may hold lone surrogates, NULs
    if protocol == "query":
        return query.serialize_error(spec, err, request_id)
    if protocol == "json":
        return json_rpc.serialize_error(spec, err, request_id)
    if protocol == "smithy-rpc-v2-cbor":
        return cbor_rpc.serialize_error(spec, err, request_id)
    return rest.serialize_error(spec, err, request_id)


def _max_body(app: App) -> int:
    from gureum.node_settings import ApiSettings

    return app.settings(ApiSettings).max_body_bytes


async def handle(app: App, request: Request) -> Response:
    request_id = str(uuid.uuid4())
    max_body = _max_body(app)
    spec: ServiceSpec | None = None
    started = time.perf_counter()
    op_name = "?"
    protocol = ""
    try:
        scope = routing.credential_scope(request)
        # Authentication from the headers first: a request refused here is refused unread.
        try:
            admission = await auth.admit(app, request, scope)
        except AwsError:
            spec = _spec_of(request, scope)  # answer in the service's own error shape
            raise
        form = None
        body: bytes | None = None
        ctype = request.headers.get("content-type") or ""
        if "x-www-form-urlencoded" in ctype and request.method == "POST":
            body = await _form_body(request, max_body, admission.unsigned)
            try:
                form = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
            except UnicodeDecodeError:
                form = []
        route = routing.route(request, scope, form)
        spec = specs.load(route.service)
        op = spec.operation(route.operation)
        op_name = op.name
        protocol = route.protocol or spec.protocol
        admission.require_signed(op.raw.get("authtype") == "none")
        streaming = protocol.startswith("rest") and _streams_input(op) and not admission.needs_whole_body
        if body is None and not streaming:
            body = await request.body(max_body)
        identity = await admission.finish(body)
        ctx = RequestContext(
            app=app,
            service=route.service,
            operation=op.name,
            account_id=identity.account_id,
            region=scope.region if scope and scope.region else DEFAULT_REGION,
            request_id=request_id,
            access_key_id=identity.access_key_id,
            principal_arn=identity.arn,
            request=request,
        )
        if protocol == "json" and route.form is not None and spec.query_compatible:
            protocol = "query-compat"  # a form-encoded request to a json service (old SDKs)
            params = query_compat.parse(spec, op, route.form)
        elif protocol == "query":
            params = query.parse(spec, op, route.form if route.form is not None else form or [])
        elif protocol == "json":
            params = json_rpc.parse(spec, op, body or b"")
        elif protocol == "smithy-rpc-v2-cbor":
            params = cbor_rpc.parse(spec, op, body or b"")
        else:
            if streaming:
                ctx.body_stream = admission.stream(request.stream())
            params = rest.parse(spec, op, route.labels, request.query, request.headers, body)
        if body is not None and len(body) > VALIDATE_INLINE_BYTES:  # big values: off the event loop
            await asyncio.to_thread(validate, spec, op.input, params)
        else:
            validate(spec, op.input, params)
        _load_handlers(route.service)
        handler = find_handler(route.service, op.name)
        if handler is None:
            raise NotImplementedOperation(
                "NotImplemented",
                f"gureum does not implement {route.service} {op.name} yet",
                501,
            )
        await authorize(ctx, op.name, params)  # cross-account reach; IAM policies in strict mode
        result = await call_handler(handler, ctx, params)
        if isinstance(result, Response):  # rare escape hatch (e.g. S3 range responses)
            response = result
        elif protocol == "query":
            response = query.serialize(spec, op, result, request_id)
        elif protocol == "query-compat":
            response = query_compat.serialize(spec, op, result, request_id)
        elif protocol == "json":
            response = json_rpc.serialize(spec, op, result, request_id)
        elif protocol == "smithy-rpc-v2-cbor":
            response = cbor_rpc.serialize(spec, op, result, request_id)
        else:
            response = rest.serialize(spec, op, result, request_id)
    except AwsError as err:
        if protocol == "query-compat":
            err = AwsError(err.fields.get("QueryCode", err.code), err.message, err.status,
                           sender_fault=err.sender_fault)
            response = error_response(spec, "query", err, request_id)
        else:
            response = error_response(spec, _protocol_of(spec, request), err, request_id)
    except InvalidKey:  # a client's value with NUL reached the store as part of a key
        response = error_response(spec, _protocol_of(spec, request), invalid_characters(spec), request_id)
    except BodyTooLarge:
        response = error_response(spec, _protocol_of(spec, request), RequestTooLarge(), request_id)
    except ConnectionError:
        raise
    except Exception:
        log.exception("handler failed: %s %s (request %s)", spec.name if spec else "?", op_name, request_id)
        response = error_response(spec, _protocol_of(spec, request), InternalFailure(), request_id)
    if log.isEnabledFor(logging.DEBUG):
        log.debug(
            "%s %s %s -> %d (%.1f ms)",
            spec.name if spec else "?",
            op_name,
            request_id,
            response.status,
            (time.perf_counter() - started) * 1000,
        )
    return response


def _spec_of(request: Request, scope: routing.Scope | None) -> ServiceSpec | None:
    """The service a request is for, as far as its headers and path tell (None if unknown)."""
    try:
        return specs.load(routing.route(request, scope, None).service)
    except Exception:
        return None


async def _form_body(request: Request, max_body: int, unsigned: bool) -> bytes:
    """A form-encoded body (the query protocol's Action lives there). An unsigned one in
    strict mode only up to auth.UNSIGNED_FORM_MAX: larger ones are refused unread."""
    if not unsigned:
        return await request.body(max_body)
    length = request.headers.get("content-length") or ""
    if not length.strip().isdigit() or int(length) > auth.UNSIGNED_FORM_MAX:
        raise auth.missing_token()
    try:
        return await request.body(auth.UNSIGNED_FORM_MAX)
    except BodyTooLarge:
        raise auth.missing_token() from None


def _streams_input(op: specs.Operation) -> bool:
    shape = op.input
    if shape is None or not shape.payload:
        return False
    member = shape.members[shape.payload]
    return member.is_streaming or member.raw.get("requiresLength") is True and member.type == "blob"


def service_context(app: App, service: str, account_id: str = DEFAULT_ACCOUNT, region: str = DEFAULT_REGION, **extra: Any) -> RequestContext:
    """A context for calling a handler in-process (one service calling another, CLI tools)."""
    return RequestContext(
        app=app,
        service=service,
        operation="",
        account_id=account_id,
        region=region,
        request_id=str(uuid.uuid4()),
        access_key_id="",
        principal_arn=arns.iam_root(account_id),
        extra=dict(extra),
    )
