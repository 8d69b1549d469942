"""Cognito's HTTP endpoints beside the AWS API (public, as AWS's are):
- GET /<pool-id>/.well-known/jwks.json and /<pool-id>/.well-known/openid-configuration
  (tokens.py explains the issuer);
- POST /oauth2/token, the hosted UI's token endpoint, by path on the API port or on a pool
  domain's host (<domain>.auth.<region>.amazoncognito.com or <domain>.auth.localhost):
  grant_type client_credentials (a client with a secret, custom scopes of the pool's
  resource servers) and refresh_token, with OAuth 2.0's JSON errors (RFC 6749 5.2);
- GET /oauth2/userInfo with a user's access token (openid scope): the user's claims;
- /oauth2/authorize (and /login on a domain's host): the hosted UI's sign-in form and the
  authorization code grant (hosted_ui.py).
A path that is not one of these answers None, so other routes (and S3) still see it.
"""

from __future__ import annotations

import base64
import json
import re
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

from gureum.aws.errors import AwsError
from gureum.http.server import BodyTooLarge, Request, Response
from gureum.services.cognito_idp import clients, flows, hosted_ui, pools, selfservice, tokens
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.app import App

MAX_FORM = 64 * 1024  # the token endpoint's and sign-in form's largest body
_WELL_KNOWN = re.compile(r"^/([a-z]{2}(?:-[a-z]+)+-\d_[A-Za-z0-9]+)/\.well-known/(jwks\.json|openid-configuration)$")
_DOMAIN_HOST = re.compile(r"^([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)\.auth\.(?:[a-z0-9-]+\.amazoncognito\.com|localhost)(?::\d+)?$")


def _json(status: int, doc: Any) -> Response:
    return Response(status, [("content-type", "application/json")], json.dumps(doc).encode())


def _oauth_error(code: str, status: int = 400) -> Response:
    return _json(status, {"error": code})


async def handle_well_known(app: App, request: Request) -> Response | None:
    if request.method not in ("GET", "HEAD") or "/.well-known/" not in request.raw_path:
        return None
    m = _WELL_KNOWN.match(request.path)
    if m is None:
        return None
    pool_id, what = m.group(1), m.group(2)

    def read(t: Txn) -> Any:
        try:
            return pools.get(t, pool_id)
        except AwsError:
            return None

    pool = await app.store.read(read)
    if pool is None:
        return _json(404, {"message": f"User pool {pool_id} does not exist."})
    return _json(200, tokens.jwks(pool) if what == "jwks.json" else tokens.openid_configuration(app, pool))


async def handle_domain(app: App, request: Request) -> Response | None:
    m = _DOMAIN_HOST.match(request.host.lower())
    if m is None:
        return None
    if request.path in ("/oauth2/authorize", "/login"):
        return await hosted_ui.authorize(app, request, m.group(1))
    if request.path == "/oauth2/userInfo":
        return await _user_info(app, request)
    if request.path != "/oauth2/token":
        return _json(404, {"error": "not_found"})
    return await _token(app, request, m.group(1))


async def handle_token(app: App, request: Request) -> Response | None:
    if request.path == "/oauth2/userInfo":
        return await _user_info(app, request)
    if request.path == "/oauth2/authorize":
        return await hosted_ui.authorize(app, request, None)
    if request.path != "/oauth2/token":
        return None
    return await _token(app, request, None)


async def _user_info(app: App, request: Request) -> Response:
    """GET /oauth2/userInfo with an access token that has the openid scope: the user's
    attributes as OIDC claims (email_verified and phone_number_verified as booleans) and
    `username`; 401 with the OAuth bearer challenge otherwise."""
    auth = request.headers.get("authorization") or ""
    if request.method not in ("GET", "POST") or not auth.lower().startswith("bearer "):
        return _bearer_error("invalid_request", "Access token is missing")
    try:
        pool, user, claims = await selfservice.by_token(app, auth[7:].strip(), time.time(), scope="openid")
    except AwsError as e:
        return _bearer_error("invalid_token", e.message)
    out: dict[str, Any] = {}
    for name, value in user["attrs"].items():
        out[name] = value == "true" if name.endswith("_verified") else value
    out["username"] = user["Username"]
    del pool, claims
    return _json(200, out)


def _bearer_error(code: str, description: str) -> Response:
    response = _json(401, {"error": code, "error_description": description})
    response.headers.append(("www-authenticate", f'Bearer error="{code}", error_description="{description}"'))
    return response


def _credentials(request: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
    auth = request.headers.get("authorization") or ""
    if auth.lower().startswith("basic "):
        try:
            cid, _, secret = base64.b64decode(auth[6:].strip()).decode().partition(":")
            return unquote(cid), unquote(secret)
        except (ValueError, UnicodeDecodeError):
            return None, None
    return form.get("client_id"), form.get("client_secret")


async def _token(app: App, request: Request, domain: str | None) -> Response:
    if request.method != "POST":
        return _json(405, {"error": "invalid_request"})
    if "x-www-form-urlencoded" not in (request.headers.get("content-type") or ""):
        return _oauth_error("invalid_request")
    try:
        form = dict(parse_qsl((await request.body(MAX_FORM)).decode(), keep_blank_values=True))
    except (UnicodeDecodeError, ValueError, BodyTooLarge):
        return _oauth_error("invalid_request")
    cid, secret = _credentials(request, form)
    grant = form.get("grant_type")
    if not cid:
        return _oauth_error("invalid_client", 401)

    def read(t: Txn) -> tuple[Any, Any, str | None, str | None]:
        try:
            client = clients.get(t, cid)
            pool = pools.get(t, client["UserPoolId"])
        except AwsError:
            return None, None, None, None
        return pool, client, clients.secret_of(t, client), (clients.pool_of_domain(t, domain) if domain else None)

    pool, client, real_secret, domain_pool = await app.store.read(read)
    if client is None or (domain is not None and domain_pool != pool["Id"]):
        return _oauth_error("invalid_client", 401)
    if real_secret is not None and secret != real_secret:
        return _oauth_error("invalid_client", 401)
    now = time.time()
    if grant == "client_credentials":
        if real_secret is None or "client_credentials" not in (client.get("AllowedOAuthFlows") or []) \
                or not client.get("AllowedOAuthFlowsUserPoolClient"):
            return _oauth_error("unauthorized_client")
        allowed = list(client.get("AllowedOAuthScopes") or [])
        asked = form.get("scope", "").split() or allowed
        if not asked or any(s not in allowed for s in asked):
            return _oauth_error("invalid_scope")
        seconds = clients.seconds(client, "AccessToken")
        access = await app.store.read(lambda t: tokens.mint_client_access(app, t, pool, client, asked, seconds, now))
        return _json(200, {"access_token": access, "expires_in": seconds, "token_type": "Bearer"})
    if grant == "authorization_code":
        code, redirect, verifier = form.get("code", ""), form.get("redirect_uri", ""), form.get("code_verifier", "")
        result = await app.store.run(lambda t: hosted_ui.redeem(t, code, cid, redirect, verifier, now))
        if result is None:
            return _oauth_error("invalid_grant")
        return _json(200, hosted_ui.grant_response(result))
    if grant == "refresh_token":
        token = form.get("refresh_token") or ""
        try:
            result = await flows.refresh_for_client(app, pool, client, token, now)
        except AwsError:
            return _oauth_error("invalid_grant")
        r = result["AuthenticationResult"]
        return _json(200, {"id_token": r["IdToken"], "access_token": r["AccessToken"], "expires_in": r["ExpiresIn"],
                           "token_type": "Bearer"})
    return _oauth_error("unsupported_grant_type")


__all__ = ["handle_well_known", "handle_domain", "handle_token"]
