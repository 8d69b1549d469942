"""Cloud Map instances that ECS registers for service tasks, kept true to the tasks that
really run: an instance is registered while its task is ACTIVATING (`register_run`) and
deregistered while it is DEACTIVATING (`deregister_run`); a task that never got that far in its teardown (its
node was killed, or found lost) has its instances removed here, in the same transaction that
marks it STOPPED, and a node that starts sweeps instances whose task is STOPPED or gone.

An ECS-registered instance is recognised by its attributes: id = the task id and
ECS_CLUSTER_NAME = the task's cluster (sd.instances "<acct>:<region>:<srv id>:<task id>";
the task is ecs.tasks "<acct>:<region>:<cluster>:<task id>"). `deregister_task` and `sweep`
run inside store transactions; `register_run` and `deregister_run` are the task run's hooks
(each registry in a transaction of its own, as ECS registers them one by one).
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any

from gureum.aws.errors import AwsError
from gureum.services.ecs import model
from gureum.services.servicediscovery import port as sd
from gureum.store import Store, Txn

if TYPE_CHECKING:
    from gureum.services.ecs.taskrun import TaskRun

log = logging.getLogger("gureum.ecs")


def deregister_task(txn: Txn, doc: dict[str, Any]) -> int:
    """Remove the instances ECS registered for task `doc`; how many were removed."""
    meta = doc["_"]
    account, region = meta["account"], meta["region"]
    task_id = doc["taskArn"].rsplit("/", 1)[-1]
    removed = 0
    for reg in meta.get("registries") or []:
        srv_id = reg["registryArn"].rsplit("/", 1)[-1]
        if not sd.has_instance(txn, account, region, srv_id, task_id):
            continue
        try:
            sd.deregister_instance(txn, account, region, srv_id, task_id)
            removed += 1
        except AwsError:  # the service or namespace is gone: nothing is answered for it
            continue
    return removed


def sweep(txn: Txn) -> list[str]:
    """Deregister every ECS-registered instance whose task is STOPPED or no longer exists;
    the keys of the instances removed."""
    gone = []
    for inst in list(sd.every_instance(txn)):
        cluster = inst.attributes.get("ECS_CLUSTER_NAME")
        if not cluster:
            continue  # registered by a client, not by ECS
        task = txn.get(model.TASKS, model.task_key(inst.account, inst.region, cluster, inst.instance_id))
        if task is not None and task["lastStatus"] != "STOPPED":
            continue
        try:
            sd.deregister_instance(txn, inst.account, inst.region, inst.service_id, inst.instance_id)
            gone.append(f"{inst.account}:{inst.region}:{inst.service_id}:{inst.instance_id}")
        except AwsError:
            continue
    return gone


async def register_run(store: Store, run: TaskRun) -> None:
    """Cloud Map registration of service tasks (while ACTIVATING, as ECS does)."""
    registries = run.meta.get("registries") or []
    if not registries or run.network is None:
        return
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

        def register(t: Txn, s: str = srv_id, a: dict[str, str] = a) -> Any:
            return sd.register_instance(t, run.account, run.region, s, run.task_id, a)

        try:
            await store.run(register)
        except Exception:
            log.exception("could not register task %s in %s", run.task_id, reg["registryArn"])


async def deregister_run(store: Store, run: TaskRun) -> None:
    """Cloud Map deregistration (while DEACTIVATING)."""
    registries = run.meta.get("registries") or []
    if not registries or run.network is None:
        return
    for reg in registries:
        srv_id = reg["registryArn"].rsplit("/", 1)[-1]

        def deregister(t: Txn, s: str = srv_id) -> Any:
            return sd.deregister_instance(t, run.account, run.region, s, run.task_id)

        with contextlib.suppress(Exception):
            await store.run(deregister)
