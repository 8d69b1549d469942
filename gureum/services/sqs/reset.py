"""SQS's reset (POST /_gureum/reset, see gureum/reset.py): every queue, message and FIFO
deduplication id is dropped in one transaction, then this node's queue engine forgets its
in-memory indexes (`Engine.forget_all`): long polls waiting on a queue return empty, DLQ
redrive tasks stop. (Queue definitions are cached on every node, engine.py; with a shared
store the message index is in the store, cluster.py.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.reset import drop_tables
from gureum.services.sqs.cluster import GROUPS, READY, TIMERS
from gureum.services.sqs.engine import DEDUP, MESSAGES, QUEUES
from gureum.services.sqs.slots import ENGINE

if TYPE_CHECKING:
    from gureum.app import App

TABLES: tuple[str, ...] = (QUEUES, MESSAGES, DEDUP, READY, TIMERS, GROUPS)


async def reset(app: App) -> None:
    engine = app.parts.get(ENGINE)
    await app.store.run(lambda txn: drop_tables(txn, TABLES))
    if engine is not None:
        engine.forget_all()
