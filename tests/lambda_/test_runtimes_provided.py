"""provided.al2 / provided.al2023: bootstraps built here speak the Runtime API themselves —
C (gcc, a tiny HTTP client over sockets) and Go (Debian's golang-go, standard library
only, built offline). Hello world, an error in AWS's shape, environment variables, the
invocation headers a runtime builds its context from, a timeout."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from lambda_helpers import ISOLATED, invoke_json

C_BOOTSTRAP = r"""
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>

/* One request over a fresh connection; returns the body and fills `headers`. */
static char *http(const char *method, const char *path, const char *extra, const char *body, char *headers, size_t hcap) {
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    char host[256];
    snprintf(host, sizeof host, "%s", api);
    char *colon = strrchr(host, ':');
    *colon = 0;
    struct addrinfo hints = {0}, *res;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, colon + 1, &hints, &res)) exit(2);
    int fd = socket(res->ai_family, SOCK_STREAM, 0);
    if (connect(fd, res->ai_addr, res->ai_addrlen)) exit(3);
    freeaddrinfo(res);
    size_t blen = body ? strlen(body) : 0;
    char *req = malloc(blen + 4096);
    int n = snprintf(req, blen + 4096, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n%sContent-Length: %zu\r\n\r\n%s",
                     method, path, host, extra ? extra : "", blen, body ? body : "");
    for (int off = 0; off < n;) { int w = write(fd, req + off, n - off); if (w <= 0) exit(4); off += w; }
    free(req);
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap + 1);
    int r;
    while ((r = read(fd, buf + len, cap - len)) > 0) len += r;  /* the server closes: Connection: close */
    buf[len] = 0;
    close(fd);
    char *end = strstr(buf, "\r\n\r\n");
    if (!end) exit(5);
    *end = 0;
    snprintf(headers, hcap, "%s", buf);
    char *out = strdup(end + 4);
    free(buf);
    return out;
}

static void header(const char *headers, const char *name, char *out, size_t cap) {
    out[0] = 0;
    char *h = strcasestr(headers, name);
    if (h) sscanf(h + strlen(name), ": %1023[^\r\n]", out);
    (void)cap;
}

int main(void) {
    static char headers[65536], id[1024], deadline[1024], arn[1024], path[2048], extra[1024];
    for (;;) {
        char *event = http("GET", "/2018-06-01/runtime/invocation/next", NULL, NULL, headers, sizeof headers);
        header(headers, "Lambda-Runtime-Aws-Request-Id", id, sizeof id);
        header(headers, "Lambda-Runtime-Deadline-Ms", deadline, sizeof deadline);
        header(headers, "Lambda-Runtime-Invoked-Function-Arn", arn, sizeof arn);
        struct timeval tv;
        gettimeofday(&tv, NULL);
        long long remaining = atoll(deadline) - ((long long)tv.tv_sec * 1000 + tv.tv_usec / 1000);
        if (strstr(event, "\"sleep\"")) sleep(60);
        char *out = malloc(strlen(event) + 8192);
        if (strstr(event, "\"fail\"")) {
            sprintf(out, "{\"errorMessage\": \"the C handler failed\", \"errorType\": \"HandlerError\", "
                         "\"stackTrace\": [\"main (bootstrap.c)\"]}");
            snprintf(path, sizeof path, "/2018-06-01/runtime/invocation/%s/error", id);
            snprintf(extra, sizeof extra, "Lambda-Runtime-Function-Error-Type: HandlerError\r\n");
            free(http("POST", path, extra, out, headers, sizeof headers));
        } else {
            const char *greeting = getenv("GREETING");
            sprintf(out, "{\"lang\": \"c\", \"rid\": \"%s\", \"arn\": \"%s\", \"remaining\": %lld, \"greeting\": \"%s\", "
                         "\"handler\": \"%s\", \"event\": %s}",
                    id, arn, remaining, greeting ? greeting : "", getenv("_HANDLER"), event);
            snprintf(path, sizeof path, "/2018-06-01/runtime/invocation/%s/response", id);
            free(http("POST", path, NULL, out, headers, sizeof headers));
        }
        free(out);
        free(event);
    }
}
"""

GO_BOOTSTRAP = r"""
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	base := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/invocation/"
	client := &http.Client{}
	for {
		resp, err := client.Get(base + "next")
		if err != nil {
			fmt.Println("next:", err)
			os.Exit(1)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		deadline, _ := strconv.ParseInt(resp.Header.Get("Lambda-Runtime-Deadline-Ms"), 10, 64)
		var event interface{}
		json.Unmarshal(body, &event)
		if strings.Contains(string(body), `"sleep"`) {
			time.Sleep(time.Minute)
		}
		var out []byte
		url := base + id + "/response"
		req, _ := http.NewRequest("POST", url, nil)
		if strings.Contains(string(body), `"fail"`) {
			out, _ = json.Marshal(map[string]interface{}{
				"errorMessage": "the Go handler failed", "errorType": "*errors.errorString",
				"stackTrace": []string{"main.main (bootstrap.go)"},
			})
			req, _ = http.NewRequest("POST", base+id+"/error", nil)
			req.Header.Set("Lambda-Runtime-Function-Error-Type", "*errors.errorString")
		} else {
			fmt.Println("hello from go")
			out, _ = json.Marshal(map[string]interface{}{
				"lang": "go", "rid": id, "arn": resp.Header.Get("Lambda-Runtime-Invoked-Function-Arn"),
				"remaining": deadline - time.Now().UnixMilli(), "greeting": os.Getenv("GREETING"),
				"handler": os.Getenv("_HANDLER"), "event": event,
			})
		}
		req.Body = io.NopCloser(bytes.NewReader(out))
		req.ContentLength = int64(len(out))
		r, err := client.Do(req)
		if err != nil {
			fmt.Println("post:", err)
			os.Exit(1)
		}
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
}
"""


def _build_c(tmp: Path) -> bytes:
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        pytest.skip("no C compiler (apt-get install gcc)")
    (tmp / "bootstrap.c").write_text(C_BOOTSTRAP)
    subprocess.run([cc, "-O2", "-o", str(tmp / "bootstrap"), str(tmp / "bootstrap.c")], check=True, capture_output=True, timeout=300)
    return (tmp / "bootstrap").read_bytes()


def _build_go(tmp: Path) -> bytes:
    go = shutil.which("go")
    if go is None:
        pytest.skip("no Go toolchain (apt-get install golang-go)")
    (tmp / "bootstrap.go").write_text(GO_BOOTSTRAP)
    env = dict(
        os.environ, GOCACHE=str(tmp / "gocache"), GOPATH=str(tmp / "gopath"), GOPROXY="off", GO111MODULE="off", CGO_ENABLED="0", GOFLAGS=""
    )
    proc = subprocess.run([go, "build", "-o", str(tmp / "bootstrap"), str(tmp / "bootstrap.go")], env=env, cwd=tmp, capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stderr
    return (tmp / "bootstrap").read_bytes()


@pytest.fixture(scope="module", params=["c", "go"])
def bootstrap(request, tmp_path_factory) -> tuple[str, bytes]:
    tmp = tmp_path_factory.mktemp(f"bootstrap-{request.param}")
    return request.param, (_build_c(tmp) if request.param == "c" else _build_go(tmp))


def _make(make_function, binary: bytes, runtime: str = "provided.al2023", **kwargs):
    return make_function({"bootstrap": binary}, runtime=runtime, handler="my.handler", modes={"bootstrap": 0o755}, **kwargs)


@pytest.mark.parametrize("runtime", ["provided.al2", "provided.al2023"])
def test_provided_hello_world_with_environment_and_context_headers(lam, make_function, bootstrap, runtime):
    lang, binary = bootstrap
    name = _make(make_function, binary, runtime, Timeout=8, Environment={"Variables": {"GREETING": "hi"}})
    resp, out = invoke_json(lam, name, {"n": 1})
    assert resp["StatusCode"] == 200 and "FunctionError" not in resp, out
    assert out["lang"] == lang and out["event"] == {"n": 1}
    assert out["rid"] == resp["ResponseMetadata"]["RequestId"]
    assert out["arn"].endswith(f":function:{name}")
    assert 0 < out["remaining"] <= 8000
    assert out["greeting"] == "hi" and out["handler"] == "my.handler"
    assert invoke_json(lam, name, {"n": 2})[1]["event"] == {"n": 2}  # warm: the same process polls again


def test_provided_error_reaches_the_caller_in_aws_shape(lam, make_function, bootstrap):
    lang, binary = bootstrap
    name = _make(make_function, binary)
    resp, out = invoke_json(lam, name, {"fail": True})
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorMessage"] == f"the {'C' if lang == 'c' else 'Go'} handler failed"
    assert out["errorType"] in ("HandlerError", "*errors.errorString") and isinstance(out["stackTrace"], list)
    assert invoke_json(lam, name, {"n": 3})[1]["event"] == {"n": 3}


def test_provided_timeout(lam, make_function, bootstrap):
    _, binary = bootstrap
    name = _make(make_function, binary, Timeout=2)
    resp, out = invoke_json(lam, name, {"sleep": True})
    assert resp["FunctionError"] == "Unhandled"
    assert "Task timed out after 2.00 seconds" in out["errorMessage"]


def test_provided_missing_bootstrap_is_an_init_error(lam, make_function):
    name = make_function({"README": "no bootstrap here"}, runtime="provided.al2023", handler="x")
    resp, out = invoke_json(lam, name)
    assert resp["FunctionError"] == "Unhandled"
    assert out["errorType"] in ("Runtime.InvalidEntrypoint", "Runtime.ExitError")


SHELL_BOOTSTRAP = r"""#!/bin/sh
# A custom runtime in sh (curl speaks the Runtime API): answers with what AWS's conventions give it.
set -eu
api="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation"
while true; do
  headers=$(mktemp)
  curl -sS -o /dev/null -D "$headers" "$api/next"
  id=$(grep -i '^Lambda-Runtime-Aws-Request-Id:' "$headers" | cut -d: -f2 | tr -d '[:space:]')
  rm -f "$headers"
  curl -sS -o /dev/null -X POST "$api/$id/response" -d "{\"handler\": \"${_HANDLER}\", \"task_root\": \"${LAMBDA_TASK_ROOT}\",
    \"cwd\": \"$(pwd)\", \"exec_env\": \"${AWS_EXECUTION_ENV:-unset}\", \"self\": \"$0\"}"
done
"""


@pytest.mark.skipif(shutil.which("curl") is None, reason="no curl (apt-get install curl)")
@pytest.mark.parametrize("runtime", ["provided.al2", "provided.al2023"])
def test_provided_bootstrap_runs_with_aws_conventions(lam, make_function, runtime):
    name = make_function({"bootstrap": SHELL_BOOTSTRAP}, runtime=runtime, handler="function.handler", modes={"bootstrap": 0o755})
    resp, out = invoke_json(lam, name)
    assert resp["StatusCode"] == 200 and "FunctionError" not in resp, out
    assert out["handler"] == "function.handler"  # _HANDLER: the function's Handler setting, as it is
    assert out["cwd"] == out["task_root"] and out["self"] == out["task_root"] + "/bootstrap"
    if ISOLATED:
        assert out["task_root"] == "/var/task"
    assert out["exec_env"] == "unset"  # AWS defines AWS_EXECUTION_ENV for every runtime but the OS-only ones


@pytest.mark.parametrize(("runtime", "generation"), [("provided.al2", "Amazon Linux 2"), ("provided.al2023", "Amazon Linux 2023")])
def test_provided_toolchain_is_the_function_bootstrap_on_its_generation(runtime, generation):
    from gureum.services.lambda_.runtimes import RUNTIMES

    tc = RUNTIMES[runtime].toolchain()
    assert tc.version == generation and tc.exact and tc.installed
    assert "the function's bootstrap" in tc.source and "glibc" in tc.source
    assert RUNTIMES[runtime].install() == tc  # nothing to install
