"""Change sets: what a template would do to a stack, worked out as CloudFormation shows it
(Add / Modify / Remove per resource; Replacement True, False or Conditional from the type's
createOnlyProperties; each changed property with its Evaluation Static or Dynamic), and their
store layout.

Table cfn_changesets: "{account}/{region}/{stack uuid}/{name}" -> {"ChangeSetId",
"ChangeSetName", "StackId", "StackName", "ChangeSetType" (CREATE|UPDATE), "Status",
"StatusReason", "ExecutionStatus", "CreationTime", "Description", "Parameters" (as shown),
"values", "given", "template", "Capabilities", "Tags", "NotificationARNs", "RoleARN",
"Changes"}. A change set whose stack changed since it was made is OBSOLETE; executing one
deletes every change set of its stack, as AWS does. Writes publish "cloudformation.stack".
"""

from __future__ import annotations

from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.cloudformation import checks, model, schemas
from gureum.services.cloudformation.intrinsics import NotReady, Scope, evaluate_conditions, resolve
from gureum.services.cloudformation.providers.base import Provider, provider_for
from gureum.services.cloudformation.template import TemplateError
from gureum.store import Txn

CHANGESETS = "cfn_changesets"
Doc = dict[str, Any]
NO_CHANGES = ("The submitted information didn't contain changes. Submit different information to create a change set.")


def key(account: str, region: str, stack_id: str, name: str) -> str:
    return f"{model.stack_key(account, region, model.uuid_of(stack_id))}/{name}"


def not_found(name: str) -> AwsError:
    return AwsError.modeled("cloudformation", "ChangeSetNotFoundException", f"ChangeSet [{name}] does not exist")


def find(txn: Txn, account: str, region: str, name: str, stack_name: str | None) -> Doc:
    """A change set by ARN, or by name within `stack_name`."""
    if arns.looks_like_arn(name):
        for _, doc in txn.scan(CHANGESETS, f"{account}/{region}/"):
            if doc["ChangeSetId"] == name:
                return doc
        raise not_found(name)
    if not stack_name:
        raise model.validation("StackName must be specified if ChangeSetName is not specified as an ARN.")
    stack = model.find(txn, account, region, stack_name)
    if stack is None:
        raise model.validation(f"Stack [{stack_name}] does not exist")
    found = txn.get(CHANGESETS, key(account, region, stack["StackId"], name))
    if found is None:
        raise not_found(name)
    return found


def of_stack(txn: Txn, account: str, region: str, stack_id: str) -> list[Doc]:
    prefix = model.stack_key(account, region, model.uuid_of(stack_id)) + "/"
    return [d for _, d in txn.scan(CHANGESETS, prefix)]


def drop_all(txn: Txn, account: str, region: str, stack_id: str) -> None:
    txn.delete_prefix(CHANGESETS, model.stack_key(account, region, model.uuid_of(stack_id)) + "/")
    txn.publish(model.TOPIC, {"key": model.stack_key(account, region, model.uuid_of(stack_id))})


def compute(doc: Doc, params: dict[str, Any], rows: dict[str, Doc], exports: dict[str, str], region: str) -> list[Doc]:
    """The resource changes `doc` (a parsed, checked template) would make over `rows`."""
    resources = doc.get("Resources") or {}
    scope = Scope(params=params, mappings=doc.get("Mappings") or {}, resources=frozenset(resources), region=region,
                  imports=lambda n: _export(exports, n))
    scope.conditions = evaluate_conditions(doc.get("Conditions") or {}, scope)
    active = {n for n, r in resources.items() if r.get("Condition") is None or scope.conditions.get(r["Condition"])}
    scope.resources = frozenset(active)
    live = {n: r for n, r in rows.items() if r.get("ResourceStatus") not in ("DELETE_COMPLETE",) and r.get("PhysicalResourceId")}
    checks.graph(resources, active)
    changed: set[str] = {n for n in active if n not in live}
    out: list[Doc] = []
    for n in checks.ordered(checks.graph(resources, active), active):
        r = resources[n]
        if n not in live:
            out.append(_change("Add", n, r["Type"], None, None, []))
            continue
        row = live[n]
        old = row.get("props") or {}
        details: list[Doc] = []
        new: dict[str, Any] = {}
        dynamic: set[str] = set()
        for prop, value in (r.get("Properties") or {}).items():
            try:
                new[prop] = resolve(value, _visible(scope, live, changed))
            except NotReady:
                dynamic.add(prop)
            except TemplateError:
                raise
        static = {p for p in set(new) | set(old) if p not in dynamic and new.get(p) != old.get(p)}
        if not static and not dynamic and row["ResourceType"] == r["Type"]:
            continue
        p: Provider | None = provider_for(r["Type"])
        assert p is not None  # templates with unknown types are refused up front
        create_only = schemas.create_only(r["Type"]) | set(p.replaces)
        recreating = schemas.replacing(r["Type"], old, new) | set(p.replaces)
        always = p.update is None
        for prop in sorted(static):
            details.append({"Target": {"Attribute": "Properties", "Name": prop,
                                       "RequiresRecreation": "Always" if always or prop in recreating else "Never"},
                            "Evaluation": "Static", "ChangeSource": "DirectModification"})
        for prop in sorted(dynamic):
            details.append({"Target": {"Attribute": "Properties", "Name": prop,
                                       "RequiresRecreation": "Always" if always else "Conditionally" if prop in create_only else "Never"},
                            "Evaluation": "Dynamic", "ChangeSource": "ResourceReference"})
        if not static and not details:
            continue
        if always or static & recreating:
            replacement = "True"
        elif dynamic & create_only:
            replacement = "Conditional"
        else:
            replacement = "False"
        changed.add(n)
        out.append(_change("Modify", n, r["Type"], row["PhysicalResourceId"], replacement, details))
    for n in sorted(set(live) - active):
        out.append(_change("Remove", n, live[n]["ResourceType"], live[n]["PhysicalResourceId"], None, []))
    return out


def _export(exports: dict[str, str], name: str) -> str:
    if name not in exports:
        raise TemplateError(f"No export named {name} found.")
    return exports[name]


def _visible(scope: Scope, live: dict[str, Doc], changed: set[str]) -> Scope:
    """The scope with the Ref values and attributes of resources this change leaves alone."""
    scope.refs = {n: r.get("ref", r["PhysicalResourceId"]) for n, r in live.items() if n not in changed}
    scope.attrs = {n: r.get("attrs") or {} for n, r in live.items() if n not in changed}
    return scope


def _change(action: str, logical: str, rtype: str, physical: str | None, replacement: str | None,
            details: list[Doc]) -> Doc:
    rc: Doc = {"Action": action, "LogicalResourceId": logical, "ResourceType": rtype, "Scope": [], "Details": details}
    if physical:
        rc["PhysicalResourceId"] = physical
    if replacement is not None:
        rc["Replacement"] = replacement
        rc["Scope"] = ["Properties"]
    return {"Type": "Resource", "ResourceChange": rc}
