"""Cost Explorer's cost category definitions: CreateCostCategoryDefinition,
DescribeCostCategoryDefinition, UpdateCostCategoryDefinition, DeleteCostCategoryDefinition,
ListCostCategoryDefinitions (rules and storage: categories.py). Answered in one page."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.ce import categories, query


def _now_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@operation("ce", "CreateCostCategoryDefinition")
async def create_cost_category_definition(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("ResourceTags"):
        raise query.invalid("gureum does not tag cost categories yet: ResourceTags are not supported")
    doc = await ctx.app.store.run(lambda t: categories.create(t, ctx.account_id, params, time.time()))
    return {"CostCategoryArn": doc["CostCategoryArn"], "EffectiveStart": doc["EffectiveStart"]}


@operation("ce", "DescribeCostCategoryDefinition")
async def describe_cost_category_definition(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.read(lambda t: categories.get(t, ctx.account_id, params["CostCategoryArn"]))
    return {"CostCategory": {**doc, "ProcessingStatus": [{"Component": "COST_EXPLORER", "Status": "APPLIED"}]}}


@operation("ce", "UpdateCostCategoryDefinition")
async def update_cost_category_definition(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.run(lambda t: categories.update(t, ctx.account_id, params, time.time()))
    return {"CostCategoryArn": doc["CostCategoryArn"], "EffectiveStart": doc["EffectiveStart"]}


@operation("ce", "DeleteCostCategoryDefinition")
async def delete_cost_category_definition(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: categories.delete(t, ctx.account_id, params["CostCategoryArn"]))
    return {"CostCategoryArn": params["CostCategoryArn"], "EffectiveEnd": _now_text()}


@operation("ce", "ListCostCategoryDefinitions")
async def list_cost_category_definitions(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("NextToken"):  # gureum answers in one page: it never hands out a token
        raise AwsError.modeled("ce", "InvalidNextTokenException", "The pagination token is invalid.")
    docs = await ctx.app.store.read(lambda t: categories.list_all(t, ctx.account_id))
    refs = []
    for d in docs:
        values = sorted({r["Value"] for r in d["Rules"] if r.get("Value")} | ({d["DefaultValue"]} if d.get("DefaultValue") else set()))
        refs.append({"CostCategoryArn": d["CostCategoryArn"], "Name": d["Name"], "EffectiveStart": d["EffectiveStart"],
                     "NumberOfRules": len(d["Rules"]), "Values": values,
                     "ProcessingStatus": [{"Component": "COST_EXPLORER", "Status": "APPLIED"}],
                     **({"DefaultValue": d["DefaultValue"]} if d.get("DefaultValue") else {})})
    return {"CostCategoryReferences": refs}
