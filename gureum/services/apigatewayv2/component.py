"""API Gateway v2's background component: builds the data plane's cache (views.py), forgets
the WebSocket connections this node held in its last run, and, when the store is shared,
follows other nodes' API changes and their deliveries to the sockets this node holds
(connections.py DELIVER)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.services.apigatewayv2 import connections, model
from gureum.services.apigatewayv2.settings import ApiGatewayV2Settings
from gureum.services.apigatewayv2.views import views

if TYPE_CHECKING:
    from gureum.app import App


async def run(app: App) -> None:
    """Component: build the cache; when the store is shared, follow other nodes' changes and
    their deliveries to WebSocket connections this node holds."""
    cache = views(app)
    node = app.node_id
    await app.store.run(lambda t: connections.forget_node(t, node))  # sockets of this node's last run
    app.set_status("apigatewayv2", "running")
    if not app.store.shared:
        return
    from gureum.services.apigatewayv2.websocket import sockets  # the websockets library: only when needed
    from gureum.store.follow import ChangeFollower

    follower = ChangeFollower(app.store, model.TOPIC, cache.on_event)
    await follower.start()
    interval = app.settings(ApiGatewayV2Settings).follow_interval
    app.every(interval, follower.poll, name="apigatewayv2-follow")
    live = sockets(app)
    live.node = node
    deliveries = ChangeFollower(app.store, connections.DELIVER, live.on_deliver)
    await deliveries.start()
    app.every(interval, deliveries.poll, name="apigatewayv2-deliveries")
