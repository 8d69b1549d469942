"""One task on this node, from PROVISIONING to STOPPED: network, image pulls, bundles,
containers under runc, dependsOn ordering, health checks, logs, stopping.

A `TaskRun` is driven by the agent (agent.py) as one owned asyncio task, and needs of the
node only what `TaskHost` (task_host.py) declares; every state
change is written to the store at once (lastStatus, desiredStatus and container states as
AWS reports them, plus the lifecycle history under "_" for tests and `gureum` tooling).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import resource
import shutil
import signal
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gureum.sandbox import cgroups
from gureum.sandbox import images as img
from gureum.sandbox import network as net
from gureum.sandbox import runc as rc
from gureum.services.ecs import envfiles, model, task_secrets

if TYPE_CHECKING:
    from gureum.services.ecs.task_host import TaskHost

log = logging.getLogger("gureum.ecs")

OOM_REASON = "OutOfMemoryError: Container killed due to memory usage"
ESSENTIAL_EXITED = "Essential container in task exited"
DEFAULT_STOP_TIMEOUT = 30


@dataclass
class ContainerRun:
    name: str
    spec: dict[str, Any]  # the container definition (overrides applied)
    index: int
    runtime_id: str = ""
    bundle: Path | None = None
    cgroups_path: str = ""
    image: img.Image | None = None
    proc: asyncio.subprocess.Process | None = None
    started: asyncio.Event = field(default_factory=asyncio.Event)
    exited: asyncio.Event = field(default_factory=asyncio.Event)
    healthy: asyncio.Event = field(default_factory=asyncio.Event)
    exit_code: int | None = None
    reason: str | None = None
    health: str = "UNKNOWN"
    proxies: list[net.PortProxy | net.UdpProxy] = field(default_factory=list)
    bindings: list[dict[str, Any]] = field(default_factory=list)
    mounted: Path | None = None
    start_error: str = ""  # the runtime's own complaint when the container never started
    holds_limit: bool = False  # its memory limit is on our cgroup at cgroups_path (crun: see prepare_container)
    env_files: list[dict[str, str]] = field(default_factory=list)  # environmentFiles, read at activation
    secret_env: dict[str, str] = field(default_factory=dict)  # `secrets`, resolved before the pull
    registry_creds: img.Credentials | None = None  # `repositoryCredentials`, resolved before the pull

    @property
    def essential(self) -> bool:
        return bool(self.spec.get("essential", True))


class TaskFailed(Exception):
    def __init__(self, reason: str, container_reasons: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.container_reasons = container_reasons or {}


class TaskRun:
    def __init__(self, host: TaskHost, key: str, doc: dict[str, Any], *, cannot_run: str | None = None) -> None:
        self.host = host
        self.cannot_run = cannot_run  # why this node cannot run it: the task fails to start
        self.key = key
        self.task_id = key.rsplit(":", 1)[-1]
        self.arn = doc["taskArn"]
        self.cluster: str = doc.get("clusterArn", "")  # AWS/ECS metrics (cw_metrics.py)
        self.group: str = doc.get("group", "")
        meta = doc["_"]
        self.account: str = meta["account"]
        self.region: str = meta["region"]
        self.meta = meta
        self.containers = [ContainerRun(c["name"], c, i) for i, c in enumerate(meta["containers"])]
        self.dir = host.tasks_dir / self.task_id
        self.network: net.TaskNetwork | None = None
        self.stop_requested = asyncio.Event()
        self.changed = asyncio.Event()  # a container exited or changed health
        self.cgroup_dirs: list[Path] = []
        self.task_cgroup_rel = ""
        self.started_at: float | None = None
        self.pull_started: float | None = None
        self.pull_stopped: float | None = None
        self.pending_write: asyncio.Future[dict[str, Any]] | None = None
        self.cgroup_ready: asyncio.Future[None] | None = None  # the task's cgroup made (in a thread)
        self.holds_warmth = False  # holding host.cgroup_warmth (until its containers have started)
        self._warmth_over = False
        self._warmth_lock = threading.Lock()
        self.network_mode = meta["taskdef"].get("networkMode") or "bridge"
        self.cpu = int(doc.get("cpu") or 0)
        self.memory = int(doc.get("memory") or 0)
        self.launch_type = doc.get("launchType", "FARGATE")
        self.doc_overrides: dict[str, Any] = dict(doc.get("overrides") or {})
        self.role_arn: str | None = self.doc_overrides.get("taskRoleArn") or meta["taskdef"].get("taskRoleArn")

    # --- store updates ---------------------------------------------------------------------
    async def update(self, fn: Any) -> dict[str, Any]:
        """Apply fn(doc) to the stored task in one transaction; bumps `version`."""

        def txn(t: Any) -> dict[str, Any]:
            doc = t.get(model.TASKS, self.key)
            if doc is None:
                return {}
            fn(doc)
            doc["version"] += 1
            t.put(model.TASKS, self.key, doc)
            return doc

        return await self.host.store.run(txn)

    async def set_status(self, status: str, extra: Any = None) -> dict[str, Any]:
        ts = model.now()

        def fn(doc: dict[str, Any]) -> None:
            doc["lastStatus"] = status
            doc["_"].setdefault("history", []).append([status, doc["desiredStatus"], ts])
            if extra is not None:
                extra(doc)

        return await self.update(fn)

    def container_doc(self, doc: dict[str, Any], name: str) -> dict[str, Any]:
        return next(c for c in doc["containers"] if c["name"] == name)

    # --- the lifecycle -----------------------------------------------------------------------
    async def run(self) -> None:
        failure: TaskFailed | None = None
        stop_code = None
        if self.cannot_run is None:  # made while the task is provisioned and its image found
            self.task_cgroup_rel = self.task_cgroup_path()
            self.cgroup_ready = asyncio.ensure_future(asyncio.to_thread(self.prepare_cgroup_warm))
        try:
            try:
                # the image is pulled while the task network is provisioned
                pulling = asyncio.ensure_future(self.pull())
                try:
                    await self.provision()
                except BaseException:
                    pulling.cancel()
                    await asyncio.wait([pulling])
                    if not pulling.cancelled():
                        pulling.exception()  # (retrieved: the provisioning failure is the one told)
                    raise
                await pulling
                await self.activate()
            except TaskFailed as e:
                failure = e
            except Exception as e:  # our bug, or the host refusing: the task fails to start
                log.exception("task %s failed to start", self.task_id)
                failure = TaskFailed(f"ResourceInitializationError: {e}")
            finally:
                self.release_warmth()
            if failure is None:
                stop_code = await self.wait_until_done()
        finally:
            await asyncio.shield(self.teardown(failure, stop_code))

    async def provision(self) -> None:
        if self.cannot_run is not None:
            raise TaskFailed(f"ResourceInitializationError: {self.cannot_run}")
        self.dir.mkdir(parents=True, exist_ok=True)
        if self.network_mode in ("awsvpc", "bridge"):
            try:
                self.network = await self.host.take_network(self.task_id)
            except net.NetworkError as e:
                raise TaskFailed(f"ResourceInitializationError: failed to configure the task network: {e}") from None
        tn = self.network
        eni = f"eni-{uuid.uuid4().hex[:17]}"

        def fn(doc: dict[str, Any]) -> None:
            if tn is None:
                return
            doc["connectivity"] = "CONNECTED"
            doc["connectivityAt"] = model.now()
            dns = "ip-" + tn.ip.replace(".", "-") + (".ec2.internal" if self.region == "us-east-1" else f".{self.region}.compute.internal")
            for att in doc["attachments"]:
                if att["type"] == "ElasticNetworkInterface":
                    att["status"] = "ATTACHED"
                    subnet = next((d["value"] for d in att["details"] if d["name"] == "subnetId"), "")
                    att["details"] = [
                        {"name": "subnetId", "value": subnet},
                        {"name": "networkInterfaceId", "value": eni},
                        {"name": "macAddress", "value": tn.mac},
                        {"name": "privateDnsName", "value": dns},
                        {"name": "privateIPv4Address", "value": tn.ip},
                    ]
                    for c in doc["containers"]:
                        c["networkInterfaces"] = [{"attachmentId": att["id"], "privateIpv4Address": tn.ip}]

        # not awaited here: writes commit in order, so PENDING lands before ACTIVATING
        self.pending_write = asyncio.ensure_future(self.set_status("PENDING", fn))

    async def resolve_secrets(self) -> None:
        """Container `secrets` and `repositoryCredentials` read with the execution role
        (task_secrets.py), before any image is pulled: a failure stops the task."""
        specs = [c.spec for c in self.containers]
        role = (self.doc_overrides.get("executionRoleArn") or self.meta["taskdef"].get("executionRoleArn"))
        try:
            if any(c.get("secrets") for c in specs):
                found = await task_secrets.resolve(self.host.store, self.account, self.region, specs, role)
                for c in self.containers:
                    c.secret_env = found.get(c.name, {})
            for c in self.containers:
                param = (c.spec.get("repositoryCredentials") or {}).get("credentialsParameter")
                if param:
                    user, password = await task_secrets.repository_credentials(self.host.store, self.account, self.region, param, role)
                    c.registry_creds = img.Credentials(user, password)
        except task_secrets.SecretsError as e:
            raise TaskFailed(str(e)) from None

    async def pull(self) -> None:
        self.pull_started = model.now()
        await self.resolve_secrets()

        async def one(c: ContainerRun) -> None:
            creds, rewrite, locate = await self.host.registry_access(c.spec["image"], self.account, self.region, ec2=self.launch_type == "EC2")
            if c.registry_creds is not None and locate is None and creds is None:
                creds = c.registry_creds
            try:
                found = await locate() if locate is not None else None
                c.image = await self.host.images.pull(c.spec["image"], creds, rewrite=rewrite, found=found)
            except img.PullError as e:
                raise TaskFailed(
                    f"CannotPullContainerError: pull image manifest has been retried 1 time(s): {e}",
                    {c.name: f"CannotPullContainerError: {e}"},
                ) from None

        results = await asyncio.gather(*(one(c) for c in self.containers), return_exceptions=True)
        self.pull_stopped = model.now()
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            await self.update(self.record_pull)
            raise errors[0]

    def record_pull(self, doc: dict[str, Any]) -> None:
        """The pull's times and image digests (written with ACTIVATING, or at a failed pull)."""
        doc["pullStartedAt"] = self.pull_started
        doc["pullStoppedAt"] = self.pull_stopped
        for c in self.containers:
            if c.image is not None:
                self.container_doc(doc, c.name)["imageDigest"] = c.image.manifest_digest

    async def activate(self) -> None:
        for c in self.containers:
            problem = await self.host.check_log_group(self, c)
            if problem:
                raise TaskFailed(f"ResourceInitializationError: failed to validate logger args: {problem}")
        for c in self.containers:
            try:
                c.env_files = await self.host.load_env_files(self.account, c.spec.get("environmentFiles"))
            except envfiles.EnvFileError as e:
                raise TaskFailed(str(e)) from None
        # The ACTIVATING write overlaps the container start-up; it commits before RUNNING.
        activating = asyncio.ensure_future(self.set_status("ACTIVATING", self.record_pull))
        try:
            order = self.start_order()
            # Containers nest under the task's cgroup (its limits, pids.max among them), made
            # since run() began; then their root file systems and bundles.
            if self.cgroup_ready is not None:
                await asyncio.shield(self.cgroup_ready)
            await asyncio.gather(*(self.prepare_container(c) for c in order))
            if self.pending_write is not None:
                await self.pending_write
            await self.host.on_activating(self)
            for c in order:
                if c.spec.get("dependsOn"):
                    self.release_warmth()  # (waiting for a dependency may take long)
                await self.wait_dependencies(c)
                if self.stop_requested.is_set():
                    raise TaskFailed(self.agent_stop_reason())
                await self.start_container(c)
            self.release_warmth()
        finally:
            await activating
        self.started_at = model.now()

        def fn(doc: dict[str, Any]) -> None:
            doc["startedAt"] = self.started_at
            for c in self.containers:
                cd = self.container_doc(doc, c.name)
                cd["runtimeId"] = c.runtime_id
                cd["networkBindings"] = c.bindings
                if c.exit_code is None:
                    cd["lastStatus"] = "RUNNING"

        await self.set_status("RUNNING", fn)
        await self.host.on_running(self)  # billed from here on even if the node dies

    def prepare_cgroup_warm(self) -> None:
        """The task's cgroup, then `host.cgroup_warmth` held until its containers have started
        (in that order: the first move's grace period holds the kernel's cgroup mutex, which
        making a cgroup needs too; it passes while the image is found and the bundles made)."""
        self.prepare_cgroup()
        with self._warmth_lock:
            if not self._warmth_over:
                self.host.cgroup_warmth.hold()
                self.holds_warmth = True

    def release_warmth(self) -> None:
        with self._warmth_lock:
            self._warmth_over = True
            if self.holds_warmth:
                self.holds_warmth = False
                self.host.cgroup_warmth.release()

    def agent_stop_reason(self) -> str:
        return "Task stopped before it started"

    def start_order(self) -> list[ContainerRun]:
        by_name = {c.name: c for c in self.containers}
        seen: set[str] = set()
        out: list[ContainerRun] = []

        def visit(c: ContainerRun, stack: set[str]) -> None:
            if c.name in seen:
                return
            if c.name in stack:
                raise TaskFailed(f"CannotStartContainerError: circular dependsOn involving {c.name}")
            stack.add(c.name)
            for dep in c.spec.get("dependsOn") or []:
                visit(by_name[dep["containerName"]], stack)
            seen.add(c.name)
            out.append(c)

        for c in self.containers:
            visit(c, set())
        return out

    async def wait_dependencies(self, c: ContainerRun) -> None:
        by_name = {x.name: x for x in self.containers}
        for dep in c.spec.get("dependsOn") or []:
            d = by_name[dep["containerName"]]
            cond = dep["condition"]
            ev = {"START": d.started, "COMPLETE": d.exited, "SUCCESS": d.exited, "HEALTHY": d.healthy}[cond]
            waiter = asyncio.ensure_future(ev.wait())
            stopper = asyncio.ensure_future(self.stop_requested.wait())
            exited = asyncio.ensure_future(d.exited.wait())
            try:
                pending = {waiter, stopper} | ({exited} if cond == "HEALTHY" else set())
                await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for f in (waiter, stopper, exited):
                    f.cancel()
            if self.stop_requested.is_set():
                raise TaskFailed(self.agent_stop_reason())
            if cond == "SUCCESS" and d.exit_code != 0:
                raise TaskFailed(f"Dependency {d.name} of container {c.name} exited with code {d.exit_code}")
            if cond == "HEALTHY" and not d.healthy.is_set():
                raise TaskFailed(f"Dependency {d.name} of container {c.name} exited before it became healthy")

    # --- cgroups -----------------------------------------------------------------------------
    def task_cgroup_path(self) -> str:
        """Where the task's cgroup goes, relative to each controller's root: under this
        process's own memory cgroup, gureum-ecs/<node>/<task>."""
        return f"{self.host.cgroup_base}/{self.task_id}"

    def prepare_cgroup(self) -> None:
        """A task-level cgroup (Fargate task cpu/memory) that the containers nest under
        (at self.task_cgroup_rel, set before the containers' bundles are written)."""
        base = Path("/sys/fs/cgroup")
        if os.geteuid() != 0 or not (base / "memory").is_dir():
            return
        rel = self.task_cgroup_rel
        for ctrl in ("memory", "cpu", "pids"):
            d = base / ctrl / rel
            try:
                d.mkdir(parents=True, exist_ok=True)
            except OSError:
                continue
            self.cgroup_dirs.append(d)
            with contextlib.suppress(OSError):
                if ctrl == "memory" and self.memory:
                    (d / "memory.limit_in_bytes").write_text(str(self.memory << 20))
                    with contextlib.suppress(OSError):
                        (d / "memory.memsw.limit_in_bytes").write_text(str(self.memory << 20))
                if ctrl == "cpu" and self.cpu:
                    (d / "cpu.cfs_period_us").write_text("100000")
                    (d / "cpu.cfs_quota_us").write_text(str(max(1000, self.cpu * 100000 // 1024)))
                    (d / "cpu.shares").write_text(str(max(2, self.cpu)))
                if ctrl == "pids":
                    (d / "pids.max").write_text(str(self.host.pids_limit))

    def remove_cgroup(self) -> None:
        for d in self.cgroup_dirs:
            for child in sorted(d.glob("*/"), reverse=True):
                if child.is_dir():
                    with contextlib.suppress(OSError):
                        child.rmdir()
            for _ in range(50):
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)
        # the groups the OCI runtime made for the task's containers in the other hierarchies
        # (devices, freezer, blkio, cpuset, cpuacct, name=systemd...): it removes a container's
        # own group on delete but not the task's group it created above it
        if self.task_cgroup_rel:
            for hierarchy in cgroups.hierarchies():
                cgroups.remove_tree(hierarchy / self.task_cgroup_rel)

    def task_oom(self) -> bool:
        return rc.memory_oom_killed(self.task_cgroup_rel)

    # --- containers ----------------------------------------------------------------------------
    def process_spec(self, c: ContainerRun, injected: dict[str, str]) -> rc.ProcessSpec:
        assert c.image is not None
        env = envfiles.merge(c.spec.get("environment"), c.env_files)
        env.update(c.secret_env)
        env.update(injected)
        return rc.merge_process(
            c.image.config,
            entry_point=c.spec.get("entryPoint"),
            command=c.spec.get("command"),
            environment=env,
            working_directory=c.spec.get("workingDirectory"),
            user=c.spec.get("user"),
        )

    async def prepare_container(self, c: ContainerRun) -> None:
        """The container's root file system (overlayfs) and runc bundle, ready to start."""
        assert c.image is not None
        cdir = self.dir / c.name
        rootfs = cdir / "rootfs"
        c.runtime_id = f"{self.task_id}-{c.name}"[:64] if len(c.name) < 20 else f"{self.task_id}-{c.index}"
        if not self.task_cgroup_rel:
            raise RuntimeError("the task's cgroup path must be known before its containers'")
        c.cgroups_path = f"/{self.task_cgroup_rel}/{c.name}"
        hostname = "ip-" + self.network.ip.replace(".", "-") + ".ec2.internal" if self.network else (c.spec.get("hostname") or self.task_id[:12])
        injected = self.host.container_env(self, c)

        def prepare() -> None:
            files = self.write_files(cdir, hostname)
            img.mount_rootfs(c.image.layers, cdir / "upper", cdir / "work", rootfs)  # type: ignore[union-attr]
            c.mounted = rootfs
            spec = rc.BundleSpec(
                id=c.runtime_id,
                rootfs=rootfs,
                process=self.process_spec(c, injected),
                hostname=hostname,
                netns=self.network.path if self.network else None,
                cgroups_path=c.cgroups_path,
                memory_bytes=(c.spec["memory"] << 20) if c.spec.get("memory") else None,
                memory_reservation_bytes=(c.spec["memoryReservation"] << 20) if c.spec.get("memoryReservation") else None,
                cpu_shares=c.spec.get("cpu") or None,
                pids_limit=None,
                readonly_rootfs=bool(c.spec.get("readonlyRootFilesystem")),
                binds=self.volume_binds(c),
                files=files,
                rlimits=_rlimits(c.spec.get("ulimits") or []),
            )
            if self.network is None:
                spec.files.pop("/etc/hostname", None)
            if not self.host.runc.keeps_exited and spec.memory_bytes and rc.hold_memory_limit(c.cgroups_path, spec.memory_bytes):
                # crun removes the container's cgroup as it exits (no --keep): the limit lives one
                # level up, in a memory cgroup of ours, whose OOM counter outlives the container
                spec.cgroups_path, spec.memory_bytes = c.cgroups_path + "/ctr", None
                c.holds_limit = True
            rc.write_bundle(cdir, spec)
            c.bundle = cdir

        try:
            await asyncio.to_thread(prepare)
        except rc.ContainerError as e:
            raise TaskFailed(f"CannotStartContainerError: {e}", {c.name: f"CannotStartContainerError: {e}"}) from None

    async def start_container(self, c: ContainerRun) -> None:
        cdir = self.dir / c.name
        pid_file = cdir / "container.pid"
        c.proc = await self.host.runc.run(c.runtime_id, cdir, pid_file)
        self.host.spawn(self.watch_container(c), f"ecs-container-{c.runtime_id}")
        if await self.host.runc.wait_started(c.proc, pid_file) is None:
            await c.exited.wait()
            detail = c.start_error or f"exit status {c.exit_code}"
            raise TaskFailed(f"CannotStartContainerError: {detail}", {c.name: f"CannotStartContainerError: {detail}"})
        await self.publish_ports(c)
        c.started.set()
        if c.spec.get("healthCheck") and c.spec["healthCheck"]["command"][0] != "NONE":
            self.host.spawn(self.health_loop(c), f"ecs-health-{c.runtime_id}")
        else:
            c.healthy.set()

    def write_files(self, cdir: Path, hostname: str) -> dict[str, str]:
        cdir.mkdir(parents=True, exist_ok=True)
        etc = cdir / "etc"
        etc.mkdir(exist_ok=True)
        ip = self.network.ip if self.network else "127.0.0.1"
        (etc / "hosts").write_text(f"127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n{ip} {hostname}\n")
        (etc / "hostname").write_text(hostname + "\n")
        (etc / "resolv.conf").write_text(self.host.resolv_conf())
        return {"/etc/hosts": str(etc / "hosts"), "/etc/hostname": str(etc / "hostname"), "/etc/resolv.conf": str(etc / "resolv.conf")}

    def volume_binds(self, c: ContainerRun) -> list[tuple[str, str, bool]]:
        volumes = {v["name"]: v for v in self.meta["taskdef"].get("volumes") or []}
        out = []
        for mp in c.spec.get("mountPoints") or []:
            vol = volumes.get(mp.get("sourceVolume", ""))
            if vol is None or not mp.get("containerPath"):
                continue
            src = (vol.get("host") or {}).get("sourcePath") if self.launch_type != "FARGATE" else None
            if not src:
                d = self.dir / "volumes" / vol["name"]
                d.mkdir(parents=True, exist_ok=True)
                src = str(d)
            out.append((src, mp["containerPath"], bool(mp.get("readOnly"))))
        return out

    async def publish_ports(self, c: ContainerRun) -> None:
        if self.network is None:
            for pm in c.spec.get("portMappings") or []:
                if pm.get("containerPort"):
                    c.bindings.append({"bindIP": "0.0.0.0", "containerPort": pm["containerPort"], "hostPort": pm["containerPort"], "protocol": pm.get("protocol", "tcp")})
            return
        for pm in c.spec.get("portMappings") or []:
            port = pm.get("containerPort")
            protocol = pm.get("protocol") or "tcp"
            if not port or protocol not in ("tcp", "udp"):
                continue
            want = pm.get("hostPort") or 0
            if self.network_mode == "awsvpc":
                want = port
            proxy = None
            if self.network_mode == "bridge" and not want:
                # hostPort 0 in bridge mode: a dynamic port from the range ECS uses
                candidates: tuple[int, ...] = tuple(random.sample(range(49153, 65536), 64))
            else:
                candidates = (want, 0) if want else (0,)
            for candidate in candidates:
                try:
                    proxy = await net.publish(self.host.publish_host, candidate, (self.network.ip, port), protocol)
                    break
                except OSError:
                    continue
            if proxy is None:
                continue
            c.proxies.append(proxy)
            c.bindings.append({"bindIP": self.host.publish_host, "containerPort": port, "hostPort": proxy.host_port, "protocol": protocol})

    async def watch_container(self, c: ContainerRun) -> None:
        assert c.proc is not None
        group, stream = self.host.log_target(self, c)
        region = ((c.spec.get("logConfiguration") or {}).get("options") or {}).get("awslogs-region") or self.region
        readers = [
            asyncio.ensure_future(self.pump(c.proc.stdout, group, stream, region)),
            asyncio.ensure_future(self.pump(c.proc.stderr, group, stream, region, c)),
        ]
        code = await c.proc.wait()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.gather(*readers), 2)
        for r in readers:
            r.cancel()
        # (the kernel counts an OOM kill on the victim's own cgroup, which crun has removed by
        # now: a SIGKILLed container whose cgroup of ours hit its limit was OOM-killed)
        oom = await asyncio.to_thread(
            lambda: rc.memory_oom_killed(c.cgroups_path)
            or (code == 137 and (self.task_oom() or (c.holds_limit and rc.memory_limit_hit(c.cgroups_path))))
        )
        if code == 255 and c.started.is_set() and not oom:
            pass  # runc's own failure; reported as is
        c.exit_code = 137 if oom else code
        if oom:
            c.reason = OOM_REASON
        await self.host.runc.delete(c.runtime_id)
        for p in c.proxies:
            await p.close()
        c.exited.set()
        self.changed.set()

        def fn(doc: dict[str, Any]) -> None:
            cd = self.container_doc(doc, c.name)
            cd["lastStatus"] = "STOPPED"
            cd["exitCode"] = c.exit_code
            if c.reason:
                cd["reason"] = c.reason
            cd["networkBindings"] = []

        await self.update(fn)

    async def pump(self, stream: asyncio.StreamReader | None, group: str | None, log_stream: str | None, region: str, c: ContainerRun | None = None) -> None:
        if stream is None:
            return
        while True:
            try:
                line = await stream.readline()
            except (ValueError, asyncio.LimitOverrunError):
                line = await stream.read(65536)
            if not line:
                return
            if c is not None and not c.started.is_set():
                c.start_error = (c.start_error + line.decode(errors="replace"))[-500:].strip()
            if group and log_stream:
                text = line.decode(errors="replace").rstrip("\n")
                self.host.log(self.account, region, group, log_stream, text)

    async def health_loop(self, c: ContainerRun) -> None:
        hc = c.spec["healthCheck"]
        cmd = hc["command"]
        args = ["/bin/sh", "-c", cmd[1] if len(cmd) == 2 else " ".join(cmd[1:])] if cmd[0] == "CMD-SHELL" else list(cmd[1:])
        interval, timeout, retries = hc.get("interval", 30), hc.get("timeout", 5), hc.get("retries", 3)
        start_period = hc.get("startPeriod", 0) or 0
        began = time.monotonic()
        failures = 0
        while not c.exited.is_set() and not self.stop_requested.is_set():
            await asyncio.sleep(interval)  # as Docker: the first check runs one interval after start
            if c.exited.is_set() or self.stop_requested.is_set():
                return
            code = await self.host.runc.exec(c.runtime_id, args, timeout)
            status = c.health
            if code == 0:
                failures = 0
                status = "HEALTHY"
            elif time.monotonic() - began >= start_period:
                failures += 1
                if failures >= retries:
                    status = "UNHEALTHY"
            if status != c.health:
                c.health = status
                if status == "HEALTHY":
                    c.healthy.set()
                self.changed.set()
                await self.update(lambda doc: self.apply_health(doc))

    def apply_health(self, doc: dict[str, Any]) -> None:
        states = []
        for c in self.containers:
            self.container_doc(doc, c.name)["healthStatus"] = c.health
            if c.essential and c.spec.get("healthCheck"):
                states.append(c.health)
        if "UNHEALTHY" in states:
            doc["healthStatus"] = "UNHEALTHY"
        elif states and all(s == "HEALTHY" for s in states):
            doc["healthStatus"] = "HEALTHY"
        else:
            doc["healthStatus"] = "UNKNOWN"

    # --- running and stopping --------------------------------------------------------------------
    async def wait_until_done(self) -> str:
        """Until a stop is asked for or an essential container exits; returns the stopCode."""
        while True:
            for c in self.containers:
                if c.essential and c.exited.is_set():
                    return "EssentialContainerExited"
                # an UNHEALTHY service task is replaced by the service scheduler (services.py), which
                # ignores health during the service's healthCheckGracePeriodSeconds
            if self.stop_requested.is_set():
                return "UserInitiated"
            self.changed.clear()
            stop = asyncio.ensure_future(self.stop_requested.wait())
            change = asyncio.ensure_future(self.changed.wait())
            try:
                await asyncio.wait({stop, change}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stop.cancel()
                change.cancel()

    async def stop_containers(self) -> None:
        """Reverse start order: the stop signal, then SIGKILL after stopTimeout."""
        running = [c for c in reversed(self.start_order_safe()) if c.proc is not None and not c.exited.is_set()]

        async def stop_one(c: ContainerRun) -> None:
            timeout = c.spec.get("stopTimeout") or self.host.default_stop_timeout
            sig = _signal(c.image.config.get("StopSignal") if c.image else None)
            await self.host.runc.kill(c.runtime_id, sig)
            if not await self.host.wait_exited(c.exited, timeout):  # (cut short when gureum shuts down)
                await self.host.runc.kill(c.runtime_id, signal.SIGKILL, all_processes=True)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(c.exited.wait(), 10)

        await asyncio.gather(*(stop_one(c) for c in running))

    def start_order_safe(self) -> list[ContainerRun]:
        try:
            return self.start_order()
        except TaskFailed:
            return list(self.containers)

    async def teardown(self, failure: TaskFailed | None, stop_code: str | None) -> None:
        try:
            await self._teardown(failure, stop_code)
        except Exception:
            log.exception("tearing down task %s failed", self.task_id)
            with contextlib.suppress(Exception):
                await self.set_status("STOPPED", lambda d: d.update(desiredStatus="STOPPED", stoppedAt=model.now()))

    async def _teardown(self, failure: TaskFailed | None, stop_code: str | None) -> None:
        if self.pending_write is not None:
            with contextlib.suppress(Exception):
                await self.pending_write
        reason: str | None = None
        code: str | None = None
        if failure is not None:
            reason, code = failure.reason, "TaskFailedToStart"
            if self.stop_requested.is_set():
                reason, code = None, None  # the stop request's own reason stands
        elif stop_code == "EssentialContainerExited":
            reason, code = ESSENTIAL_EXITED, "EssentialContainerExited"
        elif stop_code == "TaskFailedHealthCheck":
            reason, code = "Task failed container health checks", "ServiceSchedulerInitiated"
        stopping_at = model.now()

        def deactivate(doc: dict[str, Any]) -> None:
            doc["desiredStatus"] = "STOPPED"
            if reason and "stoppedReason" not in doc:
                doc["stoppedReason"] = reason
            if code and "stopCode" not in doc:
                doc["stopCode"] = code
            doc.setdefault("stoppingAt", stopping_at)
            if failure is not None:
                for name, why in failure.container_reasons.items():
                    self.container_doc(doc, name)["reason"] = why

        doc = await self.set_status("DEACTIVATING", deactivate)
        await self.host.on_deactivating(self)
        await self.set_status("STOPPING")
        await self.stop_containers()
        exec_stopped = model.now()
        await self.set_status("DEPROVISIONING", lambda d: d.__setitem__("executionStoppedAt", exec_stopped))
        for c in self.containers:
            for p in c.proxies:
                await p.close()
            if c.proc is not None and not c.exited.is_set():
                await self.host.runc.kill(c.runtime_id, signal.SIGKILL, all_processes=True)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(c.exited.wait(), 10)
        if self.cgroup_ready is not None:  # (its directories, before they are removed)
            await asyncio.wait([self.cgroup_ready])
            if not self.cgroup_ready.cancelled() and self.cgroup_ready.exception() is not None:
                log.warning("task %s: its cgroup could not be made: %s", self.task_id, self.cgroup_ready.exception())
        await asyncio.to_thread(self.release_host)

        def finish(doc: dict[str, Any]) -> None:
            doc["stoppedAt"] = model.now()
            doc.setdefault("executionStoppedAt", exec_stopped)
            for att in doc.get("attachments") or []:
                att["status"] = "DELETED"
            for c in self.containers:
                cd = self.container_doc(doc, c.name)
                cd["lastStatus"] = "STOPPED"
                if c.exit_code is not None:
                    cd["exitCode"] = c.exit_code
                if c.reason:
                    cd["reason"] = c.reason

        doc = await self.set_status("STOPPED", finish)
        await self.host.on_stopped(self, doc)

    def release_host(self) -> None:
        for c in self.containers:
            if c.mounted is not None:
                img.unmount(c.mounted)
        self.remove_cgroup()
        if self.network is not None:
            self.host.release_network(self.network)
        shutil.rmtree(self.dir, ignore_errors=True)


def _signal(name: str | None) -> int:
    if not name:
        return signal.SIGTERM
    name = name.upper()
    if name.isdigit():
        return int(name)
    if not name.startswith("SIG"):
        name = "SIG" + name
    return int(getattr(signal, name, signal.SIGTERM))


_RLIMITS = {
    "core": "RLIMIT_CORE", "cpu": "RLIMIT_CPU", "data": "RLIMIT_DATA", "fsize": "RLIMIT_FSIZE",
    "locks": "RLIMIT_LOCKS", "memlock": "RLIMIT_MEMLOCK", "msgqueue": "RLIMIT_MSGQUEUE", "nice": "RLIMIT_NICE",
    "nofile": "RLIMIT_NOFILE", "nproc": "RLIMIT_NPROC", "rss": "RLIMIT_RSS", "rtprio": "RLIMIT_RTPRIO",
    "rttime": "RLIMIT_RTTIME", "sigpending": "RLIMIT_SIGPENDING", "stack": "RLIMIT_STACK",
}  # fmt: skip


def _rlimits(ulimits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """ECS ulimits as OCI rlimits. Only lowering works on this host (no CAP_SYS_RESOURCE):
    values above gureum's own hard limit are clamped to it."""
    out = []
    have_nofile = False
    for u in ulimits:
        name = _RLIMITS.get(u.get("name", ""))
        if not name:
            continue
        _, cur_hard = resource.getrlimit(getattr(resource, name))
        hard = u.get("hardLimit", cur_hard)
        if cur_hard != resource.RLIM_INFINITY:
            hard = min(hard, cur_hard)
        soft = min(u.get("softLimit", hard), hard)
        have_nofile |= name == "RLIMIT_NOFILE"
        out.append({"type": name, "hard": hard, "soft": soft})
    if out and not have_nofile:
        out.append({"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024})
    return out
