"""What this node's Fargate tasks cost: each running task's usage row (billing/meter.py,
table billing.running) checkpointed when the task reaches RUNNING and every
`billing.checkpoint_interval` seconds (the agent's `app.every` loop "ecs-meter"), and
settled into the ledger when it stops. Billing starts when the image pull starts
(pullStartedAt), as Fargate bills; EC2 tasks are not billed here (their container instance
is: instance_billing.py, checkpointed by the same loop through `checkpoint_instances`). Owns
no state of its own."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from gureum.billing import meter
from gureum.services.ecs import instance_billing, model
from gureum.store import Store

if TYPE_CHECKING:
    from gureum.services.ecs.taskrun import TaskRun

log = logging.getLogger("gureum.ecs")


def usage_row(run: TaskRun, doc: dict[str, Any], node: str) -> dict[str, Any] | None:
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
        "node": node,
        "started": started,
        "vcpu": int(doc.get("cpu") or 256) / 1024,
        "memory_gb": int(doc.get("memory") or 512) / 1024,
        "arch": "x86_64",
    }


class TaskMeter:
    """The meter of the Fargate tasks run by node `node`."""

    def __init__(self, store: Store, node: str) -> None:
        self.store = store
        self.node = node

    async def record_usage(self, run: TaskRun, doc: dict[str, Any]) -> None:
        """A stopped task's usage, settled into the ledger (its running row goes with it)."""
        row = usage_row(run, doc, self.node)
        if row is None:
            return
        stopped = doc.get("stoppedAt") or model.now()
        try:
            await self.store.run(lambda t: meter.settle(t, run.account, row, stopped))
        except Exception:
            log.exception("could not record the usage of task %s", run.task_id)

    async def checkpoint_instances(self) -> None:
        """Checkpoint the hours of the container instances this node meters (instance_billing.py);
        no write when it meters none."""
        try:
            if await self.store.read(lambda t: instance_billing.metered(t, self.node)):
                await self.store.run(lambda t: instance_billing.checkpoint(t, self.node, model.now()))
        except Exception:
            log.exception("could not checkpoint container instance usage")

    async def checkpoint_usage(self, runs: Iterable[TaskRun]) -> None:
        """Checkpoint the usage of these running Fargate tasks."""
        runs = [r for r in runs if r.launch_type == "FARGATE"]
        if not runs:
            return
        now = model.now()

        def txn(t: Any) -> None:
            for r in runs:
                d = t.get(model.TASKS, r.key)
                if d is None or d["lastStatus"] in ("STOPPED", "DEPROVISIONING"):
                    continue
                row = usage_row(r, d, self.node)
                if row is not None:
                    meter.checkpoint(t, r.account, row, now)

        try:
            await self.store.run(txn)
        except Exception:
            log.exception("could not checkpoint task usage")
