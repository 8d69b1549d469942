"""Tokens: each pool's RS256 signing key, its JWKS and OpenID configuration, the ID and access
tokens with AWS's claims, and refresh tokens (opaque, revocable).

The issuer. AWS's is `https://cognito-idp.<region>.amazonaws.com/<pool-id>`, and its JWKS is
that URL + `/.well-known/jwks.json`. gureum's is `http://<api host:port>/<pool-id>` on its API
port as the node advertises it (gureum/public.py rule 2, never the caller's Host header, so
every token of a pool names one issuer whoever asked for it): by default
`http://localhost:4566/<pool-id>`, with the JWKS at `<issuer>/.well-known/jwks.json` and the
OpenID configuration at `<issuer>/.well-known/openid-configuration` (http.py), so a verifier
that derives the JWKS from `iss` (API Gateway's JWT authorizers, aws-jwt-verify) finds it.

Keys: a pool's doc holds "key": {"kid", "jwk" (public JWK), "sealed" (the PEM of the private
key sealed with gureum/sealing.py, context the pool ARN)}; made once at CreateUserPool and
never rotated. `KeyCache` (one per node, slots.KEYS) keeps opened keys by pool id: a pool id
is never reused, so a cached key is never stale.

Table cognito_sessions: "{origin_jti}" -> {"pool", "user" (name key), "client", "secret"
(sha256 of the refresh token's secret part), "exp", "auth_time", "revoked", "scopes"}: one
per sign-in. A refresh token is "<origin_jti>.<secret>" (base64url), valid while its session
is unrevoked and unexpired. Table cognito_user_sessions: "{pool_id}/{user name
key}/{origin_jti}" -> {}: the user's sessions, for revoking them all. Access tokens carry the session's origin_jti: GetUser and the
other token-authorized calls refuse them once the session is revoked (GlobalSignOut,
RevokeToken, AdminUserGlobalSignOut).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid
from typing import TYPE_CHECKING

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from gureum import sealing
from gureum.public import public_url
from gureum.services.cognito_idp import tables
from gureum.services.cognito_idp.pools import Doc, err
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.app import App

SESSIONS = tables.SESSIONS
USER_SESSIONS = tables.USER_SESSIONS
ADMIN_SCOPE = "aws.cognito.signin.user.admin"


def new_key(pool_arn_hint: str = "") -> tuple[RSAKey, Doc]:
    """A fresh RSA-2048 key and the public part of its "key" field (sealed in `seal_key`)."""
    key = RSAKey.generate_key(2048)
    kid = key.thumbprint()
    jwk = {**key.as_dict(private=False), "kid": kid, "alg": "RS256", "use": "sig"}
    return key, {"kid": kid, "jwk": jwk}


def seal_key(txn: Txn, key: RSAKey, public: Doc, pool_arn: str) -> Doc:
    pem = key.as_pem(private=True)
    return {**public, "sealed": sealing.seal(txn, pem if isinstance(pem, bytes) else str(pem).encode(), pool_arn)}


class KeyCache:
    """Opened private keys by pool id (see the module docstring)."""

    def __init__(self) -> None:
        self.keys: dict[str, RSAKey] = {}

    def private(self, txn: Txn, pool: Doc) -> RSAKey:
        k = self.keys.get(pool["Id"])
        if k is None:
            pem = sealing.unseal(txn, pool["key"]["sealed"], pool["Arn"])
            k = self.keys[pool["Id"]] = RSAKey.import_key(pem)
        return k


def keys_of(app: App) -> KeyCache:
    from gureum.services.cognito_idp.slots import KEYS

    return app.parts.lazy(KEYS, KeyCache)


def issuer(app: App, pool_id: str) -> str:
    return public_url(app, None, "/" + pool_id)


def jwks(pool: Doc) -> Doc:
    return {"keys": [pool["key"]["jwk"]]}


def openid_configuration(app: App, pool: Doc) -> Doc:
    iss = issuer(app, pool["Id"])
    return {
        "issuer": iss, "jwks_uri": iss + "/.well-known/jwks.json",
        "authorization_endpoint": public_url(app, None, "/oauth2/authorize"),
        "token_endpoint": public_url(app, None, "/oauth2/token"),
        "userinfo_endpoint": public_url(app, None, "/oauth2/userInfo"),
        "response_types_supported": ["code", "token"],
        "scopes_supported": ["openid", "email", "phone", "profile"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    }


def sign(key: RSAKey, kid: str, claims: Doc) -> str:
    return jwt.encode({"kid": kid, "alg": "RS256"}, claims, key, default_type=None)


def _secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def open_session(txn: Txn, pool_id: str, user_key: str, client_id: str, refresh_seconds: int, now: float,
                 scopes: list[str]) -> tuple[str, str]:
    """A new sign-in session: (origin_jti, refresh token)."""
    origin = str(uuid.uuid4())
    secret = secrets.token_urlsafe(48)
    txn.put(SESSIONS, origin, {"pool": pool_id, "user": user_key, "client": client_id, "secret": _secret_digest(secret),
                               "exp": now + refresh_seconds, "auth_time": int(now), "revoked": False, "scopes": scopes})
    txn.put(USER_SESSIONS, f"{pool_id}/{user_key}/{origin}", {})
    return origin, f"{origin}.{secret}"


def refresh_session(txn: Txn, token: str, client_id: str, now: float) -> Doc:
    """The session a refresh token belongs to; NotAuthorizedException as AWS words it."""
    origin, _, secret = token.partition(".")
    doc = txn.get(SESSIONS, origin) if origin and secret else None
    if doc is None or doc["client"] != client_id or not hmac.compare_digest(doc["secret"], _secret_digest(secret)):
        raise err("NotAuthorizedException", "Invalid Refresh Token")
    if doc["revoked"]:
        raise err("NotAuthorizedException", "Refresh Token has been revoked")
    if doc["exp"] < now:
        raise err("NotAuthorizedException", "Refresh Token has expired")
    doc["origin_jti"] = origin
    return doc


def revoke(txn: Txn, origin: str) -> None:
    doc = txn.get(SESSIONS, origin)
    if doc is not None and not doc["revoked"]:
        doc["revoked"] = True
        txn.put(SESSIONS, origin, doc)


def revoke_user(txn: Txn, pool_id: str, user_key: str) -> int:
    """Revoke every session of the user (GlobalSignOut, a disabled or deleted user); returns
    how many were live. The user's index rows go with them (a revoked session never revives)."""
    n = 0
    prefix = f"{pool_id}/{user_key}/"
    for key, _ in txn.scan(USER_SESSIONS, prefix):
        origin = key[len(prefix):]
        doc = txn.get(SESSIONS, origin)
        if doc is not None and not doc["revoked"]:
            doc["revoked"] = True
            txn.put(SESSIONS, origin, doc)
            n += 1
    txn.delete_prefix(USER_SESSIONS, prefix)
    return n


def mint(app: App, txn: Txn, pool: Doc, client: Doc, user: Doc, groups: list[Doc], origin: str, auth_time: int,
         now: float, *, id_seconds: int, access_seconds: int, scopes: list[str],
         id_extra: Doc | None = None, id_suppress: list[str] | None = None,
         access_extra: Doc | None = None, access_suppress: list[str] | None = None,
         group_names: list[str] | None = None) -> tuple[str, str]:
    """(id token, access token) for `user` signed in through `client` in session `origin`."""
    key = keys_of(app).private(txn, pool)
    kid = pool["key"]["kid"]
    iss = issuer(app, pool["Id"])
    iat = int(now)
    event_id = str(uuid.uuid4())
    names = group_names if group_names is not None else [g["GroupName"] for g in groups]
    id_claims: Doc = {"sub": user["sub"]}
    if names:
        id_claims["cognito:groups"] = names
    for name, value in user["attrs"].items():
        if name == "sub" or (client.get("ReadAttributes") and name not in client["ReadAttributes"]):
            continue
        id_claims[name] = value == "true" if name.endswith("_verified") else value
    id_claims.update({"iss": iss, "cognito:username": user["Username"], "origin_jti": origin, "aud": client["ClientId"],
                      "event_id": event_id, "token_use": "id", "auth_time": auth_time, "exp": iat + id_seconds,
                      "iat": iat, "jti": str(uuid.uuid4())})
    for n in id_suppress or []:
        id_claims.pop(n, None)
    id_claims.update(id_extra or {})
    access: Doc = {"sub": user["sub"]}
    if names:
        access["cognito:groups"] = names
    access.update({"iss": iss, "client_id": client["ClientId"], "origin_jti": origin, "event_id": event_id,
                   "token_use": "access", "scope": " ".join(scopes), "auth_time": auth_time, "exp": iat + access_seconds,
                   "iat": iat, "jti": str(uuid.uuid4()), "username": user["Username"]})
    for n in access_suppress or []:
        access.pop(n, None)
    access.update(access_extra or {})
    return sign(key, kid, id_claims), sign(key, kid, access)


def mint_client_access(app: App, txn: Txn, pool: Doc, client: Doc, scopes: list[str], seconds: int, now: float) -> str:
    """An access token of the client_credentials grant (no user)."""
    key = keys_of(app).private(txn, pool)
    iat = int(now)
    claims = {"sub": client["ClientId"], "token_use": "access", "scope": " ".join(scopes), "auth_time": iat,
              "iss": issuer(app, pool["Id"]), "exp": iat + seconds, "iat": iat, "version": 2, "jti": str(uuid.uuid4()),
              "client_id": client["ClientId"]}
    return sign(key, pool["key"]["kid"], claims)


def unverified_claims(token: str) -> Doc:
    """The claims of a JWT before its signature is checked (to find its pool)."""
    try:
        import base64

        part = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (IndexError, ValueError):
        raise err("NotAuthorizedException", "Invalid Access Token") from None
    if not isinstance(data, dict):
        raise err("NotAuthorizedException", "Invalid Access Token")
    return data


def verify_access(txn: Txn, pool: Doc, token: str, now: float, scope: str = ADMIN_SCOPE) -> Doc:
    """The claims of access token `token` of `pool` after checking its signature, expiry, use
    and session; NotAuthorizedException as AWS words it."""
    try:
        claims: Doc = dict(jwt.decode(token, RSAKey.import_key(pool["key"]["jwk"]), algorithms=["RS256"]).claims)
    except (JoseError, ValueError):
        raise err("NotAuthorizedException", "Invalid Access Token") from None
    if claims.get("token_use") != "access":
        raise err("NotAuthorizedException", "Invalid Access Token")
    if int(claims.get("exp", 0)) < now:
        raise err("NotAuthorizedException", "Access Token has expired")
    if scope not in str(claims.get("scope", "")).split():
        raise err("NotAuthorizedException", "Access Token does not have required scopes")
    session = txn.get(SESSIONS, str(claims.get("origin_jti", "")))
    if session is None or session["revoked"]:
        raise err("NotAuthorizedException", "Access Token has been revoked")
    return claims


def now() -> float:
    return time.time()
