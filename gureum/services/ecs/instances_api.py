"""ECS container-instance operations and StartTask (json protocol), thin over instances.py.
Imported by api.py so that its handlers register with the ECS API module."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gureum.aws.arn import looks_like_arn
from gureum.aws.dispatch import Handler, RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.ecs import instances as ci
from gureum.services.ecs import model
from gureum.services.ecs.paging import page as _page
from gureum.store import Txn


def ecs(name: str) -> Callable[[Handler], Handler]:
    return operation("ecs", name)


@ecs("RegisterContainerInstance")
async def register_container_instance(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    node = ctx.app.node_id

    def txn(t: Txn) -> dict[str, Any]:
        doc = ci.register(t, ctx.account_id, ctx.region, params, node)
        tasks = ci.tasks_on(t, ctx.account_id, ctx.region, doc["_"]["cluster"]).get(doc["containerInstanceArn"], [])
        return ci.view(doc, tasks, ["TAGS"])

    return {"containerInstance": await ctx.app.store.run(txn)}


@ecs("DescribeContainerInstances")
async def describe_container_instances(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    refs = params["containerInstances"]
    if not refs:
        raise AwsError.modeled("ecs", "InvalidParameterException", "ContainerInstances cannot be empty.")
    if len(refs) > 100:
        raise AwsError.modeled(
            "ecs", "InvalidParameterException", "ContainerInstances cannot have more than 100 elements."
        )
    include = params.get("include") or []

    def txn(t: Txn) -> dict[str, Any]:
        cluster = model.get_cluster(t, ctx.account_id, ctx.region, params.get("cluster"))
        cname = cluster["clusterName"]
        by_arn = ci.tasks_on(t, ctx.account_id, ctx.region, cname)
        out, failures = [], []
        for ref in refs:
            found = ci.find(t, ctx.account_id, ctx.region, cname, ref)
            if found is None:
                arn = ref if looks_like_arn(ref) else ci.instance_arn(ctx.account_id, ctx.region, cname, ref)
                failures.append({"arn": arn, "reason": "MISSING"})
            else:
                out.append(ci.view(found[1], by_arn.get(found[1]["containerInstanceArn"], []), include))
        return {"containerInstances": out, "failures": failures}

    return await ctx.app.store.read(txn)


@ecs("ListContainerInstances")
async def list_container_instances(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    status = params.get("status")
    if status and status not in ("ACTIVE", "DRAINING", "REGISTERING", "DEREGISTERING", "REGISTRATION_FAILED"):
        raise AwsError.modeled(
            "ecs",
            "InvalidParameterException",
            "Status must be one of ACTIVE, DRAINING, REGISTERING, DEREGISTERING, REGISTRATION_FAILED.",
        )
    expr = params.get("filter") or ""

    def txn(t: Txn) -> tuple[str, list[tuple[float, str]]]:
        cluster = model.get_cluster(t, ctx.account_id, ctx.region, params.get("cluster"))
        out = []
        for _, d in ci.cluster_instances(t, ctx.account_id, ctx.region, cluster["clusterName"]):
            if (status and d["status"] != status) or (not status and d["status"] == "INACTIVE"):
                continue
            if expr and not ci.match(expr, d):
                continue
            out.append((d["registeredAt"], d["containerInstanceArn"]))
        return cluster["clusterName"], sorted(out)

    cluster, found = await ctx.app.store.read(txn)
    listing = f"ecs.instances/{model.scope(ctx.account_id, ctx.region)}{cluster}"
    chunk, token = _page(found, lambda x: x, listing, params, ("status", "filter"))
    return {"containerInstanceArns": [a for _, a in chunk], **({"nextToken": token} if token else {})}


@ecs("DeregisterContainerInstance")
async def deregister_container_instance(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> dict[str, Any]:
        cluster = model.get_cluster(t, ctx.account_id, ctx.region, params.get("cluster"))
        cname = cluster["clusterName"]
        found = ci.find(t, ctx.account_id, ctx.region, cname, params["containerInstance"])
        if found is None or found[1]["status"] == "INACTIVE":
            raise ci.unknown_instance()
        tasks = ci.tasks_on(t, ctx.account_id, ctx.region, cname).get(found[1]["containerInstanceArn"], [])
        doc = ci.deregister(t, found[0], found[1], tasks, bool(params.get("force")))
        return ci.view(doc, tasks, ["TAGS"])

    return {"containerInstance": await ctx.app.store.run(txn)}


@ecs("UpdateContainerInstancesState")
async def update_container_instances_state(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    status = params["status"]
    if status not in ("ACTIVE", "DRAINING"):
        raise AwsError.modeled(
            "ecs", "InvalidParameterException", "Container instances status should be one of [ACTIVE, DRAINING]."
        )
    if len(params["containerInstances"]) > 10:
        raise AwsError.modeled(
            "ecs", "InvalidParameterException", "ContainerInstances cannot have more than 10 elements."
        )

    def txn(t: Txn) -> dict[str, Any]:
        cluster = model.get_cluster(t, ctx.account_id, ctx.region, params.get("cluster"))
        cname = cluster["clusterName"]
        by_arn = ci.tasks_on(t, ctx.account_id, ctx.region, cname)
        out, failures = [], []
        for ref in params["containerInstances"]:
            found = ci.find(t, ctx.account_id, ctx.region, cname, ref)
            if found is None or found[1]["status"] == "INACTIVE":
                arn = ref if looks_like_arn(ref) else ci.instance_arn(ctx.account_id, ctx.region, cname, ref)
                failures.append({"arn": arn, "reason": "MISSING"})
                continue
            doc = ci.set_state(t, found[0], found[1], status)
            out.append(ci.view(doc, by_arn.get(doc["containerInstanceArn"], []), ["TAGS"]))
        return {"containerInstances": out, "failures": failures}

    return await ctx.app.store.run(txn)


def create_ec2_tasks(
    t: Txn,
    account: str,
    region: str,
    cluster: dict[str, Any],
    taskdef: dict[str, Any],
    params: dict[str, Any],
    count: int,
    only: list[str] | None = None,
    capacity_provider: str | None = None,
) -> dict[str, Any]:
    """RunTask (count tasks placed by strategy) or StartTask (one per named instance) on
    the EC2 launch type (through an Auto Scaling group `capacity_provider` when one chose it)."""
    cname = cluster["clusterName"]
    constraints = list(taskdef.get("placementConstraints") or []) + list(params.get("placementConstraints") or [])
    strategy = params.get("placementStrategy") or []
    ci.check_constraints(constraints)
    ci.check_strategy(strategy)
    if only is None and not any(d["status"] in ("ACTIVE", "DRAINING") for _, d in ci.cluster_instances(t, account, region, cname)):
        raise AwsError.modeled("ecs", "InvalidParameterException", "No Container Instances were found in your cluster.")
    network = model.check_network(taskdef, "EC2", params.get("networkConfiguration"))
    overrides = params.get("overrides") or {}
    req = ci.requirements(taskdef, overrides)
    group = params.get("group") or f"family:{taskdef['family']}"
    chosen, failures = ci.place(t, account, region, cname, req, count, group, strategy, constraints, only)
    tasks = []
    for cand in chosen:
        doc = model.new_task(
            t,
            account,
            region,
            cluster,
            taskdef,
            launch_type="EC2",
            capacity_provider=capacity_provider,
            network=network,
            overrides=overrides,
            started_by=params.get("startedBy"),
            group=params.get("group"),
            tags=params.get("tags") or [],
            platform_version=None,
            execute_command=bool(params.get("enableExecuteCommand")),
        )
        ci.attach(t, doc, cand, req)
        tasks.append(model.task_view(doc, True))
    return {"tasks": tasks, "failures": failures}


@ecs("StartTask")
async def start_task(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    refs = params["containerInstances"]
    if not 1 <= len(refs) <= 10:
        raise AwsError.modeled(
            "ecs", "InvalidParameterException", "containerInstances must have between 1 and 10 elements."
        )

    def txn(t: Txn) -> dict[str, Any]:
        cluster = model.get_cluster(t, ctx.account_id, ctx.region, params.get("cluster"))
        taskdef = model.get_taskdef(t, ctx.account_id, ctx.region, params["taskDefinition"], active_only=True)
        return create_ec2_tasks(t, ctx.account_id, ctx.region, cluster, taskdef, params, len(refs), only=list(refs))

    return await ctx.app.store.run(txn)


# --- custom attributes --------------------------------------------------------------------------
@ecs("PutAttributes")
async def put_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> list[dict[str, Any]]:
        cluster = model.get_cluster(t, ctx.account_id, ctx.region, params.get("cluster"))
        return ci.put_attributes(t, ctx.account_id, ctx.region, cluster["clusterName"], params.get("attributes") or [])

    return {"attributes": await ctx.app.store.run(txn)}


@ecs("DeleteAttributes")
async def delete_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> list[dict[str, Any]]:
        cluster = model.get_cluster(t, ctx.account_id, ctx.region, params.get("cluster"))
        return ci.delete_attributes(t, ctx.account_id, ctx.region, cluster["clusterName"], params.get("attributes") or [])

    return {"attributes": await ctx.app.store.run(txn)}


@ecs("ListAttributes")
async def list_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> tuple[str, list[dict[str, Any]]]:
        cluster = model.get_cluster(t, ctx.account_id, ctx.region, params.get("cluster"))
        return cluster["clusterName"], ci.list_attributes(t, ctx.account_id, ctx.region, cluster["clusterName"], params)

    cluster, attrs = await ctx.app.store.read(txn)
    listing = f"ecs.attributes/{model.scope(ctx.account_id, ctx.region)}{cluster}"
    chunk, token = _page(attrs, lambda a: (a["_at"], a["targetId"], a["name"]), listing, params, ("targetType", "attributeName", "attributeValue"))
    return {"attributes": [{k: v for k, v in a.items() if k != "_at"} for a in chunk], **({"nextToken": token} if token else {})}
