"""CloudFormation's reset (POST /_gureum/reset, gureum/reset.py): every stack, event,
resource row, export and macro dropped in one transaction (the resources themselves belong to
their services, which their own resets clear)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.reset import drop_tables
from gureum.services.cloudformation.changes import CHANGESETS
from gureum.services.cloudformation.drift import TABLES as DRIFT_TABLES
from gureum.services.cloudformation.macros import TABLES as MACRO_TABLES
from gureum.services.cloudformation.model import TABLES, TOPIC
from gureum.services.cloudformation.providers.stacks import RESPONSES, SIGNALS

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Txn


def reset_txn(txn: Txn) -> int:
    n = drop_tables(txn, (*TABLES, *DRIFT_TABLES, *MACRO_TABLES, CHANGESETS, RESPONSES, SIGNALS))
    txn.publish(TOPIC, {"reset": True})
    return n


async def reset(app: App) -> None:
    await app.store.run(reset_txn)
