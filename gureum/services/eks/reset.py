"""EKS's reset (POST /_gureum/reset, gureum/reset.py): every cluster record and access entry dropped in one
transaction (no process runs for one yet)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.reset import drop_tables
from gureum.services.eks.access import ENTRIES
from gureum.services.eks.clusters import CLUSTERS, TOPIC

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Txn


def reset_txn(txn: Txn) -> int:
    n = drop_tables(txn, (CLUSTERS, ENTRIES))
    txn.publish(TOPIC, {"reset": True})
    return n


async def reset(app: App) -> None:
    await app.store.run(reset_txn)
