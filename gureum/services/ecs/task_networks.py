"""Task networks of this node: each task gets a network namespace with an address on the task
bridge (sandbox/network.py). Like Fargate keeping capacity warm, the pool holds up to
`warm` pre-provisioned networks, filled only once the node has handed out its first one (idle
nodes hold none) and only while `enabled` (the bridge is up). Owns the pool; the bridge is
the agent's.

Tasks that find the pool empty wait for networks made on demand: the requests of one moment
are made together (`Bridge.create_many`, one `ip` process and one worker thread for up to
`BATCH` networks), and the requests that arrive meanwhile go in the next batch, so a burst of
tasks does not hold one worker thread and two processes per task."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from gureum.sandbox import network as net

log = logging.getLogger("gureum.ecs")
REFILL_DELAY = 0.25  # seconds between taking a warm task network and making its replacement
BATCH = 8  # task networks made in one go at most (the first tasks of a burst wait for a whole batch)


class NetworkPool:
    def __init__(self, bridge: net.Bridge, warm: int, spawn: Callable[[Coroutine[Any, Any, Any], str], Any]) -> None:
        self.bridge = bridge
        self.warm_networks = warm
        self.spawn = spawn
        self.enabled = False  # set once the bridge is up
        self._net_pool: list[net.TaskNetwork] = []
        self._refilling = False
        self._waiting: list[tuple[str, asyncio.Future[net.TaskNetwork]]] = []  # (task id, its network)
        self._making = False

    async def take_network(self, task_id: str) -> net.TaskNetwork:
        """A task network: a warm one when there is one, else made now."""
        tn = self._net_pool.pop() if self._net_pool else None
        self.refill_networks()
        if tn is not None:
            return tn
        made: asyncio.Future[net.TaskNetwork] = asyncio.get_running_loop().create_future()
        self._waiting.append((task_id, made))
        if not self._making:
            self._making = True
            self.spawn(self._make_waiting(), "ecs-networks")
        return await made

    async def _make_waiting(self) -> None:
        """Make the networks waited for, a batch at a time, until none is waited for."""
        try:
            await asyncio.sleep(0)  # the requests of this moment join the first batch
            while self._waiting:
                batch, self._waiting = self._waiting[:BATCH], self._waiting[BATCH:]
                made: list[net.TaskNetwork | net.NetworkError]
                try:
                    made = await asyncio.to_thread(self.bridge.create_many, [task_id for task_id, _ in batch])
                except (OSError, net.NetworkError) as e:  # (leases: the lease directory)
                    made = [e if isinstance(e, net.NetworkError) else net.NetworkError(str(e))] * len(batch)
                for (_, fut), tn in zip(batch, made, strict=True):
                    if isinstance(tn, Exception):
                        if not fut.done():
                            fut.set_exception(tn)
                    elif fut.done():  # its task gave up waiting (cancelled): not needed
                        await asyncio.to_thread(self.bridge.destroy, tn)
                    else:
                        fut.set_result(tn)
        finally:
            self._making = False
            waiting, self._waiting = self._waiting, []
            for _, fut in waiting:  # (only when cancelled, at shutdown)
                if not fut.done():
                    fut.set_exception(net.NetworkError("the node is shutting down"))

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
