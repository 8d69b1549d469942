"""Sans-IO rules of WebSocket data mapping (ws_mapping.py) and of HTTP APIs' AWS service
integration parameters (subtypes.py), on values."""

from __future__ import annotations

import pytest

from gureum.services.apigatewayv2 import subtypes, ws_mapping
from gureum.services.apigatewayv2.events import Incoming


def _values(body: str = '{"a": {"b": "x"}, "n": 3}', status: int | None = None) -> ws_mapping.Values:
    return ws_mapping.Values(body=body, context={"connectionId": "c1", "routeKey": "r"}, status=status)


def test_selection_expressions() -> None:
    v = _values(status=404)
    assert ws_mapping.evaluate("\\$default", v) == "$default"
    assert ws_mapping.evaluate("$request.body.a.b", v) == "x"
    assert ws_mapping.evaluate("${request.body.a.b}-beta", v) == "x-beta"
    assert ws_mapping.evaluate("$context.connectionId/$request.body.n", v) == "c1/3"
    assert ws_mapping.evaluate("${integration.response.statuscode}", v) == "404"
    assert ws_mapping.evaluate("$request.body.missing", v) == ""


def test_request_template_and_passthrough() -> None:
    v = _values()
    both = {"TemplateSelectionExpression": "$request.body.a.b", "RequestTemplates": {"x": "X", "$default": "D"}}
    assert ws_mapping.request_template(both, v) == "X"
    assert ws_mapping.request_template({**both, "RequestTemplates": {"y": "Y", "$default": "D"}}, v) == "D"
    only_y = {"TemplateSelectionExpression": "$request.body.a.b", "RequestTemplates": {"y": "Y"}}
    assert ws_mapping.request_template(only_y, v) is None  # WHEN_NO_MATCH
    with pytest.raises(ws_mapping.NoTemplate):
        ws_mapping.request_template({**only_y, "PassthroughBehavior": "WHEN_NO_TEMPLATES"}, v)
    assert ws_mapping.request_template({"PassthroughBehavior": "WHEN_NO_TEMPLATES"}, v) is None
    with pytest.raises(ws_mapping.NoTemplate):
        ws_mapping.request_template({"PassthroughBehavior": "NEVER"}, v)


def test_integration_response_selection() -> None:
    responses = [{"IntegrationResponseKey": "$default", "n": 0}, {"IntegrationResponseKey": "/4\\d\\d/", "n": 1},
                 {"IntegrationResponseKey": "500", "n": 2}]
    pick = lambda status: (ws_mapping.select_response(responses, {}, _values(status=status)) or {}).get("n")  # noqa: E731
    assert (pick(200), pick(404), pick(500), pick(4040)) == (0, 1, 2, 0)
    assert ws_mapping.select_response([], {}, _values(status=200)) is None


def test_request_parameters() -> None:
    v = ws_mapping.Values(body='{"who": "ana"}', context={"connectionId": "c1"}, headers={"X-Trace": "t"})
    headers, query = ws_mapping.request_parameters({
        "integration.request.header.x-conn": "context.connectionId", "integration.request.header.x-lit": "'v'",
        "integration.request.querystring.who": "route.request.body.who",
        "integration.request.header.x-trace": "route.request.header.x-trace",
        "integration.request.header.x-none": "context.missing.deeper"}, v)
    assert headers == [("x-conn", "c1"), ("x-lit", "v"), ("x-trace", "t")]
    assert query == [("who", "ana")]


def _incoming(body: bytes, headers: list[tuple[str, str]] | None = None) -> Incoming:
    return Incoming(method="POST", raw_path="/p", raw_query="q=1", headers=headers or [], body=body,
                    source_ip="127.0.0.1", request_id="rid", account="000000000000", api_id="a" * 10,
                    domain="d", stage="$default", route_key="POST /p", resource_path="/p", path_parameters={},
                    stage_variables={}, now=0.0)


def test_subtype_parameters_resolve_and_coerce() -> None:
    req = _incoming(b'{"m": "hi", "attrs": {"k": {"DataType": "String", "StringValue": "v"}}, "d": 5}',
                    [("x-group", "g1")])
    resolved = subtypes.resolve({"QueueUrl": "http://q/1/name", "MessageBody": "$request.body.m",
                                 "MessageAttributes": "$request.body.attrs", "DelaySeconds": "$request.body.d",
                                 "MessageGroupId": "$request.header.x-group", "Region": "eu-west-1",
                                 "MessageDeduplicationId": "$request.body.absent"}, req)
    region, params = subtypes.call_parameters(subtypes.SERVED["SQS-SendMessage"], resolved)
    assert region == "eu-west-1"
    assert params == {"QueueUrl": "http://q/1/name", "MessageBody": "hi", "DelaySeconds": 5, "MessageGroupId": "g1",
                      "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}}
    whole = subtypes.resolve({"MessageBody": "$request.body", "QueueUrl": "prefix-$request.body.m"}, req)
    assert whole["MessageBody"] == req.body.decode() and whole["QueueUrl"] == "prefix-hi"
    _, kinesis = subtypes.call_parameters(subtypes.SERVED["Kinesis-PutRecord"],
                                          {"StreamName": "s", "Data": "aGk=", "PartitionKey": "k"})
    assert kinesis["Data"] == b"hi"
    _, bad = subtypes.call_parameters(subtypes.SERVED["Kinesis-PutRecord"], {"Data": "not base64!"})
    assert bad["Data"] == "not base64!"  # left for the model's validator to refuse


def test_subtype_checks() -> None:
    ok = {"IntegrationSubtype": "SQS-PurgeQueue", "RequestParameters": {"QueueUrl": "q"}}
    assert subtypes.check(ok, "AWS_PROXY") is None
    assert subtypes.check(ok, "HTTP_PROXY") is not None
    assert subtypes.check({**ok, "PayloadFormatVersion": "2.0"}, "AWS_PROXY") is not None
    assert "QueueUrl" in (subtypes.check({"IntegrationSubtype": "SQS-PurgeQueue"}, "AWS_PROXY") or "")
