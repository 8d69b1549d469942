"""Who is calling, and roles for code that runs as one: the in-process interface other
services (and the edge) use. Never call IAM over HTTP from inside gureum.

- `resolve_access_key(app, key_id)`: the principal behind an IAM user's key (AKIA…), an
  account root's key created through IAM, or STS temporary credentials (ASIA…); None for
  any other key (the edge then applies the default rule: a 12-digit key id is that account,
  anything else account 000000000000). Cheap for unknown keys (no store access unless the
  key looks like one IAM or STS issued) and cached briefly for known ones.
- `get_role(app, account_id, role_arn)`: the role as IAM's GetRole returns it (documents
  verbatim, not URL-encoded), or None.
- `assume_role_credentials(app, account_id, role_arn, session_name, duration_seconds,
  service="lambda.amazonaws.com")`: credentials for code that runs as a role (Lambda
  functions), issued to the service principal only if the role's trust policy allows it.
- `role_trusts_service(role, "lambda.amazonaws.com")`: whether a role's trust policy lets
  that service assume it (Lambda answers "The role defined for the function cannot be
  assumed by Lambda." when not); evaluated by gureum.services.iam.trust.
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.services.iam import access_advisor, ids, sessions, trust
from gureum.services.iam.model import KEY_TOPIC, KEYS, Iam
from gureum.services.iam.rows import ROLES

if TYPE_CHECKING:
    from gureum.app import App

CACHE_SECONDS = 5.0  # how stale a key's status may be on a node that did not change it
USED_EVERY = 60.0  # seconds between two last-used writes for one key


@dataclass(frozen=True)
class Principal:
    account_id: str
    arn: str
    user_id: str
    secret_access_key: str
    session_token: str | None = None
    expires_at: datetime | None = None  # aware UTC; the edge rejects expired credentials
    active: bool = True  # False for an IAM access key made Inactive (UpdateAccessKey)

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= ids.now()


class _KeyCache:
    """Access key id -> (Principal | None, fetched at). Dropped on local key changes through
    the store's events; other nodes' changes show within CACHE_SECONDS."""

    def __init__(self, app: App) -> None:
        self.rows: dict[str, tuple[Principal | None, float]] = {}
        self.subscribed = False
        self.used: dict[tuple[str, str, str], float] = {}  # (key, service, region) -> written at
        self.app = app

    def ensure_subscribed(self) -> None:
        if not self.subscribed:
            self.subscribed = True
            self.app.store.subscribe(KEY_TOPIC, self._on_change)

    def _on_change(self, event: Any) -> None:
        self.rows.pop(event.data.get("AccessKeyId", ""), None)


_CACHES: weakref.WeakKeyDictionary[Any, _KeyCache] = weakref.WeakKeyDictionary()


def _cache(app: App) -> _KeyCache:
    cache = _CACHES.get(app)
    if cache is None or cache.app is not app:
        cache = _CACHES[app] = _KeyCache(app)
    return cache


def principal_for(txn: Any, access_key_id: str) -> Principal | None:
    """The lookup itself, inside a store transaction (for code already in one)."""
    if access_key_id.startswith(ids.ACCESS_KEY):
        rec = txn.get(KEYS, access_key_id)
        if rec is None:
            return None
        account = rec["Account"]
        if rec.get("UserArn"):
            arn, user_id = rec["UserArn"], rec["UserId"]
        else:
            arn, user_id = arns.iam_root(account), account
        return Principal(account, arn, user_id, rec["SecretAccessKey"], active=rec["Status"] == "Active")
    if access_key_id.startswith(ids.TEMP_ACCESS_KEY):
        rec = sessions.get(txn, access_key_id)
        if rec is None:
            return None
        return Principal(
            rec["Account"],
            rec["Arn"],
            rec["UserId"],
            rec["SecretAccessKey"],
            rec["SessionToken"],
            ids.parse_iso(rec["Expiration"]),
        )
    return None


async def resolve_access_key(app: App, access_key_id: str) -> Principal | None:
    if not access_key_id.startswith((ids.ACCESS_KEY, ids.TEMP_ACCESS_KEY)) or len(access_key_id) != 20:
        return None
    cache = _cache(app)
    cache.ensure_subscribed()
    hit = cache.rows.get(access_key_id)
    now = time.monotonic()
    if hit is not None and now - hit[1] < CACHE_SECONDS:
        return hit[0]
    principal = await app.store.read(lambda t: principal_for(t, access_key_id))
    if len(cache.rows) > 10000:
        cache.rows.clear()
    cache.rows[access_key_id] = (principal, now)
    return principal


async def note_access_key_used(app: App, access_key_id: str, service: str, region: str) -> None:
    """Record that an IAM access key (GetAccessKeyLastUsed, access advisor) or a role
    session's credentials (access advisor) signed a request to `service`; the edge calls this
    on every request: it writes at most once a minute per key, service and region, and node."""
    if not access_key_id.startswith((ids.ACCESS_KEY, ids.TEMP_ACCESS_KEY)):
        return
    cache = _cache(app)
    now = time.monotonic()
    seen = (access_key_id, service, region)
    last = cache.used.get(seen)
    if last is not None and now - last < USED_EVERY:
        return
    if len(cache.used) > 10000:
        cache.used.clear()
    cache.used[seen] = now
    principal = await resolve_access_key(app, access_key_id)
    if principal is None:
        return
    account, arn = principal.account_id, principal.arn

    def write(t: Any) -> None:
        iam = Iam(t, account)
        if access_key_id.startswith(ids.ACCESS_KEY):
            iam.note_access_key_used(access_key_id, service, region)
        parsed = arns.try_parse(arn)
        kind, _, rest = parsed.resource.partition("/") if parsed is not None else ("", "", "")
        if kind == "user":
            access_advisor.record(t, account, "user", rest.rsplit("/", 1)[-1], arn, service, region)
        elif kind == "assumed-role":
            role = rest.split("/", 1)[0]
            doc = t.get(ROLES, iam.key(role.lower()))
            if doc is not None:
                access_advisor.record(t, account, "role", role, doc["Arn"], service, region)

    await app.store.run(write)


def role_view(role: dict[str, Any]) -> dict[str, Any]:
    """A stored role as GetRole's `Role` shape, the trust policy verbatim."""
    out: dict[str, Any] = {
        k: role[k] for k in ("Path", "RoleName", "RoleId", "Arn", "AssumeRolePolicyDocument", "MaxSessionDuration")
    }
    out["CreateDate"] = ids.parse_iso(role["CreateDate"])
    if "Description" in role:
        out["Description"] = role["Description"]
    if role.get("PermissionsBoundary"):
        out["PermissionsBoundary"] = role["PermissionsBoundary"]
    if role.get("Tags"):
        out["Tags"] = list(role["Tags"])
    last = role.get("RoleLastUsed") or {}
    out["RoleLastUsed"] = (
        {"LastUsedDate": ids.parse_iso(last["LastUsedDate"]), "Region": last["Region"]} if last else {}
    )
    return out


async def get_role(app: App, account_id: str, role_arn: str) -> dict[str, Any] | None:
    role = await app.store.read(lambda t: Iam(t, account_id).find_role_by_arn(role_arn))
    return None if role is None else role_view(role)


async def assume_role_credentials(
    app: App,
    account_id: str,
    role_arn: str,
    session_name: str,
    duration_seconds: int = 3600,
    service: str = "lambda.amazonaws.com",
) -> dict[str, Any]:
    """{AccessKeyId, SecretAccessKey, SessionToken, Expiration (aware datetime)} for the role,
    assumed by the service principal `service`.

    Raises AwsError AccessDenied (role missing, or its trust policy does not let `service`
    assume it) or ValidationError (duration above the role's MaxSessionDuration), as STS
    AssumeRole would."""
    principal = trust.service_principal(service)
    rec = await app.store.run(
        lambda t: sessions.assume_role(
            t, role_arn, session_name, duration_seconds, principal=principal, source="service"
        )
    )
    return sessions.credentials(rec)


def role_trusts_service(role: dict[str, Any], service: str) -> bool:
    """True if the role's trust policy lets `service` assume it (sts:AssumeRole, evaluated by
    the policy engine: conditions that need a request context do not hold)."""
    return trust.role_trusts_service(role, service)
