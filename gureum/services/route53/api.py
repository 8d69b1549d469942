"""Route 53 API handlers (rest-xml): thin shells over model.py; output shaped like the model."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError, NotImplementedOperation
from gureum.services.route53 import (
    features,
    health,
    health_sources,
    model,
    names,
    paging,
    protections,
    traffic,
    vpc_auth,
)

if TYPE_CHECKING:
    from gureum.services.route53.server import DnsServer

LOCATION = "https://route53.amazonaws.com/2013-04-01"


def _max_items(params: dict, default: int, cap: int | None = None) -> int:
    return paging.count(params, "MaxItems", default, cap)


def _delegation_set(zone: dict) -> dict:
    out: dict[str, Any] = {"NameServers": list(zone["NameServers"])}
    if zone.get("DelegationSetId"):
        out["Id"] = "/delegationset/" + zone["DelegationSetId"]
    return out


def _dns_server(ctx: RequestContext) -> DnsServer | None:
    from gureum.services.route53.slots import DNS

    return ctx.app.parts.get(DNS)


def change_info(ctx: RequestContext, change: dict) -> dict:
    """PENDING until the DNS server answers from an index that includes the change."""
    info = dict(change)
    if info.get("Status") == "PENDING":
        server = _dns_server(ctx)
        if server is None or server.serves(model.bare_id(info["Id"])) or server.loaded_after(info["SubmittedAt"]):
            info["Status"] = "INSYNC"
    return info


def _who(ctx: RequestContext) -> dict[str, str]:
    """Who submitted a change, as Change History records it."""
    return {"SubmittedBy": ctx.principal_arn, "RequestId": ctx.request_id}


# --- hosted zones ------------------------------------------------------------------------------
@operation("route53", "CreateHostedZone")
async def create_hosted_zone(ctx: RequestContext, params: dict) -> dict:
    cfg = params.get("HostedZoneConfig") or {}
    vpc = params.get("VPC")
    private = bool(cfg.get("PrivateZone", False)) or vpc is not None
    result = await ctx.app.store.run(lambda txn: model.create_zone(
        txn, ctx.account_id, params["Name"], params["CallerReference"], cfg.get("Comment"), private, vpc,
        params.get("DelegationSetId"), tier=cfg.get("HostedZoneTier"), who=_who(ctx)))
    zone = result["zone"]
    out: dict[str, Any] = {
        "HostedZone": model.zone_public(zone),
        "ChangeInfo": result["change"],
        "Location": f"{LOCATION}{zone['Id']}",
    }
    if zone["Config"].get("PrivateZone"):
        out["VPC"] = result["vpc"] or zone["VPCs"][0]
    else:
        out["DelegationSet"] = _delegation_set(zone)
    return out


@operation("route53", "GetHostedZone")
async def get_hosted_zone(ctx: RequestContext, params: dict) -> dict:
    zone = await ctx.app.store.read(lambda txn: model.get_zone(txn, ctx.account_id, params["Id"]))
    out: dict[str, Any] = {"HostedZone": {**model.zone_public(zone), "Features": features.public_features(zone)}}
    if zone["Config"].get("PrivateZone"):
        out["VPCs"] = list(zone["VPCs"])
    else:
        out["DelegationSet"] = _delegation_set(zone)
    return out


@operation("route53", "GetHostedZoneCount")
async def get_hosted_zone_count(ctx: RequestContext, params: dict) -> dict:
    n = await ctx.app.store.read(lambda txn: txn.count(model.ZONES, f"{ctx.account_id}/"))
    return {"HostedZoneCount": n}


@operation("route53", "ListHostedZones")
async def list_hosted_zones(ctx: RequestContext, params: dict) -> dict:
    max_items = _max_items(params, 100, 100)
    dset_id = params.get("DelegationSetId")

    def read(txn: Any) -> list[dict]:
        if dset_id:
            model.get_delegation_set(txn, ctx.account_id, dset_id)
        return model.list_zones(txn, ctx.account_id)

    zones = sorted(await ctx.app.store.read(read), key=lambda z: z.get("Order", 0))
    if dset_id:
        zones = [z for z in zones if z.get("DelegationSetId") == model.bare_id(dset_id)]
    if params.get("HostedZoneType") == "PrivateHostedZone":
        zones = [z for z in zones if z["Config"].get("PrivateZone")]
    start = 0
    marker = params.get("Marker")
    if marker:
        ids = [model.bare_id(z["Id"]) for z in zones]
        if model.bare_id(marker) not in ids:
            raise AwsError.modeled("route53", "InvalidInput", f"Invalid marker: {marker}")
        start = ids.index(model.bare_id(marker))
    page = zones[start : start + max_items]
    out: dict[str, Any] = {
        "HostedZones": [model.zone_public(z) for z in page],
        "IsTruncated": start + max_items < len(zones),
        "MaxItems": str(max_items),
    }
    if marker:
        out["Marker"] = marker
    if out["IsTruncated"]:
        out["NextMarker"] = model.bare_id(zones[start + max_items]["Id"])
    return out


@operation("route53", "ListHostedZonesByName")
async def list_hosted_zones_by_name(ctx: RequestContext, params: dict) -> dict:
    max_items = _max_items(params, 100, 100)
    zones = sorted(await ctx.app.store.read(lambda txn: model.list_zones(txn, ctx.account_id)), key=model.zones_by_name_order)
    dns_name, zone_id = params.get("DNSName"), params.get("HostedZoneId")
    if zone_id and not dns_name:
        raise AwsError.modeled(
            "route53", "InvalidInput", "The HostedZoneId parameter can only be specified together with DNSName."
        )
    start = 0
    if dns_name:
        try:
            key = (names.sort_key(names.parse(dns_name)), model.bare_id(zone_id) if zone_id else "")
        except names.BadName:
            raise AwsError.modeled("route53", "InvalidDomainName", f"{dns_name} is not a valid domain name.") from None
        while start < len(zones) and model.zones_by_name_order(zones[start]) < key:
            start += 1
    page = zones[start : start + max_items]
    out: dict[str, Any] = {
        "HostedZones": [model.zone_public(z) for z in page],
        "IsTruncated": start + max_items < len(zones),
        "MaxItems": str(max_items),
    }
    if dns_name:
        out["DNSName"] = dns_name
    if zone_id:
        out["HostedZoneId"] = zone_id
    if out["IsTruncated"]:
        nxt = zones[start + max_items]
        out["NextDNSName"] = nxt["Name"]
        out["NextHostedZoneId"] = model.bare_id(nxt["Id"])
    return out


@operation("route53", "ListHostedZonesByVPC")
async def list_hosted_zones_by_vpc(ctx: RequestContext, params: dict) -> dict:
    max_items = _max_items(params, 100, 100)
    vpc = {"VPCId": params["VPCId"], "VPCRegion": params["VPCRegion"]}
    def order(zo: tuple[dict, str]) -> tuple[int, str]:
        return (zo[0].get("Order", 0), model.bare_id(zo[0]["Id"]))

    matched = sorted(await ctx.app.store.read(lambda txn: vpc_auth.zones_for_vpc(txn, ctx.account_id, vpc)), key=order)
    page, token, _ = paging.page(matched, order, f"route53.zones-by-vpc/{ctx.account_id}/",
                                 params, "MaxItems", 100, 100, "InvalidPaginationToken", filters=vpc)
    out: dict[str, Any] = {
        "HostedZoneSummaries": [
            {"HostedZoneId": model.bare_id(z["Id"]), "Name": z["Name"], "Owner": {"OwningAccount": owner}} for z, owner in page
        ],
        "MaxItems": str(max_items),
    }
    if token:
        out["NextToken"] = token
    return out


@operation("route53", "UpdateHostedZoneComment")
async def update_hosted_zone_comment(ctx: RequestContext, params: dict) -> dict:
    zone = await ctx.app.store.run(lambda txn: model.update_comment(txn, ctx.account_id, params["Id"], params.get("Comment")))
    return {"HostedZone": model.zone_public(zone)}


@operation("route53", "DeleteHostedZone")
async def delete_hosted_zone(ctx: RequestContext, params: dict) -> dict:
    change = await ctx.app.store.run(lambda txn: model.delete_zone(txn, ctx.account_id, params["Id"]))
    return {"ChangeInfo": change}


@operation("route53", "AssociateVPCWithHostedZone")
async def associate_vpc(ctx: RequestContext, params: dict) -> dict:
    change = await ctx.app.store.run(lambda txn: vpc_auth.associate(txn, ctx.account_id, params["HostedZoneId"], params["VPC"], params.get("Comment")))
    return {"ChangeInfo": change}


@operation("route53", "DisassociateVPCFromHostedZone")
async def disassociate_vpc(ctx: RequestContext, params: dict) -> dict:
    change = await ctx.app.store.run(lambda txn: vpc_auth.disassociate(txn, ctx.account_id, params["HostedZoneId"], params["VPC"], params.get("Comment")))
    return {"ChangeInfo": change}


@operation("route53", "CreateVPCAssociationAuthorization")
async def create_vpc_association_authorization(ctx: RequestContext, params: dict) -> dict:
    return await ctx.app.store.run(lambda txn: vpc_auth.authorize(txn, ctx.account_id, params["HostedZoneId"], params["VPC"]))


@operation("route53", "DeleteVPCAssociationAuthorization")
async def delete_vpc_association_authorization(ctx: RequestContext, params: dict) -> dict:
    await ctx.app.store.run(lambda txn: vpc_auth.deauthorize(txn, ctx.account_id, params["HostedZoneId"], params["VPC"]))
    return {}


@operation("route53", "ListVPCAssociationAuthorizations")
async def list_vpc_association_authorizations(ctx: RequestContext, params: dict) -> dict:
    return await ctx.app.store.read(lambda txn: vpc_auth.list_authorizations(txn, ctx.account_id, params["HostedZoneId"], params))


# --- limits ------------------------------------------------------------------------------------
@operation("route53", "GetHostedZoneLimit")
async def get_hosted_zone_limit(ctx: RequestContext, params: dict) -> dict:
    zone = await ctx.app.store.read(lambda txn: model.get_zone(txn, ctx.account_id, params["HostedZoneId"]))
    if params["Type"] == "MAX_RRSETS_BY_ZONE":
        return {"Limit": {"Type": params["Type"], "Value": model.MAX_RRSETS_PER_ZONE}, "Count": zone["ResourceRecordSetCount"]}
    if not zone["Config"].get("PrivateZone"):
        raise AwsError.modeled(
            "route53",
            "HostedZoneNotPrivate",
            "The specified hosted zone is a public hosted zone, not a private hosted zone.",
        )
    return {"Limit": {"Type": params["Type"], "Value": model.MAX_VPCS_PER_ZONE}, "Count": len(zone["VPCs"])}


@operation("route53", "GetAccountLimit")
async def get_account_limit(ctx: RequestContext, params: dict) -> dict:
    kind = params["Type"]
    if kind not in model.ACCOUNT_LIMITS:  # a type newer than gureum's table (the model's enum grows)
        raise NotImplementedOperation(message=f"gureum does not implement the account limit {kind} yet")
    prefix = f"{ctx.account_id}/"

    def count(txn: Any) -> int:
        if kind == "MAX_TRAFFIC_POLICIES_BY_OWNER":  # one row per version: count the policies
            return len({key.split("/")[1] for key, _doc in txn.scan(traffic.POLICIES, prefix)})
        return int(txn.count(_LIMIT_TABLES[kind], prefix))

    return {"Limit": {"Type": kind, "Value": model.ACCOUNT_LIMITS[kind]}, "Count": await ctx.app.store.read(count)}


# What each account limit counts (one row per resource, keys starting with the account).
_LIMIT_TABLES = {
    "MAX_HOSTED_ZONES_BY_OWNER": model.ZONES,
    "MAX_REUSABLE_DELEGATION_SETS_BY_OWNER": model.DSETS,
    "MAX_HEALTH_CHECKS_BY_OWNER": health.HEALTHCHECKS,
    "MAX_HEALTH_CHECK_SOURCES_BY_OWNER": health.SOURCES,
    "MAX_TRAFFIC_POLICY_INSTANCES_BY_OWNER": traffic.INSTANCES,
}


@operation("route53", "GetReusableDelegationSetLimit")
async def get_reusable_delegation_set_limit(ctx: RequestContext, params: dict) -> dict:
    def read(txn: Any) -> int:
        dset = model.get_delegation_set(txn, ctx.account_id, params["DelegationSetId"])
        did = model.bare_id(dset["Id"])
        return sum(1 for z in model.list_zones(txn, ctx.account_id) if z.get("DelegationSetId") == did)

    count = await ctx.app.store.read(read)
    return {"Limit": {"Type": params["Type"], "Value": model.MAX_ZONES_PER_DELEGATION_SET}, "Count": count}


# --- reusable delegation sets ---------------------------------------------------------------------
@operation("route53", "CreateReusableDelegationSet")
async def create_reusable_delegation_set(ctx: RequestContext, params: dict) -> dict:
    dset = await ctx.app.store.run(lambda txn: model.create_delegation_set(txn, ctx.account_id, params["CallerReference"], params.get("HostedZoneId")))
    return {"DelegationSet": dset, "Location": f"{LOCATION}{dset['Id']}"}


@operation("route53", "GetReusableDelegationSet")
async def get_reusable_delegation_set(ctx: RequestContext, params: dict) -> dict:
    dset = await ctx.app.store.read(lambda txn: model.get_delegation_set(txn, ctx.account_id, params["Id"]))
    return {"DelegationSet": dset}


@operation("route53", "ListReusableDelegationSets")
async def list_reusable_delegation_sets(ctx: RequestContext, params: dict) -> dict:
    max_items = _max_items(params, 100, 100)
    dsets = [d for _k, d in await ctx.app.store.read(lambda txn: txn.scan(model.DSETS, f"{ctx.account_id}/"))]
    start = 0
    marker = params.get("Marker")
    if marker:
        ids = [model.bare_id(d["Id"]) for d in dsets]
        start = ids.index(model.bare_id(marker)) if model.bare_id(marker) in ids else len(ids)
    out: dict[str, Any] = {
        "DelegationSets": dsets[start : start + max_items],
        "IsTruncated": start + max_items < len(dsets),
        "MaxItems": str(max_items),
        "Marker": marker or "",
    }
    if out["IsTruncated"]:
        out["NextMarker"] = model.bare_id(dsets[start + max_items]["Id"])
    return out


@operation("route53", "DeleteReusableDelegationSet")
async def delete_reusable_delegation_set(ctx: RequestContext, params: dict) -> dict:
    await ctx.app.store.run(lambda txn: model.delete_delegation_set(txn, ctx.account_id, params["Id"]))
    return {}


# --- tags ----------------------------------------------------------------------------------------
@operation("route53", "ChangeTagsForResource")
async def change_tags_for_resource(ctx: RequestContext, params: dict) -> dict:
    await ctx.app.store.run(lambda txn: model.change_tags(
        txn, ctx.account_id, params["ResourceType"], params["ResourceId"], params.get("AddTags") or [], params.get("RemoveTagKeys") or []))
    return {}


@operation("route53", "ListTagsForResource")
async def list_tags_for_resource(ctx: RequestContext, params: dict) -> dict:
    tags = await ctx.app.store.read(lambda txn: model.list_tags(txn, ctx.account_id, params["ResourceType"], params["ResourceId"]))
    return {"ResourceTagSet": tags}


@operation("route53", "ListTagsForResources")
async def list_tags_for_resources(ctx: RequestContext, params: dict) -> dict:
    rtype = params["ResourceType"]
    sets = await ctx.app.store.read(lambda txn: [model.list_tags(txn, ctx.account_id, rtype, rid) for rid in params["ResourceIds"]])
    return {"ResourceTagSets": sets}


# --- record sets and changes -------------------------------------------------------------------------
@operation("route53", "ChangeResourceRecordSets")
async def change_resource_record_sets(ctx: RequestContext, params: dict) -> dict:
    change = await ctx.app.store.run(lambda txn: model.change_record_sets(txn, ctx.account_id, params["HostedZoneId"], params["ChangeBatch"], _who(ctx)))
    return {"ChangeInfo": change}


@operation("route53", "ListResourceRecordSets")
async def list_resource_record_sets(ctx: RequestContext, params: dict) -> dict:
    max_items = _max_items(params, 300, 300)
    start_name, start_type, start_id = params.get("StartRecordName"), params.get("StartRecordType"), params.get("StartRecordIdentifier")
    if start_type and not start_name:
        raise AwsError.modeled(
            "route53",
            "InvalidInput",
            "The input is not valid: StartRecordType is specified, but StartRecordName is not.",
        )

    def read(txn: Any) -> list[dict]:
        zone = model.get_zone(txn, ctx.account_id, params["HostedZoneId"])
        return model.zone_records(txn, ctx.account_id, model.bare_id(zone["Id"]))

    docs = sorted(await ctx.app.store.read(read), key=model.rrset_order)
    start = 0
    if start_name:
        try:
            key = (names.sort_key(names.parse(start_name)), start_type or "", start_id or "")
        except names.BadName:
            raise AwsError.modeled("route53", "InvalidInput", f"Invalid name: {start_name}") from None
        while start < len(docs) and model.rrset_order(docs[start]) < key:
            start += 1
    page = docs[start : start + max_items]
    out: dict[str, Any] = {"ResourceRecordSets": [_public_rrset(d) for d in page], "IsTruncated": start + max_items < len(docs), "MaxItems": str(max_items)}
    if out["IsTruncated"]:
        nxt = docs[start + max_items]
        out["NextRecordName"] = nxt["Name"]
        out["NextRecordType"] = nxt["Type"]
        if nxt.get("SetIdentifier"):
            out["NextRecordIdentifier"] = nxt["SetIdentifier"]
    return out


def _public_rrset(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if v is not None and not k.startswith("_")}  # _Traffic: internal


@operation("route53", "GetChange")
async def get_change(ctx: RequestContext, params: dict) -> dict:
    change = await ctx.app.store.read(lambda txn: model.get_change(txn, ctx.account_id, params["Id"]))
    info = change_info(ctx, change)
    if info["Status"] != change["Status"]:
        key = f"{ctx.account_id}/{model.bare_id(change['Id'])}"
        await ctx.app.store.run(lambda txn: txn.put(model.CHANGES, key, info))
    return {"ChangeInfo": info}


@operation("route53", "TestDNSAnswer")
async def test_dns_answer(ctx: RequestContext, params: dict) -> dict:
    import dns.name
    import dns.rcode
    import dns.rdatatype

    def read(txn: Any) -> dict:
        return model.get_zone(txn, ctx.account_id, params["HostedZoneId"])

    zone = await ctx.app.store.read(read)
    server = _dns_server(ctx)
    rtype = params["RecordType"]
    record_name = params["RecordName"]
    data: list[str] = []
    rcode = "NOERROR"
    if server is not None:
        from gureum.services.route53 import routing

        qname = dns.name.from_text(record_name)
        ip = params.get("EDNS0ClientSubnetIP") or params.get("ResolverIP")
        result = server.index.lookup(qname, dns.rdatatype.from_text(rtype), None, routing.Query(server.index, ip))
        rcode = dns.rcode.to_text(dns.rcode.Rcode(result.rcode))
        data = [rd.to_text() for rrset in result.answer if rrset.rdtype == dns.rdatatype.from_text(rtype) for rd in rrset]
    return {
        "Nameserver": zone["NameServers"][0],
        "RecordName": record_name,
        "RecordType": rtype,
        "RecordData": data,
        "ResponseCode": rcode,
        "Protocol": "UDP",
    }


# --- record set protections --------------------------------------------------------------------------
@operation("route53", "CreateResourceRecordSetProtections")
async def create_resource_record_set_protections(ctx: RequestContext, params: dict) -> dict:
    await ctx.app.store.run(lambda txn: protections.create(txn, ctx.account_id, params["HostedZoneId"], params["Protections"]))
    return {}


@operation("route53", "DeleteResourceRecordSetProtections")
async def delete_resource_record_set_protections(ctx: RequestContext, params: dict) -> dict:
    await ctx.app.store.run(lambda txn: protections.delete(txn, ctx.account_id, params["HostedZoneId"], params["Protections"]))
    return {}


@operation("route53", "ListResourceRecordSetProtections")
async def list_resource_record_set_protections(ctx: RequestContext, params: dict) -> dict:
    return await ctx.app.store.read(lambda txn: protections.list_page(txn, ctx.account_id, params["HostedZoneId"], params))


# --- tiers, features and Change History ----------------------------------------------------------------
@operation("route53", "UpdateHostedZoneTier")
async def update_hosted_zone_tier(ctx: RequestContext, params: dict) -> dict:
    await ctx.app.store.run(lambda txn: features.update_tier(txn, ctx.account_id, params["HostedZoneId"], params["HostedZoneTier"], bool(params.get("DryRun"))))
    return {}


@operation("route53", "UpdateHostedZoneFeatures")
async def update_hosted_zone_features(ctx: RequestContext, params: dict) -> dict:
    await ctx.app.store.run(lambda txn: features.update_features(txn, ctx.account_id, params["HostedZoneId"], params))
    return {}


@operation("route53", "ListHostedZoneChangeBatches")
async def list_hosted_zone_change_batches(ctx: RequestContext, params: dict) -> dict:
    return await ctx.app.store.read(lambda txn: features.list_batches(txn, ctx.account_id, params["HostedZoneId"], params))


@operation("route53", "GetHostedZoneChangeBatch")
async def get_hosted_zone_change_batch(ctx: RequestContext, params: dict) -> dict:
    return await ctx.app.store.read(lambda txn: features.get_batch(txn, ctx.account_id, params["HostedZoneId"], params["ChangeId"]))


@operation("route53", "ListResourceRecordSetChanges")
async def list_resource_record_set_changes(ctx: RequestContext, params: dict) -> dict:
    return await ctx.app.store.read(lambda txn: features.list_rrset_changes(txn, ctx.account_id, params["HostedZoneId"], params))


# --- health check sources ---------------------------------------------------------------------------
@operation("route53", "CreateHealthCheckSource")
async def create_health_check_source(ctx: RequestContext, params: dict) -> dict:
    out = await ctx.app.store.run(lambda txn: health_sources.create(txn, ctx.account_id, params))
    return {**out, "Location": f"{LOCATION}/healthchecksource/{out['HealthCheckSourceId']}"}


@operation("route53", "GetHealthCheckSource")
async def get_health_check_source(ctx: RequestContext, params: dict) -> dict:
    doc = await ctx.app.store.read(lambda txn: health_sources.get(txn, ctx.account_id, params["HealthCheckSourceId"]))
    return {"HealthCheckSource": health_sources.public(doc)}


@operation("route53", "DeleteHealthCheckSource")
async def delete_health_check_source(ctx: RequestContext, params: dict) -> dict:
    return await ctx.app.store.run(lambda txn: health_sources.delete(txn, ctx.account_id, params["HealthCheckSourceId"]))


@operation("route53", "ListHealthCheckSources")
async def list_health_check_sources(ctx: RequestContext, params: dict) -> dict:
    return await ctx.app.store.read(lambda txn: health_sources.list_page(txn, ctx.account_id, params))


@operation("route53", "ListHealthChecksBySource")
async def list_health_checks_by_source(ctx: RequestContext, params: dict) -> dict:
    return await ctx.app.store.read(lambda txn: health_sources.checks_by_source(txn, ctx.account_id, params["HealthCheckSourceId"], params))
