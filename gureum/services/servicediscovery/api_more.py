"""Cloud Map operations on tags, service attributes, namespace updates and the operation
list: thin handlers over tagging.py, attributes.py, namespace_updates.py and operations.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gureum.aws import tags
from gureum.aws.dispatch import Handler, RequestContext, operation
from gureum.services.servicediscovery import attributes, namespace_updates, operations, tagging


def sd(name: str) -> Callable[[Handler], Handler]:
    return operation("servicediscovery", name)


@sd("TagResource")
async def tag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    arn = params["ResourceARN"]
    add = [(x["Key"], x.get("Value") or "") for x in params["Tags"]]
    place = tagging.ResourceTags(ctx.account_id, ctx.region, arn)
    await ctx.app.store.run(lambda t: tags.tag(t, place, add, tagging.rules(arn)))
    return {}


@sd("UntagResource")
async def untag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    arn = params["ResourceARN"]
    place = tagging.ResourceTags(ctx.account_id, ctx.region, arn)
    await ctx.app.store.run(lambda t: tags.untag(t, place, params["TagKeys"], tagging.rules(arn)))
    return {}


@sd("ListTagsForResource")
async def list_tags_for_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    place = tagging.ResourceTags(ctx.account_id, ctx.region, params["ResourceARN"])
    return {"Tags": tags.to_pairs(await ctx.app.store.read(lambda t: tags.list_tags(t, place)))}


@sd("GetServiceAttributes")
async def get_service_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    found = await ctx.app.store.read(lambda t: attributes.get(t, ctx.account_id, ctx.region, params["ServiceId"]))
    return {"ServiceAttributes": found}


@sd("UpdateServiceAttributes")
async def update_service_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: attributes.update(t, ctx.account_id, ctx.region, params["ServiceId"], params["Attributes"]))
    return {}


@sd("DeleteServiceAttributes")
async def delete_service_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: attributes.delete(t, ctx.account_id, ctx.region, params["ServiceId"], params["Attributes"]))
    return {}


async def _update_namespace(ctx: RequestContext, params: dict[str, Any], kind: str) -> dict[str, Any]:
    def txn(t: Any) -> str:
        return namespace_updates.update(t, ctx.account_id, ctx.region, kind, params["Id"], params["Namespace"],
                                        params.get("UpdaterRequestId"))

    return {"OperationId": await ctx.app.store.run(txn)}


@sd("UpdateHttpNamespace")
async def update_http_namespace(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await _update_namespace(ctx, params, "HTTP")


@sd("UpdatePrivateDnsNamespace")
async def update_private_dns_namespace(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await _update_namespace(ctx, params, "DNS_PRIVATE")


@sd("UpdatePublicDnsNamespace")
async def update_public_dns_namespace(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await _update_namespace(ctx, params, "DNS_PUBLIC")


@sd("ListOperations")
async def list_operations(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    items, token = await ctx.app.store.read(lambda t: operations.summaries(t, ctx.account_id, ctx.region, params))
    return {"Operations": items, **({"NextToken": token} if token else {})}
