"""The running gureum node: owns the store, the blob store, the listeners and every
background component, all under one TaskGroup; routes each HTTP request to the AWS wire
layer, gureum's own endpoints or a non-AWS edge route (the OCI registry, ...).

What services share through it (docs/CONVENTIONS.md):
- `app.parts` (gureum/slots.py): live objects by typed slot (engines, lazy singletons);
- `app.settings(Cls)` (gureum/settings.py): a package's typed settings, read once per node;
  every class a manifest declares is read before the listener starts (a bad value stops
  the start with a message naming the setting);
- `app.every(interval, fn, name=...)` (gureum/periodic.py): periodic loops owned by the node;
- `app.logs` / `app.ledger`: the node's one log writer and one usage ledger, started on
  first use and flushed when the node stops (after every component has ended);
- the node roster (gureum/roster.py): registered at start, beaten while it runs, marked
  leaving when the stop begins and left, its claims handed over, once every component ended.

Idle components (issue 28, a leaner node): a component whose manifest gives it an `Idle`
is not started, nor its module imported, until it has work (gureum/services/manifest.py
`Idle`): `wake_service` (the AWS edge and internal calls), `wake_package` (ports, edge
routes that answered), `wake_component` (one component needs another: the resolver's first
query wakes the registry's root zones) and a look at its store tables at start and every
`components.wake_interval` seconds while any idles (`_watch_idle`). It reports `idle` in
/_gureum/health (ready, as a running one; the services it backs say `available`, as a
service with no component does, and `running` once their components run); one woken once the node serves does not make it
unready while it starts (its services answer already). A `gureum agent` starts its
components at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gureum import periodic
from gureum.config import Config
from gureum.http.limits import HttpLimits
from gureum.http.server import HttpServer, Request, Response
from gureum.node_settings import NODE_SETTINGS, BillingSettings, ComponentSettings, HttpSettings, StorageSettings
from gureum.services import registry
from gureum.settings import SettingsCache, flag
from gureum.slots import Parts

if TYPE_CHECKING:
    from gureum.billing.ledger import Ledger
    from gureum.blobs import BlobStore
    from gureum.roster import Roster
    from gureum.services.logs.writer import LogWriter
    from gureum.store import Store
    from gureum.store.base import Txn

log = logging.getLogger("gureum")


class AlreadyRunning(Exception):
    """Another gureum holds the data directory."""


class DataDirLock:
    """An exclusive flock on <data_dir>/gureum.lock, held while the node runs."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "gureum.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            other = os.pread(fd, 64, 0).decode(errors="replace").strip()
            os.close(fd)
            raise AlreadyRunning(
                f"another gureum (pid {other or '?'}) is already running on {self.path.parent}"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class App:
    """One gureum node. Services reach shared machinery through it (ctx.app)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.started = time.time()
        self.store: Store = None  # type: ignore[assignment]  # set in start()
        self._blobs: BlobStore | None = None
        self.http_address: tuple[str, int] = (config.host, config.port)
        self._dns_address: tuple[str, int] | None = None
        self.notes = _Notes()  # shown in the banner (e.g. "DNS fell back to 10053")
        self.banner_printed = False
        self.parts = Parts()  # live objects by typed slot (gureum/slots.py)
        self.settings = SettingsCache(config.setting)  # app.settings(Cls): typed, read once
        self._logs: LogWriter | None = None
        self._ledger: Ledger | None = None
        self._status: dict[str, tuple[str, str]] = {}
        # component name -> the services it backs, for components started (or turned off)
        self._components: dict[str, tuple[str, ...]] = {}
        self._disabled: set[str] = set()
        # idle components (not started until they have work): name -> (entry, services it backs)
        self._idle: dict[str, tuple[str, tuple[str, ...]]] = {}
        # service -> the idle components a call of it wakes (worked out once while _idle is unchanged)
        self._idle_wakes: dict[str, list[str]] = {}
        self._reached: set[str] = set()  # packages called or reached on this node (wake_*)
        self._deciding = True  # the start's look at the idle components' tables is not done
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: asyncio.TaskGroup | None = None
        self._http: HttpServer | None = None
        self._lock: DataDirLock | None = None
        self._stopping = asyncio.Event()
        self._node_id: str | None = None

    @property
    def dns_address(self) -> tuple[str, int] | None:
        return self._dns_address

    @dns_address.setter
    def dns_address(self, value: tuple[str, int] | None) -> None:
        """Set by the DNS component once bound; announced if the banner is already out."""
        self._dns_address = value
        if value is not None and self.banner_printed:
            print(f"  DNS        {value[0]}:{value[1]} (UDP+TCP)", flush=True)

    @property
    def node_id(self) -> str:
        """This node's stable identity (kept in its data dir)."""
        if self._node_id is None:
            from gureum.node import node_identity

            self._node_id = node_identity(self.data_dir)
        return self._node_id

    @property
    def is_agent(self) -> bool:
        """A `gureum agent`: runs tasks for a shared store, serves no AWS API."""
        return self.config.role == "agent"

    @property
    def api_address(self) -> tuple[str, int]:
        """Where this cloud's AWS APIs and registry answer: this node's listener, or for an
        agent the node named by --endpoint."""
        if self.config.api_endpoint:
            from urllib.parse import urlsplit

            u = urlsplit(self.config.api_endpoint)
            return (u.hostname or "127.0.0.1", u.port or (443 if u.scheme == "https" else 80))
        return self.http_address

    # --- shared machinery ---------------------------------------------------------
    @property
    def data_dir(self) -> Path:
        return self.config.data_dir

    @property
    def blob_dir(self) -> Path:
        """Where the content-addressed stores live (blobs/, s3/, registry/): the data dir, or
        `--set storage.blob_dir=PATH`, a directory several nodes sharing one PostgreSQL store
        can share (a network file system), so each serves what the others stored."""
        shared = self.settings(StorageSettings).blob_dir
        return shared if shared is not None else self.data_dir

    @property
    def blobs(self) -> BlobStore:
        if self._blobs is None:
            from gureum.blob_stores import open_store

            self._blobs = open_store(self, "blobs")
        return self._blobs


    def set_status(self, name: str, state: str, reason: str = "") -> None:
        """Report a service's state for /_gureum/health: available, running, starting,
        disabled or failed, with a reason where it helps."""
        self._status[name] = (state, reason)

    def status(self) -> dict[str, dict[str, str]]:
        out: dict[str, dict[str, str]] = {}
        for name in () if self.is_agent else registry.SERVED:
            if name in self._status:
                state, reason = self._status[name]
            elif name in registry.API_MODULES:
                state, reason = "available", ""
            else:
                state, reason = "disabled", "not implemented yet"
            out[name] = {"state": state, "reason": reason} if reason else {"state": state}
        for name, (state, reason) in self._status.items():
            if name not in out:
                out[name] = {"state": state, "reason": reason} if reason else {"state": state}
        return out

    def component_states(self) -> dict[str, dict[str, str]]:
        """Each background component's state: `running` once every service it backs reports
        running (a component reports through `set_status`), `starting` before, `failed`, or
        `disabled` by configuration."""
        out: dict[str, dict[str, str]] = {}
        for name, services in self._components.items():
            if name in self._disabled:
                out[name] = {"state": "disabled"}
                continue
            if name in self._idle:  # (while the node looks whether it has work: starting)
                out[name] = {"state": "starting" if self._deciding else "idle"}
                continue
            states = [self._status.get(svc, ("available", ""))[0] for svc in services]
            failed = [svc for svc in services if self._status.get(svc, ("", ""))[0] == "failed"]
            if failed:
                out[name] = {"state": "failed", "reason": self._status[failed[0]][1]}
            elif all(st in ("running", "available", "disabled") for st in states):
                out[name] = {"state": "running"}
            else:
                out[name] = {"state": "starting"}
        return out

    # --- idle components ------------------------------------------------------------
    def wake_service(self, service: str) -> None:
        """`service` is called: start the idle components that back it (or name it in `also`)."""
        package = registry.SERVICE_PACKAGES.get(service)
        if package is not None and package not in self._reached:
            self._reached.add(package)
        if self._idle:
            wakes = self._idle_wakes.get(service)
            if wakes is None:
                wakes = self._idle_wakes[service] = [
                    c for c, (_, backs) in list(self._idle.items()) if service in backs or service in _also(c)]
            if wakes:
                self._wake(list(wakes))

    def wake_package(self, package: str | None) -> None:
        """`package` is reached (a port, an edge route that answered): start its idle components."""
        if package is None:
            return
        self._reached.add(package)
        if self._idle:
            self._wake([c for c in list(self._idle) if registry.COMPONENT_PACKAGES[c] == package])

    def wake_component(self, name: str) -> None:
        """Start idle component `name`: another component needs what it serves (the resolver
        iterates from the root zone `domains-registry` serves)."""
        if name in self._idle:
            self._wake([name])

    def reached(self, package: str) -> bool:
        """Whether `package` was called or reached on this node, or runs a component here."""
        return package in self._reached or any(
            registry.COMPONENT_PACKAGES.get(c) == package and c not in self._idle for c in self.running_components())

    def _wake(self, names: list[str]) -> None:
        if not names:
            return
        loop = self._loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is not None and running is not loop:  # from a worker thread
            loop.call_soon_threadsafe(self._start_idle, names)
        else:
            self._start_idle(names)

    def _start_idle(self, names: list[str]) -> None:
        """Start the idle components `names` (those still idle; none before the node runs:
        it decides then, with what was called meanwhile)."""
        if self._tasks is None:
            return
        if self._deciding:
            # with the node, the components backing a service start together (one of them
            # reports it running: health waits for that)
            backed = {svc for c in names if c in self._idle for svc in self._idle[c][1]}
            names = [*names, *(c for c, (_, backs) in self._idle.items() if c not in names and backed.intersection(backs))]
        for cname in names:
            spec = self._idle.pop(cname, None)
            if spec is None:
                continue
            self._idle_wakes.clear()
            entry, services = spec
            log.info("component %s starts: it has work", cname)
            if self._deciding:  # with the node: health is 503 until it serves, as any component
                for svc in services or (cname,):
                    self.set_status(svc, "starting")
            # (woken once the node serves: the service answers already, and another component
            # backing it may have reported it running; it is not taken out of service meanwhile)
            self._tasks.create_task(self._run_component(cname, entry, services), name=cname)

    def _idle_start_now(self, cname: str) -> bool:
        """Whether idle component `cname` starts with the node: a setting wants it, or its
        services were called before the node ran."""
        idle = registry.IDLE[cname]
        if idle.start_if is not None:
            raw = (self.config.setting(idle.start_if) or "").strip().lower()
            if raw and raw not in ("0", "0.0", "false", "no", "off"):
                return True
        return registry.COMPONENT_PACKAGES[cname] in self._reached

    async def _tables_with_rows(self) -> set[str]:
        """Which of the idle components' wake tables hold a row."""
        tables = sorted({t for c in self._idle for t in registry.IDLE[c].tables})
        if not tables:
            return set()

        def look(txn: Txn) -> set[str]:
            return {t for t in tables if txn.scan(t, limit=1)}

        found: set[str] = await self.store.read(look)
        return found

    async def _wake_on_tables(self) -> None:
        found = await self._tables_with_rows()
        if found:
            self._start_idle([c for c in self._idle if found.intersection(registry.IDLE[c].tables)])

    async def _watch_idle(self, interval: float) -> None:
        """While some component idles, look for rows in its wake tables every `interval`
        seconds (work another node wrote to a shared store, or written around the API)."""
        while self._idle:
            await asyncio.sleep(interval)
            try:
                await self._wake_on_tables()
            except Exception:  # a store hiccup: look again next time
                log.warning("could not look for idle components' work", exc_info=True)

    def ready(self) -> bool:
        """Whether the node serves (/_gureum/health answers 200): every component runs, idles or
        is turned off."""
        return all(state["state"] in ("running", "disabled", "idle") for state in self.component_states().values())

    @property
    def running(self) -> bool:
        """Whether the node runs (its TaskGroup is up: spawn and every may be called)."""
        return self._tasks is not None

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Run a background task owned by the node's TaskGroup (cancelled on shutdown)."""
        assert self._tasks is not None, "app not started"
        return self._tasks.create_task(_guard(coro, name), name=name)

    def every(
        self, interval: float, fn: periodic.Job, *, name: str, jitter: float = 0.1, first: float | None = None
    ) -> asyncio.Task[Any]:
        """Run `fn()` every `interval` seconds (+-`jitter` of it; the first time after `first`
        seconds, default one interval) in a task owned by the node, until shutdown. A run
        that raises is logged under `name` and the loop goes on (gureum/periodic.py)."""
        return self.spawn(periodic.run_every(interval, fn, name=name, jitter=jitter, first=first), name)

    @property
    def logs(self) -> LogWriter:
        """The node's one CloudWatch Logs writer (batched; started on first use, flushed when
        the node stops)."""
        if self._logs is None:
            from gureum.services.logs.settings import LogsSettings
            from gureum.services.logs.writer import LogWriter

            s = self.settings(LogsSettings)
            self._logs = LogWriter(self.store, interval=s.flush_interval, expire_every=s.retention_interval)
            if self._tasks is not None:
                self.spawn(self._logs.run(), "logs-writer")
        return self._logs

    @property
    def ledger(self) -> Ledger:
        """The node's one usage ledger (batched; started on first use, flushed when the node
        stops)."""
        if self._ledger is None:
            from gureum.billing.ledger import Ledger

            self._ledger = Ledger(self.store, interval=self.settings(BillingSettings).flush_interval)
            if self._tasks is not None:
                self.spawn(self._ledger.run(), "billing-ledger")
        return self._ledger

    async def _flush_sinks(self) -> None:
        """Write what the log writer and the ledger still buffer (after every component has
        stopped, so their last lines and rows are in)."""
        for sink in (self._logs, self._ledger):
            if sink is not None:
                await sink.flush()

    def read_settings(self) -> None:
        """Read every settings class a manifest declares (a bad value stops the start, with a
        message naming the setting: gureum.settings.SettingError). With no setting given at
        all (no --set, no GUREUM_* variable) every value is its class's default and none can
        be bad: the packages' classes are then read when their components first use them,
        which keeps their imports (~15 ms) off the start."""
        given = bool(self.config.settings) or any(name.startswith("GUREUM_") for name in os.environ)
        for cls in (*NODE_SETTINGS, *(registry.settings_classes() if given else ())):
            self.settings(cls)
        if self.settings(StorageSettings).blobs == "postgres":
            _ = self.blobs  # storage.blobs=postgres without a PostgreSQL store stops the start
        for cname in registry.COMPONENTS:
            flag(self.config.setting, f"{cname}.enabled", True)

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    # --- lifecycle ----------------------------------------------------------------
    async def serve(self, on_ready: Callable[[App], None] | None = None) -> None:
        """Start everything, run until stop() (or a signal), then shut down cleanly."""
        from gureum.store import open_store

        cfg = self.config
        roster: Roster | None = None
        self.read_settings()
        cfg.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock = DataDirLock(cfg.data_dir)
        self._lock.acquire()
        try:
            self.store = open_store(cfg.state)
            self._http = HttpServer(self.handle, HttpLimits.from_settings(self.settings(HttpSettings)))
            self.http_address = await self._http.start(cfg.host, cfg.port)
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                try:
                    loop.add_signal_handler(sig, self.stop)
                except (NotImplementedError, RuntimeError):
                    pass
            async with asyncio.TaskGroup() as tg:
                self._tasks = tg
                self._loop = loop
                for sink, sink_name in ((self._logs, "logs-writer"), (self._ledger, "billing-ledger")):
                    if sink is not None:  # used before the node ran
                        self.spawn(sink.run(), sink_name)
                lazy = self.settings(ComponentSettings).lazy and not self.is_agent
                for cname, (entry, services) in registry.COMPONENTS.items():
                    if self.is_agent and cname not in registry.AGENT_COMPONENTS:
                        continue
                    self._components[cname] = services or (cname,)
                    if not flag(cfg.setting, f"{cname}.enabled", True):
                        self._disabled.add(cname)
                        for svc in services or (cname,):
                            self.set_status(svc, "disabled", "turned off by configuration")
                        continue
                    if lazy and cname in registry.IDLE:
                        self._idle[cname] = (entry, services)
                        self._idle_wakes.clear()
                        continue
                    for svc in services or (cname,):
                        self.set_status(svc, "starting")
                    tg.create_task(self._run_component(cname, entry, services), name=cname)
                self._start_idle([c for c in self._idle if self._idle_start_now(c)])
                if self._idle:
                    await _best_effort(self._wake_on_tables(), "look for idle components' work")
                self._deciding = False
                if self._idle:
                    self.spawn(self._watch_idle(self.settings(ComponentSettings).wake_interval), "idle-components")
                roster = await self._join_roster()
                if on_ready is not None:
                    on_ready(self)
                self.banner_printed = True
                self.notes.live = True
                await self._stopping.wait()
                log.info("shutting down")
                await _best_effort(roster.mark("leaving"), "mark this node leaving in the roster")
                await self._http.stop(grace=5.0)
                raise _Shutdown
        except* _Shutdown:
            pass
        finally:
            self._tasks = None
            if self.store is not None:
                try:
                    if roster is not None:  # every component has ended: nothing claims any more
                        await _best_effort(roster.hand_over(), "hand this node's work over")
                    await self._flush_sinks()
                finally:
                    await self.store.close()
            self._lock.release()

    async def _join_roster(self) -> Roster:
        """Register this node in the roster and beat its heartbeat (gureum/roster.py)."""
        from gureum.roster import Roster

        roster = Roster(self)
        await _best_effort(roster.register(), "register this node in the roster")
        self.every(roster.settings.interval, roster.beat, name="roster")
        return roster

    def running_components(self) -> list[str]:
        """The components this node runs (not turned off by configuration): started, or idle
        until they have work."""
        return [c for c in self._components if c not in self._disabled]

    def stop(self) -> None:
        self._stopping.set()

    async def _run_component(self, name: str, entry: str, services: tuple[str, ...]) -> None:
        try:
            # Import off the loop thread so the listener answers while components load.
            fn = await asyncio.to_thread(registry.load_entry, entry)
            await fn(self)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a failed component must not take the node down
            log.exception("component %s failed", name)
            for svc in services or (name,):
                self.set_status(svc, "failed", f"{type(exc).__name__}: {exc}")

    # --- HTTP edge ----------------------------------------------------------------
    async def handle(self, request: Request) -> Response:
        path = request.raw_path
        if self.is_agent and not path.startswith("/_gureum/"):
            from gureum import internal

            return internal.not_here(self, request)
        # Host and edge routes: a handler answering None passes the request on (packages that
        # share a front door, such as API Gateway's REST and HTTP APIs on execute-api).
        if registry.HOST_ROUTES:
            host = request.host.lower()
            for pattern, entry in registry.HOST_ROUTES:
                if pattern.fullmatch(host):
                    answer = await registry.load_entry(entry)(self, request)
                    if answer is not None:
                        self.wake_package(registry.package_of(entry))
                        return answer
        for prefix, entries in registry.EDGE_ROUTES.items():
            # A SigV4-signed /v2/... may be an S3 request for bucket "v2"; no bucket name starts
            # with "_", so prefixes under /_ are ours even when signed (function URLs with AWS_IAM).
            # A prefix of gureum's own endpoints answers its bare path too (GET /_gureum/ses).
            under = path.startswith(prefix) or (path == prefix[:-1] and prefix.startswith("/_gureum/"))
            if under and (prefix.startswith("/_") or not _is_sigv4(request)):
                for entry in entries:
                    answer = await registry.load_entry(entry)(self, request)
                    if answer is not None:
                        self.wake_package(registry.package_of(entry))
                        return answer
        if path.startswith("/_gureum/"):
            from gureum import internal

            return await internal.handle(self, request)
        method_entry = registry.METHOD_ROUTES.get(request.method)
        if method_entry is not None:
            self.wake_package(registry.package_of(method_entry))
            return await registry.load_entry(method_entry)(self, request)
        from gureum.aws import edge

        return await edge.handle(self, request)


def _also(cname: str) -> tuple[str, ...]:
    idle = registry.IDLE.get(cname)
    return idle.also if idle is not None else ()


class _Shutdown(Exception):
    pass


class _Notes(list[str]):
    """Banner notes; once the banner is out, a new note is printed as it arrives."""

    live = False

    def append(self, note: str) -> None:
        super().append(note)
        if self.live:
            print(f"  note       {note}", flush=True)


async def _guard(coro: Awaitable[Any], name: str) -> Any:
    """Keep a crashing background task from cancelling the whole TaskGroup."""
    try:
        return await coro
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("background task %s failed", name)
        return None


async def _best_effort(coro: Awaitable[Any], what: str) -> None:
    """Roster writes that must not stop the node from starting or stopping (a store down)."""
    try:
        await coro
    except Exception:
        log.warning("could not %s", what, exc_info=True)


def _is_sigv4(request: Request) -> bool:
    auth = request.headers.get("authorization", "")
    return auth.startswith("AWS4-") or "X-Amz-Credential=" in request.query_string


def make_ephemeral_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="gureum-"))


def remove_dir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
