"""The AWS front door: one request in, routed, authenticated, parsed, validated, handled,
serialized; every failure turned into the service's own error shape."""

from __future__ import annotations

import asyncio
import importlib
import logging
import time
import uuid
import zlib
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from gureum.aws import arn as arns
from gureum.aws import auth, hooks, routing, specs
from gureum.aws.dispatch import RequestContext, call_handler, find_handler
from gureum.aws.errors import AwsError, InternalFailure, NotImplementedOperation, RequestTooLarge, serializable
from gureum.aws.output_check import HEADER as UNMODELED_HEADER
from gureum.aws.output_check import unmodeled
from gureum.aws.protocols.common import ParseError
from gureum.aws.protocols.table import PROTOCOLS, Incoming, WireProtocol, error_protocol, pick
from gureum.aws.specs import ServiceSpec
from gureum.aws.validate import invalid_characters, validate
from gureum.http.server import BodyTooLarge, Request, Response
from gureum.node_settings import ApiSettings
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


def load_handlers(service: str) -> None:
    if service in _loaded:
        return
    for module in API_MODULES.get(service, ()):
        importlib.import_module(module)
    _loaded.add(service)


def error_response(spec: ServiceSpec | None, protocol: str, err: AwsError, request_id: str) -> Response:
    """`err` in `protocol`'s error shape (a name in protocols.table.PROTOCOLS)."""
    return _with_headers(PROTOCOLS[protocol].serialize_error(spec, serializable(err), request_id), err)


def _max_body(app: App) -> int:
    return app.settings(ApiSettings).max_body_bytes


async def handle(app: App, request: Request) -> Response:
    request_id = str(uuid.uuid4())
    max_body = _max_body(app)
    spec: ServiceSpec | None = None
    started = time.perf_counter()
    op_name = "?"
    protocol: WireProtocol | None = None
    ctx: RequestContext | None = None
    error_code: str | None = None
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
                form = parse_qsl(_decoded(body, request, max_body).decode("utf-8"), keep_blank_values=True)
            except UnicodeDecodeError:
                form = []
        route = routing.route(request, scope, form)
        spec = specs.load(route.service)
        op = spec.operation(route.operation)
        op_name = op.name
        protocol = pick(spec, route.protocol)
        admission.require_signed(op.raw.get("authtype") == "none")
        streaming = protocol.streams_input and _streams_input(op) and not admission.needs_whole_body
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
        if streaming:
            ctx.body_stream = admission.stream(request.stream())
        if body is not None and op.raw.get("requestcompression"):
            body = _decoded(body, request, max_body)
        incoming = Incoming(body, route.form if route.form is not None else form or [], route.labels,
                            request.query, request.headers)
        params = protocol.parse(spec, op, incoming)
        if route.protocol == "query" and op.input is not None:
            implicit = hooks.for_service(route.service).implicit_params(request, op.input.members)
            if implicit:
                params = {**implicit, **params}
        if op.input is not None:
            for member in idempotency_tokens(spec, op.name, op.input):
                params.setdefault(member, str(uuid.uuid4()))
        if body is not None and len(body) > VALIDATE_INLINE_BYTES:  # big values: off the event loop
            await asyncio.to_thread(validate, spec, op.input, params)
        else:
            validate(spec, op.input, params)
        load_handlers(route.service)
        app.wake_service(route.service)  # its idle components start (gureum/app.py)
        handler = find_handler(route.service, op.name)
        if handler is None:
            raise NotImplementedOperation(
                "NotImplemented",
                f"gureum does not implement {route.service} {op.name} yet",
                501,
            )
        await authorize(ctx, op.name, params)  # cross-account reach; IAM policies in strict mode
        result = await call_handler(handler, ctx, params)
        app.ledger.count(ctx.account_id, ctx.region, route.service, op.name, params)  # billed requests (gureum/billing)
        if isinstance(result, Response):  # rare escape hatch (e.g. S3 range responses)
            response = result
        else:
            response = protocol.serialize(spec, op, result, request_id)
            if op.output is not None and result and app.settings(ApiSettings).report_unmodeled:
                dropped = unmodeled(op.output, result)
                if dropped:
                    response.headers.append((UNMODELED_HEADER, ",".join(dropped)))
    except AwsError as err:
        error_code = err.code
        response = _error(spec, protocol, request, err, request_id)
    except InvalidKey:  # a client's value with NUL reached the store as part of a key
        response = _error(spec, protocol, request, invalid_characters(spec), request_id)
    except BodyTooLarge:
        response = _error(spec, protocol, request, RequestTooLarge(), request_id)
    except ConnectionError:
        raise
    except Exception:
        log.exception("handler failed: %s %s (request %s)", spec.name if spec else "?", op_name, request_id)
        response = _error(spec, protocol, request, InternalFailure(), request_id)
    if ctx is not None:
        await hooks.for_service(ctx.service).answered(ctx, response, error_code)
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


def _error(spec: ServiceSpec | None, protocol: WireProtocol | None, request: Request, err: AwsError,
           request_id: str) -> Response:
    """`err` in the protocol the request was parsed in, or (failing before that) the one it
    shows it speaks."""
    chosen = protocol if protocol is not None else error_protocol(spec, request)
    return _with_headers(chosen.serialize_error(spec, serializable(err), request_id), err)


def _with_headers(response: Response, err: AwsError) -> Response:
    """The error's own HTTP headers (AwsError.headers) on its response."""
    response.headers.extend(err.headers)
    return response


def _spec_of(request: Request, scope: routing.Scope | None) -> ServiceSpec | None:
    """The service a request is for, as far as its headers and path tell (None if unknown)."""
    try:
        return specs.load(routing.route(request, scope, None).service)
    except Exception:
        return None


_TOKENS: dict[tuple[str, str], tuple[str, ...]] = {}


def idempotency_tokens(spec: ServiceSpec, operation: str, shape: specs.Shape) -> tuple[str, ...]:
    """The input members with the model's `idempotencyToken` trait. Every AWS SDK fills one
    the caller leaves out with a fresh UUID4; the edge does the same for a raw request, so it is
    answered as an SDK's would be (handlers may count on the token). Cached per operation."""
    key = (spec.name, operation)
    found = _TOKENS.get(key)
    if found is None:
        found = _TOKENS[key] = tuple(name for name, m in shape.members.items() if m.trait("idempotencyToken"))
    return found


def _decoded(body: bytes, request: Request, max_body: int) -> bytes:
    """The body as the client wrote it before compressing it: SDKs gzip large bodies of
    operations whose model has the `requestcompression` trait (CloudWatch PutMetricData) and
    say so with Content-Encoding (the signature covers the compressed bytes); only those
    operations' bodies (and query forms) are decompressed, never an S3 object's. Decompressed up
    to `max_body` bytes; past it, or when it is not gzip, the request is malformed."""
    encoding = (request.headers.get("content-encoding") or "").strip().lower()
    if not body or "gzip" not in [e.strip() for e in encoding.split(",")]:
        return body
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflate.decompress(body, max_body + 1)
    except zlib.error:
        raise ParseError(message="The request body is not valid gzip.") from None
    if len(out) > max_body or inflate.unconsumed_tail:
        raise RequestTooLarge()
    return out


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
