"""The PreTokenGeneration trigger: V1_0 (claimsOverrideDetails: the ID token's claims and
both tokens' groups) and V2_0 (claimsAndScopeOverrideDetails: the ID and access tokens'
claims and the access token's scopes), as AWS applies them. Claims AWS reserves (iss, sub,
aud, exp, iat, token_use, cognito:username...) are never overridden."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gureum.services.cognito_idp import triggers
from gureum.services.cognito_idp.pools import Doc

if TYPE_CHECKING:
    from gureum.app import App

RESERVED = frozenset({"acr", "amr", "aud", "at_hash", "auth_time", "azp", "c_hash", "exp", "iat", "identities", "iss", "jti",
                      "nbf", "nonce", "origin_jti", "sub", "token_use", "cognito:username", "event_id", "client_id",
                      "username", "scope", "version"})


@dataclass
class Shaped:
    scopes: list[str]
    groups: list[str] | None = None
    id_add: Doc = field(default_factory=dict)
    id_suppress: list[str] = field(default_factory=list)
    access_add: Doc = field(default_factory=dict)
    access_suppress: list[str] = field(default_factory=list)


def _claims(part: Any) -> tuple[Doc, list[str]]:
    if not isinstance(part, dict):
        return {}, []
    add = {k: v for k, v in (part.get("claimsToAddOrOverride") or {}).items() if k not in RESERVED}
    suppress = [c for c in part.get("claimsToSuppress") or [] if c not in RESERVED]
    return add, suppress


async def run(app: App, pool: Doc, client: Doc, user: Doc, groups: list[Doc], source: str, scopes: list[str]) -> Shaped:
    shaped = Shaped(scopes=list(scopes))
    if triggers.arn_of(pool, "PreTokenGeneration") is None:
        return shaped
    v2 = triggers.pre_token_version(pool) != "V1_0"
    request: Doc = {"userAttributes": triggers.attrs_of(user),
                    "groupConfiguration": {"groupsToOverride": [g["GroupName"] for g in groups],
                                           "iamRolesToOverride": [g["RoleArn"] for g in groups if g.get("RoleArn")],
                                           "preferredRole": next((g["RoleArn"] for g in groups if g.get("RoleArn")), None)},
                    "clientMetadata": {}}
    if v2:
        request["scopes"] = list(scopes)
    response = await triggers.invoke(app, pool, "PreTokenGeneration", source, user["Username"], client["ClientId"], request,
                                     {"claimsAndScopeOverrideDetails": None} if v2 else {"claimsOverrideDetails": None})
    details = (response or {}).get("claimsAndScopeOverrideDetails" if v2 else "claimsOverrideDetails")
    if not isinstance(details, dict):
        return shaped
    overrides = details.get("groupOverrideDetails")
    if isinstance(overrides, dict) and isinstance(overrides.get("groupsToOverride"), list):
        shaped.groups = [str(g) for g in overrides["groupsToOverride"]]
    if v2:
        shaped.id_add, shaped.id_suppress = _claims(details.get("idTokenGeneration"))
        access = details.get("accessTokenGeneration")
        shaped.access_add, shaped.access_suppress = _claims(access)
        if isinstance(access, dict):
            drop = set(access.get("scopesToSuppress") or [])
            shaped.scopes = [s for s in shaped.scopes if s not in drop] + [
                str(s) for s in access.get("scopesToAdd") or [] if s not in shaped.scopes]
    else:
        shaped.id_add, shaped.id_suppress = _claims(details)
    return shaped
