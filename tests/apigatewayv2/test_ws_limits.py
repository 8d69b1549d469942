"""WebSocket connections end as AWS ends them: after the idle timeout (AWS: 10 minutes, here
set to 1 s through `apigatewayv2.ws_idle_timeout`) with close code 1001 "Going away"."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from harness import GureumProcess
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect


@pytest.fixture(scope="module")
def quick_idle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path_factory.mktemp("apigw2-idle") / "data",
                         ["--set", "apigatewayv2.ws_idle_timeout=1", "--set", "ecs.enabled=0"])
    proc.start()
    yield proc
    proc.stop()


def test_an_idle_connection_is_closed_with_1001(quick_idle: GureumProcess) -> None:
    apigw = quick_idle.client("apigatewayv2")
    api = apigw.create_api(Name="idle", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")
    apigw.create_route(ApiId=api["ApiId"], RouteKey="$default")
    apigw.create_stage(ApiId=api["ApiId"], StageName="prod", AutoDeploy=True)
    url = f"ws://{api['ApiId']}.execute-api.localhost:{quick_idle.port}/prod"
    with ws_connect(url, sock=socket.create_connection(("127.0.0.1", quick_idle.port)), open_timeout=30,
                    ping_interval=None) as ws:
        with pytest.raises(ConnectionClosed) as e:
            ws.recv(timeout=30)
        assert e.value.rcvd is not None and (e.value.rcvd.code, e.value.rcvd.reason) == (1001, "Going away")
