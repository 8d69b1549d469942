"""The OIDC issuers of accounts with outbound identity federation (outbound_federation.py):
GET /_gureum/iam/issuers/<id>/.well-known/openid-configuration and .../jwks.json, what a
service outside gureum fetches to verify a token from STS GetWebIdentityToken. Public, as
AWS's issuer endpoints are: they hold only public keys."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from gureum.http.server import Request, Response
from gureum.public import public_url
from gureum.services.iam import outbound_federation as federation

if TYPE_CHECKING:
    from gureum.app import App


def _json(status: int, doc: Any) -> Response:
    return Response(status, [("content-type", "application/json")], json.dumps(doc).encode())


async def handle(app: App, request: Request) -> Response:
    rest = request.path.removeprefix(federation.PATH)
    issuer_id, _, what = rest.partition("/")
    if app.is_agent or request.method not in ("GET", "HEAD") or what not in (".well-known/openid-configuration",
                                                                             ".well-known/jwks.json"):
        return _json(404, {"error": "NotFound"})
    doc = await app.store.read(lambda t: federation.by_issuer_id(t, issuer_id))
    if doc is None:
        return _json(404, {"error": "NotFound"})
    if what.endswith("jwks.json"):
        return _json(200, federation.jwks(doc))
    return _json(200, federation.discovery(federation.issuer(public_url(app, request), issuer_id)))
