"""More Route 53 resource types, made by the route53 service's own handlers:

- AWS::Route53::KeySigningKey (Ref: `{zone id}|{name}`, the primary identifier's parts; no
  Fn::GetAtt): CreateKeySigningKey; Status changes in place (Activate- / DeactivateKeySigningKey),
  the rest replaces it (the engine decides); delete deactivates it first, as Route 53 requires.
- AWS::Route53::DNSSEC (Ref: the hosted zone id): Enable- / DisableHostedZoneDNSSEC; the zone
  replaces it. A template makes it DependsOn an ACTIVE KeySigningKey, as AWS's does.
- AWS::Route53::QueryLoggingConfig (Ref and GetAtt Id; GetAtt Arn): both properties replace it.
- AWS::Route53::CidrCollection (Ref and GetAtt Id; GetAtt Arn): Name replaces it; Locations
  change in place (ChangeCidrCollection: PUT the new or changed locations, DELETE_IF_EXISTS the
  dropped ones, at the collection's current version)."""

from __future__ import annotations

import uuid
from typing import Any

from gureum.aws import arn
from gureum.aws.errors import AwsError
from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    deleting,
    provider,
    refuse_unapplied,
    updating,
)

S = "route53"
KSK, DNSSEC, QLOG, CIDR = ("AWS::Route53::KeySigningKey", "AWS::Route53::DNSSEC", "AWS::Route53::QueryLoggingConfig",
                           "AWS::Route53::CidrCollection")


def _zone(value: Any) -> str:
    return str(value).rstrip("/").rsplit("/", 1)[-1]


async def _ignore(coro: Any, *codes: str) -> None:
    try:
        await coro
    except AwsError as e:
        if e.code not in codes:
            raise


# --- key-signing keys and DNSSEC -------------------------------------------------------------

@provider(KSK)
async def create_ksk(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(KSK, props, ("HostedZoneId", "KeyManagementServiceArn", "Name", "Status"))
    zone = _zone(props["HostedZoneId"])
    await ctx.call(S, "CreateKeySigningKey", {"CallerReference": str(uuid.uuid4()), "HostedZoneId": zone,
                                              "KeyManagementServiceArn": props["KeyManagementServiceArn"],
                                              "Name": props["Name"], "Status": props["Status"]})
    return Done(f"{zone}|{props['Name']}", {})


@updating(KSK)
async def update_ksk(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    refuse_unapplied(KSK, new, ("HostedZoneId", "KeyManagementServiceArn", "Name", "Status"))
    if old.get("Status") != new.get("Status"):
        op = "ActivateKeySigningKey" if new["Status"] == "ACTIVE" else "DeactivateKeySigningKey"
        await ctx.call(S, op, {"HostedZoneId": _zone(new["HostedZoneId"]), "Name": new["Name"]})
    return done


@deleting(KSK)
async def delete_ksk(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    key = {"HostedZoneId": _zone(props["HostedZoneId"]), "Name": props["Name"]}
    await _ignore(ctx.call(S, "DeactivateKeySigningKey", key), "NoSuchKeySigningKey", "NoSuchHostedZone",
                  "InvalidKeySigningKeyStatus")
    await _ignore(ctx.call(S, "DeleteKeySigningKey", key), "NoSuchKeySigningKey", "NoSuchHostedZone")


@provider(DNSSEC)
async def create_dnssec(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(DNSSEC, props, ("HostedZoneId",))
    zone = _zone(props["HostedZoneId"])
    await ctx.call(S, "EnableHostedZoneDNSSEC", {"HostedZoneId": zone})
    return Done(zone, {})


@deleting(DNSSEC)
async def delete_dnssec(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore(ctx.call(S, "DisableHostedZoneDNSSEC", {"HostedZoneId": physical}), "NoSuchHostedZone", "DNSSECNotFound")


# --- query logging ---------------------------------------------------------------------------

@provider(QLOG)
async def create_query_logging(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(QLOG, props, ("CloudWatchLogsLogGroupArn", "HostedZoneId"))
    out = await ctx.call(S, "CreateQueryLoggingConfig", {"HostedZoneId": _zone(props["HostedZoneId"]),
                                                         "CloudWatchLogsLogGroupArn": props["CloudWatchLogsLogGroupArn"]})
    qid = str(out["QueryLoggingConfig"]["Id"])
    return Done(qid, {"Id": qid, "Arn": arn.route53("queryloggingconfig", qid)})


@deleting(QLOG)
async def delete_query_logging(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore(ctx.call(S, "DeleteQueryLoggingConfig", {"Id": physical}), "NoSuchQueryLoggingConfig")


# --- CIDR collections ------------------------------------------------------------------------

def _locations(props: dict[str, Any]) -> dict[str, list[str]]:
    return {str(loc["LocationName"]): sorted(str(c) for c in loc.get("CidrList") or ()) for loc in props.get("Locations") or ()}


async def _change_locations(ctx: ResourceContext, cid: str, version: int, old: dict[str, Any], new: dict[str, Any]) -> None:
    before, after = _locations(old), _locations(new)
    changes: list[dict[str, Any]] = []
    for name, cidrs in before.items():
        gone = [c for c in cidrs if c not in after.get(name, [])]
        if gone:
            changes.append({"LocationName": name, "Action": "DELETE_IF_EXISTS", "CidrList": gone})
    for name, cidrs in after.items():
        if cidrs != before.get(name):
            changes.append({"LocationName": name, "Action": "PUT", "CidrList": cidrs})
    if changes:
        await ctx.call(S, "ChangeCidrCollection", {"Id": cid, "CollectionVersion": version, "Changes": changes})


@provider(CIDR)
async def create_cidr_collection(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(CIDR, props, ("Locations", "Name"))
    col = (await ctx.call(S, "CreateCidrCollection", {"Name": props["Name"], "CallerReference": str(uuid.uuid4())}))["Collection"]
    done = Done(str(col["Id"]), {"Id": col["Id"], "Arn": col["Arn"]})
    try:
        await _change_locations(ctx, str(col["Id"]), int(col["Version"]), {}, props)
    except AwsError:
        await delete_cidr_collection(ctx, done.physical_id, props, done)
        raise
    return done


async def _version(ctx: ResourceContext, cid: str) -> int:
    out = await ctx.call(S, "ListCidrCollections", {})
    for col in out.get("CidrCollections") or ():
        if col["Id"] == cid:
            return int(col["Version"])
    raise AwsError.modeled(S, "NoSuchCidrCollectionException", f"The CIDR collection {cid} does not exist.")


@updating(CIDR)
async def update_cidr_collection(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                 done: Done) -> Done:
    refuse_unapplied(CIDR, new, ("Locations", "Name"))
    await _change_locations(ctx, physical, await _version(ctx, physical), old, new)
    return done


@deleting(CIDR)
async def delete_cidr_collection(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    try:
        version = await _version(ctx, physical)
    except AwsError:
        return
    await _change_locations(ctx, physical, version, props, {})
    await _ignore(ctx.call(S, "DeleteCidrCollection", {"Id": physical}), "NoSuchCidrCollectionException")
