"""ELBv2 handlers: read the parameters, run one model function in a transaction, shape the answer."""

from __future__ import annotations

import time
from typing import Any

from gureum.aws import tags
from gureum.aws.dispatch import RequestContext, operation
from gureum.services.elbv2 import access_logs, attributes, balancers, groups, listeners, names, tagging, targets
from gureum.services.elbv2.settings import Elbv2Settings
from gureum.store import Txn

Doc = dict[str, Any]


def _marker(marker: str | None) -> Doc:
    return {"NextMarker": marker} if marker else {}


# --- load balancers ------------------------------------------------------------------------

@operation("elbv2", "CreateLoadBalancer")
async def create_load_balancer(ctx: RequestContext, params: Doc) -> Doc:
    s = ctx.app.settings(Elbv2Settings)
    doc = await ctx.app.store.run(lambda t: balancers.create(t, ctx.account_id, ctx.region, params, time.time(),
                                                             s.address_network, s.max_load_balancers))
    return {"LoadBalancers": [balancers.public(doc)]}


@operation("elbv2", "DescribeLoadBalancers")
async def describe_load_balancers(ctx: RequestContext, params: Doc) -> Doc:
    docs, marker = await ctx.app.store.read(lambda t: balancers.describe(t, ctx.account_id, ctx.region, params))
    return {"LoadBalancers": docs, **_marker(marker)}


@operation("elbv2", "DeleteLoadBalancer")
async def delete_load_balancer(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: balancers.delete(t, params["LoadBalancerArn"], listeners.drop_for_lb))
    return {}


@operation("elbv2", "DescribeLoadBalancerAttributes")
async def describe_load_balancer_attributes(ctx: RequestContext, params: Doc) -> Doc:
    _, doc = await ctx.app.store.read(lambda t: balancers.get(t, params["LoadBalancerArn"]))
    return {"Attributes": attributes.pairs(doc["attributes"])}


@operation("elbv2", "ModifyLoadBalancerAttributes")
async def modify_load_balancer_attributes(ctx: RequestContext, params: Doc) -> Doc:
    await access_logs.check_enable(ctx.app, params["LoadBalancerArn"], params["Attributes"])
    attrs = await ctx.app.store.run(lambda t: balancers.modify_attributes(t, params["LoadBalancerArn"], params["Attributes"]))
    return {"Attributes": attributes.pairs(attrs)}


@operation("elbv2", "SetSecurityGroups")
async def set_security_groups(ctx: RequestContext, params: Doc) -> Doc:
    out = await ctx.app.store.run(lambda t: balancers.set_security_groups(t, params["LoadBalancerArn"], params["SecurityGroups"]))
    return {"SecurityGroupIds": out}


@operation("elbv2", "SetSubnets")
async def set_subnets(ctx: RequestContext, params: Doc) -> Doc:
    zones = await ctx.app.store.run(lambda t: balancers.set_subnets(t, params["LoadBalancerArn"], params))
    return {"AvailabilityZones": zones}


@operation("elbv2", "SetIpAddressType")
async def set_ip_address_type(ctx: RequestContext, params: Doc) -> Doc:
    out = await ctx.app.store.run(lambda t: balancers.set_ip_address_type(t, params["LoadBalancerArn"], params["IpAddressType"]))
    return {"IpAddressType": out}


# --- target groups -------------------------------------------------------------------------

@operation("elbv2", "CreateTargetGroup")
async def create_target_group(ctx: RequestContext, params: Doc) -> Doc:
    limit = ctx.app.settings(Elbv2Settings).max_target_groups

    def run(t: Txn) -> Doc:
        doc = groups.create(t, ctx.account_id, ctx.region, params, time.time(), limit)
        return groups.public(doc, listeners.lbs_of(t, doc["TargetGroupArn"]))
    return {"TargetGroups": [await ctx.app.store.run(run)]}


@operation("elbv2", "DescribeTargetGroups")
async def describe_target_groups(ctx: RequestContext, params: Doc) -> Doc:
    docs, marker = await ctx.app.store.read(lambda t: groups.describe(t, ctx.account_id, ctx.region, params,
                                                                       listeners.lbs_of, listeners.groups_in_lb))
    return {"TargetGroups": docs, **_marker(marker)}


@operation("elbv2", "ModifyTargetGroup")
async def modify_target_group(ctx: RequestContext, params: Doc) -> Doc:
    def run(t: Txn) -> Doc:
        doc = groups.modify(t, params["TargetGroupArn"], params)
        return groups.public(doc, listeners.lbs_of(t, doc["TargetGroupArn"]))
    return {"TargetGroups": [await ctx.app.store.run(run)]}


@operation("elbv2", "DeleteTargetGroup")
async def delete_target_group(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: groups.delete(t, params["TargetGroupArn"], listeners.tg_in_use, targets.drop_for_tg))
    return {}


@operation("elbv2", "DescribeTargetGroupAttributes")
async def describe_target_group_attributes(ctx: RequestContext, params: Doc) -> Doc:
    _, doc = await ctx.app.store.read(lambda t: groups.get(t, params["TargetGroupArn"]))
    return {"Attributes": attributes.pairs(doc["attributes"])}


@operation("elbv2", "ModifyTargetGroupAttributes")
async def modify_target_group_attributes(ctx: RequestContext, params: Doc) -> Doc:
    attrs = await ctx.app.store.run(lambda t: groups.modify_attributes(t, params["TargetGroupArn"], params["Attributes"]))
    return {"Attributes": attributes.pairs(attrs)}


@operation("elbv2", "RegisterTargets")
async def register_targets(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: targets.register(t, params["TargetGroupArn"], params["Targets"], time.time()))
    return {}


@operation("elbv2", "DeregisterTargets")
async def deregister_targets(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: targets.deregister(t, params["TargetGroupArn"], params["Targets"], time.time()))
    return {}


@operation("elbv2", "DescribeTargetHealth")
async def describe_target_health(ctx: RequestContext, params: Doc) -> Doc:
    arn = params["TargetGroupArn"]

    def run(t: Txn) -> list[Doc]:
        groups.get(t, arn)
        return targets.describe_health(t, arn, params.get("Targets"), listeners.tg_in_use(t, arn))
    return {"TargetHealthDescriptions": await ctx.app.store.read(run)}


# --- listeners and rules -------------------------------------------------------------------

@operation("elbv2", "CreateListener")
async def create_listener(ctx: RequestContext, params: Doc) -> Doc:
    doc = await ctx.app.store.run(lambda t: listeners.create_listener(t, params))
    return {"Listeners": [listeners.public_listener(doc)]}


@operation("elbv2", "DescribeListeners")
async def describe_listeners(ctx: RequestContext, params: Doc) -> Doc:
    docs, marker = await ctx.app.store.read(lambda t: listeners.describe_listeners(t, params))
    return {"Listeners": docs, **_marker(marker)}


@operation("elbv2", "ModifyListener")
async def modify_listener(ctx: RequestContext, params: Doc) -> Doc:
    doc = await ctx.app.store.run(lambda t: listeners.modify_listener(t, params))
    return {"Listeners": [listeners.public_listener(doc)]}


@operation("elbv2", "DeleteListener")
async def delete_listener(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: listeners.delete_listener(t, params["ListenerArn"]))
    return {}


@operation("elbv2", "DescribeListenerAttributes")
async def describe_listener_attributes(ctx: RequestContext, params: Doc) -> Doc:
    _, doc = await ctx.app.store.read(lambda t: listeners.get_listener(t, params["ListenerArn"]))
    if doc["Protocol"] == "TCP":
        return {"Attributes": [{"Key": "tcp.idle_timeout.seconds", "Value": "350"}]}
    return {"Attributes": []}


@operation("elbv2", "AddListenerCertificates")
async def add_listener_certificates(ctx: RequestContext, params: Doc) -> Doc:
    out = await ctx.app.store.run(lambda t: listeners.add_certificates(t, params["ListenerArn"], params["Certificates"]))
    return {"Certificates": out}


@operation("elbv2", "RemoveListenerCertificates")
async def remove_listener_certificates(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: listeners.remove_certificates(t, params["ListenerArn"], params["Certificates"]))
    return {}


@operation("elbv2", "DescribeListenerCertificates")
async def describe_listener_certificates(ctx: RequestContext, params: Doc) -> Doc:
    return {"Certificates": await ctx.app.store.read(lambda t: listeners.describe_certificates(t, params["ListenerArn"]))}


@operation("elbv2", "CreateRule")
async def create_rule(ctx: RequestContext, params: Doc) -> Doc:
    doc = await ctx.app.store.run(lambda t: listeners.create_rule(t, params))
    return {"Rules": [listeners.public_rule(doc)]}


@operation("elbv2", "DescribeRules")
async def describe_rules(ctx: RequestContext, params: Doc) -> Doc:
    docs, marker = await ctx.app.store.read(lambda t: listeners.describe_rules(t, params))
    return {"Rules": docs, **_marker(marker)}


@operation("elbv2", "ModifyRule")
async def modify_rule(ctx: RequestContext, params: Doc) -> Doc:
    doc = await ctx.app.store.run(lambda t: listeners.modify_rule(t, params))
    return {"Rules": [listeners.public_rule(doc)]}


@operation("elbv2", "DeleteRule")
async def delete_rule(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: listeners.delete_rule(t, params["RuleArn"]))
    return {}


@operation("elbv2", "SetRulePriorities")
async def set_rule_priorities(ctx: RequestContext, params: Doc) -> Doc:
    return {"Rules": await ctx.app.store.run(lambda t: listeners.set_priorities(t, params["RulePriorities"]))}


# --- tags and limits -----------------------------------------------------------------------

def _place(txn: Txn, arn: str) -> tagging.DocPlace:
    """Where the tags of the resource `arn` live; its own not-found error when it is gone."""
    a = names.parse(arn, "loadbalancer")
    if a is not None:
        return tagging.DocPlace(balancers.LBS, balancers.get(txn, arn)[0])
    if names.parse(arn, "targetgroup") is not None:
        return tagging.DocPlace(groups.TGS, groups.get(txn, arn)[0])
    if names.parse(arn, "listener") is not None:
        return tagging.DocPlace(listeners.LISTENERS, listeners.get_listener(txn, arn)[0])
    if names.parse(arn, "listener-rule") is not None:
        return tagging.DocPlace(listeners.RULES, listeners.get_rule(txn, arn)[0])
    raise names.validation(f"'{arn}' is not a valid load balancer, target group, listener or rule ARN")


@operation("elbv2", "AddTags")
async def add_tags(ctx: RequestContext, params: Doc) -> Doc:
    pairs = [(x.get("Key"), x.get("Value") or "") for x in params["Tags"]]

    def run(t: Txn) -> None:
        for arn in params["ResourceArns"]:
            tags.tag(t, _place(t, arn), pairs, tagging.RULES)
    await ctx.app.store.run(run)
    return {}


@operation("elbv2", "RemoveTags")
async def remove_tags(ctx: RequestContext, params: Doc) -> Doc:
    def run(t: Txn) -> None:
        for arn in params["ResourceArns"]:
            tags.untag(t, _place(t, arn), params["TagKeys"], tagging.RULES)
    await ctx.app.store.run(run)
    return {}


@operation("elbv2", "DescribeTags")
async def describe_tags(ctx: RequestContext, params: Doc) -> Doc:
    def run(t: Txn) -> list[Doc]:
        return [{"ResourceArn": arn, "Tags": tags.to_pairs(tags.list_tags(t, _place(t, arn)))}
                for arn in params["ResourceArns"]]
    return {"TagDescriptions": await ctx.app.store.read(run)}


@operation("elbv2", "DescribeAccountLimits")
async def describe_account_limits(ctx: RequestContext, params: Doc) -> Doc:
    s = ctx.app.settings(Elbv2Settings)
    limits = [("application-load-balancers", s.max_load_balancers), ("network-load-balancers", s.max_load_balancers),
              ("target-groups", s.max_target_groups), ("listeners-per-application-load-balancer", listeners.MAX_LISTENERS),
              ("listeners-per-network-load-balancer", listeners.MAX_LISTENERS),
              ("rules-per-application-load-balancer", listeners.MAX_RULES), ("targets-per-target-group", targets.MAX_TARGETS)]
    return {"Limits": [{"Name": n, "Max": str(v)} for n, v in limits]}
