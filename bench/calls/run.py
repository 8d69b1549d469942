"""Per-call latency through the wire layer, this checkout against a baseline revision, in the
same run: one gureum of each side, started together, and boto3 calls that do little besides
crossing the edge (Lambda GetAccountSettings, SQS ListQueues, S3 ListBuckets, a warm Invoke
of an echo function), measured in alternating rounds so machine noise hits both alike.

    python bench/calls/run.py [--baseline REV] [--rounds 12] [--calls 200]

The baseline is exported with `git archive` to a temporary directory and run from there with
the same interpreter (as bench/limits does). Prints, per call, each side's median of the
rounds' p50 (ms) and the ratio new/baseline (1.00 = no cost). Loopback only.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(tree: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    cmd = [sys.executable, "-m", "gureum", "up", "--port", str(port), "--dns-port", str(free_port()),
           "--data-dir", tempfile.mkdtemp(prefix="gureum-calls-"), "--set", "ecs.enabled=0"]
    proc = subprocess.Popen(cmd, env=dict(os.environ, PYTHONPATH=str(tree)), cwd=tree,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/_gureum/health", timeout=1)
            return proc, url
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gureum from {tree} did not start") from None
            time.sleep(0.05)


def client(url: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=url, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test", config=Config(retries={"max_attempts": 0}))


def echo_function(url: str) -> None:
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    role = client(url, "iam").create_role(RoleName="calls", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", "def handler(event, context):\n    return event\n")
    lam = client(url, "lambda")
    lam.create_function(FunctionName="echo", Runtime="python3.12", Role=role, Handler="app.handler",
                        Code={"ZipFile": buf.getvalue()})
    lam.get_waiter("function_active_v2").wait(FunctionName="echo")


def calls(url: str) -> dict[str, Callable[[], object]]:
    lam, sqs, s3 = client(url, "lambda"), client(url, "sqs"), client(url, "s3")
    return {
        "lambda GetAccountSettings": lam.get_account_settings,
        "sqs ListQueues": sqs.list_queues,
        "s3 ListBuckets": s3.list_buckets,
        "lambda Invoke (warm)": lambda: lam.invoke(FunctionName="echo", Payload=b"{}"),
    }


def p50(fn: Callable[[], object], n: int) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--baseline", default="ead1c42")
    ap.add_argument("--rounds", type=int, default=12)
    ap.add_argument("--calls", type=int, default=200)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gureum-calls-base-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.baseline], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(work, filter="data")
    sides = {"baseline": start(work), "new": start(ROOT)}
    try:
        fns = {}
        for name, (_, url) in sides.items():
            echo_function(url)
            fns[name] = calls(url)
            for fn in fns[name].values():  # warm-up: connections, lazy imports, the sandbox
                for _ in range(50):
                    fn()
        results: dict[tuple[str, str], list[float]] = {}
        for r in range(args.rounds):
            for name in ("baseline", "new") if r % 2 == 0 else ("new", "baseline"):
                for call, fn in fns[name].items():
                    results.setdefault((call, name), []).append(p50(fn, args.calls))
        print(f"baseline {args.baseline} vs this checkout; median of {args.rounds} rounds of {args.calls} calls (p50, ms)")
        for call in fns["new"]:
            base = statistics.median(results[(call, "baseline")])
            new = statistics.median(results[(call, "new")])
            print(f"  {call:28} baseline {base:7.3f}  new {new:7.3f}  ratio new/baseline {new / base:.2f}")
    finally:
        for proc, _ in sides.values():
            proc.terminate()
            proc.wait(60)


if __name__ == "__main__":
    main()
