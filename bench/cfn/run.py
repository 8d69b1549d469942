"""CloudFormation benchmark: a 50-resource stack (20 SQS queues, 15 SSM parameters, 10 SNS
topics, 5 CloudWatch Logs groups) created and deleted through CloudFormation, timed from the
call to CREATE_COMPLETE / DELETE_COMPLETE; against the floor (the same 50 resources created and
then deleted by direct API calls, one after another, on the same gureum) and against
MiniStack's CloudFormation (pip `ministack`, started in the same run) where it serves the
types. Median of N runs, with ratios.

Usage: python bench/cfn/run.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[2]
KINDS = (("Queue", 20), ("Param", 15), ("Topic", 10), ("Logs", 5))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def client(service: str, endpoint: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test", config=Config(retries={"max_attempts": 2}))


class Server:
    def __init__(self, name: str, cmd: list[str], env: dict[str, str], port: int) -> None:
        self.name = name
        self.endpoint = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
        deadline = time.monotonic() + 90
        sqs = client("sqs", self.endpoint)
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {self.proc.returncode}")
            try:
                sqs.list_queues()
                return
            except Exception:  # noqa: BLE001 - not up yet
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not become ready") from None
                time.sleep(0.05)  # real time: a benchmark's readiness poll

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def start_gureum() -> Server:
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return Server("gureum", [sys.executable, "-m", "gureum", "up", "--port", str(port), "--dns-port", str(free_port()),
                             "--data-dir", tempfile.mkdtemp(prefix="gureum-bench-cfn-")], env, port)


def start_ministack() -> Server | None:
    exe = shutil.which("ministack") or str(Path(sys.executable).parent / "ministack")
    if not Path(exe).exists():
        return None
    port = free_port()
    return Server("ministack", [exe], dict(os.environ, GATEWAY_PORT=str(port), LOG_LEVEL="WARNING"), port)


def template(tag: str) -> str:
    resources: dict[str, Any] = {}
    for kind, n in KINDS:
        for i in range(n):
            name = f"{kind}{i}"
            if kind == "Queue":
                resources[name] = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": f"b{tag}-q{i}"}}
            elif kind == "Param":
                resources[name] = {"Type": "AWS::SSM::Parameter", "Properties": {"Name": f"/b{tag}/p{i}", "Type": "String", "Value": "v"}}
            elif kind == "Topic":
                resources[name] = {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": f"b{tag}-t{i}"}}
            else:
                resources[name] = {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": f"/b{tag}/g{i}"}}
    return json.dumps({"Resources": resources})


def wait_status(cfn: Any, stack: str, done: str) -> None:
    deadline = time.monotonic() + 600
    while True:
        status = cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
        if status == done:
            return
        if not status.endswith("_IN_PROGRESS") or time.monotonic() > deadline:
            raise RuntimeError(f"stack {stack} ended in {status}, not {done}")
        time.sleep(0.02)  # real time: polling the status, as every client does


def through_stack(endpoint: str) -> tuple[float, float]:
    cfn = client("cloudformation", endpoint)
    tag = uuid.uuid4().hex[:8]
    name = f"bench-{tag}"
    t0 = time.perf_counter()
    sid = cfn.create_stack(StackName=name, TemplateBody=template(tag))["StackId"]
    wait_status(cfn, name, "CREATE_COMPLETE")
    created = time.perf_counter() - t0
    queues = client("sqs", endpoint).list_queues(QueueNamePrefix=f"b{tag}-").get("QueueUrls", [])
    if len(queues) != 20:  # the stack's resources must be real, not only its status
        raise RuntimeError(f"CREATE_COMPLETE with {len(queues)} of the 20 queues")
    t0 = time.perf_counter()
    cfn.delete_stack(StackName=name)
    wait_status(cfn, sid, "DELETE_COMPLETE")
    return created, time.perf_counter() - t0


def direct(endpoint: str) -> tuple[float, float]:
    """The floor: the same resources by the services' own APIs, one call after another."""
    sqs, ssm, sns, logs = (client(s, endpoint) for s in ("sqs", "ssm", "sns", "logs"))
    tag = uuid.uuid4().hex[:8]
    undo: list[Callable[[], Any]] = []
    t0 = time.perf_counter()
    for kind, n in KINDS:
        for i in range(n):
            if kind == "Queue":
                url = sqs.create_queue(QueueName=f"b{tag}-q{i}")["QueueUrl"]
                undo.append(lambda url=url: sqs.delete_queue(QueueUrl=url))
            elif kind == "Param":
                ssm.put_parameter(Name=f"/b{tag}/p{i}", Type="String", Value="v")
                undo.append(lambda i=i: ssm.delete_parameter(Name=f"/b{tag}/p{i}"))
            elif kind == "Topic":
                arn = sns.create_topic(Name=f"b{tag}-t{i}")["TopicArn"]
                undo.append(lambda arn=arn: sns.delete_topic(TopicArn=arn))
            else:
                logs.create_log_group(logGroupName=f"/b{tag}/g{i}")
                undo.append(lambda i=i: logs.delete_log_group(logGroupName=f"/b{tag}/g{i}"))
    created = time.perf_counter() - t0
    t0 = time.perf_counter()
    for fn in undo:
        fn()
    return created, time.perf_counter() - t0


def median_of(runs: int, fn: Callable[[], tuple[float, float]]) -> tuple[float, float]:
    results = [fn() for _ in range(runs)]
    return statistics.median(r[0] for r in results), statistics.median(r[1] for r in results)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    rows: list[tuple[str, float, float]] = []
    gureum = start_gureum()
    try:
        through_stack(gureum.endpoint)  # warm-up: handlers loaded, schemas read
        rows.append(("gureum CloudFormation", *median_of(args.runs, lambda: through_stack(gureum.endpoint))))
        rows.append(("gureum direct API calls (floor)", *median_of(args.runs, lambda: direct(gureum.endpoint))))
    finally:
        gureum.stop()
    peer = start_ministack()
    if peer is None:
        print("MiniStack is not installed (pip install ministack): no peer figures")
    else:
        try:
            try:
                through_stack(peer.endpoint)
                rows.append(("MiniStack CloudFormation", *median_of(args.runs, lambda: through_stack(peer.endpoint))))
            except Exception as e:  # noqa: BLE001 - the peer may not serve a type
                print(f"MiniStack's CloudFormation failed on this stack: {e}")
        finally:
            peer.stop()
    print(f"50-resource stack, median of {args.runs} runs")
    print(f"{'':34} {'create s':>9} {'delete s':>9}")
    for name, c, d in rows:
        print(f"{name:34} {c:9.3f} {d:9.3f}")
    base = rows[0]
    for name, c, d in rows[1:]:
        print(f"gureum CloudFormation / {name}: create {base[1] / c:.2f}x, delete {base[2] / d:.2f}x")


if __name__ == "__main__":
    main()
