"""Form-encoded query requests to services whose model moved to json but stays
awsQueryCompatible (SQS): the old wire names are derived from the json model — lists and
maps are flattened under the singular member name (`AttributeName.1`, `Attribute.1.Name`,
`MessageAttribute.1.Value.StringValue`) or the member shape's name
(`SendMessageBatchRequestEntry.1.Id`) — and responses are the old flattened XML."""

from __future__ import annotations

from typing import Any

from gureum.aws.protocols import xml
from gureum.aws.protocols.common import ParseError, parse_scalar_text, scalar_text
from gureum.aws.protocols.query import _namespace
from gureum.aws.specs import Operation, ServiceSpec, Shape
from gureum.http.server import Response


def _singular(name: str) -> str:
    return name.removesuffix("s")


def _prefixes(mname: str, mshape: Shape) -> list[str]:
    names = [mname, _singular(mname), mname[:1].upper() + mname[1:], _singular(mname[:1].upper() + mname[1:])]
    if mshape.type == "list" and mshape.member.type == "structure":
        names.insert(0, mshape.member.name)
    seen: list[str] = []
    for n in names:
        if n not in seen:
            seen.append(n)
    return seen


def parse(spec: ServiceSpec, op: Operation, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    form = {k: v for k, v in pairs}
    return _struct(form, "", op.input) if op.input is not None else {}


def _value(form: dict[str, str], key: str, shape: Shape) -> Any:
    t = shape.type
    if t == "structure":
        fields = _struct(form, key + ".", shape)
        return fields or None
    if t == "list":
        items = []
        i = 1
        while True:
            v = _value(form, f"{key}.{i}", shape.member)
            if v is None:
                v = _value(form, f"{key}.member.{i}", shape.member)
            if v is None:
                break
            items.append(v)
            i += 1
        return items or None
    if t == "map":
        out: dict[str, Any] = {}
        i = 1
        while True:
            k = form.get(f"{key}.{i}.Name", form.get(f"{key}.{i}.Key", form.get(f"{key}.entry.{i}.key")))
            if k is None:
                break
            vkey = f"{key}.{i}.Value" if f"{key}.entry.{i}.key" not in form else f"{key}.entry.{i}.value"
            v = _value(form, vkey, shape.value)
            out[k] = v if v is not None else ""
            i += 1
        return out or None
    if key not in form:
        return None
    return parse_scalar_text(shape, form[key], key)


def _struct(form: dict[str, str], prefix: str, shape: Shape) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for mname, mshape in shape.members.items():
        names = _prefixes(mname, mshape) if mshape.type in ("list", "map") else [mname]
        for n in names:
            v = _value(form, prefix + n, mshape)
            if v is not None:
                out[mname] = v
                break
    return out


def serialize(spec: ServiceSpec, op: Operation, result: dict[str, Any] | None, request_id: str) -> Response:
    out = [f'<?xml version="1.0"?><{op.name}Response xmlns="{_namespace(spec)}">']
    if op.output is not None and result:
        out.append(f"<{op.name}Result>")
        _members(out, op.output, result)
        out.append(f"</{op.name}Result>")
    elif op.output is not None:
        out.append(f"<{op.name}Result/>")
    out.append(f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{op.name}Response>")
    return Response(200, [("content-type", "text/xml"), ("x-amzn-requestid", request_id)],
                    "".join(out).encode("utf-8"))


def _members(out: list[str], shape: Shape, value: dict[str, Any]) -> None:
    for mname, mshape in shape.members.items():
        v = value.get(mname)
        if v is None:
            continue
        name = mname[:1].upper() + mname[1:]
        if mshape.type == "list":
            el = mshape.member.name if mshape.member.type == "structure" else _singular(name)
            for item in v:
                _scalar_or_struct(out, el, mshape.member, item)
        elif mshape.type == "map":
            el = _singular(name)
            kname = "Key" if el == "Tag" else "Name"
            for k, item in v.items():
                out.append(f"<{el}><{kname}>{xml.escape(str(k))}</{kname}>")
                _scalar_or_struct(out, "Value", mshape.value, item)
                out.append(f"</{el}>")
        else:
            _scalar_or_struct(out, name, mshape, v)


def _scalar_or_struct(out: list[str], name: str, shape: Shape, value: Any) -> None:
    if shape.type == "structure":
        out.append(f"<{name}>")
        _members(out, shape, value)
        out.append(f"</{name}>")
    else:
        out.append(f"<{name}>{xml.escape(scalar_text(shape, value))}</{name}>")


__all__ = ["ParseError", "parse", "serialize"]
