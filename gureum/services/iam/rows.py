"""IAM's entity tables and the rules every module keys them by: names are unique per account
without regard to case (`lower`), and tags merge case-insensitively up to MAX_TAGS. Shared by
model.py (users, groups, roles...) and policies.py (attachments), which the model uses.
"""

from __future__ import annotations

from gureum.services.iam.errors import InvalidInput, LimitExceeded
from gureum.store.base import Doc

USERS = "iam_users"  # {acct}/{user} -> user
GROUPS = "iam_groups"  # {acct}/{group} -> group
MEMBERS = "iam_group_members"  # {acct}/{group}/{user} -> {}
ROLES = "iam_roles"  # {acct}/{role} -> role
PROFILES = "iam_instance_profiles"  # {acct}/{profile} -> instance profile
KEYS = "iam_access_keys"  # {access key id} -> key (global: the key id picks the account)
USER_KEYS = "iam_user_keys"  # {acct}/{user}/{access key id} -> {}  ('' user: root's keys)

ALIASES = "iam_account_aliases"  # {acct} -> {"Alias": ...}
KEY_TOPIC = "iam.access_key"  # published when a key changes or goes away

MAX_TAGS = 50

# Kind of entity -> (table, error wording)
KINDS = {"user": (USERS, "user"), "group": (GROUPS, "group"), "role": (ROLES, "role")}


def lower(name: str) -> str:
    return name.lower()


def merge_tags(existing: list[Doc], new: list[Doc], what: str) -> list[Doc]:
    seen: set[str] = set()
    for t in new:
        k = t["Key"].lower()
        if k in seen:
            raise InvalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
        seen.add(k)
    kept = [t for t in existing if t["Key"].lower() not in seen]
    out = kept + [{"Key": t["Key"], "Value": t.get("Value", "")} for t in new]
    if len(out) > MAX_TAGS:
        raise LimitExceeded(f"Cannot exceed quota for TagsPer{what}: {MAX_TAGS}")
    return out


def remove_tags(existing: list[Doc], keys: list[str]) -> list[Doc]:
    gone = {k.lower() for k in keys}
    return [t for t in existing if t["Key"].lower() not in gone]
