"""XML bodies (rest-xml requests and responses, query-protocol responses) to and from
values, following the model's naming rules (locationName, flattened lists and maps,
xmlAttribute members, namespaces).

Request documents are parsed with DTDs refused (no internal entities, no external ones: a
DOCTYPE is a MalformedXML 400, as AWS answers it), by defusedxml over expat. Text written
out goes through `escape`/`quoteattr`, which also replace what XML 1.0 cannot carry (control
characters, lone surrogates) so a response is always well-formed UTF-8.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any
from xml.sax import saxutils

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as _safe_fromstring

from gureum.aws.errors import clean
from gureum.aws.protocols.common import ParseError, parse_scalar_text, scalar_text
from gureum.aws.specs import Shape

XSI = "http://www.w3.org/2001/XMLSchema-instance"


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if tag.startswith("{") else tag


def member_xml_name(shape: Shape, member_name: str) -> str:
    """The element name a structure member uses (botocore's rule for flattened lists)."""
    if shape.type == "list" and shape.flattened:
        inner: str | None = shape.member.ref.get("locationName")
        if inner:
            return inner
    return shape.location_name or member_name


def escape(text: str) -> str:
    return saxutils.escape(clean(text))


def quoteattr(text: str) -> str:
    return saxutils.quoteattr(clean(text))


def parse_document(body: bytes) -> ET.Element:
    try:
        root: ET.Element = _safe_fromstring(body, forbid_dtd=True)
        return root
    except ET.ParseError as exc:
        raise ParseError("MalformedXML", f"The XML you provided was not well-formed: {exc}") from None
    except DefusedXmlException:
        raise ParseError(
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our published schema"
            " (document type declarations are not allowed)",
        ) from None


def element_to_value(elem: ET.Element, shape: Shape, where: str = "") -> Any:
    t = shape.type
    if t == "structure":
        return _struct(elem, shape, where)
    if t == "list":
        name = shape.member.location_name or "member"
        return [element_to_value(c, shape.member, where) for c in elem if local(c.tag) == name]
    if t == "map":
        return _map(list(elem), shape, where, flattened=False)
    return parse_scalar_text(shape, elem.text or "", where or local(elem.tag))


def _struct(elem: ET.Element, shape: Shape, where: str) -> dict[str, Any]:
    children: dict[str, list[ET.Element]] = {}
    for c in elem:
        children.setdefault(local(c.tag), []).append(c)
    out: dict[str, Any] = {}
    for mname, mshape in shape.members.items():
        if mshape.location in ("header", "headers", "uri", "querystring", "statusCode"):
            continue
        path = f"{where}.{mname}" if where else mname
        if mshape.trait("xmlAttribute"):
            attr = mshape.location_name or mname
            if ":" in attr:
                prefix, _, lname = attr.partition(":")
                key = f"{{{XSI}}}{lname}" if prefix == "xsi" else attr
            else:
                key = attr
            if key in elem.attrib:
                out[mname] = parse_scalar_text(mshape, elem.attrib[key], path)
            continue
        xname = member_xml_name(mshape, mname)
        nodes = children.get(xname)
        if not nodes:
            continue
        if mshape.type == "list" and mshape.flattened:
            out[mname] = [element_to_value(n, mshape.member, path) for n in nodes]
        elif mshape.type == "map" and mshape.flattened:
            out[mname] = _map(nodes, mshape, path, flattened=True)
        else:
            out[mname] = element_to_value(nodes[0], mshape, path)
    return out


def _map(entries: list[ET.Element], shape: Shape, where: str, flattened: bool) -> dict[str, Any]:
    kname = shape.key.location_name or "key"
    vname = shape.value.location_name or "value"
    out: dict[str, Any] = {}
    for entry in entries:
        if not flattened and local(entry.tag) != "entry":
            continue
        k = v = None
        for c in entry:
            tag = local(c.tag)
            if tag == kname:
                k = c.text or ""
            elif tag == vname:
                v = element_to_value(c, shape.value, where)
        if k is not None:
            out[k] = v
    return out


# --- serialization ------------------------------------------------------------------


def value_to_xml(out: list[str], name: str, shape: Shape, value: Any, xmlns: str | None = None) -> None:
    """Append `<name>value</name>` for `value` of `shape` to `out`."""
    t = shape.type
    ns = f' xmlns="{xmlns}"' if xmlns else ""
    if t == "structure":
        attrs = ""
        inner: list[str] = []
        for mname, mshape in shape.members.items():
            if mname not in value or value[mname] is None:
                continue
            if mshape.location in ("header", "headers", "uri", "querystring", "statusCode"):
                continue
            mval = value[mname]
            if mshape.trait("xmlAttribute"):
                attr = mshape.location_name or mname
                if attr.startswith("xsi:") and "xmlns:xsi" not in attrs:
                    attrs += f' xmlns:xsi="{XSI}"'
                attrs += f" {attr}={quoteattr(scalar_text(mshape, mval))}"
                continue
            _member(inner, mname, mshape, mval)
        out.append(f"<{name}{ns}{attrs}>")
        out.extend(inner)
        out.append(f"</{name}>")
    elif t == "list":
        out.append(f"<{name}{ns}>")
        mname = shape.member.location_name or "member"
        for item in value:
            value_to_xml(out, mname, shape.member, item)
        out.append(f"</{name}>")
    elif t == "map":
        out.append(f"<{name}{ns}>")
        _map_entries(out, "entry", shape, value)
        out.append(f"</{name}>")
    else:
        text = escape(scalar_text(shape, value))
        out.append(f"<{name}{ns}>{text}</{name}>")


def _member(out: list[str], mname: str, mshape: Shape, mval: Any) -> None:
    xname = member_xml_name(mshape, mname)
    ns_ref = mshape.ref.get("xmlNamespace")
    xmlns = ns_ref.get("uri") if isinstance(ns_ref, dict) else None
    if mshape.type == "list" and mshape.flattened:
        for item in mval:
            value_to_xml(out, xname, mshape.member, item)
    elif mshape.type == "map" and mshape.flattened:
        _map_entries(out, xname, mshape, mval)
    else:
        value_to_xml(out, xname, mshape, mval, xmlns)


def _map_entries(out: list[str], entry_name: str, shape: Shape, value: dict[str, Any]) -> None:
    kname = shape.key.location_name or "key"
    vname = shape.value.location_name or "value"
    for k, v in value.items():
        out.append(f"<{entry_name}>")
        value_to_xml(out, kname, shape.key, k)
        value_to_xml(out, vname, shape.value, v)
        out.append(f"</{entry_name}>")


def members_to_xml(out: list[str], shape: Shape, value: dict[str, Any]) -> None:
    """Append just the member elements of a structure (no wrapper)."""
    for mname, mshape in shape.members.items():
        if mname in value and value[mname] is not None:
            if mshape.location in ("header", "headers", "uri", "querystring", "statusCode"):
                continue
            if mshape.trait("xmlAttribute"):
                continue
            _member(out, mname, mshape, value[mname])
