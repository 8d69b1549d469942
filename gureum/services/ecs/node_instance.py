"""This machine as one ECS container instance (EC2 launch type): registered at start-up in
the cluster `ecs.cluster` (default "default") of `ecs.account`/`ecs.region`, with 1024 CPU
units per core and its memory in MiB (or `ecs.instance_cpu`/`ecs.instance_memory`), keeping
its id across restarts in <data dir>/ecs/container-instance; shown `agentConnected: false`
when the node stops. `--set ecs.register_instance=false` turns this off. Owns that file."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gureum.services.ecs import instances as ci
from gureum.services.ecs.settings import EcsSettings
from gureum.store import Store

if TYPE_CHECKING:
    from gureum.app import App

log = logging.getLogger("gureum.ecs")


@dataclass(frozen=True)
class Registered:
    key: str  # the ecs.instances key
    host_label: str  # how stop reasons name this host (its EC2 instance id)


async def register_instance(app: App, work: Path, node_ident: str) -> Registered | None:
    """Register this machine as one container instance (1024 CPU units per core, its
    memory in MiB) in the cluster `ecs.cluster` (default "default"), keeping its id across
    restarts; `--set ecs.register_instance=false` turns this off (None)."""
    settings = app.settings(EcsSettings)
    if not settings.register_instance:
        return None
    account, region, cluster = settings.account, settings.region, settings.cluster
    cpu = settings.instance_cpu or (os.cpu_count() or 1) * 1024
    memory = settings.instance_memory or host_memory_mib()
    id_file = work / "container-instance"
    known = id_file.read_text().strip() if id_file.exists() else ""
    ident = {"instanceId": "i-" + node_ident[:17], "instanceType": "gureum.node", "availabilityZone": f"{region}a", "region": region}

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
        return ci.register(t, account, region, params, node_ident)

    try:
        doc = await app.store.run(txn)
    except Exception:
        log.exception("could not register this node as an ECS container instance")
        return None
    iid = doc["containerInstanceArn"].rsplit("/", 1)[-1]
    id_file.write_text(iid)
    app.notes.append(f"ECS container instance {iid} ({cpu} CPU units, {memory} MiB) in cluster {cluster}")
    return Registered(ci.instance_key(account, region, cluster, iid), doc.get("ec2InstanceId") or ident["instanceId"])


async def disconnect_instance(store: Store, key: str | None) -> None:
    """The node stops: its container instance shows agentConnected false (best effort)."""
    if key is None:
        return

    def txn(t: Any) -> None:
        d = t.get("ecs.instances", key)
        if d is not None and d.get("agentConnected"):
            d["agentConnected"] = False
            t.put("ecs.instances", key, d)

    with contextlib.suppress(Exception):
        await store.run(txn)


def host_memory_mib() -> int:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 1024
