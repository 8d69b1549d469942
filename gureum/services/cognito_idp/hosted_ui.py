"""The hosted UI's sign-in with the authorization code grant (OAuth 2.0, RFC 6749 4.1, with
PKCE, RFC 7636): GET /oauth2/authorize (or /login on a pool domain's host) shows a sign-in
form; its POST checks the password through flows.py (lockout, triggers, MFA state as the SDK
flows have them) and redirects to the client's callback URL with a one-time code;
/oauth2/token's authorization_code grant (http.py) trades the code for the tokens.

Table cognito_auth_codes: "{sha256 of the code}" -> {"client", "redirect_uri", "challenge",
"method", "exp", "tokens" (the AuthenticationResult as JSON, sealed with gureum/sealing.py,
context the code's key)}. A code lives five minutes and answers once. Sign-ins that need a
further step (NEW_PASSWORD_REQUIRED, MFA) are refused with a page saying so: the hosted UI's
challenge pages, sign-up and forgot-password pages, and the implicit grant are not built.
The sign-in page wears the client's classic branding (ui_custom.py): its CSS in a <style>,
its logo inline, on elements carrying AWS's `*-customizable` classes.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from gureum import sealing
from gureum.aws.errors import AwsError
from gureum.http.server import BodyTooLarge, Request, Response
from gureum.services.cognito_idp import clients, flows, pools, tables, tokens, ui_custom
from gureum.services.cognito_idp.pools import Doc
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.app import App

CODES = tables.CODES
CODE_SECONDS = 300
_FIELDS = ("response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method")


def _page(status: int, body: str, brand: Doc | None = None) -> Response:
    style = logo = ""
    if brand and brand.get("CSS"):
        style = "<style>" + str(brand["CSS"]).replace("</", "<\\/") + "</style>"
    if brand and brand.get("Image"):
        logo = (f'<div class=banner-customizable><img class=logo-customizable alt="" '
                f'src="data:{brand["ImageType"]};base64,{brand["Image"]}"></div>')
    text = (f"<!doctype html><html><head><meta charset=utf-8><title>Sign in</title>{style}</head>"
            f"<body><div class=background-customizable>{logo}{body}</div></body></html>")
    return Response(status, [("content-type", "text/html; charset=utf-8")], text.encode())


def _redirect(uri: str, **params: str) -> Response:
    sep = "&" if "?" in uri else "?"
    return Response(302, [("location", uri + sep + urlencode({k: v for k, v in params.items() if v}))], b"")


def _form(params: dict[str, str], message: str = "") -> str:
    hidden = "".join(f'<input type=hidden name="{k}" value="{html.escape(params[k])}">' for k in _FIELDS if params.get(k))
    note = f'<p class="error errorMessage-customizable" role=alert>{html.escape(message)}</p>' if message else ""
    return (f"<h1 class=textDescription-customizable>Sign in</h1>{note}<form method=post>{hidden}"
            '<label class=label-customizable>Username '
            '<input class=inputField-customizable name=username autocomplete=username></label>'
            '<label class=label-customizable>Password '
            '<input class=inputField-customizable name=password type=password autocomplete=current-password></label>'
            "<button class=submitButton-customizable type=submit>Sign in</button></form>")


def _client(txn: Txn, client_id: str) -> tuple[Doc, Doc] | None:
    try:
        client = clients.get(txn, client_id)
        return pools.get(txn, client["UserPoolId"]), client
    except AwsError:
        return None


async def authorize(app: App, request: Request, domain: str | None) -> Response:
    if request.method == "POST":
        if "x-www-form-urlencoded" not in (request.headers.get("content-type") or ""):
            return _page(400, "<p>invalid_request</p>")
        try:
            params = dict(parse_qsl((await request.body(64 * 1024)).decode(), keep_blank_values=True))
        except (UnicodeDecodeError, ValueError, BodyTooLarge):
            return _page(400, "<p>invalid_request</p>")
    elif request.method == "GET":
        params = dict(request.query)
    else:
        return _page(405, "<p>invalid_request</p>")
    found = await app.store.read(lambda t: _client(t, params.get("client_id", "")))
    if found is None:
        return _page(400, "<p>invalid_request: unknown client_id</p>")
    pool, client = found
    redirect = params.get("redirect_uri", "")
    if domain is not None:
        home = await app.store.read(lambda t: clients.pool_of_domain(t, domain))
        if home != pool["Id"]:
            return _page(400, "<p>invalid_request: the client is not of this domain's user pool</p>")
    if not redirect or redirect not in (client.get("CallbackURLs") or []):
        return _page(400, "<p>redirect_mismatch</p>")
    state = params.get("state", "")
    if params.get("response_type") != "code":
        return _redirect(redirect, error="unsupported_response_type", state=state)
    if "code" not in (client.get("AllowedOAuthFlows") or []) or not client.get("AllowedOAuthFlowsUserPoolClient"):
        return _redirect(redirect, error="unauthorized_client", state=state)
    allowed = list(client.get("AllowedOAuthScopes") or [])
    scopes = params.get("scope", "").split() or allowed
    if any(s not in allowed for s in scopes):
        return _redirect(redirect, error="invalid_scope", state=state)
    method = params.get("code_challenge_method") or ("plain" if params.get("code_challenge") else "")
    if method not in ("", "plain", "S256"):
        return _redirect(redirect, error="invalid_request", state=state)
    brand = await app.store.read(lambda t: ui_custom.effective(t, pool["Id"], client["ClientId"]))
    if request.method == "GET":
        return _page(200, _form(params), brand)
    now = time.time()
    attempt = flows.Attempt(pool, client, False, {}, scopes=_token_scopes(scopes), reason="HostedAuth")
    try:
        result = await flows.password(app, attempt, {"USERNAME": params.get("username", ""),
                                                     "PASSWORD": params.get("password", "")}, now)
    except AwsError as e:
        return _page(400, _form(params, e.message), brand)
    if "AuthenticationResult" not in result:
        return _page(400, _form(params, f"This sign-in needs {result.get('ChallengeName')}, which gureum's hosted UI "
                                         "does not offer yet: use the SDK flows (RespondToAuthChallenge)."), brand)
    code = secrets.token_urlsafe(32)
    key = hashlib.sha256(code.encode()).hexdigest()
    row = {"client": client["ClientId"], "redirect_uri": redirect, "challenge": params.get("code_challenge", ""),
           "method": method, "exp": now + CODE_SECONDS}

    def write(t: Txn) -> None:
        t.put(CODES, key, {**row, "tokens": sealing.seal(t, json.dumps(result["AuthenticationResult"]).encode(), key)})

    await app.store.run(write)
    return _redirect(redirect, code=code, state=state)


def _token_scopes(scopes: list[str]) -> list[str]:
    """The access token's scopes: those asked for (each once); with none, the user pool's own."""
    return list(dict.fromkeys(scopes)) or [tokens.ADMIN_SCOPE]


def redeem(txn: Txn, code: str, client_id: str, redirect_uri: str, verifier: str, now: float) -> Doc | None:
    """The tokens of a code (used once), or None when the code, its client, redirect URI or
    PKCE verifier does not match or it has expired (the grant's invalid_grant)."""
    key = hashlib.sha256(code.encode()).hexdigest()
    row = txn.get(CODES, key)
    if row is None:
        return None
    txn.delete(CODES, key)
    if row["client"] != client_id or row["redirect_uri"] != redirect_uri or row["exp"] < now:
        return None
    if row["challenge"]:
        proof = verifier if row["method"] == "plain" else base64.urlsafe_b64encode(
            hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
        if not verifier or not secrets.compare_digest(proof.encode(), row["challenge"].encode()):
            return None
    result: Doc = json.loads(sealing.unseal(txn, row["tokens"], key))
    return result


def grant_response(result: Doc) -> dict[str, Any]:
    return {"id_token": result["IdToken"], "access_token": result["AccessToken"], "refresh_token": result["RefreshToken"],
            "expires_in": result["ExpiresIn"], "token_type": "Bearer"}
