"""Route 53 Domains' reset (POST /_gureum/reset): every domain, operation and billing record
dropped in one transaction; the registry's zones follow (every TLD rebuilt empty). The
hosted zones registrations created belong to Route 53 and go with its own reset."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.reset import drop_tables
from gureum.services.route53domains.model import TABLES, TOPIC

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Txn


def reset_txn(txn: Txn) -> int:
    n = drop_tables(txn, TABLES)
    txn.publish(TOPIC, {"reset": True})
    return n


async def reset(app: App) -> None:
    await app.store.run(reset_txn)
