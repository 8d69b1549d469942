"""Load balancing and certificate resource types, made by the elbv2 and acm services' own
handlers: AWS::ElasticLoadBalancingV2::LoadBalancer (Ref: its ARN; GetAtt
CanonicalHostedZoneID, DNSName, LoadBalancerArn, LoadBalancerFullName, LoadBalancerName,
SecurityGroups; the create waits for `active`), TargetGroup (Ref: its ARN; GetAtt
LoadBalancerArns, TargetGroupArn, TargetGroupFullName, TargetGroupName), Listener (Ref and
GetAtt ListenerArn), ListenerRule (Ref: its ARN; GetAtt IsDefault, RuleArn), and
AWS::CertificateManager::Certificate (Ref: its ARN).

A DNS-validated certificate waits, as CloudFormation does, until ACM issues it: for each
domain whose DomainValidationOptions name a HostedZoneId the validation CNAME is written into
that Route 53 zone (CloudFormation's automatic validation); for the others the resource stays
CREATE_IN_PROGRESS with the event reason "Content of DNS Record is: {Name: …,Type: CNAME,
Value: …}" until someone creates the record. A certificate that fails validation fails the
resource with ACM's reason."""

from __future__ import annotations

import asyncio
from typing import Any

from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    ResourceFailed,
    deleting,
    ignore_missing,
    provider,
    refuse_unapplied,
    text,
    updating,
)
from gureum.services.cloudformation.providers.shapes import coerce

POLL = 0.2
ELB = "elbv2"


async def _ignore_missing(coro: Any) -> None:
    await ignore_missing(coro, "NotFound", "NoSuch")


def _tags(ctx: ResourceContext, props: dict[str, Any]) -> list[dict[str, str]]:
    return ctx.tag_list(props)


async def _retag(ctx: ResourceContext, arn: str, old: dict[str, Any], new: dict[str, Any]) -> None:
    before = {t["Key"]: t["Value"] for t in ctx.tag_list(old)}
    after = {t["Key"]: t["Value"] for t in ctx.tag_list(new)}
    gone = [k for k in before if k not in after]
    if gone:
        await ctx.call(ELB, "RemoveTags", {"ResourceArns": [arn], "TagKeys": gone})
    changed = [{"Key": k, "Value": v} for k, v in after.items() if before.get(k) != v]
    if changed:
        await ctx.call(ELB, "AddTags", {"ResourceArns": [arn], "Tags": changed})


def _attributes(items: Any) -> list[dict[str, str]]:
    return [{"Key": str(a["Key"]), "Value": str(a["Value"]).lower() if isinstance(a["Value"], bool) else str(a["Value"])}
            for a in items or ()]


# --- load balancers --------------------------------------------------------------------------

_LB_FIELDS = ("Name", "Subnets", "SubnetMappings", "SecurityGroups", "Scheme", "Type", "IpAddressType",
              "CustomerOwnedIpv4Pool", "EnablePrefixForIpv6SourceNat")


async def _lb_active(ctx: ResourceContext, arn: str) -> dict[str, Any]:
    while True:
        lb = (await ctx.call(ELB, "DescribeLoadBalancers", {"LoadBalancerArns": [arn]}))["LoadBalancers"][0]
        state = lb.get("State") or {}
        if state.get("Code") == "active":
            return dict(lb)
        if state.get("Code") == "failed":
            raise ResourceFailed(str(state.get("Reason") or "the load balancer failed to provision"))
        await asyncio.sleep(POLL)


def _lb_done(lb: dict[str, Any]) -> Done:
    arn = lb["LoadBalancerArn"]
    return Done(arn, {"CanonicalHostedZoneID": lb.get("CanonicalHostedZoneId", ""), "DNSName": lb.get("DNSName", ""),
                      "LoadBalancerArn": arn, "LoadBalancerFullName": arn.split(":loadbalancer/", 1)[1],
                      "LoadBalancerName": lb["LoadBalancerName"], "SecurityGroups": list(lb.get("SecurityGroups") or [])})


@provider("AWS::ElasticLoadBalancingV2::LoadBalancer")
async def create_load_balancer(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ElasticLoadBalancingV2::LoadBalancer", props, (*_LB_FIELDS, "LoadBalancerAttributes", "Tags"))
    params = coerce(ELB, "CreateLoadBalancer", {k: props[k] for k in _LB_FIELDS if k in props})
    params.setdefault("Name", ctx.name(32))
    tags = _tags(ctx, props)
    if tags:
        params["Tags"] = tags
    lb = (await ctx.call(ELB, "CreateLoadBalancer", params))["LoadBalancers"][0]
    arn = lb["LoadBalancerArn"]
    if props.get("LoadBalancerAttributes"):
        await ctx.call(ELB, "ModifyLoadBalancerAttributes", {"LoadBalancerArn": arn,
                                                             "Attributes": _attributes(props["LoadBalancerAttributes"])})
    return _lb_done(await _lb_active(ctx, arn))


@updating("AWS::ElasticLoadBalancingV2::LoadBalancer")
async def update_load_balancer(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                               done: Done) -> Done:
    refuse_unapplied("AWS::ElasticLoadBalancingV2::LoadBalancer", new, (*_LB_FIELDS, "LoadBalancerAttributes", "Tags"))
    if old.get("Subnets") != new.get("Subnets") or old.get("SubnetMappings") != new.get("SubnetMappings"):
        params: dict[str, Any] = {k: new[k] for k in ("Subnets", "SubnetMappings") if k in new}
        await ctx.call(ELB, "SetSubnets", {"LoadBalancerArn": physical, **params})
    if old.get("SecurityGroups") != new.get("SecurityGroups") and "SecurityGroups" in new:
        await ctx.call(ELB, "SetSecurityGroups", {"LoadBalancerArn": physical, "SecurityGroups": new["SecurityGroups"]})
    if old.get("IpAddressType") != new.get("IpAddressType") and "IpAddressType" in new:
        await ctx.call(ELB, "SetIpAddressType", {"LoadBalancerArn": physical, "IpAddressType": new["IpAddressType"]})
    if old.get("LoadBalancerAttributes") != new.get("LoadBalancerAttributes") and new.get("LoadBalancerAttributes"):
        await ctx.call(ELB, "ModifyLoadBalancerAttributes", {"LoadBalancerArn": physical,
                                                             "Attributes": _attributes(new["LoadBalancerAttributes"])})
    await _retag(ctx, physical, old, new)
    lb = (await ctx.call(ELB, "DescribeLoadBalancers", {"LoadBalancerArns": [physical]}))["LoadBalancers"][0]
    return _lb_done(lb)


@deleting("AWS::ElasticLoadBalancingV2::LoadBalancer")
async def delete_load_balancer(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(ELB, "DeleteLoadBalancer", {"LoadBalancerArn": physical}))


# --- target groups ---------------------------------------------------------------------------

_TG_CREATE = ("Name", "Protocol", "ProtocolVersion", "Port", "VpcId", "HealthCheckProtocol", "HealthCheckPort",
              "HealthCheckEnabled", "HealthCheckPath", "HealthCheckIntervalSeconds", "HealthCheckTimeoutSeconds",
              "HealthyThresholdCount", "UnhealthyThresholdCount", "Matcher", "TargetType", "IpAddressType")
_TG_MODIFY = ("HealthCheckProtocol", "HealthCheckPort", "HealthCheckPath", "HealthCheckEnabled",
              "HealthCheckIntervalSeconds", "HealthCheckTimeoutSeconds", "HealthyThresholdCount",
              "UnhealthyThresholdCount", "Matcher")


def _targets(props: dict[str, Any]) -> list[dict[str, Any]]:
    return coerce(ELB, "RegisterTargets", {"TargetGroupArn": "", "Targets": list(props.get("Targets") or [])})["Targets"]  # type: ignore[no-any-return]


def _target_key(t: dict[str, Any]) -> tuple[str, str]:
    return str(t["Id"]), str(t.get("Port", ""))


def _tg_done(tg: dict[str, Any]) -> Done:
    arn = tg["TargetGroupArn"]
    return Done(arn, {"LoadBalancerArns": list(tg.get("LoadBalancerArns") or []), "TargetGroupArn": arn,
                      "TargetGroupFullName": arn.split(":", 5)[5], "TargetGroupName": tg["TargetGroupName"]})


@provider("AWS::ElasticLoadBalancingV2::TargetGroup")
async def create_target_group(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ElasticLoadBalancingV2::TargetGroup", props, (*_TG_CREATE, "TargetGroupAttributes", "Targets", "Tags"))
    params = coerce(ELB, "CreateTargetGroup", {k: props[k] for k in _TG_CREATE if k in props})
    params.setdefault("Name", ctx.name(32))
    tags = _tags(ctx, props)
    if tags:
        params["Tags"] = tags
    tg = (await ctx.call(ELB, "CreateTargetGroup", params))["TargetGroups"][0]
    arn = tg["TargetGroupArn"]
    if props.get("TargetGroupAttributes"):
        await ctx.call(ELB, "ModifyTargetGroupAttributes", {"TargetGroupArn": arn,
                                                            "Attributes": _attributes(props["TargetGroupAttributes"])})
    targets = _targets(props)
    if targets:
        await ctx.call(ELB, "RegisterTargets", {"TargetGroupArn": arn, "Targets": targets})
    return _tg_done(tg)


@updating("AWS::ElasticLoadBalancingV2::TargetGroup")
async def update_target_group(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    refuse_unapplied("AWS::ElasticLoadBalancingV2::TargetGroup", new, (*_TG_CREATE, "TargetGroupAttributes", "Targets", "Tags"))
    changed = {k: new[k] for k in _TG_MODIFY if k in new and old.get(k) != new.get(k)}
    if changed:
        await ctx.call(ELB, "ModifyTargetGroup", coerce(ELB, "ModifyTargetGroup", {"TargetGroupArn": physical, **changed}))
    if old.get("TargetGroupAttributes") != new.get("TargetGroupAttributes") and new.get("TargetGroupAttributes"):
        await ctx.call(ELB, "ModifyTargetGroupAttributes", {"TargetGroupArn": physical,
                                                            "Attributes": _attributes(new["TargetGroupAttributes"])})
    before = {_target_key(t): t for t in _targets(old)}
    after = {_target_key(t): t for t in _targets(new)}
    gone = [t for k, t in before.items() if k not in after]
    if gone:
        await ctx.call(ELB, "DeregisterTargets", {"TargetGroupArn": physical, "Targets": gone})
    added = [t for k, t in after.items() if k not in before]
    if added:
        await ctx.call(ELB, "RegisterTargets", {"TargetGroupArn": physical, "Targets": added})
    await _retag(ctx, physical, old, new)
    tg = (await ctx.call(ELB, "DescribeTargetGroups", {"TargetGroupArns": [physical]}))["TargetGroups"][0]
    return _tg_done(tg)


@deleting("AWS::ElasticLoadBalancingV2::TargetGroup")
async def delete_target_group(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(ELB, "DeleteTargetGroup", {"TargetGroupArn": physical}))


# --- listeners and rules ---------------------------------------------------------------------

_LISTENER_FIELDS = ("LoadBalancerArn", "Protocol", "Port", "SslPolicy", "Certificates", "DefaultActions", "AlpnPolicy",
                    "MutualAuthentication")


@provider("AWS::ElasticLoadBalancingV2::Listener")
async def create_listener(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ElasticLoadBalancingV2::Listener", props, _LISTENER_FIELDS)
    params = coerce(ELB, "CreateListener", {k: props[k] for k in _LISTENER_FIELDS if k in props})
    listener = (await ctx.call(ELB, "CreateListener", params))["Listeners"][0]
    arn = listener["ListenerArn"]
    return Done(arn, {"ListenerArn": arn})


@updating("AWS::ElasticLoadBalancingV2::Listener")
async def update_listener(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    refuse_unapplied("AWS::ElasticLoadBalancingV2::Listener", new, _LISTENER_FIELDS)
    fields = [k for k in _LISTENER_FIELDS if k != "LoadBalancerArn"]
    changed = {k: new[k] for k in fields if k in new and old.get(k) != new.get(k)}
    if changed:
        await ctx.call(ELB, "ModifyListener", coerce(ELB, "ModifyListener", {"ListenerArn": physical, **changed}))
    return done


@deleting("AWS::ElasticLoadBalancingV2::Listener")
async def delete_listener(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(ELB, "DeleteListener", {"ListenerArn": physical}))


@provider("AWS::ElasticLoadBalancingV2::ListenerRule")
async def create_listener_rule(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::ElasticLoadBalancingV2::ListenerRule", props, ("ListenerArn", "Priority", "Conditions", "Actions"))
    params = coerce(ELB, "CreateRule", {k: props[k] for k in ("ListenerArn", "Priority", "Conditions", "Actions")
                                        if k in props})
    rule = (await ctx.call(ELB, "CreateRule", params))["Rules"][0]
    arn = rule["RuleArn"]
    return Done(arn, {"RuleArn": arn, "IsDefault": text(bool(rule.get("IsDefault", False)))})


@updating("AWS::ElasticLoadBalancingV2::ListenerRule")
async def update_listener_rule(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                               done: Done) -> Done:
    refuse_unapplied("AWS::ElasticLoadBalancingV2::ListenerRule", new, ("ListenerArn", "Priority", "Conditions", "Actions"))
    if str(old.get("Priority")) != str(new.get("Priority")):
        await ctx.call(ELB, "SetRulePriorities", {"RulePriorities": [{"RuleArn": physical,
                                                                       "Priority": int(new["Priority"])}]})
    changed: dict[str, Any] = {k: new[k] for k in ("Conditions", "Actions") if k in new and old.get(k) != new.get(k)}
    if changed:
        await ctx.call(ELB, "ModifyRule", coerce(ELB, "ModifyRule", {"RuleArn": physical, **changed}))
    return done


@deleting("AWS::ElasticLoadBalancingV2::ListenerRule")
async def delete_listener_rule(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(ELB, "DeleteRule", {"RuleArn": physical}))


# --- ACM certificates ------------------------------------------------------------------------

def _record_text(rr: dict[str, Any]) -> str:
    return f"Content of DNS Record is: {{Name: {rr['Name']},Type: {rr['Type']},Value: {rr['Value']}}}"


async def _validate_and_wait(ctx: ResourceContext, arn: str, props: dict[str, Any]) -> None:
    zones = {str(o["DomainName"]): str(o["HostedZoneId"]) for o in props.get("DomainValidationOptions") or ()
             if isinstance(o, dict) and o.get("HostedZoneId")}
    handled: set[str] = set()
    while True:
        cert = (await ctx.call("acm", "DescribeCertificate", {"CertificateArn": arn}))["Certificate"]
        status = cert.get("Status")
        if status == "ISSUED":
            return
        if status in ("FAILED", "VALIDATION_TIMED_OUT", "REVOKED", "EXPIRED"):
            raise ResourceFailed(f"Certificate {arn} is {status}: {cert.get('FailureReason', 'validation failed')}")
        for option in cert.get("DomainValidationOptions") or ():
            rr = option.get("ResourceRecord")
            domain = str(option.get("DomainName"))
            if not rr or domain in handled:
                continue
            handled.add(domain)
            zone = zones.get(domain)
            if zone:
                await ctx.call("route53", "ChangeResourceRecordSets", {"HostedZoneId": zone, "ChangeBatch": {"Changes": [
                    {"Action": "UPSERT", "ResourceRecordSet": {"Name": rr["Name"], "Type": rr["Type"], "TTL": 60,
                                                               "ResourceRecords": [{"Value": rr["Value"]}]}}]}})
            else:
                await ctx.note(_record_text(rr))
        await asyncio.sleep(POLL)


_CERT_FIELDS = ("DomainName", "SubjectAlternativeNames", "ValidationMethod", "CertificateAuthorityArn", "KeyAlgorithm")


@provider("AWS::CertificateManager::Certificate")
async def create_certificate(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::CertificateManager::Certificate", props, (*_CERT_FIELDS, "DomainValidationOptions", "CertificateTransparencyLoggingPreference", "Tags"))
    params: dict[str, Any] = {k: props[k] for k in _CERT_FIELDS if k in props}
    options = [{"DomainName": o["DomainName"], "ValidationDomain": o.get("ValidationDomain", o["DomainName"])}
               for o in props.get("DomainValidationOptions") or () if isinstance(o, dict) and "ValidationDomain" in o]
    if options:
        params["DomainValidationOptions"] = options
    if props.get("CertificateTransparencyLoggingPreference"):
        params["Options"] = {"CertificateTransparencyLoggingPreference": props["CertificateTransparencyLoggingPreference"]}
    tags = ctx.tag_list(props)
    if tags:
        params["Tags"] = tags
    arn = (await ctx.call("acm", "RequestCertificate", params))["CertificateArn"]
    if str(props.get("ValidationMethod", "DNS")).upper() == "DNS" and not props.get("CertificateAuthorityArn"):
        await _validate_and_wait(ctx, arn, props)
    return Done(arn)


@updating("AWS::CertificateManager::Certificate")
async def update_certificate(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    refuse_unapplied("AWS::CertificateManager::Certificate", new, (*_CERT_FIELDS, "DomainValidationOptions", "CertificateTransparencyLoggingPreference", "Tags"))
    before = {t["Key"]: t["Value"] for t in ctx.tag_list(old)}
    after = {t["Key"]: t["Value"] for t in ctx.tag_list(new)}
    gone = [{"Key": k} for k in before if k not in after]
    if gone:
        await ctx.call("acm", "RemoveTagsFromCertificate", {"CertificateArn": physical, "Tags": gone})
    changed = [{"Key": k, "Value": v} for k, v in after.items() if before.get(k) != v]
    if changed:
        await ctx.call("acm", "AddTagsToCertificate", {"CertificateArn": physical, "Tags": changed})
    return done


@deleting("AWS::CertificateManager::Certificate")
async def delete_certificate(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call("acm", "DeleteCertificate", {"CertificateArn": physical}))
