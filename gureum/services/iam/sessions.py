"""Temporary credentials (ASIA… keys with a session token and an expiry), issued by STS's
AssumeRole and GetSessionToken and by other services for roles they run code as.

Role credentials are issued only when the role's trust policy allows the caller
(gureum.services.iam.trust): `assume_role` takes the caller as the policy engine's Principal
(an IAM caller, a service such as lambda.amazonaws.com, a web identity provider) and the
actions to authorise (sts:AssumeRole*, sts:TagSession), and refuses with AccessDenied.

Rows are global, keyed by access key id (the key id picks the account). Expired credentials
are kept a day (so a client hears "expired" rather than "unknown"), then purged a few at a
time whenever new credentials are issued.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.policy.engine import Policy, Principal
from gureum.services.iam import ids, trust
from gureum.services.iam.model import Iam
from gureum.store.base import Doc, Txn

SESSIONS = "sts_credentials"  # {access key id} -> credentials and the identity they carry
EXPIRY = "sts_credentials_expiry"  # {expiration}/{access key id} -> {}

KEEP_EXPIRED = timedelta(days=1)
PURGE_BATCH = 100

CHAINED_MAX = 3600


def _issue(txn: Txn, identity: Doc, duration: int) -> Doc:
    now = ids.now()
    expires = now + timedelta(seconds=duration)
    key_id = ids.access_key_id(ids.TEMP_ACCESS_KEY)
    rec: Doc = {
        "AccessKeyId": key_id,
        "SecretAccessKey": ids.secret_access_key(),
        "SessionToken": ids.session_token(),
        "Expiration": ids.iso(expires),
        **identity,
    }
    txn.put(SESSIONS, key_id, rec)
    txn.put(EXPIRY, f"{rec['Expiration']}/{key_id}", {})
    _purge(txn, now)
    return rec


def _purge(txn: Txn, now: datetime) -> None:
    cutoff = ids.iso(now - KEEP_EXPIRED)
    for key, _ in txn.scan(EXPIRY, end=cutoff, limit=PURGE_BATCH):
        txn.delete(EXPIRY, key)
        txn.delete(SESSIONS, key.rsplit("/", 1)[1])


def credentials(rec: Doc) -> dict[str, Any]:
    """The STS `Credentials` shape."""
    return {
        "AccessKeyId": rec["AccessKeyId"],
        "SecretAccessKey": rec["SecretAccessKey"],
        "SessionToken": rec["SessionToken"],
        "Expiration": ids.parse_iso(rec["Expiration"]),
    }


def role_account(role_arn: str) -> str:
    """The account a role ARN names ('' if it is no IAM ARN)."""
    a = arns.try_parse(role_arn)
    return a.account if a is not None and a.service == "iam" else ""


def assume_role(
    txn: Txn,
    role_arn: str,
    session_name: str,
    duration: int | None,
    *,
    principal: Principal,
    caller_arn: str = "",
    actions: Sequence[str] = ("sts:AssumeRole",),
    context: Mapping[str, Any] | None = None,
    identity: Sequence[Policy] | None = None,
    boundaries: Sequence[Policy] | None = None,
    caller_session: Sequence[Policy] | None = None,
    chained: bool = False,
    region: str = "us-east-1",
    source: str = "",
    denied: str | None = None,
    session_policies: Doc | None = None,
) -> Doc:
    """Issue credentials for the role `role_arn` (in the account that ARN names) to
    `principal`, if the role's trust policy allows it every one of `actions` (`context`: the
    request's condition keys, sts:ExternalId and the like; `identity`: see trust.check)."""
    account = role_account(role_arn)
    iam = Iam(txn, account)
    role = iam.find_role_by_arn(role_arn) if account else None
    caller_arn = caller_arn or principal.arn

    def refuse(action: str) -> AwsError:
        return AwsError.modeled(
            "sts",
            "AccessDenied",
            denied or f"User: {caller_arn} is not authorized to perform: {action} on resource: {role_arn}",
        )

    if role is None:
        raise refuse(actions[0] if actions else "sts:AssumeRole")
    now = ids.now()
    ctx: dict[str, Any] = {
        "sts:RoleSessionName": session_name,
        "aws:CurrentTime": now,
        "aws:EpochTime": int(now.timestamp()),
        "aws:RequestedRegion": region,
        **principal_tags(txn, principal),
        **(context or {}),
    }
    refused = trust.check(role, principal, actions, ctx, identity, boundaries, caller_session)
    if refused is not None:
        raise refuse(refused)
    duration = 3600 if duration is None else duration
    if chained and duration > CHAINED_MAX:
        raise AwsError.modeled(
            "sts",
            "ValidationError",
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
        )
    if duration > role["MaxSessionDuration"]:
        raise AwsError.modeled(
            "sts", "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
        )
    iam.note_role_used(role, region)
    session: Doc = {
        "Account": account,
        "Kind": "assumed-role",
        "Arn": arns.sts_assumed_role(account, role["RoleName"], session_name),
        "UserId": f"{role['RoleId']}:{session_name}",
        "RoleArn": role["Arn"],
        "Source": source,
    }
    if session_policies is not None:
        session["SessionPolicies"] = session_policies  # {"Documents": [...], "Arns": [...]}
    return _issue(txn, session, duration)


def principal_tags(txn: Txn, principal: Principal) -> dict[str, str]:
    """aws:PrincipalTag/<key> of an IAM user or of a role session's role."""
    doc: Doc | None = None
    if principal.kind == "user":
        doc = Iam(txn, principal.account).find_user(principal.arn.rsplit("/", 1)[-1])
    elif principal.kind == "assumed-role" and principal.role_arn:
        doc = Iam(txn, principal.account).find_role_by_arn(principal.role_arn)
    tags = (doc or {}).get("Tags") or []
    return {f"aws:PrincipalTag/{t['Key']}": t.get("Value", "") for t in tags}


def session_token(txn: Txn, account: str, arn: str, user_id: str, duration: int, source: str,
                  session_policies: Doc | None = None) -> Doc:
    """GetSessionToken (and GetFederationToken): temporary credentials carrying the
    caller's own identity (or the federated user's), with the session policies passed."""
    identity: Doc = {"Account": account, "Kind": "session", "Arn": arn, "UserId": user_id, "Source": source}
    if session_policies is not None:
        identity["SessionPolicies"] = session_policies
    return _issue(txn, identity, duration)


def get(txn: Txn, access_key_id: str) -> Doc | None:
    return txn.get(SESSIONS, access_key_id)


_CREDENTIAL_FIELDS = ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration")


def scoped(txn: Txn, caller: Doc, policy: str, duration: int) -> Doc:
    """GetScopedCredentials: new credentials carrying the caller session's identity with
    `policy` as its only session policy (the caller's session must carry none: the gate
    unites session policies, it cannot intersect two sets), ending no later than the caller's."""
    identity = {k: v for k, v in caller.items() if k not in _CREDENTIAL_FIELDS}
    identity["SessionPolicies"] = {"Documents": [policy], "Arns": []}
    identity["ScopedFrom"] = caller["AccessKeyId"]
    return _issue(txn, identity, duration)
