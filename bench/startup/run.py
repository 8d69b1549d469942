"""Startup benchmark: time from process start to a served health request, and idle RSS,
for gureum (every default component up: DNS, the registry and the rest) and for its peers
MiniStack (pip `ministack`) and moto_server, measured in the same run, median of N runs.

Usage: python bench/startup/run.py [--runs 7] [--compare OTHER_CHECKOUT]

`--compare` also measures the gureum of another checkout (say, the commit before a change) in
the same runs, as "gureum@other". Byte-compile first (`make compile`; `python -m compileall
gureum` in the other checkout): with PYTHONDONTWRITEBYTECODE set, every start compiles
from source, which costs time and resident memory the peers (installed by pip) do not pay.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.common import free_port  # noqa: E402


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def measure(cmd: list[str], url: str, env: dict[str, str], cwd: Path = ROOT) -> tuple[float, float]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=cwd)
    try:
        while True:
            try:
                with urllib.request.urlopen(url, timeout=1) as resp:
                    resp.read()
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(f"{cmd[0]} exited early") from None
                time.sleep(0.002)
        ready = time.perf_counter() - t0
        time.sleep(1.0)  # idle
        rss = rss_mib(proc.pid)
        return ready, rss
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--compare", type=Path, help="another gureum checkout, measured in the same runs")
    args = ap.parse_args()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    moto = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
    ministack = shutil.which("ministack") or str(Path(sys.executable).parent / "ministack")
    results: dict[str, list[tuple[float, float]]] = {"gureum": [], "ministack": [], "moto_server": []}
    trees = {"gureum": ROOT}
    if args.compare:
        trees["gureum@other"] = args.compare.resolve()
        results["gureum@other"] = []
    for _ in range(args.runs):
        for name, tree in trees.items():
            tmp = tempfile.mkdtemp(prefix="gureum-bench-")
            port = free_port()
            results[name].append(
                measure(
                    [sys.executable, "-m", "gureum", "up", "--port", str(port), "--dns-port", str(free_port()), "--data-dir", tmp],
                    f"http://127.0.0.1:{port}/_gureum/health",
                    dict(env, PYTHONPATH=str(tree)),
                    cwd=tree,
                )
            )
            shutil.rmtree(tmp, ignore_errors=True)
        if os.path.exists(ministack):
            port = free_port()
            results["ministack"].append(measure([ministack], f"http://127.0.0.1:{port}/_ministack/health",
                                                dict(env, GATEWAY_PORT=str(port), LOG_LEVEL="WARNING")))
        if os.path.exists(moto):
            port = free_port()
            results["moto_server"].append(measure([moto, "-p", str(port)], f"http://127.0.0.1:{port}/moto-api/", env))
    print(f"startup, median of {args.runs} runs (process start -> first served health request; RSS after 1 s idle)")
    base = None
    for name, rows in results.items():
        if not rows:
            print(f"  {name:<12} not installed")
            continue
        ready = statistics.median(r for r, _ in rows)
        rss = statistics.median(m for _, m in rows)
        if name == "gureum":
            base = (ready, rss)
        print(f"  {name:<12} ready {ready * 1000:7.1f} ms   idle RSS {rss:6.1f} MiB")
    for peer in ("ministack", "moto_server", "gureum@other"):
        if base and results.get(peer):
            p_ready = statistics.median(r for r, _ in results[peer])
            p_rss = statistics.median(m for _, m in results[peer])
            print(f"  ratio gureum/{peer}: ready {base[0] / p_ready:.2f}x, RSS {base[1] / p_rss:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
