"""The wire protocols as objects, in one table keyed by the model's protocol name
(`metadata.protocol`, plus `query-compat` for form-encoded requests to an
awsQueryCompatible json service): the edge picks one per request (`pick`) and calls its
`parse`, `serialize` and `serialize_error`; the protocol modules beside this one do the work.

Every protocol parses from the same `Incoming` (body, form pairs, path labels, query string,
headers) and takes what it needs. `streams_input`: whether a streaming blob payload may be
handed to the handler unread (the REST protocols). `error_protocol` says which protocol
answers a request that failed before it was routed, from what the request itself shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from gureum.aws import routing
from gureum.aws.errors import AwsError
from gureum.aws.protocols import cbor_rpc, json_rpc, query, query_compat, rest
from gureum.aws.specs import Operation, ServiceSpec
from gureum.http.server import Headers, Request, Response


@dataclass(frozen=True)
class Incoming:
    """What a request offers a parser; `body` is None when the payload streams to the handler."""

    body: bytes | None
    form: list[tuple[str, str]]
    labels: dict[str, str]
    query: list[tuple[str, str]]
    headers: Headers


class WireProtocol(Protocol):
    name: str
    streams_input: bool

    def parse(self, spec: ServiceSpec, op: Operation, incoming: Incoming) -> dict[str, Any]: ...

    def serialize(self, spec: ServiceSpec, op: Operation, result: dict[str, Any] | None, request_id: str) -> Response: ...

    def serialize_error(self, spec: ServiceSpec | None, err: AwsError, request_id: str) -> Response: ...


class Query:
    name = "query"
    streams_input = False

    def parse(self, spec: ServiceSpec, op: Operation, incoming: Incoming) -> dict[str, Any]:
        return query.parse(spec, op, incoming.form)

    def serialize(self, spec: ServiceSpec, op: Operation, result: dict[str, Any] | None, request_id: str) -> Response:
        return query.serialize(spec, op, result, request_id)

    def serialize_error(self, spec: ServiceSpec | None, err: AwsError, request_id: str) -> Response:
        return query.serialize_error(spec, err, request_id)


class QueryCompat(Query):
    """Form requests to a json service that keeps the old query wire (SQS): errors carry the
    query code (`QueryCode` field, e.g. AWS.SimpleQueueService.NonExistentQueue) in that wire's
    envelope (an XML declaration, an empty `<Detail/>`)."""

    name = "query-compat"

    def parse(self, spec: ServiceSpec, op: Operation, incoming: Incoming) -> dict[str, Any]:
        return query_compat.parse(spec, op, incoming.form)

    def serialize(self, spec: ServiceSpec, op: Operation, result: dict[str, Any] | None, request_id: str) -> Response:
        return query_compat.serialize(spec, op, result, request_id)

    def serialize_error(self, spec: ServiceSpec | None, err: AwsError, request_id: str) -> Response:
        err = AwsError(err.fields.get("QueryCode", err.code), err.message, err.status, sender_fault=err.sender_fault)
        return query.serialize_error(spec, err, request_id, legacy=True)


class Json:
    name = "json"
    streams_input = False

    def parse(self, spec: ServiceSpec, op: Operation, incoming: Incoming) -> dict[str, Any]:
        return json_rpc.parse(spec, op, incoming.body or b"")

    def serialize(self, spec: ServiceSpec, op: Operation, result: dict[str, Any] | None, request_id: str) -> Response:
        return json_rpc.serialize(spec, op, result, request_id)

    def serialize_error(self, spec: ServiceSpec | None, err: AwsError, request_id: str) -> Response:
        return json_rpc.serialize_error(spec, err, request_id)


class Cbor:
    name = "smithy-rpc-v2-cbor"
    streams_input = False

    def parse(self, spec: ServiceSpec, op: Operation, incoming: Incoming) -> dict[str, Any]:
        return cbor_rpc.parse(spec, op, incoming.body or b"")

    def serialize(self, spec: ServiceSpec, op: Operation, result: dict[str, Any] | None, request_id: str) -> Response:
        return cbor_rpc.serialize(spec, op, result, request_id)

    def serialize_error(self, spec: ServiceSpec | None, err: AwsError, request_id: str) -> Response:
        return cbor_rpc.serialize_error(spec, err, request_id)


class Rest:
    """rest-json and rest-xml (gureum/aws/protocols/rest.py tells them apart by the model)."""

    streams_input = True

    def __init__(self, name: str) -> None:
        self.name = name

    def parse(self, spec: ServiceSpec, op: Operation, incoming: Incoming) -> dict[str, Any]:
        return rest.parse(spec, op, incoming.labels, incoming.query, incoming.headers, incoming.body)

    def serialize(self, spec: ServiceSpec, op: Operation, result: dict[str, Any] | None, request_id: str) -> Response:
        return rest.serialize(spec, op, result, request_id)

    def serialize_error(self, spec: ServiceSpec | None, err: AwsError, request_id: str) -> Response:
        return rest.serialize_error(spec, err, request_id)


PROTOCOLS: dict[str, WireProtocol] = {
    p.name: p for p in (Query(), QueryCompat(), Json(), Cbor(), Rest("rest-json"), Rest("rest-xml"))
}


def pick(spec: ServiceSpec, spoken: str | None) -> WireProtocol:
    """The protocol for a routed request: the one it speaks (`spoken`, when routing could
    tell), else the model's; a form request to an awsQueryCompatible json model is query-compat."""
    name = spoken or spec.protocol
    if name == "query" and spec.protocol != "query":
        name = "query-compat" if spec.query_compatible else spec.protocol
    return PROTOCOLS[name]


def error_protocol(spec: ServiceSpec | None, request: Request) -> WireProtocol:
    """The protocol to answer an unrouted request's error in: the one it was sent in, as
    far as its headers tell, else its service's, else rest-json."""
    if routing.is_cbor_request(request):
        return PROTOCOLS["smithy-rpc-v2-cbor"]
    target = request.headers.get("x-amz-target")
    if target and (spec is None or spec.protocol in ("json", "smithy-rpc-v2-cbor")):
        return PROTOCOLS["json"]
    if spec is not None:
        return PROTOCOLS[spec.protocol]
    if "x-www-form-urlencoded" in (request.headers.get("content-type") or "") or "Action=" in request.query_string:
        return PROTOCOLS["query"]
    return PROTOCOLS["rest-json"]
