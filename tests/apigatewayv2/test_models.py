"""API Gateway v2 models end to end: CreateModel/GetModel/GetModels/UpdateModel/DeleteModel/
GetModelTemplate with JSON Schema draft 4 checks, routes' RequestModels naming them, and
WebSocket messages validated by the model their ModelSelectionExpression picks (AWS's
"Invalid request body" frame, the integration not called)."""

from __future__ import annotations

import json
import socket
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

ECHO = '''
import json
def handler(event, context):
    if event["requestContext"]["routeKey"] in ("$connect", "$disconnect"):
        return {"statusCode": 200}
    return {"statusCode": 200, "body": "got:" + event["body"]}
'''

ORDER = json.dumps({"$schema": "http://json-schema.org/draft-04/schema#", "type": "object",
                    "required": ["action", "qty"],
                    "properties": {"action": {"type": "string"}, "qty": {"type": "integer", "minimum": 1},
                                   "meta": {"type": "object"}}})
NOTE = json.dumps({"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}})


def _error(e: pytest.ExceptionInfo[ClientError]) -> str:
    return str(e.value.response["Error"]["Code"])


def test_model_crud_and_template(apigw: Any) -> None:
    api = apigw.create_api(Name=f"m{uuid.uuid4().hex[:6]}", ProtocolType="WEBSOCKET",
                           RouteSelectionExpression="$request.body.action")["ApiId"]
    made = apigw.create_model(ApiId=api, Name="Order", Schema=ORDER, ContentType="application/json", Description="d")
    assert made["Name"] == "Order" and made["Schema"] == ORDER and made["ContentType"] == "application/json"
    assert apigw.get_model(ApiId=api, ModelId=made["ModelId"])["Description"] == "d"
    for bad in ({"Name": "Order", "Schema": NOTE}, {"Name": "bad-name", "Schema": NOTE},
                {"Name": "Broken", "Schema": "{not json"}, {"Name": "Wrong", "Schema": json.dumps({"type": 5})}):
        with pytest.raises(ClientError) as e:
            apigw.create_model(ApiId=api, **bad)
        assert _error(e) in ("BadRequestException", "ConflictException"), bad
    note = apigw.create_model(ApiId=api, Name="Note", Schema=NOTE)["ModelId"]
    seen = [m["Name"] for page in apigw.get_paginator("get_models").paginate(ApiId=api, PaginationConfig={"PageSize": 1})
            for m in page["Items"]]
    assert sorted(seen) == ["Note", "Order"]
    template = apigw.get_model_template(ApiId=api, ModelId=made["ModelId"])["Value"]
    assert '"qty" : $inputRoot.qty' in template and '"action" : "$inputRoot.action"' in template
    assert apigw.update_model(ApiId=api, ModelId=note, Description="notes")["Description"] == "notes"
    with pytest.raises(ClientError) as e:
        apigw.update_model(ApiId=api, ModelId=note, Schema="[]")
    assert _error(e) == "BadRequestException"
    with pytest.raises(ClientError) as e:
        apigw.create_route(ApiId=api, RouteKey="nope", RequestModels={"$default": "Missing"})
    assert _error(e) == "BadRequestException"
    apigw.create_route(ApiId=api, RouteKey="note", RequestModels={"$default": "Note"},
                       ModelSelectionExpression="$request.body.kind")
    with pytest.raises(ClientError) as e:
        apigw.delete_model(ApiId=api, ModelId=note)
    assert _error(e) == "ConflictException"
    apigw.delete_model(ApiId=api, ModelId=made["ModelId"])
    with pytest.raises(ClientError) as e:
        apigw.get_model(ApiId=api, ModelId=made["ModelId"])
    assert _error(e) == "NotFoundException"


def _connect(url: str) -> ClientConnection:
    port = int(url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
    return ws_connect(url, sock=socket.create_connection(("127.0.0.1", port)))


def test_websocket_messages_are_validated(apigw: Any, make_function: Any) -> None:
    fn = make_function(ECHO)
    made = apigw.create_api(Name=f"wsv{uuid.uuid4().hex[:6]}", ProtocolType="WEBSOCKET",
                            RouteSelectionExpression="$request.body.action")
    api = made["ApiId"]
    apigw.create_model(ApiId=api, Name="Order", Schema=ORDER)
    apigw.create_model(ApiId=api, Name="Note", Schema=NOTE)
    iid = apigw.create_integration(ApiId=api, IntegrationType="AWS_PROXY", IntegrationUri=fn)["IntegrationId"]
    for key in ("$connect", "$default"):
        apigw.create_route(ApiId=api, RouteKey=key, Target=f"integrations/{iid}")
    # "order" messages: the model picked by their "kind" ("note" -> Note), Order by default
    order = apigw.create_route(ApiId=api, RouteKey="order", Target=f"integrations/{iid}",
                               RequestModels={"$default": "Order", "note": "Note"},
                               ModelSelectionExpression="$request.body.kind")["RouteId"]
    assert apigw.get_route(ApiId=api, RouteId=order)["RequestModels"] == {"$default": "Order", "note": "Note"}
    for rid in (order, *[r["RouteId"] for r in apigw.get_routes(ApiId=api)["Items"] if r["RouteKey"] == "$default"]):
        apigw.create_route_response(ApiId=api, RouteId=rid, RouteResponseKey="$default")
    apigw.create_stage(ApiId=api, StageName="prod", AutoDeploy=True)
    with _connect(f"{made['ApiEndpoint']}/prod") as ws:
        good = json.dumps({"action": "order", "qty": 2})
        ws.send(good)
        assert ws.recv(timeout=60) == "got:" + good
        for bad in (json.dumps({"action": "order", "qty": 0}), json.dumps({"action": "order"}),
                    json.dumps({"action": "order", "kind": "note"})):
            ws.send(bad)
            frame = json.loads(ws.recv(timeout=60))
            assert frame["message"] == "Invalid request body" and frame["connectionId"] and frame["requestId"]
        note = json.dumps({"action": "order", "kind": "note", "text": "hi"})
        ws.send(note)
        assert ws.recv(timeout=60) == "got:" + note
        ws.send("not json at all")  # the $default route has no model: passes
        assert ws.recv(timeout=60) == "got:not json at all"
