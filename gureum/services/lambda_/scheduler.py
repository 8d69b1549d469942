"""The function scheduler: warm pools of execution environments and concurrency.

An invocation takes an idle environment of the same configuration (most recently used
first, so surplus ones age out) or starts a new one (cold start); several run in parallel
up to the function's concurrency. Concurrency is counted per account and region (the
account limit, shared by functions without a reservation) and per function (its reserved
concurrency); when exhausted the invocation is refused with the Reason AWS gives. Nodes
sharing a store add each other's counts (shared_concurrency.py).
Environments idle longer than `idle_timeout` are destroyed by `run_reaper()`.

Spares (spares.py): with `spares` > 0, after a cold start the scheduler starts that many
pre-initialised sandboxes of its spare key in the background (owned tasks, ended by
close()); the next cold start of the same key takes one (never shared: a taken spare is that
environment for good) and the pool is filled again. Spares count against no concurrency and
no bill; a key no cold start used for `idle_timeout` has its spares destroyed by the reaper.

Provisioned concurrency (provisioned.py): `provision(slot, cfg, n)` keeps n initialised
environments of one version for one configuration slot ("<fn>/<qualifier>"), apart from the
warm pools: never reaped for idleness, only replaced when their credentials are due or they
die (`on_lost(slot)` tells the engine, which provisions again). An invocation naming that
slot runs on one of them first and spills over to on-demand environments when all are busy.
An invocation on a provisioned environment is always admitted (its concurrency was set
aside when the configuration was accepted); on-demand ones count the function's provisioned
allocation against its reservation (Concurrency.provisioned), and the engine takes every
unreserved function's allocation out of the unreserved limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from gureum.sandbox.process import SandboxHost
from gureum.services.lambda_.environment import (
    EnvConfig,
    ExecutionEnvironment,
    InitFailed,
    InvokeResult,
)
from gureum.services.lambda_.runtime_api import Invocation

log = logging.getLogger("gureum.lambda")

# (account, region, group, stream, [(ts ms, message)])
LogSink = Callable[[str, str, str, str, list[tuple[int, str]]], None]


class Throttled(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Concurrency:
    account_limit: int  # ConcurrentExecutions of the account
    unreserved_limit: int  # account limit minus every function's reservation
    reserved: int | None = None  # this function's reserved concurrency
    provisioned: int = 0  # this function's provisioned concurrency (taken from its reservation)


@dataclass
class ProvisionedPool:
    """The environments kept for one provisioned concurrency configuration."""

    pool_key: str  # the configuration (version, revision) they run
    wanted: int
    cfg: EnvConfig | None = None  # what they run (memory and architecture for billing)
    tag: str = ""  # the provisioned configuration's generation (provisioned.py)
    idle: list[ExecutionEnvironment] = field(default_factory=list)
    busy: int = 0

    @property
    def total(self) -> int:
        return len(self.idle) + self.busy


def _no_logs(group: str, stream: str, events: list[tuple[int, str]]) -> None:
    """A spare's sink: it writes nothing until it is taken (adopt() gives it its function's)."""


class Scheduler:
    def __init__(self, host: SandboxHost, sink: LogSink, *, idle_timeout: float = 300.0, spares: int = 0) -> None:
        self.host = host
        self.spares = spares  # spares kept per recently used key
        self._spares: dict[str, list[ExecutionEnvironment]] = {}
        self._spare_used: dict[str, float] = {}  # key -> monotonic time of its last cold start
        self._filling: dict[str, asyncio.Task[None]] = {}
        self._prepared: set[str] = set()  # runtimes a cold start has prepared (built) in this process
        self.sink = sink
        self.idle_timeout = idle_timeout
        self._idle: dict[str, list[ExecutionEnvironment]] = {}
        self._busy: set[ExecutionEnvironment] = set()
        self._unreserved: dict[tuple[str, str], int] = {}
        self._per_function: dict[str, int] = {}
        self._pc_running: dict[str, int] = {}  # of _per_function: on provisioned environments
        self._provisioned: dict[str, ProvisionedPool] = {}  # slot "<fn>/<qualifier>" -> its environments
        self.on_lost: Callable[[str], None] | None = None  # a provisioned environment of this slot is gone
        self._closed = False
        self._retired: list[ExecutionEnvironment] = []
        # Other nodes' in-flight counts (shared_concurrency.py): function ARN -> n, and
        # "account/region" -> n of unreserved ones.
        self._remote_functions: dict[str, int] = {}
        self._remote_unreserved: dict[str, int] = {}

    # --- concurrency -------------------------------------------------------------------
    def running(self, function_arn: str) -> int:
        return self._per_function.get(function_arn, 0)

    def local_counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """This node's in-flight invocations: per function ARN, and unreserved per
        "account/region"."""
        return dict(self._per_function), {f"{a}/{r}": n for (a, r), n in self._unreserved.items() if n}

    def set_remote(self, functions: dict[str, int], unreserved: dict[str, int]) -> None:
        """Other nodes' in-flight invocations, counted against the same limits."""
        self._remote_functions = functions
        self._remote_unreserved = unreserved

    def _admit(self, cfg: EnvConfig, limits: Concurrency, provisioned: bool = False) -> None:
        fn = cfg.function_arn
        scope = (cfg.account_id, cfg.region)
        if provisioned:  # set aside when the configuration was accepted
            self._per_function[fn] = self._per_function.get(fn, 0) + 1
            self._pc_running[fn] = self._pc_running.get(fn, 0) + 1
            return
        if limits.reserved is not None:
            on_demand = self._per_function.get(fn, 0) - self._pc_running.get(fn, 0)
            if on_demand + self._remote_functions.get(fn, 0) + limits.provisioned >= limits.reserved:
                raise Throttled("ReservedFunctionConcurrentInvocationLimitExceeded")
        elif self._unreserved.get(scope, 0) + self._remote_unreserved.get(f"{scope[0]}/{scope[1]}", 0) >= limits.unreserved_limit:
            raise Throttled("ConcurrentInvocationLimitExceeded")
        self._per_function[fn] = self._per_function.get(fn, 0) + 1
        if limits.reserved is None:
            self._unreserved[scope] = self._unreserved.get(scope, 0) + 1

    def _release(self, cfg: EnvConfig, limits: Concurrency, provisioned: bool = False) -> None:
        fn = cfg.function_arn
        n = self._per_function.get(fn, 1) - 1
        if n:
            self._per_function[fn] = n
        else:
            self._per_function.pop(fn, None)
        if provisioned:
            m = self._pc_running.get(fn, 1) - 1
            if m:
                self._pc_running[fn] = m
            else:
                self._pc_running.pop(fn, None)
        elif limits.reserved is None:
            scope = (cfg.account_id, cfg.region)
            self._unreserved[scope] = max(0, self._unreserved.get(scope, 1) - 1)

    # --- invoking ----------------------------------------------------------------------
    async def invoke(self, cfg: EnvConfig, inv: Invocation, limits: Concurrency, *, capture: bool = False,
                     slot: str | None = None) -> InvokeResult:
        """Run `inv` on a warm or new environment (first on one provisioned for `slot`);
        raises Throttled."""
        if self._closed:
            raise Throttled("ServiceShuttingDown")
        pool = self._provisioned.get(slot) if slot is not None else None
        if pool is not None and pool.pool_key == cfg.pool_key:
            env = self._take_provisioned(slot or "", pool)
            if env is not None:
                return await self._invoke_provisioned(slot or "", pool, env, cfg, inv, limits, capture)
        self._admit(cfg, limits)
        fill = False
        try:
            env = self._take_idle(cfg.pool_key)
            if env is None:
                env, fill = self._fresh(cfg)
                self._busy.add(env)
                try:
                    try:
                        await env.start()
                    except InitFailed as exc:
                        if not exc.timed_out:
                            raise
                        # AWS retries an init that ran out of its 10 s within the invocation's timeout
                        self._busy.discard(env)
                        env = ExecutionEnvironment(self.host, cfg, self._sink_for(cfg))
                        self._busy.add(env)
                        await env.start(retry=True, request_id=inv.request_id)
                except InitFailed as exc:
                    self._busy.discard(env)
                    return InvokeResult(
                        payload=exc.payload,
                        function_error="Unhandled",
                        error_type=exc.error_type,
                        init_ms=exc.init_ms,
                        billed_ms=max(1, int(exc.init_ms + 0.999)),
                        request_id=inv.request_id,
                    )
                except BaseException:
                    self._busy.discard(env)
                    await asyncio.shield(env.destroy())
                    raise
            else:
                self._busy.add(env)
            finished = False
            try:
                result = await env.invoke(inv, capture=capture)
                finished = True
            finally:
                self._busy.discard(env)
                if finished and env.alive and not self._closed:
                    self._idle.setdefault(cfg.pool_key, []).append(env)
                elif env.alive or not finished:
                    await asyncio.shield(env.destroy())
            return result
        finally:
            self._release(cfg, limits)
            if fill:  # now that the cold start has its answer
                self._fill_soon(cfg)

    # --- spares ---------------------------------------------------------------------------
    def _fresh(self, cfg: EnvConfig) -> tuple[ExecutionEnvironment, bool]:
        """A new environment for a cold start: a spare of its key when one is ready, else one
        to start from nothing; and whether spares are to be started after it."""
        env = ExecutionEnvironment(self.host, cfg, self._sink_for(cfg))
        if self.spares <= 0 or self._closed:
            return env, False
        if cfg.runtime not in self._prepared:  # its key may need the runtime built first (start() does it)
            return env, True
        key = env.spare_key()
        if key is None:
            return env, False
        self._spare_used[key] = time.monotonic()
        pool = self._spares.get(key) or []
        taken: ExecutionEnvironment | None = None
        while pool and taken is None:
            spare = pool.pop()
            if spare.spare_ready:
                taken = spare
            else:
                self._retired.append(spare)
        if taken is None:
            return env, True
        taken.adopt(cfg, self._sink_for(cfg))
        return taken, True

    def _fill_soon(self, cfg: EnvConfig) -> None:
        """Fill the pool of `cfg`'s key in the background (called once a cold start has its
        answer: earlier, the spares would compete with it for the CPU)."""
        if self._closed:
            return
        self._prepared.add(cfg.runtime)
        key = ExecutionEnvironment(self.host, cfg, _no_logs).spare_key()
        if key is None:
            return
        self._spare_used.setdefault(key, time.monotonic())
        if key not in self._filling and not self._closed and len(self._spares.get(key, [])) < self.spares:
            self._filling[key] = asyncio.get_running_loop().create_task(self._fill(key, cfg), name="lambda-spares")

    async def _fill(self, key: str, cfg: EnvConfig) -> None:
        """Start spares of `key` until the pool holds `self.spares`."""
        try:
            while len(self._spares.get(key, [])) < self.spares and not self._closed:
                spare = ExecutionEnvironment(self.host, cfg, _no_logs)
                try:
                    await spare.start_spare()
                except Exception:
                    log.warning("lambda: a spare sandbox for %s did not start", cfg.runtime, exc_info=True)
                    return
                if self._closed:
                    await spare.destroy()
                    return
                self._spares.setdefault(key, []).append(spare)
        finally:
            self._filling.pop(key, None)

    # --- provisioned concurrency ------------------------------------------------------------
    def _take_provisioned(self, slot: str, pool: ProvisionedPool) -> ExecutionEnvironment | None:
        while pool.idle:
            env = pool.idle.pop()
            if env.alive and env.sandbox is not None and env.sandbox.returncode is None and time.time() < env.usable_until:
                return env
            self._retired.append(env)
            self._lost(slot)
        return None

    def _lost(self, slot: str) -> None:
        if self.on_lost is not None and not self._closed:
            self.on_lost(slot)

    async def _invoke_provisioned(self, slot: str, pool: ProvisionedPool, env: ExecutionEnvironment, cfg: EnvConfig,
                                  inv: Invocation, limits: Concurrency, capture: bool) -> InvokeResult:
        self._admit(cfg, limits, provisioned=True)
        pool.busy += 1
        self._busy.add(env)
        finished = False
        try:
            result = await env.invoke(inv, capture=capture)
            finished = True
            result.provisioned = True
            return result
        finally:
            pool.busy -= 1
            self._busy.discard(env)
            self._release(cfg, limits, provisioned=True)
            if finished and env.alive and not self._closed and self._provisioned.get(slot) is pool and pool.total < pool.wanted:
                pool.idle.append(env)
            else:
                await asyncio.shield(env.destroy())
                if self._provisioned.get(slot) is pool and pool.total < pool.wanted:
                    self._lost(slot)

    async def provision(self, slot: str, cfg: EnvConfig, count: int, tag: str = "") -> tuple[int, InitFailed | None]:
        """Keep `count` initialised environments of `cfg` (its init_type
        "provisioned-concurrency") for `slot`: starts the missing ones, destroys the surplus
        and those of an older configuration. Returns how many are allocated and the init
        failure that stopped it, if one did."""
        pool = self._provisioned.get(slot)
        if pool is None or pool.pool_key != cfg.pool_key:
            if pool is not None:  # another version or revision: its busy ones end with their invocation
                await asyncio.gather(*(e.destroy() for e in pool.idle), return_exceptions=True)
                pool.idle = []
            pool = self._provisioned[slot] = ProvisionedPool(cfg.pool_key, count)
        pool.wanted, pool.cfg, pool.tag = count, cfg, tag
        while pool.total > count and pool.idle:
            await pool.idle.pop().destroy()
        while pool.total < pool.wanted and not self._closed and self._provisioned.get(slot) is pool:
            env = ExecutionEnvironment(self.host, cfg, self._sink_for(cfg))
            try:
                await env.start()
            except InitFailed as exc:
                return pool.total, exc
            if self._provisioned.get(slot) is not pool or pool.total >= pool.wanted or self._closed:
                await env.destroy()
                break
            pool.idle.append(env)
        return pool.total, None

    async def unprovision(self, match: Callable[[str], bool]) -> None:
        """Drop the provisioned environments of the slots that match (busy ones finish first)."""
        doomed: list[ExecutionEnvironment] = []
        for slot in [s for s in self._provisioned if match(s)]:
            pool = self._provisioned.pop(slot)
            doomed += pool.idle
            pool.idle = []
        await asyncio.gather(*(env.destroy() for env in doomed), return_exceptions=True)

    def provisioned_slots(self) -> dict[str, int]:
        """slot -> environments allocated for it on this node."""
        return {slot: pool.total for slot, pool in self._provisioned.items()}

    def provisioned_pools(self) -> dict[str, ProvisionedPool]:
        """slot -> its pool (for metering the allocation)."""
        return dict(self._provisioned)

    async def prewarm(self, cfg: EnvConfig, count: int) -> int:
        """Start environments ahead of invocations (until the pool holds `count`)."""
        started = 0
        while len(self._idle.get(cfg.pool_key, [])) < count and not self._closed:
            env = ExecutionEnvironment(self.host, cfg, self._sink_for(cfg))
            try:
                await env.start()
            except InitFailed:
                return started
            self._idle.setdefault(cfg.pool_key, []).append(env)
            started += 1
        return started

    def _take_idle(self, key: str) -> ExecutionEnvironment | None:
        pool = self._idle.get(key)
        while pool:
            env = pool.pop()
            if env.alive and env.sandbox is not None and env.sandbox.returncode is None and time.time() < env.usable_until:
                return env
            self._retired.append(env)  # died while idle, or its credentials are due: destroyed by the reaper
        return None

    def _sink_for(self, cfg: EnvConfig) -> Callable[[str, str, list[tuple[int, str]]], None]:
        account, region, sink = cfg.account_id, cfg.region, self.sink
        return lambda group, stream, events: sink(account, region, group, stream, events)

    # --- lifecycle ---------------------------------------------------------------------
    async def retire(self, match: Callable[[str], bool]) -> int:
        """Destroy idle environments whose pool key matches (a function was updated or
        deleted); busy ones finish their invocation and are not reused."""
        doomed = []
        for key in [k for k in self._idle if match(k)]:
            doomed += self._idle.pop(key)
        await asyncio.gather(*(env.destroy() for env in doomed), return_exceptions=True)
        return len(doomed)

    def reap_interval(self, interval: float = 5.0) -> float:
        """How often `reap()` should run: `interval`, or more often for short idle timeouts."""
        return max(0.1, min(interval, self.idle_timeout / 2))

    async def reap(self) -> None:
        """One pass: destroy environments idle longer than idle_timeout, dead or expired."""
        cutoff = time.monotonic() - self.idle_timeout
        now = time.time()
        doomed, self._retired = self._retired, []
        for slot, pc in self._provisioned.items():  # never idle-reaped: replaced when dead or due
            gone = [e for e in pc.idle if not e.alive or now >= e.usable_until]
            if gone:
                pc.idle = [e for e in pc.idle if e not in gone]
                doomed += gone
                self._lost(slot)
        for key, spares in list(self._spares.items()):  # keys no cold start used lately, dead spares
            recent = self._spare_used.get(key, 0.0) >= cutoff
            keep = [e for e in spares if recent and e.spare_ready]
            doomed += [e for e in spares if e not in keep]
            if keep:
                self._spares[key] = keep
            else:
                del self._spares[key]
                if not recent:
                    self._spare_used.pop(key, None)
        for key, pool in list(self._idle.items()):
            keep = [e for e in pool if e.last_used >= cutoff and e.alive and now < e.usable_until]
            doomed += [e for e in pool if e not in keep]
            if keep:
                self._idle[key] = keep
            else:
                del self._idle[key]
        for env in doomed:
            with contextlib.suppress(Exception):
                await env.destroy()

    async def stop_all(self) -> int:
        """Destroy every environment, idle or busy (POST /_gureum/reset): a busy one's
        invocation ends as if its sandbox had died. The scheduler keeps serving; how many
        environments were destroyed."""
        envs = [e for pool in self._idle.values() for e in pool] + list(self._busy) + self._retired
        envs += [e for pc in self._provisioned.values() for e in pc.idle]
        envs += [e for pool in self._spares.values() for e in pool]
        self._spares.clear()
        self._idle.clear()
        self._provisioned.clear()
        self._retired = []
        await asyncio.gather(*(e.destroy() for e in envs), return_exceptions=True)
        return len(envs)

    async def run_reaper(self, interval: float = 5.0) -> None:
        """`reap()` every `reap_interval(interval)` seconds until cancelled (the node runs it
        with `app.every`; this is for a scheduler on its own)."""
        from gureum.periodic import run_every

        await run_every(self.reap_interval(interval), self.reap, name="lambda-reaper", jitter=0.0)

    def environments(self) -> dict[str, int]:
        idle = sum(len(p) for p in self._idle.values()) + sum(len(p.idle) for p in self._provisioned.values())
        spares = sum(1 for pool in self._spares.values() for e in pool if e.spare_ready)
        return {"idle": idle, "busy": len(self._busy), "spare": spares}

    async def close(self) -> None:
        self._closed = True
        filling = list(self._filling.values())
        for task in filling:
            task.cancel()
        await asyncio.gather(*filling, return_exceptions=True)
        envs = [e for pool in self._idle.values() for e in pool] + list(self._busy) + self._retired
        envs += [e for pc in self._provisioned.values() for e in pc.idle]
        envs += [e for pool in self._spares.values() for e in pool]
        self._spares.clear()
        self._provisioned.clear()
        self._idle.clear()
        self._retired = []
        await asyncio.gather(*(e.destroy() for e in envs), return_exceptions=True)
        await self.host.close()  # the network namespaces kept ready
