"""SNS's reset (POST /_gureum/reset, see gureum/reset.py): every topic, subscription (and
restorable unsubscribed one) and pending http(s) delivery is dropped in one transaction (the
signing key stays, signing.py). SNS keeps no cache: the next
Publish, Subscribe or delivery reads the store and finds nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.reset import drop_tables
from gureum.services.sns.delivery import DELIVERIES
from gureum.services.sns.topics import SUBS, TOPICS, UNSUBSCRIBED

if TYPE_CHECKING:
    from gureum.app import App

TABLES: tuple[str, ...] = (TOPICS, SUBS, UNSUBSCRIBED, DELIVERIES)


async def reset(app: App) -> None:
    await app.store.run(lambda txn: drop_tables(txn, TABLES))
