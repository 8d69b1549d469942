"""SES's reset (POST /_gureum/reset, gureum/reset.py): identities, templates, configuration
sets, receipt rule sets, the active set, IP address filters, custom verification email templates, event destinations, contact lists and contacts, sent messages and the relay queue dropped in one
transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.reset import drop_tables
from gureum.services.ses import (
    configsets,
    contacts,
    custom_verification,
    filters,
    identities,
    messages,
    receipt,
    templates,
)

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Txn

TABLES = (identities.IDENTITIES, templates.TEMPLATES, configsets.CONFIG_SETS, configsets.EVENT_DESTINATIONS, receipt.RULE_SETS, receipt.ACTIVE,
          filters.FILTERS, custom_verification.TABLE, messages.MESSAGES, messages.SENT, messages.RELAY_QUEUE, messages.EVENT_QUEUE,
          contacts.LISTS, contacts.CONTACTS)


def reset_txn(txn: Txn) -> int:
    n = drop_tables(txn, TABLES)
    txn.publish(identities.TOPIC, {"reset": True})
    txn.publish(receipt.TOPIC, {"reset": True})
    return n


async def reset(app: App) -> None:
    await app.store.run(reset_txn)
