"""Lambda benchmark: cold start (create → first result), warm invoke p50/p99 through boto3,
invokes/s with concurrent clients — each against the boto3 floor measured in the same run
on the same gureum (GetAccountSettings: a trivial call through the same wire layer).

    python bench/lambda/run.py [--runs 3] [--warm 400] [--cold 5] [--clients 1,4,8] [--seconds 5]

Starts its own gureum (ephemeral data dir) unless --endpoint is given. Prints medians over
--runs repetitions and the targets (warm p50 ≤ floor + 1 ms, cold start ≤ 150 ms).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from pathlib import Path

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[2]
HANDLER = "def handler(event, context):\n    return event\n"
TRUST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gureum() -> tuple[subprocess.Popen[bytes], str, Path]:
    data = Path(tempfile.mkdtemp(prefix="gureum-bench-"))
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "gureum", "up", "--port", str(port), "--dns-port", str(free_port()), "--data-dir", str(data), "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=str(ROOT),
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    import urllib.request

    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(endpoint + "/_gureum/health", timeout=1) as r:
                if json.load(r)["services"].get("lambda", {}).get("state") == "running":
                    return proc, endpoint, data
        except OSError:
            pass
        time.sleep(0.05)
    proc.kill()
    raise SystemExit("gureum did not start")


def client(endpoint: str, service: str):  # noqa: ANN201
    return boto3.client(
        service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 0}, read_timeout=60, max_pool_connections=64),
    )


def zipped() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", HANDLER)
    return buf.getvalue()


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def timed(fn, n: int) -> list[float]:  # noqa: ANN001
    out = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


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
        "cold_median_ms": statistics.median(colds),
        "cold_min_ms": min(colds),
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


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--endpoint")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--warm", type=int, default=400)
    p.add_argument("--cold", type=int, default=5)
    p.add_argument("--clients", default="1,4,8")
    p.add_argument("--seconds", type=float, default=4.0)
    p.add_argument("--runtime", default="python3.12")
    args = p.parse_args()
    args.clients = [int(x) for x in args.clients.split(",") if x]
    proc = None
    data = None
    endpoint = args.endpoint
    if endpoint is None:
        proc, endpoint, data = start_gureum()
    try:
        iam = client(endpoint, "iam")
        role = iam.create_role(RoleName=f"bench-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        runs = [run_once(endpoint, role, args) for _ in range(args.runs)]
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
    print(json.dumps({"runs": runs, "median": med}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
