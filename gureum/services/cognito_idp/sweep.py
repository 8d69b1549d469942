"""The background sweep of what expires without anyone asking again: challenge rows past
their AuthSessionValidity (tables.CHALLENGES), unredeemed authorization codes
(tables.CODES) and sign-in sessions a day past their refresh
token's end (tables.SESSIONS; a day longer than the longest access token lives, so a late
access token still reads "revoked", never a missing session). Batches of 500 rows per
transaction; any node may sweep (deleting an expired row twice is harmless)."""

from __future__ import annotations

import functools
import time
from typing import TYPE_CHECKING

from gureum.services.cognito_idp import tables
from gureum.services.cognito_idp.settings import CognitoSettings
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.app import App

BATCH = 500
GRACE = 86400.0


def sweep_batch(txn: Txn, table: str, start: str | None, now: float, grace: float) -> tuple[int, str | None]:
    """Delete the expired rows among the next BATCH of `table` from `start`; (deleted, where to go on)."""
    rows = txn.scan(table, start=start, limit=BATCH)
    n = 0
    for key, doc in rows:
        if float(doc.get("exp", 0)) + grace < now:
            txn.delete(table, key)
            if table == tables.SESSIONS:
                txn.delete(tables.USER_SESSIONS, f"{doc['pool']}/{doc['user']}/{key}")
            n += 1
    return n, (rows[-1][0] + "\x00" if len(rows) == BATCH else None)


async def sweep_once(app: App) -> int:
    now = time.time()
    total = 0
    for table, grace in ((tables.CHALLENGES, 0.0), (tables.CODES, 0.0), (tables.SESSIONS, GRACE)):
        start: str | None = None
        while True:
            n, start = await app.store.run(functools.partial(sweep_batch, table=table, start=start, now=now, grace=grace))
            total += n
            if start is None:
                break
    return total


async def run(app: App) -> None:
    async def job() -> None:
        await sweep_once(app)

    app.every(app.settings(CognitoSettings).sweep_interval, job, name="cognito-idp-sweep")
    app.set_status("cognito-idp", "running")
