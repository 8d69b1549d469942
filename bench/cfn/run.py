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
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.common import Gureum, ministack_server  # noqa: E402
from bench.common import client as common_client  # noqa: E402

KINDS = (("Queue", 20), ("Param", 15), ("Topic", 10), ("Logs", 5))


def client(service: str, endpoint: str) -> Any:
    return common_client(endpoint, service, retries=2)


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
    gureum = Gureum(prefix="gureum-bench-cfn-").start()
    try:
        through_stack(gureum.endpoint)  # warm-up: handlers loaded, schemas read
        rows.append(("gureum CloudFormation", *median_of(args.runs, lambda: through_stack(gureum.endpoint))))
        rows.append(("gureum direct API calls (floor)", *median_of(args.runs, lambda: direct(gureum.endpoint))))
    finally:
        gureum.stop()
    peer = ministack_server()
    if peer is None:
        print("MiniStack is not installed (pip install ministack): no peer figures")
    else:
        peer.start()
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
