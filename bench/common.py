"""What the benchmarks share, so that each script holds only its workload and its figures:

- `free_port()`: a port free for both TCP and UDP on 127.0.0.1 (DNS serves both);
- `Server`: one server subprocess on loopback (a peer such as MiniStack, moto_server or
  docker-registry), started, polled until its health URL answers 2xx, stopped (SIGTERM, then
  SIGKILL after a grace period); `ministack_server()` and `moto_server()` build the two peers;
- `Gureum`: a `Server` running `python -m gureum up` from a source tree (this checkout, or a
  baseline exported next to it) on a data dir of its own (a fresh temporary one unless given),
  with free ports; ready once /_gureum/health answers 200 and names the `services` wanted in
  one of `states`; `spawn()` again after `stop()` restarts it on the same data, new ports;
- `measure_each()`: a workload run against each server in turn (gureum, then its peers);
- `wait_until()`: polling with a deadline, failing at once when the process being waited
  for has exited (a poll, never a fixed sleep, is how a benchmark waits);
- `client()`: a boto3 client for a local endpoint (us-east-1, test keys, no retries unless
  asked: a benchmark counts what the server answers, not what a client retried);
- `LAMBDA_TRUST` and `zip_package()`: a role Lambda may assume and a function's code;
- `dnsperf()`: one dnsperf run against a local DNS port, its figures parsed;
- measurements: `timed()` (ms per call), `p50_rate()` (p50 ms and calls/s of a sequence),
  `run_threads()` (wall time of n threads' work), `median()`, `pct()` (nearest rank),
  `ratio()`, `tree_rss_kib()` (a process tree's RSS).

Scripts run as `python bench/<name>/run.py`: they put the checkout's root (`ROOT`) on
sys.path and import `bench.common`. Nothing here reaches into gureum's own modules: a
baseline tree is started the same way as this checkout.
"""

from __future__ import annotations

import io
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Self, TypeVar

ROOT = Path(__file__).resolve().parents[1]
REGION = "us-east-1"
START_TIMEOUT = 120.0  # seconds a server may take to become ready (a bulk-loaded store starts slowly)
POLL = 0.05  # seconds between readiness polls: real time, a benchmark waiting for a process

T = TypeVar("T")

# The trust policy of a role Lambda may assume (CreateRole's AssumeRolePolicyDocument).
LAMBDA_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


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


def wait_until(cond: Callable[[], T], what: str, timeout: float = START_TIMEOUT, interval: float = POLL,
               proc: subprocess.Popen[bytes] | None = None) -> T:
    """Poll `cond` until it returns something true and return that; a RuntimeError when
    `timeout` seconds pass first, or as soon as `proc` (what is being waited for) exits."""
    deadline = time.monotonic() + timeout
    while True:
        got = cond()
        if got:
            return got
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what}: the process exited with {proc.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def answers(url: str) -> bool:
    """Whether `url` answers a GET with a 2xx status now."""
    try:
        with urllib.request.urlopen(url, timeout=1) as resp:
            resp.read()
        return True
    except OSError:  # refused, reset, timed out, or an HTTP error status
        return False


def client(endpoint: str, service: str, *, key: str = "test", secret: str = "test", retries: int | None = 0,
           **config: Any) -> Any:
    """A boto3 client of `service` at `endpoint` (us-east-1). `retries` is botocore's
    max_attempts (None: botocore's default); `config` goes to botocore's Config as is
    (read_timeout, max_pool_connections, signature_version, ...)."""
    import boto3
    from botocore.config import Config

    if retries is not None:
        config = {"retries": {"max_attempts": retries}, **config}
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION, aws_access_key_id=key,
                        aws_secret_access_key=secret, config=Config(**config))


class Server:
    """One server subprocess listening on `host:port`, ready once GET `health_path` answers
    2xx. Its output goes to `log` (appended) or nowhere. `start()` spawns it and waits."""

    def __init__(self, name: str, cmd: Sequence[str], port: int, *, health_path: str = "/",
                 env: dict[str, str] | None = None, cwd: Path = ROOT, host: str = "127.0.0.1",
                 log: Path | None = None) -> None:
        self.name = name
        self.cmd = list(cmd)
        self.port = port
        self.host = host
        self.health_path = health_path
        self.env = env
        self.cwd = cwd
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def process(self) -> subprocess.Popen[bytes]:
        """The running process (an error before `spawn`)."""
        if self.proc is None:
            raise RuntimeError(f"{self.name} is not running")
        return self.proc

    def command(self) -> list[str]:
        return self.cmd

    def spawn(self) -> None:
        """Start the process without waiting (a caller may time what it waits for)."""
        cmd = self.command()
        if self.log is None:
            self.proc = subprocess.Popen(cmd, env=self.env, cwd=str(self.cwd), stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
            return
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(cmd, env=self.env, cwd=str(self.cwd), stdout=out, stderr=subprocess.STDOUT)

    def ready(self) -> bool:
        return answers(self.endpoint + self.health_path)

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        try:
            wait_until(self.ready, f"{self.name} to become ready", timeout, proc=self.process)
        except RuntimeError as e:
            tail = self.log.read_text(errors="replace")[-2000:] if self.log is not None and self.log.exists() else ""
            raise RuntimeError(f"{self.name} did not start ({e})" + (f"; its log ends:\n{tail}" if tail else "")) from None

    def start(self, timeout: float = START_TIMEOUT) -> Self:
        """Spawn and wait until ready; returns itself. A server that does not start is stopped."""
        self.spawn()
        try:
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM, then SIGKILL if it is still running `timeout` seconds later."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def client(self, service: str, **kwargs: Any) -> Any:
        return client(self.endpoint, service, **kwargs)


class Gureum(Server):
    """`python -m gureum up` from `tree` on `data` (when not given, a new temporary directory
    whose name starts with `prefix`) with free ports (`dns_port` may be fixed, e.g. 53); `args` go on its command line after the
    ports and data dir, `settings` as `--set KEY=VALUE`. Ready once /_gureum/health answers
    200 (every component serving) with each of `services` in one of `states` (`available`: an
    idle service, started on first use)."""

    def __init__(self, data: Path | str | None = None, *, args: Sequence[str] = (), settings: Sequence[str] = (),
                 services: Sequence[str] = (), states: Sequence[str] = ("running", "available"), tree: Path = ROOT,
                 host: str = "127.0.0.1", dns_port: int | None = None, log: Path | None = None,
                 prefix: str = "gureum-bench-", name: str = "gureum") -> None:
        self.data = Path(data) if data is not None else Path(tempfile.mkdtemp(prefix=prefix))
        self.args = list(args)
        self.settings = list(settings)
        self.services = list(services)
        self.states = tuple(states)
        self.tree = tree
        self.fixed_dns_port = dns_port
        self.dns_port = dns_port if dns_port is not None else free_port()
        path = os.pathsep.join(p for p in (str(tree), os.environ.get("PYTHONPATH", "")) if p)
        super().__init__(name, [], free_port(), health_path="/_gureum/health", env=dict(os.environ, PYTHONPATH=path),
                         cwd=tree, host=host, log=log)
        self._spawned = False

    def command(self) -> list[str]:
        return [sys.executable, "-m", "gureum", "up", "--host", self.host, "--port", str(self.port),
                "--dns-port", str(self.dns_port), "--data-dir", str(self.data), *self.args,
                *[a for kv in self.settings for a in ("--set", kv)]]

    def spawn(self) -> None:
        if self._spawned:  # a restart: fresh ports, as the old ones may linger
            self.port = free_port()
            self.dns_port = self.fixed_dns_port if self.fixed_dns_port is not None else free_port()
        self._spawned = True
        self.data.mkdir(parents=True, exist_ok=True)
        super().spawn()

    def health(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.endpoint + self.health_path, timeout=1) as resp:
            doc: dict[str, Any] = json.load(resp)
        return doc

    def ready(self) -> bool:
        try:
            services = self.health()["services"]
        except OSError:  # not listening yet, or 503 while a component starts
            return False
        return all(services.get(s, {}).get("state") in self.states for s in self.services)

    def rss_mib(self) -> float:
        """Resident memory of the node and its child processes, MiB."""
        return tree_rss_kib(self.process.pid) / 1024


def peer_exe(name: str) -> str | None:
    """A peer's executable: on PATH or beside this Python (where pip installs it); None when
    it is not installed."""
    exe = shutil.which(name) or str(Path(sys.executable).parent / name)
    return exe if os.path.exists(exe) else None


def ministack_server() -> Server | None:
    """MiniStack (pip `ministack`), not started yet; None when it is not installed."""
    exe = peer_exe("ministack")
    if exe is None:
        return None
    port = free_port()
    return Server("ministack", [exe], port, health_path="/_ministack/health",
                  env=dict(os.environ, GATEWAY_PORT=str(port), LOG_LEVEL="WARNING"))


def moto_server() -> Server | None:
    """moto's server (pip `moto[server]`), not started yet; None when it is not installed."""
    exe = peer_exe("moto_server")
    if exe is None:
        return None
    port = free_port()
    return Server("moto_server", [exe, "-p", str(port)], port, health_path="/moto-api/")


def zip_package(files: dict[str, str | bytes]) -> bytes:
    """A Lambda deployment package: a zip of `files` (name -> content)."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def export_tree(rev: str, prefix: str = "gureum-bench-against-") -> Path:
    """A directory holding source tree `rev`: the directory itself if it is one, else the git
    revision of this checkout exported (`git archive`) to a new temporary directory (the
    caller removes it)."""
    if Path(rev).is_dir():
        return Path(rev).resolve()
    work = Path(tempfile.mkdtemp(prefix=prefix))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(work, filter="data")
    return work


def measure_each(servers: dict[str, Callable[[], Server | None]], measure: Callable[[str, Server], T],
                 stop_timeout: float = 60.0) -> dict[str, T]:
    """name -> `measure(name, server)` for each server in turn (built, started, measured,
    stopped before the next one starts); a server whose maker returns None (a peer that is not
    installed) is passed over."""
    out: dict[str, T] = {}
    for name, make in servers.items():
        server = make()
        if server is None:
            continue
        server.start()
        try:
            out[name] = measure(name, server)
        finally:
            server.stop(stop_timeout)
    return out


def timed(fn: Callable[[], object], n: int) -> list[float]:
    """Milliseconds of each of `n` sequential calls of `fn`."""
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def p50_rate(fn: Callable[[int], object], n: int) -> tuple[float, float]:
    """(p50 ms, calls per second) of `fn(0)` .. `fn(n - 1)` called one after another."""
    times = []
    t0 = time.perf_counter()
    for i in range(n):
        t = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t)
    total = time.perf_counter() - t0
    return statistics.median(times) * 1000, n / total


def run_threads(n: int, work: Callable[[int], None]) -> float:
    """Run `work(0)` .. `work(n - 1)` in `n` threads at once; the seconds until all are done.
    Call it before reading what the threads count (`x / run_threads(...)` reads `x` first)."""
    import threading

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


def dnsperf(port: int, queries: Path, seconds: int, clients: int, outstanding: int, *extra: str) -> dict[str, float]:
    """One run of Debian's dnsperf against 127.0.0.1:`port` with the query file `queries`:
    qps, lost, sent and average latency_ms (NaN for what its output does not say)."""
    import re

    out = subprocess.run(["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", str(queries), "-l", str(seconds),
                          "-c", str(clients), "-q", str(outstanding), *extra], capture_output=True, text=True,
                         timeout=seconds + 60, check=False).stdout

    def grab(pattern: str) -> float:
        m = re.search(pattern, out)
        return float(m.group(1)) if m else math.nan

    return {"qps": grab(r"Queries per second:\s+([\d.]+)"), "lost": grab(r"Queries lost:\s+(\d+)"),
            "sent": grab(r"Queries sent:\s+(\d+)"), "latency_ms": 1000 * grab(r"Average Latency \(s\):\s+([\d.]+)")}


def start_nsd(work: Path, zones: Iterable[tuple[str, str]], servers: int = 1) -> tuple[subprocess.Popen[bytes], int, float]:
    """NSD (Debian's `nsd`) in the foreground on 127.0.0.1 and a free port, serving `zones`
    ((name, zone file text) pairs, each written to `work/<name>.zone`) with `servers` server
    processes and no response rate limit; its files under `work` (made here). Returns the
    process, its port and when it was spawned (time.perf_counter(), after the files were
    written)."""
    work.mkdir(parents=True)
    port = free_port()
    conf = [f"""server:
  ip-address: 127.0.0.1
  port: {port}
  username: ""
  zonesdir: "{work}"
  pidfile: "{work}/nsd.pid"
  database: ""
  zonelistfile: "{work}/zone.list"
  xfrdfile: "{work}/xfrd.state"
  xfrdir: "{work}"
  logfile: "{work}/nsd.log"
  server-count: {servers}
  rrl-ratelimit: 0
  verbosity: 0
remote-control:
  control-enable: no
"""]
    for name, text in zones:
        (work / f"{name}.zone").write_text(text)
        conf.append(f"zone:\n  name: {name}\n  zonefile: \"{work}/{name}.zone\"\n")
    (work / "nsd.conf").write_text("".join(conf))
    with open(work / "stderr", "wb") as err:
        spawned = time.perf_counter()
        proc = subprocess.Popen(["nsd", "-d", "-c", str(work / "nsd.conf")], stdout=subprocess.DEVNULL, stderr=err)
    return proc, port, spawned


def median(values: Iterable[float]) -> float:
    """The median, NaN when nothing was measured."""
    got = list(values)
    return statistics.median(got) if got else math.nan


def pct(values: Iterable[float], q: float) -> float:
    """The q-quantile (0..1) by nearest rank: the smallest value with at least a fraction q
    of the values at or below it; NaN when there are none."""
    s = sorted(values)
    if not s:
        return math.nan
    rank = math.ceil(q * len(s) - 1e-9)  # the tolerance: 0.07 * 100 is 7.000000000000001
    return s[min(len(s) - 1, max(0, rank - 1))]


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "nan"


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants (from /proc)."""
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
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, ()))
    return out


def _kib(path: str, field: str) -> int:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kib(pid: int) -> int:
    """VmRSS of `pid` and its descendants (from /proc), KiB."""
    return sum(_kib(f"/proc/{p}/status", "VmRSS:") for p in process_tree(pid))


def tree_pss_kib(pid: int) -> int:
    """Proportional set size of `pid` and its descendants, KiB: pages a forked child shares
    with its parent counted once (VmRSS would count them in each)."""
    return sum(_kib(f"/proc/{p}/smaps_rollup", "Pss:") for p in process_tree(pid))
