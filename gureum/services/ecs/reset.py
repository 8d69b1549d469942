"""ECS's reset (POST /_gureum/reset, see gureum/reset.py), in three steps:

1. One transaction deletes every service (so no scheduler starts a replacement) and asks
   every task that is not STOPPED to stop (`model.request_stop`, stopCode UserInitiated):
   the "ecs.task" events reach the task agent of whichever node runs each task.
2. This node's agent stops its tasks as StopTask does, but gives a container at most
   `ecs.shutdown_grace` seconds (default 2) after its stop signal before SIGKILL; the
   reset then waits, up to `RESET_WAIT` seconds, until no task in the store is left
   running (other nodes' tasks included): their containers are gone, their Cloud Map
   instances deregistered and their usage settled by the agent as for any stopped task.
3. One transaction drops every cluster, task definition, task, service, container
   instance (its billed hours settled: instance_billing.py), account setting and capacity
   provider; this node then registers itself again
   as a container instance, as a freshly started node does (agent.register_instance).

Kept: `ecs.nodes` and `ecs.leases` (which nodes are alive, who runs the scheduler).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
from typing import TYPE_CHECKING

from gureum.reset import drop_tables
from gureum.services.ecs import instance_billing, model
from gureum.services.ecs.account_settings import SETTINGS
from gureum.services.ecs.capacity_providers import PROVIDERS
from gureum.services.ecs.instances import INSTANCES
from gureum.services.ecs.service_history import DEPLOYS, REVISIONS
from gureum.services.ecs.slots import AGENT

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.services.ecs.agent import TaskAgent
    from gureum.store.base import Txn

log = logging.getLogger("gureum.ecs")
TABLES: tuple[str, ...] = (model.CLUSTERS, model.TASKDEFS, model.TASKS, model.SERVICES, INSTANCES, SETTINGS, PROVIDERS,
                           DEPLOYS, REVISIONS)
STOP_REASON = "Task stopped because the node was reset (POST /_gureum/reset)"
RESET_WAIT = 60.0  # seconds to wait for every task to stop before dropping the rows anyway
POLL = 0.1


def stop_everything(txn: Txn) -> list[str]:
    """Step 1: the keys of the tasks asked to stop."""
    for key, _doc in txn.scan(model.SERVICES):
        txn.delete(model.SERVICES, key)
        txn.publish(model.TASK_EVENT, {"service": key})
    stopping = []
    for key, doc in txn.scan(model.TASKS):
        if doc["lastStatus"] != "STOPPED":
            model.request_stop(txn, key, doc, STOP_REASON, "UserInitiated")
            stopping.append(key)
    return stopping


def still_running(txn: Txn, keys: list[str]) -> list[str]:
    """Of `keys`, the tasks some node may still run containers for: not STOPPED, and not
    waiting unclaimed for a node (no node started anything for those)."""
    out = []
    for key in keys:
        d = txn.get(model.TASKS, key)
        if d is None or d["lastStatus"] == "STOPPED":
            continue
        if d["lastStatus"] == "PROVISIONING" and d["_"].get("node") is None:
            continue
        out.append(key)
    return out


def drop_everything(txn: Txn) -> None:
    """Step 3: the tables dropped; the container instances' hours end here (the ledger stays)."""
    now = model.now()
    for _key, doc in txn.scan(INSTANCES):
        instance_billing.stop(txn, doc, now)
    drop_tables(txn, TABLES)


async def _kill_lingering(agent: TaskAgent, keys: list[str]) -> None:
    """SIGKILL the containers of this node's tasks still running after the grace."""
    for key in keys:
        run = agent.runs.get(key)
        if run is None:
            continue
        for c in run.containers:
            if c.proc is not None and not c.exited.is_set():
                with contextlib.suppress(Exception):
                    await agent.runc.kill(c.runtime_id, signal.SIGKILL, all_processes=True)


async def reset(app: App) -> None:
    agent = app.parts.get(AGENT)
    stopping = await app.store.run(stop_everything)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + RESET_WAIT
    killed_at = loop.time() + (agent.grace.grace if agent is not None else 0.0)
    killed = False
    left = stopping
    while left and loop.time() < deadline:
        if agent is not None and not killed and loop.time() >= killed_at:
            killed = True
            await _kill_lingering(agent, left)
        await asyncio.sleep(POLL)
        pending = await app.store.read(functools.partial(still_running, keys=left))
        local = [k for k in left if agent is not None and k in agent.runs]
        left = list(dict.fromkeys(pending + local))
    if left:
        log.warning("reset: %d ECS task(s) did not stop within %.0f s; their rows are dropped anyway", len(left), RESET_WAIT)
    await app.store.run(drop_everything)
    if agent is not None:
        if agent.logs is not None:
            await agent.logs.flush()  # the tasks' last lines land before CloudWatch Logs' reset
        await agent.register_instance()
