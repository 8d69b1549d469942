"""CloudFormation's drift handlers: DetectStackDrift (asynchronous: a node task checks the
resources, DescribeStackDriftDetectionStatus follows it), DetectStackResourceDrift (one
resource, answered at once) and DescribeStackResourceDrifts (drift.py holds the rules)."""

from __future__ import annotations

import time
from typing import Any

from gureum.aws import paging
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.internal_call import Caller
from gureum.services.cloudformation import drift, model
from gureum.store import Txn

Doc = dict[str, Any]
STATUS_FIELDS = ("StackId", "StackDriftDetectionId", "StackDriftStatus", "DetectionStatus", "DetectionStatusReason",
                 "DriftedStackResourceCount", "Timestamp")


def _reader(ctx: RequestContext, stack: Doc) -> Caller:
    """Who reads the resources back: the stack's service role when it has one, else the caller."""
    if stack.get("RoleARN") and stack.get("caller"):
        c = stack["caller"]
        return Caller(ctx.account_id, ctx.region, c["principal"], c.get("key", ""))
    return Caller(ctx.account_id, ctx.region, ctx.principal_arn, ctx.access_key_id)


@operation("cloudformation", "DetectStackDrift")
async def detect_stack_drift(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    only = list(params.get("LogicalResourceIds") or ()) or None
    now = time.time()
    detection, stack = await ctx.app.store.run(
        lambda t: drift.begin(t, ctx.account_id, ctx.region, params["StackName"], only, ctx.app.node_id, now))
    ctx.app.spawn(drift.run(ctx.app, _reader(ctx, stack), ctx.account_id, ctx.region, detection, stack, only),
                  name=f"cloudformation drift {detection}")
    return {"StackDriftDetectionId": detection}


@operation("cloudformation", "DescribeStackDriftDetectionStatus")
async def describe_stack_drift_detection_status(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.read(lambda t: drift.detection(t, ctx.account_id, ctx.region, params["StackDriftDetectionId"]))
    return {k: doc[k] for k in STATUS_FIELDS if doc.get(k) is not None}


@operation("cloudformation", "DetectStackResourceDrift")
async def detect_stack_resource_drift(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    logical = params["LogicalResourceId"]

    def txn(t: Txn) -> tuple[Doc, Doc]:
        stack = drift.stable_stack(t, ctx.account_id, ctx.region, params["StackName"])
        row = model.get_resource(t, ctx.account_id, ctx.region, stack["StackId"], logical)
        if row is None or row.get("ResourceStatus") not in drift.CHECKABLE:
            raise model.validation(f"Resource {logical} does not exist for stack {params['StackName']}")
        if not drift.supported(row["ResourceType"]):
            raise model.validation("Drift detection is not supported for the specified ResourceType")
        return stack, row

    stack, row = await ctx.app.store.read(txn)
    try:
        result = await drift.check_resource(ctx.app, _reader(ctx, stack), stack, row, time.time())
    except drift.CheckFailed as e:
        raise model.validation(f"Failed to detect drift on resource {logical}: {e}") from None
    await ctx.app.store.run(lambda t: drift.save_resource(t, ctx.account_id, ctx.region, result))
    return {"StackResourceDrift": result}


@operation("cloudformation", "DescribeStackResourceDrifts")
async def describe_stack_resource_drifts(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    wanted = set(params.get("StackResourceDriftStatusFilters") or ())

    def txn(t: Txn) -> list[Doc]:
        stack = model.must_find(t, ctx.account_id, ctx.region, params["StackName"])
        return [r for r in drift.resource_drifts(t, ctx.account_id, ctx.region, stack["StackId"])
                if not wanted or r["StackResourceDriftStatus"] in wanted]

    rows = await ctx.app.store.read(txn)
    page, nxt = paging.page_items(rows, lambda r: r["LogicalResourceId"], listing=f"cfn.drifts/{params['StackName']}",
                                  token=params.get("NextToken"), limit=params.get("MaxResults"), default_limit=100,
                                  max_limit=100, filters={"s": sorted(wanted)}, error=lambda: model.validation("Invalid NextToken"))
    return {"StackResourceDrifts": page, **({"NextToken": nxt} if nxt else {})}
