"""Secrets Manager's reset (POST /_gureum/reset, gureum/reset.py): every secret and version
value dropped in one transaction (the sealing key stays: SSM's sealed values use it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.reset import drop_tables
from gureum.services.secretsmanager.model import SECRETS, TOPIC, VALUES

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Txn


def reset_txn(txn: Txn) -> int:
    n = drop_tables(txn, (SECRETS, VALUES))
    txn.publish(TOPIC, {"reset": True})
    return n


async def reset(app: App) -> None:
    await app.store.run(reset_txn)
