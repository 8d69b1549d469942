"""How this node's tasks stop when gureum shuts down: as ECS stops the tasks of a host that
goes away. `mark_stopping` records why before the stop begins (stopCode TerminationNotice, or
TaskFailedToStart for a task not started yet, and the host's stoppedReason: nodes.py);
`StopGrace` cuts each container's stopTimeout short once the node shuts down: a container
gets at most `grace` more seconds after its stop signal (stops already under way included).
Owns the node's shutting-down flag."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from gureum.services.ecs import model, nodes
from gureum.store import Store

log = logging.getLogger("gureum.ecs")


class StopGrace:
    def __init__(self, grace: float) -> None:
        self.grace = grace
        self.shutting_down = asyncio.Event()

    def begin(self) -> None:
        """The node shuts down: stop timeouts are cut short from now on."""
        self.shutting_down.set()

    async def wait_exited(self, exited: asyncio.Event, timeout: float) -> bool:
        """Until `exited` is set (True) or `timeout` seconds pass (False); once this node
        shuts down, at most `grace` seconds more."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        waiter = asyncio.ensure_future(exited.wait())
        shut = asyncio.ensure_future(self.shutting_down.wait())
        try:
            done, _ = await asyncio.wait({waiter, shut}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if waiter in done or exited.is_set():
                return True
            if shut in done:
                left = min(deadline - loop.time(), self.grace)
                if left > 0:
                    await asyncio.wait({waiter}, timeout=left)
            return exited.is_set()
        finally:
            waiter.cancel()
            shut.cancel()


async def mark_stopping(store: Store, keys: list[str], host_label: str) -> None:
    """The tasks this node stops because it shuts down are stopped as ECS stops the
    tasks of a host that goes away: stopCode TerminationNotice (TaskFailedToStart for
    one not started yet) and the host's stoppedReason, written before the stop begins."""
    if not keys:
        return

    def txn(t: Any) -> None:
        for key in keys:
            d = t.get(model.TASKS, key)
            if d is None or d["lastStatus"] == "STOPPED":
                continue
            d["desiredStatus"] = "STOPPED"
            nodes.host_stop_reason(d, host_label)
            d["version"] += 1
            t.put(model.TASKS, key, d)

    try:
        await store.run(txn)
    except Exception:
        log.exception("could not record why this node's tasks stop")
