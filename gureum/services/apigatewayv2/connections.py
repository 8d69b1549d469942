"""WebSocket connections in the store, so the management API on any node finds them.

Table `apigwv2_connections`: "{connectionId}" -> {"account", "region", "api", "stage",
"node" (the node holding the socket), "connectedAt", "lastActiveAt" (epoch seconds),
"sourceIp", "userAgent"}. Connection ids are unique everywhere (16 url-safe base64
characters, AWS's length). A row lives from the accepted `$connect` to the socket's close;
rows of a node that held sockets when it stopped are removed when it starts again
(`forget_node`), and PostToConnection to a socket this node no longer holds removes it too.

A connection held by another node is reached through the change log: `deliver` publishes
DELIVER {"node", "connection", "data" (base64) | "close": true}; each node follows that topic
(views.run, when the store is shared) and acts on its own sockets (`Sockets.on_deliver`).
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

from gureum.store import Txn

CONNECTIONS = "apigwv2_connections"
DELIVER = "apigatewayv2.deliver"


def new_id() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(12)).decode("ascii")


def add(txn: Txn, connection_id: str, doc: dict[str, Any]) -> None:
    txn.put(CONNECTIONS, connection_id, doc)


def get(txn: Txn, connection_id: str) -> dict[str, Any] | None:
    return txn.get(CONNECTIONS, connection_id)


def touch(txn: Txn, connection_id: str, now: float) -> None:
    doc = txn.get(CONNECTIONS, connection_id)
    if doc is not None:
        doc["lastActiveAt"] = now
        txn.put(CONNECTIONS, connection_id, doc)


def remove(txn: Txn, connection_id: str) -> bool:
    return txn.delete(CONNECTIONS, connection_id)


def forget_node(txn: Txn, node: str) -> int:
    """Drop the rows of sockets node `node` held before it (re)started; returns how many."""
    gone = [k for k, d in txn.scan(CONNECTIONS) if d.get("node") == node]
    for k in gone:
        txn.delete(CONNECTIONS, k)
    return len(gone)


def deliver(txn: Txn, node: str, connection_id: str, data: bytes | None, *, close: bool = False) -> None:
    """Ask node `node` to send `data` on (or close) its socket `connection_id`."""
    event: dict[str, Any] = {"node": node, "connection": connection_id}
    if data is not None:
        event["data"] = base64.b64encode(data).decode("ascii")
    if close:
        event["close"] = True
    txn.publish(DELIVER, event)
