"""The sweep: every `sweep_interval` seconds, really delete the secrets whose recovery window
has ended (model.sweep, one transaction) and start the rotations whose NextRotationDate has
passed (rotation.py)."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from gureum.services.secretsmanager import model, rotation
from gureum.services.secretsmanager.settings import SecretsSettings

if TYPE_CHECKING:
    from gureum.app import App


async def sweep_once(app: App) -> None:
    now = time.time()
    await app.store.run(lambda t: model.sweep(t, now))
    for arn, fn, token in await app.store.run(lambda t: model.due_rotations(t, now)):
        app.spawn(rotation.run(app, arn, fn, token), f"secretsmanager.rotate {arn}")


async def run(app: App) -> None:
    interval = app.settings(SecretsSettings).sweep_interval
    app.set_status("secretsmanager", "running")
    app.every(interval, lambda: sweep_once(app), name="secretsmanager.sweep", first=min(5.0, interval))
    await asyncio.Event().wait()
