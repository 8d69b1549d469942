"""Two gureum nodes on one PostgreSQL store: an API created through one node serves on the
other, and a WebSocket held by one node is reached by PostToConnection and DeleteConnection
sent to the other (the delivery goes through the store's change log); once the node holding
a socket is dead, its connection is gone."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from harness import GureumProcess
from waiting import wait_for
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect

from tests.apigatewayv2.conftest import TRUST, call, zip_of

pytestmark = [pytest.mark.xdist_group("multinode"), pytest.mark.e2e]
# (node a is killed by the test: the module's fixture is used once)

HANDLER = '''
import json
def handler(event, context):
    ctx = event["requestContext"]
    if ctx.get("eventType") == "MESSAGE":
        return {"statusCode": 200, "body": ctx["connectionId"]}
    if "eventType" in ctx:
        return {"statusCode": 200}
    return {"statusCode": 200, "body": "served"}
'''


@pytest.fixture(scope="module")
def nodes(pg_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GureumProcess, GureumProcess]]:
    base: Path = tmp_path_factory.mktemp("apigw2-mn")
    args = ["--state", pg_database, "--set", f"storage.blob_dir={base / 'shared-blobs'}", "--set", "ecs.enabled=0",
            "--set", "lambda.follow_interval=0.1", "--set", "roster.interval=1"]
    a, b = GureumProcess(base / "a", extra_args=args), GureumProcess(base / "b", extra_args=args)
    a.start()
    try:
        b.start()
        yield a, b
    finally:
        b.stop()
        a.stop()


def test_apis_and_websocket_connections_across_nodes(nodes: tuple[GureumProcess, GureumProcess]) -> None:
    a, b = nodes
    iam, lam, apigw = a.client("iam"), a.client("lambda"), a.client("apigatewayv2")
    role = iam.create_role(RoleName=f"mn-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    name = f"mn-{uuid.uuid4().hex[:8]}"
    fn = lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler",
                             Code={"ZipFile": zip_of({"app.py": HANDLER})})["FunctionArn"]
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    lam.add_permission(FunctionName=name, StatementId="apigw", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com")
    http_api = apigw.create_api(Name="mn", ProtocolType="HTTP", Target=fn)["ApiId"]
    wait_for("the HTTP API on node b", lambda: call(b, http_api, "GET", "/").body == b"served", 30)

    ws_api = apigw.create_api(Name="mnws", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")
    iid = apigw.create_integration(ApiId=ws_api["ApiId"], IntegrationType="AWS_PROXY", IntegrationUri=fn)["IntegrationId"]
    route = apigw.create_route(ApiId=ws_api["ApiId"], RouteKey="$default", Target=f"integrations/{iid}")
    apigw.create_route_response(ApiId=ws_api["ApiId"], RouteId=route["RouteId"], RouteResponseKey="$default")
    apigw.create_stage(ApiId=ws_api["ApiId"], StageName="prod", AutoDeploy=True)
    url = f"ws://{ws_api['ApiId']}.execute-api.localhost:{a.port}/prod"
    with ws_connect(url, sock=socket.create_connection(("127.0.0.1", a.port)), open_timeout=30) as ws:
        ws.send("who am i")
        connection_id = ws.recv(timeout=30)
        mgmt: Any = boto3.client("apigatewaymanagementapi", region_name="us-east-1", aws_access_key_id="test",
                                 aws_secret_access_key="test",
                                 endpoint_url=f"{b.endpoint}/_aws/execute-api/{ws_api['ApiId']}/prod")
        assert mgmt.get_connection(ConnectionId=connection_id)["Identity"]["SourceIp"] == "127.0.0.1"
        mgmt.post_to_connection(ConnectionId=connection_id, Data=b"from node b")
        assert ws.recv(timeout=30) == "from node b"
        mgmt.delete_connection(ConnectionId=connection_id)
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=30)

    # a node killed while holding a socket: once the roster reports it dead, its connection is gone
    with ws_connect(url, sock=socket.create_connection(("127.0.0.1", a.port)), open_timeout=30) as ws:
        ws.send("who am i")
        held = ws.recv(timeout=30)
        a.kill9()

        def gone() -> bool:
            try:
                mgmt.post_to_connection(ConnectionId=held, Data=b"anyone?")
            except mgmt.exceptions.GoneException:
                return True
            return False

        wait_for("the dead node's connection to be gone", gone, 60)
