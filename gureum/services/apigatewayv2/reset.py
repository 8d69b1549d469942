"""API Gateway v2's reset (POST /_gureum/reset, gureum/reset.py): every API, child and id
dropped in one transaction; the data plane's caches follow the published event."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.reset import drop_tables
from gureum.services.apigatewayv2.connections import CONNECTIONS
from gureum.services.apigatewayv2.model import APIS, IDS, ITEMS, TOPIC
from gureum.services.apigatewayv2.vpclinks import TOPIC as VPCLINK_TOPIC
from gureum.services.apigatewayv2.vpclinks import VPCLINKS

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Txn


def reset_txn(txn: Txn) -> int:
    n = drop_tables(txn, (APIS, IDS, ITEMS, CONNECTIONS, VPCLINKS))
    txn.publish(TOPIC, {"reset": True})
    txn.publish(VPCLINK_TOPIC, {})
    return n


async def reset(app: App) -> None:
    await app.store.run(reset_txn)
