"""Route 53, Cloud Map and CloudWatch alarm resource types: AWS::Route53::HostedZone,
AWS::Route53::RecordSet, AWS::Route53::RecordSetGroup, AWS::Route53::HealthCheck,
AWS::ServiceDiscovery::PrivateDnsNamespace / PublicDnsNamespace / HttpNamespace / Service,
AWS::CloudWatch::Alarm."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    ResourceFailed,
    deleting,
    ignore_missing,
    provider,
    updating,
)


async def _ignore_missing(coro: Any) -> None:
    await ignore_missing(coro, "NoSuch", "NotFound")


def _zone_id(value: str) -> str:
    return value.rsplit("/", 1)[-1]


@provider("AWS::Route53::HostedZone")
async def create_hosted_zone(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    params: dict[str, Any] = {"Name": props["Name"], "CallerReference": str(uuid.uuid4())}
    config = props.get("HostedZoneConfig")
    if isinstance(config, dict) and config.get("Comment"):
        params["HostedZoneConfig"] = {"Comment": config["Comment"]}
    vpcs = props.get("VPCs") or []
    if vpcs:
        params["VPC"] = {"VPCId": vpcs[0]["VPCId"], "VPCRegion": vpcs[0]["VPCRegion"]}
        params.setdefault("HostedZoneConfig", {})["PrivateZone"] = True
    out = await ctx.call("route53", "CreateHostedZone", params)
    zone = _zone_id(out["HostedZone"]["Id"])
    tags = [{"Key": t["Key"], "Value": t["Value"]} for t in props.get("HostedZoneTags") or ()]
    if tags:
        await ctx.call("route53", "ChangeTagsForResource", {"ResourceType": "hostedzone", "ResourceId": zone, "AddTags": tags})
    servers = list((out.get("DelegationSet") or {}).get("NameServers") or [])
    return Done(zone, {"Id": zone, "NameServers": servers})


@updating("AWS::Route53::HostedZone")
async def update_hosted_zone(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    comment = (new.get("HostedZoneConfig") or {}).get("Comment", "")
    if comment != (old.get("HostedZoneConfig") or {}).get("Comment", ""):
        await ctx.call("route53", "UpdateHostedZoneComment", {"Id": physical, "Comment": comment})
    return done


@deleting("AWS::Route53::HostedZone")
async def delete_hosted_zone(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call("route53", "DeleteHostedZone", {"Id": physical}))


async def _zone_of(ctx: ResourceContext, props: dict[str, Any]) -> str:
    if props.get("HostedZoneId"):
        return _zone_id(str(props["HostedZoneId"]))
    name = str(props.get("HostedZoneName", ""))
    out = await ctx.call("route53", "ListHostedZonesByName", {"DNSName": name, "MaxItems": "1"})
    zones = [z for z in out.get("HostedZones") or () if z["Name"].rstrip(".") == name.rstrip(".")]
    if not zones:
        raise ResourceFailed(f"No hosted zone found with name {name}")
    return _zone_id(zones[0]["Id"])


_RECORD_KEYS = ("SetIdentifier", "Weight", "Region", "Failover", "MultiValueAnswer", "HealthCheckId", "GeoLocation",
                "CidrRoutingConfig", "GeoProximityLocation")


def _record(props: dict[str, Any]) -> dict[str, Any]:
    rr: dict[str, Any] = {"Name": props["Name"], "Type": props["Type"]}
    if props.get("AliasTarget"):
        a = props["AliasTarget"]
        rr["AliasTarget"] = {"HostedZoneId": a["HostedZoneId"], "DNSName": a["DNSName"],
                             "EvaluateTargetHealth": str(a.get("EvaluateTargetHealth", False)).lower() == "true"}
    else:
        rr["TTL"] = int(props.get("TTL", 300))
        rr["ResourceRecords"] = [{"Value": str(v)} for v in props.get("ResourceRecords") or ()]
    for k in _RECORD_KEYS:
        if k in props:
            v = props[k]
            if k == "Weight":
                v = int(v)
            elif k == "MultiValueAnswer":
                v = str(v).lower() == "true"
            rr[k] = v
    return rr


async def _change(ctx: ResourceContext, zone: str, changes: list[tuple[str, dict[str, Any]]]) -> None:
    await ctx.call("route53", "ChangeResourceRecordSets", {"HostedZoneId": zone, "ChangeBatch": {
        "Changes": [{"Action": action, "ResourceRecordSet": rr} for action, rr in changes]}})


@provider("AWS::Route53::RecordSet", replaces=("Name", "Type", "HostedZoneId", "HostedZoneName", "SetIdentifier"))
async def create_record_set(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    zone = await _zone_of(ctx, props)
    await _change(ctx, zone, [("CREATE", _record(props))])
    return Done(str(props["Name"]).rstrip("."))


@updating("AWS::Route53::RecordSet")
async def update_record_set(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    await _change(ctx, await _zone_of(ctx, new), [("UPSERT", _record(new))])
    return done


@deleting("AWS::Route53::RecordSet")
async def delete_record_set(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    try:
        await _change(ctx, await _zone_of(ctx, props), [("DELETE", _record(props))])
    except AwsError as e:
        if e.code not in ("InvalidChangeBatch", "NoSuchHostedZone"):
            raise
    except ResourceFailed:
        pass  # the zone went first


@provider("AWS::Route53::RecordSetGroup")
async def create_record_set_group(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    zone = await _zone_of(ctx, props)
    await _change(ctx, zone, [("CREATE", _record(r)) for r in props.get("RecordSets") or ()])
    return Done(ctx.name(64))


@updating("AWS::Route53::RecordSetGroup")
async def update_record_set_group(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    zone = await _zone_of(ctx, new)
    keep = {(r["Name"], r["Type"], r.get("SetIdentifier")) for r in new.get("RecordSets") or ()}
    gone = [("DELETE", _record(r)) for r in old.get("RecordSets") or () if (r["Name"], r["Type"], r.get("SetIdentifier")) not in keep]
    await _change(ctx, zone, gone + [("UPSERT", _record(r)) for r in new.get("RecordSets") or ()])
    return done


@deleting("AWS::Route53::RecordSetGroup")
async def delete_record_set_group(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    try:
        await _change(ctx, await _zone_of(ctx, props), [("DELETE", _record(r)) for r in props.get("RecordSets") or ()])
    except AwsError as e:
        if e.code not in ("InvalidChangeBatch", "NoSuchHostedZone"):
            raise
    except ResourceFailed:
        pass  # the zone went first


def _health_config(props: dict[str, Any]) -> dict[str, Any]:
    config = dict(props["HealthCheckConfig"])
    for k in ("Port", "RequestInterval", "FailureThreshold", "HealthThreshold"):
        if k in config:
            config[k] = int(config[k])
    for k in ("Inverted", "MeasureLatency", "EnableSNI", "Disabled"):
        if k in config:
            config[k] = str(config[k]).lower() == "true"
    return config


@provider("AWS::Route53::HealthCheck")
async def create_health_check(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    out = await ctx.call("route53", "CreateHealthCheck", {"CallerReference": str(uuid.uuid4()),
                                                          "HealthCheckConfig": _health_config(props)})
    hid = out["HealthCheck"]["Id"]
    tags = [{"Key": t["Key"], "Value": t["Value"]} for t in props.get("HealthCheckTags") or ()]
    if tags:
        await ctx.call("route53", "ChangeTagsForResource", {"ResourceType": "healthcheck", "ResourceId": hid, "AddTags": tags})
    return Done(hid, {"HealthCheckId": hid})


@deleting("AWS::Route53::HealthCheck")
async def delete_health_check(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call("route53", "DeleteHealthCheck", {"HealthCheckId": physical}))


async def wait_operation(ctx: ResourceContext, operation_id: str) -> dict[str, Any]:
    """Cloud Map's asynchronous operation, waited for (it ends in SUCCESS or FAIL)."""
    while True:
        op = (await ctx.call("servicediscovery", "GetOperation", {"OperationId": operation_id}))["Operation"]
        if op["Status"] == "SUCCESS":
            return dict(op)
        if op["Status"] == "FAIL":
            raise ResourceFailed(str(op.get("ErrorMessage") or "Cloud Map operation failed"))
        await asyncio.sleep(0.2)


def _namespace(kind: str) -> Any:
    async def create(ctx: ResourceContext, props: dict[str, Any]) -> Done:
        params: dict[str, Any] = {"Name": props["Name"], "CreatorRequestId": str(uuid.uuid4())}
        if props.get("Description"):
            params["Description"] = props["Description"]
        if kind == "PrivateDns":
            params["Vpc"] = props["Vpc"]
        tags = ctx.tag_list(props)
        if tags:
            params["Tags"] = tags
        op = await wait_operation(ctx, (await ctx.call("servicediscovery", f"Create{kind}Namespace", params))["OperationId"])
        ns = op["Targets"]["NAMESPACE"]
        attrs: dict[str, Any] = {"Id": ns, "Arn": arns.servicediscovery_namespace(ctx.region, ctx.account, ns)}
        if kind != "Http":
            got = (await ctx.call("servicediscovery", "GetNamespace", {"Id": ns}))["Namespace"]
            attrs["HostedZoneId"] = ((got.get("Properties") or {}).get("DnsProperties") or {}).get("HostedZoneId", "")
        return Done(ns, attrs)
    return create


async def _delete_namespace(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    try:
        op = await ctx.call("servicediscovery", "DeleteNamespace", {"Id": physical})
    except AwsError as e:
        if e.code == "NamespaceNotFound":
            return
        raise
    await wait_operation(ctx, op["OperationId"])


for _kind in ("PrivateDns", "PublicDns", "Http"):
    provider(f"AWS::ServiceDiscovery::{_kind}Namespace")(_namespace(_kind))
    deleting(f"AWS::ServiceDiscovery::{_kind}Namespace")(_delete_namespace)


@provider("AWS::ServiceDiscovery::Service")
async def create_sd_service(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    params: dict[str, Any] = {"Name": props.get("Name") or ctx.name(127), "CreatorRequestId": str(uuid.uuid4())}
    for k in ("NamespaceId", "Description", "DnsConfig", "HealthCheckConfig", "HealthCheckCustomConfig", "Type"):
        if k in props:
            params[k] = props[k]
    dns = params.get("DnsConfig")
    if isinstance(dns, dict):
        params["DnsConfig"] = {**dns, "DnsRecords": [{"Type": r["Type"], "TTL": int(r["TTL"])} for r in dns.get("DnsRecords") or ()]}
    tags = ctx.tag_list(props)
    if tags:
        params["Tags"] = tags
    svc = (await ctx.call("servicediscovery", "CreateService", params))["Service"]
    return Done(svc["Id"], {"Id": svc["Id"], "Arn": svc["Arn"], "Name": svc["Name"]})


@deleting("AWS::ServiceDiscovery::Service")
async def delete_sd_service(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    try:
        await ctx.call("servicediscovery", "DeleteService", {"Id": physical})
    except AwsError as e:
        if e.code != "ServiceNotFound":
            raise


_ALARM_KEYS = ("AlarmDescription", "ActionsEnabled", "OKActions", "AlarmActions", "InsufficientDataActions", "MetricName",
               "Namespace", "Statistic", "ExtendedStatistic", "Dimensions", "Period", "Unit", "EvaluationPeriods",
               "DatapointsToAlarm", "Threshold", "ComparisonOperator", "TreatMissingData", "EvaluateLowSampleCountPercentile",
               "Metrics", "ThresholdMetricId")


def _alarm_params(name: str, props: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"AlarmName": name}
    for k in _ALARM_KEYS:
        if k not in props:
            continue
        v = props[k]
        if k in ("Period", "EvaluationPeriods", "DatapointsToAlarm"):
            v = int(v)
        elif k == "Threshold":
            v = float(v)
        elif k == "ActionsEnabled":
            v = str(v).lower() == "true"
        out[k] = v
    return out


@provider("AWS::CloudWatch::Alarm")
async def create_alarm(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    name = props.get("AlarmName") or ctx.name(255)
    params = _alarm_params(name, props)
    tags = ctx.tag_list(props)
    if tags:
        params["Tags"] = tags
    await ctx.call("cloudwatch", "PutMetricAlarm", params)
    return Done(name, {"Arn": arns.cloudwatch_alarm(ctx.region, ctx.account, name)})


@updating("AWS::CloudWatch::Alarm")
async def update_alarm(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    await ctx.call("cloudwatch", "PutMetricAlarm", _alarm_params(physical, new))
    return done


@deleting("AWS::CloudWatch::Alarm")
async def delete_alarm(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await ctx.call("cloudwatch", "DeleteAlarms", {"AlarmNames": [physical]})
