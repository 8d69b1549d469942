"""SNS's reset (POST /_gureum/reset, see gureum/reset.py): every topic, subscription (and
restorable unsubscribed one), pending http(s) delivery, platform application and endpoint,
recorded push or SMS message, SMS setting, sandbox number and opt-out is dropped in one transaction (the
signing key stays, signing.py). SNS keeps no cache: the next
Publish, Subscribe or delivery reads the store and finds nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.reset import drop_tables
from gureum.services.sns.delivery import DELIVERIES
from gureum.services.sns.outbox import OUTBOX
from gureum.services.sns.platforms import APPS, ENDPOINTS, TOKENS
from gureum.services.sns.sms import ATTRIBUTES, OPT_OUTS, SANDBOX
from gureum.services.sns.topics import SUBS, TOPICS, UNSUBSCRIBED

if TYPE_CHECKING:
    from gureum.app import App

TABLES: tuple[str, ...] = (TOPICS, SUBS, UNSUBSCRIBED, DELIVERIES, APPS, ENDPOINTS, TOKENS, OUTBOX, ATTRIBUTES,
                           SANDBOX, OPT_OUTS)


async def reset(app: App) -> None:
    await app.store.run(lambda txn: drop_tables(txn, TABLES))
