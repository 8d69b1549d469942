"""The function's resource policy: the statements AddPermission grants, one policy per
qualifier ("" for the unqualified function, else the version or alias name).

Stored inside the function document (lambda.functions <fn>, see model.py) as
"policies": {<qualifier>: [statement, ...]}. As on AWS, a policy has no RevisionId of its
own: GetPolicy answers the RevisionId of what it belongs to ($LATEST's configuration, the
version's, or the alias), AddPermission/RemovePermission check a RevisionId the caller sends
against that one and give it a new one. Invariants: statement ids are unique within a
policy; a policy's document is at most POLICY_LIMIT bytes. Every write publishes one change
event (model.changed): the authorization gate reads policies through the engine's function
cache (resource_policy.py), which that event refreshes.
"""

from __future__ import annotations

import json
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.lambda_ import model
from gureum.store import Txn

POLICY_LIMIT = 20480  # bytes of the policy document, as AWS measures it


def _no_policy() -> AwsError:
    return AwsError.modeled("lambda", "ResourceNotFoundException", "No policy is associated with the given resource.", Type="User")


def document(statements: list[dict[str, Any]]) -> str:
    """The policy document GetPolicy answers (and whose size AddPermission limits)."""
    return json.dumps({"Version": "2012-10-17", "Id": "default", "Statement": statements}, separators=(",", ":"))


def _base(arn: str, slot: str) -> str:
    return arn[: -len(slot) - 1] if slot and arn.endswith(":" + slot) else arn


def _check_qualifier(txn: Txn, key: str, base: str, slot: str) -> None:
    """The version or alias a permission is for must exist (AWS's messages)."""
    if not slot or slot == "$LATEST":
        return
    if slot.isdigit():
        if txn.get(model.VERSIONS, model.version_key(key, slot)) is None:
            raise AwsError.modeled("lambda", "ResourceNotFoundException", f"Function not found: {base}:{slot}", Type="User")
    elif txn.get(model.ALIASES, f"{key}/{slot}") is None:
        raise AwsError.modeled("lambda", "ResourceNotFoundException", f"Cannot find alias arn: {base}:{slot}", Type="User")


class _Owner:
    """What a policy of qualifier `slot` belongs to, and so whose RevisionId it answers and
    moves: $LATEST's configuration (""), a version's configuration, or an alias."""

    def __init__(self, txn: Txn, key: str, doc: dict[str, Any], slot: str) -> None:
        self.txn, self.key, self.doc, self.slot = txn, key, doc, slot
        if not slot or slot == "$LATEST":
            self.table, self.row_key, self.row, self.holder = model.FUNCTIONS, key, doc, doc["config"]
        elif slot.isdigit():
            self.table, self.row_key = model.VERSIONS, model.version_key(key, slot)
            self.row = txn.get(self.table, self.row_key) or {"config": {}}
            self.holder = self.row["config"]
        else:
            self.table, self.row_key = model.ALIASES, f"{key}/{slot}"
            self.row = txn.get(self.table, self.row_key) or {}
            self.holder = self.row

    @property
    def revision(self) -> str:
        return str(self.holder.get("RevisionId", ""))

    def save(self) -> None:
        """Store the function document (its policies) and the owner under a new RevisionId."""
        self.holder["RevisionId"] = model.new_revision()
        if self.table != model.FUNCTIONS:
            self.txn.put(self.table, self.row_key, self.row)
        self.txn.put(model.FUNCTIONS, self.key, self.doc)


def add(txn: Txn, key: str, arn: str, slot: str, statement: dict[str, Any], revision_id: str | None) -> str:
    """AddPermission: append `statement` to the policy of qualifier `slot` (`arn` names the
    function as the request did); the owner's new RevisionId."""
    base = _base(arn, slot)
    doc = model.get_function(txn, key, base)
    _check_qualifier(txn, key, base, slot)
    owner = _Owner(txn, key, doc, slot)
    model.check_revision(owner.revision, revision_id)
    statements = doc.setdefault("policies", {}).setdefault(slot, [])
    if any(s.get("Sid") == statement["Sid"] for s in statements):
        raise AwsError.modeled("lambda", "ResourceConflictException", f"The statement id ({statement['Sid']}) provided already exists. Please provide a new statement id, or remove the existing statement.", Type="User")
    size = len(document([*statements, statement]).encode())
    if size > POLICY_LIMIT:
        raise AwsError.modeled("lambda", "PolicyLengthExceededException", f"The final policy size ({size}) is bigger than the limit ({POLICY_LIMIT}).", Type="User")
    statements.append(statement)
    owner.save()
    model.changed(txn, key, "policy")
    return owner.revision


def replace(txn: Txn, key: str, arn: str, slot: str, statements: list[dict[str, Any]] | None, revision_id: str | None) -> str:
    """PutResourcePolicy (`statements`) and DeleteResourcePolicy (None): the whole policy of
    qualifier `slot` at once; the owner's new RevisionId."""
    base = _base(arn, slot)
    doc = model.get_function(txn, key, base)
    _check_qualifier(txn, key, base, slot)
    owner = _Owner(txn, key, doc, slot)
    model.check_revision(owner.revision, revision_id)
    policies = doc.setdefault("policies", {})
    if statements is None:
        if not policies.get(slot):
            raise _no_policy()
        policies.pop(slot, None)
    else:
        size = len(document(statements).encode())
        if size > POLICY_LIMIT:
            raise AwsError.modeled("lambda", "PolicyLengthExceededException",
                                   f"The final policy size ({size}) is bigger than the limit ({POLICY_LIMIT}).", Type="User")
        policies[slot] = statements
    owner.save()
    model.changed(txn, key, "policy")
    return owner.revision


def get(txn: Txn, key: str, arn: str, slot: str) -> tuple[list[dict[str, Any]], str]:
    """GetPolicy: (the statements of qualifier `slot`'s policy, its owner's RevisionId)."""
    doc = model.get_function(txn, key, arn)
    statements = (doc.get("policies") or {}).get(slot)
    if not statements:  # AWS's GetPolicy wording (RemovePermission says "No policy ...")
        raise AwsError.modeled("lambda", "ResourceNotFoundException", "The resource you requested does not exist.", Type="User")
    return statements, _Owner(txn, key, doc, slot).revision


def remove(txn: Txn, key: str, arn: str, slot: str, statement_id: str, revision_id: str | None = None) -> None:
    """RemovePermission."""
    base = _base(arn, slot)
    doc = txn.get(model.FUNCTIONS, key)
    if doc is None:
        raise AwsError.modeled("lambda", "ResourceNotFoundException", f"No policy found for: {base}", Type="User")
    _check_qualifier(txn, key, base, slot)
    policies = doc.get("policies") or {}
    statements = policies.get(slot) or []
    if not statements:
        raise _no_policy()
    keep = [s for s in statements if s.get("Sid") != statement_id]
    if len(keep) == len(statements):
        raise AwsError.modeled("lambda", "ResourceNotFoundException", f"Statement {statement_id} is not found in resource policy.", Type="User")
    owner = _Owner(txn, key, doc, slot)
    model.check_revision(owner.revision, revision_id)
    policies[slot] = keep
    doc["policies"] = policies
    owner.save()
    model.changed(txn, key, "policy")
