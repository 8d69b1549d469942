"""Lex V2's reset (POST /_gureum/reset, gureum/reset.py): bots, versions, aliases, locales,
intents, slots, slot types and runtime sessions dropped in one transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.reset import drop_tables
from gureum.services.lexv2 import bots, locales, sessions

if TYPE_CHECKING:
    from gureum.app import App

TABLES = (bots.BOTS, bots.VERSIONS, bots.ALIASES, locales.LOCALES, locales.INTENTS, locales.SLOTS, locales.SLOT_TYPES,
          sessions.SESSIONS)


async def reset(app: App) -> None:
    await app.store.run(lambda txn: drop_tables(txn, TABLES))
