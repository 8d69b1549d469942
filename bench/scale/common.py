"""What the scale benchmarks share: start and stop a `gureum up` on a data dir of their own
(free ports, loopback only), boto3 clients, RSS of a process tree, percentiles."""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A port free for both TCP and UDP on 127.0.0.1."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
    raise RuntimeError("no free port")


class Node:
    """One `gureum up` subprocess on `data`; `start()` may be called again after `stop()`."""

    def __init__(self, data: Path, settings: list[str] | None = None, service: str = "route53") -> None:
        self.data = data
        self.settings = settings or []
        self.service = service
        self.proc: subprocess.Popen[bytes] | None = None
        self.endpoint = ""
        self.dns_port = 0

    def spawn(self) -> None:
        """Start the process without waiting (the caller times what it waits for)."""
        http, self.dns_port = free_port(), free_port()
        self.endpoint = f"http://127.0.0.1:{http}"
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        self.data.mkdir(parents=True, exist_ok=True)
        with open(self.data.parent / (self.data.name + ".log"), "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gureum", "up", "--host", "127.0.0.1", "--port", str(http), "--dns-port", str(self.dns_port),
                 "--data-dir", str(self.data), "--log-level", "warning", *[a for kv in self.settings for a in ("--set", kv)]],
                env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(ROOT))

    def wait_running(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"gureum exited ({self.proc.returncode}); see {self.data}.log")
            try:
                with urllib.request.urlopen(self.endpoint + "/_gureum/health", timeout=1) as r:
                    if json.load(r)["services"].get(self.service, {}).get("state") in ("running", "available"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"gureum did not start within {timeout} s")

    def start(self) -> None:
        self.spawn()
        self.wait_running()

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    def rss_mib(self) -> float:
        """Resident memory of the node and its child processes, MiB."""
        assert self.proc is not None
        return tree_rss_kib(self.proc.pid) / 1024

    def client(self, service: str, account: str = "000000000000", **config: Any) -> Any:
        return boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1", aws_access_key_id=account,
                            aws_secret_access_key="test",
                            config=Config(**{"retries": {"max_attempts": 0}, "read_timeout": 120, "max_pool_connections": 64, **config}))


def tree_rss_kib(pid: int) -> int:
    """VmRSS of `pid` and its descendants (from /proc), KiB."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(children.get(p, ()))
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of `values` (nearest rank)."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q * len(s) + 0.5)) - 1))] if s else float("nan")


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "nan"
