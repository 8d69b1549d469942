"""Lambda benchmark: cold start (create → first result), warm invoke p50/p99 through boto3,
invokes/s with concurrent clients — each against the boto3 floor measured in the same run
on the same gureum (GetAccountSettings: a trivial call through the same wire layer). Then a
column per runtime (python, nodejs, java, ruby, provided with C and Go bootstraps): cold
start (create → first result, and apart: CreateFunction, then the first Invoke) and warm p50
of an echo function, each against the Python runtime's in the same run; the first invoke
also against awslambdaric's own start → first /next without a sandbox (the floor).
Cold starts after the first of a runtime run on spares (lambda.spares; `--set
lambda.spares=0` measures without them).

    python bench/lambda/run.py [--runs 3] [--warm 400] [--cold 5] [--clients 1,4,8] [--seconds 5]
                               [--runtimes python3.12,nodejs22.x,java21,ruby3.3,provided.al2023,provided.al2023-go]
                               [--runtime-warm 200] [--warm-only] [--set KEY=VALUE]
    python bench/lambda/run.py --against REV|DIR [--warm 2000] [--block 25] [--set KEY=VALUE]

--warm-only measures only the warm p50/p99 against the floor (no per-runtime columns); with
--cold 0 no cold start is measured (printed as nan).

--against measures only the warm p50 against the floor, interleaved A/B: one gureum from this
checkout and one from another source tree (a directory, or a git revision of this checkout
exported with `git archive`), each with an echo function; blocks of --block invokes and
--block floor calls alternate between the two (which goes first alternating too) until each
has made --warm invokes, so both see the same machine noise. Prints per tree the warm p50,
the floor p50, their ratio and difference, the warm p99, and the load average over the run.
(A change to the wire layer speeds the floor too: compare the p50s and the difference as
well as the ratio.) Starts its own gureum (ephemeral data
dir) unless --endpoint is given; it waits for Lambda to be running or available (idle
components start on first use). Prints medians over
--runs repetitions and the targets (warm p50 ≤ floor + 1 ms, cold start ≤ 150 ms).
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.common import Gureum, export_tree, median, timed  # noqa: E402
from bench.common import client as common_client  # noqa: E402

HANDLER = "def handler(event, context):\n    return event\n"
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def start_gureum(settings: list[str] | None = None) -> tuple[subprocess.Popen[bytes], str, Path]:
    g = Gureum(args=["--log-level", "warning"], settings=settings or [], services=["lambda"],
               states=("running", "available")).start()  # available: starts on first use
    return g.process, g.endpoint, g.data


def client(endpoint: str, service: str):  # noqa: ANN201
    return common_client(endpoint, service, read_timeout=60, max_pool_connections=64)


def zipped() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", HANDLER)
    return buf.getvalue()


# Echo functions per runtime, for the per-runtime columns.
NODE_HANDLER = "export const handler = async (event) => event;\n"
RUBY_HANDLER = "def handler(event:, context:)\n  event\nend\n"
JAVA_HANDLER = """
package bench;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import java.util.Map;

public class Echo implements RequestHandler<Map<String, Object>, Map<String, Object>> {
    public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
        return event;
    }
}
"""
C_BOOTSTRAP = r"""
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <netdb.h>
#include <sys/socket.h>
#include <netinet/tcp.h>
static int fd = -1;
static void dial(void) {
    char host[256]; snprintf(host, sizeof host, "%s", getenv("AWS_LAMBDA_RUNTIME_API"));
    char *colon = strrchr(host, ':'); *colon = 0;
    struct addrinfo hints = {0}, *res; hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, colon + 1, &hints, &res)) exit(2);
    fd = socket(res->ai_family, SOCK_STREAM, 0);
    int one = 1; setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, res->ai_addr, res->ai_addrlen)) exit(3);
    freeaddrinfo(res);
}
/* keep-alive request; the body (Content-Length) is left in buf after the headers */
static int request(const char *req, size_t n, char *buf, int cap, char **body) {
    if (write(fd, req, n) != (ssize_t)n) exit(4);
    int len = 0, r; char *end = NULL;
    while (!end && (r = read(fd, buf + len, cap - 1 - len)) > 0) { len += r; buf[len] = 0; end = strstr(buf, "\r\n\r\n"); }
    if (!end) exit(5);
    char *cl = strcasestr(buf, "Content-Length: ");
    int want = (int)(end + 4 - buf) + (cl ? atoi(cl + 16) : 0);
    while (len < want && (r = read(fd, buf + len, cap - 1 - len)) > 0) len += r;
    buf[len] = 0; *body = end + 4; return want - (int)(end + 4 - buf);
}
int main(void) {
    static char buf[1 << 20], req[(1 << 20) + 512], id[128];
    dial();
    const char *next = "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n";
    for (;;) {
        char *body; int blen = request(next, strlen(next), buf, sizeof buf, &body);
        char *h = strcasestr(buf, "Lambda-Runtime-Aws-Request-Id: ");
        sscanf(h + 31, "%127[^\r\n]", id);
        char copy[1 << 16]; memcpy(copy, body, blen);
        int n = snprintf(req, sizeof req, "POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: x\r\n"
                         "Content-Length: %d\r\n\r\n", id, blen);
        memcpy(req + n, copy, blen);
        request(req, n + blen, buf, sizeof buf, &body);
    }
}
"""
GO_BOOTSTRAP = r"""
package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
)

func main() {
	base := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/invocation/"
	for {
		resp, err := http.Get(base + "next")
		if err != nil {
			os.Exit(1)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		r, err := http.Post(base+resp.Header.Get("Lambda-Runtime-Aws-Request-Id")+"/response", "application/json", bytes.NewReader(body))
		if err != nil {
			os.Exit(1)
		}
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
}
"""


def zip_files(files: dict[str, bytes | str], modes: dict[str, int] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = ((modes or {}).get(name, 0o644) | 0o100000) << 16
            zf.writestr(info, data)
    return buf.getvalue()


def runtime_package(runtime: str, work: Path) -> tuple[str, str, bytes] | None:
    """(Runtime, Handler, zip) of an echo function for `runtime`; None if the host lacks its toolchain.
    "provided.al2023-go" is provided.al2023 with a Go bootstrap."""
    if runtime.startswith("python"):
        return runtime, "app.handler", zipped()
    if runtime.startswith("nodejs"):
        return (runtime, "index.handler", zip_files({"index.mjs": NODE_HANDLER})) if shutil.which("node") else None
    if runtime.startswith("ruby"):
        return (runtime, "app.handler", zip_files({"app.rb": RUBY_HANDLER})) if shutil.which("ruby") else None
    if runtime.startswith("java"):
        if not (shutil.which("javac") and shutil.which("java")):
            return None
        from gureum.services.lambda_.runtimes import java

        src = work / "java" / "bench" / "Echo.java"
        src.parent.mkdir(parents=True, exist_ok=True)
        src.write_text(JAVA_HANDLER)
        out = work / "java-classes"
        cp = str(java.client_dir() / "classes")
        subprocess.run(["javac", "-nowarn", "--release", "17", "-cp", cp, "-d", str(out), str(src)], check=True, capture_output=True)
        return runtime, "bench.Echo", zip_files({"bench/Echo.class": (out / "bench" / "Echo.class").read_bytes()})
    if runtime.endswith("-go"):
        go = shutil.which("go")
        if go is None:
            return None
        (work / "bootstrap.go").write_text(GO_BOOTSTRAP)
        env = dict(os.environ, GOCACHE=str(work / "gocache"), GOPATH=str(work / "gopath"), GOPROXY="off", GO111MODULE="off", CGO_ENABLED="0")
        subprocess.run([go, "build", "-ldflags=-s -w", "-o", str(work / "bootstrap-go"), str(work / "bootstrap.go")], env=env, cwd=work, check=True, capture_output=True)
        binary = (work / "bootstrap-go").read_bytes()
        return runtime.removesuffix("-go"), "bootstrap", zip_files({"bootstrap": binary}, {"bootstrap": 0o755})
    if runtime.startswith("provided"):
        cc = shutil.which("gcc") or shutil.which("cc")
        if cc is None:
            return None
        (work / "bootstrap.c").write_text(C_BOOTSTRAP)
        subprocess.run([cc, "-O2", "-o", str(work / "bootstrap-c"), str(work / "bootstrap.c")], check=True, capture_output=True)
        binary = (work / "bootstrap-c").read_bytes()
        return runtime, "bootstrap", zip_files({"bootstrap": binary}, {"bootstrap": 0o755})
    return None


def runtime_columns(endpoint: str, role: str, packages: dict[str, tuple[str, str, bytes]], cold: int, warm: int) -> dict[str, dict[str, float]]:
    """Cold start median and warm p50 per runtime (one pass; runtimes interleaved throughout)."""
    lam = client(endpoint, "lambda")
    colds: dict[str, list[float]] = {k: [] for k in packages}
    creates: dict[str, list[float]] = {k: [] for k in packages}
    firsts: dict[str, list[float]] = {k: [] for k in packages}
    for _ in range(cold):
        for label, (runtime, handler, code) in packages.items():
            name = f"rt-cold-{uuid.uuid4().hex[:8]}"
            t = time.perf_counter()
            lam.create_function(FunctionName=name, Runtime=runtime, Role=role, Handler=handler, Code={"ZipFile": code}, MemorySize=512, Timeout=30)
            t1 = time.perf_counter()
            out = lam.invoke(FunctionName=name, Payload=b'{"k": 1}')
            out["Payload"].read()
            t2 = time.perf_counter()
            colds[label].append((t2 - t) * 1000)
            creates[label].append((t1 - t) * 1000)
            firsts[label].append((t2 - t1) * 1000)
            if out.get("FunctionError"):
                raise SystemExit(f"{label}: the echo function failed")
            lam.delete_function(FunctionName=name)
    # Warm: one function per runtime, measured in interleaved blocks so that every runtime
    # sees the same background noise.
    names: dict[str, str] = {}
    for label, (runtime, handler, code) in packages.items():
        names[label] = f"rt-warm-{uuid.uuid4().hex[:8]}"
        lam.create_function(FunctionName=names[label], Runtime=runtime, Role=role, Handler=handler, Code={"ZipFile": code}, MemorySize=512, Timeout=30)
    calls = {label: (lambda name=name: lam.invoke(FunctionName=name, Payload=b'{"k": 1}')["Payload"].read()) for label, name in names.items()}
    for call in calls.values():
        timed(call, 30)
    samples: dict[str, list[float]] = {k: [] for k in packages}
    block = 25
    for _ in range(max(1, warm // block)):
        for label, call in calls.items():
            samples[label] += timed(call, block)
    for name in names.values():
        lam.delete_function(FunctionName=name)
    result = {label: {"cold_median_ms": median(colds[label]), "create_median_ms": median(creates[label]),
                      "first_invoke_median_ms": median(firsts[label]), "warm_p50_ms": pct(samples[label], 50)}
              for label in packages}
    return result


def ric_floor(runs: int) -> float:
    """awslambdaric's own start → first /next (ms, median of `runs`): this interpreter running
    `python -S -m awslambdaric app.handler` against a bare Runtime API on loopback, no sandbox."""
    import http.server
    import site
    import sysconfig

    polled = threading.Event()

    class Api(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            polled.set()
            self.send_response(500)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Api)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    work = Path(tempfile.mkdtemp(prefix="gureum-bench-ric-"))
    (work / "app.py").write_text(HANDLER)
    paths = [p for p in dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], *site.getsitepackages()]) if os.path.isdir(p)]
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": ":".join(paths), "PYTHONDONTWRITEBYTECODE": "1",
           "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}", "_HANDLER": "app.handler", "LAMBDA_TASK_ROOT": str(work)}
    out = []
    try:
        for _ in range(runs):
            polled.clear()
            t = time.perf_counter()
            proc = subprocess.Popen([sys.executable, "-S", "-m", "awslambdaric", "app.handler"], cwd=work, env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            got = polled.wait(30)
            out.append((time.perf_counter() - t) * 1000)
            proc.kill()
            proc.wait()
            if not got:
                raise SystemExit("awslambdaric did not poll /next")
    finally:
        server.shutdown()
        shutil.rmtree(work, ignore_errors=True)
    return statistics.median(out)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def run_once(endpoint: str, role: str, args: argparse.Namespace) -> dict[str, float]:
    lam = client(endpoint, "lambda")
    code = zipped()
    colds = []
    for _ in range(args.cold):
        name = f"cold-{uuid.uuid4().hex[:8]}"
        t = time.perf_counter()
        lam.create_function(FunctionName=name, Runtime=args.runtime, Role=role, Handler="app.handler", Code={"ZipFile": code})
        lam.invoke(FunctionName=name, Payload=b"{}")["Payload"].read()
        colds.append((time.perf_counter() - t) * 1000)
        lam.delete_function(FunctionName=name)
    name = f"warm-{uuid.uuid4().hex[:8]}"
    lam.create_function(FunctionName=name, Runtime=args.runtime, Role=role, Handler="app.handler", Code={"ZipFile": code})
    invoke = lambda: lam.invoke(FunctionName=name, Payload=b'{"k": 1}')["Payload"].read()  # noqa: E731
    floor_call = lambda: lam.get_account_settings()  # noqa: E731
    for _ in range(30):
        invoke()
        floor_call()
    warm: list[float] = []
    floor: list[float] = []
    block = 50
    for _ in range(max(1, args.warm // block)):  # interleaved blocks: both see the same noise
        warm += timed(invoke, block)
        floor += timed(floor_call, block)
    result = {
        "cold_median_ms": median(colds),
        "cold_min_ms": min(colds, default=math.nan),
        "warm_p50_ms": pct(warm, 50),
        "warm_p99_ms": pct(warm, 99),
        "floor_p50_ms": pct(floor, 50),
        "floor_p99_ms": pct(floor, 99),
    }
    for n in args.clients:
        result[f"invokes_per_s_{n}"] = throughput(endpoint, name, n, args.seconds, invoke=True)
        result[f"floor_per_s_{n}"] = throughput(endpoint, name, n, args.seconds, invoke=False)
    lam.delete_function(FunctionName=name)
    return result


def throughput(endpoint: str, name: str, clients: int, seconds: float, *, invoke: bool) -> float:
    """Calls per second from `clients` threads, each with its own boto3 client, after a
    warm-up (clients built, environments started) that is not counted."""
    made = [client(endpoint, "lambda") for _ in range(clients)]
    counts = [0] * clients
    start = threading.Barrier(clients + 1)
    window = {"measure": False, "stop": False}

    def call(c) -> None:  # noqa: ANN001
        if invoke:
            c.invoke(FunctionName=name, Payload=b"{}")["Payload"].read()
        else:
            c.get_account_settings()

    def worker(i: int) -> None:
        c = made[i]
        start.wait()
        while not window["stop"]:
            try:
                call(c)
            except Exception:
                continue
            if window["measure"]:
                counts[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    start.wait()
    time.sleep(1.0)  # warm-up
    window["measure"] = True
    t0 = time.monotonic()
    time.sleep(seconds)
    window["stop"] = True
    elapsed = time.monotonic() - t0
    for t in threads:
        t.join()
    return sum(counts) / elapsed


def against(args: argparse.Namespace) -> int:
    """Interleaved A/B of the warm invoke against the floor: this tree and `args.against`."""
    other = export_tree(args.against)
    trees = {"this": ROOT, f"against {args.against}": other}
    sides: dict[str, dict[str, Any]] = {}
    loads: list[float] = []
    try:
        for label, tree in trees.items():
            g = Gureum(args=["--log-level", "warning"], settings=args.set, services=["lambda"],
                       states=("running", "available"), tree=tree).start()
            sides[label] = side = {"gureum": g, "warm": [], "floor": []}
            lam = client(g.endpoint, "lambda")
            role = client(g.endpoint, "iam").create_role(
                RoleName=f"bench-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
            name = f"warm-{uuid.uuid4().hex[:8]}"
            lam.create_function(FunctionName=name, Runtime=args.runtime, Role=role, Handler="app.handler",
                                Code={"ZipFile": zipped()})
            side["invoke"] = lambda lam=lam, name=name: lam.invoke(FunctionName=name, Payload=b'{"k": 1}')["Payload"].read()
            side["floor_call"] = lam.get_account_settings
        for side in sides.values():  # warm-up: connections, lazy imports, the environment
            timed(side["invoke"], 50)
            timed(side["floor_call"], 50)
        labels = list(sides)
        for r in range(max(1, args.warm // args.block)):
            for label in labels if r % 2 == 0 else labels[::-1]:
                side = sides[label]
                side["warm"] += timed(side["invoke"], args.block)
                side["floor"] += timed(side["floor_call"], args.block)
            loads.append(os.getloadavg()[0])
    finally:
        for side in sides.values():
            side["gureum"].stop()
            shutil.rmtree(side["gureum"].data, ignore_errors=True)
        if other != Path(args.against).resolve():
            shutil.rmtree(other, ignore_errors=True)
    print(f"gureum Lambda warm invoke, interleaved A/B: blocks of {args.block} invokes + {args.block} floor calls"
          f" (GetAccountSettings) alternating between the trees; {len(sides[labels[0]]['warm'])} invokes each;"
          f" load average (1 min) median {statistics.median(loads):.2f}, max {max(loads):.2f}")
    out = {}
    for label, side in sides.items():
        w, f = pct(side["warm"], 50), pct(side["floor"], 50)
        out[label] = {"warm_p50_ms": w, "floor_p50_ms": f, "ratio": w / f, "excess_ms": w - f, "warm_p99_ms": pct(side["warm"], 99)}
        print(f"  {label:<24} warm p50 {w:.3f} ms  floor p50 {f:.3f} ms  ratio {w / f:.3f}x  warm − floor {w - f:+.3f} ms"
              f"  warm p99 {pct(side['warm'], 99):.2f} ms")
    print(json.dumps({"sides": out, "load_median": statistics.median(loads), "load_max": max(loads)}))
    return 0


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--endpoint")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--warm", type=int, default=400)
    p.add_argument("--cold", type=int, default=5)
    p.add_argument("--clients", default="1,4,8")
    p.add_argument("--seconds", type=float, default=4.0)
    p.add_argument("--runtime", default="python3.12")
    p.add_argument("--runtimes", default="python3.12,nodejs22.x,java21,ruby3.3,provided.al2023,provided.al2023-go")
    p.add_argument("--runtime-warm", type=int, default=200)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="a gureum setting (e.g. lambda.spares=0 for cold starts without spares)")
    p.add_argument("--warm-only", action="store_true", help="only the warm invoke p50/p99 against the boto3 floor (no per-runtime columns, no awslambdaric floor)")
    p.add_argument("--against", metavar="REV|DIR", help="interleaved A/B of the warm invoke: this tree against another (a directory or a git revision)")
    p.add_argument("--block", type=int, default=25, help="calls per block in --against")
    args = p.parse_args()
    args.clients = [int(x) for x in args.clients.split(",") if x]
    if args.against:
        return against(args)
    proc = None
    data = None
    endpoint = args.endpoint
    if endpoint is None:
        proc, endpoint, data = start_gureum(args.set)
    try:
        iam = client(endpoint, "iam")
        role = iam.create_role(RoleName=f"bench-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        runs = [run_once(endpoint, role, args) for _ in range(args.runs)]
        labels = ["python3.12"] + [r for r in args.runtimes.split(",") if r and r != "python3.12"]
        work = Path(tempfile.mkdtemp(prefix="gureum-bench-rt-"))
        packages = {}
        skipped = []
        try:
            for label in labels:
                pkg = runtime_package(label, work)
                if pkg is None:
                    skipped.append(label)
                else:
                    packages[label] = pkg
        finally:
            shutil.rmtree(work, ignore_errors=True)
        if args.warm_only:
            packages = {}
        per_runtime = [runtime_columns(endpoint, role, packages, args.cold, args.runtime_warm) for _ in range(args.runs)] if packages else []
        floor_ms = ric_floor(max(5, args.cold)) if packages else math.nan
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(15)
        if data is not None:
            shutil.rmtree(data, ignore_errors=True)
    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(f"gureum Lambda benchmark — medians of {args.runs} runs ({args.cold} cold starts, {args.warm} warm invokes each)")
    print(f"  cold start (create → first result): {med['cold_median_ms']:.1f} ms (best {med['cold_min_ms']:.1f} ms; target ≤ 150 ms)")
    print(f"  warm invoke p50 / p99:              {med['warm_p50_ms']:.2f} / {med['warm_p99_ms']:.2f} ms")
    print(f"  boto3 floor p50 / p99 (GetAccountSettings): {med['floor_p50_ms']:.2f} / {med['floor_p99_ms']:.2f} ms")
    print(f"  warm p50 − floor p50:               {med['warm_p50_ms'] - med['floor_p50_ms']:+.2f} ms (target ≤ +1 ms)")
    for n in args.clients:
        inv, fl = med[f"invokes_per_s_{n}"], med[f"floor_per_s_{n}"]
        print(f"  {n} client(s): {inv:.0f} invokes/s vs {fl:.0f} floor calls/s (ratio {inv / fl:.2f})")
    print(f"  warm p50 / floor p50:               {med['warm_p50_ms'] / med['floor_p50_ms']:.2f}x")
    if not packages:
        print(json.dumps({"runs": runs, "median": med}))
        return 0
    rt_med = {label: {k: statistics.median(r[label][k] for r in per_runtime) for k in per_runtime[0][label]} for label in packages}
    base = rt_med["python3.12"]
    print(f"  per runtime (echo function, 512 MB; medians of {args.runs} runs, {args.cold} cold starts and {args.runtime_warm} warm invokes each):")
    print(f"    {'runtime':<20} {'cold start':>11} {'vs python':>10} {'create':>10} {'1st invoke':>11} {'vs floor':>9} {'warm p50':>10} {'vs python':>10}")
    for label, m in rt_med.items():
        print(
            f"    {label:<20} {m['cold_median_ms']:>8.1f} ms {m['cold_median_ms'] / base['cold_median_ms']:>9.2f}x"
            f" {m['create_median_ms']:>7.1f} ms {m['first_invoke_median_ms']:>8.1f} ms {m['first_invoke_median_ms'] / floor_ms:>8.2f}x"
            f" {m['warm_p50_ms']:>7.2f} ms {m['warm_p50_ms'] - base['warm_p50_ms']:>+8.2f} ms"
        )
    print(f"    floor: awslambdaric start → first /next, no sandbox (median of {max(5, args.cold)}): {floor_ms:.1f} ms")
    if skipped:
        print(f"    not measured (toolchain missing on this host): {', '.join(skipped)}")
    print(json.dumps({"runs": runs, "median": med, "per_runtime": rt_med, "ric_floor_ms": floor_ms}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
