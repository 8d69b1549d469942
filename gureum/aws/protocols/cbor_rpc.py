"""The Smithy RPC v2 CBOR protocol (POST /service/<name>/operation/<op>, CBOR bodies),
which newer SDKs prefer for the services whose models list it first."""

from __future__ import annotations

from typing import Any

from gureum.aws.errors import AwsError, clean, json_type, message_key
from gureum.aws.protocols import jsonbody
from gureum.aws.protocols.common import ParseError
from gureum.aws.specs import Operation, ServiceSpec
from gureum.http.server import Response

CONTENT_TYPE = "application/cbor"


def _loads(body: bytes) -> Any:
    import cbor2

    if not body:
        return {}
    try:
        doc = cbor2.loads(body)
    except (cbor2.CBORDecodeError, ValueError, EOFError, RecursionError, OverflowError):
        raise ParseError(message="The request body is not valid CBOR.") from None
    jsonbody.check_depth(doc)
    return doc


def _dumps(doc: Any) -> bytes:
    import cbor2

    try:
        return cbor2.dumps(doc, datetime_as_timestamp=True)
    except UnicodeEncodeError:  # a lone surrogate in a value echoed back
        return cbor2.dumps(_clean(doc), datetime_as_timestamp=True)


def _clean(doc: Any) -> Any:
    if isinstance(doc, str):
        return clean(doc)
    if isinstance(doc, dict):
        return {_clean(k): _clean(v) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_clean(v) for v in doc]
    return doc


def parse(spec: ServiceSpec, op: Operation, body: bytes) -> dict[str, Any]:
    doc = _loads(body)
    if op.input is None:
        return {}
    return jsonbody.from_json(doc, op.input, binary=True) or {}


def _headers(request_id: str) -> list[tuple[str, str]]:
    return [("content-type", CONTENT_TYPE), ("smithy-protocol", "rpc-v2-cbor"), ("x-amzn-requestid", request_id)]


def serialize(spec: ServiceSpec, op: Operation, result: dict[str, Any] | None, request_id: str) -> Response:
    doc = jsonbody.to_json(result or {}, op.output, binary=True) if op.output is not None else {}
    return Response(200, _headers(request_id), _dumps(doc))


def serialize_error(spec: ServiceSpec | None, err: AwsError, request_id: str) -> Response:
    doc: dict[str, Any] = {"__type": json_type(spec, err.code), message_key(spec, err.code): err.message}
    doc.update({k: v for k, v in err.fields.items() if k != "QueryCode"})
    headers = _headers(request_id)
    if spec is not None and spec.query_compatible:
        fault = "Sender" if err.sender_fault else "Receiver"
        headers.append(("x-amzn-query-error", f"{err.fields.get('QueryCode', err.code)};{fault}"))
    return Response(err.status, headers, _dumps(doc))
