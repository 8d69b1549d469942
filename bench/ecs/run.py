"""ECS benchmark: RunTask → RUNNING latency with a cached image, and tasks started per second,
against raw `runc` (and `crun`, when installed and able to run here) starting the same image's
bundle and (when Debian's dockerd starts here) `docker run -d` of the same image — all measured
in the same run on the same machine.

    python bench/ecs/run.py [--runs 3] [--tasks 20] [--burst 10] [--poll 2] [--no-docker] [--runtime runc|crun|auto]
    python bench/ecs/run.py --against REV|DIR [--runs 3] [--tasks 20] [--burst 10] [--poll 2]
    ... [--setting K=V ...] [--against-setting K=V ...]   (gureum settings for each side's node)

--runtime is gureum's `ecs.oci_runtime` (default: the setting's default, auto).

Starts its own gureum (temporary data dir), builds a busybox image with umoci (no network),
pushes it to gureum's ECR with skopeo, runs one warm-up task (the pull and unpack), then
measures. "client" latency: boto3 RunTask call → DescribeTasks (polled every --poll ms) first
shows RUNNING; "server": the task's startedAt − createdAt; "burst": one RunTask of --burst
tasks, each task's RunTask call → first shown RUNNING, and tasks started per second. Prints
p50/p99 over every sample of the --runs repetitions (each task one sample) and the 1-minute
load average. --against: the same, interleaved A/B (alternating order per run) between a
gureum from this tree and one from another (a directory or a git revision, exported), with
the bare runc floor measured once per run. Needs root, runc, umoci, skopeo, busybox-static.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from ecs.images import build_image, push, tools_missing

from bench.common import Gureum, export_tree, pct
from bench.common import client as common_client
from gureum.sandbox import runc as rc

AWSVPC = {"awsvpcConfiguration": {"subnets": ["subnet-0123456789abcdef0"]}}
SLEEPER = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]


def start_gureum(runtime: str | None, tree: Path = ROOT, extra: list[str] | None = None) -> tuple[subprocess.Popen[bytes], str, int, Path]:
    settings = ([f"ecs.oci_runtime={runtime}"] if runtime else []) + (extra or [])
    g = Gureum(prefix="gureum-bench-ecs-", args=["--log-level", "warning"], services=["ecs"], settings=settings, tree=tree).start()
    return g.process, g.endpoint, g.port, g.data


def client(endpoint: str, service: str):  # type: ignore[no-untyped-def]
    return common_client(endpoint, service, retries=1)


def wait(ecs, arns: list[str], status: str, poll: float = 0.002, timeout: float = 60, seen: dict[str, float] | None = None) -> list[dict]:  # type: ignore[no-untyped-def]
    """Poll DescribeTasks every `poll` seconds until every task shows `status`; `seen` gets
    each task's first perf_counter() time at that status."""
    deadline = time.monotonic() + timeout
    while True:
        tasks = ecs.describe_tasks(tasks=arns)["tasks"]
        now = time.perf_counter()
        if seen is not None:
            for t in tasks:
                if t["lastStatus"] == status:
                    seen.setdefault(t["taskArn"], now)
        if all(t["lastStatus"] == status for t in tasks):
            return tasks
        bad = [t for t in tasks if t["lastStatus"] == "STOPPED" and status != "STOPPED"]
        if bad:
            raise SystemExit(f"task stopped: {bad[0].get('stoppedReason')} {bad[0]['containers']}")
        if time.monotonic() > deadline:
            raise SystemExit(f"timeout waiting for {status}")
        time.sleep(poll)


def bench_gureum(ecs, td: str, n: int, poll: float = 0.002) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    """`n` tasks one after another: client and server RunTask → RUNNING, ms."""
    client_ms, server_ms = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        arn = ecs.run_task(taskDefinition=td, launchType="FARGATE", networkConfiguration=AWSVPC)["tasks"][0]["taskArn"]
        task = wait(ecs, [arn], "RUNNING", poll)[0]
        client_ms.append((time.perf_counter() - t0) * 1000)
        server_ms.append((task["startedAt"] - task["createdAt"]).total_seconds() * 1000)
        ecs.stop_task(task=arn)
        wait(ecs, [arn], "STOPPED", poll=0.02)
    return client_ms, server_ms


def bench_burst(ecs, td: str, burst: int, poll: float = 0.005) -> tuple[float, list[float], list[float]]:  # type: ignore[no-untyped-def]
    """One RunTask of `burst` tasks: tasks started per second, and each task's client and
    server RunTask → RUNNING, ms."""
    t0 = time.perf_counter()
    arns = [t["taskArn"] for t in ecs.run_task(taskDefinition=td, launchType="FARGATE", networkConfiguration=AWSVPC, count=burst)["tasks"]]
    seen: dict[str, float] = {}
    tasks = wait(ecs, arns, "RUNNING", poll, seen=seen)
    rate = burst / (time.perf_counter() - t0)
    client_ms = [(seen[a] - t0) * 1000 for a in arns]
    server_ms = [(t["startedAt"] - t["createdAt"]).total_seconds() * 1000 for t in tasks]
    for a in arns:
        ecs.stop_task(task=a)
    wait(ecs, arns, "STOPPED", poll=0.05)
    return rate, client_ms, server_ms


def bench_runc(layout: Path, tag: str, n: int, work: Path, runtime: str = "runc") -> tuple[list[float], list[float]]:
    """`<runtime> run` of /bin/true (start to exit) and `<runtime> create`+`start` of a sleeper
    (start to running), from a bundle umoci unpacked from the same image (runtime: runc or crun)."""
    bundle = work / "bundle"
    subprocess.run(["umoci", "unpack", "--image", f"{layout}:{tag}", str(bundle)], check=True, capture_output=True)
    cfg = json.loads((bundle / "config.json").read_text())
    cfg["process"]["terminal"] = False
    cfg["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}]
    state = work / f"{runtime}-state"
    run_ms, start_ms = [], []
    for i in range(n):
        cfg["process"]["args"] = ["/bin/true"]
        (bundle / "config.json").write_text(json.dumps(cfg))
        cid = f"bench-{os.getpid()}-{i}"
        t0 = time.perf_counter()
        subprocess.run([runtime, "--root", str(state), "run", "--bundle", str(bundle), cid], check=True, capture_output=True)
        run_ms.append((time.perf_counter() - t0) * 1000)
        cfg["process"]["args"] = SLEEPER
        (bundle / "config.json").write_text(json.dumps(cfg))
        cid += "-d"
        t0 = time.perf_counter()
        # the container keeps runc create's stdio: give it /dev/null, not pipes
        subprocess.run([runtime, "--root", str(state), "create", "--bundle", str(bundle), cid], check=True,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        subprocess.run([runtime, "--root", str(state), "start", cid], check=True, capture_output=True)
        start_ms.append((time.perf_counter() - t0) * 1000)
        subprocess.run([runtime, "--root", str(state), "delete", "--force", cid], check=False, capture_output=True)
    return run_ms, start_ms


def start_dockerd(work: Path) -> tuple[subprocess.Popen[bytes], list[str]] | None:
    if shutil.which("dockerd") is None or shutil.which("docker") is None:
        return None
    root = Path("/tmp") / f"gureum-bd-{os.getpid()}"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    sock = root / "d.sock"
    proc = subprocess.Popen(
        ["dockerd", "--iptables=false", "--bridge=none", "--data-root", str(root / "data"), "--exec-root", str(root / "exec"),
         "-H", f"unix://{sock}", "--pidfile", str(root / "d.pid")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    cli = ["docker", "-H", f"unix://{sock}"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return None
        if subprocess.run([*cli, "version"], check=False, capture_output=True).returncode == 0:
            return proc, cli
        time.sleep(0.25)
    proc.terminate()
    return None


def bench_docker(cli: list[str], layout: Path, tag: str, n: int, work: Path) -> list[float]:
    archive = work / "img.tar"
    if not archive.exists():  # load the image once
        subprocess.run(["skopeo", "copy", f"oci:{layout}:{tag}", f"docker-archive:{archive}:bench/ecs:{tag}"], check=True, capture_output=True)
        subprocess.run([*cli, "load", "-i", str(archive)], check=True, capture_output=True)
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        cid = subprocess.run([*cli, "run", "-d", "--network", "none", f"bench/ecs:{tag}", *SLEEPER], check=True, capture_output=True, text=True).stdout.strip()
        out.append((time.perf_counter() - t0) * 1000)
        subprocess.run([*cli, "rm", "-f", cid], check=False, capture_output=True)
    return out


def start_side(tree: Path, runtime: str | None, layout: Path, settings: list[str] | None = None) -> dict[str, Any]:
    """A gureum from `tree` (with `settings`, K=V) with the image pushed, a task definition
    and one warm-up task."""
    proc, endpoint, port, data = start_gureum(runtime, tree, settings)
    side: dict[str, Any] = {"proc": proc, "data": data, "client": [], "server": [], "burst": [], "burst_client": [], "burst_server": []}
    ecr, ecs = client(endpoint, "ecr"), client(endpoint, "ecs")
    ecr.create_repository(repositoryName="bench")
    push(layout, "v1", f"127.0.0.1:{port}/bench:v1")
    side["ecs"] = ecs
    side["td"] = ecs.register_task_definition(
        family="bench-" + uuid.uuid4().hex[:6], networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "app", "image": f"127.0.0.1:{port}/bench:v1", "command": SLEEPER, "stopTimeout": 2}],
    )["taskDefinition"]["taskDefinitionArn"]  # fmt: skip
    t_w = time.perf_counter()
    bench_gureum(ecs, side["td"], 1)  # warm-up: pull and unpack once
    print(f"warm-up (pull + unpack + one task) {time.perf_counter() - t_w:.2f} s ({tree})", flush=True)
    return side


def measure(side: dict[str, Any], args: argparse.Namespace) -> None:
    """One run on one side: --tasks single starts, then one burst."""
    c, s = bench_gureum(side["ecs"], side["td"], args.tasks, args.poll / 1000)
    side["client"] += c
    side["server"] += s
    rate, bc, bs = bench_burst(side["ecs"], side["td"], min(10, args.burst), max(args.poll, 5) / 1000)
    side["burst"].append(rate)
    side["burst_client"] += bc
    side["burst_server"] += bs


def stop_side(side: dict[str, Any]) -> None:
    proc = side["proc"]
    proc.terminate()
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
    shutil.rmtree(side["data"], ignore_errors=True)


def p50_p99(values: list[float]) -> str:
    return f"p50 {pct(values, 0.5):6.1f}  p99 {pct(values, 0.99):6.1f} ms"


def report_side(label: str, side: dict[str, Any], args: argparse.Namespace) -> None:
    burst = min(10, args.burst)
    print(f"  {label}")
    print(f"    RunTask → RUNNING, one at a time (client, {args.poll:g} ms polls)  {p50_p99(side['client'])}   target ≤ 50 ms")
    print(f"    createdAt → startedAt, one at a time (server)      {p50_p99(side['server'])}")
    print(f"    RunTask count={burst} → each RUNNING (client)           {p50_p99(side['burst_client'])}")
    print(f"    RunTask count={burst}: createdAt → startedAt (server)   {p50_p99(side['burst_server'])}")
    print(f"    tasks started per second (RunTask count={burst})       {statistics.median(side['burst']):6.1f} /s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tasks", type=int, default=20, help="tasks per latency run")
    ap.add_argument("--burst", type=int, default=10, help="tasks per RunTask in the throughput run (≤ 10)")
    ap.add_argument("--poll", type=float, default=2.0, help="ms between DescribeTasks polls while waiting for RUNNING")
    ap.add_argument("--no-docker", action="store_true")
    ap.add_argument("--runtime", choices=rc.RUNTIMES, help="gureum's ecs.oci_runtime")
    ap.add_argument("--against", metavar="REV|DIR", help="interleaved A/B: this tree against another (a directory or a git revision)")
    ap.add_argument("--setting", action="append", default=[], metavar="K=V", help="a gureum setting for this tree's node (repeatable)")
    ap.add_argument("--against-setting", action="append", default=[], metavar="K=V", help="a gureum setting for the --against node")
    args = ap.parse_args()
    missing = tools_missing()
    if os.geteuid() != 0 or missing:
        raise SystemExit(f"needs root and {missing or 'runc, umoci, skopeo, busybox-static'}")
    crun = shutil.which("crun") is not None and rc.crun_problem() is None  # crun 1.8 cannot run on hybrid cgroup hosts
    work = Path(tempfile.mkdtemp(prefix="gureum-bench-ecs-work-"))
    layout = build_image(work / "layout", "v1")
    trees = {"this tree" + "".join(f" {kv}" for kv in args.setting): ROOT}
    exported: Path | None = None  # (a temporary export of --against, removed at the end)
    if args.against:
        other = export_tree(args.against, prefix="gureum-bench-ecs-against-")
        exported = None if Path(args.against).is_dir() else other
        trees[f"against {args.against}" + "".join(f" {kv}" for kv in args.against_setting)] = other
    sides: dict[str, dict[str, Any]] = {}
    dockerd = None
    try:
        for label, tree in trees.items():
            sides[label] = start_side(tree, args.runtime, layout, args.setting if tree == ROOT else args.against_setting)
        if not args.no_docker and not args.against:
            dockerd = start_dockerd(work)
        rows: dict[str, list[float]] = {"runc_run": [], "runc_start": [], "crun_run": [], "crun_start": [], "docker": []}
        loads: list[float] = []
        labels = list(sides)
        for r in range(args.runs):
            for label in labels if r % 2 == 0 else labels[::-1]:
                measure(sides[label], args)
                loads.append(os.getloadavg()[0])
            rr, rs = bench_runc(layout, "v1", args.tasks, work / f"runc{r}")
            rows["runc_run"] += rr
            rows["runc_start"] += rs
            if crun:
                cr, cs = bench_runc(layout, "v1", args.tasks, work / f"crun{r}", "crun")
                rows["crun_run"] += cr
                rows["crun_start"] += cs
            if dockerd is not None:
                rows["docker"] += bench_docker(dockerd[1], layout, "v1", args.tasks, work)
            loads.append(os.getloadavg()[0])
        print(f"ECS RunTask → RUNNING, cached image ({args.runs} runs × {args.tasks} tasks + {args.runs} bursts per side,"
              f" p50/p99 over every task; ecs.oci_runtime={args.runtime or 'default'});"
              f" load average (1 min) median {statistics.median(loads):.2f}, max {max(loads):.2f}")
        for label, side in sides.items():
            report_side(label, side, args)
        floor = pct(rows["runc_start"], 0.5)
        print(f"  runc create + start (same image, sleeper)      {p50_p99(rows['runc_start'])}"
              f"   client p50 / this: {pct(sides[labels[0]]['client'], 0.5) / floor:.2f}×")
        print(f"  runc run /bin/true (start to exit)             {p50_p99(rows['runc_run'])}")
        if rows["crun_start"]:
            print(f"  crun create + start (same image, sleeper)      {p50_p99(rows['crun_start'])}")
            print(f"  crun run /bin/true (start to exit)             {p50_p99(rows['crun_run'])}")
        else:
            print(f"  crun                                           skipped ({rc.crun_problem() or 'not installed'})")
        if rows["docker"]:
            print(f"  docker run -d (same image, --network none)     {p50_p99(rows['docker'])}")
        elif not args.against:
            print("  docker run                                     skipped (dockerd did not start or --no-docker)")
    finally:
        if dockerd is not None:
            dockerd[0].terminate()
            try:
                dockerd[0].wait(20)
            except subprocess.TimeoutExpired:
                dockerd[0].kill()
            root = Path("/tmp") / f"gureum-bd-{os.getpid()}"
            subprocess.run(["umount", "-R", str(root / "data")], check=False, capture_output=True)
            shutil.rmtree(root, ignore_errors=True)
        for side in sides.values():
            stop_side(side)
        shutil.rmtree(work, ignore_errors=True)
        if exported is not None:
            shutil.rmtree(exported, ignore_errors=True)


if __name__ == "__main__":
    main()
