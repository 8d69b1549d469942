"""The response-shape check: a raw AWS response (status, headers, body bytes) walked against
the operation's output shape in botocore's model, before botocore's parser silently drops what
it does not know.

`check_output(op, status, headers, body)` returns Findings for a success response:
- `unknown`: a JSON key, XML element/attribute or `x-amz(n)-*` header the output shape does not
  declare under that wire name (locationName, flattened lists and maps, header names);
- `required`: a member the shape marks required that is absent;
- `enum`: a value outside the member's enum;
- `timestamp`: a timestamp not in the protocol's format (JSON: epoch seconds, XML/query: ISO 8601,
  headers: RFC 822, unless the shape's timestampFormat says otherwise);
- `type`: a value of the wrong JSON type or an XML text that is not the scalar it must be;
- `envelope`: the protocol's wrapper is wrong (query `<OpResponse><OpResult>`, ResponseMetadata);
- `dropped`: (recorder) a member the handler returned that the output shape lacks, named by
  gureum's x-gureum-unmodeled header: the serializer dropped it before the wire.

`check_error(service, status, headers, body)` checks an error response's envelope per protocol
and that its extra members are the error shape's, returning (code, Findings).

`ShapeRecorder(client)` hooks botocore's `before-parse` event on a client and runs the check on
every response it receives, keeping findings and the operations seen.

ALLOWED holds what AWS itself sends outside its model (with the evidence), never a gureum
departure."""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

ISO8601 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$")
INTEGER = re.compile(r"^-?\d+$")
NUMBER = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$|^(NaN|-?Infinity)$")

# gureum's own header naming what a handler returned beyond the output shape (the serializer
# drops it: gureum/aws/output_check.py); the harness turns it on for every test node.
UNMODELED_HEADER = "x-gureum-unmodeled"

# Headers every AWS response may carry whatever the operation (request ids, tracing, checksums).
COMMON_HEADERS = frozenset({
    "x-amzn-requestid", "x-amz-request-id", "x-amz-id-2", "x-amzn-trace-id", "x-amz-crc32",
    "x-amz-apigw-id", "x-amzn-remapped-content-length", "x-amz-cf-id",
})

# The root element of S3's XML responses, which botocore's model does not carry (its output
# shapes are named ...Output): each operation's "Response Syntax" in the S3 API reference.
S3_ROOTS: dict[str, str] = {
    "ListBuckets": "ListAllMyBucketsResult", "ListObjects": "ListBucketResult", "ListObjectsV2": "ListBucketResult",
    "ListObjectVersions": "ListVersionsResult", "ListMultipartUploads": "ListMultipartUploadsResult",
    "ListParts": "ListPartsResult", "CreateMultipartUpload": "InitiateMultipartUploadResult",
    "CompleteMultipartUpload": "CompleteMultipartUploadResult", "DeleteObjects": "DeleteResult",
    "GetBucketAcl": "AccessControlPolicy", "GetObjectAcl": "AccessControlPolicy",
    "GetBucketCors": "CORSConfiguration", "GetBucketTagging": "Tagging", "GetObjectTagging": "Tagging",
    "GetBucketVersioning": "VersioningConfiguration", "GetBucketLocation": "LocationConstraint",
    "GetBucketNotificationConfiguration": "NotificationConfiguration", "CopyObject": "CopyObjectResult",
    "UploadPartCopy": "CopyPartResult",
    "GetBucketLifecycleConfiguration": "LifecycleConfiguration", "GetBucketLifecycle": "LifecycleConfiguration",
    "GetBucketWebsite": "WebsiteConfiguration", "GetBucketLogging": "BucketLoggingStatus",
    "GetBucketRequestPayment": "RequestPaymentConfiguration", "GetBucketAccelerateConfiguration": "AccelerateConfiguration",
    "GetBucketNotification": "NotificationConfiguration",
    "ListBucketAnalyticsConfigurations": "ListBucketAnalyticsConfigurationResult",
    "ListBucketInventoryConfigurations": "ListInventoryConfigurationsResult",
    "ListBucketMetricsConfigurations": "ListMetricsConfigurationsResult",
}

# (service, operation or "*", path) -> why AWS sends it outside its model. Evidence only.
ALLOWED: dict[tuple[str, str, str], str] = {
    ("route53", "ListHostedZones", "$ListHostedZonesResponse.Marker"):
        "required in the model, but AWS omits <Marker> when the request gave none (AWS's own response quoted"
        " in boto/botocore#2854, escalated as aws/aws-sdk#495)",
}

# (service, member, value) -> why AWS sends this value outside the member's enum.
ALLOWED_VALUES: dict[tuple[str, str, str], str] = {
    ("lambda", "LastUpdateStatusReasonCode", "Creating"):
        "AWS answers UpdateFunctionCode/UpdateFunctionConfiguration with LastUpdateStatus InProgress,"
        " LastUpdateStatusReason 'The function is being created.' and LastUpdateStatusReasonCode 'Creating'"
        " (not in the LastUpdateStatusReasonCode enum): the AWS CLI's recorded output in many public READMEs"
        " and tutorials, e.g. a search for that exact JSON line",
}

# service -> why its error documents carry members its error shapes do not model.
ERROR_EXTRAS_ALLOWED: dict[str, str] = {
    "s3": "S3's error shapes model no members, yet its REST error documents carry 'additional structured"
          " data' per error (Resource, BucketName, Key, ArgumentName/ArgumentValue, Condition, Method...):"
          " https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html",
}


@dataclass(frozen=True)
class Finding:
    operation: str
    path: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.operation} {self.path}: {self.kind}: {self.detail}"


@dataclass
class _Walk:
    operation: str
    findings: list[Finding] = field(default_factory=list)
    binary: bool = False  # a CBOR document (smithy-rpc-v2-cbor): blobs are bytes, timestamps tag 1

    def add(self, path: str, kind: str, detail: str) -> None:
        self.findings.append(Finding(self.operation, path, kind, detail))


def _lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def _ts_format(shape: Shape, default: str) -> str:
    fmt = shape.serialization.get("timestampFormat") or getattr(shape, "metadata", {}).get("timestampFormat")
    return str(fmt or default)


def _is_document(shape: Shape) -> bool:
    return bool(getattr(shape, "is_document_type", False) or shape.metadata.get("document"))


# --- scalars --------------------------------------------------------------------------


def _check_text_scalar(w: _Walk, path: str, shape: Shape, text: str, ts_default: str) -> None:
    """A scalar carried as text (XML element or attribute, header)."""
    t = shape.type_name
    if t == "string":
        enum = shape.enum
        if enum and text not in enum:
            w.add(path, "enum", f"{text!r} not in {list(enum)}")
    elif t in ("integer", "long"):
        if not INTEGER.match(text.strip()):
            w.add(path, "type", f"{text!r} is not an integer")
    elif t in ("float", "double"):
        if not NUMBER.match(text.strip()):
            w.add(path, "type", f"{text!r} is not a number")
    elif t == "boolean":
        if text.strip() not in ("true", "false"):
            w.add(path, "type", f"{text!r} is not a boolean")
    elif t == "timestamp":
        _check_ts_text(w, path, text.strip(), _ts_format(shape, ts_default))


def _check_ts_text(w: _Walk, path: str, text: str, fmt: str) -> None:
    if fmt == "iso8601":
        if not ISO8601.match(text):
            w.add(path, "timestamp", f"{text!r} is not ISO 8601")
    elif fmt == "rfc822":
        try:
            parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            w.add(path, "timestamp", f"{text!r} is not RFC 822")
        else:
            if not text.endswith("GMT"):
                w.add(path, "timestamp", f"{text!r} is not RFC 822 in GMT")
    elif fmt == "unixTimestamp":
        if not NUMBER.match(text):
            w.add(path, "timestamp", f"{text!r} is not epoch seconds")


# --- JSON ------------------------------------------------------------------------------


def check_json_value(w: _Walk, path: str, shape: Shape, value: Any) -> None:
    """A decoded JSON value against `shape` (json and rest-json bodies)."""
    if value is None or _is_document(shape):
        return
    t = shape.type_name
    if t == "structure":
        assert isinstance(shape, StructureShape)
        if not isinstance(value, dict):
            w.add(path, "type", f"expected an object, got {type(value).__name__}")
            return
        wire: dict[str, tuple[str, Shape]] = {}
        for mname, mshape in shape.members.items():
            if mshape.serialization.get("location"):
                continue
            wire[mshape.serialization.get("name", mname)] = (mname, mshape)
        for key, v in value.items():
            if key not in wire:
                w.add(f"{path}.{key}", "unknown", f"not a member of {shape.name}")
                continue
            check_json_value(w, f"{path}.{key}", wire[key][1], v)
        present = {wire[k][0] for k, v in value.items() if k in wire and v is not None}
        for req in shape.required_members:
            if shape.members[req].serialization.get("location"):
                continue
            if req not in present:
                w.add(f"{path}.{req}", "required", f"required member of {shape.name} missing")
        return
    if t == "list":
        assert isinstance(shape, ListShape)
        if not isinstance(value, list):
            w.add(path, "type", f"expected an array, got {type(value).__name__}")
            return
        for i, item in enumerate(value):
            check_json_value(w, f"{path}[{i}]", shape.member, item)
        return
    if t == "map":
        assert isinstance(shape, MapShape)
        if not isinstance(value, dict):
            w.add(path, "type", f"expected an object (map), got {type(value).__name__}")
            return
        for k, v in value.items():
            if shape.key.enum and k not in shape.key.enum:
                w.add(f"{path}.{k}", "enum", f"map key {k!r} not in {list(shape.key.enum)}")
            check_json_value(w, f"{path}.{k}", shape.value, v)
        return
    if t == "string":
        if not isinstance(value, str):
            w.add(path, "type", f"expected a string, got {type(value).__name__}")
        elif shape.enum and value not in shape.enum:
            w.add(path, "enum", f"{value!r} not in {list(shape.enum)}")
        return
    if t in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            w.add(path, "type", f"expected an integer, got {value!r}")
        return
    if t in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            if not (isinstance(value, str) and value in ("NaN", "Infinity", "-Infinity")):
                w.add(path, "type", f"expected a number, got {value!r}")
        return
    if t == "boolean":
        if not isinstance(value, bool):
            w.add(path, "type", f"expected a boolean, got {value!r}")
        return
    if t == "blob":
        if not isinstance(value, bytes if w.binary else str):
            w.add(path, "type", f"expected {'bytes' if w.binary else 'base64 text'}, got {type(value).__name__}")
        return
    if t == "timestamp" and w.binary:
        if not isinstance(value, dt.datetime):
            w.add(path, "timestamp", f"{value!r} is not a CBOR epoch timestamp (tag 1)")
        return
    if t == "timestamp":
        fmt = _ts_format(shape, "unixTimestamp")
        if fmt == "unixTimestamp":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                w.add(path, "timestamp", f"{value!r} is not epoch seconds")
        elif not isinstance(value, str):
            w.add(path, "timestamp", f"{value!r} is not {fmt} text")
        else:
            _check_ts_text(w, path, value, fmt)


# --- XML -------------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if tag.startswith("{") else tag


def _xml_name(mname: str, mshape: Shape) -> str:
    if mshape.type_name == "list" and mshape.serialization.get("flattened"):
        assert isinstance(mshape, ListShape)
        inner = mshape.member.serialization.get("name")
        if inner:
            return str(inner)
    return str(mshape.serialization.get("name", mname))


def check_xml_struct(w: _Walk, path: str, shape: StructureShape, elem: ET.Element, ts_default: str = "iso8601",
                     skip: Iterable[str] = ()) -> None:
    """The children and attributes of `elem` against structure `shape` (body members only)."""
    names: dict[str, tuple[str, Shape]] = {}
    attrs: dict[str, tuple[str, Shape]] = {}
    for mname, mshape in shape.members.items():
        if mshape.serialization.get("location"):
            continue
        if mshape.serialization.get("xmlAttribute"):
            attrs[str(mshape.serialization.get("name", mname))] = (mname, mshape)
        else:
            names[_xml_name(mname, mshape)] = (mname, mshape)
    present: set[str] = set()
    for key, text in elem.attrib.items():
        lname = key
        if key.startswith("{http://www.w3.org/2001/XMLSchema-instance}"):
            lname = "xsi:" + _local(key)
        if lname in attrs:
            present.add(attrs[lname][0])
            _check_text_scalar(w, f"{path}@{lname}", attrs[lname][1], text, ts_default)
        else:
            w.add(f"{path}@{lname}", "unknown", f"attribute not a member of {shape.name}")
    counts: dict[str, int] = {}
    for child in elem:
        tag = _local(child.tag)
        if tag in skip:
            continue
        cpath = f"{path}.{tag}"
        if tag not in names:
            w.add(cpath, "unknown", f"element not a member of {shape.name}")
            continue
        mname, mshape = names[tag]
        present.add(mname)
        counts[tag] = counts.get(tag, 0) + 1
        flattened = bool(mshape.serialization.get("flattened"))
        if mshape.type_name == "list" and flattened:
            assert isinstance(mshape, ListShape)
            check_xml_value(w, cpath, mshape.member, child, ts_default)
        elif mshape.type_name == "map" and flattened:
            assert isinstance(mshape, MapShape)
            _check_map_entry(w, cpath, mshape, child, ts_default)
        else:
            if counts[tag] > 1:
                w.add(cpath, "type", "a non-list member appears more than once")
            check_xml_value(w, cpath, mshape, child, ts_default)
    for req in shape.required_members:
        if shape.members[req].serialization.get("location"):
            continue
        if req not in present:
            w.add(f"{path}.{req}", "required", f"required member of {shape.name} missing")


def _check_map_entry(w: _Walk, path: str, shape: MapShape, entry: ET.Element, ts_default: str) -> None:
    kname = shape.key.serialization.get("name", "key")
    vname = shape.value.serialization.get("name", "value")
    for c in entry:
        tag = _local(c.tag)
        if tag == kname:
            _check_text_scalar(w, f"{path}.{tag}", shape.key, c.text or "", ts_default)
        elif tag == vname:
            check_xml_value(w, f"{path}.{tag}", shape.value, c, ts_default)
        else:
            w.add(f"{path}.{tag}", "unknown", f"map entry holds {tag!r} (expects {kname}/{vname})")


def check_xml_value(w: _Walk, path: str, shape: Shape, elem: ET.Element, ts_default: str = "iso8601") -> None:
    t = shape.type_name
    if t == "structure":
        assert isinstance(shape, StructureShape)
        check_xml_struct(w, path, shape, elem, ts_default)
    elif t == "list":
        assert isinstance(shape, ListShape)
        mname = shape.member.serialization.get("name", "member")
        for i, c in enumerate(elem):
            if _local(c.tag) != mname:
                w.add(f"{path}.{_local(c.tag)}", "unknown", f"list item element should be <{mname}>")
                continue
            check_xml_value(w, f"{path}[{i}]", shape.member, c, ts_default)
    elif t == "map":
        assert isinstance(shape, MapShape)
        for c in elem:
            if _local(c.tag) != "entry":
                w.add(f"{path}.{_local(c.tag)}", "unknown", "map item element should be <entry>")
                continue
            _check_map_entry(w, f"{path}.entry", shape, c, ts_default)
    else:
        if len(elem):
            w.add(path, "type", f"scalar {t} holds child elements")
            return
        _check_text_scalar(w, path, shape, elem.text or "", ts_default)


# --- headers and status ------------------------------------------------------------------


def _check_headers(w: _Walk, shape: StructureShape | None, headers: Mapping[str, str], allow_extra: bool) -> None:
    hdrs = _lower_headers(headers)
    declared: set[str] = set()
    prefixes: list[str] = []
    present: set[str] = set()
    if shape is not None:
        for mname, mshape in shape.members.items():
            loc = mshape.serialization.get("location")
            name = str(mshape.serialization.get("name", mname)).lower()
            if loc == "header":
                declared.add(name)
                if name in hdrs:
                    present.add(mname)
                    value = hdrs[name]
                    if mshape.type_name == "list":
                        continue
                    if mshape.type_name == "string" and mshape.serialization.get("jsonvalue"):
                        continue
                    _check_text_scalar(w, f"header {name}", mshape, value, "rfc822")
            elif loc == "headers":
                prefixes.append(name)
                if any(h.startswith(name) for h in hdrs):
                    present.add(mname)
            elif loc == "statusCode":
                present.add(mname)
        for req in shape.required_members:
            loc = shape.members[req].serialization.get("location")
            if loc in ("header", "headers") and req not in present:
                w.add(f"header {req}", "required", f"required header member of {shape.name} missing")
    if allow_extra:
        return
    for h in hdrs:
        if not h.startswith(("x-amz-", "x-amzn-")) or h in COMMON_HEADERS or h in declared:
            continue
        if any(h.startswith(p) for p in prefixes):
            continue
        w.add(f"header {h}", "unknown", "x-amz header not declared by the output shape")


# --- entry points --------------------------------------------------------------------------


def _parse_xml(w: _Walk, body: bytes) -> ET.Element | None:
    try:
        return ET.fromstring(body)
    except ET.ParseError as exc:
        w.add("$", "envelope", f"body is not XML: {exc}")
        return None


def response_protocol(service: ServiceModel, headers: Mapping[str, str]) -> str:
    """The protocol a response is in: the model's, or for a model listing several (Cloud Map:
    smithy-rpc-v2-cbor and json) the one its content-type names; an XML answer of an
    awsQueryCompatible json service is the query protocol."""
    protocols = service.metadata.get("protocols") or [service.protocol]
    ctype = _lower_headers(headers).get("content-type", "")
    if "awsQueryCompatible" in service.metadata and "xml" in ctype:
        return "query"  # the older query wire a json service still answers (SQS)
    if len(protocols) > 1:
        ctype = _lower_headers(headers).get("content-type", "")
        if "cbor" in ctype and "smithy-rpc-v2-cbor" in protocols:
            return "smithy-rpc-v2-cbor"
        if "json" in ctype and "json" in protocols:
            return "json"
    return str(service.protocol)


def check_output(op: OperationModel, status: int, headers: Mapping[str, str], body: bytes | None) -> list[Finding]:
    """Findings for a success response of `op` (body None: a streamed payload, not checked)."""
    protocol = response_protocol(op.service_model, headers)
    w = _Walk(op.name)
    shape = op.output_shape
    assert shape is None or isinstance(shape, StructureShape)
    if protocol in ("rest-json", "rest-xml"):
        _check_headers(w, shape, headers, allow_extra=False)
    if body is None:
        return w.findings
    if protocol == "json":
        doc = _load_json(w, body)
        if doc is not None:
            if shape is None:
                if doc not in ({}, None):
                    w.add("$", "unknown", "the operation has no output but the body holds members")
            else:
                check_json_value(w, "$", shape, doc)
    elif protocol == "rest-json":
        _rest_body(w, op, shape, body, json_body=True)
    elif protocol == "rest-xml":
        _rest_body(w, op, shape, body, json_body=False)
    elif protocol == "query":
        _query_body(w, op, shape, body)
    elif protocol == "smithy-rpc-v2-cbor":
        w.binary = True
        doc = _load_cbor(w, body)
        if doc is not None and shape is not None:
            check_json_value(w, "$", shape, doc)
    else:
        w.add("$", "envelope", f"protocol {protocol} not checked")
    return [f for f in w.findings if not _allowed(op.service_model.service_name, f)]


def _allowed(service: str, f: Finding) -> bool:
    if (service, f.operation, f.path) in ALLOWED or (service, "*", f.path) in ALLOWED:
        return True
    if f.kind == "enum":
        member = f.path.rsplit(".", 1)[-1]
        return any(f.detail.startswith(repr(value) + " ")
                   for (svc, name, value) in ALLOWED_VALUES if svc == service and name == member)
    return False


def _load_json(w: _Walk, body: bytes) -> Any:
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except ValueError as exc:
        w.add("$", "envelope", f"body is not JSON: {exc}")
        return None


def _load_cbor(w: _Walk, body: bytes) -> Any:
    import cbor2

    if not body:
        return {}
    try:
        return cbor2.loads(body)
    except (cbor2.CBORDecodeError, ValueError, EOFError) as exc:
        w.add("$", "envelope", f"body is not CBOR: {exc}")
        return None


def _rest_body(w: _Walk, op: OperationModel, shape: StructureShape | None, body: bytes, json_body: bool) -> None:
    if shape is None:
        if body.strip() and json_body and _load_json(w, body) not in ({}, None):
            w.add("$", "unknown", "the operation has no output but the body holds members")
        return
    payload = shape.serialization.get("payload")
    target: Shape = shape
    if payload:
        target = shape.members[payload]
        if target.type_name != "structure":
            return  # a blob or string payload: the body is the value itself
        if not body.strip():
            return
    elif not body.strip():
        body = b"{}" if json_body else b""
    if json_body:
        doc = _load_json(w, body)
        if doc is not None:
            check_json_value(w, "$", target, doc)
        return
    if not body.strip():
        if any(not m.serialization.get("location") for m in shape.members.values()):
            for req in shape.required_members:
                if not shape.members[req].serialization.get("location"):
                    w.add(f"$.{req}", "required", f"required member of {shape.name} missing (empty body)")
        return
    root = _parse_xml(w, body)
    if root is not None:
        assert isinstance(target, StructureShape)
        _check_root(w, op, target, root)
        check_xml_struct(w, f"${_local(root.tag)}", target, root)


def service_namespace(service: ServiceModel) -> str | None:
    """The XML namespace AWS's responses carry on their root: the model's metadata, else the
    one its operations' inputs declare."""
    ns = service.metadata.get("xmlNamespace")
    if isinstance(ns, dict):
        ns = ns.get("uri")
    if ns:
        return str(ns)
    for name in service.operation_names:
        declared = service.operation_model(name).input_shape
        uri = declared.serialization.get("xmlNamespace", {}).get("uri") if declared is not None else None
        if uri:
            return str(uri)
    return None


def _check_root(w: _Walk, op: OperationModel, target: StructureShape, root: ET.Element) -> None:
    service = op.service_model
    if service.service_name == "s3" and op.name in S3_ROOTS:
        want = S3_ROOTS[op.name]
    else:
        want = str(target.serialization.get("name") or target.name)
    if _local(root.tag) != want:
        w.add("$", "envelope", f"root is <{_local(root.tag)}>, AWS's is <{want}>")
    ns = service_namespace(service)
    got = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else None
    if ns and got != ns:
        w.add("$", "envelope", f"root namespace is {got!r}, AWS's is {ns!r}")


def _query_body(w: _Walk, op: OperationModel, shape: StructureShape | None, body: bytes) -> None:
    root = _parse_xml(w, body)
    if root is None:
        return
    if _local(root.tag) != f"{op.name}Response":
        w.add("$", "envelope", f"root is <{_local(root.tag)}>, not <{op.name}Response>")
        return
    ns = service_namespace(op.service_model)
    if ns and not root.tag.startswith("{" + ns + "}"):
        w.add("$", "envelope", f"root namespace of {root.tag!r} is not {ns!r}")
    wrapper = str((shape.serialization.get("resultWrapper") if shape is not None else None) or f"{op.name}Result")
    saw_meta = False
    for child in root:
        tag = _local(child.tag)
        if tag == "ResponseMetadata":
            saw_meta = True
            for c in child:
                if _local(c.tag) != "RequestId":
                    w.add(f"$.ResponseMetadata.{_local(c.tag)}", "unknown", "ResponseMetadata holds only RequestId")
        elif tag == wrapper and shape is not None:
            check_xml_struct(w, f"$.{wrapper}", shape, child)
        else:
            w.add(f"$.{tag}", "envelope", f"unexpected element (wrapper is {wrapper})")
    if not saw_meta:
        w.add("$.ResponseMetadata", "envelope", "missing")
    if shape is not None and shape.required_members and not any(_local(c.tag) == wrapper for c in root):
        w.add(f"$.{wrapper}", "required", "result wrapper missing with required members")


# --- errors ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorDoc:
    """An error response as read off the wire: code, type (Sender/Receiver or None when the
    protocol does not say), message and the document's other members."""

    code: str
    fault: str | None
    message: str | None
    fields: dict[str, Any]
    findings: list[Finding]


def check_error(service: ServiceModel, status: int, headers: Mapping[str, str], body: bytes,
                operation: str = "?") -> ErrorDoc:
    """Read and check an error response's envelope for `service`'s protocol."""
    w = _Walk(operation)
    hdrs = _lower_headers(headers)
    protocol = response_protocol(service, headers)
    code = ""
    fault: str | None = None
    message: str | None = None
    fields: dict[str, Any] = {}
    if protocol in ("json", "rest-json", "smithy-rpc-v2-cbor"):
        w.binary = protocol == "smithy-rpc-v2-cbor"
        doc = (_load_cbor(w, body) if w.binary else _load_json(w, body)) or {}
        if not isinstance(doc, dict):
            w.add("$", "envelope", "error body is not an object")
            doc = {}
        raw_type = str(doc.get("__type") or hdrs.get("x-amzn-errortype", "") or doc.get("code") or "")
        code = raw_type.split(":", 1)[0].rsplit("#", 1)[-1]
        if protocol != "rest-json" and "__type" not in doc:
            w.add("$.__type", "envelope", "json error without __type")
        if protocol == "rest-json" and "x-amzn-errortype" not in hdrs:
            w.add("header x-amzn-errortype", "envelope", "rest-json error without x-amzn-errortype")
        for key in ("message", "Message", "errorMessage"):
            if key in doc:
                message = doc[key]
        fields = {k: v for k, v in doc.items() if k not in ("__type", "message", "Message", "code")}
        qe = hdrs.get("x-amzn-query-error")
        if qe:
            qcode, _, qfault = qe.partition(";")
            fields["QueryErrorCode"] = qcode
            fault = qfault or None
        _check_error_members(w, service, code, fields, json_body=True)
    else:
        root = _parse_xml(w, body)
        if root is None:
            return ErrorDoc("", None, None, {}, w.findings)
        err = root
        if _local(root.tag) == "ErrorResponse":
            errs = [c for c in root if _local(c.tag) == "Error"]
            if len(errs) != 1:
                w.add("$.Error", "envelope", "ErrorResponse must hold one <Error>")
                return ErrorDoc("", None, None, {}, w.findings)
            err = errs[0]
            others = [_local(c.tag) for c in root if _local(c.tag) not in ("Error", "RequestId")]
            if others:
                w.add("$", "envelope", f"ErrorResponse holds {others}")
            if not any(_local(c.tag) == "RequestId" for c in root):
                w.add("$.RequestId", "envelope", "ErrorResponse without RequestId")
        elif _local(root.tag) != "Error":
            w.add("$", "envelope", f"error root is <{_local(root.tag)}>")
        else:  # S3's bare <Error>: AWS ends it with the request id and the host id
            tags = [_local(c.tag) for c in root]
            if tags[-2:] != ["RequestId", "HostId"]:
                w.add("$.Error", "envelope", f"S3 error document ends {tags[-2:]}, AWS's ends RequestId, HostId")
        for c in err:
            tag = _local(c.tag)
            text = c.text or ""
            if tag == "Code":
                code = text
            elif tag == "Type":
                fault = text
            elif tag == "Message":
                message = text
            else:
                fields[tag] = text if not len(c) else ET.tostring(c, encoding="unicode")
        if fault is not None and fault not in ("Sender", "Receiver"):
            w.add("$.Error.Type", "envelope", f"Type is {fault!r}")
        _check_error_members(w, service, code, {k: v for k, v in fields.items()
                                                if k not in ("Detail", "RequestId", "HostId")}, json_body=False)
    if not code:
        w.add("$", "envelope", "no error code")
    return ErrorDoc(code, fault, message, fields, w.findings)


def _check_error_members(w: _Walk, service: ServiceModel, code: str, fields: dict[str, Any], json_body: bool) -> None:
    shape = error_shape(service, code)
    extra_ok = {"QueryErrorCode"} if json_body else set()
    if service.service_name in ERROR_EXTRAS_ALLOWED:
        return
    for k, v in fields.items():
        if k in extra_ok:
            continue
        if shape is None or k not in _wire_members(shape):
            w.add(f"$.{k}", "unknown", f"error {code} member not in its model shape")
            continue
        if json_body:
            check_json_value(w, f"$.{k}", _wire_members(shape)[k], v)


def _wire_members(shape: StructureShape) -> dict[str, Shape]:
    out: dict[str, Shape] = {}
    for mname, mshape in shape.members.items():
        if mshape.serialization.get("location"):
            continue
        out[str(mshape.serialization.get("name", mname))] = mshape
    return out


def error_shape(service: ServiceModel, code: str) -> StructureShape | None:
    """The error shape whose name or wire code is `code`."""
    for shape in service.error_shapes:
        if shape.name == code or shape.metadata.get("error", {}).get("code") == code:
            assert isinstance(shape, StructureShape)
            return shape
    return None


# --- the recorder ------------------------------------------------------------------------------


class ShapeRecorder:
    """Checks every response a boto3 client receives; `findings` and `operations` (seen, with
    success count) accumulate; `errors` holds each error response read (operation, ErrorDoc, status)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.findings: list[Finding] = []
        self.operations: dict[str, int] = {}
        self.errors: list[tuple[str, ErrorDoc, int]] = []
        client.meta.events.register("before-parse", self._on_response)

    def _on_response(self, operation_model: OperationModel, response_dict: dict[str, Any], **_: Any) -> None:
        status = int(response_dict["status_code"])
        headers = dict(response_dict["headers"])
        raw = response_dict.get("body")
        body = raw if isinstance(raw, (bytes, bytearray)) else None
        if status >= 300 and not (status == 304):
            doc = check_error(operation_model.service_model, status, headers, bytes(body or b""), operation_model.name)
            self.errors.append((operation_model.name, doc, status))
            self.findings.extend(doc.findings)
            return
        self.operations[operation_model.name] = self.operations.get(operation_model.name, 0) + 1
        self.findings.extend(check_output(operation_model, status, headers, None if body is None else bytes(body)))
        dropped = {k.lower(): v for k, v in headers.items()}.get(UNMODELED_HEADER)
        if dropped:
            self.findings.extend(Finding(operation_model.name, f"$.{path}", "dropped",
                                         "the handler returned it; the output shape lacks it")
                                 for path in dropped.split(","))

    def report(self) -> str:
        return "\n".join(sorted({str(f) for f in self.findings}))


# --- what the model says about an error ----------------------------------------------------------


@dataclass(frozen=True)
class ModeledError:
    """An error shape's facts: its name, wire code (query/rest-xml), HTTP status, fault, and the
    members AWS sends in its document (by wire name, message excluded)."""

    name: str
    code: str
    status: int
    sender_fault: bool
    members: tuple[str, ...]


def modeled_error(service: ServiceModel, code: str) -> ModeledError | None:
    shape = error_shape(service, code)
    if shape is None:
        return None
    trait = shape.metadata.get("error", {})
    fault = bool(shape.metadata.get("fault"))
    status = int(trait.get("httpStatusCode") or (500 if fault else 400))
    sender = bool(trait["senderFault"]) if "senderFault" in trait else not fault and status < 500
    members = tuple(k for k in _wire_members(shape) if k.lower() != "message")
    return ModeledError(shape.name, str(trait.get("code") or shape.name), status, sender, members)


def documented_for(op: OperationModel, code: str) -> bool:
    """Whether `op` lists the error `code` (by shape name or wire code) among its errors."""
    return any(s.name == code or s.metadata.get("error", {}).get("code") == code for s in op.error_shapes)


def expect_error(rec: ShapeRecorder, call: Callable[[], Any], code: str, *, status: int | None = None,
                 query_code: str | None = None, members: Iterable[str] = (), message: str | None = None,
                 documented: bool = True) -> ErrorDoc:
    """Run `call`, which must fail with `code`, and check the raw error against the model: the
    code on the wire (the query code where the protocol sends one), the HTTP status and fault
    the error shape declares (`status` overrides it for codes the model lacks or misstates,
    with the evidence at the call site), a message (`message`: its exact text), the `members`
    AWS sends, a clean envelope, and that the operation documents the error (`documented`)."""
    before = len(rec.errors)
    try:
        call()
    except Exception as exc:  # noqa: BLE001 - botocore's ClientError subclasses, whatever the code
        if not hasattr(exc, "response"):
            raise
    else:
        raise AssertionError(f"expected {code}, the call succeeded")
    assert len(rec.errors) > before, "no error response was seen by the recorder"
    op_name, doc, got_status = rec.errors[-1]
    service = rec.client.meta.service_model
    op = service.operation_model(op_name)
    m = modeled_error(service, code)
    protocol = response_protocol(service, {})
    wire = (m.code if protocol in ("query", "rest-xml") else m.name) if m is not None else code
    where = f"{op_name} -> {code}"
    assert doc.code == wire, f"{where}: code on the wire is {doc.code!r}"
    want_status = status if status is not None else (m.status if m is not None else 400)
    assert got_status == want_status, f"{where}: HTTP {got_status}, the model says {want_status}"
    sender = m.sender_fault if m is not None else want_status < 500
    if doc.fault is not None:
        assert doc.fault == ("Sender" if sender else "Receiver"), f"{where}: Type {doc.fault}"
    if query_code is not None:
        assert doc.fields.get("QueryErrorCode") == query_code, f"{where}: query code {doc.fields.get('QueryErrorCode')}"
    assert doc.message, f"{where}: no message"
    if message is not None:
        assert doc.message == message, f"{where}: message {doc.message!r}"
    for name in members:
        assert name in doc.fields, f"{where}: member {name} missing from {sorted(doc.fields)}"
    assert not doc.findings, f"{where}: " + "; ".join(map(str, doc.findings))
    if documented:
        assert documented_for(op, code), f"{where}: {op_name} does not document {code}"
    return doc
