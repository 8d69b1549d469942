"""Custom domain names' front door for HTTP (and WebSocket) APIs: a request whose Host is a
domain name (the manifest's host route, asked after REST API Gateway's, which serves the
mappings to REST APIs and passes the others on) takes the API mapping with the longest key
whose levels prefix its path (the empty key catches the rest: apigateway/port.py `select`),
the key is stripped, and the mapped API's mapped stage serves the rest of the path
(invoke.serve), its `$default` stage included; rawPath in the event keeps the whole path as
AWS sends it. No mapping matches: 404 {"message":"Not Found"}."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from gureum.services.apigateway import port as domain_store
from gureum.services.apigateway.manifest import CUSTOM_DOMAIN_HOST
from gureum.services.apigatewayv2 import invoke

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.http.server import Request, Response

_DOMAIN = re.compile(CUSTOM_DOMAIN_HOST)


async def handle_domain(app: App, request: Request) -> Response | None:
    found = _DOMAIN.fullmatch(request.host.lower())
    if found is None:
        return None
    host = found.group("domain")
    mappings = await domain_store.mappings_for_host(app, host)
    if mappings is None:
        return None
    chosen = domain_store.select(mappings, request.raw_path)
    if chosen is None:
        return invoke.message(404, "Not Found", invoke.request_id())
    mapping, rest = chosen
    path = "/" + "/".join(rest)
    if request.raw_path.endswith("/") and rest:
        path += "/"
    return await invoke.serve(app, request, mapping["restApiId"], request.raw_path, host,
                              routed=(str(mapping.get("stage") or "$default"), path))
