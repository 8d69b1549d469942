"""SDK generation end to end: GetSdkTypes/GetSdkType, GetSdk's javascript SDK run by Node.js
against the stage (path, query string and header parameters, a JSON body, an API key, a
non-2XX answer rejected with its response), its SigV4 signing of AWS_IAM methods checked by a
gureum in strict auth mode (a wrong secret refused), and 501 for SDK types not generated."""

from __future__ import annotations

import http.server
import io
import json
import subprocess
import threading
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from harness import GureumProcess

ACCOUNT = "111122223333"


class _Echo(http.server.BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        data = json.dumps({"method": self.command, "path": self.path, "body": body,
                           "trace": self.headers.get("X-Trace"), "key": self.headers.get("x-api-key")}).encode()
        self.send_response(404 if "missing" in self.path else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def backend() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def apigw(gureum: Any) -> Any:
    return gureum.client("apigateway")


def _method(apigw: Any, api: str, rid: str, verb: str, uri: str, params: dict[str, bool] | None = None,
            **extra: Any) -> None:
    apigw.put_method(restApiId=api, resourceId=rid, httpMethod=verb, authorizationType=extra.pop("auth", "NONE"),
                     requestParameters=params or {}, **extra)
    apigw.put_integration(restApiId=api, resourceId=rid, httpMethod=verb, type="HTTP_PROXY", integrationHttpMethod=verb,
                          uri=uri, requestParameters={k.replace("method.", "integration."): k for k in params or {}
                                                       if k.startswith("method.request.path.")})


def _run_node(tmp: Path, zipped: bytes, script: str) -> Any:
    with zipfile.ZipFile(io.BytesIO(zipped)) as zf:
        assert sorted(zf.namelist()) == ["apiGateway-js-sdk/README.md", "apiGateway-js-sdk/apigClient.js"]
        zf.extractall(tmp)
    (tmp / "run.js").write_text("const apigClientFactory = require('./apiGateway-js-sdk/apigClient.js');\n" + script)
    done = subprocess.run(["node", str(tmp / "run.js")], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_sdk_types(apigw: Any) -> None:
    types = {t["id"]: t for t in apigw.get_sdk_types()["items"]}
    assert {"javascript", "android", "java", "ios-objective-c", "ios-swift", "ruby"} <= set(types)
    assert apigw.get_sdk_type(id="javascript")["friendlyName"] == "JavaScript"
    assert any(p["name"] == "classPrefix" for p in apigw.get_sdk_type(id="ios-swift")["configurationProperties"])
    with pytest.raises(ClientError) as e:
        apigw.get_sdk_type(id="cobol")
    assert e.value.response["Error"]["Code"] == "NotFoundException"


def test_javascript_sdk_calls_the_api(apigw: Any, gureum: Any, backend: str, tmp_path: Path) -> None:
    api = apigw.create_rest_api(name=f"sdk-{uuid.uuid4().hex[:6]}")["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    pets = apigw.create_resource(restApiId=api, parentId=root, pathPart="pets")["id"]
    pet = apigw.create_resource(restApiId=api, parentId=pets, pathPart="{petId}")["id"]
    _method(apigw, api, pets, "GET", f"{backend}/pets",
            {"method.request.querystring.limit": False, "method.request.header.X-Trace": False})
    _method(apigw, api, pets, "POST", f"{backend}/pets", apiKeyRequired=True)
    _method(apigw, api, pet, "GET", f"{backend}/pets/{{petId}}", {"method.request.path.petId": True})
    apigw.create_deployment(restApiId=api, stageName="dev")
    key = apigw.create_api_key(name=f"sdk-{uuid.uuid4().hex[:6]}", enabled=True)
    plan = apigw.create_usage_plan(name=f"sdk-{uuid.uuid4().hex[:6]}", apiStages=[{"apiId": api, "stage": "dev"}])
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    with pytest.raises(ClientError) as e:
        apigw.get_sdk(restApiId=api, stageName="dev", sdkType="java", parameters={"serviceName": "x"})
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    out = apigw.get_sdk(restApiId=api, stageName="dev", sdkType="javascript")
    assert out["contentType"] == "application/octet-stream" and "javascript_" in out["contentDisposition"]
    script = """
const client = apigClientFactory.newClient({ apiKey: %s });
(async () => {
  const list = await client.petsGet({ limit: '3', 'X-Trace': 'tr-1' }, undefined, { queryParams: { extra: 'x' } });
  const one = await client.petsPetIdGet({ petId: 'a b' });
  const made = await client.petsPost({}, { name: 'rex' });
  let missing = null;
  try { await client.petsPetIdGet({ petId: 'missing' }); } catch (e) { missing = e.response.status; }
  console.log(JSON.stringify({ list: list.data, one: one.data, made: made.data, status: made.status, missing,
                               names: Object.keys(client).sort() }));
})().catch((e) => { console.error(e); process.exit(1); });
""" % json.dumps(key["value"])
    result = _run_node(tmp_path, out["body"].read(), script)
    assert result["names"] == ["petsGet", "petsPetIdGet", "petsPost"]
    assert result["list"]["method"] == "GET" and result["list"]["trace"] == "tr-1"
    assert result["list"]["path"] in ("/pets?limit=3&extra=x", "/pets?extra=x&limit=3")
    assert result["one"]["path"] == "/pets/a%20b"
    assert result["made"] == {"method": "POST", "path": "/pets", "body": '{"name":"rex"}', "trace": None,
                              "key": key["value"]} and result["status"] == 200
    assert result["missing"] == 404


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path_factory.mktemp("apigw-sdk-strict") / "data",
                         ["--auth", "strict", "--set", f"auth.keys=test:test:{ACCOUNT}", "--set", "ecs.enabled=0"])
    proc.start()
    yield proc
    proc.stop()


def test_javascript_sdk_signs_aws_iam_methods(strict: GureumProcess, tmp_path: Path) -> None:
    apigw = strict.client("apigateway")
    api = apigw.create_rest_api(name="sdk-iam")["id"]
    root = apigw.get_resources(restApiId=api)["items"][0]["id"]
    items = apigw.create_resource(restApiId=api, parentId=root, pathPart="items")["id"]
    apigw.put_method(restApiId=api, resourceId=items, httpMethod="GET", authorizationType="AWS_IAM",
                     requestParameters={"method.request.querystring.q": False})
    apigw.put_integration(restApiId=api, resourceId=items, httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(restApiId=api, resourceId=items, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(restApiId=api, resourceId=items, httpMethod="GET", statusCode="200",
                                   responseTemplates={"application/json": '{"caller": "$context.identity.accountId", '
                                                                          '"q": "$input.params(\'q\')"}'})
    apigw.create_deployment(restApiId=api, stageName="prod")
    zipped = apigw.get_sdk(restApiId=api, stageName="prod", sdkType="javascript")["body"].read()
    script = """
(async () => {
  const good = await apigClientFactory.newClient({ accessKey: 'test', secretKey: 'test', region: 'us-east-1' })
    .itemsGet({ q: 'a b~c' });
  let refused = null;
  try {
    await apigClientFactory.newClient({ accessKey: 'test', secretKey: 'wrong', region: 'us-east-1' }).itemsGet({});
  } catch (e) { refused = e.response.status; }
  console.log(JSON.stringify({ good: good.data, refused }));
})().catch((e) => { console.error(e); process.exit(1); });
"""
    result = _run_node(tmp_path, zipped, script)
    assert result == {"good": {"caller": ACCOUNT, "q": "a b~c"}, "refused": 403}
