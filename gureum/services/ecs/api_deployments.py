"""ECS handlers for service deployments and revisions (service_history.py), task sets of
EXTERNAL services (task_sets.py) and ListServicesByNamespace (services.py)."""

from __future__ import annotations

from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.ecs import model, task_sets
from gureum.services.ecs import service_history as history
from gureum.services.ecs import services as svc
from gureum.services.ecs.paging import page as _page
from gureum.store import Txn


# --- service deployments and revisions ---------------------------------------------------------
@operation("ecs", "ListServiceDeployments")
async def list_service_deployments(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> list[dict[str, Any]]:
        cluster = model.get_cluster(t, ctx.account_id, ctx.region, params.get("cluster"))
        name = params["service"].rsplit("/", 1)[-1]
        if svc.find_service(t, ctx.account_id, ctx.region, cluster["clusterName"], name) is None:
            raise AwsError.modeled("ecs", "ServiceNotFoundException", "Service not found.")
        return history.listing(t, ctx.account_id, ctx.region, cluster["clusterName"], name)

    recs = await ctx.app.store.read(txn)
    wanted = set(params.get("status") or [])
    created = params.get("createdAt") or {}
    after, before = created.get("after"), created.get("before")
    recs = [r for r in recs if (not wanted or r["status"] in wanted)
            and (after is None or r["createdAt"] >= after.timestamp())
            and (before is None or r["createdAt"] <= before.timestamp())]
    page, token = _page(recs, lambda r: (-r["createdAt"], r["serviceDeploymentArn"]),
                        "ecs.svcdeploys/" + ctx.account_id + ctx.region + params["service"], params, ("status",), default=20, limit=100)
    return {"serviceDeployments": [history.brief(r) for r in page], **({"nextToken": token} if token else {})}


@operation("ecs", "DescribeServiceDeployments")
async def describe_service_deployments(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    arns_ = params["serviceDeploymentArns"]
    if not 1 <= len(arns_) <= 20:
        raise AwsError.modeled("ecs", "InvalidParameterException", "serviceDeploymentArns must hold 1 to 20 ARNs.")

    def txn(t: Txn) -> dict[str, Any]:
        out, failures = [], []
        for arn in arns_:
            rec = history.find(t, ctx.account_id, history.DEPLOYS, "service-deployment", arn)
            if rec is None:
                failures.append({"arn": arn, "reason": "MISSING"})
                continue
            found = history.service_of(t, rec)
            out.append(history.public(t, rec, found[1] if found else None))
        return {"serviceDeployments": out, "failures": failures}

    return await ctx.app.store.read(txn)


@operation("ecs", "DescribeServiceRevisions")
async def describe_service_revisions(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    arns_ = params["serviceRevisionArns"]
    if not 1 <= len(arns_) <= 20:
        raise AwsError.modeled("ecs", "InvalidParameterException", "serviceRevisionArns must hold 1 to 20 ARNs.")

    def txn(t: Txn) -> dict[str, Any]:
        out, failures = [], []
        for arn in arns_:
            rev = history.find(t, ctx.account_id, history.REVISIONS, "service-revision", arn)
            if rev is None:
                failures.append({"arn": arn, "reason": "MISSING"})
            else:
                out.append(rev)
        return {"serviceRevisions": out, "failures": failures}

    return await ctx.app.store.read(txn)


@operation("ecs", "StopServiceDeployment")
async def stop_service_deployment(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    arn = await ctx.app.store.run(lambda t: svc.stop_deployment(t, ctx.account_id, params["serviceDeploymentArn"], params.get("stopType")))
    return {"serviceDeploymentArn": arn}


@operation("ecs", "ContinueServiceDeployment")
async def continue_service_deployment(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> None:
        rec = history.find(t, ctx.account_id, history.DEPLOYS, "service-deployment", params["serviceDeploymentArn"])
        if rec is None:
            raise AwsError.modeled("ecs", "ServiceDeploymentNotFoundException", "The service deployment does not exist.")
        # gureum's deployments run no lifecycle hooks, so none is ever paused waiting for this call
        raise AwsError.modeled("ecs", "InvalidParameterException",
                               f"The service deployment is not paused at lifecycle hook {params['hookId']}.")

    await ctx.app.store.read(txn)
    return {"serviceDeploymentArn": params["serviceDeploymentArn"]}


# --- task sets ----------------------------------------------------------------------------------
@operation("ecs", "CreateTaskSet")
async def create_task_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    ts = await ctx.app.store.run(lambda t: task_sets.create(t, ctx.account_id, ctx.region, params))
    return {"taskSet": task_sets.view(ts)}


@operation("ecs", "UpdateTaskSet")
async def update_task_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    ts = await ctx.app.store.run(lambda t: task_sets.update(t, ctx.account_id, ctx.region, params))
    return {"taskSet": task_sets.view(ts)}


@operation("ecs", "DeleteTaskSet")
async def delete_task_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    ts = await ctx.app.store.run(lambda t: task_sets.delete(t, ctx.account_id, ctx.region, params))
    return {"taskSet": task_sets.view(ts)}


@operation("ecs", "UpdateServicePrimaryTaskSet")
async def update_service_primary_task_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    ts = await ctx.app.store.run(lambda t: task_sets.make_primary(t, ctx.account_id, ctx.region, params))
    return {"taskSet": task_sets.view(ts)}


@operation("ecs", "DescribeTaskSets")
async def describe_task_sets(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    found, failures = await ctx.app.store.read(lambda t: task_sets.describe(t, ctx.account_id, ctx.region, params))
    return {"taskSets": found, "failures": failures}


# --- Service Connect ----------------------------------------------------------------------------
@operation("ecs", "ListServicesByNamespace")
async def list_services_by_namespace(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    found = await ctx.app.store.read(lambda t: svc.services_in_namespace(t, ctx.account_id, ctx.region, params["namespace"]))
    page, token = _page(found, lambda a: a, "ecs.bynamespace/" + ctx.account_id + ctx.region + params["namespace"], params,
                        default=10, limit=100)
    return {"serviceArns": page, **({"nextToken": token} if token else {})}
