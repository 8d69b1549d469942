"""Lambda's part in the node roster (gureum/roster.py): what this node runs now (execution
environments, busy and idle, the spare sandboxes ready for cold starts (spares.py), and the
async events it is invoking), and, when the node
leaves cleanly, the async events it held given back to the other nodes
(async_queue.release), as are the provisioned concurrency configurations it kept and the
durable executions it drove (the other nodes' sweeps take them at once)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.services.lambda_ import async_queue, durable, provisioned
from gureum.services.lambda_.slots import ENGINE
from gureum.store.base import Txn

if TYPE_CHECKING:
    from gureum.app import App


async def status(app: App) -> dict[str, int]:
    engine = app.parts.get(ENGINE)
    if engine is None:
        return {}
    envs = engine.scheduler.environments()
    out = {"environments": envs["idle"] + envs["busy"], "busy": envs["busy"], "spares": envs["spare"]}
    if engine.queue is not None:
        out["async"] = len(engine.queue.inflight)
    return out


def handover(txn: Txn, node: str) -> int:
    released = async_queue.release(txn, node)
    for table in (provisioned.STATUS, durable.EXECUTIONS):
        for key, row in txn.scan(table):
            if row.get("node") == node:
                row.pop("node")
                txn.put(table, key, row)
                released += 1
    return released
