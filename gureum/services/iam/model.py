"""IAM's domain rules for one account: users, access keys, groups, roles, instance profiles.

Everything here is synchronous code run inside one store transaction (`Iam(txn, account)`),
raising IAM's errors. Names are unique per account without regard to case, so rows are keyed
by the lower-cased name; the stored documents keep the name as created. Managed and inline
policies and their attachments are in policies.py; the output shapes in views.py.

A role's trust policy is stored as written once documents.py has checked it and the users
and roles it names exist (in any account, as IAM resolves them). A service-linked role
(`ServiceLinked`, named by service_linked.py) is its service's: its trust, permissions and
boundary cannot be changed, nor the role deleted, except through DeleteServiceLinkedRole.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from gureum.aws import arn as arns
from gureum.aws import paging
from gureum.aws.errors import AwsError
from gureum.services.iam import documents, ids, service_linked
from gureum.services.iam.policies import Policies
from gureum.services.iam.rows import (
    ALIASES,
    GROUPS,
    KEY_TOPIC,
    KEYS,
    LOGIN_PROFILES,
    MEMBERS,
    MFA_DEVICES,
    PROFILES,
    ROLES,
    SERVICE_CREDS,
    SIGNING_CERTS,
    SSH_KEYS,
    USER_KEYS,
    USERS,
    lower,
    merge_tags,
    remove_tags,
)
from gureum.store.base import Doc, Txn

MAX_KEYS_PER_USER = 2
MAX_GROUPS_PER_USER = 10
MAX_ROLES_PER_PROFILE = 1
# Per-account entity quotas (AWS's defaults), with the names IAM's errors use.
ACCOUNT_QUOTAS = {
    USERS: ("UsersPerAccount", 5000),
    GROUPS: ("GroupsPerAccount", 300),
    ROLES: ("RolesPerAccount", 1000),
    PROFILES: ("InstanceProfilesPerAccount", 1000),
}

# --- pagination ------------------------------------------------------------------------
def _bad_marker() -> AwsError:
    return AwsError.modeled("iam", "ValidationError", "Invalid Marker.")


def paginate(
    rows: Iterable[tuple[Any, Any]], marker: str | None, max_items: int | None, *, listing: str = "",
    filters: dict[str, Any] | None = None, ordered: bool = True,
) -> tuple[list[Any], bool, str | None]:
    """Rows in key order -> (the page, IsTruncated, Marker for the next page). The Marker is
    a key token of gureum.aws.paging bound to `listing` and `filters`; `ordered=False` for
    rows in an order of their own (a resource's tags, in the order they were added)."""
    limit = 100 if max_items is None else max(1, min(int(max_items), 1000))
    rows = sorted(rows, key=lambda r: r[0]) if ordered else list(rows)  # (already in key order: a no-op)
    page, nxt = paging.page_items(rows, lambda r: r[0], listing="iam/" + listing, token=marker, limit=limit, default_limit=100,
                                  ordered=ordered, filters=filters, error=_bad_marker)
    return [item for _, item in page], nxt is not None, nxt


def page_result(
    name: str, rows: Iterable[tuple[Any, Any]], marker: str | None, max_items: int | None, *,
    filters: dict[str, Any] | None = None, ordered: bool = True,
) -> dict[str, Any]:
    items, truncated, nxt = paginate(rows, marker, max_items, listing=name, filters=filters, ordered=ordered)
    out: dict[str, Any] = {name: items, "IsTruncated": truncated}
    if nxt:
        out["Marker"] = nxt
    return out


def path_filter(prefix: str | None) -> Callable[[Doc], bool]:
    prefix = prefix or "/"
    return lambda doc: doc.get("Path", "/").startswith(prefix)


# --- tags ------------------------------------------------------------------------------
class Iam:
    """One account's IAM state inside one transaction."""

    def __init__(self, txn: Txn, account: str) -> None:
        self.t = txn
        self.account = account

    def key(self, *parts: str) -> str:
        return "/".join((self.account, *parts))

    def arn(self, kind: str, path: str, name: str) -> str:
        return ids.iam_arn(self.account, kind, path, name)

    def _check_quota(self, table: str) -> None:
        name, limit = ACCOUNT_QUOTAS[table]
        if self.t.count(table, self.account + "/") > limit:  # counted after the insert
            raise AwsError.modeled("iam", "LimitExceeded", f"Cannot exceed quota for {name}: {limit}")

    def _list(self, table: str, prefix: str | None = None) -> list[tuple[str, Doc]]:
        keep = path_filter(prefix)
        return [(k, d) for k, d in self.t.scan(table, self.account + "/") if keep(d)]

    # --- users -------------------------------------------------------------------------
    def get_user(self, name: str) -> Doc:
        doc = self.t.get(USERS, self.key(lower(name)))
        if doc is None:
            raise AwsError.modeled("iam", "NoSuchEntity", f"The user with name {name} cannot be found.")
        return doc

    def find_user(self, name: str) -> Doc | None:
        return self.t.get(USERS, self.key(lower(name)))

    def create_user(
        self, name: str, path: str = "/", tags: list[Doc] | None = None, boundary: str | None = None
    ) -> Doc:
        doc: Doc = {
            "UserName": name,
            "UserId": ids.unique_id(ids.USER),
            "Arn": self.arn("user", path, name),
            "Path": path,
            "CreateDate": ids.iso(ids.now()),
            "Tags": merge_tags([], tags or [], "User"),
            "Groups": [],
            "AttachedPolicies": [],
            "InlinePolicies": {},
        }
        if boundary:
            doc["PermissionsBoundary"] = self._boundary(boundary)
        if not self.t.insert(USERS, self.key(lower(name)), doc):
            raise AwsError.modeled("iam", "EntityAlreadyExists", f"User with name {name} already exists.")
        self._check_quota(USERS)
        return doc

    def _boundary(self, arn: str) -> Doc:
        """A permissions boundary: a managed policy that exists (IAM calls it the scope)."""
        try:
            Policies(self).get_policy(arn)
        except AwsError as e:
            if e.code != "NoSuchEntity":
                raise
            raise AwsError.modeled(
                "iam", "NoSuchEntity", f"Scope ARN: {arn} does not exist or is not attachable."
            ) from None
        return {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": arn}

    def put_user(self, doc: Doc) -> None:
        self.t.put(USERS, self.key(lower(doc["UserName"])), doc)

    def list_users(self, prefix: str | None) -> list[tuple[str, Doc]]:
        return self._list(USERS, prefix)

    def update_user(self, name: str, new_name: str | None, new_path: str | None) -> None:
        doc = self.get_user(name)
        old_l = lower(doc["UserName"])
        if new_path:
            doc["Path"] = new_path
        if new_name and new_name != doc["UserName"]:
            new_l = lower(new_name)
            if new_l != old_l and self.t.get(USERS, self.key(new_l)) is not None:
                raise AwsError.modeled("iam", "EntityAlreadyExists", f"User with name {new_name} already exists.")
            doc["UserName"] = new_name
        doc["Arn"] = self.arn("user", doc["Path"], doc["UserName"])
        new_l = lower(doc["UserName"])
        if new_l != old_l:
            self.t.delete(USERS, self.key(old_l))
            for g in doc["Groups"]:
                self.t.delete(MEMBERS, self.key(g, old_l))
                self.t.put(MEMBERS, self.key(g, new_l), {})
            Policies(self).rename_entity("user", old_l, new_l, doc["AttachedPolicies"])
            for k, _ in self.t.scan(USER_KEYS, self.key(old_l, "")):
                self.t.delete(USER_KEYS, k)
                self.t.put(USER_KEYS, self.key(new_l, k.rsplit("/", 1)[1]), {})
        self.put_user(doc)
        # Access keys carry the user's name and ARN (lookup.resolve_access_key reads them).
        for k, _ in self.t.scan(USER_KEYS, self.key(new_l, "")):
            key_id = k.rsplit("/", 1)[1]
            rec = self.t.get(KEYS, key_id)
            if rec is not None:
                rec.update(UserName=doc["UserName"], UserKey=new_l, UserArn=doc["Arn"])
                self.t.put(KEYS, key_id, rec)
                self.t.publish(KEY_TOPIC, {"AccessKeyId": key_id})

    def delete_user(self, name: str) -> None:
        doc = self.get_user(name)
        ln = lower(doc["UserName"])
        if self.t.get(LOGIN_PROFILES, self.key(doc["UserId"])) is not None:
            raise AwsError.modeled("iam", "DeleteConflict", "Cannot delete entity, must delete login profile first.")
        if self.t.count(SSH_KEYS, self.key(doc["UserId"], "")):
            raise AwsError.modeled("iam", "DeleteConflict", "Cannot delete entity, must delete SSH public keys first.")
        if self.t.count(SIGNING_CERTS, self.key(doc["UserId"], "")):
            raise AwsError.modeled("iam", "DeleteConflict", "Cannot delete entity, must delete signing certificates first.")
        if any(d.get("UserId") == doc["UserId"] for _, d in self.t.scan(MFA_DEVICES, self.key(""))):
            raise AwsError.modeled("iam", "DeleteConflict", "Cannot delete entity, must delete MFA device first.")
        if self.t.count(SERVICE_CREDS, self.key(doc["UserId"], "")):
            raise AwsError.modeled(
                "iam", "DeleteConflict", "Cannot delete entity, must delete service specific credentials first."
            )
        if self.t.count(USER_KEYS, self.key(ln, "")):
            raise AwsError.modeled("iam", "DeleteConflict", "Cannot delete entity, must delete access keys first.")
        if doc["InlinePolicies"]:
            raise AwsError.modeled("iam", "DeleteConflict", "Cannot delete entity, must delete policies first.")
        if doc["AttachedPolicies"]:
            raise AwsError.modeled("iam", "DeleteConflict", "Cannot delete entity, must detach all policies first.")
        if doc["Groups"]:
            raise AwsError.modeled("iam", "DeleteConflict", "Cannot delete entity, must remove users from group first.")
        self.t.delete(USERS, self.key(ln))

    # --- access keys -------------------------------------------------------------------
    def _key_owner(self, user_name: str | None) -> tuple[str, Doc | None]:
        """(row name, user) for an access key's owner; None user name: the account root."""
        if user_name is None:
            return "", None
        user = self.get_user(user_name)
        return lower(user["UserName"]), user

    def create_access_key(self, user_name: str | None) -> Doc:
        owner, user = self._key_owner(user_name)
        if self.t.count(USER_KEYS, self.key(owner, "")) >= MAX_KEYS_PER_USER:
            raise AwsError.modeled(
                "iam", "LimitExceeded", f"Cannot exceed quota for AccessKeysPerUser: {MAX_KEYS_PER_USER}"
            )
        key_id = ids.access_key_id()
        rec: Doc = {
            "AccessKeyId": key_id,
            "SecretAccessKey": ids.secret_access_key(),
            "Status": "Active",
            "CreateDate": ids.iso(ids.now()),
            "Account": self.account,
            "UserKey": owner,
        }
        if user is not None:
            rec.update(UserName=user["UserName"], UserArn=user["Arn"], UserId=user["UserId"])
        self.t.put(KEYS, key_id, rec)
        self.t.put(USER_KEYS, self.key(owner, key_id), {})
        return rec

    def _access_key(self, key_id: str, user_name: str | None) -> Doc:
        owner, _ = self._key_owner(user_name) if user_name is not None else ("", None)
        rec = self.t.get(KEYS, key_id)
        if rec is None or rec["Account"] != self.account or (user_name is not None and rec["UserKey"] != owner):
            raise AwsError.modeled("iam", "NoSuchEntity", f"The Access Key with id {key_id} cannot be found")
        return rec

    def list_access_keys(self, user_name: str | None) -> list[tuple[str, Doc]]:
        owner, _ = self._key_owner(user_name)
        out = []
        for k, _ in self.t.scan(USER_KEYS, self.key(owner, "")):
            rec = self.t.get(KEYS, k.rsplit("/", 1)[1])
            if rec is not None:
                out.append((rec["CreateDate"] + rec["AccessKeyId"], rec))
        return sorted(out, key=lambda kv: kv[0])

    def update_access_key(self, key_id: str, status: str, user_name: str | None) -> None:
        rec = self._access_key(key_id, user_name)
        rec["Status"] = status
        self.t.put(KEYS, key_id, rec)
        self.t.publish(KEY_TOPIC, {"AccessKeyId": key_id})

    def delete_access_key(self, key_id: str, user_name: str | None) -> None:
        rec = self._access_key(key_id, user_name)
        self.t.delete(KEYS, key_id)
        self.t.delete(USER_KEYS, self.key(rec["UserKey"], key_id))
        self.t.publish(KEY_TOPIC, {"AccessKeyId": key_id})

    def note_access_key_used(self, key_id: str, service: str, region: str) -> None:
        rec = self.t.get(KEYS, key_id)
        if rec is not None:
            rec["LastUsed"] = {"Date": ids.iso(ids.now()), "ServiceName": service, "Region": region}
            self.t.put(KEYS, key_id, rec)

    def access_key_last_used(self, key_id: str) -> Doc:
        rec = self.t.get(KEYS, key_id)
        if rec is None or rec["Account"] != self.account:
            raise AwsError.modeled("iam", "NoSuchEntity", f"The Access Key with id {key_id} cannot be found")
        return rec

    # --- groups ------------------------------------------------------------------------
    def get_group(self, name: str) -> Doc:
        doc = self.t.get(GROUPS, self.key(lower(name)))
        if doc is None:
            raise AwsError.modeled("iam", "NoSuchEntity", f"The group with name {name} cannot be found.")
        return doc

    def create_group(self, name: str, path: str = "/") -> Doc:
        doc: Doc = {
            "GroupName": name,
            "GroupId": ids.unique_id(ids.GROUP),
            "Arn": self.arn("group", path, name),
            "Path": path,
            "CreateDate": ids.iso(ids.now()),
            "AttachedPolicies": [],
            "InlinePolicies": {},
        }
        if not self.t.insert(GROUPS, self.key(lower(name)), doc):
            raise AwsError.modeled("iam", "EntityAlreadyExists", f"Group with name {name} already exists.")
        self._check_quota(GROUPS)
        return doc

    def put_group(self, doc: Doc) -> None:
        self.t.put(GROUPS, self.key(lower(doc["GroupName"])), doc)

    def list_groups(self, prefix: str | None) -> list[tuple[str, Doc]]:
        return self._list(GROUPS, prefix)

    def group_members(self, name: str) -> list[tuple[str, Doc]]:
        group = self.get_group(name)
        out = []
        for k, _ in self.t.scan(MEMBERS, self.key(lower(group["GroupName"]), "")):
            user = self.t.get(USERS, self.key(k.rsplit("/", 1)[1]))
            if user is not None:
                out.append((k, user))
        return out

    def groups_for_user(self, user_name: str) -> list[tuple[str, Doc]]:
        user = self.get_user(user_name)
        out = []
        for g in sorted(user["Groups"]):
            group = self.t.get(GROUPS, self.key(g))
            if group is not None:
                out.append((g, group))
        return out

    def add_user_to_group(self, group_name: str, user_name: str) -> None:
        group = self.get_group(group_name)
        user = self.get_user(user_name)
        lg, lu = lower(group["GroupName"]), lower(user["UserName"])
        if lg in user["Groups"]:
            return
        if len(user["Groups"]) >= MAX_GROUPS_PER_USER:
            raise AwsError.modeled(
                "iam", "LimitExceeded", f"Cannot exceed quota for GroupsPerUser: {MAX_GROUPS_PER_USER}"
            )
        user["Groups"].append(lg)
        self.put_user(user)
        self.t.put(MEMBERS, self.key(lg, lu), {})

    def remove_user_from_group(self, group_name: str, user_name: str) -> None:
        group = self.get_group(group_name)
        user = self.get_user(user_name)
        lg, lu = lower(group["GroupName"]), lower(user["UserName"])
        if lg not in user["Groups"]:
            raise AwsError.modeled(
                "iam", "NoSuchEntity", f"User {user['UserName']} is not in group {group['GroupName']}."
            )
        user["Groups"].remove(lg)
        self.put_user(user)
        self.t.delete(MEMBERS, self.key(lg, lu))

    def update_group(self, name: str, new_name: str | None, new_path: str | None) -> None:
        doc = self.get_group(name)
        old_l = lower(doc["GroupName"])
        if new_path:
            doc["Path"] = new_path
        if new_name and new_name != doc["GroupName"]:
            if lower(new_name) != old_l and self.t.get(GROUPS, self.key(lower(new_name))) is not None:
                raise AwsError.modeled("iam", "EntityAlreadyExists", f"Group with name {new_name} already exists.")
            doc["GroupName"] = new_name
        doc["Arn"] = self.arn("group", doc["Path"], doc["GroupName"])
        new_l = lower(doc["GroupName"])
        if new_l != old_l:
            self.t.delete(GROUPS, self.key(old_l))
            for k, _ in self.t.scan(MEMBERS, self.key(old_l, "")):
                lu = k.rsplit("/", 1)[1]
                self.t.delete(MEMBERS, k)
                self.t.put(MEMBERS, self.key(new_l, lu), {})
                user = self.t.get(USERS, self.key(lu))
                if user is not None:
                    user["Groups"] = [new_l if g == old_l else g for g in user["Groups"]]
                    self.put_user(user)
            Policies(self).rename_entity("group", old_l, new_l, doc["AttachedPolicies"])
        self.put_group(doc)

    def delete_group(self, name: str) -> None:
        doc = self.get_group(name)
        lg = lower(doc["GroupName"])
        if self.t.count(MEMBERS, self.key(lg, "")):
            raise AwsError.modeled("iam", "DeleteConflict", "Cannot delete entity, must remove users from group first.")
        if doc["InlinePolicies"]:
            raise AwsError.modeled("iam", "DeleteConflict", "Cannot delete entity, must delete policies first.")
        if doc["AttachedPolicies"]:
            raise AwsError.modeled("iam", "DeleteConflict", "Cannot delete entity, must detach all policies first.")
        self.t.delete(GROUPS, self.key(lg))

    # --- roles -------------------------------------------------------------------------
    def get_role(self, name: str) -> Doc:
        doc = self.t.get(ROLES, self.key(lower(name)))
        if doc is None:
            raise AwsError.modeled("iam", "NoSuchEntity", f"The role with name {name} cannot be found.")
        return doc

    def find_role(self, name: str) -> Doc | None:
        return self.t.get(ROLES, self.key(lower(name)))

    def find_role_by_arn(self, arn: str) -> Doc | None:
        """The role `arn` names (path included), or None."""
        rest = arns.iam_resource_rest(arn, self.account, "role")
        if rest is None:
            return None
        doc = self.t.get(ROLES, self.key(lower(rest.rsplit("/", 1)[-1])))
        if doc is None or doc["Arn"].lower() != arn.lower():
            return None
        return doc

    def create_role(
        self,
        name: str,
        trust_policy: str,
        path: str = "/",
        description: str | None = None,
        max_session: int | None = None,
        tags: list[Doc] | None = None,
        boundary: str | None = None,
    ) -> Doc:
        documents.check_trust_policy(trust_policy)
        self._check_principals_exist(trust_policy)
        doc: Doc = {
            "RoleName": name,
            "RoleId": ids.unique_id(ids.ROLE),
            "Arn": self.arn("role", path, name),
            "Path": path,
            "CreateDate": ids.iso(ids.now()),
            "AssumeRolePolicyDocument": trust_policy,
            "MaxSessionDuration": max_session or 3600,
            "Tags": merge_tags([], tags or [], "Role"),
            "AttachedPolicies": [],
            "InlinePolicies": {},
            "InstanceProfiles": [],
            "RoleLastUsed": {},
        }
        if description is not None:
            doc["Description"] = description
        if boundary:
            doc["PermissionsBoundary"] = self._boundary(boundary)
        if not self.t.insert(ROLES, self.key(lower(name)), doc):
            raise AwsError.modeled("iam", "EntityAlreadyExists", f"Role with name {name} already exists.")
        self._check_quota(ROLES)
        return doc

    @staticmethod
    def check_modifiable(role: Doc) -> None:
        """A service-linked role's trust and permissions policies (and the role itself) are
        its service's to change: UnmodifiableEntity for anyone else."""
        if role.get("ServiceLinked"):
            raise AwsError.modeled(
                "iam",
                "UnmodifiableEntity",
                f"Cannot perform the operation on the protected role '{role['RoleName']}' - "
                "this role is only modifiable by AWS",
            )

    def _check_principals_exist(self, trust_policy: str) -> None:
        """IAM resolves the users and roles a trust policy names when it stores the policy (in
        any account): one that does not exist is an invalid principal."""
        for principal in documents.aws_principals(trust_policy):
            parsed = arns.try_parse(principal)
            if parsed is None or parsed.service != "iam" or arns.iam_principal_parts(principal) is None:
                continue
            kind, _, rest = parsed.resource.partition("/")
            if kind not in ("user", "role"):
                continue
            table = USERS if kind == "user" else ROLES
            found = self.t.get(table, f"{parsed.account}/{lower(rest.rsplit('/', 1)[-1])}")
            if found is None or found["Arn"].lower() != principal.lower():
                raise AwsError.modeled(
                    "iam", "MalformedPolicyDocument", f'Invalid principal in policy: "AWS":"{principal}"'
                )

    def put_role(self, doc: Doc) -> None:
        self.t.put(ROLES, self.key(lower(doc["RoleName"])), doc)

    def list_roles(self, prefix: str | None) -> list[tuple[str, Doc]]:
        return self._list(ROLES, prefix)

    def update_role(self, name: str, description: str | None, max_session: int | None) -> Doc:
        doc = self.get_role(name)
        if description is not None:
            doc["Description"] = description
        if max_session is not None:
            doc["MaxSessionDuration"] = max_session
        self.put_role(doc)
        return doc

    def update_assume_role_policy(self, name: str, trust_policy: str) -> None:
        doc = self.get_role(name)
        self.check_modifiable(doc)
        documents.check_trust_policy(trust_policy)
        self._check_principals_exist(trust_policy)
        doc["AssumeRolePolicyDocument"] = trust_policy
        self.put_role(doc)

    def create_service_linked_role(self, service: str, description: str | None, suffix: str | None) -> Doc:
        name = service_linked.role_name(service, suffix)
        if self.t.get(ROLES, self.key(lower(name))) is not None:
            raise AwsError.modeled(
                "iam",
                "InvalidInput",
                f"Service role name {name} has been taken in this account, please try a different suffix.",
            )
        trust = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})
        doc = self.create_role(name, trust, service_linked.path(service), description)
        doc["ServiceLinked"] = True
        self.put_role(doc)
        return doc

    def delete_role(self, name: str, *, service_linked: bool = False) -> None:
        doc = self.get_role(name)
        if not service_linked:
            self.check_modifiable(doc)
        if doc["InstanceProfiles"]:
            raise AwsError.modeled(
                "iam", "DeleteConflict", "Cannot delete entity, must remove roles from instance profile first."
            )
        if doc["InlinePolicies"]:
            raise AwsError.modeled("iam", "DeleteConflict", "Cannot delete entity, must delete policies first.")
        if doc["AttachedPolicies"]:
            raise AwsError.modeled("iam", "DeleteConflict", "Cannot delete entity, must detach all policies first.")
        self.t.delete(ROLES, self.key(lower(doc["RoleName"])))

    def set_boundary(self, kind: str, name: str, arn: str | None) -> None:
        doc = self.get_user(name) if kind == "user" else self.get_role(name)
        self.check_modifiable(doc)
        if arn is None:
            doc.pop("PermissionsBoundary", None)
        else:
            doc["PermissionsBoundary"] = self._boundary(arn)
        (self.put_user if kind == "user" else self.put_role)(doc)

    def note_role_used(self, doc: Doc, region: str) -> None:
        doc["RoleLastUsed"] = {"LastUsedDate": ids.iso(ids.now()), "Region": region}
        self.put_role(doc)

    # --- instance profiles -------------------------------------------------------------
    def get_instance_profile(self, name: str) -> Doc:
        doc = self.t.get(PROFILES, self.key(lower(name)))
        if doc is None:
            raise AwsError.modeled("iam", "NoSuchEntity", f"Instance Profile {name} cannot be found.")
        return doc

    def create_instance_profile(self, name: str, path: str = "/", tags: list[Doc] | None = None) -> Doc:
        doc: Doc = {
            "InstanceProfileName": name,
            "InstanceProfileId": ids.unique_id(ids.INSTANCE_PROFILE),
            "Arn": self.arn("instance-profile", path, name),
            "Path": path,
            "CreateDate": ids.iso(ids.now()),
            "Roles": [],
            "Tags": merge_tags([], tags or [], "InstanceProfile"),
        }
        if not self.t.insert(PROFILES, self.key(lower(name)), doc):
            raise AwsError.modeled("iam", "EntityAlreadyExists", f"Instance Profile {name} already exists.")
        self._check_quota(PROFILES)
        return doc

    def list_instance_profiles(self, prefix: str | None) -> list[tuple[str, Doc]]:
        return self._list(PROFILES, prefix)

    def instance_profiles_for_role(self, role_name: str) -> list[tuple[str, Doc]]:
        role = self.get_role(role_name)
        out = []
        for p in sorted(role["InstanceProfiles"]):
            doc = self.t.get(PROFILES, self.key(p))
            if doc is not None:
                out.append((p, doc))
        return out

    def profile_roles(self, profile: Doc) -> list[Doc]:
        return [r for r in (self.t.get(ROLES, self.key(n)) for n in profile["Roles"]) if r is not None]

    def add_role_to_instance_profile(self, profile_name: str, role_name: str) -> None:
        profile = self.get_instance_profile(profile_name)
        role = self.get_role(role_name)
        lp, lr = lower(profile["InstanceProfileName"]), lower(role["RoleName"])
        if lr in profile["Roles"]:
            raise AwsError.modeled(
                "iam",
                "LimitExceeded",
                f"Cannot exceed quota for InstanceSessionsPerInstanceProfile: {MAX_ROLES_PER_PROFILE}",
            )
        if len(profile["Roles"]) >= MAX_ROLES_PER_PROFILE:
            raise AwsError.modeled(
                "iam",
                "LimitExceeded",
                f"Cannot exceed quota for InstanceSessionsPerInstanceProfile: {MAX_ROLES_PER_PROFILE}",
            )
        profile["Roles"].append(lr)
        role["InstanceProfiles"].append(lp)
        self.t.put(PROFILES, self.key(lp), profile)
        self.put_role(role)

    def remove_role_from_instance_profile(self, profile_name: str, role_name: str) -> None:
        profile = self.get_instance_profile(profile_name)
        role = self.get_role(role_name)
        lp, lr = lower(profile["InstanceProfileName"]), lower(role["RoleName"])
        if lr not in profile["Roles"]:
            raise AwsError.modeled("iam", "NoSuchEntity", f"The role with name {role_name} cannot be found.")
        profile["Roles"].remove(lr)
        if lp in role["InstanceProfiles"]:
            role["InstanceProfiles"].remove(lp)
        self.t.put(PROFILES, self.key(lp), profile)
        self.put_role(role)

    def delete_instance_profile(self, name: str) -> None:
        profile = self.get_instance_profile(name)
        if profile["Roles"]:
            raise AwsError.modeled(
                "iam", "DeleteConflict", "Cannot delete entity, must remove roles from instance profile first."
            )
        self.t.delete(PROFILES, self.key(lower(profile["InstanceProfileName"])))

    # --- account alias ---------------------------------------------------------------
    def account_aliases(self) -> list[str]:
        doc = self.t.get(ALIASES, self.account)
        return [doc["Alias"]] if doc else []

    def set_account_alias(self, alias: str | None) -> None:
        if alias is None:
            self.t.delete(ALIASES, self.account)
        else:
            self.t.put(ALIASES, self.account, {"Alias": alias})

    # --- tags on any taggable entity ---------------------------------------------------
    def tag(self, kind: str, name: str, tags: list[Doc]) -> None:
        doc, put = self._taggable(kind, name)
        doc["Tags"] = merge_tags(doc.get("Tags", []), tags, kind.title().replace("profile", "Profile"))
        put(doc)

    def untag(self, kind: str, name: str, keys: list[str]) -> None:
        doc, put = self._taggable(kind, name)
        doc["Tags"] = remove_tags(doc.get("Tags", []), keys, kind.title())
        put(doc)

    def tags(self, kind: str, name: str) -> list[tuple[str, Doc]]:
        """(lower-case key, tag) in the order the tags were added (page with ordered=False)."""
        doc, _ = self._taggable(kind, name)
        return [(t["Key"].lower(), t) for t in doc.get("Tags", [])]

    def _taggable(self, kind: str, name: str) -> tuple[Doc, Callable[[Doc], None]]:
        if kind == "user":
            return self.get_user(name), self.put_user
        if kind == "role":
            return self.get_role(name), self.put_role
        if kind == "instanceprofile":
            doc = self.get_instance_profile(name)
            return doc, lambda d: self.t.put(PROFILES, self.key(lower(d["InstanceProfileName"])), d)
        if kind == "policy":
            pol = Policies(self)
            return pol.get_local_policy(name), pol.put_policy
        raise ValueError(kind)
