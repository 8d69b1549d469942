"""The REST protocols (rest-json, rest-xml): input from the URI, query string, headers and
body; output to status code, headers and body, as each member's `location` says.

Path labels and string payloads must be UTF-8 (after percent-decoding for labels); anything
else is the client's 400 (the service's validation code, or its hooks' `label_error`: S3's
InvalidURI), never silently replaced characters. A service's hooks (gureum.aws.hooks) may
name the request-id header and give rest-xml errors their own envelope (S3's `<Error>`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

from gureum.aws import hooks
from gureum.aws.errors import AwsError
from gureum.aws.protocols import jsonbody, xml
from gureum.aws.protocols.common import (
    ParseError,
    b64decode,
    b64encode,
    parse_scalar_text,
    scalar_text,
)
from gureum.aws.specs import Operation, ServiceSpec, Shape
from gureum.aws.validate import VALIDATION_CODES
from gureum.http.server import Headers, Response


def parse(
    spec: ServiceSpec,
    op: Operation,
    labels: dict[str, str],
    query: list[tuple[str, str]],
    headers: Headers,
    body: bytes | None,
) -> dict[str, Any]:
    """Input params; `body` is None when the payload is streamed to the handler."""
    shape = op.input
    if shape is None:
        return {}
    plan = _plan(op, shape)
    out: dict[str, Any] = {}
    qmulti: dict[str, list[str]] = {}
    for k, v in query:
        qmulti.setdefault(k, []).append(v)
    used_query: set[str] = set()
    for mname, mshape, loc, name, mtype in plan.located:
        if loc == "uri":
            if name in labels:
                out[mname] = parse_scalar_text(mshape, _label(spec, labels[name]), mname)
        elif loc == "querystring":
            if name in qmulti:
                used_query.add(name)
                if mtype == "list":
                    out[mname] = [parse_scalar_text(mshape.member, v, mname) for v in qmulti[name]]
                else:
                    out[mname] = parse_scalar_text(mshape, qmulti[name][0], mname)
        elif loc == "header":
            raw = headers.get(name)
            if raw is not None:
                out[mname] = _header_value(mshape, raw, mname)
        else:  # "headers": a map of the headers with this prefix
            prefix = name.lower()
            found = {k[len(prefix) :]: v for k, v in headers.items() if k.startswith(prefix)}
            if found:
                out[mname] = found
    # Keys the request URI itself carries (a model's "/things?mode=import") are the
    # operation's, not a query-string map's.
    for mname, mshape in plan.query_maps:
        rest = {k: v for k, v in qmulti.items() if k not in used_query and k not in plan.literal}
        if rest:
            if mshape.value.type == "list":
                out[mname] = rest
            else:
                out[mname] = {k: v[0] for k, v in rest.items()}
    if body is None:
        return out
    payload = shape.payload
    protocol = spec.protocol
    if payload:
        pshape = shape.members[payload]
        if pshape.type in ("blob", "string"):
            if body:
                out[payload] = body if pshape.type == "blob" else _text(spec, body)
        elif body.strip():
            if protocol == "rest-xml":
                root = xml.parse_document(body)
                out[payload] = xml.element_to_value(root, pshape)
            else:
                out[payload] = jsonbody.from_json(jsonbody.loads(body), pshape)
    elif body.strip() and plan.body_members:
        if protocol == "rest-xml":
            root = xml.parse_document(body)
            out.update(xml.element_to_value(root, shape))
        else:
            out.update(jsonbody.from_json(jsonbody.loads(body), shape))
    return out


@dataclass(frozen=True)
class _Plan:
    """What `parse` reads of an operation's input, worked out once per operation: the members
    the URI, query string and headers carry, in the model's order, as (member name, shape,
    location, location name, type) (query-string maps apart, filled last from the keys left
    over); the query keys of the request URI itself; whether any member is in the body."""

    located: tuple[tuple[str, Shape, str, str, str], ...]
    query_maps: tuple[tuple[str, Shape], ...]
    literal: frozenset[str]
    body_members: bool


_PLANS: dict[Operation, _Plan] = {}


def _plan(op: Operation, shape: Shape) -> _Plan:
    plan = _PLANS.get(op)
    if plan is None:
        located: list[tuple[str, Shape, str, str, str]] = []
        query_maps: list[tuple[str, Shape]] = []
        for mname, mshape in shape.members.items():
            loc = mshape.location
            if loc == "querystring" and mshape.type == "map":
                query_maps.append((mname, mshape))
            elif loc in ("uri", "querystring", "header", "headers"):
                located.append((mname, mshape, loc, mshape.location_name or mname, mshape.type))
        literal = frozenset(k for k, _ in parse_qsl(op.request_uri.partition("?")[2], keep_blank_values=True))
        body_members = any(m.location in (None, "") for m in shape.members.values())
        plan = _PLANS[op] = _Plan(tuple(located), tuple(query_maps), literal, body_members)
    return plan


def _label(spec: ServiceSpec, raw: str) -> str:
    """A path label, percent-decoded: UTF-8, or the client's error (S3's InvalidURI)."""
    try:
        return unquote(raw, errors="strict")
    except UnicodeDecodeError:
        departure = hooks.for_service(spec.name).label_error()
        if departure is not None:
            raise departure from None
        code = VALIDATION_CODES.get(spec.name, "ValidationException")
        raise ParseError(code, "The request path is not valid UTF-8 once percent-decoded.") from None


def _text(spec: ServiceSpec, body: bytes) -> str:
    """A string payload (e.g. a bucket policy): UTF-8, or the client's error."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        code = "InvalidArgument" if spec.protocol == "rest-xml" else "SerializationException"
        raise ParseError(code, "The request body is not valid UTF-8.") from None


def _header_value(shape: Shape, raw: str, where: str) -> Any:
    if shape.type == "string" and shape.raw.get("jsonvalue"):
        try:
            return json.loads(b64decode(raw, where))
        except ValueError:
            raise ParseError(message=f"Invalid JSON header value for {where}") from None
    if shape.type == "list":
        return [parse_scalar_text(shape.member, v.strip(), where) for v in raw.split(",") if v.strip()]
    return parse_scalar_text(shape, raw, where)


def _header_text(shape: Shape, value: Any) -> str:
    if shape.type == "string" and shape.raw.get("jsonvalue"):
        return b64encode(json.dumps(value, separators=(",", ":")))
    if shape.type == "list":
        return ",".join(scalar_text(shape.member, v, "rfc822") for v in value)
    if shape.type == "timestamp":
        return scalar_text(shape, value, "rfc822")
    return scalar_text(shape, value)


def _xml_namespace(spec: ServiceSpec, shape: Shape | None = None) -> str | None:
    if shape is not None:
        ns = shape.raw.get("xmlNamespace") or shape.ref.get("xmlNamespace")
        if isinstance(ns, dict) and ns.get("uri"):
            uri: str = ns["uri"]
            return uri
    ns = spec.xml_namespace
    if isinstance(ns, dict):
        return ns.get("uri")
    return ns


def serialize(spec: ServiceSpec, op: Operation, result: dict[str, Any] | None, request_id: str) -> Response:
    result = result or {}
    shape = op.output
    headers: list[tuple[str, str]] = [_request_id_header(spec, request_id)]
    status = op.response_code
    body: Any = b""
    protocol = spec.protocol
    if shape is None:
        return Response(status, headers, b"")
    for mname, mshape in shape.members.items():
        value = result.get(mname)
        if value is None:
            continue
        loc = mshape.location
        if loc == "header":
            headers.append((mshape.location_name or mname, _header_text(mshape, value)))
        elif loc == "headers":
            prefix = mshape.location_name or ""
            for k, v in value.items():
                headers.append((prefix + k, str(v)))
        elif loc == "statusCode":
            status = int(value)
    payload = shape.payload
    if payload:
        pshape = shape.members[payload]
        value = result.get(payload)
        if pshape.type in ("blob", "string") or pshape.is_streaming:
            if value is None:
                body = b""
            elif isinstance(value, str):
                body = value.encode("utf-8")
            else:
                body = value  # bytes or an async iterator of bytes
            if not _has(headers, "content-type"):
                headers.append(("content-type", "application/octet-stream" if pshape.type == "blob" else "text/plain"))
        elif value is not None:
            if protocol == "rest-xml":
                out: list[str] = ['<?xml version="1.0" encoding="UTF-8"?>\n']
                name = pshape.location_name or pshape.name
                xml.value_to_xml(out, name, pshape, value, _xml_namespace(spec, pshape))
                body = "".join(out).encode("utf-8")
                headers.append(("content-type", "application/xml"))
            else:
                body = jsonbody.dumps(jsonbody.to_json(value, pshape))
                headers.append(("content-type", "application/json"))
    elif any(m.location in (None, "") for m in shape.members.values()):
        if protocol == "rest-xml":
            out = ['<?xml version="1.0" encoding="UTF-8"?>\n']
            name = shape.location_name or shape.name
            xml.value_to_xml(out, name, shape, result, _xml_namespace(spec, shape))
            body = "".join(out).encode("utf-8")
            headers.append(("content-type", "application/xml"))
        else:
            body = jsonbody.dumps(jsonbody.to_json(result, shape))
            headers.append(("content-type", "application/json"))
    return Response(status, headers, body)


def _has(headers: list[tuple[str, str]], name: str) -> bool:
    return any(k.lower() == name for k, _ in headers)


def _request_id_header(spec: ServiceSpec | None, request_id: str) -> tuple[str, str]:
    name = hooks.for_service(spec.name if spec is not None else None).request_id_header()
    return (name or "x-amzn-requestid", request_id)


def serialize_error(spec: ServiceSpec | None, err: AwsError, request_id: str) -> Response:
    protocol = spec.protocol if spec is not None else "rest-json"
    headers = [_request_id_header(spec, request_id)]
    if protocol == "rest-xml":
        fault = "Sender" if err.sender_fault else "Receiver"
        extra: list[str] = []
        eshape = spec.error_shape(err.code) if spec is not None else None
        if eshape is not None:
            known = {k: v for k, v in err.fields.items() if k in eshape.members}
            xml.members_to_xml(extra, eshape, known)
        else:
            known = {}
        for k, v in err.fields.items():
            if k not in known and not isinstance(v, (list, dict)):
                extra.append(f"<{k}>{xml.escape(str(v))}</{k}>")
        envelope = hooks.for_service(spec.name if spec is not None else None).error_envelope(
            err, "".join(extra), request_id)
        if envelope is not None:
            body, more = envelope
            headers.extend(more)
        else:
            ns = _xml_namespace(spec) if spec is not None else None
            ns_attr = f' xmlns="{ns}"' if ns else ""
            body = (
                f'<?xml version="1.0"?>\n<ErrorResponse{ns_attr}><Error><Type>{fault}</Type>'
                f"<Code>{xml.escape(err.code)}</Code><Message>{xml.escape(err.message)}</Message>"
                f"{''.join(extra)}</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
            )
        headers.append(("content-type", "application/xml"))
        return Response(err.status, headers, body.encode("utf-8"))
    eshape = spec.error_shape(err.code) if spec is not None else None
    message_key = "Message" if eshape is not None and "Message" in eshape.members else "message"
    doc: dict[str, Any] = {message_key: err.message}
    doc.update(err.fields)
    headers.append(("x-amzn-errortype", err.code))
    headers.append(("content-type", "application/json"))
    # Header-bound members of the error shape (e.g. Lambda's Retry-After).
    if spec is not None:
        if eshape is not None:
            for mname, mshape in eshape.members.items():
                if mshape.location == "header" and mname in err.fields:
                    headers.append((mshape.location_name or mname, str(err.fields[mname])))
                    doc.pop(mname, None)
    return Response(err.status, headers, jsonbody.dumps(doc))
