"""Route 53 Resolver's reset (POST /_gureum/reset): every endpoint, rule, association and
policy dropped in one transaction; the resolvers reload (no rule applies) and empty their caches."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.reset import drop_tables
from gureum.services.route53resolver import configs, firewall, querylog
from gureum.services.route53resolver.model import TABLES, TOPIC

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Txn


def reset_txn(txn: Txn) -> int:
    n = drop_tables(txn, TABLES + firewall.TABLES + querylog.TABLES + configs.TABLES)
    txn.publish(TOPIC, {"reset": True})
    return n


async def reset(app: App) -> None:
    await app.store.run(reset_txn)
