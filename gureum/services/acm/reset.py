"""ACM's reset (POST /_gureum/reset): every certificate and every recorded use dropped (the CA's root stays: clients
may trust it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.reset import drop_tables
from gureum.services.acm.certs import CERTS, TOPIC
from gureum.services.acm.uses import USERS, USES

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Txn


def reset_txn(txn: Txn) -> int:
    n = drop_tables(txn, (CERTS, USES, USERS))
    txn.publish(TOPIC, {"reset": True})
    return n


async def reset(app: App) -> None:
    await app.store.run(reset_txn)
