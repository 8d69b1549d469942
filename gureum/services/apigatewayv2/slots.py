"""API Gateway v2's live objects in the node's typed registry (gureum/slots.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gureum.slots import Slot

if TYPE_CHECKING:
    from gureum.services.apigatewayv2.jwt import Keys
    from gureum.services.apigatewayv2.throttle import Bucket
    from gureum.services.apigatewayv2.views import Views
    from gureum.services.apigatewayv2.vpclinks import Resolver
    from gureum.services.apigatewayv2.websocket import Sockets

VIEWS: Slot[Views] = Slot("apigatewayv2.views")  # the data plane's cache of deployed APIs
SOCKETS: Slot[Sockets] = Slot("apigatewayv2.sockets")  # WebSocket connections held by this node
KEYS: Slot[Keys] = Slot("apigatewayv2.jwks")  # JWT authorizers' issuer keys
# authorizer answers: (api, authorizer, identity values) -> (expiry, answer)
RESULTS: Slot[dict[tuple[str, str, tuple[str, ...]], tuple[float, Any]]] = Slot("apigatewayv2.authorizer-cache")
BUCKETS: Slot[dict[tuple[str, str, str], Bucket]] = Slot("apigatewayv2.throttle")  # stage throttling
LINKS: Slot[Resolver] = Slot("apigatewayv2.vpclinks")  # where private integrations through VPC links go
