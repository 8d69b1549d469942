"""ECR's background work on a node: the garbage collector, lifecycle policies (on a
schedule and right after PutLifecyclePolicy), replication of pushed images, image scans,
and expiry of abandoned uploads. One component, several owned loops.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from gureum.services.ecr import gc, lifecycle, replication, scanning
from gureum.services.ecr.engine import registry_of

if TYPE_CHECKING:
    from gureum.app import App

log = logging.getLogger("gureum.ecr")


async def run(app: App) -> None:
    reg = registry_of(app)
    wake_lifecycle = asyncio.Event()
    pushes: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def on_lifecycle(event: Any) -> None:
        wake_lifecycle.set()

    def on_image(event: Any) -> None:
        if event.data.get("event") == "pushed":
            pushes.put_nowait(event.data)

    unsubscribe = [
        app.store.subscribe("ecr.lifecycle", on_lifecycle),
        app.store.subscribe("ecr.image", on_image),
    ]
    await gc.recover(reg)
    reg.spawn = app.spawn
    app.set_status("ecr", "running")
    try:
        async with asyncio.TaskGroup() as tg:
            app.every(reg.settings.gc_interval_seconds, lambda: gc.sweep(reg), name="ecr-gc")
            expiry_every = min(300.0, max(reg.settings.upload_ttl_seconds / 4, 0.05))
            app.every(expiry_every, reg.expire_uploads, name="ecr-upload-expiry")
            tg.create_task(_lifecycle_loop(reg, wake_lifecycle))
            tg.create_task(_push_loop(reg, pushes))
    finally:
        for u in unsubscribe:
            u()


async def _lifecycle_loop(reg: Any, wake: asyncio.Event) -> None:
    while True:
        try:
            await asyncio.wait_for(wake.wait(), reg.settings.lifecycle_interval_seconds)
        except TimeoutError:
            pass
        wake.clear()
        try:
            await lifecycle.run_all(reg)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("lifecycle run failed")


async def _push_loop(reg: Any, pushes: asyncio.Queue[dict[str, Any]]) -> None:
    while True:
        ev = await pushes.get()
        try:
            await replication.replicate(reg, ev["scope"], ev["name"], ev["digest"])
            await scanning.scan_if_pending(reg, ev["scope"], ev["name"], ev["digest"])
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("after-push work for %s@%s failed", ev.get("name"), ev.get("digest"))
