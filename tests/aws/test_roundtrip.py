"""Every operation of every service gureum serves round-trips through the wire layer:
botocore's own serializer builds the request and our router + parser must read back the
same operation and parameters; our serializer's response must parse back, unchanged,
through botocore's parser."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore import parsers, serialize
from botocore.awsrequest import AWSRequest
from botocore.loaders import Loader
from botocore.model import ServiceModel

from gureum.aws import routing, specs
from gureum.aws.protocols import cbor_rpc, json_rpc, query, rest
from gureum.aws.routing import Scope
from gureum.http.server import Headers, Request
from gureum.services.registry import SERVED

_loader = Loader()
_models: dict[str, ServiceModel] = {}

SIGNING = {
    "dynamodbstreams": "dynamodb",
    "elbv2": "elasticloadbalancing",
    "apigatewayv2": "apigateway",
}


def model(service: str) -> ServiceModel:
    if service not in _models:
        _models[service] = ServiceModel(_loader.load_service_model(service, "service-2"), service)
    return _models[service]


class Gen:
    """Example values for a shape, deterministic, respecting lengths, enums and ranges."""

    def __init__(self, depth_limit: int = 4) -> None:
        self.depth_limit = depth_limit
        self.n = 0

    def value(self, shape: Any, depth: int = 0, name: str = "x") -> Any:
        t = shape.type_name
        if t == "structure":
            out = {}
            if depth > self.depth_limit:
                return {m: self.value(shape.members[m], depth + 1, m) for m in shape.required_members}
            for mname, mshape in shape.members.items():
                if depth >= self.depth_limit and mshape.type_name in ("list", "map", "structure") and mname not in shape.required_members:
                    continue
                if mshape.serialization.get("eventstream") or getattr(mshape, "event_stream_name", None):
                    continue
                if mshape.type_name == "structure" and mshape.serialization.get("eventstream"):
                    continue
                if shape.metadata.get("union") and out:
                    break
                v = self.value(mshape, depth + 1, mname)
                if v in ({}, [], [{}]) and mname not in shape.required_members:
                    continue  # an empty container has no wire form in XML/query
                out[mname] = v
            return out
        if t == "list":
            if depth > self.depth_limit:
                return []
            return [self.value(shape.member, depth + 1, name)]
        if t == "map":
            if depth > self.depth_limit:
                return {}
            return {"k1": self.value(shape.value, depth + 1, name)}
        if t == "string":
            enum = shape.enum
            if enum:
                return enum[0]
            if shape.metadata.get("jsonvalue") if hasattr(shape, "metadata") else False:
                return {"a": 1}
            self.n += 1
            lo = shape.metadata.get("min", 1)
            hi = shape.metadata.get("max", 64)
            base = f"v{self.n}{name[:8]}"
            if len(base) < lo:
                base = base + "a" * (lo - len(base))
            return base[: max(hi, 1)] if hi else base
        if t in ("integer", "long"):
            lo = shape.metadata.get("min", 1)
            return int(max(lo, 1))
        if t in ("float", "double"):
            return 1.5
        if t == "boolean":
            return True
        if t == "timestamp":
            return dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc)
        if t == "blob":
            return b"blob-bytes"
        raise AssertionError(t)


def _norm(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [_norm(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).replace(microsecond=0)
    if isinstance(value, bytearray):
        return bytes(value)
    return value


def _indistinguishable(svc: str, a: str, b: str) -> bool:
    """Two operations with the same method, URI and required located members, where `a`
    is deprecated or reached through another endpoint (S3 directory buckets)."""
    spec = specs.load(svc)
    ra = next(r for r in spec.uri_routes if r.operation.name == a)
    rb = next(r for r in spec.uri_routes if r.operation.name == b)
    same = (ra.method, ra.pattern.pattern, ra.query_literals) == (rb.method, rb.pattern.pattern, rb.query_literals)
    return same and (ra.deprecated or a == "ListDirectoryBuckets")


SPOKEN = ("query", "json", "rest-json", "rest-xml", "smithy-rpc-v2-cbor")


def protocols_of(svc: str) -> list[str]:
    """Every protocol the model offers that clients may use (newer SDKs pick the first)."""
    meta = model(svc).metadata
    listed = meta.get("protocols") or [meta["protocol"]]
    return [p for p in listed if p in SPOKEN]


def operations() -> list[tuple[str, str, str]]:
    out = []
    for svc in SERVED:
        for proto in protocols_of(svc):
            for op in model(svc).operation_names:
                out.append((svc, op, proto))
    return out


OPS = operations()
IDS = [f"{s}.{o}" + ("" if p == model(s).metadata["protocol"] else f"[{p}]") for s, o, p in OPS]


def _body_to_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, (bytes, bytearray)):
        return bytes(body)
    if isinstance(body, str):
        return body.encode()
    if isinstance(body, dict):
        from urllib.parse import urlencode

        return urlencode(body).encode()
    return body.read()


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.done = False

    def __aiter__(self) -> "_Body":
        return self

    async def __anext__(self) -> bytes:
        if self.done or not self.data:
            raise StopAsyncIteration
        self.done = True
        return self.data


def build_request(svc: str, op_name: str, params: dict[str, Any], protocol: str) -> tuple[Request, bytes, Any]:
    m = model(svc)
    op = m.operation_model(op_name)
    ser = serialize.create_serializer(protocol, include_validation=False)
    req_dict = ser.serialize_to_request(params, op)
    url = "https://example.amazonaws.com" + req_dict["url_path"]
    qs = req_dict.get("query_string")
    aws_req = AWSRequest(method=req_dict["method"], url=url, headers=req_dict["headers"], data=req_dict["body"], params=qs if isinstance(qs, dict) else None)
    if isinstance(qs, str) and qs:
        aws_req.url += ("&" if "?" in aws_req.url else "?") + qs
    prepared = aws_req.prepare()
    parts = urlsplit(prepared.url)
    body = _body_to_bytes(prepared.body)
    headers = [(k.lower(), v.decode() if isinstance(v, bytes) else str(v)) for k, v in prepared.headers.items()]
    signing = SIGNING.get(svc, m.metadata.get("signingName") or m.metadata.get("endpointPrefix"))
    headers.append(("authorization", f"AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/{signing}/aws4_request, SignedHeaders=host, Signature=00"))
    request = Request(
        method=prepared.method,
        raw_path=parts.path or "/",
        query_string=parts.query,
        headers=Headers(headers),
        client=("127.0.0.1", 1),
        server=("127.0.0.1", 2),
        _body=_Body(body),  # type: ignore[arg-type]
    )
    return request, body, op


@pytest.mark.parametrize("svc,op_name,protocol", OPS, ids=IDS)
def test_request_round_trips_through_our_router_and_parser(svc: str, op_name: str, protocol: str) -> None:
    m = model(svc)
    op = m.operation_model(op_name)
    params = Gen().value(op.input_shape) if op.input_shape is not None else {}
    # Streaming payloads are handed to handlers as streams, not parsed.
    streaming = None
    if op.input_shape is not None and op.input_shape.serialization.get("payload"):
        pname = op.input_shape.serialization["payload"]
        pshape = op.input_shape.members[pname]
        if pshape.type_name == "blob" and (pshape.serialization.get("streaming") or getattr(pshape, "metadata", {}).get("requiresLength")):
            streaming = pname
        if pshape.type_name == "structure" and (pshape.metadata.get("eventstream") or op.has_event_stream_input):
            pytest.skip("event stream input")
    request, body, _ = build_request(svc, op_name, params, protocol)
    scope = Scope("test", "20240101", "us-east-1", SIGNING.get(svc, m.metadata.get("signingName") or m.metadata.get("endpointPrefix")))
    spec = specs.load(svc)
    form = None
    if protocol == "query":  # also for services that speak query besides their first protocol (CloudWatch)
        from urllib.parse import parse_qsl

        form = parse_qsl(body.decode(), keep_blank_values=True)
    route = routing.route(request, scope, form)
    if route.operation != op_name and _indistinguishable(svc, op_name, route.operation):
        pytest.skip(f"{op_name} is sent exactly like {route.operation} (AWS tells them apart by endpoint or deprecation)")
    assert (route.service, route.operation) == (svc, op_name)
    gop = spec.operation(op_name)
    assert (route.protocol or spec.protocol) == protocol
    if protocol == "query":
        got = query.parse(spec, gop, form or [])
    elif protocol == "json":
        got = json_rpc.parse(spec, gop, body)
    elif protocol == "smithy-rpc-v2-cbor":
        got = cbor_rpc.parse(spec, gop, body)
    else:
        got = rest.parse(spec, gop, route.labels, request.query, request.headers, None if streaming else body)
    expected = dict(params)
    if streaming:
        expected.pop(streaming, None)
    if protocol == "query":  # an empty structure puts nothing on a query form: AWS never sees it
        expected = _without_empty_structures(expected)
    assert _norm(got) == _norm(expected)


def _without_empty_structures(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_empty_structures(v) for k, v in value.items() if v != {}}
    if isinstance(value, list):
        return [_without_empty_structures(v) for v in value]
    return value


@pytest.mark.parametrize("svc,op_name,protocol", OPS, ids=IDS)
def test_response_round_trips_through_botocore_parser(svc: str, op_name: str, protocol: str) -> None:
    m = model(svc)
    op = m.operation_model(op_name)
    if op.output_shape is None:
        pytest.skip("no output")
    if op.has_event_stream_output:
        pytest.skip("event stream output")
    if (svc, op_name) in MODEL_QUIRKS:
        pytest.skip(MODEL_QUIRKS[(svc, op_name)])
    result = Gen().value(op.output_shape)
    spec = specs.load(svc)
    gop = spec.operation(op_name)
    if protocol == "query":
        resp = query.serialize(spec, gop, result, "req-1")
    elif protocol == "json":
        resp = json_rpc.serialize(spec, gop, result, "req-1")
    elif protocol == "smithy-rpc-v2-cbor":
        resp = cbor_rpc.serialize(spec, gop, result, "req-1")
    else:
        resp = rest.serialize(spec, gop, result, "req-1")
    body = resp.body if isinstance(resp.body, bytes) else b""
    payload = op.output_shape.serialization.get("payload")
    streaming = bool(payload and op.output_shape.members[payload].serialization.get("streaming"))
    if streaming:
        import io

        from botocore.response import StreamingBody

        body_obj: Any = StreamingBody(io.BytesIO(body), len(body))
    else:
        body_obj = body
    parser = parsers.create_parser(protocol)
    headers = {}
    for k, v in resp.headers:
        headers[k] = v if k not in headers else headers[k] + "," + v
    from botocore.awsrequest import HeadersDict

    parsed = parser.parse({"status_code": resp.status, "headers": HeadersDict(headers), "body": body_obj}, op.output_shape)
    if streaming:
        parsed[payload] = parsed[payload].read()
    elif payload and op.output_shape.members[payload].type_name == "blob" and isinstance(parsed.get(payload), str):
        parsed[payload] = parsed[payload].encode()  # botocore hands non-streamed blob payloads back as text
    assert _norm(parsed) == _norm(result)


MODEL_QUIRKS = {
    ("s3", "GetBucketNotification"): "deprecated shape names two members 'Event' (Event and Events); not round-trippable",
}

ERROR_CASES = [("iam", "query"), ("sqs", "json"), ("lambda", "rest-json"), ("route53", "rest-xml"), ("s3", "rest-xml"), ("ecr", "json"), ("servicediscovery", "smithy-rpc-v2-cbor"), ("servicediscovery", "json")]


@pytest.mark.parametrize("svc,protocol", ERROR_CASES)
def test_errors_parse_back_with_code_message_and_status(svc: str, protocol: str) -> None:
    from gureum.aws.edge import error_response
    from gureum.aws.errors import AwsError

    spec = specs.load(svc)
    err = AwsError("SomethingWrong", "it went wrong", 409)
    resp = error_response(spec, protocol, err, "req-9")
    parser = parsers.create_parser(protocol)
    from botocore.awsrequest import HeadersDict

    parsed = parser.parse({"status_code": resp.status, "headers": HeadersDict(dict(resp.headers)), "body": resp.body}, None)
    assert parsed["Error"]["Code"] == "SomethingWrong"
    assert parsed["Error"]["Message"] == "it went wrong"
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert parsed["ResponseMetadata"]["RequestId"] == "req-9"
