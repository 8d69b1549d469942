"""First invoke after CreateFunction with and without a ready spare (lambda_/spares.py), per
runtime, in the same run: two gureums started here side by side, one with `lambda.spares=0`
and one with the default pool; cold starts interleaved between the two and across runtimes,
so both see the same background load. On the spared gureum each cold start waits (up to 30 s)
until the node reports a ready spare for it, which is the steady state the pool exists for
(a burst of cold starts faster than spares are started falls back to plain cold starts; the
main bench, run.py, shows that case).

    python bench/lambda/spares.py [--cold 7] [--runtimes python3.12,nodejs22.x,java21,ruby3.3]

Prints per runtime the median create → first result and first-invoke times, without / with.
The issue's goals: python's first invoke ≤ 30 ms; node, java and ruby ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # noqa: E402  (bench/lambda/run.py: servers, clients and the echo functions)

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def ready_spares(endpoint: str) -> int:
    with urllib.request.urlopen(endpoint + "/_gureum/status", timeout=5) as r:
        nodes = json.load(r)["nodes"]
    return sum(int(((n.get("runs") or {}).get("lambda") or {}).get("spares", 0)) for n in nodes)


def cold_start(lam: object, role: str, package: tuple[str, str, bytes]) -> tuple[float, float]:
    """(create → first result, first invoke) in ms of a new echo function."""
    runtime, handler, code = package
    name = f"sp-{uuid.uuid4().hex[:8]}"
    t0 = time.perf_counter()
    lam.create_function(FunctionName=name, Runtime=runtime, Role=role, Handler=handler,  # type: ignore[attr-defined]
                        Code={"ZipFile": code}, MemorySize=512, Timeout=30)
    t1 = time.perf_counter()
    out = lam.invoke(FunctionName=name, Payload=b'{"k": 1}')  # type: ignore[attr-defined]
    out["Payload"].read()
    t2 = time.perf_counter()
    if out.get("FunctionError"):
        raise SystemExit(f"{runtime}: the echo function failed")
    lam.delete_function(FunctionName=name)  # type: ignore[attr-defined]
    return (t2 - t0) * 1000, (t2 - t1) * 1000


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--cold", type=int, default=7)
    p.add_argument("--runtimes", default="python3.12,nodejs22.x,java21,ruby3.3")
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-spares-"))
    packages = {rt: pkg for rt in args.runtimes.split(",") if (pkg := run.runtime_package(rt, work)) is not None}
    sides = {"without": run.start_gureum(["lambda.spares=0"]), "with": run.start_gureum()}
    try:
        clients = {}
        for side, (_, endpoint, _) in sides.items():
            iam, lam = run.client(endpoint, "iam"), run.client(endpoint, "lambda")
            role = iam.create_role(RoleName=f"bench-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
            clients[side] = (lam, role, endpoint)
            for package in packages.values():  # each runtime's first cold start (installs, builds, starts the pool)
                cold_start(lam, role, package)
        results: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for _ in range(args.cold):
            for runtime, package in packages.items():
                for side, (lam, role, endpoint) in clients.items():
                    if side == "with":
                        deadline = time.monotonic() + 30
                        while ready_spares(endpoint) < len(packages) and time.monotonic() < deadline:
                            time.sleep(0.02)
                    results.setdefault((runtime, side), []).append(cold_start(lam, role, package))
        print(f"first invoke after CreateFunction, medians of {args.cold} (ms), without / with a ready spare, same run:")
        print(f"  {'runtime':14} {'create→result':>22} {'first invoke':>22}")
        summary = {}
        for runtime in packages:
            row = {}
            for side in ("without", "with"):
                got = results[(runtime, side)]
                row[side] = (statistics.median(c for c, _ in got), statistics.median(f for _, f in got))
            summary[runtime] = row
            print(f"  {runtime:14} {row['without'][0]:9.1f} / {row['with'][0]:7.1f}   {row['without'][1]:9.1f} / {row['with'][1]:7.1f}")
        print(json.dumps(summary))
    finally:
        for proc, _, _ in sides.values():
            proc.terminate()
            proc.wait(60)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
