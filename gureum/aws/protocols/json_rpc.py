"""The json protocol (1.0 and 1.1): X-Amz-Target names the operation, JSON in and out."""

from __future__ import annotations

from typing import Any

from gureum.aws.errors import AwsError, json_type, message_key
from gureum.aws.protocols import jsonbody
from gureum.aws.specs import Operation, ServiceSpec
from gureum.http.server import Response


def parse(spec: ServiceSpec, op: Operation, body: bytes) -> dict[str, Any]:
    shape = op.input
    doc = jsonbody.loads(body)
    if shape is None:
        return {}
    return jsonbody.from_json(doc, shape) or {}


def content_type(spec: ServiceSpec) -> str:
    return f"application/x-amz-json-{spec.json_version}"


def serialize(spec: ServiceSpec, op: Operation, result: dict[str, Any] | None, request_id: str) -> Response:
    shape = op.output
    doc = jsonbody.to_json(result or {}, shape) if shape is not None else {}
    return Response(
        200,
        [("content-type", content_type(spec)), ("x-amzn-requestid", request_id)],
        jsonbody.dumps(doc),
    )


def serialize_error(spec: ServiceSpec | None, err: AwsError, request_id: str) -> Response:
    doc: dict[str, Any] = {"__type": json_type(spec, err.code), message_key(spec, err.code): err.message}
    for k, v in err.fields.items():
        if k != "QueryCode":  # only for the x-amzn-query-error header below
            doc[k] = v
    headers = [
        ("content-type", content_type(spec) if spec is not None else "application/x-amz-json-1.1"),
        ("x-amzn-requestid", request_id),
    ]
    if spec is not None and spec.query_compatible:
        fault = "Sender" if err.sender_fault else "Receiver"
        headers.append(("x-amzn-query-error", f"{err.fields.get('QueryCode', err.code)};{fault}"))
    return Response(err.status, headers, jsonbody.dumps(doc))
