"""Managed renewal (the "acm-renewal" component): every RENEWAL_INTERVAL seconds, one store
transaction starts the renewal of each eligible certificate within 60 days of expiry
(lifecycle.sweep); EMAIL-validated ones get their approval mails again. The validator then
finishes them as it does requests."""

from __future__ import annotations

import functools
import logging
import time
from typing import TYPE_CHECKING

from gureum.services.acm import email_validation, lifecycle

if TYPE_CHECKING:
    from gureum.app import App

log = logging.getLogger("gureum.acm")
RENEWAL_INTERVAL = 3600.0


async def sweep(app: App) -> int:
    """One pass; how many renewals were started."""
    started = await app.store.run(functools.partial(lifecycle.sweep, now=time.time()))
    for doc in started:
        await email_validation.send(app, None, doc)
    return len(started)


async def run(app: App) -> None:
    app.every(RENEWAL_INTERVAL, lambda: sweep(app), name="acm-renewal", first=60.0)
