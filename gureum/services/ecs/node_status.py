"""ECS's part in the node roster (gureum/roster.py): what this node runs now (its task runs,
whether it can run tasks, whether it holds the service scheduler's lease),
and, when the node leaves cleanly, the Fargate tasks it claimed but never started given back
unclaimed (nodes.unclaim), so another node starts them at once. The tasks it did run were
stopped as it shut down, with ECS's host-gone reasons (shutdown.py), and its heartbeat row and
scheduler lease removed (nodes.leave): the service scheduler on another node replaces them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.services.ecs import nodes
from gureum.services.ecs.slots import AGENT
from gureum.store.base import Txn

if TYPE_CHECKING:
    from gureum.app import App


async def status(app: App) -> dict[str, int]:
    agent = app.parts.get(AGENT)
    if agent is None:
        return {}
    # scheduler: 1 on the node holding the service scheduler's lease (heartbeat.py)
    return {"tasks": len(agent.runs), "runsTasks": int(agent.available), "scheduler": int(agent.heartbeat.leader)}


def handover(txn: Txn, node: str) -> int:
    return nodes.unclaim(txn, node)
