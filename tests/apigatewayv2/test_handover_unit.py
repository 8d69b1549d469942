"""API Gateway v2's roster hook over the in-memory store: a node leaving cleanly drops the
rows of the WebSocket connections it held, and only those. Starts no gureum."""

from __future__ import annotations

import asyncio
from typing import Any

from gureum.services.apigatewayv2 import connections, node_status
from gureum.store.base import Txn
from gureum.store.memory import MemoryStore


def test_a_leaving_node_forgets_only_its_own_connections() -> None:
    def txn(t: Txn) -> tuple[int, list[str]]:
        for cid, node in (("c1", "a"), ("c2", "b"), ("c3", "a")):
            connections.add(t, cid, {"node": node, "api": "x", "account": "1", "region": "r", "stage": "s",
                                     "connectedAt": 0.0})
        released = node_status.handover(t, "a")
        return released, [k for k, _ in t.scan(connections.CONNECTIONS)]

    async def go() -> Any:
        store = MemoryStore()
        try:
            return await store.run(txn)
        finally:
            await store.close()

    assert asyncio.run(go()) == (2, ["c2"])
