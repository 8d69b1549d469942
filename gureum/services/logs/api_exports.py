"""CloudWatch Logs handlers for export tasks: thin over exports.py."""

from __future__ import annotations

from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.services.logs import exports, model


@operation("logs", "CreateExportTask")
async def create_export_task(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.read(lambda t: model.get_group(t, ctx.account_id, ctx.region, params["logGroupName"]))
    await exports.check_bucket(ctx.app, ctx.account_id, ctx.region, params)
    now = model.now_ms()
    return {"taskId": await ctx.app.store.run(lambda t: exports.create(t, ctx.account_id, ctx.region, params, now))}


@operation("logs", "CancelExportTask")
async def cancel_export_task(ctx: RequestContext, params: dict[str, Any]) -> None:
    now = model.now_ms()
    await ctx.app.store.run(lambda t: exports.cancel(t, ctx.account_id, ctx.region, params["taskId"], now))


@operation("logs", "DescribeExportTasks")
async def describe_export_tasks(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    items, token = await ctx.app.store.read(lambda t: exports.describe(t, ctx.account_id, ctx.region, params))
    return {"exportTasks": items, **({"nextToken": token} if token else {})}
