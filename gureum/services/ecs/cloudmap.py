"""Cloud Map instances that ECS registers for service tasks, kept true to the tasks that
really run: an instance is registered while its task is ACTIVATING (agent.on_activating) and
deregistered while it is DEACTIVATING; a task that never got that far in its teardown (its
node was killed, or found lost) has its instances removed here, in the same transaction that
marks it STOPPED, and a node that starts sweeps instances whose task is STOPPED or gone.

An ECS-registered instance is recognised by its attributes: id = the task id and
ECS_CLUSTER_NAME = the task's cluster (sd.instances "<acct>:<region>:<srv id>:<task id>";
the task is ecs.tasks "<acct>:<region>:<cluster>:<task id>"). Runs inside store transactions.
"""

from __future__ import annotations

from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.ecs import model
from gureum.store import Txn


def deregister_task(txn: Txn, doc: dict[str, Any]) -> int:
    """Remove the instances ECS registered for task `doc`; how many were removed."""
    from gureum.services.servicediscovery import model as sd

    meta = doc["_"]
    account, region = meta["account"], meta["region"]
    task_id = doc["taskArn"].rsplit("/", 1)[-1]
    removed = 0
    for reg in meta.get("registries") or []:
        srv_id = reg["registryArn"].rsplit("/", 1)[-1]
        if txn.get(sd.INSTANCES, f"{sd.sc(account, region)}{srv_id}:{task_id}") is None:
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
    from gureum.services.servicediscovery import model as sd

    gone = []
    for key, inst in list(txn.scan(sd.INSTANCES)):
        cluster = (inst.get("Attributes") or {}).get("ECS_CLUSTER_NAME")
        if not cluster:
            continue  # registered by a client, not by ECS
        account, region, srv_id, inst_id = key.split(":", 3)
        task = txn.get(model.TASKS, model.task_key(account, region, cluster, inst_id))
        if task is not None and task["lastStatus"] != "STOPPED":
            continue
        try:
            sd.deregister_instance(txn, account, region, srv_id, inst_id)
            gone.append(key)
        except AwsError:
            continue
    return gone
