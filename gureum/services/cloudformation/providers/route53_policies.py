"""Route 53's reusable delegation sets and Traffic Flow as resource types, made by the route53
service's own handlers (route53/api.py, route53/traffic.py). Each type's Ref is its primary
identifier in the CloudFormation registry, the ARN (arn:aws:route53:::{kind}/{id}):

| type | Fn::GetAtt | in place | replaced by |
|---|---|---|---|
| DelegationSet | Arn, Id (bare), CallerReference, NameServers | nothing (no properties) | never |
| TrafficPolicy | Arn, Id, Version (1), Type (the record type) | Comment (UpdateTrafficPolicyComment) | Name, Document |
| TrafficPolicyInstance | Arn, Id, State, TrafficPolicyType | TTL, policy id and version (UpdateTrafficPolicyInstance) | HostedZoneId, Name |

A delegation set's caller reference is made here (the type has no properties) from the stack
id and logical id, unique per create. Deleting a traffic policy deletes every version of it
(a stack makes version 1; versions added outside the stack would keep the policy alive)."""

from __future__ import annotations

import uuid
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    deleting,
    ignore_missing,
    policy_text,
    provider,
    refuse_unapplied,
    updating,
)

S = "route53"
DSET, POLICY, INSTANCE = "AWS::Route53::DelegationSet", "AWS::Route53::TrafficPolicy", "AWS::Route53::TrafficPolicyInstance"


def _bare(value: str) -> str:
    return value.rsplit("/", 1)[-1]


# --- AWS::Route53::DelegationSet --------------------------------------------------------------

@provider(DSET)
async def create_delegation_set(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(DSET, props, ())
    reference = f"{ctx.logical_id}-{uuid.uuid4().hex}"[:128]
    dset = (await ctx.call(S, "CreateReusableDelegationSet", {"CallerReference": reference}))["DelegationSet"]
    did = _bare(dset["Id"])
    arn = arns.route53("delegationset", did)
    return Done(did, {"Arn": arn, "Id": did, "CallerReference": dset["CallerReference"],
                      "NameServers": list(dset["NameServers"])}, ref=arn)


@deleting(DSET)
async def delete_delegation_set(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await ignore_missing(ctx.call(S, "DeleteReusableDelegationSet", {"Id": physical}), "NoSuchDelegationSet")


# --- AWS::Route53::TrafficPolicy --------------------------------------------------------------

def _policy_done(doc: dict[str, Any]) -> Done:
    pid = str(doc["Id"])
    arn = arns.route53("trafficpolicy", pid)
    return Done(pid, {"Arn": arn, "Id": pid, "Version": int(doc["Version"]), "Type": doc["Type"]}, ref=arn)


@provider(POLICY)
async def create_traffic_policy(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(POLICY, props, ("Comment", "Document", "Name"))
    params: dict[str, Any] = {"Name": props["Name"], "Document": policy_text(props["Document"])}
    if props.get("Comment"):
        params["Comment"] = props["Comment"]
    return _policy_done((await ctx.call(S, "CreateTrafficPolicy", params))["TrafficPolicy"])


@updating(POLICY)
async def update_traffic_policy(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                done: Done) -> Done:
    refuse_unapplied(POLICY, new, ("Comment", "Document", "Name"))
    doc = (await ctx.call(S, "UpdateTrafficPolicyComment", {"Id": physical, "Version": int(done.attrs["Version"]),
                                                            "Comment": str(new.get("Comment") or "")}))["TrafficPolicy"]
    return _policy_done(doc)


@deleting(POLICY)
async def delete_traffic_policy(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    async def versions() -> list[int]:
        out = await ctx.call(S, "ListTrafficPolicyVersions", {"Id": physical, "MaxItems": "100"})
        return [int(v["Version"]) for v in out["TrafficPolicies"]]

    try:
        found = await versions()
    except AwsError as e:
        if e.code != "NoSuchTrafficPolicy":
            raise
        return  # already gone
    for version in found:
        await ignore_missing(ctx.call(S, "DeleteTrafficPolicy", {"Id": physical, "Version": version}), "NoSuchTrafficPolicy")


# --- AWS::Route53::TrafficPolicyInstance ------------------------------------------------------

_INSTANCE = ("HostedZoneId", "Name", "TTL", "TrafficPolicyId", "TrafficPolicyVersion")


def _instance_done(doc: dict[str, Any]) -> Done:
    iid = str(doc["Id"])
    arn = arns.route53("trafficpolicyinstance", iid)
    return Done(iid, {"Arn": arn, "Id": iid, "State": doc.get("State", ""), "TrafficPolicyType": doc["TrafficPolicyType"]},
                ref=arn)


def _policy_ref(props: dict[str, Any]) -> dict[str, Any]:
    return {"TTL": int(props["TTL"]), "TrafficPolicyId": str(props["TrafficPolicyId"]),
            "TrafficPolicyVersion": int(props["TrafficPolicyVersion"])}


@provider(INSTANCE)
async def create_traffic_policy_instance(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(INSTANCE, props, _INSTANCE)
    params = {"HostedZoneId": _bare(str(props["HostedZoneId"])), "Name": props["Name"], **_policy_ref(props)}
    return _instance_done((await ctx.call(S, "CreateTrafficPolicyInstance", params))["TrafficPolicyInstance"])


@updating(INSTANCE)
async def update_traffic_policy_instance(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                         done: Done) -> Done:
    refuse_unapplied(INSTANCE, new, _INSTANCE)
    out = await ctx.call(S, "UpdateTrafficPolicyInstance", {"Id": physical, **_policy_ref(new)})
    return _instance_done(out["TrafficPolicyInstance"])


@deleting(INSTANCE)
async def delete_traffic_policy_instance(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await ignore_missing(ctx.call(S, "DeleteTrafficPolicyInstance", {"Id": physical}), "NoSuchTrafficPolicyInstance")
