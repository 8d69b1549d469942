"""The query protocol (IAM, STS, SNS, ELBv2): form-encoded input, XML output."""

from __future__ import annotations

from typing import Any

from gureum.aws.errors import AwsError
from gureum.aws.protocols import xml
from gureum.aws.protocols.common import ParseError, parse_scalar_text
from gureum.aws.specs import Operation, ServiceSpec, Shape
from gureum.http.server import Response


class _Form:
    """Form pairs with an index of every dotted prefix, for fast presence checks."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.values: dict[str, str] = {}
        self.prefixes: set[str] = set()
        for k, v in pairs:
            self.values[k] = v
            parts = k.split(".")
            for i in range(1, len(parts)):
                self.prefixes.add(".".join(parts[:i]))

    def has(self, key: str) -> bool:
        return key in self.values or key in self.prefixes


def parse(spec: ServiceSpec, op: Operation, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    shape = op.input
    if shape is None:
        return {}
    form = _Form([(k, v) for k, v in pairs if k not in ("Action", "Version")])
    return _struct(form, "", shape)


def _name(shape: Shape, member: str) -> str:
    return shape.location_name or member


def _value(form: _Form, key: str, shape: Shape) -> Any:
    t = shape.type
    if t == "structure":
        return _struct(form, key, shape)
    if t == "list":
        return _list(form, key, shape)
    if t == "map":
        return _map(form, key, shape)
    return parse_scalar_text(shape, form.values[key], key)


def _struct(form: _Form, prefix: str, shape: Shape) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for mname, mshape in shape.members.items():
        name = _name(mshape, mname)
        if mshape.type == "list" and mshape.flattened and mshape.member.location_name:
            name = mshape.member.location_name
        key = f"{prefix}.{name}" if prefix else name
        if not form.has(key):
            continue
        out[mname] = _value(form, key, mshape)
    return out


def _list(form: _Form, key: str, shape: Shape) -> list[Any]:
    if form.values.get(key) == "":
        return []
    base = key if shape.flattened else f"{key}.{shape.member.location_name or 'member'}"
    items = []
    i = 1
    while form.has(f"{base}.{i}"):
        items.append(_value(form, f"{base}.{i}", shape.member))
        i += 1
    if not items and key in form.values:
        raise ParseError("ValidationError", f"Invalid list value for {key}")
    return items


def _map(form: _Form, key: str, shape: Shape) -> dict[str, Any]:
    base = key if shape.flattened else f"{key}.entry"
    kname = shape.key.location_name or "key"
    vname = shape.value.location_name or "value"
    out: dict[str, Any] = {}
    i = 1
    while form.has(f"{base}.{i}"):
        k = form.values.get(f"{base}.{i}.{kname}")
        if k is not None and form.has(f"{base}.{i}.{vname}"):
            out[k] = _value(form, f"{base}.{i}.{vname}", shape.value)
        i += 1
    return out


_DECLARATION = '<?xml version="1.0"?>'


def _namespace(spec: ServiceSpec) -> str:
    ns = spec.xml_namespace
    if isinstance(ns, dict):
        return ns.get("uri", "")
    if ns:
        return ns
    return f"https://{spec.metadata.get('endpointPrefix', spec.name)}.amazonaws.com/doc/{spec.metadata['apiVersion']}/"


def serialize(spec: ServiceSpec, op: Operation, result: dict[str, Any] | None, request_id: str) -> Response:
    ns = _namespace(spec)
    out = [f'<{op.name}Response xmlns="{ns}">']
    shape = op.output
    if shape is not None:
        wrapper = shape.raw.get("resultWrapper") or op.raw.get("output", {}).get("resultWrapper")
        wrapper = wrapper or f"{op.name}Result"
        out.append(f"<{wrapper}>")
        xml.members_to_xml(out, shape, result or {})
        out.append(f"</{wrapper}>")
    out.append(f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{op.name}Response>")
    body = "".join(out).encode("utf-8")
    return Response(
        op.response_code,
        [("content-type", "text/xml"), ("x-amzn-requestid", request_id)],
        body,
    )


def serialize_error(spec: ServiceSpec | None, err: AwsError, request_id: str, *, legacy: bool = False) -> Response:
    """`<ErrorResponse><Error><Type/><Code/><Message/>...</Error><RequestId/></ErrorResponse>`;
    `legacy`: the older query wire of the services whose model moved to json (SQS), which
    opens with an XML declaration and closes the error with an empty `<Detail/>`."""
    ns = _namespace(spec) if spec is not None else "https://iam.amazonaws.com/doc/2010-05-08/"
    fault = "Sender" if err.sender_fault else "Receiver"
    extra = "".join(
        f"<{k}>{xml.escape(str(v))}</{k}>" for k, v in err.fields.items() if not isinstance(v, (list, dict))
    )
    body = (
        f'{_DECLARATION if legacy else ""}<ErrorResponse xmlns="{ns}"><Error><Type>{fault}</Type>'
        f"<Code>{xml.escape(err.code)}</Code><Message>{xml.escape(err.message)}</Message>{extra}"
        f'{"<Detail/>" if legacy else ""}</Error><RequestId>{request_id}</RequestId></ErrorResponse>'
    ).encode("utf-8")
    return Response(
        err.status,
        [("content-type", "text/xml"), ("x-amzn-requestid", request_id)],
        body,
    )
