"""App clients, hosted-UI domains and resource servers of a pool.

Tables:
- cognito_clients: "{pool_id}/{client_id}" -> the client as DescribeUserPoolClient shows it,
  but its secret kept sealed ("sealed_secret", gureum/sealing.py, context "{pool}/{client}").
- cognito_client_index: "{client_id}" -> {"pool": pool_id} (InitiateAuth and SignUp name
  only the client).
- cognito_domains: "{domain}" -> {"pool", "account", "region"}; the pool's doc names it too.
- cognito_resource_servers: "{pool_id}/{identifier}" -> ResourceServerType.
Invariants: a client's token validities lie in AWS's ranges in its TokenValidityUnits;
legacy ExplicitAuthFlows names are not mixed with ALLOW_ ones; a client allowed
client_credentials has a secret and only custom scopes of the pool's resource servers.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from gureum import sealing
from gureum.aws import paging
from gureum.services.cognito_idp import ids, pools
from gureum.services.cognito_idp.pools import Doc, err
from gureum.store import Txn

CLIENTS = "cognito_clients"
CLIENT_INDEX = "cognito_client_index"
DOMAINS = "cognito_domains"
RESOURCE_SERVERS = "cognito_resource_servers"

DEFAULT_FLOWS = ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"]
_LEGACY = {"ADMIN_NO_SRP_AUTH": "ALLOW_ADMIN_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH": "ALLOW_USER_PASSWORD_AUTH",
           "CUSTOM_AUTH_FLOW_ONLY": "ALLOW_CUSTOM_AUTH"}
_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
# (default value, default unit, least seconds, most seconds) per token
_VALIDITY = {"AccessToken": (60, "minutes", 300, 86400), "IdToken": (60, "minutes", 300, 86400),
             "RefreshToken": (30, "days", 3600, 10 * 365 * 86400)}
_FIELD = {"AccessToken": "AccessTokenValidity", "IdToken": "IdTokenValidity", "RefreshToken": "RefreshTokenValidity"}
STANDARD_SCOPES = ("phone", "email", "openid", "profile", "aws.cognito.signin.user.admin")


def client_not_found(client_id: str) -> Any:
    return err("ResourceNotFoundException", f"User pool client {client_id} does not exist.")


def _ctx(pool_id: str, client_id: str) -> str:
    return f"{pool_id}/{client_id}"


def get(txn: Txn, client_id: str) -> Doc:
    """The client `client_id` of any pool (unsigned flows name only the client)."""
    idx = txn.get(CLIENT_INDEX, client_id)
    doc = txn.get(CLIENTS, f"{idx['pool']}/{client_id}") if idx else None
    if doc is None:
        raise client_not_found(client_id)
    return doc


def get_in(txn: Txn, pool_id: str, client_id: str) -> Doc:
    doc = txn.get(CLIENTS, f"{pool_id}/{client_id}")
    if doc is None:
        raise client_not_found(client_id)
    return doc


def secret_of(txn: Txn, doc: Doc) -> str | None:
    sealed = doc.get("sealed_secret")
    return sealing.unseal(txn, sealed, _ctx(doc["UserPoolId"], doc["ClientId"])).decode() if sealed else None


def public(txn: Txn, doc: Doc) -> Doc:
    out = {k: v for k, v in doc.items() if k != "sealed_secret"}
    secret = secret_of(txn, doc)
    if secret:
        out["ClientSecret"] = secret
    return out


def seconds(doc: Doc, token: str) -> int:
    """How long `token` ("AccessToken", "IdToken", "RefreshToken") of client `doc` lives."""
    default, unit, _, _ = _VALIDITY[token]
    value = doc.get(_FIELD[token]) or default
    unit = (doc.get("TokenValidityUnits") or {}).get(token) or unit
    return int(value) * _SECONDS[unit]


def _flows(flows: list[str] | None) -> list[str]:
    if flows is None:
        return list(DEFAULT_FLOWS)
    legacy = [f for f in flows if f in _LEGACY]
    if legacy and len(legacy) != len(flows):
        raise err("InvalidParameterException", "ExplicitAuthFlows can only contain legacy auth flows or ALLOW_ prefixed auth flows, but not both.")
    return list(flows)


def allows(doc: Doc, flow: str) -> bool:
    """Whether client `doc` allows ALLOW_<flow> (legacy names count; legacy clients allow SRP and refresh)."""
    flows = doc.get("ExplicitAuthFlows") or []
    names = {_LEGACY.get(f, f) for f in flows}
    if any(f in _LEGACY for f in flows) or not flows:
        names |= {"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_CUSTOM_AUTH"}
    return "ALLOW_" + flow in names


def _apply(txn: Txn, doc: Doc, p: Doc) -> None:
    for token, (_, unit, least, most) in _VALIDITY.items():
        field = _FIELD[token]
        if field in p:
            doc[field] = p[field]
        u = (p.get("TokenValidityUnits") or {}).get(token) or unit
        if doc.get(field) is not None and not least <= int(doc[field]) * _SECONDS[u] <= most:
            raise err("InvalidParameterException", f"{field.replace('Validity', ' validity')} must be between "
                      f"{least // _SECONDS[u] or 1} {u} and {most // _SECONDS[u]} {u}." if u != "seconds" else
                      f"{field} must be between {least} and {most} seconds.")
    doc["TokenValidityUnits"] = {t: (p.get("TokenValidityUnits") or {}).get(t) or _VALIDITY[t][1] for t in _VALIDITY}
    doc.setdefault("RefreshTokenValidity", 30)
    doc["ExplicitAuthFlows"] = _flows(p.get("ExplicitAuthFlows"))
    for k in ("ReadAttributes", "WriteAttributes", "SupportedIdentityProviders", "CallbackURLs", "LogoutURLs",
              "DefaultRedirectURI", "AllowedOAuthFlows", "AllowedOAuthScopes", "AllowedOAuthFlowsUserPoolClient",
              "AnalyticsConfiguration", "EnablePropagateAdditionalUserContextData"):
        if k in p:
            doc[k] = p[k]
        else:
            doc.pop(k, None)
    doc["PreventUserExistenceErrors"] = p.get("PreventUserExistenceErrors") or "LEGACY"  # the API's default
    doc["EnableTokenRevocation"] = p.get("EnableTokenRevocation", True)
    doc["AuthSessionValidity"] = p.get("AuthSessionValidity") or 3
    flows = doc.get("AllowedOAuthFlows") or []
    if "client_credentials" in flows:
        if {"code", "implicit"} & set(flows):
            raise err("InvalidOAuthFlowException", "client_credentials flow can not be selected along with code flow or implicit flow.")
        if not doc.get("sealed_secret"):
            raise err("InvalidOAuthFlowException", "client_credentials flow can not be selected if client does not have a client secret.")
    for scope in doc.get("AllowedOAuthScopes") or []:
        if scope in STANDARD_SCOPES:
            if "client_credentials" in flows:
                raise err("InvalidOAuthFlowException", "client_credentials flow can only be selected with custom scopes.")
            continue
        ident, _, name = scope.rpartition("/")
        rs = txn.get(RESOURCE_SERVERS, f"{doc['UserPoolId']}/{ident}") if ident else None
        if rs is None or name not in [s["ScopeName"] for s in rs.get("Scopes") or []]:
            raise err("ScopeDoesNotExistException", f"Invalid scope requested: {scope}")


def create(txn: Txn, account: str, p: Doc, now: float) -> Doc:
    pool = pools.get(txn, p["UserPoolId"], account)
    cid = ids.client_id()
    doc: Doc = {"UserPoolId": pool["Id"], "ClientName": p["ClientName"], "ClientId": cid,
                "CreationDate": now, "LastModifiedDate": now}
    if p.get("GenerateSecret"):
        doc["sealed_secret"] = sealing.seal(txn, ids.client_secret().encode(), _ctx(pool["Id"], cid))
    _apply(txn, doc, p)
    txn.put(CLIENTS, f"{pool['Id']}/{cid}", doc)
    txn.put(CLIENT_INDEX, cid, {"pool": pool["Id"]})
    return public(txn, doc)


def update(txn: Txn, account: str, p: Doc, now: float) -> Doc:
    pools.get(txn, p["UserPoolId"], account)
    doc = get_in(txn, p["UserPoolId"], p["ClientId"])
    if "ClientName" in p:
        doc["ClientName"] = p["ClientName"]
    _apply(txn, doc, p)
    doc["LastModifiedDate"] = now
    txn.put(CLIENTS, f"{doc['UserPoolId']}/{doc['ClientId']}", doc)
    return public(txn, doc)


def delete(txn: Txn, account: str, pool_id: str, client_id: str) -> None:
    pools.get(txn, pool_id, account)
    get_in(txn, pool_id, client_id)
    txn.delete(CLIENTS, f"{pool_id}/{client_id}")
    txn.delete(CLIENT_INDEX, client_id)


def listing(txn: Txn, account: str, p: Doc) -> tuple[list[Doc], str | None]:
    pools.get(txn, p["UserPoolId"], account)
    rows, nxt = paging.page(txn, CLIENTS, p["UserPoolId"] + "/", token=p.get("NextToken"), limit=p.get("MaxResults"),
                            default_limit=60, max_limit=60,
                            error=lambda: err("InvalidParameterException", "Invalid pagination token."))
    return [{"ClientId": d["ClientId"], "UserPoolId": d["UserPoolId"], "ClientName": d["ClientName"]} for _, d in rows], nxt


def secret_hash(secret: str, username: str, client_id: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()).decode()


def check_secret_hash(txn: Txn, client: Doc, usernames: tuple[str, ...], given: str | None) -> None:
    """NotAuthorizedException unless the request's SECRET_HASH matches one of `usernames`
    (the name the caller typed, or the user's own) for a client with a secret."""
    secret = secret_of(txn, client)
    if secret is None:
        return
    if not given:
        raise err("NotAuthorizedException", f"Client {client['ClientId']} is configured with secret but SECRET_HASH was not received")
    if not any(hmac.compare_digest(secret_hash(secret, u, client["ClientId"]).encode(), given.encode()) for u in usernames if u):
        raise err("NotAuthorizedException", f"Unable to verify secret hash for client {client['ClientId']}")


# --- domains ----------------------------------------------------------------------------------

def create_domain(txn: Txn, account: str, p: Doc) -> None:
    pool = pools.get(txn, p["UserPoolId"], account)
    domain = p["Domain"]
    if pool.get("Domain"):
        raise err("InvalidParameterException", f"User pool {pool['Id']} already has a domain configured.")
    if not txn.insert(DOMAINS, domain, {"pool": pool["Id"], "account": account, "region": pool["region"]}):
        raise err("InvalidParameterException", "Domain already associated with another user pool.")
    pool["Domain"] = domain
    pools.put(txn, pool)


def describe_domain(txn: Txn, account: str, domain: str) -> Doc:
    row = txn.get(DOMAINS, domain)
    if row is None or row["account"] != account:
        return {}
    return {"UserPoolId": row["pool"], "AWSAccountId": account, "Domain": domain, "S3Bucket": "",
            "CloudFrontDistribution": f"{domain}.auth.{row['region']}.amazoncognito.com", "Version": "1",
            "Status": "ACTIVE", "ManagedLoginVersion": 1}


def delete_domain(txn: Txn, account: str, p: Doc) -> None:
    pool = pools.get(txn, p["UserPoolId"], account)
    row = txn.get(DOMAINS, p["Domain"])
    if row is None or row["pool"] != pool["Id"]:
        raise err("InvalidParameterException", "No such domain or user pool exists.")
    txn.delete(DOMAINS, p["Domain"])
    pool.pop("Domain", None)
    pools.put(txn, pool)


def pool_of_domain(txn: Txn, domain: str) -> str | None:
    row = txn.get(DOMAINS, domain)
    return str(row["pool"]) if row else None


# --- resource servers ---------------------------------------------------------------------------

def put_resource_server(txn: Txn, account: str, p: Doc, creating: bool) -> Doc:
    pools.get(txn, p["UserPoolId"], account)
    k = f"{p['UserPoolId']}/{p['Identifier']}"
    exists = txn.get(RESOURCE_SERVERS, k) is not None
    if creating and exists:
        raise err("InvalidParameterException", f"{p['Identifier']} already exists in user pool {p['UserPoolId']}.")
    if not creating and not exists:
        raise err("ResourceNotFoundException", f"Resource server {p['Identifier']} does not exist.")
    doc = {"UserPoolId": p["UserPoolId"], "Identifier": p["Identifier"], "Name": p["Name"], "Scopes": list(p.get("Scopes") or [])}
    txn.put(RESOURCE_SERVERS, k, doc)
    return doc


def get_resource_server(txn: Txn, account: str, pool_id: str, identifier: str) -> Doc:
    pools.get(txn, pool_id, account)
    doc = txn.get(RESOURCE_SERVERS, f"{pool_id}/{identifier}")
    if doc is None:
        raise err("ResourceNotFoundException", f"Resource server {identifier} does not exist.")
    return doc


def delete_resource_server(txn: Txn, account: str, pool_id: str, identifier: str) -> None:
    get_resource_server(txn, account, pool_id, identifier)
    txn.delete(RESOURCE_SERVERS, f"{pool_id}/{identifier}")


def list_resource_servers(txn: Txn, account: str, p: Doc) -> tuple[list[Doc], str | None]:
    pools.get(txn, p["UserPoolId"], account)
    rows, nxt = paging.page(txn, RESOURCE_SERVERS, p["UserPoolId"] + "/", token=p.get("NextToken"), limit=p.get("MaxResults"),
                            default_limit=50, max_limit=50,
                            error=lambda: err("InvalidParameterException", "Invalid pagination token."))
    return [d for _, d in rows], nxt
