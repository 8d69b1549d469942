"""Change set handlers: CreateChangeSet (CREATE and UPDATE types; a CREATE one makes the
stack in REVIEW_IN_PROGRESS), DescribeChangeSet, ExecuteChangeSet (the stack worker runs the
create or update), DeleteChangeSet, ListChangeSets. IMPORT change sets answer 501."""

from __future__ import annotations

import time
import uuid
from typing import Any

from gureum.aws import arn as arns
from gureum.aws import paging
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError, NotImplementedOperation
from gureum.services.cloudformation import changes, engine, model, stacks
from gureum.services.cloudformation.api import UPDATABLE, _caller, check_role
from gureum.services.cloudformation.stacks import validation
from gureum.services.cloudformation.template import TemplateError
from gureum.store import Txn

Doc = dict[str, Any]
SHOWN = ("ChangeSetName", "ChangeSetId", "StackId", "StackName", "Description", "Parameters", "CreationTime",
         "ExecutionStatus", "Status", "StatusReason", "NotificationARNs", "Capabilities", "Tags")


@operation("cloudformation", "CreateChangeSet")
async def create_change_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    kind = params.get("ChangeSetType") or "UPDATE"
    if kind == "IMPORT":
        raise NotImplementedOperation("NotImplemented", "gureum does not implement IMPORT change sets yet", 501)
    name, stack_name = params["ChangeSetName"], params["StackName"]
    await check_role(ctx, params.get("RoleARN"))
    stack = await ctx.app.store.read(lambda t: model.find(t, ctx.account_id, ctx.region, stack_name))
    if kind == "CREATE" and stack is not None and stack["StackStatus"] != "REVIEW_IN_PROGRESS":
        raise AwsError.modeled("cloudformation", "AlreadyExistsException",
                               f"Stack [{stack_name}] already exists and cannot be created again with the changeSet [{name}].")
    if kind == "UPDATE" and stack is None:
        raise validation(f"Stack [{stack_name}] does not exist")
    if kind == "UPDATE" and stack is not None and stack["StackStatus"] == "REVIEW_IN_PROGRESS":
        raise validation(f"Stack [{stack_name}] does not exist")
    if params.get("UsePreviousTemplate"):
        if stack is None or kind == "CREATE":
            raise validation("Cannot use previous template for a stack that does not exist")
        tpl = await stacks.load(ctx.app, ctx.account_id, ctx.region, {"TemplateBody": stack.get("original") or stack["template"], "Parameters": params.get("Parameters")},
                                keep_failure=True)
    else:
        tpl = await stacks.load(ctx.app, ctx.account_id, ctx.region, params, keep_failure=True)
    assert tpl is not None
    stacks.require_capabilities(tpl.doc, params.get("Capabilities") or [])
    previous = (stack or {}).get("given") or {}
    resolved = await stacks.resolve_parameters(ctx.app, ctx.account_id, ctx.region, tpl.doc, params.get("Parameters") or [],
                                               previous if kind == "UPDATE" else {})
    now = time.time()
    cid = arns.cloudformation_changeset(ctx.region, ctx.account_id, name, str(uuid.uuid4()))
    sid = stack["StackId"] if stack is not None else arns.cloudformation_stack(ctx.region, ctx.account_id, stack_name, str(uuid.uuid4()))
    tags = params.get("Tags") if params.get("Tags") is not None else (stack or {}).get("Tags") or []
    doc: Doc = {"ChangeSetId": cid, "ChangeSetName": name, "StackId": sid, "StackName": stack_name, "ChangeSetType": kind,
                "CreationTime": now, "ExecutionStatus": "AVAILABLE", "Status": "CREATE_COMPLETE",
                "Parameters": resolved.described, "values": resolved.values, "given": resolved.given, "template": tpl.body,
                "original": tpl.original, "Capabilities": params.get("Capabilities") or [], "Tags": tags,
                "NotificationARNs": params.get("NotificationARNs") or [], "caller": _caller(ctx, params.get("RoleARN"))}
    for k in ("Description", "RoleARN"):
        if params.get(k):
            doc[k] = params[k]

    def txn(t: Txn) -> None:
        current = model.find(t, ctx.account_id, ctx.region, stack_name)
        if t.get(changes.CHANGESETS, changes.key(ctx.account_id, ctx.region, sid, name)) is not None:
            raise AwsError.modeled("cloudformation", "AlreadyExistsException", f"ChangeSet {name} already exists")
        rows = dict(model.resources(t, ctx.account_id, ctx.region, sid)) if current is not None else {}
        exports = {e["Name"]: str(e["Value"]) for e in model.exports(t, ctx.account_id, ctx.region)}
        pseudo_stack = current or {"StackId": sid, "StackName": stack_name, "NotificationARNs": doc["NotificationARNs"]}
        values = {**engine.pseudo(pseudo_stack, ctx.account_id, ctx.region), **resolved.values}
        try:
            if tpl.failed:
                raise TemplateError(tpl.failed)
            doc["Changes"] = changes.compute(tpl.doc, values, rows, exports, ctx.region)
        except TemplateError as e:
            doc.update(Status="FAILED", StatusReason=str(e), ExecutionStatus="UNAVAILABLE", Changes=[])
        if (kind == "UPDATE" and not doc["Changes"] and doc["Status"] != "FAILED" and current is not None
                and resolved.given == current.get("given") and tags == current.get("Tags")):
            doc.update(Status="FAILED", StatusReason=changes.NO_CHANGES, ExecutionStatus="UNAVAILABLE")
        if current is None:
            review: Doc = {"StackId": sid, "StackName": stack_name, "CreationTime": now, "StackStatus": "REVIEW_IN_PROGRESS",
                           "StackStatusReason": "User Initiated", "DisableRollback": False, "Tags": tags,
                           "Capabilities": [], "NotificationARNs": [], "Parameters": [], "template": "", "given": {},
                           "values": {}, "caller": doc["caller"], "op": None, "Outputs": [], "imports": [],
                           "EnableTerminationProtection": False}
            t.put(model.NAMES, f"{ctx.account_id}/{ctx.region}/{stack_name}", {"uuid": model.uuid_of(sid)})
            model.save(t, ctx.account_id, ctx.region, review)
            model.add_event(t, ctx.account_id, ctx.region, review, stack_name, sid, "AWS::CloudFormation::Stack",
                            "REVIEW_IN_PROGRESS", "User Initiated", now)
        t.put(changes.CHANGESETS, changes.key(ctx.account_id, ctx.region, sid, name), doc)
        t.publish(model.TOPIC, {"key": model.stack_key(ctx.account_id, ctx.region, model.uuid_of(sid))})

    await ctx.app.store.run(txn)
    return {"Id": cid, "StackId": sid}


def _stack_of(t: Txn, ctx: RequestContext, cs: Doc) -> Doc | None:
    return model.find(t, ctx.account_id, ctx.region, cs["StackId"])


@operation("cloudformation", "DescribeChangeSet")
async def describe_change_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> tuple[Doc, Doc | None]:
        cs = changes.find(t, ctx.account_id, ctx.region, params["ChangeSetName"], params.get("StackName"))
        return cs, _stack_of(t, ctx, cs)

    cs, stack = await ctx.app.store.read(txn)
    out = {k: cs[k] for k in SHOWN if cs.get(k) is not None}
    out["ExecutionStatus"] = _execution_status(cs, stack)
    items = list(cs.get("Changes") or [])
    page, nxt = paging.page_items(list(enumerate(items)), lambda x: x[0], listing=f"cfn.changes/{cs['ChangeSetId']}",
                                  token=params.get("NextToken"), limit=None, default_limit=1000,
                                  error=lambda: validation("Invalid NextToken"))
    out["Changes"] = [c for _, c in page]
    out["IncludeNestedStacks"] = False
    if nxt:
        out["NextToken"] = nxt
    return out


def _execution_status(cs: Doc, stack: Doc | None) -> str:
    if not cs.get("executed"):
        return str(cs["ExecutionStatus"])
    status = (stack or {}).get("StackStatus", "")
    if status.endswith("_IN_PROGRESS"):
        return "EXECUTE_IN_PROGRESS"
    if status in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        return "EXECUTE_COMPLETE"
    return "EXECUTE_FAILED"


@operation("cloudformation", "ExecuteChangeSet")
async def execute_change_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    now = time.time()

    def txn(t: Txn) -> str:
        cs = changes.find(t, ctx.account_id, ctx.region, params["ChangeSetName"], params.get("StackName"))
        stack = _stack_of(t, ctx, cs)
        if cs["Status"] != "CREATE_COMPLETE" or cs.get("executed") or cs["ExecutionStatus"] != "AVAILABLE":
            raise AwsError.modeled("cloudformation", "InvalidChangeSetStatusException",
                                   f"ChangeSet [{cs['ChangeSetId']}] cannot be executed in its current status of [{cs['Status']}]")
        if stack is None:
            raise validation(f"Stack [{cs['StackName']}] does not exist")
        fields: Doc = {"template": cs["template"], "original": cs.get("original"), "values": cs["values"], "given": cs["given"], "Parameters": cs["Parameters"],
                       "Tags": cs.get("Tags") or [], "Capabilities": cs.get("Capabilities") or [], "caller": cs["caller"],
                       "Description": _description(cs["template"])}
        if cs.get("RoleARN"):
            fields["RoleARN"] = cs["RoleARN"]
        if params.get("DisableRollback") is not None:
            fields["DisableRollback"] = bool(params["DisableRollback"])
            fields["OnFailure"] = "DO_NOTHING" if params["DisableRollback"] else "ROLLBACK"
        if cs["ChangeSetType"] == "CREATE":
            if stack["StackStatus"] != "REVIEW_IN_PROGRESS":
                raise AwsError.modeled("cloudformation", "InvalidChangeSetStatusException",
                                       f"ChangeSet [{cs['ChangeSetId']}] cannot be executed in its current status of [OBSOLETE]")
            model.set_status(t, ctx.account_id, ctx.region, stack["StackId"], "CREATE_IN_PROGRESS", "User Initiated", now,
                             op={"kind": "create", "node": ctx.app.node_id}, CreationTime=now, **fields)
        else:
            if stack["StackStatus"] not in UPDATABLE:
                raise validation(f"Stack:{stack['StackId']} is in {stack['StackStatus']} state and can not be updated.")
            previous = {k: stack.get(k) for k in ("template", "original", "values", "given", "Parameters", "Outputs", "Description")}
            model.set_status(t, ctx.account_id, ctx.region, stack["StackId"], "UPDATE_IN_PROGRESS", "User Initiated", now,
                             op={"kind": "update", "node": ctx.app.node_id, "previous": previous}, LastUpdatedTime=now, **fields)
        changes.drop_all(t, ctx.account_id, ctx.region, stack["StackId"])
        t.put(changes.CHANGESETS, changes.key(ctx.account_id, ctx.region, stack["StackId"], cs["ChangeSetName"]),
              {**cs, "executed": True})
        return str(stack["StackId"])

    sid = await ctx.app.store.run(txn)
    engine.start(ctx.app, ctx.account_id, ctx.region, sid)
    return {}


def _description(body: str) -> str | None:
    from gureum.services.cloudformation.template import parse

    try:
        d = parse(body).get("Description")
    except TemplateError:
        return None
    return None if d is None else str(d)


@operation("cloudformation", "DeleteChangeSet")
async def delete_change_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> None:
        cs = changes.find(t, ctx.account_id, ctx.region, params["ChangeSetName"], params.get("StackName"))
        stack = _stack_of(t, ctx, cs)
        if cs.get("executed") and stack is not None and stack["StackStatus"].endswith("_IN_PROGRESS"):
            raise AwsError.modeled("cloudformation", "InvalidChangeSetStatusException",
                                   f"ChangeSet [{cs['ChangeSetId']}] cannot be deleted in its current status of [EXECUTE_IN_PROGRESS]")
        t.delete(changes.CHANGESETS, changes.key(ctx.account_id, ctx.region, cs["StackId"], cs["ChangeSetName"]))

    await ctx.app.store.run(txn)
    return {}


@operation("cloudformation", "ListChangeSets")
async def list_change_sets(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> tuple[Doc, list[Doc]]:
        stack = model.must_find(t, ctx.account_id, ctx.region, params["StackName"])
        return stack, changes.of_stack(t, ctx.account_id, ctx.region, stack["StackId"])

    stack, items = await ctx.app.store.read(txn)
    page, nxt = paging.page_items(sorted(items, key=lambda c: c["ChangeSetName"]), lambda c: c["ChangeSetName"],
                                  listing=f"cfn.changesets/{stack['StackId']}", token=params.get("NextToken"), limit=None,
                                  default_limit=100, error=lambda: validation("Invalid NextToken"))
    out = []
    for c in page:
        s = {k: c[k] for k in ("StackId", "StackName", "ChangeSetId", "ChangeSetName", "Status", "StatusReason",
                               "CreationTime", "Description") if c.get(k) is not None}
        s["ExecutionStatus"] = _execution_status(c, stack)
        s["IncludeNestedStacks"] = False
        out.append(s)
    return {"Summaries": out, **({"NextToken": nxt} if nxt else {})}
