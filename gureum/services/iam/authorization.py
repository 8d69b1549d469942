"""The policies that apply to a caller, gathered from IAM for the authorization gate
(gureum/policy/gate.py) — the in-process interface; never called over HTTP.

`grants_for(app, access_key_id, principal_arn, account)` -> `Grants`:
- account root (a configured root key, a root access key, GetSessionToken as root): kind
  "root", no documents (the root may do anything its account's resource policies don't deny);
- an IAM user: its inline policies, attached managed policies' default versions, the same
  for each group it belongs to, and its permissions boundary;
- an assumed-role session (STS AssumeRole): the role's inline and attached policies, its
  boundary, and the session policies passed to AssumeRole (`Policy`, `PolicyArns`, kept on
  the session record as `SessionPolicies`);
- a GetSessionToken session: the user's own grants;
- a federated user (GetFederationToken): only the session policies passed with it;
- a role assumed in-process by a service for its caller (an assumed-role ARN with no access
  key, CloudFormation's RoleARN): the role's policies and boundary, no session policies.

Cache: per access key id (or principal ARN when there is none), dropped wholesale for an
account when any IAM write in that account commits (topic `iam.changed`, published by
iam/api.py's write path and by STS when it issues credentials) and, for changes made on
other nodes, after CACHE_SECONDS.
"""

from __future__ import annotations

import json
import time
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.services.iam import sessions
from gureum.services.iam.model import Iam
from gureum.services.iam.policies import Policies, parse_policy_arn

if TYPE_CHECKING:
    from gureum.app import App

CHANGED_TOPIC = "iam.changed"  # {"Account": ...}: some IAM entity or policy of that account changed
CACHE_SECONDS = 5.0
MAX_ROWS = 10000
NOTHING = "{}"  # stands for a policy that is gone: it parses to nothing, so it allows nothing


@dataclass(frozen=True)
class Grants:
    kind: str  # "root" | "user" | "assumed-role" | "federated-user"
    arn: str
    account: str
    role_arn: str = ""
    identity: tuple[str, ...] = ()  # policy documents (JSON text)
    boundary: str | None = None
    session: tuple[str, ...] | None = None  # None: no session policies apply


class _Cache:
    def __init__(self, app: App) -> None:
        self.app = app
        self.rows: dict[str, tuple[Grants, float]] = {}
        self.subscribed = False

    def ensure_subscribed(self) -> None:
        if not self.subscribed:
            self.subscribed = True
            self.app.store.subscribe(CHANGED_TOPIC, self._on_change)

    def _on_change(self, event: Any) -> None:
        account = event.data.get("Account", "")
        for key in [k for k, (g, _) in self.rows.items() if g.account == account]:
            self.rows.pop(key, None)


_CACHES: weakref.WeakKeyDictionary[Any, _Cache] = weakref.WeakKeyDictionary()


def _cache(app: App) -> _Cache:
    cache = _CACHES.get(app)
    if cache is None:
        cache = _CACHES[app] = _Cache(app)
    return cache


def _documents(p: Policies, entity: dict[str, Any]) -> list[str]:
    docs = list((entity.get("InlinePolicies") or {}).values())
    for arn in entity.get("AttachedPolicies") or []:
        doc = _managed(p, arn)
        if doc is not None:
            docs.append(doc)
    return docs


def _managed(p: Policies, arn: str) -> str | None:
    try:
        owner, _path, _name = parse_policy_arn(arn)
        iam = p if owner in ("aws", p.account) else Policies(Iam(p.t, owner))
        version = iam.get_policy_version(arn, iam.get_policy(arn)["DefaultVersionId"])
    except Exception:  # gone (NoSuchEntity), or a malformed ARN stored by an older version: grants nothing
        return None
    document = version["Document"]
    if not isinstance(document, str):
        document = json.dumps(document)
    return document


def _boundary(p: Policies, entity: dict[str, Any]) -> str | None:
    arn = (entity.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    if not arn:
        return None
    # A boundary whose policy is gone allows nothing (the gate parses this to no policy).
    return _managed(p, arn) or NOTHING


def _user_grants(t: Any, account: str, arn: str) -> Grants:
    iam = Iam(t, account)
    p = Policies(iam)
    user = iam.find_user(arn.rsplit("/", 1)[1])
    if user is None or user.get("Arn") != arn:
        return Grants("user", arn, account)
    docs = _documents(p, user)
    for _key, group in iam.groups_for_user(user["UserName"]):
        docs.extend(_documents(p, group))
    return Grants("user", arn, account, identity=tuple(docs), boundary=_boundary(p, user))


def _role_grants(t: Any, account: str, arn: str, role_arn: str, session: tuple[str, ...] | None) -> Grants:
    iam = Iam(t, account)
    p = Policies(iam)
    role = iam.find_role_by_arn(role_arn)
    if role is None:
        return Grants("assumed-role", arn, account, role_arn, session=session)
    return Grants("assumed-role", arn, account, role_arn, tuple(_documents(p, role)), _boundary(p, role), session)


def _session_policies(t: Any, account: str, rec: dict[str, Any]) -> tuple[str, ...] | None:
    stored = rec.get("SessionPolicies")
    if stored is None:
        return None
    p = Policies(Iam(t, account))
    docs = [d for d in stored.get("Documents") or []]
    for arn in stored.get("Arns") or []:
        doc = _managed(p, arn)
        docs.append(doc if doc is not None else NOTHING)
    return tuple(docs)


def gather(t: Any, access_key_id: str, principal_arn: str, account: str) -> Grants:
    """The grants of the caller, inside a store transaction."""
    if access_key_id.startswith("ASIA"):
        rec = sessions.get(t, access_key_id)
        if rec is not None:
            arn, acct = rec["Arn"], rec["Account"]
            session = _session_policies(t, acct, rec)
            if rec.get("Kind") == "assumed-role":
                return _role_grants(t, acct, arn, rec.get("RoleArn", ""), session)
            if ":federated-user/" in arn:
                return Grants("federated-user", arn, acct, identity=session or ())
            if arn.endswith(":root"):
                return Grants("root", arn, acct, session=session)
            return _user_grants(t, acct, arn)
    if principal_arn.endswith(":root") or not principal_arn:
        return Grants("root", principal_arn or arns.iam_root(account), account)
    if not access_key_id and ":assumed-role/" in principal_arn:
        # a role a service assumes for a caller in-process (CloudFormation's RoleARN): no
        # session record, the role's own grants (a request at the edge always has a key)
        name = principal_arn.split(":assumed-role/", 1)[1].split("/", 1)[0]
        role = Iam(t, account).find_role(name)
        return _role_grants(t, account, principal_arn, str(role["Arn"]) if role else "", None)
    if ":user/" in principal_arn:
        return _user_grants(t, account, principal_arn)
    return Grants("user", principal_arn, account)


async def grants_for(app: App, access_key_id: str, principal_arn: str, account: str) -> Grants:
    """The caller's grants, cached (see the module docstring)."""
    if principal_arn.endswith(":root") and not access_key_id.startswith("ASIA"):
        return Grants("root", principal_arn, account)  # no store access for root keys
    cache = _cache(app)
    cache.ensure_subscribed()
    key = access_key_id or principal_arn
    hit = cache.rows.get(key)
    now = time.monotonic()
    if hit is not None and now - hit[1] < CACHE_SECONDS:
        return hit[0]
    grants = await app.store.read(lambda t: gather(t, access_key_id, principal_arn, account))
    if len(cache.rows) > MAX_ROWS:
        cache.rows.clear()
    cache.rows[key] = (grants, now)
    return grants


def publish_changed(t: Any, account: str) -> None:
    """Tell every node's grant cache that `account`'s IAM state changed (in the writing txn)."""
    t.publish(CHANGED_TOPIC, {"Account": account})


__all__ = ["Grants", "grants_for", "gather", "publish_changed", "CHANGED_TOPIC"]
