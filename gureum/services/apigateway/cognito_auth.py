"""Cognito user pool authorizers (COGNITO_USER_POOLS) of REST APIs: which pools an
authorizer may name, and a request's token checked against them.

Control plane: `providerARNs` must be user pool ARNs (arn:aws:cognito-idp:<region>:<account>:
userpool/<pool id>) of pools that exist, and the identity source a header. Data plane: the
header's value is a JWT one of those pools signed (cognito_idp's port: signature with the
pool's key, `iss`, expiry); a method without authorizationScopes takes an ID token, one with
scopes an access token whose `scope` holds at least one of them, as AWS decides. Anything
else is AWS's 401 {"message":"Unauthorized"}. The token's claims reach the integration as
requestContext.authorizer.claims (and `$context.authorizer.claims`), every value a string
and `exp`/`iat` written as AWS writes them ("Thu Dec 03 18:03:06 UTC 2026")."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.services.cognito_idp import port as cognito
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.app import App

Doc = dict[str, Any]
_DATES = ("exp", "iat")  # written as dates; auth_time stays a number, as AWS passes them


def pool_ids(provider_arns: list[str] | None) -> list[str] | None:
    """The pool ids the ARNs name, None when one is no user pool ARN (or none is given)."""
    if not provider_arns:
        return None
    out = []
    for arn in provider_arns:
        parsed = arns.try_parse(arn)
        if parsed is None or parsed.service != "cognito-idp" or not parsed.resource.startswith("userpool/"):
            return None
        out.append(cognito.pool_id_of(arn))
    return out


def pools_exist(txn: Txn, provider_arns: list[str] | None) -> bool:
    """Whether every ARN names a user pool that exists."""
    found = pool_ids(provider_arns)
    return found is not None and all(cognito.jwks(txn, p) is not None for p in found)


def _text(name: str, value: Any) -> str:
    if name in _DATES and isinstance(value, (int, float)):
        return time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(value))
    if isinstance(value, list):
        return "[" + " ".join(str(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def claims_of(txn: Txn, app: App, provider_arns: list[str], token: str, scopes: list[str] | None,
              now: float) -> Doc | None:
    """The claims (as strings) of `token` when one of the pools signed it and it fits the
    method's scopes; None otherwise."""
    for pool_id in pool_ids(provider_arns) or []:
        try:
            claims = cognito.verify(txn, app, pool_id, token, now, token_use="access" if scopes else "id")
        except cognito.InvalidToken:
            continue
        if scopes and not set(str(claims.get("scope", "")).split()) & set(scopes):
            return None
        return {k: _text(k, v) for k, v in claims.items()}
    return None
