"""What this node's previous process left behind, put right before the agent starts anything:

- in the store (`reconcile`): the usage it was metering settled (billing/meter.py) and its
  container instances still registered billed again from now (instance_billing.py), its tasks
  that were past PROVISIONING marked STOPPED as ECS marks the tasks of a host that went away
  (their containers died with it) with their Cloud Map instances and load balancer targets
  deregistered in the same transaction (cloudmap.py, load_balancers.py), and any ECS-registered instance whose task has stopped swept;
  the tasks it left PROVISIONING are started again (`provisioning`);
- on the host (`clean_host`): containers under this node's OCI runtime root killed and
  forgotten, task cgroups of dead gureum processes removed (`sweep_cgroups`, also used at
  shutdown for this process's own), task directories unmounted and removed.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path
from typing import Any

from gureum.billing import meter
from gureum.sandbox import cgroups
from gureum.sandbox import images as img
from gureum.sandbox import runc as rc
from gureum.services.ecs import cloudmap, instance_billing, load_balancers, model, nodes
from gureum.store import Store

log = logging.getLogger("gureum.ecs")


async def reconcile(store: Store, node: str, host_label: str) -> int:
    """Stop the tasks node `node`'s previous process left past PROVISIONING (their host is
    `host_label` in stop reasons) and settle its usage; how many tasks and Cloud Map
    instances were put right."""

    def txn(t: Any) -> int:
        # usage the previous process was metering: settled at its last checkpoint (or
        # its last heartbeat, when later): what ran after that is not known
        beat = t.get(nodes.NODES, node)
        meter.settle_node(t, node, beat["heartbeat"] if beat else None)
        now = model.now()
        instance_billing.resume(t, node, now)  # its container instances accrue again from now
        stopped = 0
        for key, d in list(t.scan(model.TASKS)):
            if d["lastStatus"] in ("STOPPED", "PROVISIONING") or not nodes.runs_here(d, node):
                continue
            nodes.mark_host_gone(d, host_label, now)
            t.put(model.TASKS, key, d)
            cloudmap.deregister_task(t, d)  # before DNS can answer for it again
            load_balancers.deregister_task(t, d)  # before a load balancer forwards to it again
            stopped += 1
        return stopped + len(cloudmap.sweep(t))

    fixed: int = await store.run(txn)
    if fixed:
        log.info("ECS: tasks of this node's previous run stopped, their Cloud Map instances deregistered")
    return fixed


async def provisioning(store: Store, node: str) -> list[str]:
    """The keys of the PROVISIONING tasks that are node `node`'s to start."""
    rows = await store.read(lambda t: [(k, d) for k, d in t.scan(model.TASKS) if d["lastStatus"] == "PROVISIONING"])
    return [key for key, doc in rows if nodes.runs_here(doc, node)]


def clean_host(runc: rc.Runc, tasks_dir: Path, others: list[rc.Runc] | None = None) -> None:
    """Containers, cgroups and task directories of a previous run of this node (blocking);
    `others`: the state roots of the runtimes ecs.oci_runtime did not pick this time."""
    # containers of a previous run of this node (killed gureum): kill and forget them
    for runtime in [runc, *(others or [])]:
        for cid in runtime.list_ids():
            runtime.delete_now(cid)
    sweep_cgroups()
    if tasks_dir.is_dir():
        for d in tasks_dir.iterdir():
            for rootfs in d.glob("*/rootfs"):
                img.unmount(rootfs)
            shutil.rmtree(d, ignore_errors=True)


def sweep_cgroups(include_self: bool = False) -> None:
    """Remove task cgroups left by gureum processes that died (gureum-ecs/p<pid>/<task>),
    and this process's own when it shuts down."""
    own = cgroups.own_memory_cgroup()
    # every hierarchy, not only the memory/cpu/pids groups gureum makes itself: the OCI runtime
    # makes each container's group (and the task's above it) in devices, freezer, blkio... too
    for hierarchy in cgroups.hierarchies():
        base = hierarchy / own / "gureum-ecs"
        if not base.is_dir():
            continue
        for node in base.iterdir():
            if not node.is_dir() or not node.name[1:].isdigit():
                continue
            if cgroups.pid_alive(int(node.name[1:])) and not (include_self and int(node.name[1:]) == os.getpid()):
                continue
            cgroups.remove_tree(node)
