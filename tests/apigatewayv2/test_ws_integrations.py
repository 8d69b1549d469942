"""WebSocket integrations other than Lambda proxy, end to end with the `websockets` client and
a real HTTP backend: MOCK with request templates and integration responses selected by status
pattern, HTTP with a request template, RequestParameters and a response template, HTTP_PROXY
passing the message through; two-way routes send the answer back as a frame; PassthroughBehavior
NEVER refuses a message no template fits, before any backend sees it."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.apigatewayv2.test_websocket import connect

Backend = tuple[str, list[dict[str, Any]]]


@pytest.fixture(scope="module")
def backend() -> Iterator[Backend]:
    seen: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            seen.append({"method": self.command, "path": self.path, "body": body,
                         "headers": {k.lower(): v for k, v in self.headers.items()}})
            out = json.dumps({"reply": f"got {len(body)} bytes", "path": self.path}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        do_GET = do_POST = do_PUT = _any

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _route(apigw: Any, api_id: str, key: str, integration: dict[str, Any],
           responses: dict[str, dict[str, Any]] | None = None, two_way: bool = True) -> None:
    iid = apigw.create_integration(ApiId=api_id, **integration)["IntegrationId"]
    for response_key, extra in (responses or {}).items():
        apigw.create_integration_response(ApiId=api_id, IntegrationId=iid, IntegrationResponseKey=response_key, **extra)
    rid = apigw.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{iid}")["RouteId"]
    if two_way:
        apigw.create_route_response(ApiId=api_id, RouteId=rid, RouteResponseKey="$default")


@pytest.fixture(scope="module")
def ws_api(apigw: Any, backend: Backend) -> dict[str, str]:
    url, _ = backend
    api = apigw.create_api(Name=f"wsi{uuid.uuid4().hex[:6]}", ProtocolType="WEBSOCKET",
                           RouteSelectionExpression="$request.body.action")
    api_id = api["ApiId"]
    _route(apigw, api_id, "$connect", {"IntegrationType": "MOCK", "RequestTemplates": {"$default": '{"statusCode": 200}'},
                                       "TemplateSelectionExpression": "\\$default"}, two_way=False)
    _route(apigw, api_id, "mock", {
        "IntegrationType": "MOCK", "TemplateSelectionExpression": "$request.body.want",
        "RequestTemplates": {"missing": '{"statusCode": 404}', "$default": '{"statusCode": 200}'}}, {
        "/4\\d\\d/": {"ResponseTemplates": {"$default": '{"error": "nothing here"}'},
                      "TemplateSelectionExpression": "\\$default"},
        "$default": {"ResponseTemplates": {"$default": '{"route": "$context.routeKey", '
                                                       '"connection": "$context.connectionId"}'},
                     "TemplateSelectionExpression": "\\$default"}})
    _route(apigw, api_id, "http", {
        "IntegrationType": "HTTP", "IntegrationMethod": "POST", "IntegrationUri": url + "/templated",
        "TemplateSelectionExpression": "\\$default",
        "RequestTemplates": {"$default": '{"wrapped": $input.body, "route": "$context.routeKey"}'},
        "RequestParameters": {"integration.request.header.x-connection": "context.connectionId",
                              "integration.request.querystring.who": "route.request.body.name"}}, {
        "$default": {"ResponseTemplates": {"$default": "backend: $input.path('$.reply')"},
                     "TemplateSelectionExpression": "\\$default"}})
    _route(apigw, api_id, "proxy", {"IntegrationType": "HTTP_PROXY", "IntegrationMethod": "POST",
                                    "IntegrationUri": url + "/proxied"})
    _route(apigw, api_id, "strict", {
        "IntegrationType": "HTTP", "IntegrationMethod": "POST", "IntegrationUri": url + "/strict",
        "PassthroughBehavior": "NEVER", "TemplateSelectionExpression": "$request.body.kind",
        "RequestTemplates": {"known": '{"ok": true}'}})
    apigw.create_stage(ApiId=api_id, StageName="prod", AutoDeploy=True)
    return {"id": api_id, "endpoint": api["ApiEndpoint"]}


def test_mock_with_templates_and_integration_responses(ws_api: dict[str, str]) -> None:
    with connect(f"{ws_api['endpoint']}/prod", open_timeout=30) as ws:  # $connect: a MOCK answering 200
        ws.send(json.dumps({"action": "mock", "text": "hello"}))
        answer = json.loads(ws.recv(timeout=30))
        assert answer["route"] == "mock" and answer["connection"]  # a mock answers no body: $input is empty
        ws.send(json.dumps({"action": "mock", "want": "missing"}))
        assert json.loads(ws.recv(timeout=30)) == {"error": "nothing here"}


def test_http_with_templates_parameters_and_response_template(ws_api: dict[str, str], backend: Backend) -> None:
    _, seen = backend
    with connect(f"{ws_api['endpoint']}/prod", open_timeout=30) as ws:
        sent = {"action": "http", "name": "ana"}
        ws.send(json.dumps(sent))
        answer = ws.recv(timeout=30)
    got = [s for s in seen if s["path"].startswith("/templated")][-1]
    assert got["method"] == "POST" and got["path"] == "/templated?who=ana"
    assert json.loads(got["body"]) == {"wrapped": sent, "route": "http"}
    assert got["headers"]["x-connection"]
    assert answer == f"backend: got {len(got['body'])} bytes"


def test_http_proxy_passes_the_message_through(ws_api: dict[str, str], backend: Backend) -> None:
    _, seen = backend
    message = json.dumps({"action": "proxy", "n": 1})
    with connect(f"{ws_api['endpoint']}/prod", open_timeout=30) as ws:
        ws.send(message)
        answer = json.loads(ws.recv(timeout=30))
    assert answer == {"reply": f"got {len(message)} bytes", "path": "/proxied"}
    assert [s["body"] for s in seen if s["path"] == "/proxied"][-1] == message


def test_passthrough_never_refuses_what_no_template_fits(ws_api: dict[str, str], backend: Backend) -> None:
    _, seen = backend
    with connect(f"{ws_api['endpoint']}/prod", open_timeout=30) as ws:
        ws.send(json.dumps({"action": "strict", "kind": "unknown"}))
        refused = json.loads(ws.recv(timeout=30))
        ws.send(json.dumps({"action": "strict", "kind": "known"}))
        accepted = json.loads(ws.recv(timeout=30))
    assert refused == {"message": "Unsupported Media Type"}
    assert accepted["path"] == "/strict"
    assert [json.loads(s["body"]) for s in seen if s["path"] == "/strict"] == [{"ok": True}]


UPPER = '''
def handler(event, context):
    return {"shout": event["text"].upper(), "connection": event["connection"]}
'''

TRUSTS_APIGW = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "apigateway.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def test_aws_integrations_lambda_and_dynamodb(gureum: Any, apigw: Any, make_function: Any) -> None:
    fn = make_function(UPPER)
    ddb = gureum.client("dynamodb")
    table = f"wsi-{uuid.uuid4().hex[:6]}"
    ddb.create_table(TableName=table, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    role = gureum.client("iam").create_role(RoleName=f"wsi-{uuid.uuid4().hex[:8]}",
                                            AssumeRolePolicyDocument=json.dumps(TRUSTS_APIGW))["Role"]["Arn"]
    api = apigw.create_api(Name=f"wsa{uuid.uuid4().hex[:6]}", ProtocolType="WEBSOCKET",
                           RouteSelectionExpression="$request.body.action")
    api_id = api["ApiId"]
    _route(apigw, api_id, "shout", {
        "IntegrationType": "AWS", "IntegrationMethod": "POST",
        "IntegrationUri": f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{fn}/invocations",
        "TemplateSelectionExpression": "\\$default",
        "RequestTemplates": {"$default": '{"text": $input.json(\'$.text\'), "connection": "$context.connectionId"}'}})
    _route(apigw, api_id, "save", {
        "IntegrationType": "AWS", "IntegrationMethod": "POST", "CredentialsArn": role,
        "IntegrationUri": "arn:aws:apigateway:us-east-1:dynamodb:action/PutItem",
        "TemplateSelectionExpression": "\\$default",
        "RequestTemplates": {"$default": '{"TableName": "' + table + '", "Item": {"id": {"S": "$context.connectionId"}, '
                                         '"note": {"S": $input.json(\'$.note\')}}}'}}, {
        "$default": {"ResponseTemplates": {"$default": '{"saved": true}'}, "TemplateSelectionExpression": "\\$default"}})
    apigw.create_stage(ApiId=api_id, StageName="prod", AutoDeploy=True)
    with connect(f"{api['ApiEndpoint']}/prod", open_timeout=30) as ws:
        ws.send(json.dumps({"action": "shout", "text": "quiet"}))
        answer = json.loads(ws.recv(timeout=60))
        assert answer["shout"] == "QUIET" and answer["connection"]
        ws.send(json.dumps({"action": "save", "note": "kept"}))
        assert json.loads(ws.recv(timeout=30)) == {"saved": True}
    item = ddb.get_item(TableName=table, Key={"id": {"S": answer["connection"]}})["Item"]
    assert item["note"] == {"S": "kept"}
