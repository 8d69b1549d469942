"""The ECS task agent of this node (component "ecs"): starts the tasks the API creates,
stops them when asked, runs the service scheduler (services.py), expires stopped tasks.

Tasks reach it through store events ("ecs.task": in-process for this node's commits, from the
change log for other nodes' when the store is shared), a periodic scan as a safety net, and at
start-up a scan for tasks that still want to run. A task placed on this node's container
instance is this node's; a Fargate task is run by the node that claims it first in a store
transaction (nodes.claim). Each task is one `TaskRun` (taskrun.py) owned by the agent; when
gureum stops, every task is stopped (stop signal, short grace) with ECS's host-gone
stopCode/stoppedReason and its host resources released, and the task bridge removed when
gureum made it and nothing else uses it. Tasks left RUNNING by a gureum that died are marked
STOPPED first thing at start-up (their containers are killed), with their Cloud Map instances
deregistered in the same transaction (cloudmap.py) and their metered usage settled
(billing/meter.py): the node restarted under them, as when an EC2 host goes away. Running
Fargate usage is checkpointed every `billing.checkpoint_interval` seconds.

Several agents can share one PostgreSQL store (`gureum agent` on other machines): each beats a
heartbeat, one at a time holds the scheduler lease and runs the service scheduler, and the
lease holder marks nodes that stop beating lost (nodes.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gureum.sandbox import cgroups
from gureum.sandbox import images as img
from gureum.sandbox import network as net
from gureum.sandbox import runc as rc
from gureum.services.ecs import cloudmap, model, nodes, registry_auth
from gureum.services.ecs import services as svc
from gureum.services.ecs.taskrun import TaskRun

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Event

log = logging.getLogger("gureum.ecs")
COMPONENT = "ecs"
REFILL_DELAY = 0.25  # seconds between taking a warm task network and making its replacement
SCAN_INTERVAL = 5.0  # seconds between safety-net scans for tasks an event did not reach


class TaskAgent:
    def __init__(self, app: App) -> None:
        self.app = app
        self.work = app.data_dir / "ecs"
        self.work.mkdir(parents=True, exist_ok=True)
        cfg = app.config
        insecure = tuple(x for x in (cfg.setting("ecs.insecure_registries", "") or "").split(",") if x)
        self.images = img.ImageCache(self.work / "images", app.blobs, insecure=insecure)
        self.runc = rc.Runc(self.work / "runc")
        self.bridge = net.Bridge(cfg.setting("ecs.bridge", "gureum0") or "gureum0", cfg.setting("ecs.subnet", "10.213.0.0/16") or "10.213.0.0/16")
        self.publish_host = cfg.setting("ecs.publish_host", "127.0.0.1") or "127.0.0.1"
        self.default_stop_timeout = float(cfg.setting("ecs.stop_timeout", "30") or 30)
        # once gureum shuts down, a container gets at most this many more seconds to exit
        # after its stop signal, whatever its stopTimeout (stops already under way included)
        self.shutdown_grace = float(cfg.setting("ecs.shutdown_grace", "2") or 2)
        self.shutting_down = asyncio.Event()
        self.pids_limit = int(cfg.setting("ecs.task_pids_max", "4096") or 4096)
        self.node_id = f"p{os.getpid()}"  # this process (its cgroups)
        # tasks' cgroups nest under ours: <own memory cgroup>/gureum-ecs/<this process>
        self.cgroup_base = "/".join(x for x in (cgroups.own_memory_cgroup(), "gureum-ecs", self.node_id) if x)
        self.node_ident = app.node_id  # stable: which tasks are this node's
        self.instance_key: str | None = None
        self.host_label = "i-" + self.node_ident[:17]  # how stop reasons name this host (its container instance's EC2 id)
        # Pre-provisioned task networks (namespace + address), as Fargate keeps capacity warm;
        # filled once this node has run its first task, so idle nodes hold none.
        self.warm_networks = int(cfg.setting("ecs.warm_networks", "2") or 0)
        self._net_pool: list[net.TaskNetwork] = []
        self._refilling = False
        self.runs: dict[str, TaskRun] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._wake = asyncio.Event()
        self.logs: Any = None
        self.available = False
        self.reason = ""
        from gureum.services.ecs.metadata import ADDRESS, MetadataServer

        self.metadata = MetadataServer(self)
        self._metadata_address = ADDRESS
        from gureum.store.follow import ChangeFollower

        self.follower = ChangeFollower(app.store, model.TASK_EVENT, self.on_event)
        self.engine_auth = registry_auth.from_config(cfg.setting)  # private registries (EC2 tasks)
        self.heartbeat_interval = float(cfg.setting("ecs.heartbeat_interval", "5") or 5)
        self.node_timeout = float(cfg.setting("ecs.node_timeout", "30") or 30)
        self.claim_grace = float(cfg.setting("ecs.claim_grace", "5") or 5)
        self.leader = False
        self.nameserver: str | None = None  # gureum's DNS as tasks reach it
        self._starting: set[str] = set()
        self._next_beat = 0.0
        self._next_scan = 0.0
        self._next_expire = 0.0

    # --- set-up ------------------------------------------------------------------------------
    def setup(self) -> None:
        if str(self.app.config.setting("ecs.run_tasks", "true")).lower() in ("false", "0", "no", "off"):
            self.reason = "this node runs no tasks (ecs.run_tasks=false): agents sharing its store do"
            return
        if os.geteuid() != 0:
            self.reason = "running containers needs root (runc, namespaces, cgroups)"
            return
        if shutil.which(rc.RUNC) is None and not Path(rc.RUNC).exists():
            self.reason = "runc is not installed (Debian package runc)"
            return
        self.bridge.setup()
        if not self.bridge.available:
            self.reason = self.bridge.reason
            return
        # containers of a previous run of this node (killed gureum): kill and forget them
        for cid in self.runc.list_ids():
            import subprocess

            subprocess.run([rc.RUNC, "--root", str(self.runc.root), "delete", "--force", cid], check=False, capture_output=True, timeout=30)
        sweep_cgroups()
        tasks_dir = self.work / "tasks"
        if tasks_dir.is_dir():
            for d in tasks_dir.iterdir():
                for rootfs in d.glob("*/rootfs"):
                    img.unmount(rootfs)
                shutil.rmtree(d, ignore_errors=True)
        self.available = True

    def _optional_sinks(self) -> None:
        self.logs = self.app.logs  # the node's writer (started and flushed by the node)

    # --- ownership -------------------------------------------------------------------------------
    def spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(_guard(coro, name), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def spawn_for(self, run: TaskRun, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        return self.spawn(coro, name)

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
            self.spawn(self.start(key), f"ecs-task-{key.rsplit(':', 1)[-1]}")
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
                if doc is not None and (doc["lastStatus"] != "PROVISIONING" or not self.mine(doc)):
                    doc = None
        finally:
            self._starting.discard(key)
        if doc is None or key in self.runs:
            return
        run = TaskRun(self, key, doc)
        self.runs[key] = run
        if doc["desiredStatus"] == "STOPPED":
            run.stop_requested.set()
        try:
            if not self.available:
                from gureum.services.ecs.taskrun import TaskFailed

                async def fail() -> None:
                    raise TaskFailed(f"ResourceInitializationError: {self.reason or 'containers are not available on this node'}")

                run.provision = fail  # type: ignore[method-assign]
            await run.run()
        finally:
            self.runs.pop(key, None)
            self.metadata.forget(run)
            self._wake.set()

    def mine(self, doc: dict[str, Any]) -> bool:
        """Tasks placed on a container instance run on the node serving that instance;
        Fargate tasks on the node that claimed them (or may claim them, when unclaimed)."""
        node = doc["_"].get("node")
        return node == self.node_ident or (node is None and not doc.get("containerInstanceArn"))

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
            return not any(n.get("runs") and n["node"] != self.node_ident for n in nodes.live_nodes(t, now, self.node_timeout))

        return await self.app.store.read(look)

    # --- the local container instance (EC2 launch type) ----------------------------------------
    async def register_instance(self) -> None:
        """Register this machine as one container instance (1024 CPU units per core, its
        memory in MiB) in the cluster `ecs.cluster` (default "default"), keeping its id across
        restarts; `--set ecs.register_instance=false` turns this off."""
        from gureum.aws.edge import DEFAULT_ACCOUNT, DEFAULT_REGION
        from gureum.services.ecs import instances as ci

        cfg = self.app.config
        if str(cfg.setting("ecs.register_instance", "true") or "true").lower() in ("false", "0", "no", "off"):
            return
        account = cfg.setting("ecs.account", DEFAULT_ACCOUNT) or DEFAULT_ACCOUNT
        region = cfg.setting("ecs.region", DEFAULT_REGION) or DEFAULT_REGION
        cluster = cfg.setting("ecs.cluster", "default") or "default"
        cpu = int(cfg.setting("ecs.instance_cpu", "0") or 0) or (os.cpu_count() or 1) * 1024
        memory = int(cfg.setting("ecs.instance_memory", "0") or 0) or host_memory_mib()
        id_file = self.work / "container-instance"
        known = id_file.read_text().strip() if id_file.exists() else ""
        ident = {"instanceId": "i-" + self.node_ident[:17], "instanceType": "gureum.node", "availabilityZone": f"{region}a", "region": region}
        import json

        def txn(t: Any) -> dict[str, Any]:
            params: dict[str, Any] = {
                "cluster": cluster,
                "instanceIdentityDocument": json.dumps(ident),
                "totalResources": [{"name": "CPU", "type": "INTEGER", "integerValue": cpu}, {"name": "MEMORY", "type": "INTEGER", "integerValue": memory}],
            }
            if known:
                found = ci.find(t, account, region, cluster, known)
                if found is not None and found[1]["status"] != "INACTIVE":
                    params["containerInstanceArn"] = found[1]["containerInstanceArn"]
            return ci.register(t, account, region, params, self.node_ident)

        try:
            doc = await self.app.store.run(txn)
        except Exception:
            log.exception("could not register this node as an ECS container instance")
            return
        iid = doc["containerInstanceArn"].rsplit("/", 1)[-1]
        id_file.write_text(iid)
        self.host_label = doc.get("ec2InstanceId") or ident["instanceId"]
        self.instance_key = ci.instance_key(account, region, cluster, iid)
        self.app.notes.append(f"ECS container instance {iid} ({cpu} CPU units, {memory} MiB) in cluster {cluster}")

    async def disconnect_instance(self) -> None:
        key = self.instance_key
        if key is None:
            return

        def txn(t: Any) -> None:
            d = t.get("ecs.instances", key)
            if d is not None and d.get("agentConnected"):
                d["agentConnected"] = False
                t.put("ecs.instances", key, d)

        with contextlib.suppress(Exception):
            await self.app.store.run(txn)

    # --- task networks -------------------------------------------------------------------------------
    async def take_network(self, task_id: str) -> net.TaskNetwork:
        """A task network: a warm one when there is one, else made now."""
        tn = self._net_pool.pop() if self._net_pool else None
        self.refill_networks()
        if tn is not None:
            return tn
        return await asyncio.to_thread(self.bridge.create, task_id)

    def refill_networks(self) -> None:
        if self._refilling or not self.available or len(self._net_pool) >= self.warm_networks:
            return
        self._refilling = True

        async def refill() -> None:
            try:
                # after the task that took one has started: `ip` processes would compete
                # with its runc for the CPUs
                await asyncio.sleep(REFILL_DELAY)
                while len(self._net_pool) < self.warm_networks:
                    self._net_pool.append(await asyncio.to_thread(self.bridge.create, uuid.uuid4().hex))
            except net.NetworkError:
                log.exception("could not pre-provision a task network")
            finally:
                self._refilling = False

        self.spawn(refill(), "ecs-warm-networks")

    # --- hooks used by TaskRun ---------------------------------------------------------------------
    async def wait_exited(self, exited: asyncio.Event, timeout: float) -> bool:
        """Until `exited` is set (True) or `timeout` seconds pass (False); once this node
        shuts down, at most `shutdown_grace` seconds more."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        waiter = asyncio.ensure_future(exited.wait())
        shut = asyncio.ensure_future(self.shutting_down.wait())
        try:
            done, _ = await asyncio.wait({waiter, shut}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if waiter in done or exited.is_set():
                return True
            if shut in done:
                left = min(deadline - loop.time(), self.shutdown_grace)
                if left > 0:
                    await asyncio.wait({waiter}, timeout=left)
            return exited.is_set()
        finally:
            waiter.cancel()
            shut.cancel()

    async def registry_access(
        self, image: str, account: str, region: str, *, ec2: bool = False
    ) -> tuple[img.Credentials | None, dict[str, str], Callable[[], tuple[bytes, str] | None] | None]:
        """Credentials and address for an image (ecr.pulls: gureum's own registry gets an ECR
        token for the task's account); another registry, for an EC2 task, the container
        instance's private registry credentials (registry_auth). On a node that serves the
        registry, also a reader of the image's manifest in-process (for the pull's thread),
        which spares the pull an HTTP round trip through this node's own loop."""
        from gureum.services.ecr import pulls

        creds, rewrite, own = await pulls.access(self.app, image, account, region)
        if own is None:
            if creds is None and not rewrite and ec2:
                with contextlib.suppress(img.PullError):
                    creds = self.engine_auth.get(registry_auth.host_of(img.parse_reference(image).registry))
            return creds, rewrite, None
        if self.app.is_agent:
            return creds, rewrite, None
        from gureum.services.ecr.engine import registry_of

        registry = registry_of(self.app)
        loop = asyncio.get_running_loop()

        def local() -> tuple[bytes, str] | None:
            try:
                read, doc = registry.read_manifest_sync(own.scope, own.repository, own.reference)
            except Exception:  # noqa: BLE001 - the HTTP pull tells what is wrong, in the registry's words
                return None
            loop.call_soon_threadsafe(lambda: self.spawn(registry.record_pull(own.scope, own.repository, doc), "ecs-record-pull"))
            return read.data, read.media_type

        return creds, rewrite, local

    def injected_env(self, run: TaskRun, c: Any) -> dict[str, str]:
        env = {
            "AWS_REGION": run.region,
            "AWS_DEFAULT_REGION": run.region,
            "AWS_EXECUTION_ENV": "AWS_ECS_FARGATE" if run.launch_type == "FARGATE" else "AWS_ECS_EC2",
        }
        env.update(self.metadata.register(run, c))
        return env

    async def serve_dns(self) -> None:
        from gureum.services.ecs import task_dns

        self.nameserver = await task_dns.serve_on_bridge(self.app, self.bridge.gateway)

    def resolv_conf(self, run: TaskRun) -> str:
        """The task's /etc/resolv.conf: gureum's DNS on the bridge gateway once it listens
        there (until then none, so lookups fail at once rather than stall)."""
        from gureum.services.ecs import task_dns

        return task_dns.resolv_conf(self.nameserver)

    def log_target(self, run: TaskRun, c: Any) -> tuple[str | None, str | None]:
        lc = c.spec.get("logConfiguration") or {}
        if lc.get("logDriver") != "awslogs" or self.logs is None:
            return None, None
        opts = lc.get("options") or {}
        group = opts.get("awslogs-group")
        if not group:
            return None, None
        prefix = opts.get("awslogs-stream-prefix")
        stream = f"{prefix}/{c.name}/{run.task_id}" if prefix else run.task_id
        return group, stream

    async def check_log_group(self, run: TaskRun, c: Any) -> str | None:
        """AWS's awslogs driver refuses to start when the group is missing and
        awslogs-create-group is not "true"."""
        group, _ = self.log_target(run, c)
        opts = (c.spec.get("logConfiguration") or {}).get("options") or {}
        if group is None or str(opts.get("awslogs-create-group", "")).lower() == "true":
            return None
        from gureum.services.logs import model as logs_model

        region = opts.get("awslogs-region") or run.region
        exists = await self.app.store.read(lambda t: t.get(logs_model.GROUPS, logs_model.group_key(run.account, region, group)) is not None)
        if exists:
            return None
        return (
            "create stream has been retried 1 times: failed to create Cloudwatch log stream: "
            "ResourceNotFoundException: The specified log group does not exist."
        )

    def log(self, account: str, region: str, group: str, stream: str, line: str) -> None:
        if self.logs is not None:
            self.logs.append(account, region, group, stream, [(int(time.time() * 1000), line)])

    async def on_activating(self, run: TaskRun) -> None:
        """Cloud Map registration of service tasks (while ACTIVATING, as ECS does)."""
        registries = run.meta.get("registries") or []
        if not registries or run.network is None:
            return
        from gureum.services.servicediscovery import model as sd

        attrs = {
            "AWS_INSTANCE_IPV4": run.network.ip,
            "AVAILABILITY_ZONE": f"{run.region}a",
            "AWS_INIT_HEALTH_STATUS": "HEALTHY",
            "ECS_CLUSTER_NAME": run.meta["cluster"],
            "ECS_SERVICE_NAME": run.meta.get("service") or "",
            "ECS_TASK_DEFINITION_FAMILY": run.meta["taskdef"]["family"],
            "REGION": run.region,
        }
        for reg in registries:
            srv_id = reg["registryArn"].rsplit("/", 1)[-1]
            a = dict(attrs)
            if reg.get("port") or reg.get("containerPort"):
                a["AWS_INSTANCE_PORT"] = str(reg.get("port") or reg.get("containerPort"))
            try:
                await self.app.store.run(lambda t, s=srv_id, a=a: sd.register_instance(t, run.account, run.region, s, run.task_id, a))
            except Exception:
                log.exception("could not register task %s in %s", run.task_id, reg["registryArn"])

    async def on_deactivating(self, run: TaskRun) -> None:
        """Cloud Map deregistration (while DEACTIVATING)."""
        registries = run.meta.get("registries") or []
        if not registries or run.network is None:
            return
        from gureum.services.servicediscovery import model as sd

        for reg in registries:
            srv_id = reg["registryArn"].rsplit("/", 1)[-1]
            with contextlib.suppress(Exception):
                await self.app.store.run(lambda t, s=srv_id: sd.deregister_instance(t, run.account, run.region, s, run.task_id))

    def usage_row(self, run: TaskRun, doc: dict[str, Any]) -> dict[str, Any] | None:
        """What the billing meter keeps for a Fargate task (None: not billed, or not yet:
        billing starts when the image pull starts)."""
        if run.launch_type != "FARGATE" or not doc:
            return None
        started = doc.get("pullStartedAt") or doc.get("startedAt")
        if started is None:
            return None
        return {
            "region": run.region,
            "resource": run.arn,
            "node": self.node_ident,
            "started": started,
            "vcpu": int(doc.get("cpu") or 256) / 1024,
            "memory_gb": int(doc.get("memory") or 512) / 1024,
            "arch": "x86_64",
        }

    async def record_usage(self, run: TaskRun, doc: dict[str, Any]) -> None:
        """A stopped task's usage, settled into the ledger (its running row goes with it)."""
        row = self.usage_row(run, doc)
        if row is None:
            return
        from gureum.billing import meter

        stopped = doc.get("stoppedAt") or model.now()
        try:
            await self.app.store.run(lambda t: meter.settle(t, run.account, row, stopped))
        except Exception:
            log.exception("could not record the usage of task %s", run.task_id)

    async def checkpoint_usage(self, only: list[TaskRun] | None = None) -> None:
        """Checkpoint the usage of this node's running Fargate tasks (all, or `only`)."""
        runs = [r for r in (self.runs.values() if only is None else only) if r.launch_type == "FARGATE"]
        if not runs:
            return
        from gureum.billing import meter

        now = model.now()

        def txn(t: Any) -> None:
            for r in runs:
                d = t.get(model.TASKS, r.key)
                if d is None or d["lastStatus"] in ("STOPPED", "DEPROVISIONING"):
                    continue
                row = self.usage_row(r, d)
                if row is not None:
                    meter.checkpoint(t, r.account, row, now)

        try:
            await self.app.store.run(txn)
        except Exception:
            log.exception("could not checkpoint task usage")

    async def meter_forever(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            await self.checkpoint_usage()

    # --- the loop ---------------------------------------------------------------------------------
    async def reconcile(self) -> None:
        """What this node's previous process left behind, put right before anything else
        starts: its usage settled (billing), its tasks that were past PROVISIONING marked
        STOPPED as ECS marks the tasks of a host that went away (their containers died with
        it) and their Cloud Map instances deregistered in the same transaction, and any
        ECS-registered instance whose task has stopped swept."""
        from gureum.billing import meter

        def txn(t: Any) -> int:
            # usage the previous process was metering: settled at its last checkpoint (or
            # its last heartbeat, when later): what ran after that is not known
            beat = t.get(nodes.NODES, self.node_ident)
            meter.settle_node(t, self.node_ident, beat["heartbeat"] if beat else None)
            now = model.now()
            stopped = 0
            for key, d in list(t.scan(model.TASKS)):
                if d["lastStatus"] in ("STOPPED", "PROVISIONING") or not self.mine(d):
                    continue
                nodes.mark_host_gone(d, self.host_label, now)
                t.put(model.TASKS, key, d)
                cloudmap.deregister_task(t, d)  # before DNS can answer for it again
                stopped += 1
            return stopped + len(cloudmap.sweep(t))

        if await self.app.store.run(txn):
            log.info("ECS: tasks of this node's previous run stopped, their Cloud Map instances deregistered")

    async def recover(self) -> None:
        """Start the tasks this node's previous process left PROVISIONING."""
        rows = await self.app.store.read(lambda t: [(k, d) for k, d in t.scan(model.TASKS) if d["lastStatus"] == "PROVISIONING"])
        for key, doc in rows:
            if self.mine(doc):
                self.spawn(self.start(key), f"ecs-task-{key.rsplit(':', 1)[-1]}")

    async def tick(self) -> None:
        """Heartbeat and scheduler lease; as the lease holder: service scheduling, lost nodes,
        the expiry of long-stopped tasks; now and then a scan for tasks an event missed."""
        now = time.time()
        if now >= self._next_beat:
            self._next_beat = now + self.heartbeat_interval
            await self.beat(now)
            if self.leader and self.app.store.shared:
                lost = await self.app.store.run(lambda t: nodes.sweep_lost(t, self.node_ident, now, self.node_timeout))
                for node in lost:
                    log.warning("ECS node %s stopped beating: its Fargate tasks are stopped, its instance disconnected", node)
        if self.leader:
            await svc.reconcile_all(self.app.store)
        if now >= self._next_scan:
            self._next_scan = now + SCAN_INTERVAL
            await self.scan()
            if self.leader and now >= self._next_expire:
                self._next_expire = now + 60
                cutoff = now - model.STOPPED_RETENTION

                def expire(t: Any) -> None:
                    for k, d in t.scan(model.TASKS):
                        if d["lastStatus"] == "STOPPED" and (d.get("stoppedAt") or 0) < cutoff:
                            t.delete(model.TASKS, k)

                await self.app.store.run(expire)

    async def beat(self, now: float) -> None:
        info = {"pid": os.getpid(), "role": self.app.config.role, "runs": self.available, "instance": self.instance_key}
        ttl = 3 * self.heartbeat_interval

        def txn(t: Any) -> bool:
            nodes.beat(t, self.node_ident, info, now)
            return nodes.take_lease(t, nodes.SCHEDULER, self.node_ident, now, ttl)

        leader = await self.app.store.run(txn)
        if leader != self.leader:
            log.info("ECS: this node %s the service scheduler", "now runs" if leader else "no longer runs")
        self.leader = leader

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
            if key in self.runs or not self.mine(doc):
                continue
            self.spawn(self.start(key), f"ecs-task-{key.rsplit(':', 1)[-1]}")

    async def serve(self) -> None:
        try:
            await self.reconcile()
        except Exception:
            log.exception("ECS: could not reconcile the state of this node's previous run")
        await asyncio.to_thread(self.setup)
        self._optional_sinks()
        if self.available and await self.metadata.start(self.bridge.name):
            self.bridge.host_routes.append(self._metadata_address)
        if self.available:  # gureum's DNS answers tasks on their bridge's gateway
            self.spawn(self.serve_dns(), "ecs-task-dns")
        if self.available:
            from gureum.billing import meter

            interval = float(self.app.config.setting("billing.checkpoint_interval", str(meter.DEFAULT_INTERVAL)) or meter.DEFAULT_INTERVAL)
            self.spawn(self.meter_forever(max(interval, 0.1)), "ecs-meter")
        await self.follower.start()
        if self.app.store.shared:
            self.spawn(self.follower.poll_forever(float(self.app.config.setting("ecs.follow_interval", "0.2") or 0.2)), "ecs-follow")
        self.app.publish(COMPONENT, self)
        if self.available:
            self.app.set_status("ecs", "running")
        else:
            self.app.set_status("ecs", "running", f"API only: {self.reason}")
            log.warning("ECS tasks cannot run here: %s", self.reason)
        await self.register_instance()
        try:
            await self.recover()
            interval = float(self.app.config.setting("ecs.scheduler_interval", "0.5") or 0.5)
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

    async def mark_stopping_for_shutdown(self) -> None:
        """The tasks this node stops because it shuts down are stopped as ECS stops the
        tasks of a host that goes away: stopCode TerminationNotice (TaskFailedToStart for
        one not started yet) and the host's stoppedReason, written before the stop begins."""
        keys = list(self.runs)
        if not keys:
            return

        def txn(t: Any) -> None:
            for key in keys:
                d = t.get(model.TASKS, key)
                if d is None or d["lastStatus"] == "STOPPED":
                    continue
                d["desiredStatus"] = "STOPPED"
                nodes.host_stop_reason(d, self.host_label)
                d["version"] += 1
                t.put(model.TASKS, key, d)

        try:
            await self.app.store.run(txn)
        except Exception:
            log.exception("could not record why this node's tasks stop")

    async def shutdown(self) -> None:
        await self.disconnect_instance()
        with contextlib.suppress(Exception):
            await self.app.store.run(lambda t: nodes.leave(t, self.node_ident))
        self.shutting_down.set()
        await self.mark_stopping_for_shutdown()
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
        await self.metadata.stop()
        pool, self._net_pool = self._net_pool, []
        for tn in pool:
            await asyncio.to_thread(self.bridge.destroy, tn)
        with contextlib.suppress(OSError):
            await asyncio.to_thread(sweep_cgroups, True)
        if self.available:
            with contextlib.suppress(OSError, net.NetworkError):
                await asyncio.to_thread(self.bridge.teardown)


def host_memory_mib() -> int:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 1024


def sweep_cgroups(include_self: bool = False) -> None:
    """Remove task cgroups left by gureum processes that died (gureum-ecs/p<pid>/<task>),
    and this process's own when it shuts down."""
    own = cgroups.own_memory_cgroup()
    for ctrl in ("memory", "cpu", "pids"):
        base = Path("/sys/fs/cgroup") / ctrl / own / "gureum-ecs"
        if not base.is_dir():
            continue
        for node in base.iterdir():
            if not node.is_dir() or not node.name[1:].isdigit():
                continue
            if cgroups.pid_alive(int(node.name[1:])) and not (include_self and int(node.name[1:]) == os.getpid()):
                continue
            for d in sorted(node.rglob("*"), key=lambda p: len(p.parts), reverse=True):
                if d.is_dir():
                    with contextlib.suppress(OSError):
                        d.rmdir()
            with contextlib.suppress(OSError):
                node.rmdir()


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
