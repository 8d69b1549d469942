"""ECS benchmark: RunTask → RUNNING latency with a cached image, and tasks started per second,
against raw `runc` (and `crun`, when installed and able to run here) starting the same image's
bundle and (when Debian's dockerd starts here) `docker run -d` of the same image — all measured
in the same run on the same machine.

    python bench/ecs/run.py [--runs 3] [--tasks 20] [--burst 10] [--no-docker] [--runtime runc|crun|auto]

--runtime is gureum's `ecs.oci_runtime` (default: the setting's default, runc).

Starts its own gureum (temporary data dir), builds a busybox image with umoci (no network),
pushes it to gureum's ECR with skopeo, runs one warm-up task (the pull and unpack), then
measures. "client" latency: boto3 RunTask call → DescribeTasks (polled every 2 ms) first
shows RUNNING; "server": the task's startedAt − createdAt. Needs root, runc, umoci, skopeo,
busybox-static. Prints medians over --runs repetitions and the target (≤ 100 ms).
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

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from ecs.images import build_image, push, tools_missing

from bench.common import Gureum
from bench.common import client as common_client
from gureum.sandbox import runc as rc

AWSVPC = {"awsvpcConfiguration": {"subnets": ["subnet-0123456789abcdef0"]}}
SLEEPER = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"]


def start_gureum(runtime: str | None) -> tuple[subprocess.Popen[bytes], str, int, Path]:
    settings = [f"ecs.oci_runtime={runtime}"] if runtime else []
    g = Gureum(prefix="gureum-bench-ecs-", args=["--log-level", "warning"], services=["ecs"], settings=settings).start()
    return g.process, g.endpoint, g.port, g.data


def client(endpoint: str, service: str):  # type: ignore[no-untyped-def]
    return common_client(endpoint, service, retries=1)


def wait(ecs, arns: list[str], status: str, poll: float = 0.002, timeout: float = 60) -> list[dict]:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        tasks = ecs.describe_tasks(tasks=arns)["tasks"]
        if all(t["lastStatus"] == status for t in tasks):
            return tasks
        bad = [t for t in tasks if t["lastStatus"] == "STOPPED" and status != "STOPPED"]
        if bad:
            raise SystemExit(f"task stopped: {bad[0].get('stoppedReason')} {bad[0]['containers']}")
        if time.monotonic() > deadline:
            raise SystemExit(f"timeout waiting for {status}")
        time.sleep(poll)


def bench_gureum(ecs, td: str, n: int) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    client_ms, server_ms = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        arn = ecs.run_task(taskDefinition=td, launchType="FARGATE", networkConfiguration=AWSVPC)["tasks"][0]["taskArn"]
        task = wait(ecs, [arn], "RUNNING")[0]
        client_ms.append((time.perf_counter() - t0) * 1000)
        server_ms.append((task["startedAt"] - task["createdAt"]).total_seconds() * 1000)
        ecs.stop_task(task=arn)
        wait(ecs, [arn], "STOPPED", poll=0.02)
    return client_ms, server_ms


def bench_burst(ecs, td: str, burst: int) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    arns = [t["taskArn"] for t in ecs.run_task(taskDefinition=td, launchType="FARGATE", networkConfiguration=AWSVPC, count=burst)["tasks"]]
    wait(ecs, arns, "RUNNING", poll=0.005)
    rate = burst / (time.perf_counter() - t0)
    for a in arns:
        ecs.stop_task(task=a)
    wait(ecs, arns, "STOPPED", poll=0.05)
    return rate


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tasks", type=int, default=20, help="tasks per latency run")
    ap.add_argument("--burst", type=int, default=10, help="tasks per RunTask in the throughput run (≤ 10)")
    ap.add_argument("--no-docker", action="store_true")
    ap.add_argument("--runtime", choices=rc.RUNTIMES, help="gureum's ecs.oci_runtime")
    args = ap.parse_args()
    missing = tools_missing()
    if os.geteuid() != 0 or missing:
        raise SystemExit(f"needs root and {missing or 'runc, umoci, skopeo, busybox-static'}")
    crun = shutil.which("crun") is not None and rc.crun_problem() is None  # crun 1.8 cannot run on hybrid cgroup hosts
    work = Path(tempfile.mkdtemp(prefix="gureum-bench-ecs-work-"))
    layout = build_image(work / "layout", "v1")
    proc, endpoint, port, data = start_gureum(args.runtime)
    dockerd = None
    try:
        ecr, ecs = client(endpoint, "ecr"), client(endpoint, "ecs")
        ecr.create_repository(repositoryName="bench")
        push(layout, "v1", f"127.0.0.1:{port}/bench:v1")
        td = ecs.register_task_definition(
            family="bench-" + uuid.uuid4().hex[:6], networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            containerDefinitions=[{"name": "app", "image": f"127.0.0.1:{port}/bench:v1", "command": SLEEPER, "stopTimeout": 2}],
        )["taskDefinition"]["taskDefinitionArn"]  # fmt: skip
        t_w = time.perf_counter()
        bench_gureum(ecs, td, 1)  # warm-up: pull and unpack once
        print(f"warm-up (pull + unpack + one task) {time.perf_counter() - t_w:.2f} s", flush=True)
        if not args.no_docker:
            dockerd = start_dockerd(work)
        rows: dict[str, list[float]] = {"client": [], "server": [], "burst": [], "runc_run": [], "runc_start": [], "crun_run": [], "crun_start": [], "docker": []}
        for r in range(args.runs):
            c, s = bench_gureum(ecs, td, args.tasks)
            rows["client"].append(statistics.median(c))
            rows["server"].append(statistics.median(s))
            rows["burst"].append(bench_burst(ecs, td, min(10, args.burst)))
            rr, rs = bench_runc(layout, "v1", args.tasks, work / f"runc{r}")
            rows["runc_run"].append(statistics.median(rr))
            rows["runc_start"].append(statistics.median(rs))
            if crun:
                cr, cs = bench_runc(layout, "v1", args.tasks, work / f"crun{r}", "crun")
                rows["crun_run"].append(statistics.median(cr))
                rows["crun_start"].append(statistics.median(cs))
            if dockerd is not None:
                rows["docker"].append(statistics.median(bench_docker(dockerd[1], layout, "v1", args.tasks, work)))
        med = {k: statistics.median(v) for k, v in rows.items() if v}
        print(f"ECS RunTask → RUNNING, cached image ({args.runs} runs × {args.tasks} tasks, medians; ecs.oci_runtime={args.runtime or 'default'})")
        print(f"  gureum RunTask → RUNNING (client, 2 ms polls)  {med['client']:7.1f} ms   target ≤ 100 ms")
        print(f"  gureum createdAt → startedAt (server)          {med['server']:7.1f} ms")
        print(f"  runc create + start (same image, sleeper)      {med['runc_start']:7.1f} ms   ratio {med['client'] / med['runc_start']:.1f}×")
        print(f"  runc run /bin/true (start to exit)             {med['runc_run']:7.1f} ms")
        if "crun_start" in med:
            print(f"  crun create + start (same image, sleeper)      {med['crun_start']:7.1f} ms   ratio {med['client'] / med['crun_start']:.1f}×")
            print(f"  crun run /bin/true (start to exit)             {med['crun_run']:7.1f} ms")
        else:
            print(f"  crun                                           skipped ({rc.crun_problem() or 'not installed'})")
        if "docker" in med:
            print(f"  docker run -d (same image, --network none)     {med['docker']:7.1f} ms   ratio {med['client'] / med['docker']:.2f}×")
        else:
            print("  docker run                                     skipped (dockerd did not start or --no-docker)")
        print(f"  tasks started per second (RunTask count={min(10, args.burst)})    {med['burst']:7.1f} /s")
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
        proc.terminate()
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
