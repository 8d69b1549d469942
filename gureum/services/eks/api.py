"""EKS handlers: read the parameters, run one clusters.py function, shape the answer.
Operations without a handler here (nodegroups, Fargate profiles, add-ons, UpdateAccessEntry,
updates...) answer 501."""

from __future__ import annotations

import datetime
import time
from typing import Any

from gureum.aws import tags
from gureum.aws.dispatch import RequestContext, operation
from gureum.services.eks import access as A
from gureum.services.eks import authn
from gureum.services.eks import clusters as C
from gureum.store import Txn


def _shape(doc: dict[str, Any]) -> dict[str, Any]:
    out = C.view(doc)
    out["createdAt"] = datetime.datetime.fromtimestamp(float(out["createdAt"]), datetime.UTC)
    return out


@operation("eks", "CreateCluster")
async def create_cluster(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    creator = authn.canonical_arn(ctx.principal_arn)

    def go(t: Txn) -> dict[str, Any]:
        now = time.time()
        doc, new = C.create(t, ctx.account_id, ctx.region, params, now, creator)
        if new:
            A.bootstrap(t, ctx.account_id, ctx.region, doc, now)
        return doc

    doc = await ctx.app.store.run(go)
    return {"cluster": _shape(doc)}


@operation("eks", "DescribeCluster")
async def describe_cluster(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.read(lambda t: C.get(t, ctx.account_id, ctx.region, str(params["name"])))
    return {"cluster": _shape(doc)}


@operation("eks", "ListClusters")
async def list_clusters(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    names, nxt = await ctx.app.store.read(lambda t: C.names(t, ctx.account_id, ctx.region, params))
    return {"clusters": names, **({"nextToken": nxt} if nxt else {})}


@operation("eks", "DeleteCluster")
async def delete_cluster(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def go(t: Txn) -> dict[str, Any]:
        doc = C.delete(t, ctx.account_id, ctx.region, str(params["name"]))
        A.delete_all(t, ctx.account_id, ctx.region, str(params["name"]))
        return doc

    return {"cluster": _shape(await ctx.app.store.run(go))}


@operation("eks", "TagResource")
async def tag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def go(t: Txn) -> None:
        place = C.tag_place(t, ctx.account_id, ctx.region, str(params["resourceArn"]))
        tags.tag(t, place, dict(params["tags"]), C.TAG_RULES)

    await ctx.app.store.run(go)
    return {}


@operation("eks", "UntagResource")
async def untag_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def go(t: Txn) -> None:
        place = C.tag_place(t, ctx.account_id, ctx.region, str(params["resourceArn"]))
        tags.untag(t, place, list(params["tagKeys"]), C.TAG_RULES)

    await ctx.app.store.run(go)
    return {}


@operation("eks", "ListTagsForResource")
async def list_tags_for_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def go(t: Txn) -> dict[str, str]:
        return tags.list_tags(t, C.tag_place(t, ctx.account_id, ctx.region, str(params["resourceArn"])))

    return {"tags": await ctx.app.store.read(go)}


def _when(doc: dict[str, Any], *fields: str) -> dict[str, Any]:
    return {**doc, **{f: datetime.datetime.fromtimestamp(float(doc[f]), datetime.UTC) for f in fields}}


@operation("eks", "CreateAccessEntry")
async def create_access_entry(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.run(lambda t: A.create(t, ctx.account_id, ctx.region, params, time.time()))
    return {"accessEntry": _when(A.view(doc), "createdAt", "modifiedAt")}


@operation("eks", "DescribeAccessEntry")
async def describe_access_entry(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.read(lambda t: A.get(t, ctx.account_id, ctx.region, str(params["clusterName"]),
                                                   str(params["principalArn"])))
    return {"accessEntry": _when(A.view(doc), "createdAt", "modifiedAt")}


@operation("eks", "ListAccessEntries")
async def list_access_entries(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    items, nxt = await ctx.app.store.read(lambda t: A.principals(t, ctx.account_id, ctx.region, params))
    return {"accessEntries": items, **({"nextToken": nxt} if nxt else {})}


@operation("eks", "DeleteAccessEntry")
async def delete_access_entry(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: A.delete(t, ctx.account_id, ctx.region, str(params["clusterName"]),
                                               str(params["principalArn"])))
    return {}


@operation("eks", "AssociateAccessPolicy")
async def associate_access_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    assoc = await ctx.app.store.run(lambda t: A.associate(t, ctx.account_id, ctx.region, params, time.time()))
    return {"clusterName": params["clusterName"], "principalArn": params["principalArn"],
            "associatedAccessPolicy": _when(assoc, "associatedAt", "modifiedAt")}


@operation("eks", "DisassociateAccessPolicy")
async def disassociate_access_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: A.disassociate(t, ctx.account_id, ctx.region, str(params["clusterName"]),
                                                     str(params["principalArn"]), str(params["policyArn"])))
    return {}


@operation("eks", "ListAssociatedAccessPolicies")
async def list_associated_access_policies(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.read(lambda t: A.get(t, ctx.account_id, ctx.region, str(params["clusterName"]),
                                                   str(params["principalArn"])))
    items = [_when(a, "associatedAt", "modifiedAt") for a in A.associations(doc)]
    return {"clusterName": params["clusterName"], "principalArn": params["principalArn"],
            "associatedAccessPolicies": items}


@operation("eks", "ListAccessPolicies")
async def list_access_policies(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"accessPolicies": A.catalogue()}
