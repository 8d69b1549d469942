"""cognito-idp's "/" edge route (each pool's /<pool id>/.well-known/jwks.json and
openid-configuration). Every unsigned request on the API port passes this route, so the
module is light: it answers None on the path's shape and loads the handler (http.py, which
brings JOSE, cryptography and OTP libraries) only for a .well-known request."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.http.server import Request, Response


async def handle(app: App, request: Request) -> Response | None:
    if request.method not in ("GET", "HEAD") or "/.well-known/" not in request.raw_path:
        return None
    from gureum.services.cognito_idp import http

    return await http.handle_well_known(app, request)
