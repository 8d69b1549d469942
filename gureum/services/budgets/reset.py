"""Budgets' reset: every budget, with its notifications, subscribers and actions, dropped."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.reset import drop_tables
from gureum.services.budgets.model import ACTIONS, BUDGETS

if TYPE_CHECKING:
    from gureum.app import App


async def reset(app: App) -> None:
    await app.store.run(lambda txn: drop_tables(txn, (BUDGETS, ACTIONS)))
