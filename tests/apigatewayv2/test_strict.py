"""`--auth strict`: the management API is signed by boto3 over the path it sends
(`<stage>/@connections/<id>` under the invoke URL) and verified over that path, though the
wire layer routes it as `/@connections/<id>`; a wrong secret is refused."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from harness import GureumProcess
from websockets.sync.client import connect as ws_connect

ACCOUNT = "111122223333"


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path_factory.mktemp("apigw2-strict") / "data",
                         ["--auth", "strict", "--set", f"auth.keys=test:test:{ACCOUNT}", "--set", "ecs.enabled=0"])
    proc.start()
    yield proc
    proc.stop()


def _mgmt(g: GureumProcess, api_id: str, secret: str) -> Any:
    return boto3.client("apigatewaymanagementapi", region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key=secret, endpoint_url=f"{g.endpoint}/_aws/execute-api/{api_id}/prod")


def test_management_api_signatures_are_verified_over_the_path_sent(strict: GureumProcess) -> None:
    apigw = strict.client("apigatewayv2")
    api = apigw.create_api(Name="strict", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action")
    apigw.create_route(ApiId=api["ApiId"], RouteKey="$default")
    apigw.create_stage(ApiId=api["ApiId"], StageName="prod", AutoDeploy=True)
    url = f"ws://{api['ApiId']}.execute-api.localhost:{strict.port}/prod"
    with ws_connect(url, sock=socket.create_connection(("127.0.0.1", strict.port)), open_timeout=30):
        with pytest.raises(ClientError) as e:
            _mgmt(strict, api["ApiId"], "test").get_connection(ConnectionId="bm9uZQ==")
        assert e.value.response["Error"]["Code"] == "GoneException"  # signed right: answered
        with pytest.raises(ClientError) as e:
            _mgmt(strict, api["ApiId"], "wrong").get_connection(ConnectionId="bm9uZQ==")
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_aws_iam_routes_verify_the_signature_in_strict_mode(strict: GureumProcess) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from tests.apigatewayv2.conftest import call
    from tests.apigatewayv2.test_authorizers import _signed

    class Ok(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    backend = ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    thread = threading.Thread(target=backend.serve_forever, daemon=True)
    thread.start()
    try:
        apigw = strict.client("apigatewayv2")
        api_id = apigw.create_api(Name="iam", ProtocolType="HTTP",
                                  Target=f"http://127.0.0.1:{backend.server_address[1]}/")["ApiId"]
        route = apigw.get_routes(ApiId=api_id)["Items"][0]
        apigw.update_route(ApiId=api_id, RouteId=route["RouteId"], AuthorizationType="AWS_IAM")
        assert call(strict, api_id, "GET", "/").status == 403
        assert call(strict, api_id, "GET", "/", headers=_signed(strict, api_id, "/", secret="wrong")).status == 403
        r = call(strict, api_id, "GET", "/", headers=_signed(strict, api_id, "/"))
        assert (r.status, r.body) == (200, b"ok")
    finally:
        backend.shutdown()
        backend.server_close()
        thread.join()
