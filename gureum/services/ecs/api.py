"""ECS operations (json protocol): thin handlers over model.py (clusters, task definitions,
tasks) and services.py (services); container instances and StartTask are in instances_api.py
(registered by the import below); the task agent (agent.py) does the running."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gureum.aws import tags
from gureum.aws.arn import ecs_task, looks_like_arn, try_parse
from gureum.aws.dispatch import Handler, RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.public import public_url
from gureum.services.ecs import account_settings, instances_api, model, task_protection
from gureum.services.ecs import capacity_providers as cps
from gureum.services.ecs import services as svc
from gureum.services.ecs.paging import page as _page
from gureum.services.ecs.paging import page_rows as _page_rows
from gureum.store import Txn


def ecs(name: str) -> Callable[[Handler], Handler]:
    return operation("ecs", name)


# --- clusters ---------------------------------------------------------------------------------
@ecs("CreateCluster")
async def create_cluster(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _check_new_tags(params)

    def txn(t: Txn) -> dict[str, Any]:
        settings = params.get("settings") or []
        if not any(s.get("name") == "containerInsights" for s in settings):
            # the containerInsights account setting is the default of a new cluster's
            insights = account_settings.effective(t, ctx.account_id, ctx.region, ctx.principal_arn, "containerInsights")
            settings = [*settings, {"name": "containerInsights", "value": insights["value"]}]
        doc = model.create_cluster(t, ctx.account_id, ctx.region, {**params, "settings": settings})
        return model.cluster_view(t, doc, ["TAGS"])

    return {"cluster": await ctx.app.store.run(txn)}


@ecs("DescribeClusters")
async def describe_clusters(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    include = params.get("include") or []

    def txn(t: Txn) -> dict[str, Any]:
        out, failures = [], []
        for ref in params.get("clusters") or ["default"]:
            name = model.cluster_name_of(ref)
            doc = t.get(model.CLUSTERS, model.scope(ctx.account_id, ctx.region) + name)
            if doc is None:
                if name == "default" and not params.get("clusters"):
                    continue
                failures.append({"arn": model.cluster_arn(ctx.account_id, ctx.region, name), "reason": "MISSING"})
                continue
            out.append(model.cluster_view(t, doc, include))
        return {"clusters": out, "failures": failures}

    return await ctx.app.store.read(txn)


@ecs("ListClusters")
async def list_clusters(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    prefix = model.scope(ctx.account_id, ctx.region)
    docs, token = await ctx.app.store.read(lambda t: _page_rows(t, model.CLUSTERS, prefix, params, lambda d: d["status"] == "ACTIVE"))
    return {"clusterArns": [d["clusterArn"] for d in docs], **({"nextToken": token} if token else {})}


@ecs("DeleteCluster")
async def delete_cluster(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> dict[str, Any]:
        doc = model.delete_cluster(t, ctx.account_id, ctx.region, params["cluster"])
        return model.cluster_view(t, doc, [])

    return {"cluster": await ctx.app.store.run(txn)}


@ecs("UpdateCluster")
async def update_cluster(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> dict[str, Any]:
        return model.cluster_view(t, model.update_cluster(t, ctx.account_id, ctx.region, params), [])

    return {"cluster": await ctx.app.store.run(txn)}


@ecs("UpdateClusterSettings")
async def update_cluster_settings(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await update_cluster(ctx, params)


@ecs("PutClusterCapacityProviders")
async def put_cluster_capacity_providers(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> dict[str, Any]:
        return model.cluster_view(t, model.put_capacity_providers(t, ctx.account_id, ctx.region, params), [])

    return {"cluster": await ctx.app.store.run(txn)}


# --- task definitions -------------------------------------------------------------------------
def _td_out(doc: dict[str, Any], include: list[str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"taskDefinition": model.view(doc)}
    if include is None or "TAGS" in include:
        out["tags"] = doc["_"].get("tags", [])
    return out


@ecs("RegisterTaskDefinition")
async def register_task_definition(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _check_new_tags(params)
    doc = await ctx.app.store.run(lambda t: model.register_taskdef(t, ctx.account_id, ctx.region, params, ctx.principal_arn))
    return _td_out(doc)


@ecs("DescribeTaskDefinition")
async def describe_task_definition(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.read(lambda t: model.get_taskdef(t, ctx.account_id, ctx.region, params["taskDefinition"]))
    return _td_out(doc, params.get("include") or [])


@ecs("ListTaskDefinitions")
async def list_task_definitions(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    status = params.get("status") or "ACTIVE"
    prefix = model.scope(ctx.account_id, ctx.region) + (params.get("familyPrefix") or "")
    rows = await ctx.app.store.read(lambda t: t.scan(model.TASKDEFS, prefix))
    docs = [d for _, d in rows if d["status"] == status]
    if params.get("familyPrefix"):
        docs = [d for d in docs if d["family"] == params["familyPrefix"] or d["family"].startswith(params["familyPrefix"])]
    desc = params.get("sort") == "DESC"
    docs.sort(key=lambda d: (d["family"], d["revision"]), reverse=desc)
    chunk, token = _page(docs, lambda d: (d["family"], d["revision"]), "ecs.taskdefs/" + prefix, params,
                         ("status", "familyPrefix", "sort"), descending=desc)
    return {"taskDefinitionArns": [d["taskDefinitionArn"] for d in chunk], **({"nextToken": token} if token else {})}


@ecs("ListTaskDefinitionFamilies")
async def list_task_definition_families(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    status = params.get("status") or "ACTIVE"
    prefix = model.scope(ctx.account_id, ctx.region) + (params.get("familyPrefix") or "")
    rows = await ctx.app.store.read(lambda t: t.scan(model.TASKDEFS, prefix))
    fams: dict[str, set[str]] = {}
    for _, d in rows:
        fams.setdefault(d["family"], set()).add(d["status"])
    names = sorted(
        f for f, st in fams.items() if status == "ALL" or (status == "ACTIVE" and "ACTIVE" in st) or (status == "INACTIVE" and "ACTIVE" not in st)
    )
    chunk, token = _page(names, str, "ecs.families/" + prefix, params, ("status", "familyPrefix"))
    return {"families": chunk, **({"nextToken": token} if token else {})}


@ecs("DeregisterTaskDefinition")
async def deregister_task_definition(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.run(lambda t: model.deregister_taskdef(t, ctx.account_id, ctx.region, params["taskDefinition"]))
    return {"taskDefinition": model.view(doc)}


@ecs("DeleteTaskDefinitions")
async def delete_task_definitions(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    done, failures = await ctx.app.store.run(lambda t: model.delete_taskdefs(t, ctx.account_id, ctx.region, params["taskDefinitions"]))
    return {"taskDefinitions": [model.view(d) for d in done], "failures": failures}


# --- tasks --------------------------------------------------------------------------------------
@ecs("RunTask")
async def run_task(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _check_new_tags(params)
    count = params.get("count", 1)
    if not 1 <= count <= 10:
        raise AwsError.modeled("ecs", "InvalidParameterException", "Count must be between 1 and 10.")
    if params.get("platformVersion") and params["platformVersion"] not in model.PLATFORM_VERSIONS:
        raise AwsError.modeled("ecs", "InvalidParameterException", "The specified platform version does not exist.")

    def txn(t: Txn) -> dict[str, Any]:
        cluster = model.get_cluster(t, ctx.account_id, ctx.region, params.get("cluster"))
        taskdef = model.get_taskdef(t, ctx.account_id, ctx.region, params["taskDefinition"], active_only=True)
        launch, provider = model.resolve_launch(cluster, params)
        if launch == "EXTERNAL":
            raise AwsError.modeled(
                "ecs", "InvalidParameterException", "No Container Instances were found in your cluster."
            )
        if launch == "EC2":
            return instances_api.create_ec2_tasks(t, ctx.account_id, ctx.region, cluster, taskdef, params, count, capacity_provider=provider)
        network = model.check_network(taskdef, launch, params.get("networkConfiguration"))
        overrides = params.get("overrides") or {}
        tasks = [
            model.new_task(
                t,
                ctx.account_id,
                ctx.region,
                cluster,
                taskdef,
                launch_type=launch,
                capacity_provider=provider,
                network=network,
                overrides=overrides,
                started_by=params.get("startedBy"),
                group=params.get("group"),
                tags=params.get("tags") or [],
                platform_version=params.get("platformVersion"),
                execute_command=bool(params.get("enableExecuteCommand")),
            )
            for _ in range(count)
        ]
        return {"tasks": [model.task_view(d, True) for d in tasks], "failures": []}

    return await ctx.app.store.run(txn)


@ecs("StopTask")
async def stop_task(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> dict[str, Any]:
        cluster = model.get_cluster(t, ctx.account_id, ctx.region, params.get("cluster"))
        found = model.get_task(t, ctx.account_id, ctx.region, cluster["clusterName"], params["task"])
        if found is None:
            raise AwsError.modeled("ecs", "InvalidParameterException", "The referenced task was not found.")
        key, doc = found
        doc = model.request_stop(t, key, doc, params.get("reason") or "Task stopped by user", "UserInitiated")
        return {"task": model.task_view(doc, True)}

    return await ctx.app.store.run(txn)


@ecs("DescribeTasks")
async def describe_tasks(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    refs = params["tasks"]
    if not refs:
        raise AwsError.modeled("ecs", "InvalidParameterException", "Tasks cannot be empty.")
    if len(refs) > 100:
        raise AwsError.modeled("ecs", "InvalidParameterException", "Tasks cannot have more than 100 elements.")
    include_tags = "TAGS" in (params.get("include") or [])

    def txn(t: Txn) -> dict[str, Any]:
        cluster = model.get_cluster(t, ctx.account_id, ctx.region, params.get("cluster"))
        out, failures = [], []
        for ref in refs:
            found = model.get_task(t, ctx.account_id, ctx.region, cluster["clusterName"], ref)
            if found is None:
                arn = ref if looks_like_arn(ref) else ecs_task(ctx.region, ctx.account_id, cluster["clusterName"], ref)
                failures.append({"arn": arn, "reason": "MISSING"})
            else:
                out.append(model.task_view(found[1], include_tags))
        return {"tasks": out, "failures": failures}

    return await ctx.app.store.run(txn)


@ecs("ListTasks")
async def list_tasks(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> tuple[str, list[dict[str, Any]]]:
        cluster = model.get_cluster(t, ctx.account_id, ctx.region, params.get("cluster"))
        return cluster["clusterName"], model.list_tasks(t, ctx.account_id, ctx.region, cluster["clusterName"], params)

    cluster, docs = await ctx.app.store.run(txn)
    chunk, token = _page(docs, lambda d: (d["createdAt"], d["taskArn"]), f"ecs.tasks/{model.scope(ctx.account_id, ctx.region)}{cluster}", params,
                         ("desiredStatus", "family", "startedBy", "serviceName", "launchType", "containerInstance"))
    return {"taskArns": [d["taskArn"] for d in chunk], **({"nextToken": token} if token else {})}


# --- tags ---------------------------------------------------------------------------------------
# ECS answers every tag rule violation (too many, bad key/value, the aws: prefix) with
# InvalidParameterException (API reference, TagResource).
TAG_RULES = tags.Rules(invalid=lambda m: AwsError.modeled("ecs", "InvalidParameterException", m), too_many_message="Too many tags. The maximum number of tags per resource is {max}.")


def _check_new_tags(params: dict[str, Any]) -> None:
    """The `tags` a create request carries, held to the same rules as TagResource."""
    if params.get("tags"):
        tags.apply({}, tags.check([(x.get("key"), x.get("value") or "") for x in params["tags"]], TAG_RULES), (), TAG_RULES)


class _TagPlace:
    """ECS keeps tags as a list of {"key", "value"} on the resource's doc (under "_" for task
    definitions; a task set's on its entry in its service's taskSets; a capacity provider's on
    its row, built-in FARGATE / FARGATE_SPOT having none)."""

    def __init__(self, ctx: RequestContext, arn: str) -> None:
        self.ctx, self.arn = ctx, arn

    def _holder(self, t: Txn) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
        table, key, doc = _resource(t, self.ctx, self.arn)
        if table == model.TASKDEFS:
            return table, key, doc, doc["_"]
        parsed = try_parse(self.arn)
        if table == model.SERVICES and parsed is not None and parsed.resource.startswith("task-set/"):
            # a task set: its tags live on its entry in the service's taskSets
            for ts in doc.get("taskSets") or []:
                if ts["taskSetArn"] == self.arn:
                    return table, key, doc, ts
            raise AwsErrorNotFound()
        return table, key, doc, doc

    def read(self, t: Txn) -> dict[str, str]:
        return tags.from_pairs(self._holder(t)[3].get("tags"), "key", "value")

    def write(self, t: Txn, new: dict[str, str]) -> None:
        table, key, doc, holder = self._holder(t)
        holder["tags"] = tags.to_pairs(new, "key", "value")
        t.put(table, key, doc)


@ecs("ListTagsForResource")
async def list_tags_for_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    found = await ctx.app.store.read(lambda t: tags.list_tags(t, _TagPlace(ctx, params["resourceArn"])))
    return {"tags": tags.to_pairs(found, "key", "value")}


@ecs("TagResource")
async def tag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    add = [(x.get("key"), x.get("value") or "") for x in params["tags"]]
    await ctx.app.store.run(lambda t: tags.tag(t, _TagPlace(ctx, params["resourceArn"]), add, TAG_RULES))
    return {}


@ecs("UntagResource")
async def untag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: tags.untag(t, _TagPlace(ctx, params["resourceArn"]), params["tagKeys"], TAG_RULES))
    return {}


def _resource(t: Txn, ctx: RequestContext, arn: str) -> tuple[str, str, dict[str, Any]]:
    parsed = try_parse(arn)
    if parsed is None or parsed.service != "ecs":
        raise AwsError.modeled("ecs", "InvalidParameterException", "The ARN provided is invalid.")
    rtype, _, rest = parsed.resource.partition("/")
    sc = model.scope(ctx.account_id, ctx.region)
    if rtype == "cluster":
        key, table = sc + rest, model.CLUSTERS
    elif rtype == "task-definition":
        family, rev = model.parse_taskdef_ref(rest)
        key, table = f"{sc}{family}:{(rev or 0):09d}", model.TASKDEFS
    elif rtype == "task":
        cluster, _, tid = rest.rpartition("/")
        key, table = model.task_key(ctx.account_id, ctx.region, cluster, tid), model.TASKS
    elif rtype == "container-instance":
        cluster, _, iid = rest.rpartition("/")
        key, table = f"{sc}{cluster}:{iid}", "ecs.instances"
    elif rtype == "service":
        cluster, _, name = rest.rpartition("/")
        key, table = f"{sc}{cluster}:{name}", model.SERVICES
    elif rtype == "task-set":  # task-set/{cluster}/{service}/{id}: kept in its service's document
        cluster, _, after = rest.partition("/")
        name = after.partition("/")[0]
        key, table = f"{sc}{cluster}:{name}", model.SERVICES
    elif rtype == "capacity-provider":
        found = cps.active(t, ctx.account_id, ctx.region, rest)
        if found is None or cps.is_fargate(rest):
            raise AwsErrorNotFound()
        return cps.PROVIDERS, cps.row_key(ctx.account_id, ctx.region, rest), found
    else:
        raise AwsError.modeled("ecs", "InvalidParameterException", "The ARN provided is invalid.")
    doc = t.get(table, key)
    if doc is None:
        if table == model.CLUSTERS:
            raise AwsError.modeled("ecs", "ClusterNotFoundException", "Cluster not found.")
        raise AwsErrorNotFound()
    return table, key, doc


def AwsErrorNotFound() -> Exception:
    return AwsError.modeled("ecs", "InvalidParameterException", "The specified resource could not be found.")


# --- services -----------------------------------------------------------------------------------
@ecs("CreateService")
async def create_service(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _check_new_tags(params)
    doc = await ctx.app.store.run(lambda t: svc.create_service(t, ctx.account_id, ctx.region, params, ctx.principal_arn))
    return {"service": svc.service_view(doc, True)}


@ecs("UpdateService")
async def update_service(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.run(lambda t: svc.update_service(t, ctx.account_id, ctx.region, params))
    return {"service": svc.service_view(doc, False)}


@ecs("DeleteService")
async def delete_service(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.run(lambda t: svc.delete_service(t, ctx.account_id, ctx.region, params))
    return {"service": svc.service_view(doc, False)}


@ecs("DescribeServices")
async def describe_services(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    include_tags = "TAGS" in (params.get("include") or [])

    def txn(t: Txn) -> dict[str, Any]:
        cluster = model.get_cluster(t, ctx.account_id, ctx.region, params.get("cluster"))
        out, failures = [], []
        for ref in params["services"]:
            doc = svc.find_service(t, ctx.account_id, ctx.region, cluster["clusterName"], ref)
            if doc is None:
                failures.append({"arn": svc.service_arn(ctx.account_id, ctx.region, cluster["clusterName"], ref.rsplit("/", 1)[-1]), "reason": "MISSING"})
            else:
                out.append(svc.service_view(doc, include_tags))
        return {"services": out, "failures": failures}

    return await ctx.app.store.run(txn)


@ecs("ListServices")
async def list_services(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> tuple[list[dict[str, Any]], str | None]:
        cluster = model.get_cluster(t, ctx.account_id, ctx.region, params.get("cluster"))
        prefix = model.scope(ctx.account_id, ctx.region) + cluster["clusterName"] + ":"
        launch = params.get("launchType")
        return _page_rows(t, model.SERVICES, prefix, params,
                          lambda d: d["status"] == "ACTIVE" and (not launch or d.get("launchType") == launch),
                          ("launchType",), default=10, limit=100)

    docs, token = await ctx.app.store.run(txn)
    return {"serviceArns": [d["serviceArn"] for d in docs], **({"nextToken": token} if token else {})}


# --- account settings (account_settings.py) ----------------------------------------------------
@ecs("PutAccountSetting")
async def put_account_setting(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    principal = params.get("principalArn") or ctx.principal_arn
    doc = await ctx.app.store.run(lambda t: account_settings.put(t, ctx.account_id, ctx.region, principal, params["name"], params["value"]))
    return {"setting": doc}


@ecs("PutAccountSettingDefault")
async def put_account_setting_default(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    root = account_settings.root_arn(ctx.account_id)
    doc = await ctx.app.store.run(lambda t: account_settings.put(t, ctx.account_id, ctx.region, root, params["name"], params["value"]))
    return {"setting": doc}


@ecs("DeleteAccountSetting")
async def delete_account_setting(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    principal = params.get("principalArn") or ctx.principal_arn
    doc = await ctx.app.store.run(lambda t: account_settings.delete(t, ctx.account_id, ctx.region, principal, params["name"]))
    return {"setting": doc}


@ecs("ListAccountSettings")
async def list_account_settings(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.read(lambda t: account_settings.listing(t, ctx.account_id, ctx.region, ctx.principal_arn, params))


# --- capacity providers (capacity_providers.py) ------------------------------------------------
@ecs("CreateCapacityProvider")
async def create_capacity_provider(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _check_new_tags(params)
    if params.get("cluster"):
        await ctx.app.store.read(lambda t: model.get_cluster(t, ctx.account_id, ctx.region, params["cluster"], create_default=False))
    doc = await ctx.app.store.run(lambda t: cps.create(t, ctx.account_id, ctx.region, params))
    return {"capacityProvider": cps.view(doc, True)}


@ecs("UpdateCapacityProvider")
async def update_capacity_provider(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.run(lambda t: cps.update(t, ctx.account_id, ctx.region, params))
    return {"capacityProvider": cps.view(doc, False)}


@ecs("DeleteCapacityProvider")
async def delete_capacity_provider(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> dict[str, Any]:
        name = cps.name_of(params["capacityProvider"])
        return cps.delete(t, ctx.account_id, ctx.region, name, model.clusters_using(t, ctx.account_id, ctx.region, name))

    return {"capacityProvider": cps.view(await ctx.app.store.run(txn), False)}


@ecs("DescribeCapacityProviders")
async def describe_capacity_providers(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    include_tags = "TAGS" in (params.get("include") or [])
    refs = params.get("capacityProviders")

    def txn(t: Txn) -> dict[str, Any]:
        if not refs:
            chunk, token = _page(cps.listing(t, ctx.account_id, ctx.region), lambda d: (d["name"] not in cps.BUILTIN, d["name"]),
                                 f"ecs.capacity-providers/{model.scope(ctx.account_id, ctx.region)}", params, default=10, limit=10)
            return {"capacityProviders": [cps.view(d, include_tags) for d in chunk], "failures": [], **({"nextToken": token} if token else {})}
        if params.get("maxResults") or params.get("nextToken"):
            raise AwsError.modeled("ecs", "InvalidParameterException", "maxResults and nextToken cannot be specified together with capacityProviders.")
        out, failures = [], []
        for ref in refs:
            doc = cps.get(t, ctx.account_id, ctx.region, ref)
            if doc is None:
                failures.append({"arn": ref if looks_like_arn(ref) else cps.provider_arn(ctx.account_id, ctx.region, ref), "reason": "MISSING"})
            else:
                out.append(cps.view(doc, include_tags))
        return {"capacityProviders": out, "failures": failures}

    return await ctx.app.store.read(txn)


# --- task scale-in protection (task_protection.py) ---------------------------------------------
async def _protection(ctx: RequestContext, params: dict[str, Any], change: tuple[bool, int] | None) -> dict[str, Any]:
    refs = params["tasks"]
    task_protection.check_refs(refs)

    def txn(t: Txn) -> dict[str, Any]:
        cluster = model.get_cluster(t, ctx.account_id, ctx.region, params.get("cluster"), create_default=False)
        now = model.now()
        out, failures = [], []
        for ref in refs:
            found = model.get_task(t, ctx.account_id, ctx.region, cluster["clusterName"], ref)
            if found is None:
                arn = ref if looks_like_arn(ref) else ecs_task(ctx.region, ctx.account_id, cluster["clusterName"], ref)
                failures.append({"arn": arn, "reason": "MISSING"})
                continue
            key, doc = found
            if change is None:
                entry, failure = task_protection.read(doc, now)
            else:
                entry, failure = task_protection.update(t, model.TASKS, key, doc, change[0], change[1], now)
            if entry is not None:
                out.append(entry)
            if failure is not None:
                failures.append(failure)
        return {"protectedTasks": out, "failures": failures}

    return await ctx.app.store.run(txn)


@ecs("GetTaskProtection")
async def get_task_protection(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await _protection(ctx, {**params, "tasks": params.get("tasks") or []}, None)


@ecs("UpdateTaskProtection")
async def update_task_protection(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    enabled = bool(params["protectionEnabled"])
    return await _protection(ctx, params, (enabled, task_protection.minutes(params) if enabled else 0))


# --- container agent endpoints ------------------------------------------------------------------
@ecs("DiscoverPollEndpoint")
async def discover_poll_endpoint(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Where an ECS container agent polls, sends telemetry and Service Connect data: gureum's
    own API listener, as the node advertises it (gureum.public), is all three."""
    url = public_url(ctx.app, ctx.request, "/")
    return {"endpoint": url, "telemetryEndpoint": url, "serviceConnectEndpoint": url}
