"""The policies that apply to one IAM user, group or role, named as IAM's reports name them
(SimulatePrincipalPolicy, ListPoliciesGrantingServiceAccess, access advisor): read from the
entity documents (InlinePolicies {name: document}, AttachedPolicies [ARN],
PermissionsBoundary) and the managed policies' default versions, in one transaction.
A user's groups' policies count as the user's."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.iam.model import Iam
from gureum.services.iam.policies import Policies, parse_policy_arn

KINDS = ("user", "group", "role")
_NAME = {"user": "UserName", "group": "GroupName", "role": "RoleName"}


@dataclass(frozen=True)
class Source:
    """One policy of an entity."""

    policy_id: str  # inline: its name; managed: its name (SourcePolicyId as AWS shows it)
    source_type: str  # "user" | "group" | "role" (inline) | "aws-managed" | "user-managed"
    policy_type: str  # "INLINE" | "MANAGED"
    document: str
    arn: str | None = None  # managed policies
    entity_type: str | None = None  # inline: the kind of entity it belongs to
    entity_name: str | None = None


def entity_of_arn(iam: Iam, arn: str) -> tuple[str, dict[str, Any]]:
    """(kind, document) of a user, group or role ARN of the account; NoSuchEntity otherwise."""
    for kind in KINDS:
        rest = arns.iam_resource_rest(arn, iam.account, kind)
        if rest is None:
            continue
        name = rest.rsplit("/", 1)[-1]
        try:
            doc = {"user": iam.get_user, "group": iam.get_group, "role": iam.get_role}[kind](name)
        except AwsError:
            break
        if doc["Arn"].lower() == arn.lower():
            return kind, doc
        break
    raise AwsError.modeled("iam", "NoSuchEntity", f"Entity {arn} does not exist.")


def managed_document(p: Policies, arn: str) -> tuple[str, str] | None:
    """(policy name, default version's document) of a managed policy, None when gone."""
    try:
        owner, _path, name = parse_policy_arn(arn)
        source = p if owner in ("aws", p.account) else Policies(Iam(p.t, owner))
        version = source.get_policy_version(arn, source.get_policy(arn)["DefaultVersionId"])
    except AwsError:
        return None
    doc = version["Document"]
    return name, doc if isinstance(doc, str) else json.dumps(doc)


def own_sources(p: Policies, kind: str, doc: dict[str, Any]) -> list[Source]:
    out = [Source(name, kind, "INLINE", text, None, kind, doc[_NAME[kind]])
           for name, text in sorted((doc.get("InlinePolicies") or {}).items())]
    for arn in doc.get("AttachedPolicies") or []:
        found = managed_document(p, arn)
        if found is not None:
            aws = parse_policy_arn(arn)[0] == "aws"
            out.append(Source(found[0], "aws-managed" if aws else "user-managed", "MANAGED", found[1], arn))
    return out


def sources(iam: Iam, kind: str, doc: dict[str, Any]) -> list[Source]:
    """Every identity policy that applies to the entity (a user's groups' included)."""
    p = Policies(iam)
    out = own_sources(p, kind, doc)
    if kind == "user":
        for _key, group in iam.groups_for_user(doc["UserName"]):
            out += own_sources(p, "group", group)
    return out


def boundary(iam: Iam, doc: dict[str, Any]) -> Source | None:
    arn = (doc.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    found = managed_document(Policies(iam), arn) if arn else None
    if arn and found is None:
        return Source("PermissionsBoundary", "none", "MANAGED", "{}", arn)  # gone: allows nothing
    if found is None:
        return None
    aws = parse_policy_arn(str(arn))[0] == "aws"
    return Source(found[0], "aws-managed" if aws else "user-managed", "MANAGED", found[1], arn)
