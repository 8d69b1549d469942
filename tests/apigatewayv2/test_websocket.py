"""WebSocket APIs end to end with the `websockets` client: $connect deciding, messages routed
by routeSelectionExpression (with $default and two-way route responses), PostToConnection /
GetConnection / DeleteConnection through boto3 on the invoke URL, the $disconnect event, and
GoneException for a closed connection."""

from __future__ import annotations

import json
import socket
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

# Records every event in a log line the test reads back; $connect refuses ?deny=1.
HANDLER = '''
import json
def handler(event, context):
    ctx = event["requestContext"]
    print("EVENT " + json.dumps({"routeKey": ctx["routeKey"], "eventType": ctx["eventType"],
                                 "connectionId": ctx["connectionId"], "body": event.get("body"),
                                 "code": ctx.get("disconnectStatusCode")}))
    if ctx["routeKey"] == "$connect":
        if (event.get("queryStringParameters") or {}).get("deny") == "1":
            return {"statusCode": 403}
        return {"statusCode": 200}
    if ctx["routeKey"] == "echo":
        return {"statusCode": 200, "body": "echo:" + json.loads(event["body"])["text"]}
    return {"statusCode": 200, "body": "default:" + event["body"]}
'''


def connect(url: str, **kwargs: Any) -> ClientConnection:
    """`url` (ws://<id>.execute-api.localhost:<port>/...) over a socket to 127.0.0.1: the
    Host header names the API, as a browser resolving *.localhost would send it."""
    port = int(url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
    return ws_connect(url, sock=socket.create_connection(("127.0.0.1", port)), **kwargs)


def management(gureum: Any, api_id: str, stage: str) -> Any:
    """boto3's management API client on the invoke URL's path form (botocore cannot resolve
    *.localhost names)."""
    import boto3

    return boto3.client("apigatewaymanagementapi", endpoint_url=f"{gureum.endpoint}/_aws/execute-api/{api_id}/{stage}",
                        region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")


def _events(gureum: Any, fn_name: str) -> list[dict[str, Any]]:
    logs = gureum.client("logs")
    try:
        found = logs.filter_log_events(logGroupName=f"/aws/lambda/{fn_name}")["events"]
    except logs.exceptions.ResourceNotFoundException:
        return []
    return [json.loads(e["message"].split("EVENT ", 1)[1]) for e in found if "EVENT " in e["message"]]


@pytest.fixture(scope="module")
def ws_api(apigw: Any, make_function: Any) -> dict[str, str]:
    fn = make_function(HANDLER)
    api = apigw.create_api(Name=f"ws{uuid.uuid4().hex[:6]}", ProtocolType="WEBSOCKET",
                           RouteSelectionExpression="$request.body.action")
    api_id = api["ApiId"]
    iid = apigw.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=fn)["IntegrationId"]
    routes = {}
    for key in ("$connect", "$disconnect", "$default", "echo"):
        routes[key] = apigw.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{iid}")["RouteId"]
    for key in ("echo", "$default"):
        apigw.create_route_response(ApiId=api_id, RouteId=routes[key], RouteResponseKey="$default")
    apigw.create_stage(ApiId=api_id, StageName="prod", AutoDeploy=True)
    return {"id": api_id, "endpoint": api["ApiEndpoint"], "fn": fn.rsplit(":", 1)[1]}


def test_round_trip(gureum: Any, ws_api: dict[str, str]) -> None:
    url = f"{ws_api['endpoint']}/prod"
    with connect(url, open_timeout=30) as ws:
        ws.send(json.dumps({"action": "echo", "text": "hi"}))
        assert ws.recv(timeout=30) == "echo:hi"
        ws.send("not json")
        assert ws.recv(timeout=30) == "default:not json"
        # find our connection id from the $connect event, then talk back through boto3
        wait_for("the $connect event", lambda: any(e["eventType"] == "CONNECT" for e in _events(gureum, ws_api["fn"])), 30)
        connection_id = [e for e in _events(gureum, ws_api["fn"]) if e["eventType"] == "CONNECT"][-1]["connectionId"]
        mgmt = management(gureum, ws_api["id"], "prod")
        mgmt.post_to_connection(ConnectionId=connection_id, Data=b"pushed")
        assert ws.recv(timeout=30) == "pushed"
        info = mgmt.get_connection(ConnectionId=connection_id)
        assert info["Identity"]["SourceIp"] == "127.0.0.1" and info["ConnectedAt"] <= info["LastActiveAt"]
    # closed by the client: $disconnect ran, the connection is gone
    wait_for("the $disconnect event", lambda: any(
        e["eventType"] == "DISCONNECT" and e["connectionId"] == connection_id for e in _events(gureum, ws_api["fn"])), 30)
    with pytest.raises(ClientError) as e:
        mgmt.post_to_connection(ConnectionId=connection_id, Data=b"late")
    assert e.value.response["Error"]["Code"] == "GoneException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 410
    routes = [(ev["eventType"], ev["routeKey"]) for ev in _events(gureum, ws_api["fn"]) if ev["connectionId"] == connection_id]
    assert routes[0] == ("CONNECT", "$connect") and ("MESSAGE", "echo") in routes and ("MESSAGE", "$default") in routes


def test_connect_refused_and_server_side_delete(gureum: Any, ws_api: dict[str, str]) -> None:
    url = f"{ws_api['endpoint']}/prod"
    with pytest.raises(InvalidStatus) as e:
        connect(url + "?deny=1", open_timeout=30)
    assert e.value.response.status_code == 403
    with pytest.raises(InvalidStatus) as e:
        connect(f"{ws_api['endpoint']}/nostage", open_timeout=30)
    assert e.value.response.status_code == 403
    with connect(url, open_timeout=30) as ws:
        ws.send(json.dumps({"action": "echo", "text": "x"}))
        assert ws.recv(timeout=30) == "echo:x"
        def mine() -> list[dict[str, Any]]:
            return [ev for ev in _events(gureum, ws_api["fn"]) if ev["routeKey"] == "echo" and '"x"' in (ev["body"] or "")]

        wait_for("the echo event", lambda: bool(mine()), 30)
        connection_id = mine()[-1]["connectionId"]
        mgmt = management(gureum, ws_api["id"], "prod")
        mgmt.delete_connection(ConnectionId=connection_id)
        from websockets.exceptions import ConnectionClosed

        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=30)
    with pytest.raises(ClientError) as ce:
        mgmt.get_connection(ConnectionId=connection_id)
    assert ce.value.response["Error"]["Code"] == "GoneException"


WS_AUTHORIZER = '''
def handler(event, context):
    token = (event.get("queryStringParameters") or {}).get("token")
    effect = "Allow" if token == "let-me-in" else "Deny"
    return {"principalId": "carol", "context": {"tier": "gold"},
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}]}}
'''

CONTEXT_ECHO = '''
import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event["requestContext"].get("authorizer"))}
'''


def test_connect_authorizer(gureum: Any, apigw: Any, make_function: Any) -> None:
    auth_fn, echo = make_function(WS_AUTHORIZER), make_function(CONTEXT_ECHO)
    api = apigw.create_api(Name=f"wsa{uuid.uuid4().hex[:6]}", ProtocolType="WEBSOCKET",
                           RouteSelectionExpression="$request.body.action")
    api_id = api["ApiId"]
    auth = apigw.create_authorizer(ApiId=api_id, AuthorizerType="REQUEST", Name="qs", AuthorizerUri=auth_fn,
                                   IdentitySource=["route.request.querystring.token"])
    iid = apigw.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=echo)["IntegrationId"]
    apigw.create_route(ApiId=api_id, RouteKey="$connect", AuthorizationType="CUSTOM", AuthorizerId=auth["AuthorizerId"],
                       Target=f"integrations/{iid}")
    default = apigw.create_route(ApiId=api_id, RouteKey="$default", Target=f"integrations/{iid}")
    apigw.create_route_response(ApiId=api_id, RouteId=default["RouteId"], RouteResponseKey="$default")
    apigw.create_stage(ApiId=api_id, StageName="live", AutoDeploy=True)
    url = f"{api['ApiEndpoint']}/live"
    with pytest.raises(InvalidStatus) as e:
        connect(url, open_timeout=30)
    assert e.value.response.status_code == 401  # no identity source
    with pytest.raises(InvalidStatus) as e:
        connect(url + "?token=wrong", open_timeout=30)
    assert e.value.response.status_code == 403
    with connect(url + "?token=let-me-in", open_timeout=30) as ws:
        ws.send("hello")
        assert json.loads(ws.recv(timeout=30)) == {"tier": "gold", "principalId": "carol"}
