"""HTTP APIs serving requests through gureum's execute-api front door: Lambda proxy payload 2.0
and 1.0 events and response rules, route selection, stages ($default without a stage
segment), HTTP_PROXY, CORS, AWS's answers for unknown APIs, routes and stages, Lambda's
permission check, and a slow function holding nothing else."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.apigatewayv2.conftest import call

ECHO = '''
import json
def handler(event, context):
    return {"statusCode": 200, "headers": {"content-type": "application/json", "x-fn": "echo"},
            "cookies": ["a=1", "b=2"], "body": json.dumps(event)}
'''

SHAPES = '''
import base64, json
def handler(event, context):
    kind = (event.get("queryStringParameters") or {}).get("kind")
    if kind == "string":
        return "hello"
    if kind == "object":
        return {"answer": 42}
    if kind == "binary":
        return {"statusCode": 201, "isBase64Encoded": True, "headers": {"content-type": "image/png"},
                "body": base64.b64encode(b"\\x89PNG\\x00").decode()}
    if kind == "malformed":
        return {"statusCode": "not a number"}
    if kind == "raise":
        raise RuntimeError("boom")
    return {"statusCode": 404, "body": "nope", "headers": {"content-type": "text/plain"}}
'''


@pytest.fixture(scope="module")
def echo_fn(make_function: Any) -> str:
    return str(make_function(ECHO))


def quick_api(apigw: Any, target: str, **kwargs: Any) -> str:
    return str(apigw.create_api(Name=f"h{uuid.uuid4().hex[:6]}", ProtocolType="HTTP", Target=target, **kwargs)["ApiId"])


def test_quick_create_payload_2_event_is_aws_exact(gureum: Any, apigw: Any, echo_fn: str) -> None:
    api_id = quick_api(apigw, echo_fn)
    r = call(gureum, api_id, "POST", "/shop/items?x=1&x=2&y=",
             body=b'{"k": "v"}', headers=[("Content-Type", "application/json"), ("X-Multi", "a"), ("X-Multi", "b"),
                                         ("Cookie", "c1=v1; c2=v2"), ("User-Agent", "tester/1")])
    assert r.status == 200, r.body
    assert r.header("x-fn") == "echo" and r.header("apigw-requestid")
    assert r.header_all("set-cookie") == ["a=1", "b=2"]
    e = r.json()
    assert e["version"] == "2.0" and e["routeKey"] == "$default"
    assert (e["rawPath"], e["rawQueryString"]) == ("/shop/items", "x=1&x=2&y=")
    assert e["cookies"] == ["c1=v1", "c2=v2"] and "cookie" not in e["headers"]
    assert e["headers"]["x-multi"] == "a,b" and e["headers"]["content-type"] == "application/json"
    assert e["queryStringParameters"] == {"x": "1,2", "y": ""}
    assert (e["body"], e["isBase64Encoded"]) == ('{"k": "v"}', False)
    ctx = e["requestContext"]
    assert (ctx["apiId"], ctx["stage"], ctx["routeKey"], ctx["accountId"]) == (api_id, "$default", "$default", "000000000000")
    assert ctx["http"] == {"method": "POST", "path": "/shop/items", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                           "userAgent": "tester/1"}
    assert ctx["domainPrefix"] == api_id and ctx["requestId"] == r.header("apigw-requestid")
    assert isinstance(ctx["timeEpoch"], int) and ctx["time"].endswith("+0000")
    assert "pathParameters" not in e and "stageVariables" not in e
    # binary bodies arrive base64-encoded
    r = call(gureum, api_id, "PUT", "/bin", body=b"\x00\x01\xff", headers={"Content-Type": "application/octet-stream"})
    e = r.json()
    assert e["isBase64Encoded"] is True and base64.b64decode(e["body"]) == b"\x00\x01\xff"


def test_response_rules_of_payload_2(gureum: Any, apigw: Any, make_function: Any) -> None:
    api_id = quick_api(apigw, make_function(SHAPES))
    r = call(gureum, api_id, "GET", "/?kind=string")
    assert (r.status, r.header("content-type"), r.body) == (200, "application/json", b'"hello"')
    r = call(gureum, api_id, "GET", "/?kind=object")
    assert (r.status, r.json()) == (200, {"answer": 42})
    r = call(gureum, api_id, "GET", "/?kind=binary")
    assert (r.status, r.header("content-type"), r.body) == (201, "image/png", b"\x89PNG\x00")
    r = call(gureum, api_id, "GET", "/?kind=other")
    assert (r.status, r.body, r.header("content-type")) == (404, b"nope", "text/plain")
    for kind in ("malformed", "raise"):
        r = call(gureum, api_id, "GET", f"/?kind={kind}")
        assert (r.status, r.json()) == (500, {"message": "Internal Server Error"})


def test_routes_pick_the_most_specific_match_and_path_parameters(gureum: Any, apigw: Any, echo_fn: str) -> None:
    api_id = apigw.create_api(Name="routes", ProtocolType="HTTP")["ApiId"]
    iid = apigw.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=echo_fn,
                                   PayloadFormatVersion="2.0")["IntegrationId"]
    for key in ("GET /items/{id}", "GET /items/special", "ANY /items/{id}", "ANY /{proxy+}", "GET /files/{path+}"):
        apigw.create_route(ApiId=api_id, RouteKey=key, Target=f"integrations/{iid}")
    apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)

    def route_of(method: str, path: str) -> tuple[str, Any]:
        r = call(gureum, api_id, method, path)
        assert r.status == 200, (path, r.body)
        e = r.json()
        return e["routeKey"], e.get("pathParameters")

    assert route_of("GET", "/items/special") == ("GET /items/special", None)
    assert route_of("GET", "/items/42") == ("GET /items/{id}", {"id": "42"})
    assert route_of("DELETE", "/items/42") == ("ANY /items/{id}", {"id": "42"})
    assert route_of("GET", "/files/a/b%20c.txt") == ("GET /files/{path+}", {"path": "a/b c.txt"})
    assert route_of("POST", "/anything/else") == ("ANY /{proxy+}", {"proxy": "anything/else"})
    # no route and no $default: AWS's 404
    r = call(gureum, api_id, "GET", "/")
    assert (r.status, r.json()) == (404, {"message": "Not Found"})


def test_named_stages_payload_1_and_stage_variables(gureum: Any, apigw: Any, echo_fn: str) -> None:
    api_id = apigw.create_api(Name="v1", ProtocolType="HTTP")["ApiId"]
    iid = apigw.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=echo_fn,
                                   PayloadFormatVersion="1.0")["IntegrationId"]
    apigw.create_route(ApiId=api_id, RouteKey="GET /pets/{name}", Target=f"integrations/{iid}")
    apigw.create_stage(ApiId=api_id, StageName="prod", StageVariables={"color": "blue"})
    # created but not deployed: nothing answers
    assert call(gureum, api_id, "GET", "/prod/pets/rex").status == 404
    apigw.create_deployment(ApiId=api_id, StageName="prod")
    r = call(gureum, api_id, "GET", "/prod/pets/rex?a=1&a=2", headers=[("X-H", "1"), ("X-H", "2")])
    assert r.status == 200, r.body
    e = r.json()
    assert (e["version"], e["resource"], e["path"], e["httpMethod"]) == ("1.0", "/pets/{name}", "/prod/pets/rex", "GET")
    assert e["pathParameters"] == {"name": "rex"} and e["stageVariables"] == {"color": "blue"}
    assert e["queryStringParameters"] == {"a": "2"} and e["multiValueQueryStringParameters"] == {"a": ["1", "2"]}
    assert e["multiValueHeaders"]["x-h"] == ["1", "2"]
    assert e["requestContext"]["stage"] == "prod" and e["body"] is None
    # unknown stage, and the path form on the API port
    assert call(gureum, api_id, "GET", "/dev/pets/rex").json() == {"message": "Not Found"}
    import urllib.request

    with urllib.request.urlopen(f"{gureum.endpoint}/_aws/execute-api/{api_id}/prod/pets/tom") as resp:
        assert json.loads(resp.read())["pathParameters"] == {"name": "tom"}


def test_unknown_api_and_disabled_endpoint_are_forbidden(gureum: Any, apigw: Any, echo_fn: str) -> None:
    r = call(gureum, "zzzzzzzzzz", "GET", "/")
    assert (r.status, r.json()) == (403, {"message": "Forbidden"})
    api_id = quick_api(apigw, echo_fn)
    assert call(gureum, api_id, "GET", "/").status == 200
    apigw.update_api(ApiId=api_id, DisableExecuteApiEndpoint=True)
    assert call(gureum, api_id, "GET", "/").json() == {"message": "Forbidden"}


def test_lambda_permission_is_required(gureum: Any, apigw: Any, make_function: Any, lam: Any) -> None:
    fn = make_function(ECHO, allow=False)
    api_id = quick_api(apigw, fn)
    r = call(gureum, api_id, "GET", "/")
    assert (r.status, r.json()) == (500, {"message": "Internal Server Error"})
    # a permission for another API's source ARN does not help; one for this API does
    lam.add_permission(FunctionName=fn, StatementId="other", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com",
                       SourceArn="arn:aws:execute-api:us-east-1:000000000000:zzzzzzzzzz/*")
    assert call(gureum, api_id, "GET", "/").status == 500
    lam.add_permission(FunctionName=fn, StatementId="this", Action="lambda:InvokeFunction",
                       Principal="apigateway.amazonaws.com",
                       SourceArn=f"arn:aws:execute-api:us-east-1:000000000000:{api_id}/*/$default")
    assert call(gureum, api_id, "GET", "/").status == 200


@pytest.fixture
def backend() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            seen.append({"method": self.command, "path": self.path, "body": self.rfile.read(length).decode(),
                         "headers": {k.lower(): v for k, v in self.headers.items()}})
            body = b"from backend"
            self.send_response(202)
            self.send_header("Content-Type", "text/plain")
            self.send_header("X-Backend", "yes")
            self.send_header("Access-Control-Allow-Origin", "https://evil.example")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_DELETE = _any

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


def test_http_proxy_and_cors(gureum: Any, apigw: Any, backend: tuple[str, list[dict[str, Any]]]) -> None:
    url, seen = backend
    cors = {"AllowOrigins": ["https://app.example"], "AllowMethods": ["GET", "POST"], "AllowHeaders": ["x-token"],
            "ExposeHeaders": ["x-backend"], "MaxAge": 300}
    api_id = apigw.create_api(Name="proxy", ProtocolType="HTTP", CorsConfiguration=cors)["ApiId"]
    iid = apigw.create_integration(ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="ANY",
                                   IntegrationUri=url + "/base/{proxy}")["IntegrationId"]
    apigw.create_route(ApiId=api_id, RouteKey="ANY /api/{proxy+}", Target=f"integrations/{iid}")
    apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    r = call(gureum, api_id, "POST", "/api/a/b?q=1", body=b"payload",
             headers={"Origin": "https://app.example", "X-Token": "t"})
    assert (r.status, r.body, r.header("x-backend")) == (202, b"from backend", "yes")
    assert r.header("access-control-allow-origin") == "https://app.example"
    assert r.header("access-control-expose-headers") == "x-backend"
    assert seen[-1]["method"] == "POST" and seen[-1]["path"] == "/base/a/b?q=1" and seen[-1]["body"] == "payload"
    assert seen[-1]["headers"]["x-token"] == "t"
    # preflight answered by the gateway itself
    r = call(gureum, api_id, "OPTIONS", "/api/a", headers={"Origin": "https://app.example",
                                                        "Access-Control-Request-Method": "POST",
                                                        "Access-Control-Request-Headers": "x-token"})
    assert r.status == 204
    assert (r.header("access-control-allow-origin"), r.header("access-control-allow-methods"),
            r.header("access-control-max-age")) == ("https://app.example", "GET,POST", "300")
    r = call(gureum, api_id, "OPTIONS", "/api/a", headers={"Origin": "https://other.example",
                                                        "Access-Control-Request-Method": "POST"})
    assert r.status == 204 and r.header("access-control-allow-origin") is None
    # an origin not allowed: the backend's CORS headers are dropped, none are added
    r = call(gureum, api_id, "GET", "/api/x", headers={"Origin": "https://other.example"})
    assert r.status == 202 and r.header("access-control-allow-origin") is None


def test_a_slow_function_holds_nothing_else(gureum: Any, apigw: Any, make_function: Any) -> None:
    # the slow function answers after 20 s; three requests to another function are answered first
    slow = quick_api(apigw, make_function('''
import time
def handler(event, context):
    time.sleep(20)
    return {"statusCode": 200, "body": "slow"}
''', Timeout=28))
    fast = quick_api(apigw, make_function('def handler(event, context):\n    return {"statusCode": 200, "body": "fast"}\n'))
    result: dict[str, Any] = {}
    t = threading.Thread(target=lambda: result.update(r=call(gureum, slow, "GET", "/")))
    t.start()
    try:
        for _ in range(3):
            r = call(gureum, fast, "GET", "/")
            assert (r.status, r.body) == (200, b"fast")
        assert "r" not in result  # the slow one is still running while three fast ones were answered
    finally:
        t.join(60)
    assert result["r"].body == b"slow"


def test_backend_late_or_unreachable(gureum: Any, apigw: Any) -> None:
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections (the kernel's backlog) and never answers
    try:
        api_id = apigw.create_api(Name="late", ProtocolType="HTTP")["ApiId"]
        late = apigw.create_integration(ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="GET",
                                        IntegrationUri=f"http://127.0.0.1:{silent.getsockname()[1]}/",
                                        TimeoutInMillis=300)["IntegrationId"]
        closed = socket.socket()
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        closed.close()  # nothing listens there
        gone = apigw.create_integration(ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="GET",
                                        IntegrationUri=f"http://127.0.0.1:{port}/")["IntegrationId"]
        apigw.create_route(ApiId=api_id, RouteKey="GET /late", Target=f"integrations/{late}")
        apigw.create_route(ApiId=api_id, RouteKey="GET /gone", Target=f"integrations/{gone}")
        apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
        r = call(gureum, api_id, "GET", "/late")
        assert (r.status, r.json()) == (504, {"message": "Gateway Timeout"})
        r = call(gureum, api_id, "GET", "/gone")
        assert (r.status, r.json()) == (503, {"message": "Service Unavailable"})
    finally:
        silent.close()


def test_parameter_mapping_and_stage_variable_functions(gureum: Any, apigw: Any, echo_fn: str,
                                                        backend: tuple[str, list[dict[str, Any]]]) -> None:
    url, seen = backend
    api_id = apigw.create_api(Name="map", ProtocolType="HTTP")["ApiId"]
    iid = apigw.create_integration(
        ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="ANY", IntegrationUri=url + "/ignored",
        RequestParameters={"overwrite:path": "/rewritten/$request.path.rest", "append:header.x-stage": "$context.stage",
                           "remove:header.x-drop": "''", "overwrite:querystring.q": "$request.header.x-q"},
        ResponseParameters={"202": {"overwrite:statuscode": "200", "append:header.x-mapped": "$response.header.x-backend",
                                    "remove:header.x-backend": "''"}})["IntegrationId"]
    apigw.create_route(ApiId=api_id, RouteKey="GET /m/{rest+}", Target=f"integrations/{iid}")
    # a Lambda integration naming its function through a stage variable
    fn_name = echo_fn.rsplit(":", 1)[1]
    lid = apigw.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", PayloadFormatVersion="2.0",
                                   IntegrationUri="arn:aws:lambda:us-east-1:000000000000:function:${stageVariables.fn}")["IntegrationId"]
    apigw.create_route(ApiId=api_id, RouteKey="GET /fn", Target=f"integrations/{lid}")
    apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True, StageVariables={"fn": fn_name})
    r = call(gureum, api_id, "GET", "/m/a/b?q=old&keep=1", headers={"x-drop": "1", "x-q": "new"})
    assert (r.status, r.header("x-mapped"), r.header("x-backend")) == (200, "yes", None)
    got = seen[-1]
    assert got["path"] == "/rewritten/a/b?keep=1&q=new"
    assert got["headers"]["x-stage"] == "$default" and "x-drop" not in got["headers"]
    r = call(gureum, api_id, "GET", "/fn")
    assert r.status == 200 and r.json()["routeKey"] == "GET /fn"
