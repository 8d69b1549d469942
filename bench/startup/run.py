"""Startup benchmark: time from process start to a served health request, and idle RSS,
for gureum and for moto_server (the peer), measured in the same run, median of N runs.

Usage: python bench/startup/run.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def measure(cmd: list[str], url: str, env: dict[str, str]) -> tuple[float, float]:
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT)
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
    args = ap.parse_args()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    moto = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
    results: dict[str, list[tuple[float, float]]] = {"gureum": [], "moto_server": []}
    for _ in range(args.runs):
        tmp = tempfile.mkdtemp(prefix="gureum-bench-")
        port = free_port()
        results["gureum"].append(
            measure(
                [sys.executable, "-m", "gureum", "up", "--port", str(port), "--dns-port", str(free_port()), "--data-dir", tmp],
                f"http://127.0.0.1:{port}/_gureum/health",
                env,
            )
        )
        shutil.rmtree(tmp, ignore_errors=True)
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
    if base and results["moto_server"]:
        m_ready = statistics.median(r for r, _ in results["moto_server"])
        m_rss = statistics.median(m for _, m in results["moto_server"])
        print(f"  ratio gureum/moto: ready {base[0] / m_ready:.2f}x, RSS {base[1] / m_rss:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
