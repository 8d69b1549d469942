"""100 concurrent ECS tasks: RunTask of `--tasks` tasks at once (10 RunTask calls of count 10
from parallel clients) and each task's RUNNING latency p50/p99, against runc itself creating
and starting the same image's bundle `--tasks` times concurrently (the floor), same run.

"client" latency: the RunTask call's start → the first DescribeTasks (polled every 20 ms, all
tasks in one call per 100) that shows the task RUNNING; "server": startedAt − createdAt.
Needs root, runc, umoci, skopeo, busybox-static (tests/ecs/images.py builds the image, no
network).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from common import ROOT, Node, median, pct, ratio

AWSVPC = {"awsvpcConfiguration": {"subnets": ["subnet-0123456789abcdef0"]}}
SLEEPER = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]


def images() -> Any:
    sys.path.insert(0, str(ROOT / "tests"))
    from ecs import images as img  # tests/ecs/images.py

    return img


def wait_all(ecs: Any, arns: list[str], status: str, started: dict[str, float], timeout: float = 300) -> dict[str, tuple[float, dict]]:
    """Poll until every task is `status`; returns arn -> (seconds since its RunTask began, task)."""
    seen: dict[str, tuple[float, dict]] = {}
    deadline = time.monotonic() + timeout
    while len(seen) < len(arns):
        for lo in range(0, len(arns), 100):
            for t in ecs.describe_tasks(cluster="default", tasks=arns[lo:lo + 100])["tasks"]:
                if t["taskArn"] in seen:
                    continue
                if t["lastStatus"] == status:
                    seen[t["taskArn"]] = (time.perf_counter() - started[t["taskArn"]], t)
                elif t["lastStatus"] == "STOPPED":
                    raise SystemExit(f"task stopped: {t.get('stoppedReason')} {t['containers']}")
        if time.monotonic() > deadline:
            raise SystemExit(f"{len(arns) - len(seen)} tasks not {status} within {timeout} s")
        time.sleep(0.02)
    return seen


def gureum_burst(ecs: Any, td: str, n: int) -> tuple[list[float], list[float]]:
    started: dict[str, float] = {}

    def one(count: int) -> None:
        t0 = time.perf_counter()
        r = ecs.run_task(taskDefinition=td, launchType="FARGATE", networkConfiguration=AWSVPC, count=count)
        if r.get("failures"):
            raise SystemExit(f"RunTask failures: {r['failures']}")
        for t in r["tasks"]:
            started[t["taskArn"]] = t0

    calls = [10] * (n // 10) + ([n % 10] if n % 10 else [])
    with ThreadPoolExecutor(len(calls)) as pool:
        list(pool.map(one, calls))
    arns = list(started)
    seen = wait_all(ecs, arns, "RUNNING", started)
    client = [1000 * s for s, _ in seen.values()]
    server = [1000 * (t["startedAt"] - t["createdAt"]).total_seconds() for _, t in seen.values()]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda a: ecs.stop_task(cluster="default", task=a), arns))
    wait_all(ecs, arns, "STOPPED", dict.fromkeys(arns, time.perf_counter()))
    return client, server


def runc_burst(layout: Path, tag: str, n: int, work: Path) -> list[float]:
    """`runc create` + `runc start` of the sleeper, n at once, from one umoci bundle (the floor)."""
    bundle = work / "bundle"
    subprocess.run(["umoci", "unpack", "--image", f"{layout}:{tag}", str(bundle)], check=True, capture_output=True)
    cfg = json.loads((bundle / "config.json").read_text())
    cfg["process"]["terminal"] = False
    cfg["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}]
    cfg["process"]["args"] = SLEEPER
    cfg["root"]["readonly"] = True
    (bundle / "config.json").write_text(json.dumps(cfg))
    state = work / "runc-state"
    ids = [f"scale-{os.getpid()}-{i}" for i in range(n)]

    def one(cid: str) -> float:
        t0 = time.perf_counter()
        subprocess.run(["runc", "--root", str(state), "create", "--bundle", str(bundle), cid], check=True,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(["runc", "--root", str(state), "start", cid], check=True, capture_output=True)
        return 1000 * (time.perf_counter() - t0)

    try:
        with ThreadPoolExecutor(n) as pool:
            return list(pool.map(one, ids))
    finally:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda c: subprocess.run(["runc", "--root", str(state), "delete", "--force", c], check=False,
                                                   capture_output=True), ids))


def run(work: Path, args: argparse.Namespace) -> dict[str, float]:
    img = images()
    missing = img.tools_missing()
    if os.geteuid() != 0 or missing:
        raise SystemExit(f"bench/scale ecs: needs root and {missing or 'runc, umoci, skopeo, busybox-static'}")
    layout = img.build_image(work / "layout", "v1")
    node = Node(work / "node", service="ecs")
    node.start()
    rows: dict[str, list[float]] = {"client p50": [], "client p99": [], "server p50": [], "server p99": [], "runc p50": [], "runc p99": []}
    try:
        ecr, ecs = node.client("ecr"), node.client("ecs")
        port = node.endpoint.rsplit(":", 1)[1]
        ecr.create_repository(repositoryName="scale")
        img.push(layout, "v1", f"127.0.0.1:{port}/scale:v1")
        td = ecs.register_task_definition(
            family="scale-" + uuid.uuid4().hex[:6], networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            containerDefinitions=[{"name": "app", "image": f"127.0.0.1:{port}/scale:v1", "command": SLEEPER, "stopTimeout": 2}],
        )["taskDefinition"]["taskDefinitionArn"]
        gureum_burst(ecs, td, 1)  # warm-up: the pull and unpack
        for r in range(args.task_runs):
            c, s = gureum_burst(ecs, td, args.tasks)
            f = runc_burst(layout, "v1", args.tasks, work / f"runc{r}")
            for k, v in (("client", c), ("server", s), ("runc", f)):
                rows[f"{k} p50"].append(median(v))
                rows[f"{k} p99"].append(pct(v, 0.99))
            print(f"  run {r + 1}/{args.task_runs}: gureum min/p50/p99 {min(c):.0f}/{median(c):.0f}/{pct(c, 0.99):.0f} ms "
                  f"(server {min(s):.0f}/{median(s):.0f}/{pct(s, 0.99):.0f})   runc {min(f):.0f}/{median(f):.0f}/{pct(f, 0.99):.0f} ms", flush=True)
    finally:
        node.stop()
    med = {k: median(v) for k, v in rows.items()}
    print(f"\n{args.tasks} concurrent ECS tasks, {os.cpu_count()} cores (medians of {args.task_runs} runs)")
    print(f"  gureum RunTask → RUNNING (client)  p50 {med['client p50']:8.0f} ms   p99 {med['client p99']:8.0f} ms")
    print(f"  gureum createdAt → startedAt       p50 {med['server p50']:8.0f} ms   p99 {med['server p99']:8.0f} ms")
    print(f"  runc create + start, {args.tasks} at once   p50 {med['runc p50']:8.0f} ms   p99 {med['runc p99']:8.0f} ms")
    print(f"  ratio gureum/runc                  p50 {ratio(med['client p50'], med['runc p50']):>8s}      p99 {ratio(med['client p99'], med['runc p99']):>8s}")
    return med


def add_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--tasks", type=int, default=100)
    ap.add_argument("--task-runs", type=int, default=1)
