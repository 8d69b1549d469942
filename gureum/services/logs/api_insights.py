"""Logs Insights handlers (json protocol): StartQuery, GetQueryResults, StopQuery,
DescribeQueries, ListLogGroupsForQuery and the query definitions, over queries.py; an
accepted query runs in the background on this node (query_runner.py)."""

from __future__ import annotations

from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.logs import queries, query_runner


@operation("logs", "StartQuery")
async def start_query(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("queryLanguage") not in (None, queries.LANGUAGE):
        raise AwsError.modeled("logs", "InvalidParameterException",
                                f"Query language {params['queryLanguage']} is not supported; use CWLI.")
    qid = await ctx.app.store.run(lambda t: queries.start(t, ctx.account_id, ctx.region, params))
    ctx.app.spawn(query_runner.execute(ctx.app, ctx.account_id, ctx.region, qid), f"logs query {qid}")
    return {"queryId": qid}


@operation("logs", "GetQueryResults")
async def get_query_results(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.read(lambda t: queries.results(t, ctx.account_id, ctx.region, params["queryId"],
                                                              params.get("nextToken"), params.get("maxItems")))


@operation("logs", "StopQuery")
async def stop_query(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"success": await ctx.app.store.run(lambda t: queries.stop(t, ctx.account_id, ctx.region, params["queryId"]))}


@operation("logs", "DescribeQueries")
async def describe_queries(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    items, nxt = await ctx.app.store.read(lambda t: queries.describe(t, ctx.account_id, ctx.region, params))
    return {"queries": items, **({"nextToken": nxt} if nxt else {})}


@operation("logs", "ListLogGroupsForQuery")
async def list_log_groups_for_query(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    items, nxt = await ctx.app.store.read(lambda t: queries.log_groups_of(t, ctx.account_id, ctx.region, params))
    return {"logGroupIdentifiers": items, **({"nextToken": nxt} if nxt else {})}


@operation("logs", "PutQueryDefinition")
async def put_query_definition(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"queryDefinitionId": await ctx.app.store.run(lambda t: queries.put_definition(t, ctx.account_id, ctx.region, params))}


@operation("logs", "DescribeQueryDefinitions")
async def describe_query_definitions(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    items, nxt = await ctx.app.store.read(lambda t: queries.describe_definitions(t, ctx.account_id, ctx.region, params))
    return {"queryDefinitions": items, **({"nextToken": nxt} if nxt else {})}


@operation("logs", "DeleteQueryDefinition")
async def delete_query_definition(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: queries.delete_definition(t, ctx.account_id, ctx.region, params["queryDefinitionId"]))
    return {"success": True}
