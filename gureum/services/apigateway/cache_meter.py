"""The apigateway-cache-meter component: every running stage cache cluster billed into the
usage ledger every cache_cluster.METER_SECONDS (cache_cluster.settle_all, one transaction). A
cluster exists while the node is down, as AWS's would: the next step bills that time too."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from gureum.services.apigateway import cache_cluster
from gureum.services.apigateway.apis import STAGES

if TYPE_CHECKING:
    from gureum.app import App


async def run(app: App) -> None:
    async def step() -> None:
        await app.store.run(lambda t: cache_cluster.settle_all(t, STAGES, time.time()))

    app.every(cache_cluster.METER_SECONDS, step, name="apigateway-cache-meter")
