"""The ALB's authenticate actions on the data plane (authenticate-cognito, authenticate-oidc;
their rules are auth_rules.py): OpenID Connect's authorization code flow run by the load
balancer, as AWS's "Authenticate users using an Application Load Balancer" describes.

- A request whose rule starts with an authenticate action and carries a valid session cookie
  is forwarded with x-amzn-oidc-accesstoken, x-amzn-oidc-identity (the user's `sub`) and
  x-amzn-oidc-data (a JWT, ES256, signed with the load balancer's key: header `kid`,
  `signer` = the load balancer's ARN, `iss`, `client`, `exp`; claims = the user info
  endpoint's answer); headers of those names the client sent are dropped.
- Without one: OnUnauthenticatedRequest "allow" forwards without the headers, "deny" answers
  401, "authenticate" (the default) answers 302 to the IdP's authorization endpoint with
  `state` (sealed with the load balancer's session key: a nonce, the URL asked for, the rule,
  an expiry) and redirect_uri https://<Host>/oauth2/idpresponse, and sets AWSELBAuthNonce.
- GET /oauth2/idpresponse on a listener with an authenticate action: the state must open with
  this load balancer's key, be unexpired and carry the AWSELBAuthNonce cookie's nonce (401
  otherwise); the code is traded at the token endpoint (client secret by HTTP Basic), the
  user info endpoint read with the access token, and the session set in the cookies
  <SessionCookieName>-0..n (AES-256-GCM with the load balancer's session key, the load
  balancer's ARN as associated data, so another load balancer's cookie does not open; expiry
  SessionTimeout), then 302 back to the URL first asked for.
The data path (alb.py, front.py) awaits the Gate only for such rules (and the callback): it
answers (an `Answer`) or hands back the headers to add to the forwarded request.
Cognito's endpoints are its domain's (https://<domain>.auth.<region>.amazoncognito.com/oauth2/
authorize, token, userInfo; a domain with a dot is a custom domain); requests to a Cognito
domain are sent to gureum's own port with the domain as Host. Keys: auth_keys.py.
Not built: refreshing the IdP's tokens when they expire inside the session (the session ends
at SessionTimeout or when its cookie is dropped), AuthenticationRequestExtraParams beyond
passing them on."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
import urllib.error
import urllib.request
from email.utils import formatdate
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from gureum.public import local_url
from gureum.services.elbv2 import auth_keys, auth_rules, routing
from gureum.services.elbv2.alb import Answer, Incoming
from gureum.services.elbv2.snapshot import ListenerView

if TYPE_CHECKING:
    from gureum.app import App

Doc = dict[str, Any]
CALLBACK = auth_rules.CALLBACK
NONCE_COOKIE = "AWSELBAuthNonce"
STATE_SECONDS = 900
_CHUNK = 4000


class Refused(Exception):
    """A state, cookie or IdP answer that is not valid (the reason in the message)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError as e:
        raise Refused("not base64") from e


def seal(key: bytes, doc: Doc, aad: str) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    return _b64(nonce + AESGCM(key).encrypt(nonce, json.dumps(doc, separators=(",", ":")).encode(), aad.encode()))


def unseal(key: bytes, text: str, aad: str) -> Doc:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    raw = _unb64(text)
    try:
        doc: Doc = json.loads(AESGCM(key).decrypt(raw[:12], raw[12:], aad.encode()))
    except (InvalidTag, ValueError) as e:
        raise Refused("does not open with this load balancer's key") from e
    return doc


def session_cookies(name: str, value: str, expires: float, jar: dict[str, str]) -> list[str]:
    """Set-Cookie values carrying `value` in <name>-0..n (4000 characters each), and expiring
    the parts of an older, longer session the browser still holds."""
    when = formatdate(expires, usegmt=True)
    parts = [value[o:o + _CHUNK] for o in range(0, len(value), _CHUNK)]
    out = [f"{name}-{i}={part}; Expires={when}; Path=/; Secure; HttpOnly" for i, part in enumerate(parts)]
    i = len(parts)
    while f"{name}-{i}" in jar:
        out.append(f"{name}-{i}=; Path=/; Max-Age=0; Secure; HttpOnly")
        i += 1
    return out


def session_value(jar: dict[str, str], name: str) -> str | None:
    """The session cookie's value put back together from <name>-0..n (None: no <name>-0)."""
    parts, i = [], 0
    while f"{name}-{i}" in jar:
        parts.append(jar[f"{name}-{i}"])
        i += 1
    return "".join(parts) or None


def _action(actions: list[Doc]) -> Doc | None:
    return next((a for a in actions if a["Type"] in auth_rules.KINDS), None)


def _page(status: int, text: str, headers: list[tuple[str, str]] | None = None) -> Answer:
    body = f"<html>\r\n<head><title>{status} {text}</title></head>\r\n<body>\r\n<center><h1>{status} {text}</h1></center>\r\n</body>\r\n</html>\r\n"
    return Answer(status, [("server", "awselb/2.0"), ("date", formatdate(usegmt=True)), ("content-type", "text/html"),
                           *(headers or [])], body.encode())


def _cookies(request: Incoming) -> dict[str, str]:
    values = [v for k, v in request.headers if k == "cookie"]
    return routing.cookies(values) if values else {}


class Provider:
    """The IdP of one authenticate action: its endpoints, client and issuer."""

    def __init__(self, app: App, action: Doc, region: str, secret: str | None) -> None:
        self.kind = action["Type"]
        cfg = action[auth_rules.KINDS[self.kind]]
        self.cfg = cfg
        if self.kind == "authenticate-cognito":
            domain = str(cfg["UserPoolDomain"])
            host = domain if "." in domain else f"{domain}.auth.{region}.amazoncognito.com"
            base = f"https://{host}/oauth2"
            self.authorize, self.token, self.userinfo = f"{base}/authorize", f"{base}/token", f"{base}/userInfo"
            self.client_id, self.secret = str(cfg["UserPoolClientId"]), secret
            from gureum.services.cognito_idp import port as cognito  # joserfc: loaded on first use (a lean start)

            self.issuer = cognito.issuer(app, cognito.pool_id_of(str(cfg["UserPoolArn"])))
        else:
            self.authorize, self.token, self.userinfo = cfg["AuthorizationEndpoint"], cfg["TokenEndpoint"], cfg["UserInfoEndpoint"]
            self.client_id, self.secret, self.issuer = str(cfg["ClientId"]), cfg.get("ClientSecret"), str(cfg["Issuer"])


class Gate:
    """Runs the authenticate actions of the listeners it serves (one per data plane)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._keys: dict[str, auth_keys.LbKeys] = {}

    async def keys(self, lb_key: str) -> auth_keys.LbKeys:
        got = self._keys.get(lb_key)
        if got is None:
            got = self._keys[lb_key] = await self.app.store.run(lambda t: auth_keys.get_or_create(t, lb_key))
        return got

    async def __call__(self, request: Incoming, view: ListenerView, rule: Doc) -> Answer | list[tuple[str, str]]:
        """The headers to add when going on to the rule's terminal action (the caller drops the
        client's x-amzn-oidc-* ones; none when not authenticated and allowed); else the answer
        (a redirect to the IdP, 401, or the callback's redirect)."""
        if request.raw_path == CALLBACK and any(_action(r["Actions"]) for r in view.rules):
            return await self._callback(request, view)
        action = _action(rule["Actions"])
        if action is None:
            return []
        cfg = action[auth_rules.KINDS[action["Type"]]]
        keys = await self.keys(view.lb_key)
        jar = _cookies(request)
        session = self._session(jar, cfg, keys, view)
        if session is not None:
            return self._headers(session, keys, view)
        if cfg["OnUnauthenticatedRequest"] == "allow":
            return []
        if cfg["OnUnauthenticatedRequest"] == "deny":
            return _page(401, "Authorization Required")
        provider = await self._provider(action, view)
        host = request.header("host") or view.address
        nonce = _b64(os.urandom(16))
        asked = request.raw_path + ("?" + request.query_string if request.query_string else "")
        state = seal(keys.session, {"n": nonce, "u": f"https://{host}{asked}", "r": rule["RuleArn"],
                                    "exp": time.time() + STATE_SECONDS}, view.lb_arn)
        query = {"client_id": provider.client_id, "redirect_uri": f"https://{host}{CALLBACK}", "response_type": "code",
                 "scope": cfg["Scope"], "state": state, **(cfg.get("AuthenticationRequestExtraParams") or {})}
        return _page(302, "Found", [("location", f"{provider.authorize}?{urlencode(query)}"),
                                    ("set-cookie", f"{NONCE_COOKIE}={nonce}; Path=/; Max-Age={STATE_SECONDS}; Secure; HttpOnly")])

    def _session(self, jar: dict[str, str], cfg: Doc, keys: auth_keys.LbKeys, view: ListenerView) -> Doc | None:
        value = session_value(jar, cfg["SessionCookieName"])
        if value is None:
            return None
        try:
            doc = unseal(keys.session, value, view.lb_arn)
        except Refused:
            return None
        client = cfg.get("UserPoolClientId") or cfg.get("ClientId")
        if doc.get("lb") != view.lb_arn or doc.get("cid") != client or float(doc.get("exp", 0)) < time.time():
            return None
        return doc

    def _headers(self, session: Doc, keys: auth_keys.LbKeys, view: ListenerView) -> list[tuple[str, str]]:
        from joserfc import jwt
        from joserfc.jwk import ECKey
        from joserfc.jws import JWSRegistry

        exp = int(time.time()) + 120
        header = {"alg": "ES256", "typ": "JWT", "kid": keys.kid, "signer": view.lb_arn, "iss": session["iss"],
                  "client": session["cid"], "exp": exp}
        data = jwt.encode(header, {**session["claims"], "exp": exp, "iss": session["iss"]}, ECKey.import_key(keys.signing_pem),
                          registry=JWSRegistry(strict_check_header=False))  # AWS's header: signer, client, iss, exp
        return [("x-amzn-oidc-accesstoken", session["at"]), ("x-amzn-oidc-identity", str(session["claims"].get("sub", ""))),
                ("x-amzn-oidc-data", data)]

    async def _provider(self, action: Doc, view: ListenerView) -> Provider:
        secret = None
        if action["Type"] == "authenticate-cognito":
            from gureum.services.cognito_idp import port as cognito

            client_id = str(action["AuthenticateCognitoConfig"]["UserPoolClientId"])
            secret = await self.app.store.read(lambda t: cognito.client_secret(t, client_id))
        return Provider(self.app, action, view.lb_key.split("/")[1], secret)

    async def _callback(self, request: Incoming, view: ListenerView) -> Answer:
        keys = await self.keys(view.lb_key)
        query = dict(parse_qsl(request.query_string, keep_blank_values=True))
        jar = _cookies(request)
        try:
            state = unseal(keys.session, query.get("state", ""), view.lb_arn)
            if float(state.get("exp", 0)) < time.time():
                raise Refused("state expired")
            if not jar.get(NONCE_COOKIE) or jar[NONCE_COOKIE] != state.get("n"):
                raise Refused("state does not match the nonce cookie")
            rule = next((r for r in view.rules if r["RuleArn"] == state.get("r")), None)
            action = _action(rule["Actions"]) if rule is not None else None
            if action is None or "code" not in query:
                raise Refused("no authenticate action for this state, or no code")
            provider = await self._provider(action, view)
            host = request.header("host") or view.address
            tokens = await self._post(provider.token, {"grant_type": "authorization_code", "code": query["code"],
                                                       "client_id": provider.client_id,
                                                       "redirect_uri": f"https://{host}{CALLBACK}"}, provider)
            access = tokens.get("access_token")
            if not isinstance(access, str):
                raise Refused("the token endpoint gave no access token")
            claims = await self._get(provider.userinfo, access)
        except Refused:
            return _page(401, "Authorization Required")
        cfg = action[auth_rules.KINDS[action["Type"]]]
        timeout = int(cfg["SessionTimeout"])
        session = {"lb": view.lb_arn, "cid": provider.client_id, "iss": provider.issuer, "exp": time.time() + timeout,
                   "at": access, "claims": claims}
        value = seal(keys.session, session, view.lb_arn)
        cookies = session_cookies(cfg["SessionCookieName"], value, time.time() + timeout, jar)
        cookies.append(f"{NONCE_COOKIE}=; Path=/; Max-Age=0; Secure; HttpOnly")
        return _page(302, "Found", [("location", str(state["u"])), *(("set-cookie", c) for c in cookies)])

    def _route(self, url: str) -> tuple[str, dict[str, str]]:
        """Where to send a request for `url`: a Cognito domain is gureum's own port, by Host."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if host.endswith(".amazoncognito.com") or host.endswith(".localhost"):
            path = parts.path + ("?" + parts.query if parts.query else "")
            return local_url(self.app).rstrip("/") + path, {"Host": parts.netloc}
        return url, {}

    async def _post(self, url: str, form: dict[str, str], provider: Provider) -> Doc:
        target, headers = self._route(url)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        if provider.secret:
            basic = base64.b64encode(f"{provider.client_id}:{provider.secret}".encode()).decode()
            headers["Authorization"] = f"Basic {basic}"
        return await asyncio.to_thread(_fetch, target, headers, urlencode(form).encode())

    async def _get(self, url: str, access: str) -> Doc:
        target, headers = self._route(url)
        headers["Authorization"] = f"Bearer {access}"
        return await asyncio.to_thread(_fetch, target, headers, None)


def _fetch(url: str, headers: dict[str, str], body: bytes | None) -> Doc:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            doc = json.loads(resp.read())
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise Refused(f"{url}: {e}") from e
    if not isinstance(doc, dict):
        raise Refused(f"{url}: not a JSON object")
    return doc
