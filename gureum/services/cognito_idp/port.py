"""Cognito's port for other services (API Gateway's Cognito user pool authorizers and JWT
authorizers): a pool's issuer and JWKS, and a token of a pool verified as a resource server
verifies it (signature with the pool's key, `iss`, expiry, `token_use`), inside the caller's
store transaction. Revocation (GlobalSignOut) is not consulted, as AWS's authorizers do not:
they check the JWT alone."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.cognito_idp import clients, pools, tokens
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.app import App


class InvalidToken(ValueError):
    """A token the pool did not issue, or no longer valid (the reason in its message)."""


def pool_id_of(arn_or_id: str) -> str:
    """The pool id of a user pool ARN (arn:aws:cognito-idp:<region>:<account>:userpool/<id>) or id."""
    parsed = arns.try_parse(arn_or_id)
    if parsed is None:
        return arn_or_id
    return parsed.resource.removeprefix("userpool/")


def issuer(app: App, pool_id: str) -> str:
    """The `iss` of the pool's tokens (tokens.py explains its form)."""
    return tokens.issuer(app, pool_id)


def jwks(txn: Txn, pool_id: str) -> dict[str, Any] | None:
    """The pool's JWKS, None when there is no such pool."""
    try:
        return tokens.jwks(pools.get(txn, pool_id))
    except AwsError:
        return None


def client_secret(txn: Txn, client_id: str) -> str | None:
    """The secret of app client `client_id` (None: it has none, or there is no such client), for a
    relying party gureum runs itself (an ALB's authenticate-cognito action)."""
    try:
        return clients.secret_of(txn, clients.get(txn, client_id))
    except AwsError:
        return None


def verify(txn: Txn, app: App, pool_id: str, token: str, now: float, *, token_use: str | None = None) -> dict[str, Any]:
    """The claims of `token` when pool `pool_id` signed it and it is unexpired (and, given
    `token_use`, an "id" or "access" token); InvalidToken otherwise."""
    key = jwks(txn, pool_id)
    if key is None:
        raise InvalidToken(f"no user pool {pool_id}")
    try:
        claims: dict[str, Any] = dict(jwt.decode(token, RSAKey.import_key(key["keys"][0]), algorithms=["RS256"]).claims)
    except (JoseError, ValueError) as e:
        raise InvalidToken(f"signature: {e}") from None
    if claims.get("iss") != issuer(app, pool_id):
        raise InvalidToken("issuer")
    if int(claims.get("exp", 0)) < now:
        raise InvalidToken("expired")
    if token_use is not None and claims.get("token_use") != token_use:
        raise InvalidToken("token_use")
    return claims
