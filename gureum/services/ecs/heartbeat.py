"""This node's heartbeat and the service scheduler's lease (tables ecs.nodes and ecs.leases,
nodes.py): every `interval` seconds the node beats and tries to take or keep the lease
(held for three intervals); the lease holder is the leader, which marks nodes that stopped
beating for longer than `node_timeout` lost. Owns the `leader` flag of this node."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from gureum.services.ecs import nodes
from gureum.store import Store

log = logging.getLogger("gureum.ecs")


class Heartbeat:
    def __init__(self, store: Store, node: str, interval: float, node_timeout: float, info: Callable[[], dict[str, Any]]) -> None:
        self.store = store
        self.node = node
        self.interval = interval
        self.node_timeout = node_timeout
        self.info = info  # what the node's row says about it (pid, role, runs, instance)
        self.leader = False
        self._next_beat = 0.0

    def due(self, now: float) -> bool:
        """Whether a beat is due at `now` (and, if so, the next one scheduled)."""
        if now < self._next_beat:
            return False
        self._next_beat = now + self.interval
        return True

    async def beat(self, now: float) -> None:
        info = self.info()
        ttl = 3 * self.interval

        def txn(t: Any) -> bool:
            nodes.beat(t, self.node, info, now)
            return nodes.take_lease(t, nodes.SCHEDULER, self.node, now, ttl)

        leader = await self.store.run(txn)
        if leader != self.leader:
            log.info("ECS: this node %s the service scheduler", "now runs" if leader else "no longer runs")
        self.leader = leader

    async def sweep_lost(self, now: float) -> list[str]:
        """As the leader of a shared store: mark silent nodes lost (nodes.sweep_lost)."""
        if not self.leader or not self.store.shared:
            return []
        lost: list[str] = await self.store.run(lambda t: nodes.sweep_lost(t, self.node, now, self.node_timeout))
        for node in lost:
            log.warning("ECS node %s stopped beating: its Fargate tasks are stopped, its instance disconnected", node)
        return lost

    async def leave(self) -> None:
        """This node stops: its heartbeat row goes (best effort)."""
        try:
            await self.store.run(lambda t: nodes.leave(t, self.node))
        except Exception:  # shutting down: the row expires anyway
            log.debug("could not remove this node's heartbeat", exc_info=True)
