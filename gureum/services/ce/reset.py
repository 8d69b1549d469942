"""Cost Explorer's reset: the cost allocation tag statuses, the cost categories and the zones seen are dropped (the usage ledger is
gureum's, not Cost Explorer's: it stays)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.reset import drop_tables
from gureum.services.ce.categories import CATEGORIES
from gureum.services.ce.model import ALLOCATION_TAGS
from gureum.services.ce.monthly import SEEN

if TYPE_CHECKING:
    from gureum.app import App


async def reset(app: App) -> None:
    await app.store.run(lambda txn: drop_tables(txn, (ALLOCATION_TAGS, SEEN, CATEGORIES)))
