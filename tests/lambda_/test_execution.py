"""Functions really run: the sandbox, the Runtime API (awslambdaric unmodified), warm reuse,
logs in the Tail, runtimes (python, nodejs, provided with shell and C bootstraps)."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from lambda_helpers import ISOLATED, invoke_json

PROBE = textwrap.dedent(
    """
    import os, socket
    COUNT = 0
    def handler(event, context):
        global COUNT
        COUNT += 1
        try:
            open("/var/task/x", "w")
            task_writable = True
        except OSError:
            task_writable = False
        with open("/tmp/probe", "w") as f:
            f.write("ok")
        return {
            "count": COUNT, "pid": os.getpid(), "uid": os.getuid(), "cwd": os.getcwd(),
            "hostname": socket.gethostname(), "task_writable": task_writable,
            "env": {k: v for k, v in os.environ.items() if k.startswith(("AWS_", "LAMBDA_", "_HANDLER", "TZ"))},
            "request_id": context.aws_request_id, "arn": context.invoked_function_arn,
            "remaining": context.get_remaining_time_in_millis(), "event": event,
            "client_context": getattr(context.client_context, "custom", None),
        }
    """
)


def test_python_function_runs_with_awslambdaric_and_aws_environment(lam, make_function, gureum):
    name = make_function(PROBE, MemorySize=256, Timeout=7, Environment={"Variables": {"GREETING": "hi"}})
    resp, out = invoke_json(lam, name, {"a": 1})
    assert resp["StatusCode"] == 200 and "FunctionError" not in resp
    assert resp["ExecutedVersion"] == "$LATEST"
    assert out["event"] == {"a": 1}
    assert out["request_id"] == resp["ResponseMetadata"]["RequestId"]
    assert out["arn"].endswith(f":function:{name}")
    assert 0 < out["remaining"] <= 7000
    env = out["env"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == f"/aws/lambda/{name}"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12"
    assert env["_HANDLER"] == "app.handler"
    assert env["AWS_REGION"] == "us-east-1"
    assert env["AWS_ENDPOINT_URL"].startswith("http://")
    assert env["AWS_ACCESS_KEY_ID"] and env["AWS_SESSION_TOKEN"]
    assert "AWS_LAMBDA_RUNTIME_API" in env
    if ISOLATED:
        assert out["uid"] == 993
        assert out["cwd"] == "/var/task" and env["LAMBDA_TASK_ROOT"] == "/var/task"
        assert out["task_writable"] is False
        assert out["pid"] > 1  # its own pid namespace: the launcher's init is pid 1
        assert out["hostname"].startswith("sandbox-")


def test_user_environment_variables_reach_the_function(lam, make_function):
    name = make_function("import os\ndef handler(e, c):\n    return os.environ['GREETING']\n", Environment={"Variables": {"GREETING": "hello"}})
    assert invoke_json(lam, name)[1] == "hello"


def test_warm_environment_is_reused(lam, make_function):
    name = make_function(PROBE)
    first = invoke_json(lam, name)[1]
    second = invoke_json(lam, name)[1]
    assert second["count"] == first["count"] + 1
    assert second["pid"] == first["pid"] and second["hostname"] == first["hostname"]


def test_tail_returns_start_end_report_lines(lam, make_function):
    name = make_function("def handler(e, c):\n    print('hello from the function')\n    return 1\n")
    resp = lam.invoke(FunctionName=name, LogType="Tail")
    log = base64.b64decode(resp["LogResult"]).decode()
    lines = log.strip().splitlines()
    assert lines[0].startswith("START RequestId: ") and "Version: $LATEST" in lines[0]
    assert "hello from the function" in log
    assert any(line.startswith("END RequestId: ") for line in lines)
    report = lines[-1]
    assert report.startswith("REPORT RequestId: ")
    for field in ("Duration: ", "Billed Duration: ", "Memory Size: 128 MB", "Max Memory Used: ", "Init Duration: "):
        assert field in report
    resp = lam.invoke(FunctionName=name, LogType="Tail")
    assert "Init Duration" not in base64.b64decode(resp["LogResult"]).decode()


def test_client_context_reaches_the_runtime(lam, make_function):
    name = make_function(PROBE)
    ctx = base64.b64encode(json.dumps({"custom": {"k": "v"}}).encode()).decode()
    _, out = invoke_json(lam, name, ClientContext=ctx)
    assert out["client_context"] == {"k": "v"}


def test_function_sdk_reaches_gureum_without_configuration(lam, make_function):
    code = textwrap.dedent(
        """
        import boto3
        def handler(event, context):
            client = boto3.client("lambda")
            names = [f["FunctionName"] for f in client.list_functions()["Functions"]]
            return {"me": context.function_name in names}
        """
    )
    name = make_function(code, Timeout=30)
    resp, out = invoke_json(lam, name)
    assert out == {"me": True}, out


def test_several_environments_serve_concurrent_invokes(lam, make_function):
    name = make_function("import time\ndef handler(e, c):\n    time.sleep(0.5)\n    return c.log_stream_name\n")
    with ThreadPoolExecutor(3) as pool:
        streams = list(pool.map(lambda _: invoke_json(lam, name)[1], range(3)))
    assert len(set(streams)) == 3


def test_nodejs_function_runs_with_gureums_runtime_client(lam, make_function):
    if shutil.which("node") is None:
        pytest.skip("no node on this host")
    code = {
        "index.mjs": textwrap.dedent(
            """
            let count = 0;
            export const handler = async (event, context) => {
              count += 1;
              console.log("hello", JSON.stringify(event));
              return { echo: event, count, name: context.functionName, rid: context.awsRequestId };
            };
            """
        )
    }
    name = make_function(code, runtime="nodejs20.x", handler="index.handler")
    resp, out = invoke_json(lam, name, {"x": 2}, LogType="Tail")
    assert out["echo"] == {"x": 2} and out["name"] == name and out["count"] == 1
    assert "\tINFO\thello" in base64.b64decode(resp["LogResult"]).decode()
    assert invoke_json(lam, name)[1]["count"] == 2


def test_nodejs_error_has_aws_error_shape(lam, make_function):
    if shutil.which("node") is None:
        pytest.skip("no node on this host")
    code = {"index.js": "exports.handler = async () => { throw new TypeError('bad thing'); };\n"}
    name = make_function(code, runtime="nodejs20.x", handler="index.handler")
    resp, out = invoke_json(lam, name)
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] == "TypeError" and out["errorMessage"] == "bad thing" and isinstance(out["trace"], list)


SHELL_BOOTSTRAP = """#!/bin/bash
set -euo pipefail
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation"
while true; do
  HEADERS=$(mktemp)
  EVENT=$(curl -sS -LD "$HEADERS" "$API/next")
  ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)
  curl -sS -X POST "$API/$ID/response" -d "{\\"shell\\": true, \\"event\\": $EVENT}" > /dev/null
  rm -f "$HEADERS"
done
"""

C_BOOTSTRAP = r"""
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netdb.h>
#include <sys/socket.h>
static int dial(const char *api) {
    char host[256]; strncpy(host, api, sizeof host - 1); host[255] = 0;
    char *colon = strrchr(host, ':'); *colon = 0;
    struct addrinfo hints = {0}, *res; hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, colon + 1, &hints, &res)) exit(2);
    int fd = socket(res->ai_family, SOCK_STREAM, 0);
    if (connect(fd, res->ai_addr, res->ai_addrlen)) exit(3);
    freeaddrinfo(res); return fd;
}
static int request(const char *api, const char *req, char *buf, int cap) {
    /* reads headers, then Content-Length bytes of body (no reliance on the server closing) */
    int fd = dial(api); write(fd, req, strlen(req));
    int n = 0, r; char *end = NULL;
    while (!end && (r = read(fd, buf + n, cap - 1 - n)) > 0) { n += r; buf[n] = 0; end = strstr(buf, "\r\n\r\n"); }
    char *cl = strcasestr(buf, "Content-Length: ");
    int want = (end ? (int)(end + 4 - buf) : n) + (cl ? atoi(cl + 16) : 0);
    while (n < want && (r = read(fd, buf + n, cap - 1 - n)) > 0) n += r;
    buf[n] = 0; close(fd); return n;
}
int main(void) {
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    static char buf[65536], req[70000], id[128];
    for (;;) {
        snprintf(req, sizeof req, "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        request(api, req, buf, sizeof buf);
        char *h = strcasestr(buf, "Lambda-Runtime-Aws-Request-Id: ");
        sscanf(h + 31, "%127[^\r\n]", id);
        char *body = strstr(buf, "\r\n\r\n") + 4;
        char out[60000]; snprintf(out, sizeof out, "{\"c\": true, \"event\": %s}", body);
        snprintf(req, sizeof req, "POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                 "Content-Length: %zu\r\n\r\n%s", id, strlen(out), out);
        request(api, req, buf, sizeof buf);
    }
}
"""


def test_provided_runtime_runs_a_shell_bootstrap(lam, make_function):
    if shutil.which("curl") is None:
        pytest.skip("no curl on this host")
    name = make_function({"bootstrap": SHELL_BOOTSTRAP}, runtime="provided.al2023", handler="none", modes={"bootstrap": 0o755})
    assert invoke_json(lam, name, {"n": 1})[1] == {"shell": True, "event": {"n": 1}}
    assert invoke_json(lam, name, {"n": 2})[1] == {"shell": True, "event": {"n": 2}}


def test_provided_runtime_runs_a_c_bootstrap(lam, make_function, tmp_path: Path):
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler")
    (tmp_path / "b.c").write_text(C_BOOTSTRAP)
    subprocess.run([cc, "-O2", "-o", str(tmp_path / "bootstrap"), str(tmp_path / "b.c")], check=True)
    name = make_function({"bootstrap": (tmp_path / "bootstrap").read_bytes()}, runtime="provided.al2", handler="x", modes={"bootstrap": 0o755})
    assert invoke_json(lam, name, {"n": 3})[1] == {"c": True, "event": {"n": 3}}
