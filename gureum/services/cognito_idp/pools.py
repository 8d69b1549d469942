"""User pools: the store layout, AWS's rules for creating, describing, updating and deleting
them, and finding a pool from its id alone (unsigned requests carry no account).

Tables:
- cognito_pools: "{account}/{region}/{pool_id}" -> the pool as DescribeUserPool shows it
  (UserPoolType's members) plus "key": the pool's signing key (tokens.py: "kid", "jwk" public
  JWK, "sealed" private key sealed with gureum/sealing.py, context the pool ARN).
- cognito_pool_index: "{pool_id}" -> {"account", "region"}: every pool's home, so requests
  naming a pool (or a client, a token, a JWKS path) find it whoever sends them.
Invariants: a pool id is unique across accounts (it is random and registered with insert);
the index row and the pool row are written and deleted together. Deleting a pool drops its
clients, users, groups, domains and resource servers in the same transaction. Writes
publish "cognito-idp.pool" {"pool": id}.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from gureum.aws import arn as arns
from gureum.aws import paging, tags
from gureum.aws.errors import AwsError
from gureum.services.cognito_idp import ids, passwords, schema
from gureum.store import Txn

Doc = dict[str, Any]
SERVICE = "cognito-idp"
POOLS = "cognito_pools"
INDEX = "cognito_pool_index"
TOPIC = "cognito-idp.pool"
MAX_POOLS = 1000
TAG_RULES = tags.Rules(invalid=lambda m: AwsError.modeled(SERVICE, "InvalidParameterException", m),
                       too_many=lambda m: AwsError.modeled(SERVICE, "InvalidParameterException", m))


# What DescribeUserPool never shows of the stored document.
_PRIVATE = ("key", "account", "region", "SoftwareTokenMfaConfiguration")  # the last: GetUserPoolMfaConfig


def err(code: str, message: str) -> AwsError:
    return AwsError.modeled(SERVICE, code, message)


def not_found(pool_id: str) -> AwsError:
    return err("ResourceNotFoundException", f"User pool {pool_id} does not exist.")


def key(account: str, region: str, pool_id: str) -> str:
    return f"{account}/{region}/{pool_id}"


def get(txn: Txn, pool_id: str, account: str | None = None) -> Doc:
    """The pool `pool_id`; ResourceNotFoundException when there is none or (for a signed
    request, `account` given) it belongs to another account."""
    home = txn.get(INDEX, pool_id)
    if home is None or (account is not None and home["account"] != account):
        raise not_found(pool_id)
    doc = txn.get(POOLS, key(home["account"], home["region"], pool_id))
    if doc is None:
        raise not_found(pool_id)
    return doc


def public(doc: Doc, users: int = 0) -> Doc:
    out = {k: v for k, v in doc.items() if k not in _PRIVATE}
    out["EstimatedNumberOfUsers"] = users
    return out


def _check_lists(p: Doc) -> None:
    if p.get("UsernameAttributes") and p.get("AliasAttributes"):
        raise err("InvalidParameterException", "Only one of the aliasAttributes or usernameAttributes can be set in a User Pool.")
    for a in p.get("AutoVerifiedAttributes") or []:
        if a not in ("email", "phone_number"):
            raise err("InvalidParameterException", f"Invalid auto verified attribute: {a}")


def _mfa(p: Doc) -> str:
    mfa = p.get("MfaConfiguration") or "OFF"
    return str(mfa)


def create(txn: Txn, account: str, region: str, p: Doc, signing_key: Callable[[Txn, str], Doc], now: float) -> Doc:
    """A new pool from CreateUserPool's parameters; `signing_key(txn, pool_arn)` gives its "key"
    field (tokens.seal_key on a key made off the event loop)."""
    _check_lists(p)
    if txn.count(POOLS, f"{account}/{region}/") >= MAX_POOLS:
        raise err("LimitExceededException", "The maximum number of user pools has been reached.")
    policy = dict(passwords.DEFAULT_POLICY)
    policy.update((p.get("Policies") or {}).get("PasswordPolicy") or {})
    if not 6 <= int(policy["MinimumLength"]) <= 99:
        raise err("InvalidParameterException", "Minimum length must be between 6 and 99.")
    while True:
        pid = ids.pool_id(region)
        if txn.insert(INDEX, pid, {"account": account, "region": region}):
            break
    doc: Doc = {
        "Id": pid, "Name": p["PoolName"], "Arn": arns.cognito_user_pool(region, account, pid),
        "Policies": {"PasswordPolicy": policy, **({"SignInPolicy": p["Policies"]["SignInPolicy"]}
                                                    if (p.get("Policies") or {}).get("SignInPolicy") else {})},
        "DeletionProtection": p.get("DeletionProtection") or "INACTIVE",
        "LambdaConfig": p.get("LambdaConfig") or {},
        "SchemaAttributes": schema.build(p.get("Schema")),
        "AutoVerifiedAttributes": list(p.get("AutoVerifiedAttributes") or []),
        "MfaConfiguration": _mfa(p),
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": False, "UnusedAccountValidityDays": int(policy["TemporaryPasswordValidityDays"]),
                                  **(p.get("AdminCreateUserConfig") or {})},
        "UsernameConfiguration": p.get("UsernameConfiguration") or {"CaseSensitive": False},
        "AccountRecoverySetting": p.get("AccountRecoverySetting") or {"RecoveryMechanisms": [
            {"Priority": 1, "Name": "verified_email"}, {"Priority": 2, "Name": "verified_phone_number"}]},
        "VerificationMessageTemplate": p.get("VerificationMessageTemplate") or {"DefaultEmailOption": "CONFIRM_WITH_CODE"},
        "UserPoolTags": tags.check(p.get("UserPoolTags") or {}, TAG_RULES),
        "UserPoolTier": p.get("UserPoolTier") or "ESSENTIALS",
        "CreationDate": now, "LastModifiedDate": now,
        "account": account, "region": region,
    }
    for opt in ("AliasAttributes", "UsernameAttributes", "EmailConfiguration", "SmsConfiguration", "DeviceConfiguration",
                "UserAttributeUpdateSettings", "UserPoolAddOns", "EmailVerificationMessage", "EmailVerificationSubject",
                "SmsAuthenticationMessage", "SmsVerificationMessage"):
        if p.get(opt):
            doc[opt] = p[opt]
    if doc["MfaConfiguration"] != "OFF":
        doc["SoftwareTokenMfaConfiguration"] = {"Enabled": True}
    doc["key"] = signing_key(txn, doc["Arn"])
    txn.put(POOLS, key(account, region, pid), doc)
    txn.publish(TOPIC, {"pool": pid})
    return doc


_UPDATABLE = ("Policies", "DeletionProtection", "LambdaConfig", "AutoVerifiedAttributes", "MfaConfiguration",
              "AdminCreateUserConfig", "AccountRecoverySetting", "VerificationMessageTemplate", "UserPoolTags",
              "EmailConfiguration", "SmsConfiguration", "DeviceConfiguration", "UserAttributeUpdateSettings",
              "UserPoolAddOns", "EmailVerificationMessage", "EmailVerificationSubject", "SmsAuthenticationMessage",
              "SmsVerificationMessage", "UserPoolTier")


def update(txn: Txn, account: str, p: Doc, now: float) -> None:
    """UpdateUserPool: AWS resets every updatable setting the request leaves out to its default."""
    doc = get(txn, p["UserPoolId"], account)
    _check_lists(p)
    for k in _UPDATABLE:
        if k == "Policies":
            policy = dict(passwords.DEFAULT_POLICY)
            policy.update((p.get("Policies") or {}).get("PasswordPolicy") or {})
            doc["Policies"] = {"PasswordPolicy": policy}
        elif k in p:
            doc[k] = p[k]
        elif k == "LambdaConfig":
            doc[k] = {}
        elif k == "AutoVerifiedAttributes":
            doc[k] = []
        elif k == "MfaConfiguration":
            doc[k] = "OFF"
    doc["LastModifiedDate"] = now
    txn.put(POOLS, key(doc["account"], doc["region"], doc["Id"]), doc)
    txn.publish(TOPIC, {"pool": doc["Id"]})


def put(txn: Txn, doc: Doc) -> None:
    txn.put(POOLS, key(doc["account"], doc["region"], doc["Id"]), doc)
    txn.publish(TOPIC, {"pool": doc["Id"]})


def delete(txn: Txn, account: str, pool_id: str, owned_tables: tuple[str, ...]) -> None:
    doc = get(txn, pool_id, account)
    if doc.get("DeletionProtection") == "ACTIVE":
        raise err("InvalidParameterException", "The user pool cannot be deleted because deletion protection is activated. "
                  "Deletion protection must be inactivated first.")
    for table in owned_tables:
        txn.delete_prefix(table, pool_id + "/")
    txn.delete(POOLS, key(account, doc["region"], pool_id))
    txn.delete(INDEX, pool_id)
    txn.publish(TOPIC, {"pool": pool_id, "deleted": True})


def listing(txn: Txn, account: str, region: str, p: Doc) -> tuple[list[Doc], str | None]:
    rows, nxt = paging.page(txn, POOLS, f"{account}/{region}/", token=p.get("NextToken"), limit=p.get("MaxResults"),
                            default_limit=60, max_limit=60,
                            error=lambda: err("InvalidParameterException", "Invalid pagination token."))
    return [{"Id": d["Id"], "Name": d["Name"], "LambdaConfig": d.get("LambdaConfig") or {},
             "LastModifiedDate": d["LastModifiedDate"], "CreationDate": d["CreationDate"]} for _, d in rows], nxt


def add_custom_attributes(txn: Txn, account: str, pool_id: str, items: list[Doc], now: float) -> None:
    doc = get(txn, pool_id, account)
    new = [schema.custom(i) for i in items]
    schema.check_customs(new, doc["SchemaAttributes"])
    doc["SchemaAttributes"] = doc["SchemaAttributes"] + new
    doc["LastModifiedDate"] = now
    put(txn, doc)


def set_mfa_config(txn: Txn, account: str, p: Doc) -> Doc:
    doc = get(txn, p["UserPoolId"], account)
    if "MfaConfiguration" in p:
        doc["MfaConfiguration"] = p["MfaConfiguration"]
    if "SoftwareTokenMfaConfiguration" in p:
        doc["SoftwareTokenMfaConfiguration"] = p["SoftwareTokenMfaConfiguration"]
    if doc["MfaConfiguration"] != "OFF" and not (doc.get("SoftwareTokenMfaConfiguration") or {}).get("Enabled"):
        raise err("InvalidParameterException", "At least one MFA method must be enabled when MFA is ON or OPTIONAL.")
    put(txn, doc)
    return {"MfaConfiguration": doc["MfaConfiguration"],
            "SoftwareTokenMfaConfiguration": doc.get("SoftwareTokenMfaConfiguration") or {"Enabled": False}}


def now() -> float:
    return time.time()
