"""Managed policies (customer managed, with up to five versions, and AWS managed from the
catalog), attaching them to users, groups and roles, and inline policies.

Run inside one transaction through `Policies(Iam(txn, account))`.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any

from gureum.aws.arn import BadArn, iam_policy_parts
from gureum.aws.errors import AwsError
from gureum.services.iam import documents, ids, managed
from gureum.services.iam.rows import KINDS, lower, merge_tags
from gureum.store.base import Doc

if TYPE_CHECKING:
    from gureum.services.iam.model import Iam

POLICIES = "iam_policies"  # {acct}/{policy name} -> customer managed policy
VERSIONS = "iam_policy_versions"  # {acct}/{policy name}/{n:06d} -> version
ATTACHMENTS = "iam_attachments"  # {acct}/{policy arn digest}/{kind}/{entity} -> {PolicyArn}

MAX_VERSIONS = 5
MAX_POLICIES = 1500  # customer managed policies per account
MAX_ATTACHED = 10  # managed policies per user, group or role (AWS's default quota)



def parse_policy_arn(arn: str) -> tuple[str, str, str]:
    """ARN -> (account or 'aws', path, name)."""
    try:
        return iam_policy_parts(arn)
    except BadArn:
        raise AwsError.modeled("iam", "InvalidInput", f"ARN {arn} is not valid.") from None


def _digest(arn: str) -> str:
    return hashlib.sha1(arn.encode()).hexdigest()[:20]


def _vnum(version_id: str) -> int | None:
    if re.fullmatch(r"v[1-9][0-9]*", version_id):
        return int(version_id[1:])
    return None


class Policies:
    def __init__(self, iam: Iam) -> None:
        self.iam = iam
        self.t = iam.t
        self.account = iam.account

    # --- managed policies --------------------------------------------------------------
    def _missing(self, arn: str) -> AwsError:
        """GetPolicy's (and DeletePolicy's, ListPolicyVersions'...) word for a missing policy;
        attaching one says "does not exist or is not attachable" (`attach`)."""
        return AwsError.modeled("iam", "NoSuchEntity", f"Policy {arn} was not found.")

    @staticmethod
    def _missing_version(arn: str, version_id: str) -> AwsError:
        return AwsError.modeled(
            "iam", "NoSuchEntity", f"Policy {arn} version {version_id} does not exist or is not attachable."
        )

    def get_policy(self, arn: str) -> Doc:
        """A customer managed policy of this account or an AWS managed one, with its
        AttachmentCount in this account."""
        owner, _path, name = parse_policy_arn(arn)
        if owner == "aws":
            cat = managed.get(arn)
            if cat is None:
                raise self._missing(arn)
            doc = {k: v for k, v in cat.items() if k != "Document"}
            doc["PermissionsBoundaryUsageCount"] = 0
        else:
            own = self.t.get(POLICIES, self.iam.key(lower(name))) if owner == self.account else None
            if own is None or own["Arn"] != arn:
                raise self._missing(arn)
            doc = own
        doc["AttachmentCount"] = self.t.count(ATTACHMENTS, self.iam.key(_digest(arn), ""))
        return doc

    def get_local_policy(self, arn: str) -> Doc:
        owner, _path, _name = parse_policy_arn(arn)
        if owner == "aws":
            raise AwsError.modeled("iam", "UnmodifiableEntity", f"Cannot modify AWS managed policy {arn}.")
        return self.get_policy(arn)

    def put_policy(self, doc: Doc) -> None:
        doc = {k: v for k, v in doc.items() if k != "AttachmentCount"}
        self.t.put(POLICIES, self.iam.key(lower(doc["PolicyName"])), doc)

    def create_policy(
        self,
        name: str,
        document: str,
        path: str = "/",
        description: str | None = None,
        tags: list[Doc] | None = None,
    ) -> Doc:
        documents.check_identity_policy(document, managed=True)
        documents.check_managed_size(document)
        now = ids.iso(ids.now())
        doc: Doc = {
            "PolicyName": name,
            "PolicyId": ids.unique_id(ids.POLICY),
            "Arn": self.iam.arn("policy", path, name),
            "Path": path,
            "DefaultVersionId": "v1",
            "PermissionsBoundaryUsageCount": 0,
            "IsAttachable": True,
            "CreateDate": now,
            "UpdateDate": now,
            "Tags": merge_tags([], tags or [], "Policy"),
            "NextVersion": 2,
        }
        if description is not None:
            doc["Description"] = description
        if not self.t.insert(POLICIES, self.iam.key(lower(name)), doc):
            raise AwsError.modeled(
                "iam", "EntityAlreadyExists", f"A policy called {name} already exists. Duplicate names are not allowed."
            )
        if self.t.count(POLICIES, self.account + "/") > MAX_POLICIES:
            raise AwsError.modeled(
                "iam", "LimitExceeded", f"Cannot exceed quota for PoliciesPerAccount: {MAX_POLICIES}"
            )
        self.t.put(VERSIONS, self.iam.key(lower(name), "000001"), {"VersionId": "v1", "Document": document, "CreateDate": now})
        doc["AttachmentCount"] = 0
        return doc

    def list_policies(
        self, scope: str | None, only_attached: bool, prefix: str | None, usage: str | None
    ) -> list[tuple[str, Doc]]:
        scope = scope or "All"
        prefix = prefix or "/"
        out: list[tuple[str, Doc]] = []
        if usage == "PermissionsBoundary":
            return out  # boundaries are recorded but not counted as usage yet
        if scope in ("All", "AWS"):
            for arn, cat in managed.catalog().items():
                if cat["Path"].startswith(prefix):
                    doc = self.get_policy(arn)
                    if not only_attached or doc["AttachmentCount"]:
                        out.append(("0" + lower(cat["PolicyName"]) + "/" + arn, doc))
        if scope in ("All", "Local"):
            for key, doc in self.t.scan(POLICIES, self.account + "/"):
                if doc["Path"].startswith(prefix):
                    doc["AttachmentCount"] = self.t.count(ATTACHMENTS, self.iam.key(_digest(doc["Arn"]), ""))
                    if not only_attached or doc["AttachmentCount"]:
                        out.append(("1" + key.split("/", 1)[1], doc))
        return sorted(out, key=lambda kv: kv[0])

    def delete_policy(self, arn: str) -> None:
        doc = self.get_local_policy(arn)
        if doc["AttachmentCount"]:
            raise AwsError.modeled("iam", "DeleteConflict", "Cannot delete a policy attached to entities.")
        ln = lower(doc["PolicyName"])
        if self.t.count(VERSIONS, self.iam.key(ln, "")) > 1:
            raise AwsError.modeled(
                "iam",
                "DeleteConflict",
                "This policy has more than one version. Before you delete a policy, you must delete "
                "the policy's versions. The default version is deleted with the policy.",
            )
        self.t.delete_prefix(VERSIONS, self.iam.key(ln, ""))
        self.t.delete(POLICIES, self.iam.key(ln))

    # --- versions ----------------------------------------------------------------------
    def create_policy_version(self, arn: str, document: str, set_default: bool) -> Doc:
        doc = self.get_local_policy(arn)
        documents.check_identity_policy(document, managed=True)
        documents.check_managed_size(document)
        ln = lower(doc["PolicyName"])
        if self.t.count(VERSIONS, self.iam.key(ln, "")) >= MAX_VERSIONS:
            raise AwsError.modeled(
                "iam",
                "LimitExceeded",
                f"A managed policy can have up to {MAX_VERSIONS} versions. Before you create a new "
                "version, you must delete an existing version.",
            )
        n = doc["NextVersion"]
        now = ids.iso(ids.now())
        version = {"VersionId": f"v{n}", "Document": document, "CreateDate": now}
        self.t.put(VERSIONS, self.iam.key(ln, f"{n:06d}"), version)
        doc["NextVersion"] = n + 1
        doc["UpdateDate"] = now
        if set_default:
            doc["DefaultVersionId"] = version["VersionId"]
        self.put_policy(doc)
        return {**version, "IsDefaultVersion": set_default}

    def get_policy_version(self, arn: str, version_id: str) -> Doc:
        """A version of a policy; a missing policy or version is the same NoSuchEntity."""
        owner, _path, _name = parse_policy_arn(arn)
        if owner == "aws":
            cat = managed.get(arn)
            if cat is None or version_id != cat["DefaultVersionId"]:
                raise self._missing_version(arn, version_id)
            return {"VersionId": version_id, "Document": cat["Document"], "CreateDate": cat["UpdateDate"],
                    "IsDefaultVersion": True}
        try:
            doc = self.get_policy(arn)
        except AwsError as e:
            if e.code != "NoSuchEntity":
                raise
            raise self._missing_version(arn, version_id) from None
        n = _vnum(version_id)
        version = self.t.get(VERSIONS, self.iam.key(lower(doc["PolicyName"]), f"{n:06d}")) if n else None
        if version is None:
            raise self._missing_version(arn, version_id)
        return {**version, "IsDefaultVersion": version_id == doc["DefaultVersionId"]}

    def list_policy_versions(self, arn: str) -> list[tuple[str, Doc]]:
        owner, _path, _name = parse_policy_arn(arn)
        if owner == "aws":
            return [("0", self.get_policy_version(arn, self.get_policy(arn)["DefaultVersionId"]))]
        doc = self.get_policy(arn)
        rows = self.t.scan(VERSIONS, self.iam.key(lower(doc["PolicyName"]), ""), reverse=True)
        return [
            (f"{999999 - int(k.rsplit('/', 1)[1]):06d}",
             {**v, "IsDefaultVersion": v["VersionId"] == doc["DefaultVersionId"]})
            for k, v in rows
        ]

    def delete_policy_version(self, arn: str, version_id: str) -> None:
        doc = self.get_local_policy(arn)
        self.get_policy_version(arn, version_id)
        if version_id == doc["DefaultVersionId"]:
            raise AwsError.modeled("iam", "DeleteConflict", "Cannot delete the default version of a policy.")
        self.t.delete(VERSIONS, self.iam.key(lower(doc["PolicyName"]), f"{_vnum(version_id):06d}"))

    def set_default_policy_version(self, arn: str, version_id: str) -> None:
        doc = self.get_local_policy(arn)
        self.get_policy_version(arn, version_id)
        doc["DefaultVersionId"] = version_id
        doc["UpdateDate"] = ids.iso(ids.now())
        self.put_policy(doc)

    # --- attachments -------------------------------------------------------------------
    def _entity(self, kind: str, name: str) -> Doc:
        return {"user": self.iam.get_user, "group": self.iam.get_group, "role": self.iam.get_role}[kind](name)

    def _modifiable(self, kind: str, name: str) -> Doc:
        """The entity whose policies a caller changes (a service-linked role's are its service's)."""
        entity = self._entity(kind, name)
        self.iam.check_modifiable(entity)
        return entity

    def _put_entity(self, kind: str, doc: Doc) -> None:
        {"user": self.iam.put_user, "group": self.iam.put_group, "role": self.iam.put_role}[kind](doc)

    @staticmethod
    def _name(kind: str, doc: Doc) -> str:
        return doc[{"user": "UserName", "group": "GroupName", "role": "RoleName"}[kind]]

    def attach(self, kind: str, name: str, arn: str) -> None:
        entity = self._modifiable(kind, name)
        try:
            policy = self.get_policy(arn)
        except AwsError as e:
            if e.code != "NoSuchEntity":
                raise
            raise AwsError.modeled(
                "iam", "NoSuchEntity", f"Policy {arn} does not exist or is not attachable."
            ) from None
        if arn in entity["AttachedPolicies"]:
            return
        if len(entity["AttachedPolicies"]) >= MAX_ATTACHED:
            raise AwsError.modeled(
                "iam", "LimitExceeded", f"Cannot exceed quota for PoliciesPer{kind.title()}: {MAX_ATTACHED}"
            )
        entity["AttachedPolicies"].append(policy["Arn"])
        self._put_entity(kind, entity)
        self.t.put(
            ATTACHMENTS,
            self.iam.key(_digest(arn), kind, lower(self._name(kind, entity))),
            {"PolicyArn": arn},
        )

    def detach(self, kind: str, name: str, arn: str) -> None:
        entity = self._modifiable(kind, name)
        parse_policy_arn(arn)
        if arn not in entity["AttachedPolicies"]:
            raise AwsError.modeled("iam", "NoSuchEntity", f"Policy {arn} was not found.")
        entity["AttachedPolicies"].remove(arn)
        self._put_entity(kind, entity)
        self.t.delete(ATTACHMENTS, self.iam.key(_digest(arn), kind, lower(self._name(kind, entity))))

    def attached(self, kind: str, name: str, prefix: str | None) -> list[tuple[str, Doc]]:
        entity = self._entity(kind, name)
        out = []
        for arn in entity["AttachedPolicies"]:
            _owner, path, pname = parse_policy_arn(arn)
            if path.startswith(prefix or "/"):
                out.append((f"{lower(pname)}/{arn}", {"PolicyName": pname, "PolicyArn": arn}))
        return sorted(out, key=lambda kv: kv[0])

    def entities_for_policy(self, arn: str, entity_filter: str | None, prefix: str | None) -> list[tuple[str, tuple[str, Doc]]]:
        self.get_policy(arn)
        wanted = {"User": "user", "Role": "role", "Group": "group"}.get(entity_filter or "", None)
        out = []
        for key, _ in self.t.scan(ATTACHMENTS, self.iam.key(_digest(arn), "")):
            kind, lname = key.rsplit("/", 2)[1:]
            if wanted and kind != wanted:
                continue
            table, _ = KINDS[kind]
            doc = self.t.get(table, self.iam.key(lname))
            if doc is None or not doc["Path"].startswith(prefix or "/"):
                continue
            label = kind.title()
            out.append((key, (kind, {f"{label}Name": doc[f"{label}Name"], f"{label}Id": doc[f"{label}Id"]})))
        return out

    def rename_entity(self, kind: str, old_l: str, new_l: str, arns: list[str]) -> None:
        for arn in arns:
            self.t.delete(ATTACHMENTS, self.iam.key(_digest(arn), kind, old_l))
            self.t.put(ATTACHMENTS, self.iam.key(_digest(arn), kind, new_l), {"PolicyArn": arn})

    # --- inline policies ---------------------------------------------------------------
    def put_inline(self, kind: str, name: str, policy_name: str, document: str) -> None:
        entity = self._modifiable(kind, name)
        documents.check_identity_policy(document, managed=False)
        inline: dict[str, str] = entity["InlinePolicies"]
        total = sum(documents.size(d) for n, d in inline.items() if n != policy_name) + documents.size(document)
        limit = documents.INLINE_SIZE[kind]
        if total > limit:
            raise AwsError.modeled(
                "iam",
                "LimitExceeded",
                f"Maximum policy size of {limit} bytes exceeded for {kind} {self._name(kind, entity)}",
            )
        inline[policy_name] = document
        self._put_entity(kind, entity)

    def get_inline(self, kind: str, name: str, policy_name: str) -> tuple[Doc, str]:
        entity = self._entity(kind, name)
        document = entity["InlinePolicies"].get(policy_name)
        if document is None:
            raise AwsError.modeled("iam", "NoSuchEntity", f"The {kind} policy with name {policy_name} cannot be found.")
        return entity, document

    def list_inline(self, kind: str, name: str) -> list[tuple[str, Any]]:
        entity = self._entity(kind, name)
        return [(n, n) for n in sorted(entity["InlinePolicies"])]

    def delete_inline(self, kind: str, name: str, policy_name: str) -> None:
        self._modifiable(kind, name)
        entity, _ = self.get_inline(kind, name, policy_name)
        del entity["InlinePolicies"][policy_name]
        self._put_entity(kind, entity)
