"""GetAccountAuthorizationDetails: every user, group, role and managed policy of the account
with their policies, as one listing paged across the four kinds (users, then groups, roles,
policies; each in name order). `Policies` holds the account's customer managed policies and
the AWS managed policies attached to something in it, each with all its versions. Policy
documents are percent-encoded as IAM encodes them. A Filter (User, Role, Group,
LocalManagedPolicy, AWSManagedPolicy) keeps only those kinds."""

from __future__ import annotations

from typing import Any

from gureum.services.iam import documents, views
from gureum.services.iam.model import Iam
from gureum.services.iam.policies import Policies, parse_policy_arn

FILTERS = ("User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy")


def _inline(doc: dict[str, Any]) -> list[dict[str, str]]:
    return [{"PolicyName": n, "PolicyDocument": documents.encode(d)} for n, d in sorted((doc.get("InlinePolicies") or {}).items())]


def _attached(doc: dict[str, Any]) -> list[dict[str, str]]:
    return [{"PolicyName": parse_policy_arn(a)[2], "PolicyArn": a} for a in doc.get("AttachedPolicies") or []]


def rows(iam: Iam, wanted: list[str] | None) -> list[tuple[str, tuple[str, dict[str, Any]]]]:
    """(sort key, (output list, item)) of everything the filter keeps, in listing order."""
    want = set(wanted or FILTERS)
    out: list[tuple[str, tuple[str, dict[str, Any]]]] = []
    if "User" in want:
        for key, u in iam.list_users(None):
            item = {**views.user(u), "UserPolicyList": _inline(u), "AttachedManagedPolicies": _attached(u),
                    "GroupList": [g["GroupName"] for _, g in iam.groups_for_user(u["UserName"])]}
            out.append((f"1/{key}", ("UserDetailList", item)))
    if "Group" in want:
        for key, g in iam.list_groups(None):
            item = {**views.group(g), "GroupPolicyList": _inline(g), "AttachedManagedPolicies": _attached(g)}
            out.append((f"2/{key}", ("GroupDetailList", item)))
    if "Role" in want:
        for key, r in iam.list_roles(None):
            profiles = [views.instance_profile(ip, iam.profile_roles(ip)) for _, ip in iam.instance_profiles_for_role(r["RoleName"])]
            item = {**views.role(r), "RolePolicyList": _inline(r), "AttachedManagedPolicies": _attached(r),
                    "InstanceProfileList": profiles}
            out.append((f"3/{key}", ("RoleDetailList", item)))
    scope = {("LocalManagedPolicy" in want), ("AWSManagedPolicy" in want)}
    if True in scope:
        p = Policies(iam)
        local, aws = "LocalManagedPolicy" in want, "AWSManagedPolicy" in want
        for key, doc in p.list_policies("All", False, None, None):
            is_aws = parse_policy_arn(doc["Arn"])[0] == "aws"
            if (is_aws and (not aws or not doc.get("AttachmentCount"))) or (not is_aws and not local):
                continue
            versions = [views.policy_version(v) for _, v in p.list_policy_versions(doc["Arn"])]
            item = {**views.policy(doc, tags=False), "PolicyVersionList": versions}
            out.append((f"4/{key}", ("Policies", item)))
    return out
