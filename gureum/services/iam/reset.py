"""IAM's and STS's reset (POST /_gureum/reset, see gureum/reset.py).

`reset` (IAM) drops, in one transaction, every user, group, membership, role, instance
profile, customer managed policy (and its versions and attachments), account alias, OIDC
provider, SAML provider, IAM user access key, login profile, SSH public key, signing and server
certificate, service-specific credential, virtual MFA device, password policy and
credential report, and every temporary credential (`reset_sessions`). It publishes
"iam.access_key" for each key that goes (the access key cache, lookup.py, drops it on every
node) and "iam.changed" for each account (the policy cache, authorization.py).

What survives, so the node still accepts requests, in strict mode too: the configured root
keys (`auth.keys`, never in the store), the access keys of each account's root (rows of
`iam_access_keys` with UserKey "", and their `iam_user_keys` rows "{acct}//{key id}") and
the temporary credentials issued to a root (GetSessionToken as root). Also kept:
`iam_jwks`, the signing keys of gureum's own OIDC issuers (configuration, not entities).

`reset_sts` (STS) drops only the temporary credentials.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gureum.reset import drop_tables
from gureum.services.iam import access_advisor, model, oidc, outbound_federation, policies, rows, sessions
from gureum.services.iam.authorization import CHANGED_TOPIC

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store.base import Txn

TABLES: tuple[str, ...] = (
    model.USERS, model.GROUPS, model.MEMBERS, model.ROLES, model.PROFILES, model.ALIASES,
    oidc.PROVIDERS, policies.POLICIES, policies.VERSIONS, policies.ATTACHMENTS,
    rows.PASSWORD_POLICIES, rows.LOGIN_PROFILES, rows.SSH_KEYS,
    rows.SIGNING_CERTS, rows.SERVER_CERTS, rows.SERVICE_CREDS,
    rows.MFA_DEVICES, rows.CREDENTIAL_REPORTS, rows.ACCOUNT_SETTINGS,
    rows.SAML_PROVIDERS, rows.ACCOUNT_PROPERTIES, access_advisor.ACCESS, access_advisor.JOBS,
    outbound_federation.TABLE,
)


def _is_root_key(rec: dict[str, Any]) -> bool:
    return rec.get("UserKey") == ""


def reset_sessions(txn: Txn) -> int:
    """Drop every temporary credential but a root's; "iam.access_key" for each."""
    dropped = 0
    for key_id, rec in txn.scan(sessions.SESSIONS):
        if str(rec.get("Arn", "")).endswith(":root"):
            continue
        txn.delete(sessions.SESSIONS, key_id)
        txn.delete(sessions.EXPIRY, f"{rec['Expiration']}/{key_id}")
        txn.publish(model.KEY_TOPIC, {"AccessKeyId": key_id})
        dropped += 1
    return dropped


def reset_txn(txn: Txn) -> int:
    accounts: set[str] = set()
    dropped = 0
    for key_id, rec in txn.scan(model.KEYS):
        accounts.add(rec["Account"])
        if _is_root_key(rec):
            continue
        txn.delete(model.KEYS, key_id)
        txn.publish(model.KEY_TOPIC, {"AccessKeyId": key_id})
        dropped += 1
    for key, _doc in txn.scan(model.USER_KEYS):
        if key.split("/")[1] != "":  # "{acct}/{user}/{key id}"; root's: "{acct}//{key id}"
            txn.delete(model.USER_KEYS, key)
            dropped += 1
    for table in (model.USERS, model.ROLES, model.GROUPS, policies.POLICIES):
        accounts.update(key.split("/", 1)[0] for key, _doc in txn.scan(table))
    dropped += drop_tables(txn, TABLES) + reset_sessions(txn)
    for account in sorted(accounts):
        txn.publish(CHANGED_TOPIC, {"Account": account})
    return dropped


async def reset(app: App) -> None:
    await app.store.run(reset_txn)


async def reset_sts(app: App) -> None:
    await app.store.run(reset_sessions)
