"""Task networks of this node: each task gets a network namespace with an address on the task
bridge (sandbox/network.py). Like Fargate keeping capacity warm, the pool holds up to
`warm` pre-provisioned networks, filled only once the node has handed out its first one (idle
nodes hold none) and only while `enabled` (the bridge is up). Owns the pool; the bridge is
the agent's."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from gureum.sandbox import network as net

log = logging.getLogger("gureum.ecs")
REFILL_DELAY = 0.25  # seconds between taking a warm task network and making its replacement


class NetworkPool:
    def __init__(self, bridge: net.Bridge, warm: int, spawn: Callable[[Coroutine[Any, Any, Any], str], Any]) -> None:
        self.bridge = bridge
        self.warm_networks = warm
        self.spawn = spawn
        self.enabled = False  # set once the bridge is up
        self._net_pool: list[net.TaskNetwork] = []
        self._refilling = False

    async def take_network(self, task_id: str) -> net.TaskNetwork:
        """A task network: a warm one when there is one, else made now."""
        tn = self._net_pool.pop() if self._net_pool else None
        self.refill_networks()
        if tn is not None:
            return tn
        return await asyncio.to_thread(self.bridge.create, task_id)

    def release(self, tn: net.TaskNetwork) -> None:
        """Remove a task's network (blocking)."""
        self.bridge.destroy(tn)

    def refill_networks(self) -> None:
        if self._refilling or not self.enabled or len(self._net_pool) >= self.warm_networks:
            return
        self._refilling = True

        async def refill() -> None:
            try:
                # after the task that took one has started: `ip` processes would compete
                # with its runc for the CPUs
                await asyncio.sleep(REFILL_DELAY)
                while len(self._net_pool) < self.warm_networks:
                    self._net_pool.append(await asyncio.to_thread(self.bridge.create, uuid.uuid4().hex))
            except net.NetworkError:
                log.exception("could not pre-provision a task network")
            finally:
                self._refilling = False

        self.spawn(refill(), "ecs-warm-networks")

    async def close(self) -> None:
        """Remove the warm networks (at shutdown, after the refill task is cancelled)."""
        pool, self._net_pool = self._net_pool, []
        for tn in pool:
            await asyncio.to_thread(self.bridge.destroy, tn)
