"""The ECS task agent of this node (component "ecs"): starts the tasks the API creates,
stops them when asked, runs the service scheduler (services.py), expires stopped tasks.

A short coordinator: each concern lives in a module of its own, and a task run (taskrun.py)
sees the agent only through the `TaskHost` protocol (task_host.py), which the agent provides
by delegating to those modules:

  task_networks  warm task networks        image_access   registries and credentials
  task_logs      awslogs targets           task_dns       gureum's DNS for tasks
  metadata       task metadata endpoint    cloudmap       Cloud Map registration
  task_billing   Fargate usage             shutdown       stop reasons and grace at shutdown
  heartbeat      heartbeat, scheduler lease, lost nodes
  instance_billing  the hours of the container instances this node meters
  recovery       what a previous process of this node left (store and host)
  node_instance  this machine as an EC2 container instance

Tasks reach it through store events ("ecs.task": in-process for this node's commits, from the
change log for other nodes' when the store is shared), a periodic scan as a safety net, and at
start-up a scan for tasks that still want to run. A task placed on this node's container
instance is this node's; a Fargate task is run by the node that claims it first in a store
transaction (nodes.claim). Each task is one `TaskRun` owned by the agent; when gureum stops,
every task is stopped (stop signal, short grace) with ECS's host-gone stopCode/stoppedReason
and its host resources released, and the task bridge removed when gureum made it and nothing
else uses it. Tasks left RUNNING by a gureum that died are marked STOPPED first thing at
start-up (recovery.py). Running Fargate usage and the hours of the container instances this
node serves are checkpointed every `billing.checkpoint_interval` seconds (also on a node that
cannot run tasks), and with a shared store other nodes' task changes are polled every
`ecs.follow_interval` seconds: both `app.every` loops the agent ends when it stops. The
scheduler loop (heartbeat, lease, scans) stays the agent's own: it wakes on task events as
well as on its interval. Settings: `EcsSettings` (settings.py) and the node's
`TaskNetworkSettings` (bridge, subnet), read through `app.settings`.

Several agents can share one PostgreSQL store (`gureum agent` on other machines): each beats a
heartbeat, one at a time holds the scheduler lease and runs the service scheduler, and the
lease holder marks nodes that stop beating lost (nodes.py, heartbeat.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gureum.node_settings import BillingSettings, TaskNetworkSettings
from gureum.sandbox import cgroups
from gureum.sandbox import images as img
from gureum.sandbox import network as net
from gureum.sandbox import runc as rc
from gureum.services.ecs import (
    cloudmap,
    cw_metrics,
    envfiles,
    image_access,
    load_balancers,
    model,
    node_instance,
    nodes,
    recovery,
    registry_auth,
    task_dns,
    task_logs,
)
from gureum.services.ecs import services as svc
from gureum.services.ecs.heartbeat import Heartbeat
from gureum.services.ecs.image_access import Access
from gureum.services.ecs.metadata import ADDRESS, MetadataServer
from gureum.services.ecs.settings import EcsSettings
from gureum.services.ecs.shutdown import StopGrace, mark_stopping
from gureum.services.ecs.slots import AGENT
from gureum.services.ecs.task_billing import TaskMeter
from gureum.services.ecs.task_networks import NetworkPool
from gureum.services.ecs.taskrun import ContainerRun, TaskRun
from gureum.store import Store
from gureum.store.follow import ChangeFollower

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Event

log = logging.getLogger("gureum.ecs")
COMPONENT = "ecs"
SCAN_INTERVAL = 5.0  # seconds between safety-net scans for tasks an event did not reach


class TaskAgent:
    def __init__(self, app: App) -> None:
        self.app = app
        self.work = app.data_dir / "ecs"
        self.work.mkdir(parents=True, exist_ok=True)
        settings = self.settings = app.settings(EcsSettings)
        network = app.settings(TaskNetworkSettings)
        self.images = img.ImageCache(self.work / "images", app.blobs, insecure=settings.insecure_registries)
        runtime, binary, self.runtime_problem = rc.resolve(settings.oci_runtime)
        # one state root per runtime: a previous run's containers are cleaned by the runtime that made them
        self.runc = rc.Runc(self.work / runtime, binary or rc.RUNC, runtime)
        self.bridge = net.Bridge(network.bridge, network.subnet)
        self.publish_host = settings.publish_host
        self.default_stop_timeout = settings.stop_timeout
        # once gureum shuts down, a container gets at most this many more seconds to exit
        # after its stop signal, whatever its stopTimeout (stops already under way included)
        self.grace = StopGrace(settings.shutdown_grace)
        self.pids_limit = settings.task_pids_max
        self.node_id = f"p{os.getpid()}"  # this process (its cgroups)
        # tasks' cgroups nest under ours: <own memory cgroup>/gureum-ecs/<this process>
        self.cgroup_base = "/".join(x for x in (cgroups.own_memory_cgroup(), "gureum-ecs", self.node_id) if x)
        self.cgroup_warmth = cgroups.MigrationWarmth()  # held by task runs while their containers start
        self.node_ident = app.node_id  # stable: which tasks are this node's
        self.instance_key: str | None = None
        self.host_label = "i-" + self.node_ident[:17]  # how stop reasons name this host (its container instance's EC2 id)
        # Pre-provisioned task networks (namespace + address), as Fargate keeps capacity warm;
        # filled once this node has run its first task, so idle nodes hold none.
        self.networks = NetworkPool(self.bridge, settings.warm_networks, self.spawn)
        self.runs: dict[str, TaskRun] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._wake = asyncio.Event()
        self.logs = app.logs  # the node's writer (started and flushed by the node)
        self.meter = TaskMeter(app.store, self.node_ident)
        self.available = False
        self.reason = ""
        self.metadata = MetadataServer(app.store, str(self.bridge.net))
        self.follower = ChangeFollower(app.store, model.TASK_EVENT, self.on_event)
        self.engine_auth = registry_auth.from_settings(settings)  # private registries (EC2 tasks)
        self.heartbeat = Heartbeat(
            app.store,
            self.node_ident,
            settings.heartbeat_interval,
            settings.node_timeout,
            lambda: {"pid": os.getpid(), "role": self.app.config.role, "runs": self.available, "instance": self.instance_key},
        )
        self.claim_grace = settings.claim_grace
        self._loops: list[asyncio.Task[Any]] = []  # app.every loops, ended with the agent
        self.nameserver: str | None = None  # gureum's DNS as tasks reach it
        self._starting: set[str] = set()
        self._next_scan = 0.0
        self._next_expire = 0.0

    async def register_instance(self) -> None:
        """Register this machine as a container instance (at start, and again after a reset)."""
        registered = await node_instance.register_instance(self.app, self.work, self.node_ident)
        if registered is not None:
            self.instance_key, self.host_label = registered.key, registered.host_label

    # --- set-up ------------------------------------------------------------------------------
    def setup(self) -> None:
        if not self.settings.run_tasks:
            self.reason = "this node runs no tasks (ecs.run_tasks=false): agents sharing its store do"
            return
        if os.geteuid() != 0:
            self.reason = "running containers needs root (an OCI runtime, namespaces, cgroups)"
            return
        if self.runtime_problem:
            self.reason = self.runtime_problem  # (the runtime named by ecs.oci_runtime)
            return
        self.bridge.setup()
        if not self.bridge.available:
            self.reason = self.bridge.reason
            return
        # containers a previous run left, under whichever runtime it used
        others = [rc.Runc(self.work / n, b, n) for n in ("runc", "crun") if n != self.runc.name and (self.work / n).is_dir() and (b := shutil.which(n))]
        recovery.clean_host(self.runc, self.tasks_dir, others)
        self.available = True
        self.networks.enabled = True

    # --- ownership -------------------------------------------------------------------------------
    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(_guard(coro, name), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def spawn_start(self, key: str) -> None:
        self.spawn(self.start(key), f"ecs-task-{key.rsplit(':', 1)[-1]}")

    # --- events ------------------------------------------------------------------------------------
    def on_event(self, event: Event) -> None:
        key = event.data.get("key", "")
        desired = event.data.get("desired")
        if not key:
            self._wake.set()
            return
        run = self.runs.get(key)
        if desired == "STOPPED":
            if run is not None:
                run.stop_requested.set()
            self._wake.set()
            return
        if run is None and desired == "RUNNING":
            self.spawn_start(key)
        self._wake.set()

    async def start(self, key: str) -> None:
        if key in self.runs or key in self._starting:
            return
        self._starting.add(key)
        try:
            if not self.available and not await self.should_fail_unclaimed(key):
                return
            if self.app.store.shared:  # other nodes may race for it: claim in a transaction
                doc = await self.app.store.run(lambda t: nodes.claim(t, key, self.node_ident))
            else:
                doc = await self.app.store.read(lambda t: t.get(model.TASKS, key))
                if doc is not None and (doc["lastStatus"] != "PROVISIONING" or not nodes.runs_here(doc, self.node_ident)):
                    doc = None
        finally:
            self._starting.discard(key)
        if doc is None or key in self.runs:
            return
        cannot_run = None if self.available else (self.reason or "containers are not available on this node")
        run = TaskRun(self, key, doc, cannot_run=cannot_run)
        self.runs[key] = run
        if doc["desiredStatus"] == "STOPPED":
            run.stop_requested.set()
        try:
            await run.run()
        finally:
            self.runs.pop(key, None)
            self.metadata.forget(run)
            self._wake.set()

    async def should_fail_unclaimed(self, key: str) -> bool:
        """A node that cannot run containers leaves unclaimed Fargate tasks to the nodes that
        can; when, after a grace period, none has claimed it and none that could is alive, it
        takes the task, to fail it with the reason."""
        doc = await self.app.store.read(lambda t: t.get(model.TASKS, key))
        if doc is None or doc["_"].get("node") == self.node_ident:
            return True
        if not self.app.store.shared:
            return True
        await asyncio.sleep(self.claim_grace)
        now = time.time()

        def look(t: Any) -> bool:
            d = t.get(model.TASKS, key)
            if d is None or d["_"].get("node") is not None:
                return False
            return not any(n.get("runs") and n["node"] != self.node_ident for n in nodes.live_nodes(t, now, self.heartbeat.node_timeout))

        return await self.app.store.read(look)

    # --- TaskHost: what a task run needs of this node (task_host.py) --------------------------------
    @property
    def store(self) -> Store:
        return self.app.store

    @property
    def tasks_dir(self) -> Path:
        return self.work / "tasks"

    async def take_network(self, task_id: str) -> net.TaskNetwork:
        return await self.networks.take_network(task_id)

    def release_network(self, tn: net.TaskNetwork) -> None:
        self.networks.release(tn)

    async def registry_access(self, image: str, account: str, region: str, *, ec2: bool = False) -> Access:
        return await image_access.registry_access(self.app, self.engine_auth, self.spawn, image, account, region, ec2=ec2)

    async def load_env_files(self, account: str, files: list[dict[str, Any]] | None) -> list[dict[str, str]]:
        return await envfiles.load(self.app, account, files)

    def container_env(self, run: TaskRun, c: ContainerRun) -> dict[str, str]:
        env = {
            "AWS_REGION": run.region,
            "AWS_DEFAULT_REGION": run.region,
            "AWS_EXECUTION_ENV": "AWS_ECS_FARGATE" if run.launch_type == "FARGATE" else "AWS_ECS_EC2",
        }
        env.update(self.metadata.register(run, c))
        return env

    def resolv_conf(self) -> str:
        """gureum's DNS on the bridge gateway once it listens there (until then none, so
        lookups fail at once rather than stall)."""
        return task_dns.resolv_conf(self.nameserver)

    def log_target(self, run: TaskRun, c: ContainerRun) -> tuple[str | None, str | None]:
        return task_logs.log_target(c.spec, c.name, run.task_id)

    async def check_log_group(self, run: TaskRun, c: ContainerRun) -> str | None:
        return await task_logs.check_log_group(self.app.store, run.account, run.region, c.spec, c.name, run.task_id)

    def log(self, account: str, region: str, group: str, stream: str, line: str) -> None:
        self.logs.append(account, region, group, stream, [(int(time.time() * 1000), line)])

    async def on_activating(self, run: TaskRun) -> None:
        await cloudmap.register_run(self.app.store, run)
        await load_balancers.register_run(self.app.store, run)

    async def on_deactivating(self, run: TaskRun) -> None:
        await load_balancers.deregister_run(self.app.store, run)
        await cloudmap.deregister_run(self.app.store, run)

    async def on_running(self, run: TaskRun) -> None:
        await self.meter.checkpoint_usage([run])

    async def on_stopped(self, run: TaskRun, doc: dict[str, Any]) -> None:
        await self.meter.record_usage(run, doc)

    async def wait_exited(self, exited: asyncio.Event, timeout: float) -> bool:
        return await self.grace.wait_exited(exited, timeout)

    # --- the loop ---------------------------------------------------------------------------------
    async def tick(self) -> None:
        """Heartbeat and scheduler lease; as the lease holder: service scheduling, lost nodes,
        the expiry of long-stopped tasks; now and then a scan for tasks an event missed."""
        now = time.time()
        if self.heartbeat.due(now):
            await self.heartbeat.beat(now)
            await self.heartbeat.sweep_lost(now)
        if self.heartbeat.leader:
            await svc.reconcile_all(self.app.store)
        if now >= self._next_scan:
            self._next_scan = now + SCAN_INTERVAL
            await self.scan()
            if self.heartbeat.leader and now >= self._next_expire:
                self._next_expire = now + 60
                cutoff = now - model.STOPPED_RETENTION

                def expire(t: Any) -> None:
                    for k, d in t.scan(model.TASKS):
                        if d["lastStatus"] == "STOPPED" and (d.get("stoppedAt") or 0) < cutoff:
                            t.delete(model.TASKS, k)

                await self.app.store.run(expire)

    async def scan(self) -> None:
        """Tasks this node should start or stop that no event reached it for."""
        running = list(self.runs)

        def look(t: Any) -> tuple[list[tuple[str, dict[str, Any]]], list[str]]:
            waiting = [(k, d) for k, d in t.scan(model.TASKS) if d["lastStatus"] == "PROVISIONING"]
            to_stop = []
            for k in running:
                d = t.get(model.TASKS, k)
                if d is None or d["desiredStatus"] == "STOPPED":  # (also: marked lost meanwhile)
                    to_stop.append(k)
            return waiting, to_stop

        waiting, to_stop = await self.app.store.read(look)
        for key in to_stop:
            if (run := self.runs.get(key)) is not None:
                run.stop_requested.set()
        for key, doc in waiting:
            if key in self.runs or not nodes.runs_here(doc, self.node_ident):
                continue
            self.spawn_start(key)

    async def serve_dns(self) -> None:
        self.nameserver = await task_dns.serve_on_bridge(self.app, self.bridge.gateway)

    async def serve(self) -> None:
        try:
            await recovery.reconcile(self.app.store, self.node_ident, self.host_label)
        except Exception:
            log.exception("ECS: could not reconcile the state of this node's previous run")
        await asyncio.to_thread(self.setup)
        if self.available and await self.metadata.start(self.bridge.name):
            self.bridge.host_routes.append(ADDRESS)
        if self.available:  # gureum's DNS answers tasks on their bridge's gateway
            self.spawn(self.serve_dns(), "ecs-task-dns")
        # running usage, checkpointed: Fargate tasks (when tasks run here), container instances
        interval = max(self.app.settings(BillingSettings).checkpoint_interval, 0.1)
        self._loops.append(self.app.every(interval, self.checkpoint_running, name="ecs-meter"))
        if self.available:  # AWS/ECS CPUUtilization and MemoryUtilization from the tasks' cgroups
            sampler = cw_metrics.Sampler(self.app)
            self._loops.append(self.app.every(self.settings.metrics_interval, lambda: sampler.step(self.runs, time.time()),
                                              name="ecs-metrics"))
        await self.follower.start()
        if self.app.store.shared:  # other nodes' task changes
            self._loops.append(self.app.every(self.settings.follow_interval, self.follower.poll, name="ecs-follow"))
        self.app.parts.put(AGENT, self)
        if self.available:
            self.app.set_status("ecs", "running")
        else:
            self.app.set_status("ecs", "running", f"API only: {self.reason}")
            log.warning("ECS tasks cannot run here: %s", self.reason)
        await self.register_instance()
        try:
            for key in await recovery.provisioning(self.app.store, self.node_ident):
                self.spawn_start(key)
            interval = self.settings.scheduler_interval
            while True:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), interval)
                self._wake.clear()
                try:
                    await self.tick()
                except Exception:
                    log.exception("ECS scheduler pass failed")
        finally:
            self.follower.stop()
            await asyncio.shield(self.shutdown())

    async def checkpoint_running(self) -> None:
        """Checkpoint the usage of the Fargate tasks running now (task_billing.py) and of the
        container instances this node meters (instance_billing.py)."""
        await self.meter.checkpoint_usage(list(self.runs.values()))
        await self.meter.checkpoint_instances()

    async def shutdown(self) -> None:
        for loop in self._loops:  # no follow poll or checkpoint once the agent stops
            loop.cancel()
        await self.meter.checkpoint_instances()  # their hours up to now: settled at restart
        await node_instance.disconnect_instance(self.app.store, self.instance_key)
        await self.heartbeat.leave()
        self.grace.begin()
        await mark_stopping(self.app.store, list(self.runs), self.host_label)
        for run in list(self.runs.values()):
            run.stop_requested.set()
        pending = {t for t in self._tasks if t.get_name().startswith("ecs-task-")}
        if pending:
            await asyncio.wait(pending, timeout=30)
        for t in list(self._tasks):
            t.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
        self.images.close()
        await asyncio.to_thread(self.cgroup_warmth.close)
        await self.metadata.stop()
        await self.networks.close()
        with contextlib.suppress(OSError):
            await asyncio.to_thread(recovery.sweep_cgroups, True)
        if self.available:
            with contextlib.suppress(OSError, net.NetworkError):
                await asyncio.to_thread(self.bridge.teardown)


async def _guard(coro: Coroutine[Any, Any, Any], name: str) -> Any:
    try:
        return await coro
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("ECS background task %s failed", name)
        return None


async def run(app: App) -> None:
    """Component entry point (registry.COMPONENTS["ecs"])."""
    agent = TaskAgent(app)
    await agent.serve()
