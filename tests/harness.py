"""A real `gureum up` subprocess for end-to-end tests, on free ports with its own data dir."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from waiting import wait_for  # tests/ is on sys.path wherever harness is imported

ROOT = Path(__file__).resolve().parent.parent

# The id of the `unit` test being run, if one is (conftest.py sets it): a test marked unit
# that starts a gureum or a server process is mis-marked, and fails saying so.
unit_test_running: str | None = None


def refuse_in_unit_test(what: str) -> None:
    """Fail when a test marked `unit` starts `what` (a process `make test-fast` must not wait for)."""
    if unit_test_running is not None:
        raise AssertionError(f"{unit_test_running} is marked unit but starts {what}: mark it @pytest.mark.e2e")


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port free for both TCP and UDP (so DNS can use it for both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                u.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
    raise RuntimeError("no free port")


# The suite's functions use runtimes (python3.11, java17, nodejs20.x, ruby3.2, provided.al2)
# whose "block function create" date has passed on AWS's calendar: the shared gureum's
# calendar is pinned before those dates (lambda.runtime_date). The deprecation policy's
# own tests (tests/lambda_/test_runtimes_python.py) move the calendar themselves.
SUITE_RUNTIME_DATE = {"GUREUM_LAMBDA_RUNTIME_DATE": "2026-05-01"}


class GureumProcess:
    def __init__(self, data_dir: Path, extra_args: list[str] | None = None, env: dict[str, str] | None = None,
                 settings_free: bool = False) -> None:
        """`settings_free`: no GUREUM_* variable reaches the node (not even the harness's own),
        so with no `--set` in `extra_args` it runs on every setting's default, as a bare `gureum up`."""
        self.data_dir = data_dir
        self.settings_free = settings_free
        self.port = free_port()
        self.dns_port = free_port()
        self.extra_args = list(extra_args or [])
        self.extra_env = dict(env or {})
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir.parent / f"{data_dir.name}.log"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        """Environment for clients (AWS CLI, SDKs) pointed at this gureum."""
        env = dict(os.environ)
        env.update(
            AWS_ENDPOINT_URL=self.endpoint,
            AWS_ACCESS_KEY_ID="test",
            AWS_SECRET_ACCESS_KEY="test",
            AWS_DEFAULT_REGION="us-east-1",
            AWS_REGION="us-east-1",
            AWS_PAGER="",
        )
        env.pop("AWS_PROFILE", None)
        return env

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "gureum",
            *self.role_args(),
            "--port",
            str(self.port),
            "--dns-port",
            str(self.dns_port),
            "--data-dir",
            str(self.data_dir),
            *self.extra_args,
        ]

    def role_args(self) -> list[str]:
        return ["up", "--host", "127.0.0.1"]

    def start(self, timeout: float = 60.0) -> None:
        refuse_in_unit_test("a gureum process")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cmd = self.command()
        env = {k: v for k, v in os.environ.items() if not (self.settings_free and k.startswith("GUREUM_"))}
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        if not self.settings_free:
            # name what handlers return beyond the output shapes (tests/aws/shape_check.py reads it)
            env.setdefault("GUREUM_API_REPORT_UNMODELED", "1")
        env.update(self.extra_env)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=str(ROOT))
        log.close()
        proc = self.proc

        def ready() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"gureum exited with {proc.returncode}:\n{self.log_tail()}")
            try:
                self.health()
            except OSError:
                return False
            return True

        try:
            wait_for("gureum answering /_gureum/health", ready, timeout, interval=0.02)
        except AssertionError:
            raise RuntimeError(f"gureum did not become ready:\n{self.log_tail()}") from None

    def health(self, starting_ok: bool = False) -> dict[str, Any]:
        """/_gureum/health's document. A node not ready (a component starting with the node,
        or one that failed) answers 503 with the same document: an HTTPError, unless
        `starting_ok`."""
        try:
            with urllib.request.urlopen(self.endpoint + "/_gureum/health", timeout=2) as resp:
                return json.load(resp)
        except urllib.error.HTTPError as e:
            if not starting_ok or e.code != 503:
                raise
            with e:
                return json.load(e)

    def wait_service(self, name: str, state: str = "running", timeout: float = 20.0) -> None:
        last: dict[str, Any] = {}

        def reached() -> bool:
            nonlocal last
            last = self.health(starting_ok=True)["services"].get(name, {})
            return last.get("state") == state

        try:
            wait_for(f"service {name} {state}", reached, timeout, interval=0.05)
        except AssertionError as exc:
            raise RuntimeError(f"{exc}; {name} is {last}:\n{self.log_tail()}") from None

    def descendants(self) -> set[int]:
        """The pids of every live process this gureum started, directly or not (sandboxes,
        runtimes, containers' launchers), read from /proc."""
        if self.proc is None:
            return set()
        parents: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue  # exited meanwhile
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])  # the field after state: ppid
        found: set[int] = set()
        frontier = {self.proc.pid}
        while frontier:
            frontier = {pid for pid, ppid in parents.items() if ppid in frontier and pid not in found}
            found |= frontier
        return found

    def log_tail(self, n: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        code = self.proc.returncode
        self.proc = None
        return code

    def kill9(self) -> None:
        self.stop(signal.SIGKILL)

    def restart(self) -> None:
        self.stop()
        self.start()

    def client(self, service: str, region: str = "us-east-1", **kwargs: Any) -> Any:
        import boto3
        from botocore.config import Config

        cfg = kwargs.pop("config", None) or Config(retries={"max_attempts": 1}, read_timeout=120)
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id=kwargs.pop("aws_access_key_id", "test"),
            aws_secret_access_key=kwargs.pop("aws_secret_access_key", "test"),
            config=cfg,
            **kwargs,
        )

    def aws(self, *args: str, check: bool = True, input: str | None = None) -> Any:
        """Run the AWS CLI against this gureum; returns parsed JSON output (or text)."""
        cmd = [sys.executable, "-m", "awscli", *args, "--output", "json"]
        res = subprocess.run(cmd, env=self.env, capture_output=True, text=True, input=input, timeout=120)
        if check and res.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} failed ({res.returncode}): {res.stderr}")
        if not check:
            return res
        out = res.stdout.strip()
        return json.loads(out) if out.startswith(("{", "[")) else out


class AgentProcess(GureumProcess):
    """A `gureum agent` joined to `state` (PostgreSQL) and the API node `api`; its own
    listener (health only) is on `port`."""

    def __init__(self, data_dir: Path, state: str, api: GureumProcess, extra_args: list[str] | None = None) -> None:
        super().__init__(data_dir, extra_args)
        self.state = state
        self.api = api

    def role_args(self) -> list[str]:
        return ["agent", "--state", self.state, "--endpoint", self.api.endpoint]
