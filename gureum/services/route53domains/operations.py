"""The `domains-operations` component: completes registrar operations as they fall due
(model.complete_due, one store transaction per step: IN_PROGRESS -> SUCCESSFUL or FAILED,
with the operation's effect, e.g. a registration becoming ACTIVE and delegated). Operations
live in the store, so any node completes them and a restart loses none."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from gureum.services.route53domains import model
from gureum.services.route53domains.settings import DomainsSettings

if TYPE_CHECKING:
    from gureum.app import App


async def run(app: App) -> None:
    settings = app.settings(DomainsSettings)

    async def step() -> None:
        while await app.store.run(lambda t: model.complete_due(t, time.time())) == 100:
            pass

    app.every(min(1.0, max(0.05, settings.operation_seconds / 4)), step, name="domains-operations")
    await asyncio.get_running_loop().create_future()
