"""CloudFormation handlers: read the parameters, run the model, start the stack worker
(engine.py), shape the answer. Drift detection is api_drift.py's, change sets
api_changes.py's; stack sets and type registry operations have no handler yet (501)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from gureum.aws import arn as arns
from gureum.aws import paging
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.cloudformation import drift, engine, model, notifications, parameters, stacks
from gureum.services.cloudformation.stacks import validation
from gureum.services.cloudformation.template import TemplateError
from gureum.store import Txn

Doc = dict[str, Any]


def _bad_token() -> AwsError:
    return validation("Invalid NextToken")


def _caller(ctx: RequestContext, role: str | None) -> Doc:
    if role:
        name = role.rsplit("/", 1)[-1]
        return {"account": ctx.account_id, "principal": arns.sts_assumed_role(ctx.account_id, name, "AWSCloudFormation"),
                "key": ""}
    return {"account": ctx.account_id, "principal": ctx.principal_arn, "key": ctx.access_key_id}


async def check_role(ctx: RequestContext, role: str | None) -> None:
    """A RoleARN must name a role of the account that CloudFormation may assume (its trust
    policy lets cloudformation.amazonaws.com in), as AWS checks before it acts."""
    if not role:
        return
    from gureum.services.iam import port as iam

    found = await iam.get_role(ctx.app, ctx.account_id, role)
    if found is None or not iam.role_trusts_service(found, "cloudformation.amazonaws.com"):
        raise validation(f"Role {role} is invalid or cannot be assumed")


@operation("cloudformation", "CreateStack")
async def create_stack(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["StackName"]
    if params.get("OnFailure") and "DisableRollback" in params:
        raise validation("You cannot specify both OnFailure and DisableRollback.")
    on_failure = params.get("OnFailure") or ("DO_NOTHING" if params.get("DisableRollback") else "ROLLBACK")
    await check_role(ctx, params.get("RoleARN"))
    tpl = await stacks.load(ctx.app, ctx.account_id, ctx.region, params,
                            auto_expand="CAPABILITY_AUTO_EXPAND" in (params.get("Capabilities") or []))
    assert tpl is not None
    stacks.require_capabilities(tpl.doc, params.get("Capabilities") or [])
    resolved = await stacks.resolve_parameters(ctx.app, ctx.account_id, ctx.region, tpl.doc, params.get("Parameters") or [], {})
    sid = arns.cloudformation_stack(ctx.region, ctx.account_id, name, str(uuid.uuid4()))
    now = time.time()
    doc: Doc = {"StackId": sid, "StackName": name, "CreationTime": now, "StackStatus": "CREATE_IN_PROGRESS",
                "DisableRollback": on_failure == "DO_NOTHING", "OnFailure": on_failure,
                "EnableTerminationProtection": bool(params.get("EnableTerminationProtection")),
                "Tags": params.get("Tags") or [], "Capabilities": params.get("Capabilities") or [],
                "NotificationARNs": params.get("NotificationARNs") or [], "Parameters": resolved.described,
                "values": resolved.values, "given": resolved.given, "template": tpl.body, "original": tpl.original,
                "caller": _caller(ctx, params.get("RoleARN")), "op": {"kind": "create", "node": ctx.app.node_id},
                "Outputs": [], "imports": []}
    if tpl.doc.get("Description"):
        doc["Description"] = str(tpl.doc["Description"])
    for k in ("TimeoutInMinutes", "RoleARN", "StackPolicyBody"):
        if params.get(k) is not None:
            doc[k] = params[k]

    def txn(t: Txn) -> Doc:
        if model.find(t, ctx.account_id, ctx.region, name) is not None:
            raise AwsError.modeled("cloudformation", "AlreadyExistsException", f"Stack [{name}] already exists")
        t.put(model.NAMES, f"{ctx.account_id}/{ctx.region}/{name}", {"uuid": model.uuid_of(sid)})
        model.save(t, ctx.account_id, ctx.region, doc)
        return model.add_event(t, ctx.account_id, ctx.region, doc, name, sid, "AWS::CloudFormation::Stack",
                               "CREATE_IN_PROGRESS", "User Initiated", now)

    event = await ctx.app.store.run(txn)
    await notifications.initiated(ctx.app, ctx.account_id, ctx.region, {**doc, "_event": event})
    engine.start(ctx.app, ctx.account_id, ctx.region, sid)
    return {"StackId": sid}


UPDATABLE = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE", "IMPORT_ROLLBACK_COMPLETE",
             "UPDATE_FAILED")


@operation("cloudformation", "UpdateStack")
async def update_stack(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    stack = await ctx.app.store.read(lambda t: model.must_find(t, ctx.account_id, ctx.region, params["StackName"], deleted=False))
    if stack["StackStatus"] not in UPDATABLE:
        raise validation(f"Stack:{stack['StackId']} is in {stack['StackStatus']} state and can not be updated.")
    await check_role(ctx, params.get("RoleARN"))
    expand = "CAPABILITY_AUTO_EXPAND" in (params.get("Capabilities") or stack.get("Capabilities") or [])
    if params.get("UsePreviousTemplate"):
        if params.get("TemplateBody") is not None or params.get("TemplateURL") is not None:
            raise validation("You cannot specify both usePreviousTemplate and Template Body/Template Url.")
        tpl = await stacks.load(ctx.app, ctx.account_id, ctx.region, {"TemplateBody": stack.get("original") or stack["template"], "Parameters": params.get("Parameters")},
                                auto_expand=expand)
    else:
        tpl = await stacks.load(ctx.app, ctx.account_id, ctx.region, params, auto_expand=expand)
    assert tpl is not None
    stacks.require_capabilities(tpl.doc, params.get("Capabilities") or stack.get("Capabilities") or [])
    resolved = await stacks.resolve_parameters(ctx.app, ctx.account_id, ctx.region, tpl.doc,
                                               params.get("Parameters") or [], stack.get("given") or {})
    tags = params.get("Tags") if params.get("Tags") is not None else stack.get("Tags") or []
    if tpl.body == stack["template"] and resolved.given == stack.get("given") and tags == stack.get("Tags"):
        raise validation("No updates are to be performed.")
    now = time.time()
    previous = {k: stack.get(k) for k in ("template", "original", "values", "given", "Parameters", "Outputs", "Description")}
    changes: Doc = {"template": tpl.body, "original": tpl.original, "values": resolved.values, "given": resolved.given,
                    "Parameters": resolved.described, "Tags": tags, "LastUpdatedTime": now,
                    "op": {"kind": "update", "node": ctx.app.node_id, "previous": previous,
                           "disable_rollback": bool(params.get("DisableRollback"))},
                    "Description": tpl.doc.get("Description")}
    if params.get("Capabilities") is not None:
        changes["Capabilities"] = params["Capabilities"]
    if params.get("RoleARN"):
        changes["RoleARN"] = params["RoleARN"]
        changes["caller"] = _caller(ctx, params["RoleARN"])
    elif not stack.get("RoleARN"):
        changes["caller"] = _caller(ctx, None)
    if params.get("StackPolicyBody") is not None:
        changes["StackPolicyBody"] = params["StackPolicyBody"]

    def txn(t: Txn) -> Doc:
        current = model.must_find(t, ctx.account_id, ctx.region, stack["StackId"])
        if current["StackStatus"] not in UPDATABLE:
            raise validation(f"Stack:{stack['StackId']} is in {current['StackStatus']} state and can not be updated.")
        return model.set_status(t, ctx.account_id, ctx.region, stack["StackId"], "UPDATE_IN_PROGRESS", "User Initiated", now,
                                **changes)

    await notifications.initiated(ctx.app, ctx.account_id, ctx.region, await ctx.app.store.run(txn))
    engine.start(ctx.app, ctx.account_id, ctx.region, stack["StackId"])
    return {"StackId": stack["StackId"]}


@operation("cloudformation", "DeleteStack")
async def delete_stack(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    now = time.time()
    retain = set(params.get("RetainResources") or ())
    await check_role(ctx, params.get("RoleARN"))

    def txn(t: Txn) -> Doc | None:
        stack = model.find(t, ctx.account_id, ctx.region, params["StackName"], deleted=False)
        if stack is None or stack["StackStatus"] in ("DELETE_IN_PROGRESS", "DELETE_COMPLETE"):
            return None
        if stack["StackStatus"] == "REVIEW_IN_PROGRESS":  # made by a CREATE change set: nothing to delete
            from gureum.services.cloudformation import changes

            changes.drop_all(t, ctx.account_id, ctx.region, stack["StackId"])
            t.delete(model.NAMES, f"{ctx.account_id}/{ctx.region}/{stack['StackName']}")
            model.set_status(t, ctx.account_id, ctx.region, stack["StackId"], "DELETE_COMPLETE", "", now, DeletionTime=now)
            return None
        if stack.get("EnableTerminationProtection"):
            raise validation(f"Stack [{stack['StackName']}] cannot be deleted while TerminationProtection is enabled")
        if stack["StackStatus"].endswith("_IN_PROGRESS"):
            raise validation(f"Stack [{stack['StackName']}] cannot be deleted while in status {stack['StackStatus']}")
        for e in model.exports(t, ctx.account_id, ctx.region):
            if e["ExportingStackId"] == stack["StackId"]:
                users = model.importers(t, ctx.account_id, ctx.region, e["Name"])
                if users:
                    raise validation(f"Export {e['Name']} cannot be deleted as it is in use by {', '.join(users)}")
        if retain:
            if stack["StackStatus"] != "DELETE_FAILED":
                raise validation("Invalid operation on stack "
                                 f"[{stack['StackId']}]. RetainResources can only be specified when stack is in DELETE_FAILED state")
            for logical in retain:
                row = model.get_resource(t, ctx.account_id, ctx.region, stack["StackId"], logical)
                if row is not None:
                    model.put_resource(t, ctx.account_id, ctx.region, stack, logical, {**row, "DeletionPolicy": "Retain"},
                                       event=False)
        caller = _caller(ctx, params.get("RoleARN")) if params.get("RoleARN") or not stack.get("RoleARN") else stack["caller"]
        return model.set_status(t, ctx.account_id, ctx.region, stack["StackId"], "DELETE_IN_PROGRESS", "User Initiated", now,
                                op={"kind": "delete", "node": ctx.app.node_id}, caller=caller)

    deleting = await ctx.app.store.run(txn)
    if deleting is not None:
        await notifications.initiated(ctx.app, ctx.account_id, ctx.region, deleting)
        engine.start(ctx.app, ctx.account_id, ctx.region, str(deleting["StackId"]))
    return {}


@operation("cloudformation", "DescribeStacks")
async def describe_stacks(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params.get("StackName")
    if name:
        doc = await ctx.app.store.read(lambda t: _with_drift(t, ctx, model.must_find(t, ctx.account_id, ctx.region, name)))
        return {"Stacks": [stacks.shown(doc)]}

    def txn(t: Txn) -> list[Doc]:
        return [_with_drift(t, ctx, d) for _, d in t.scan(model.STACKS, f"{ctx.account_id}/{ctx.region}/")
                if d["StackStatus"] != "DELETE_COMPLETE"]

    items = sorted(await ctx.app.store.read(txn), key=lambda d: (d["CreationTime"], d["StackId"]), reverse=True)
    page, nxt = paging.page_items(items, lambda d: (d["CreationTime"], d["StackId"]), listing="cfn.stacks",
                                  token=params.get("NextToken"), limit=None, default_limit=100, descending=True,
                                  error=_bad_token)
    return {"Stacks": [stacks.shown(d) for d in page], **({"NextToken": nxt} if nxt else {})}


def _with_drift(t: Txn, ctx: RequestContext, doc: Doc) -> Doc:
    return {**doc, "DriftInformation": drift.stack_info(t, ctx.account_id, ctx.region, doc["StackId"])}


@operation("cloudformation", "ListStacks")
async def list_stacks(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    wanted = set(params.get("StackStatusFilter") or ())

    def txn(t: Txn) -> list[Doc]:
        return [_with_drift(t, ctx, d) for _, d in t.scan(model.STACKS, f"{ctx.account_id}/{ctx.region}/")
                if not wanted or d["StackStatus"] in wanted]

    items = sorted(await ctx.app.store.read(txn), key=lambda d: (d["CreationTime"], d["StackId"]), reverse=True)
    page, nxt = paging.page_items(items, lambda d: (d["CreationTime"], d["StackId"]), listing="cfn.list-stacks",
                                  token=params.get("NextToken"), limit=None, default_limit=100, descending=True,
                                  filters={"s": sorted(wanted)}, error=_bad_token)
    out = []
    for d in page:
        s = {k: d[k] for k in ("StackId", "StackName", "CreationTime", "LastUpdatedTime", "DeletionTime", "StackStatus",
                               "StackStatusReason") if d.get(k) is not None}
        if d.get("Description"):
            s["TemplateDescription"] = d["Description"]
        s["DriftInformation"] = d["DriftInformation"]
        out.append(s)
    return {"StackSummaries": out, **({"NextToken": nxt} if nxt else {})}


@operation("cloudformation", "DescribeStackEvents")
async def describe_stack_events(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> list[tuple[str, Doc]]:
        stack = model.must_find(t, ctx.account_id, ctx.region, params["StackName"])
        prefix = model.stack_key(ctx.account_id, ctx.region, model.uuid_of(stack["StackId"])) + "/"
        return list(t.scan(model.EVENTS, prefix))

    rows = list(reversed(await ctx.app.store.read(txn)))
    page, nxt = paging.page_items(rows, lambda r: r[0], listing="cfn.events", token=params.get("NextToken"), limit=None,
                                  default_limit=100, descending=True, error=_bad_token)
    return {"StackEvents": [e for _, e in page], **({"NextToken": nxt} if nxt else {})}


def _resource_rows(t: Txn, ctx: RequestContext, stack: Doc) -> list[tuple[str, Doc]]:
    """The stack's resource rows, each with its DriftInformation (as "drift")."""
    infos = drift.resource_infos(t, ctx.account_id, ctx.region, stack["StackId"])
    return [(n, {**r, "drift": infos.get(n)}) for n, r in model.resources(t, ctx.account_id, ctx.region, stack["StackId"])]


@operation("cloudformation", "DescribeStackResource")
async def describe_stack_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    logical = params["LogicalResourceId"]

    def txn(t: Txn) -> tuple[Doc, Doc | None]:
        stack = model.must_find(t, ctx.account_id, ctx.region, params["StackName"])
        return stack, dict(_resource_rows(t, ctx, stack)).get(logical)

    stack, row = await ctx.app.store.read(txn)
    if row is None:
        raise validation(f"Resource {logical} does not exist for stack {params['StackName']}")
    detail = _row_out(stack, row, "LastUpdatedTimestamp")
    detail["Metadata"] = json.dumps(_metadata(stack, logical))
    return {"StackResourceDetail": detail}


def _metadata(stack: Doc, logical: str) -> Any:
    from gureum.services.cloudformation.template import parse

    try:
        return (parse(stack["template"]).get("Resources") or {}).get(logical, {}).get("Metadata") or {}
    except TemplateError:
        return {}


def _row_out(stack: Doc, row: Doc, time_key: str) -> Doc:
    out: Doc = {"StackName": stack["StackName"], "StackId": stack["StackId"], "LogicalResourceId": row["LogicalResourceId"],
                "ResourceType": row["ResourceType"], time_key: row.get("Timestamp", 0.0), "ResourceStatus": row["ResourceStatus"],
                "DriftInformation": row.get("drift") or {"StackResourceDriftStatus": "NOT_CHECKED"}}
    if row.get("PhysicalResourceId"):
        out["PhysicalResourceId"] = row["PhysicalResourceId"]
    if row.get("ResourceStatusReason"):
        out["ResourceStatusReason"] = row["ResourceStatusReason"]
    return out


@operation("cloudformation", "DescribeStackResources")
async def describe_stack_resources(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name, physical, logical = params.get("StackName"), params.get("PhysicalResourceId"), params.get("LogicalResourceId")
    if name and physical:
        raise validation("Cannot specify both StackName and PhysicalResourceId")
    if not name and not physical:
        raise validation("Either StackName or PhysicalResourceId must be specified")

    def txn(t: Txn) -> tuple[Doc, list[tuple[str, Doc]]]:
        if name:
            stack = model.must_find(t, ctx.account_id, ctx.region, name)
            return stack, _resource_rows(t, ctx, stack)
        for _key, s in t.scan(model.STACKS, f"{ctx.account_id}/{ctx.region}/"):
            if s["StackStatus"] == "DELETE_COMPLETE":
                continue
            rows = _resource_rows(t, ctx, s)
            if any(r.get("PhysicalResourceId") == physical for _, r in rows):
                return s, rows
        raise validation(f"Stack for {physical} does not exist")

    stack, rows = await ctx.app.store.read(txn)
    out = [_row_out(stack, r, "Timestamp") for n, r in rows if not logical or n == logical]
    return {"StackResources": out}


@operation("cloudformation", "ListStackResources")
async def list_stack_resources(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> tuple[Doc, list[tuple[str, Doc]]]:
        stack = model.must_find(t, ctx.account_id, ctx.region, params["StackName"])
        return stack, _resource_rows(t, ctx, stack)

    stack, rows = await ctx.app.store.read(txn)
    page, nxt = paging.page_items(rows, lambda r: r[0], listing=f"cfn.resources/{stack['StackId']}",
                                  token=params.get("NextToken"), limit=None, default_limit=100, error=_bad_token)
    out = []
    for _, r in page:
        s = _row_out(stack, r, "LastUpdatedTimestamp")
        for k in ("StackName", "StackId"):
            s.pop(k)
        out.append(s)
    return {"StackResourceSummaries": out, **({"NextToken": nxt} if nxt else {})}


@operation("cloudformation", "GetTemplate")
async def get_template(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params.get("StackName")
    if not name:
        raise validation("Either StackName or ChangeSetName must be specified")
    stack = await ctx.app.store.read(lambda t: model.must_find(t, ctx.account_id, ctx.region, name))
    body = stack["template"] if params.get("TemplateStage") == "Processed" else stack.get("original") or stack["template"]
    return {"TemplateBody": body, "StagesAvailable": ["Original", "Processed"]}


@operation("cloudformation", "GetTemplateSummary")
async def get_template_summary(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("StackName"):
        stack = await ctx.app.store.read(lambda t: model.must_find(t, ctx.account_id, ctx.region, params["StackName"]))
        tpl = await stacks.load(ctx.app, ctx.account_id, ctx.region, {"TemplateBody": stack.get("original") or stack["template"], "Parameters": params.get("Parameters")})
    else:
        tpl = await stacks.load(ctx.app, ctx.account_id, ctx.region, params)
    assert tpl is not None
    return {**stacks.template_summary(tpl.doc), "DeclaredTransforms": list(tpl.transforms)}


@operation("cloudformation", "ValidateTemplate")
async def validate_template(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    tpl = await stacks.load(ctx.app, ctx.account_id, ctx.region, params)
    assert tpl is not None
    out: Doc = {"Parameters": parameters.declared_summary(tpl.doc.get("Parameters") or {}),
                "DeclaredTransforms": list(tpl.transforms)}
    if tpl.doc.get("Description"):
        out["Description"] = str(tpl.doc["Description"])
    caps, reason = stacks.capabilities(tpl.doc)
    if caps:
        out["Capabilities"], out["CapabilitiesReason"] = caps, reason
    return out


@operation("cloudformation", "ListExports")
async def list_exports(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    items = await ctx.app.store.read(lambda t: list(model.exports(t, ctx.account_id, ctx.region)))
    page, nxt = paging.page_items(items, lambda d: d["Name"], listing="cfn.exports", token=params.get("NextToken"),
                                  limit=None, default_limit=100, error=_bad_token)
    return {"Exports": page, **({"NextToken": nxt} if nxt else {})}


@operation("cloudformation", "ListImports")
async def list_imports(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["ExportName"]
    users = await ctx.app.store.read(lambda t: model.importers(t, ctx.account_id, ctx.region, name))
    if not users:
        raise validation(f"Export '{name}' is not imported by any stack.")
    page, nxt = paging.page_items(sorted(users), lambda s: s, listing=f"cfn.imports/{name}", token=params.get("NextToken"),
                                  limit=None, default_limit=100, error=_bad_token)
    return {"Imports": page, **({"NextToken": nxt} if nxt else {})}


@operation("cloudformation", "UpdateTerminationProtection")
async def update_termination_protection(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> str:
        stack = model.must_find(t, ctx.account_id, ctx.region, params["StackName"], deleted=False)
        stack["EnableTerminationProtection"] = bool(params["EnableTerminationProtection"])
        model.save(t, ctx.account_id, ctx.region, stack)
        return str(stack["StackId"])

    return {"StackId": await ctx.app.store.run(txn)}


@operation("cloudformation", "SetStackPolicy")
async def set_stack_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    body = params.get("StackPolicyBody")
    if body is None:
        raise validation("Either StackPolicyBody or StackPolicyURL must be specified")
    try:
        json.loads(body)
    except json.JSONDecodeError:
        raise validation("Error validating stack policy: Invalid stack policy") from None

    def txn(t: Txn) -> None:
        stack = model.must_find(t, ctx.account_id, ctx.region, params["StackName"], deleted=False)
        stack["StackPolicyBody"] = body
        model.save(t, ctx.account_id, ctx.region, stack)

    await ctx.app.store.run(txn)
    return {}


@operation("cloudformation", "GetStackPolicy")
async def get_stack_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    stack = await ctx.app.store.read(lambda t: model.must_find(t, ctx.account_id, ctx.region, params["StackName"]))
    return {"StackPolicyBody": stack["StackPolicyBody"]} if stack.get("StackPolicyBody") else {}


@operation("cloudformation", "CancelUpdateStack")
async def cancel_update_stack(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> None:
        stack = model.must_find(t, ctx.account_id, ctx.region, params["StackName"], deleted=False)
        if stack["StackStatus"] != "UPDATE_IN_PROGRESS":
            raise validation(f"CancelUpdateStack cannot be called from current stack status {stack['StackStatus']}")
        stack["op"] = {**(stack.get("op") or {}), "cancel": True}
        model.save(t, ctx.account_id, ctx.region, stack)

    await ctx.app.store.run(txn)
    return {}


@operation("cloudformation", "ContinueUpdateRollback")
async def continue_update_rollback(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    now = time.time()
    skip = set(params.get("ResourcesToSkip") or ())

    def txn(t: Txn) -> str:
        stack = model.must_find(t, ctx.account_id, ctx.region, params["StackName"], deleted=False)
        if stack["StackStatus"] != "UPDATE_ROLLBACK_FAILED":
            raise validation(f"Stack {stack['StackName']} is in {stack['StackStatus']} state and can not continue "
                             "update rollback.")
        for logical in skip:  # left as they are, marked rolled back
            row = model.get_resource(t, ctx.account_id, ctx.region, stack["StackId"], logical)
            if row is not None:
                kept = {k: v for k, v in row.items() if k not in ("old",)}
                model.put_resource(t, ctx.account_id, ctx.region, stack, logical, {**kept, "ResourceStatus": "UPDATE_COMPLETE"},
                                   event=False)
        op = stack.get("op") or {"kind": "update", "previous": {}}
        model.set_status(t, ctx.account_id, ctx.region, stack["StackId"], "UPDATE_ROLLBACK_IN_PROGRESS", "User Initiated", now,
                         op={**op, "node": ctx.app.node_id})
        return str(stack["StackId"])

    sid = await ctx.app.store.run(txn)
    engine.start(ctx.app, ctx.account_id, ctx.region, sid)
    return {}


@operation("cloudformation", "DescribeAccountLimits")
async def describe_account_limits(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"AccountLimits": [{"Name": "StackLimit", "Value": 2000}, {"Name": "StackOutputsLimit", "Value": 200}]}


@operation("cloudformation", "RollbackStack")
async def rollback_stack(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """A stack left CREATE_FAILED or UPDATE_FAILED (DisableRollback) rolled back now."""
    now = time.time()

    def txn(t: Txn) -> tuple[str, str]:
        stack = model.must_find(t, ctx.account_id, ctx.region, params["StackName"], deleted=False)
        status = stack["StackStatus"]
        if status == "CREATE_FAILED":
            nxt, op = "ROLLBACK_IN_PROGRESS", {"kind": "create", "node": ctx.app.node_id}
        elif status == "UPDATE_FAILED":
            nxt, op = "UPDATE_ROLLBACK_IN_PROGRESS", {**(stack.get("op") or {}), "node": ctx.app.node_id}
        else:
            raise validation(f"Stack {stack['StackName']} is in {status} state and can not be rolled back.")
        model.set_status(t, ctx.account_id, ctx.region, stack["StackId"], nxt, "User Initiated", now, op=op)
        return str(stack["StackId"]), nxt

    sid, _ = await ctx.app.store.run(txn)
    engine.start(ctx.app, ctx.account_id, ctx.region, sid)
    return {"StackId": sid}
