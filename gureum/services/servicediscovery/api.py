"""Cloud Map operations: thin handlers over model.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gureum.aws import paging
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.servicediscovery import model
from gureum.store import Txn


def sd(name: str):
    return operation("servicediscovery", name)


def _bad_token() -> AwsError:
    return AwsError.modeled("servicediscovery", "InvalidInput", "NextToken is invalid.")


def _page(t: Txn, table: str, prefix: str, params: dict[str, Any], keep: Callable[[dict[str, Any]], bool] | None = None,
          default: int = 100) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A page of a prefix range of `table` (a range scan from the NextToken's key) and the
    NextToken member of the output (gureum.aws.paging)."""
    rows, token = paging.page(t, table, prefix, token=params.get("NextToken"), limit=params.get("MaxResults"), default_limit=default,
                              keep=keep, filters={"Filters": params.get("Filters")}, error=_bad_token)
    return [d for _, d in rows], ({"NextToken": token} if token else {})


def _filtered(items: list[dict[str, Any]], filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for f in filters or []:
        values = f.get("Values") or []
        cond = f.get("Condition") or "EQ"
        name = f["Name"]
        field = {"TYPE": "Type", "NAMESPACE_ID": "NamespaceId", "NAME": "Name", "HTTP_NAME": "Name", "RESOURCE_OWNER": "ResourceOwner"}.get(name, name)

        def ok(doc: dict[str, Any], field: str = field, values: list[str] = values, cond: str = cond) -> bool:
            v = str(doc.get(field, ""))
            if cond == "BEGINS_WITH":
                return any(v.startswith(x) for x in values)
            return v in values

        items = [d for d in items if ok(d)]
    return items


async def _create_ns(ctx: RequestContext, params: dict[str, Any], kind: str) -> dict[str, Any]:
    op = await ctx.app.store.run(lambda t: model.create_namespace(t, ctx.account_id, ctx.region, kind, params))
    return {"OperationId": op}


@sd("CreatePublicDnsNamespace")
async def create_public_dns_namespace(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await _create_ns(ctx, params, "DNS_PUBLIC")


@sd("CreatePrivateDnsNamespace")
async def create_private_dns_namespace(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await _create_ns(ctx, params, "DNS_PRIVATE")


@sd("CreateHttpNamespace")
async def create_http_namespace(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await _create_ns(ctx, params, "HTTP")


@sd("GetNamespace")
async def get_namespace(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> dict[str, Any]:
        return model.namespace_view(t, model.get_namespace(t, ctx.account_id, ctx.region, params["Id"]))

    return {"Namespace": await ctx.app.store.read(txn)}


# What GetNamespace/GetService show that the listings' NamespaceSummary/ServiceSummary do not.
_NOT_IN_NAMESPACE_SUMMARY = ("CreatorRequestId",)
_NOT_IN_SERVICE_SUMMARY = ("CreatorRequestId", "NamespaceId")


def _without(view: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in view.items() if k not in keys}


@sd("ListNamespaces")
async def list_namespaces(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    filters = params.get("Filters") or []

    def txn(t: Txn) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        docs, token = _page(t, model.NAMESPACES, model.sc(ctx.account_id, ctx.region), params,
                            lambda d: bool(_filtered([model.public(d)], filters)))
        return [_without(model.namespace_view(t, d), _NOT_IN_NAMESPACE_SUMMARY) for d in docs], token

    items, token = await ctx.app.store.read(txn)
    return {"Namespaces": items, **token}


@sd("DeleteNamespace")
async def delete_namespace(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"OperationId": await ctx.app.store.run(lambda t: model.delete_namespace(t, ctx.account_id, ctx.region, params["Id"]))}


@sd("GetOperation")
async def get_operation(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"Operation": await ctx.app.store.read(lambda t: model.get_operation(t, ctx.account_id, ctx.region, params["OperationId"]))}


@sd("CreateService")
async def create_service(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> dict[str, Any]:
        return model.service_view(t, model.create_service(t, ctx.account_id, ctx.region, params))

    return {"Service": await ctx.app.store.run(txn)}


@sd("GetService")
async def get_service(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> dict[str, Any]:
        return model.service_view(t, model.get_service(t, ctx.account_id, ctx.region, params["Id"]))

    return {"Service": await ctx.app.store.read(txn)}


@sd("ListServices")
async def list_services(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    filters = params.get("Filters") or []

    def txn(t: Txn) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        docs, token = _page(t, model.SERVICES, model.sc(ctx.account_id, ctx.region), params,
                            lambda d: bool(_filtered([model.public(d)], filters)))
        return [_without(model.service_view(t, d), _NOT_IN_SERVICE_SUMMARY) for d in docs], token

    items, token = await ctx.app.store.read(txn)
    return {"Services": items, **token}


@sd("DeleteService")
async def delete_service(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: model.delete_service(t, ctx.account_id, ctx.region, params["Id"]))
    return {}


@sd("RegisterInstance")
async def register_instance(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> str:
        return model.register_instance(
            t, ctx.account_id, ctx.region, params["ServiceId"], params["InstanceId"], params["Attributes"], params.get("CreatorRequestId")
        )

    return {"OperationId": await ctx.app.store.run(txn)}


@sd("DeregisterInstance")
async def deregister_instance(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> str:
        return model.deregister_instance(t, ctx.account_id, ctx.region, params["ServiceId"], params["InstanceId"])

    return {"OperationId": await ctx.app.store.run(txn)}


@sd("GetInstance")
async def get_instance(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> dict[str, Any]:
        srv = model.get_service(t, ctx.account_id, ctx.region, params["ServiceId"])
        return model.public(model.get_instance(t, ctx.account_id, ctx.region, srv, params["InstanceId"]))

    return {"ResourceOwner": ctx.account_id, "Instance": await ctx.app.store.read(txn)}


@sd("ListInstances")
async def list_instances(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        srv = model.get_service(t, ctx.account_id, ctx.region, params["ServiceId"])
        docs, token = _page(t, model.INSTANCES, f"{model.sc(ctx.account_id, ctx.region)}{srv['Id']}:", params)
        return [{"Id": d["Id"], "Attributes": d["Attributes"], "CreatedByAccount": d["CreatedByAccount"]} for d in docs], token

    items, token = await ctx.app.store.read(txn)
    return {"ResourceOwner": ctx.account_id, "Instances": items, **token}


@sd("UpdateService")
async def update_service(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"OperationId": await ctx.app.store.run(lambda t: model.update_service(t, ctx.account_id, ctx.region, params["Id"], params["Service"]))}


@sd("UpdateInstanceCustomHealthStatus")
async def update_instance_custom_health_status(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> None:
        model.update_custom_health(t, ctx.account_id, ctx.region, params["ServiceId"], params["InstanceId"], params["Status"])

    await ctx.app.store.run(txn)
    return {}


@sd("GetInstancesHealthStatus")
async def get_instances_health_status(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> list[tuple[str, str]]:
        srv = model.get_service(t, ctx.account_id, ctx.region, params["ServiceId"])
        docs = {d["Id"]: d for d in model.instances(t, ctx.account_id, ctx.region, srv["Id"])}
        wanted = params.get("Instances") or sorted(docs)
        out = []
        for inst_id in wanted:
            if inst_id not in docs:
                raise AwsError.modeled("servicediscovery", "InstanceNotFound", f"Instance not found: {inst_id}")
            out.append((inst_id, model.health_of(srv, docs[inst_id])))
        return sorted(out)

    # Status is a map: the health of each instance, paged in instance-id order
    found = await ctx.app.store.read(txn)
    page, token = paging.page_items(found, lambda x: x[0], listing=f"sd.health/{model.sc(ctx.account_id, ctx.region)}{params['ServiceId']}",
                                    token=params.get("NextToken"), limit=params.get("MaxResults"), default_limit=100,
                                    filters={"Instances": params.get("Instances")}, error=_bad_token)
    return {"Status": dict(page), **({"NextToken": token} if token else {})}


def _discover(t: Txn, ctx: RequestContext, params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    sc = model.sc(ctx.account_id, ctx.region)
    want = params["NamespaceName"].rstrip(".")
    ns = next((d for _, d in t.scan(model.NAMESPACES, sc) if d["Properties"].get("HttpProperties", {}).get("HttpName", d["Name"]) == want), None)
    if ns is None:
        raise AwsError.modeled(
            "servicediscovery", "NamespaceNotFound", f"Namespace not found: {params['NamespaceName']}"
        )
    srv = next((d for _, d in t.scan(model.SERVICES, sc) if d["NamespaceId"] == ns["Id"] and d["Name"] == params["ServiceName"]), None)
    if srv is None:
        raise AwsError.modeled("servicediscovery", "ServiceNotFound", f"Service not found: {params['ServiceName']}")
    return ns, srv, model.instances(t, ctx.account_id, ctx.region, srv["Id"])


@sd("DiscoverInstances")
async def discover_instances(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> tuple[list[dict[str, Any]], int]:
        ns, srv, docs = _discover(t, ctx, params)
        query = params.get("QueryParameters") or {}
        docs = [d for d in docs if all(d["Attributes"].get(k) == v for k, v in query.items())]
        optional = params.get("OptionalParameters") or {}
        if optional:  # opportunistic: applied only when some instance matches them too
            narrowed = [d for d in docs if all(d["Attributes"].get(k) == v for k, v in optional.items())]
            docs = narrowed or docs
        if model.health_checked(srv):  # HealthStatus is ignored for services without health checks
            wanted = params.get("HealthStatus") or "HEALTHY"
            healthy = [d for d in docs if model.health_of(srv, d) == "HEALTHY"]
            if wanted == "HEALTHY":
                docs = healthy
            elif wanted == "UNHEALTHY":
                docs = [d for d in docs if model.health_of(srv, d) == "UNHEALTHY"]
            elif wanted == "HEALTHY_OR_ELSE_ALL":
                docs = healthy or docs
        out = [
            {"InstanceId": d["Id"], "NamespaceName": ns["Properties"]["HttpProperties"]["HttpName"], "ServiceName": srv["Name"],
             "HealthStatus": model.health_of(srv, d), "Attributes": d["Attributes"]}
            for d in docs
        ]  # fmt: skip
        return out, int(srv.get("_revision", 0))

    items, revision = await ctx.app.store.read(txn)
    return {"Instances": items[: params.get("MaxResults") or 100], "InstancesRevision": revision}


@sd("DiscoverInstancesRevision")
async def discover_instances_revision(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def txn(t: Txn) -> int:
        return int(_discover(t, ctx, params)[1].get("_revision", 0))

    return {"InstancesRevision": await ctx.app.store.read(txn)}
