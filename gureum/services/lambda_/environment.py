"""One execution environment: a sandboxed runtime process tree plus its Runtime API
endpoint, started once (INIT), then invoked again and again while warm. Whatever goes wrong
(crash, timeout, OOM, a failed init) destroys the whole tree; the scheduler starts a new one.

Isolation (when the host runs isolated sandboxes): the environment gets a network namespace
of its own (gureum/sandbox/netns.py): its Runtime API listens on 127.0.0.1:9001 *inside*
it (as on AWS), and gureum's API is forwarded from 127.0.0.1:<its port> inside
(`AWS_ENDPOINT_URL` points there), gureum's DNS server from 127.0.0.1:53 (the sandbox's
resolv.conf names it); with the task bridge up, the namespace also has an
address on it and reaches ECS task addresses, but not the host there. Nothing else — the
host's loopback listeners, the host, other environments' Runtime APIs, the outside — can
be reached. While no invocation runs (from lambda.freeze_grace, 5 ms, after the runtime
parks its next poll: back-to-back invocations skip a freeze and a thaw each) the tree is
frozen (cgroup freezer); it is thawed when the next invocation is handed over.
Once the tree is gone, its namespace goes back to the host's pool for the next environment.
In plain-process mode the Runtime API is a port on the host's 127.0.0.1 that any local
process could reach: that mode isolates nothing.

A cold start may take a spare (spares.py: `spare_key`, `start_spare`, `adopt`): a sandbox
started earlier with the runtime waiting on stdin, which `start()` then hands the code,
limits and environment instead of starting a process.

The environment writes AWS's log lines (INIT_START, START, END, REPORT) around the
runtime's own output, or with LoggingConfig.LogFormat=JSON AWS's platform events as JSON
objects filtered by SystemLogLevel (platform_log.py). INIT_START names the version that runs (runtimes/versions.py); a
runtime whose toolchain is not installed is installed first (in a thread, once); one running on
the nearest version while its declared one can be built here has that build started in the
background (runtimes/background.py: the invoke does not wait); and one
whose declared version cannot be had runs on the nearest installed version, or, with
lambda.runtime_fallback=refuse, fails its init with Runtime.Unavailable naming what is
missing and measures Duration, Billed Duration, Max Memory Used (from the
cgroup) and Init Duration.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import math
import secrets
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from gureum.sandbox.cgroups import Limits
from gureum.sandbox.netns import Netns, SocketProxy, SocketUdpProxy
from gureum.sandbox.network import NetworkError
from gureum.sandbox.process import Mount, Sandbox, SandboxHost, SandboxSpec
from gureum.services.lambda_ import spares
from gureum.services.lambda_.platform_log import PlatformLog
from gureum.services.lambda_.runtime_api import (
    InitError,
    Invocation,
    Outcome,
    RuntimeApi,
    RuntimeApiServer,
)
from gureum.services.lambda_.runtimes import (
    CLIENTS_DIR,
    OPT_DIR,
    RUNTIME_DIR,
    RUNTIMES,
    TASK_ROOT,
    Launch,
    Toolchain,
    background,
)
from gureum.services.lambda_.runtimes import versions as runtime_versions
from gureum.services.lambda_.runtimes.base import RuntimeUnavailable

log = logging.getLogger("gureum.lambda")

INIT_TIMEOUT = 10.0  # seconds AWS gives the INIT phase (then retried within the first invocation's timeout)
PROVISIONED_INIT_TIMEOUT = 130.0  # a provisioned environment's init: this or the function's timeout, the longer
INIT_CPU_SHARES = 2048  # an init's CPU weight whatever the memory (AWS gives the INIT phase burst CPU)
CREDENTIALS_MARGIN = 60.0  # seconds of credential validity left over after the last invocation ends
TAIL_BYTES = 4096
RUNTIME_API_PORT = 9001  # AWS's: AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001 in a private namespace
_MAX_LINE = 256 * 1024

# What the environment itself resolves an invocation with when the runtime does not answer
_TIMED_OUT = Outcome(b"", "Sandbox.Timedout")
_EXITED = Outcome(b"", "Runtime.ExitError")


def _resolve(fut: asyncio.Future[Outcome], outcome: Outcome) -> None:
    if not fut.done():
        fut.set_result(outcome)


# (timestamp ms, message) batches for (log group, log stream)
LogSink = Callable[[str, str, list[tuple[int, str]]], None]


@dataclass(frozen=True)
class EnvConfig:
    """Everything an environment needs, resolved from the function's configuration."""

    account_id: str
    region: str
    function_name: str
    function_arn: str  # unqualified
    version: str  # "$LATEST" or "1", "2", ...
    runtime: str
    handler: str
    memory_mb: int
    timeout_s: int
    ephemeral_mb: int
    code_dir: Path
    code_sha: str
    architecture: str = "x86_64"
    environment: tuple[tuple[str, str], ...] = ()  # the function's own variables
    credentials: tuple[tuple[str, str], ...] = ()  # AWS_ACCESS_KEY_ID, ... of the execution role
    credentials_expire: float = math.inf  # epoch seconds: environments are retired before this
    layer_dirs: tuple[Path, ...] = ()
    endpoint: str = ""  # gureum's API endpoint, for the function's SDK
    dns: tuple[str, int] | None = None  # gureum's DNS server (forwarded into isolated environments)
    pool_key: str = ""  # environments are shared only between identical configurations
    # container-image functions: the image's root file system and what to run in it
    image_root: Path | None = None
    image_argv: tuple[str, ...] = ()
    image_cwd: str = "/"
    image_env: tuple[tuple[str, str], ...] = ()
    log_format: str = "Text"  # LoggingConfig.LogFormat: JSON sets AWS_LAMBDA_LOG_FORMAT for the runtime client
    app_log_level: str = ""  # LoggingConfig.ApplicationLogLevel (JSON format only)
    system_log_level: str = ""  # LoggingConfig.SystemLogLevel (JSON format only; "" = INFO)
    refuse_fallback: bool = False  # lambda.runtime_fallback=refuse: never run another version than declared
    freeze_grace: float = 0.005  # lambda.freeze_grace: seconds the tree stays unfrozen after the runtime parks its poll
    init_type: str = "on-demand"  # AWS_LAMBDA_INITIALIZATION_TYPE: "provisioned-concurrency" for provisioned environments
    pinned_runtime_arn: str = ""  # runtime management Manual: the only runtime version this may run (runtime_management.py)

    @property
    def provisioned(self) -> bool:
        return self.init_type == "provisioned-concurrency"

    @property
    def log_group(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    def usable_until(self) -> float:
        """Epoch seconds after which no invocation may start in an environment of this
        configuration: one started later could outlive the role credentials it was given
        at init (AWS recycles environments long before theirs expire)."""
        return self.credentials_expire - self.timeout_s - CREDENTIALS_MARGIN


@dataclass
class InvokeResult:
    payload: bytes
    function_error: str | None = None  # "Unhandled" when the function failed
    error_type: str | None = None  # e.g. Runtime.OutOfMemory, Sandbox.Timedout
    log_tail: str = ""
    duration_ms: float = 0.0
    billed_ms: int = 0
    memory_used_mb: int = 0  # known here only when read before returning (Tail, failures); REPORT always has it
    init_ms: float | None = None
    request_id: str = ""
    provisioned: bool = False  # it ran on a provisioned environment (billed at provisioned concurrency's duration price)


class InitFailed(Exception):
    def __init__(self, payload: bytes, error_type: str, init_ms: float, *, timed_out: bool = False) -> None:
        super().__init__(error_type)
        self.payload = payload
        self.error_type = error_type
        self.init_ms = init_ms
        self.timed_out = timed_out  # the runtime was still initialising at the deadline (AWS retries it)


@dataclass
class _Capture:
    """Log lines written while one invocation runs (for X-Amz-Log-Result)."""

    lines: list[str] = field(default_factory=list)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class ExecutionEnvironment:
    def __init__(self, host: SandboxHost, cfg: EnvConfig, sink: LogSink) -> None:
        self.host = host
        self.cfg = cfg
        self.sink = sink
        self.id = secrets.token_hex(16)
        now = datetime.now(timezone.utc)
        self.log_stream = f"{now:%Y/%m/%d}/[{cfg.version}]{self.id}"
        self.api: RuntimeApi | None = None
        self._server: RuntimeApiServer | None = None
        self.sandbox: Sandbox | None = None
        self._reader: asyncio.Task[None] | None = None
        self._exited: asyncio.Task[int] | None = None
        self._capture: _Capture | None = None
        self.init_ms: float | None = None  # reported (then cleared) on the first invoke
        self._reinit_s = 0.0  # an init retried within the first invocation: counted in its duration and timeout
        self.platform = PlatformLog(cfg.log_format, cfg.system_log_level or "INFO", init_type=cfg.init_type)
        self.last_used = time.monotonic()
        self.usable_until = cfg.usable_until()  # epoch seconds (see EnvConfig.usable_until)
        self.alive = False
        self.invocations = 0
        self._loop = asyncio.get_running_loop()
        self._inflight: Invocation | None = None  # the invocation awaiting its outcome
        self._parked_at = 0.0  # loop time the runtime last parked its poll
        self._freeze_timer: asyncio.TimerHandle | None = None  # freezes the tree once idle cfg.freeze_grace
        self._pending: Callable[[], object] | None = None  # the last invocation's END/REPORT, not yet written
        self._peak_fresh = False  # the cgroup's peak was reset since the last invocation
        self._netns: Netns | None = None  # the environment's own network namespace (isolated hosts)
        self._proxies: list[SocketProxy | SocketUdpProxy] = []  # gureum's API (and DNS) forwarded into it
        self._endpoint_inside = ""  # gureum's API as seen from inside that namespace
        self._netns_ports: tuple[tuple[int, ...], tuple[int, ...]] = ((), ())  # what the namespace was asked for
        self._spare_address = ""  # a spare (spares.py): its Runtime API address, until it is taken
        self._staging: Path | None = None  # a spare's /var/task on the host (filled when it is taken)

    # --- logging ---------------------------------------------------------------------
    def _platform(self, line: str | None, now: float | None = None) -> None:
        """A system log line (None: filtered out by SystemLogLevel)."""
        if line is not None:
            self._log(line, now)

    def _log(self, message: str, now: float | None = None) -> None:
        if self._capture is not None:
            self._capture.lines.append(message)
        self.sink(self.cfg.log_group, self.log_stream, [(int((time.time() if now is None else now) * 1000), message)])

    async def _read_output(self, stream: asyncio.StreamReader) -> None:
        buf = b""
        while True:
            chunk = await stream.read(65536)
            if not chunk:
                if buf:
                    self._emit_lines([buf])
                return
            buf += chunk
            if b"\n" not in buf and len(buf) < _MAX_LINE:
                continue
            *lines, buf = buf.split(b"\n")
            if len(buf) >= _MAX_LINE:
                lines.append(buf)
                buf = b""
            self._emit_lines(lines)

    def _emit_lines(self, lines: list[bytes]) -> None:
        ts = int(time.time() * 1000)
        events = []
        for raw in lines:
            text = raw.decode("utf-8", errors="replace").rstrip("\r")
            if self._capture is not None:
                self._capture.lines.append(text)
            events.append((ts, text))
        if events:
            self.sink(self.cfg.log_group, self.log_stream, events)

    # --- spares (spares.py) ---------------------------------------------------------------
    def spare_key(self) -> str | None:
        """Which spares can become this environment (None: it starts without one)."""
        cfg = self.cfg
        if not self.host.isolated or cfg.image_root is not None or cfg.layer_dirs or cfg.provisioned:
            return None
        rt = RUNTIMES.get(cfg.runtime)
        if rt is None or not rt.toolchain().installed:
            return None
        spec, _ = self._spec("")
        argv = spares.zygote_argv(spec.argv)
        if argv is None:
            return None
        mounts = [m for m in spec.mounts if m.dst != TASK_ROOT]
        return repr((cfg.runtime, argv, mounts, spec.system, spec.cwd, spec.tmp_size_mb, spec.limits.pids,
                     sorted(spares.startup_env(spec.env, spec.argv).items()), cfg.endpoint, cfg.dns))

    async def start_spare(self) -> None:
        """Start this environment as a spare: network, Runtime API and the runtime's zygote,
        with no code (an empty /var/task) and none of the function's variables. Raises
        OSError or InitFailed (no network); whatever it had started is destroyed."""
        address = await self._serve_runtime_api()
        try:
            spec, _ = self._spec(address)
            argv = spares.zygote_argv(spec.argv)
            if argv is None:
                raise OSError(f"{self.cfg.runtime} has no zygote")
            self._staging = staging = self.host.work_dir / "spares" / self.id
            await asyncio.to_thread(staging.mkdir, 0o755, True)
            spec.argv = argv
            spec.mounts = [Mount("bind", TASK_ROOT, str(staging)) if m.dst == TASK_ROOT else m for m in spec.mounts]
            spec.env = {"PATH": spec.env.get("PATH", ""), **spares.startup_env(spec.env, spec.argv), spares.SPARE_VARIABLE: "1"}
            spec.stdin_pipe = True
            self.sandbox = await self.host.start(spec, name=self.id[:16])
        except BaseException:
            await self.destroy()
            raise
        self._spare_address = address

    @property
    def spare_ready(self) -> bool:
        """A spare whose zygote still runs (it can be taken)."""
        return bool(self._spare_address) and self.sandbox is not None and self.sandbox.returncode is None

    def adopt(self, cfg: EnvConfig, sink: LogSink) -> None:
        """Make this spare the environment of `cfg` (whose spare_key is this spare's); its
        start() then hands the function over to the waiting runtime."""
        self.cfg = cfg
        self.sink = sink
        self.log_stream = f"{datetime.now(timezone.utc):%Y/%m/%d}/[{cfg.version}]{self.id}"
        self.platform = PlatformLog(cfg.log_format, cfg.system_log_level or "INFO", init_type=cfg.init_type)
        self.last_used = time.monotonic()
        self.usable_until = cfg.usable_until()

    async def _awaken(self, spec: SandboxSpec) -> None:
        """A taken spare: the code into its /var/task, the function's limits on its cgroup,
        the function's environment to its runtime."""
        assert self.sandbox is not None and self._staging is not None
        await asyncio.to_thread(spares.link_tree, self.cfg.code_dir, self._staging)
        self.sandbox.set_limits(spec.limits)
        self.sandbox.feed(spares.payload(spec.env, spec.cwd, spares.zygote_args(spec.argv)))

    # --- lifecycle -------------------------------------------------------------------
    def _spec(self, api_address: str) -> tuple[SandboxSpec, str]:
        cfg = self.cfg
        isolated = self.host.isolated
        if cfg.image_root is not None:  # a container image: its own root, entrypoint and Env
            task_root, runtime_dir = TASK_ROOT, RUNTIME_DIR
            launch = Launch(list(cfg.image_argv), {}, [])
            env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "en_US.UTF-8"}
            env.update(dict(cfg.image_env))
        else:
            rt = RUNTIMES[cfg.runtime]
            task_root = TASK_ROOT if isolated else str(cfg.code_dir)
            runtime_dir = RUNTIME_DIR if isolated else str(CLIENTS_DIR)
            launch = rt.launch(cfg.handler, isolated=isolated, task_root=task_root, runtime_dir=runtime_dir)
            env = {
                "PATH": "/usr/local/bin:/usr/bin:/bin:/opt/bin",
                "LD_LIBRARY_PATH": "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib",
                "LANG": "en_US.UTF-8",
            }
        env.update(launch.env)
        env.update(dict(cfg.environment))
        env.update(
            {
                "_HANDLER": cfg.handler,
                "AWS_REGION": cfg.region,
                "AWS_DEFAULT_REGION": cfg.region,
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{cfg.runtime}" if cfg.image_root is None else "AWS_Lambda_Image",
                "AWS_LAMBDA_FUNCTION_NAME": cfg.function_name,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(cfg.memory_mb),
                "AWS_LAMBDA_FUNCTION_VERSION": cfg.version,
                "AWS_LAMBDA_INITIALIZATION_TYPE": cfg.init_type,
                "AWS_LAMBDA_LOG_GROUP_NAME": cfg.log_group,
                "AWS_LAMBDA_LOG_STREAM_NAME": self.log_stream,
                "AWS_LAMBDA_RUNTIME_API": api_address,
                # Without role credentials, the account's: a 12-digit key id selects it.
                "AWS_ACCESS_KEY_ID": cfg.account_id,
                "AWS_SECRET_ACCESS_KEY": "gureum-lambda",
                "AWS_SESSION_TOKEN": "gureum-lambda-session",
                "LAMBDA_TASK_ROOT": task_root,
                "LAMBDA_RUNTIME_DIR": runtime_dir,
                "TZ": ":UTC",
            }
        )
        if cfg.log_format == "JSON" and cfg.image_root is None:
            env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
            if cfg.app_log_level:
                env["AWS_LAMBDA_LOG_LEVEL"] = cfg.app_log_level
        if cfg.image_root is None and RUNTIMES[cfg.runtime].family == "provided":
            del env["AWS_EXECUTION_ENV"]  # AWS defines it for every runtime but the OS-only ones
        env.update(dict(cfg.credentials))
        if cfg.endpoint:
            env["AWS_ENDPOINT_URL"] = self._endpoint_inside or cfg.endpoint
        mounts = [Mount("bind", TASK_ROOT, str(cfg.code_dir))] if cfg.image_root is None else []
        for layer in cfg.layer_dirs:
            mounts.append(Mount("bind", OPT_DIR, str(layer)))
        mounts += launch.mounts
        spec = SandboxSpec(
            argv=launch.argv,
            env=env,
            mounts=mounts,
            cwd=task_root if cfg.image_root is None else cfg.image_cwd,
            root_dir=str(cfg.image_root) if cfg.image_root is not None else None,
            hostname=f"sandbox-{self.id[:8]}",
            limits=Limits(memory_mb=cfg.memory_mb, cpu_shares=self._init_cpu_shares, pids=1024),
            tmp_size_mb=cfg.ephemeral_mb,
            system=launch.system if isolated else None,
            netns_fd=self._netns.fd if self._netns is not None else None,
        )
        return spec, launch.note

    async def _private_network(self) -> str:
        """The environment's own namespace: its Runtime API and gureum's API port on its
        loopback. Returns AWS_LAMBDA_RUNTIME_API."""
        assert self._server is not None
        target = _endpoint_target(self.cfg.endpoint)
        forward = target[1] if target is not None else None
        api_port = RUNTIME_API_PORT if forward != RUNTIME_API_PORT else RUNTIME_API_PORT + 1
        ports = (api_port,) if forward is None else (api_port, forward)
        udp = (53,) if self.cfg.dns is not None else ()
        self._netns_ports = (ports, udp)
        self._netns = ns = await self.host.network(ports, udp)
        address = await self._server.start(sock=ns.serve_socket(api_port))
        if self.cfg.dns is not None:
            host, port = self.cfg.dns
            dns = SocketUdpProxy(ns.serve_udp_socket(53), ("127.0.0.1" if host in ("0.0.0.0", "") else host, port))
            self._proxies.append(dns)
            await dns.start()
        if target is not None and forward is not None:
            proxy = SocketProxy(ns.serve_socket(forward), target)
            self._proxies.append(proxy)
            await proxy.start()
            self._endpoint_inside = urlsplit(self.cfg.endpoint)._replace(netloc=f"127.0.0.1:{forward}").geturl()
        return address

    def _freeze_idle(self) -> None:
        """Freeze the tree while no invocation runs (after init, and freeze_grace after
        the runtime parks its poll: _parked)."""
        if self.alive and self._inflight is None and self.sandbox is not None:
            self.sandbox.freeze()

    def _parked(self) -> None:
        """The runtime parked its poll (RuntimeApi.on_park), or an invocation ended with
        its poll already parked: the tree is frozen once it has stayed idle freeze_grace
        (at once when that is 0). One timer at a time: when it fires after a later park, it
        waits out that park's grace instead."""
        if self.cfg.freeze_grace <= 0:
            self._loop.call_soon(self._freeze_idle)  # after the current step (an invoke's answer goes out first)
            return
        self._parked_at = self._loop.time()
        if self._freeze_timer is None:
            self._freeze_timer = self._loop.call_at(self._parked_at + self.cfg.freeze_grace, self._freeze_when_idle)

    def _freeze_when_idle(self) -> None:
        self._freeze_timer = None
        if self._inflight is not None or self.api is None or not self.api.parked:
            return  # busy again: its next park arms the timer
        due = self._parked_at + self.cfg.freeze_grace
        if due > self._loop.time():
            self._freeze_timer = self._loop.call_at(due, self._freeze_when_idle)
        else:
            self._freeze_idle()

    def _on_exit(self, _task: asyncio.Task[int]) -> None:
        inv = self._inflight
        if inv is not None:
            _resolve(inv.done, _EXITED)

    @property
    def _init_cpu_shares(self) -> int:
        """The init's CPU weight: a burst for on-demand inits; provisioned environments
        initialise at their memory-proportional share, as on AWS."""
        return self._cpu_shares if self.cfg.provisioned else max(INIT_CPU_SHARES, self._cpu_shares)

    @property
    def _cpu_shares(self) -> int:
        """CPU weight in proportion to memory, as AWS allocates it (1,769 MB = one vCPU)."""
        return max(2, self.cfg.memory_mb * 1024 // 1769)

    async def _serve_runtime_api(self) -> str:
        """A new Runtime API (in the environment's own network namespace on isolated hosts);
        returns AWS_LAMBDA_RUNTIME_API. A network failure fails the init."""
        self.api = RuntimeApi()
        if self.host.isolated:
            self.api.on_park = self._parked
        self._server = server = RuntimeApiServer(self.api)
        if not self.host.private_network:
            return await server.start()
        try:
            return await self._private_network()
        except (OSError, NetworkError) as exc:
            await self.destroy()
            failure = json.dumps({"errorMessage": f"Sandbox network failed: {exc}", "errorType": "Runtime.Unknown"})
            raise InitFailed(failure.encode(), "Runtime.Unknown", 0.0) from None

    async def start(self, *, retry: bool = False, request_id: str = "") -> float:
        """Start the runtime and wait for its first poll (INIT); returns init ms.

        An init still running after INIT_TIMEOUT fails with InitFailed(timed_out=True).
        AWS then retries the init when the first invocation comes, within the function's
        timeout (`retry`; `request_id`: the invocation's). That
        init's time counts in the invocation's duration and timeout, and the REPORT
        line shows no Init Duration."""
        t0 = time.perf_counter()
        budget = INIT_TIMEOUT if not retry else float(self.cfg.timeout_s)
        if self.cfg.provisioned:  # no 10 s limit: 130 s or the function's timeout, the longer
            budget = max(PROVISIONED_INIT_TIMEOUT, float(self.cfg.timeout_s))
        spare, self._spare_address = self._spare_address, ""  # a taken spare: its runtime waits
        address = spare or await self._serve_runtime_api()
        toolchain: Toolchain | None = None
        if self.cfg.image_root is None:
            toolchain = await self._toolchain()
            rt = RUNTIMES[self.cfg.runtime]
            if rt.needs_prepare:  # e.g. the Java client compiled once: blocking, so in a thread
                try:
                    await asyncio.to_thread(rt.prepare)
                except RuntimeUnavailable as exc:  # e.g. no .NET runtime here: the init fails, saying why
                    self._log(f"gureum: {exc}")
                    await self.destroy()
                    raise InitFailed(_runtime_error(exc.error_type, str(exc)), exc.error_type, 0.0) from None
        elif not self.host.isolated:
            await self.destroy()
            message = f"Container image functions need isolated sandboxes (root): {self.host.reason}"
            raise InitFailed(_runtime_error("Runtime.InvalidEntrypoint", message), "Runtime.InvalidEntrypoint", 0.0)
        elif not self.cfg.image_argv:
            await self.destroy()
            message = "ProcessSpawnFailed: the image has no entrypoint or command to run"
            raise InitFailed(_runtime_error("Runtime.InvalidEntrypoint", message), "Runtime.InvalidEntrypoint", 0.0)
        spec, note = self._spec(address)
        if toolchain is not None and not retry:
            self._init_start(toolchain)
        for line in note.splitlines():
            self._log(line)
        if not self.host.isolated and self.host.reason:
            self._log(f"gureum: {self.host.reason}")
        try:
            if spare:
                await self._awaken(spec)
            else:
                self.sandbox = await self.host.start(spec, name=self.id[:16])
        except OSError as exc:
            await self.destroy()
            failure = json.dumps({"errorMessage": f"Runtime failed to start: {exc}", "errorType": "Runtime.InvalidEntrypoint"})
            raise InitFailed(failure.encode(), "Runtime.InvalidEntrypoint", 0.0) from None
        assert self.api is not None and self.sandbox is not None
        loop = asyncio.get_running_loop()
        self._reader = loop.create_task(self._read_output(self.sandbox.stdout))
        self._exited = loop.create_task(self.sandbox.wait())
        self._exited.add_done_callback(self._on_exit)
        started: set[asyncio.Future[Any]] = {self.api.ready, self._exited}
        await asyncio.wait(started, timeout=budget, return_when=asyncio.FIRST_COMPLETED)
        init_ms = (time.perf_counter() - t0) * 1000
        if self.api.ready.done() and self.api.ready.exception() is None:
            if self._init_cpu_shares > self._cpu_shares:
                self.sandbox.set_cpu_shares(self._cpu_shares)
            if not retry and not self.cfg.provisioned:  # a provisioned init is not on any invocation's REPORT
                self.init_ms = init_ms
            else:
                self._reinit_s = init_ms / 1000
            self.alive = True
            if self.api.parked:
                self._freeze_idle()
            return init_ms
        # Init failed: an init error posted by the runtime, the process exiting, or no poll in time.
        err = self.api.ready.exception() if self.api.ready.done() else None
        if not self.api.ready.done():
            self.api.ready.cancel()
        oom = self.sandbox.oom_killed()
        code = self.sandbox.returncode
        await self.destroy()
        payload: bytes
        if isinstance(err, InitError):
            payload, error_type = err.payload, err.error_type
        elif oom:
            error_type = "Runtime.OutOfMemory"
            payload = _runtime_error(error_type, "Runtime exited with error: signal: killed")
        elif code == 127 and self.host.isolated:  # the launcher could not exec the runtime
            error_type = "Runtime.InvalidEntrypoint"
            payload = _runtime_error(error_type, f"RequestId:  Error: fork/exec {spec.argv[0]}: no such file or directory")
        elif code is not None:
            error_type = "Runtime.ExitError"
            payload = _runtime_error(error_type, _exit_reason(code))
        elif not retry and not self.cfg.provisioned:
            self._platform(self.platform.init_report(time.time(), init_ms, None, status="timeout"))
            error_type = "Sandbox.Timedout"
            payload = _runtime_error(error_type, f"INIT phase timed out after {INIT_TIMEOUT:.2f} seconds")
            raise InitFailed(payload, error_type, init_ms, timed_out=True)
        elif self.cfg.provisioned:
            self._platform(self.platform.init_report(time.time(), init_ms, None, status="timeout"))
            error_type = "Sandbox.Timedout"
            payload = _runtime_error(error_type, f"INIT phase timed out after {budget:.2f} seconds")
            raise InitFailed(payload, error_type, init_ms)
        else:  # the retried init used up the invocation's timeout
            self._platform(self.platform.init_report(time.time(), init_ms, None, status="timeout", phase="invoke"))
            message = f"RequestId: {request_id} Error: Task timed out after {self.cfg.timeout_s:.2f} seconds"
            self._log(f"{_iso(time.time())} {request_id} Task timed out after {self.cfg.timeout_s:.2f} seconds")
            raise InitFailed(json.dumps({"errorType": "Sandbox.Timedout", "errorMessage": message}).encode(),
                             "Sandbox.Timedout", init_ms)
        self._platform(self.platform.init_report(time.time(), init_ms, error_type, phase="init" if not retry else "invoke"))
        raise InitFailed(payload, error_type, init_ms)

    def _init_start(self, tc: Toolchain) -> None:
        region = self.cfg.region
        self._platform(self.platform.init_start(time.time(), runtime_versions.label(tc), runtime_versions.version_arn(region, tc),
                                                self.cfg.function_name, self.cfg.version))

    async def _toolchain(self) -> Toolchain:
        """What runs the function's runtime, installed first when it is not (in a thread:
        a first use may fetch it); with lambda.runtime_fallback=refuse, a runtime that
        cannot run as declared fails the init (InitFailed, Runtime.Unavailable)."""
        rt = RUNTIMES[self.cfg.runtime]
        tc = rt.toolchain()
        problem = ""
        if tc.installed and not tc.exact and background.start(rt):  # e.g. a Ruby line built for minutes
            self._log(f"gureum: {rt.name}: building its declared version in the background; this environment runs the nearest")
        if not tc.installed:
            try:
                tc = await asyncio.to_thread(rt.install)
            except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
                problem = f"installing {rt.name} failed: {exc}"
        missing = runtime_versions.missing(tc)
        if problem:
            self._log(f"gureum: {problem}")
        pinned = self.cfg.pinned_runtime_arn
        if pinned and runtime_versions.version_arn(self.cfg.region, tc) != pinned:
            self._init_start(tc)
            message = (f"{rt.name}: the runtime version {pinned} this function is pinned to (UpdateRuntimeOn Manual) "
                       f"is not available here any more")
            self._platform(self.platform.init_report(time.time(), 0.0, "Runtime.Unavailable"))
            await self.destroy()
            raise InitFailed(_runtime_error("Runtime.Unavailable", message), "Runtime.Unavailable", 0.0)
        if self.cfg.refuse_fallback and (missing or problem):
            self._init_start(tc)
            message = f"{rt.name} cannot run as declared here: {missing or problem} (lambda.runtime_fallback=refuse)"
            self._platform(self.platform.init_report(time.time(), 0.0, "Runtime.Unavailable"))
            await self.destroy()
            raise InitFailed(_runtime_error("Runtime.Unavailable", message), "Runtime.Unavailable", 0.0)
        return tc

    async def invoke(self, inv: Invocation, *, capture: bool = False) -> InvokeResult:
        """Run one invocation; on crash, timeout or OOM the environment is destroyed.

        The hot path does only what the caller's answer needs: the outcome is awaited
        directly (the runtime's exit and the timeout resolve the same future), and the
        rest (Max Memory Used from the cgroup, the END and REPORT lines, resetting the
        peak for the next invocation) runs right after the response has gone out,
        unless the log tail is wanted, which needs the REPORT line now."""
        assert self.api is not None and self.sandbox is not None and self.alive
        if self._pending is not None:  # the previous invocation's END/REPORT first
            self._finish_pending()
        cfg = self.cfg
        self.invocations += 1
        self._capture = _Capture() if capture else None
        if not self._peak_fresh:
            self.sandbox.reset_peak()
        self._peak_fresh = False
        now = time.time()
        reinit, self._reinit_s = self._reinit_s, 0.0
        t0 = time.perf_counter() - reinit
        inv.deadline_ms = int((now - reinit) * 1000) + cfg.timeout_s * 1000  # the timeout starts after INIT (or a retried one's start)
        done = inv.done
        self._inflight = inv
        timer = None
        try:
            # The answer to the parked poll is written while the tree is still frozen (the
            # write wakes nobody), then the thaw wakes the runtime with it already waiting:
            # one wake-up of the runtime per hand-over instead of two.
            self.api.submit(inv)
            self.sandbox.thaw()
            # After the hand-over, while the runtime works: START still precedes the
            # function's output, which is read in a later loop step.
            self._platform(self.platform.start(now, inv.request_id, cfg.version), now)
            loop = self._loop
            timer = loop.call_at(loop.time() + max(0.0, cfg.timeout_s - (time.perf_counter() - t0)), _resolve, done, _TIMED_OUT)
            if self._exited is not None and self._exited.done():  # it died while idle
                _resolve(done, _EXITED)
            outcome = await done
        finally:
            if timer is not None:
                timer.cancel()
            self._inflight = None
        duration_ms = (time.perf_counter() - t0) * 1000
        init_ms, self.init_ms = self.init_ms, None
        billed = max(1, math.ceil(duration_ms + (init_ms or 0.0)))
        if outcome is not _TIMED_OUT and outcome is not _EXITED:
            self.api.finish_current()
            error_type = outcome.error_type
            memory_mb = 0
            tail = ""
            if self._capture is not None:
                await asyncio.sleep(0)  # let output already in the pipe reach the Tail first
                memory_mb = self._account(inv.request_id, duration_ms, billed, init_ms, "", error_type)
                tail = self._tail()
            else:
                self._pending = functools.partial(self._account, inv.request_id, duration_ms, billed, init_ms, "", error_type)
                self._loop.call_soon(self._finish_pending)
            if self.api.parked:  # it polled again before this resumed
                self._parked()
            self.last_used = time.monotonic()
            return InvokeResult(
                payload=outcome.payload,
                function_error="Unhandled" if error_type else None,
                error_type=error_type,
                log_tail=tail,
                duration_ms=duration_ms,
                billed_ms=billed,
                memory_used_mb=memory_mb,
                init_ms=init_ms,
                request_id=inv.request_id,
            )
        # The runtime exited or the invocation timed out: the environment is done for.
        oom = self.sandbox.oom_killed()
        code = self.sandbox.returncode
        self.alive = False
        self.sandbox.kill()
        if oom:
            status = "error"
            error_type = "Runtime.OutOfMemory"
            message = "Runtime exited with error: signal: killed"
        elif code is None:
            status = "timeout"
            error_type = "Sandbox.Timedout"
            message = f"Task timed out after {cfg.timeout_s:.2f} seconds"
            self._log(f"{_iso(time.time())} {inv.request_id} {message}")
        else:
            status = "error"
            error_type = "Runtime.ExitError"
            message = _exit_reason(code)
        payload = json.dumps({"errorType": error_type, "errorMessage": f"RequestId: {inv.request_id} Error: {message}"}).encode()
        if status == "error":
            self._log(f"RequestId: {inv.request_id} Error: {message}")
        memory_mb = self._account(inv.request_id, duration_ms, billed, init_ms, status, error_type)
        tail = self._tail()
        self.last_used = time.monotonic()
        await self.destroy()
        return InvokeResult(
            payload=payload,
            function_error="Unhandled",
            error_type=error_type,
            log_tail=tail,
            duration_ms=duration_ms,
            billed_ms=billed,
            memory_used_mb=memory_mb,
            init_ms=init_ms,
            request_id=inv.request_id,
        )

    def _account(self, request_id: str, duration_ms: float, billed: int, init_ms: float | None, status: str, error_type: str | None) -> int:
        """Max Memory Used from the cgroup, then the END and REPORT lines (one batch);
        the peak is reset for the next invocation. Returns Max Memory Used in MB."""
        sandbox = self.sandbox
        peak = sandbox.memory_peak() if sandbox is not None else 0
        memory_mb = math.ceil(peak / (1 << 20)) if peak else 0
        if error_type == "Runtime.OutOfMemory":
            memory_mb = self.cfg.memory_mb
        outcome = "timeout" if status == "timeout" else ("error" if status == "error" or error_type else "success")
        now = time.time()
        lines = [
            self.platform.end(now, request_id, outcome, error_type, duration_ms),
            self.platform.report(now, request_id, duration_ms=duration_ms, billed_ms=billed, memory_mb=self.cfg.memory_mb,
                                 used_mb=memory_mb, init_ms=init_ms, status=outcome, error_type=error_type, text_status=status),
        ]
        shown = [line for line in lines if line is not None]
        ts = int(now * 1000)
        if self._capture is not None:
            self._capture.lines += shown
        if shown:
            self.sink(self.cfg.log_group, self.log_stream, [(ts, line) for line in shown])
        if self.alive and sandbox is not None:
            sandbox.reset_peak()
            self._peak_fresh = True
        return memory_mb

    def _finish_pending(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending()

    def _tail(self) -> str:
        if self._capture is None:
            return ""
        text = "\n".join(self._capture.lines) + "\n"
        self._capture = None
        return text.encode()[-TAIL_BYTES:].decode("utf-8", errors="ignore")

    async def destroy(self) -> None:
        if self._pending is not None:
            self._finish_pending()
        self.alive = False
        if self._freeze_timer is not None:
            self._freeze_timer.cancel()
            self._freeze_timer = None
        if self.sandbox is not None:
            await self.sandbox.destroy()
        if self._exited is not None:
            with contextlib.suppress(Exception):
                await self._exited
            self._exited = None
        if self._reader is not None:
            try:
                await asyncio.wait_for(self._reader, 1.0)
            except (asyncio.TimeoutError, asyncio.CancelledError, Exception):
                pass
            self._reader = None
        if self._server is not None:
            await self._server.stop()
            self._server = None
        proxies, self._proxies = self._proxies, []
        for proxy in proxies:
            await proxy.close()
        if self._netns is not None:
            ns, self._netns = self._netns, None
            if self.sandbox is None or self.sandbox.finished():  # no process left in it: it can serve again
                await self.host.release_network(ns, *self._netns_ports)
            else:
                await ns.aclose()
        self._spare_address = ""
        if self._staging is not None:
            staging, self._staging = self._staging, None
            await asyncio.to_thread(shutil.rmtree, staging, True)


def _endpoint_target(endpoint: str) -> tuple[str, int] | None:
    """Where gureum's API endpoint (an http URL) is reached from the host: it is forwarded
    from the same port on each environment's own loopback."""
    try:
        parts = urlsplit(endpoint)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    if not parts.hostname:
        return None
    host = "127.0.0.1" if parts.hostname == "localhost" else parts.hostname
    return host, port


def _exit_reason(code: int) -> str:
    if code > 128 or code < 0:  # the launcher reports 128+N; a killed launcher shows -N
        import signal

        signum = code - 128 if code > 128 else -code
        try:
            name = signal.Signals(signum).name
        except ValueError:
            name = str(signum)
        names = {"SIGKILL": "killed", "SIGSEGV": "segmentation fault", "SIGABRT": "aborted", "SIGTERM": "terminated"}
        return f"Runtime exited with error: signal: {names.get(name, name.lower())}"
    if code == 0:
        return "Runtime exited without providing a reason"
    return f"Runtime exited with error: exit status {code}"


def _runtime_error(error_type: str, message: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()
