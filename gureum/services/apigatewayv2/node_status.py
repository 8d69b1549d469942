"""API Gateway v2's part in the node roster (gureum/roster.py): the WebSocket connections this
node holds, and, when it leaves cleanly, their rows dropped (their sockets close with the
node: a PostToConnection to them is then GoneException on every node, as AWS answers for a
closed connection)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.services.apigatewayv2 import connections
from gureum.services.apigatewayv2.slots import SOCKETS
from gureum.store.base import Txn

if TYPE_CHECKING:
    from gureum.app import App


async def status(app: App) -> dict[str, int]:
    live = app.parts.get(SOCKETS)
    return {"websockets": len(live.live)} if live is not None else {}


def handover(txn: Txn, node: str) -> int:
    return connections.forget_node(txn, node)
