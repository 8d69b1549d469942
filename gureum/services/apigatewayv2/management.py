"""The WebSocket management API (`apigatewaymanagementapi`): PostToConnection,
GetConnection, DeleteConnection on `<invoke URL>/<stage>/@connections/<id>`, reached through
the execute-api front door (websocket.py hands the request to the wire layer with the stage
segment taken off and the API id in a header it sets itself).

A connection is found in the store (connections.py); one of another account or API, or none,
is AWS's 410 GoneException. A socket this node holds is written at once; one another node
holds is reached through the change log (connections.deliver), which that node follows when
the store is shared. A connection of a node the roster reports left or dead is gone (its row
dropped at the first call that finds it).
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.apigatewayv2 import connections
from gureum.services.apigatewayv2.websocket import API_ID_HEADER, MAX_MESSAGE, Connection, sockets

S = "apigatewaymanagementapi"


def _gone(connection_id: str) -> AwsError:
    return AwsError.modeled(S, "GoneException", f"Connection {connection_id} is gone.")


async def _find(ctx: RequestContext, connection_id: str) -> tuple[dict[str, Any], Connection | None]:
    from gureum import roster
    from gureum.node_settings import RosterSettings

    row = await ctx.app.store.read(lambda t: connections.get(t, connection_id))
    api_id = ctx.request.headers.get(API_ID_HEADER) if ctx.request is not None else None
    if row is None or row["account"] != ctx.account_id or (api_id is not None and row["api"] != api_id):
        raise _gone(connection_id)
    live = sockets(ctx.app).live.get(connection_id)
    holder = str(row.get("node"))
    dead_after = roster.timeout_of(ctx.app.settings(RosterSettings))
    if live is None and (holder == ctx.app.node_id or await ctx.app.store.read(
            lambda t: roster.is_gone(t, holder, time.time(), dead_after))):
        # a socket this node no longer holds, or one of a node that left or died
        await ctx.app.store.run(lambda t: connections.remove(t, connection_id))
        raise _gone(connection_id)
    return row, live


@operation(S, "PostToConnection")
async def post_to_connection(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    data: bytes = params.get("Data") or b""
    if len(data) > MAX_MESSAGE:
        raise AwsError.modeled(S, "PayloadTooLargeException", "Message too long", Message="Message too long")
    connection_id = params["ConnectionId"]
    row, live = await _find(ctx, connection_id)
    if live is None and row.get("node") != ctx.app.node_id:
        node = str(row.get("node"))
        await ctx.app.store.run(lambda t: connections.deliver(t, node, connection_id, data))
        return {}
    if live is None or not live.open:
        raise _gone(connection_id)
    live.send(data)
    return {}


@operation(S, "GetConnection")
async def get_connection(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    row, _ = await _find(ctx, params["ConnectionId"])
    return {"ConnectedAt": datetime.fromtimestamp(row["connectedAt"], tz=timezone.utc),
            "LastActiveAt": datetime.fromtimestamp(row.get("lastActiveAt", row["connectedAt"]), tz=timezone.utc),
            "Identity": {"SourceIp": row.get("sourceIp", ""), "UserAgent": row.get("userAgent", "")}}


@operation(S, "DeleteConnection")
async def delete_connection(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    connection_id = params["ConnectionId"]
    row, live = await _find(ctx, connection_id)
    node = str(row.get("node"))

    def run(t: Any) -> None:
        connections.remove(t, connection_id)
        if live is None:
            connections.deliver(t, node, connection_id, None, close=True)

    await ctx.app.store.run(run)
    if live is not None:
        live.close(1000, "Going away")
    return {}
