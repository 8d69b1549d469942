"""Cognito's reset (POST /_gureum/reset, gureum/reset.py): every pool, client, user, group,
domain, resource server, session and pending challenge dropped in one transaction. Cached
signing keys need no clearing: pool ids are never reused."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.reset import drop_tables
from gureum.services.cognito_idp import clients, flows, groups, hosted_ui, pools, tokens, users

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Txn

TABLES = (pools.POOLS, pools.INDEX, clients.CLIENTS, clients.CLIENT_INDEX, clients.DOMAINS, clients.RESOURCE_SERVERS,
          users.USERS, users.ALIASES, groups.GROUPS, groups.MEMBERS, groups.USER_GROUPS, tokens.SESSIONS, tokens.USER_SESSIONS,
          flows.CHALLENGES, hosted_ui.CODES)


def reset_txn(txn: Txn) -> int:
    n = drop_tables(txn, TABLES)
    txn.publish(pools.TOPIC, {"reset": True})
    return n


async def reset(app: App) -> None:
    await app.store.run(reset_txn)
