"""Route 53 Resolver handlers: read the parameters, run one model function, shape the answer.
Served: endpoints, resolver rules, rule associations, rule sharing policies, tags, and DNS
Firewall (domain lists, rule groups, rules, associations, configs), query logging configs
and their associations."""

from __future__ import annotations

from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.services.route53resolver import firewall, model, querylog

Doc = dict[str, Any]
S = "route53resolver"


def _page(key: str, items: list[Doc], nxt: str | None, p: Doc) -> Doc:
    out: Doc = {key: items, "MaxResults": int(p.get("MaxResults") or 10)}
    if nxt:
        out["NextToken"] = nxt
    return out


@operation(S, "CreateResolverEndpoint")
async def create_resolver_endpoint(ctx: RequestContext, p: Doc) -> Doc:
    return {"ResolverEndpoint": await ctx.app.store.run(lambda t: model.create_endpoint(t, ctx.account_id, ctx.region, p))}


@operation(S, "GetResolverEndpoint")
async def get_resolver_endpoint(ctx: RequestContext, p: Doc) -> Doc:
    doc = await ctx.app.store.read(lambda t: model.get_endpoint(t, ctx.account_id, ctx.region, p["ResolverEndpointId"]))
    return {"ResolverEndpoint": model._public(doc)}


@operation(S, "DeleteResolverEndpoint")
async def delete_resolver_endpoint(ctx: RequestContext, p: Doc) -> Doc:
    return {"ResolverEndpoint": await ctx.app.store.run(
        lambda t: model.delete_endpoint(t, ctx.account_id, ctx.region, p["ResolverEndpointId"]))}


@operation(S, "ListResolverEndpoints")
async def list_resolver_endpoints(ctx: RequestContext, p: Doc) -> Doc:
    items, nxt = await ctx.app.store.read(lambda t: model.list_endpoints(t, ctx.account_id, ctx.region, p))
    return _page("ResolverEndpoints", items, nxt, p)


@operation(S, "ListResolverEndpointIpAddresses")
async def list_resolver_endpoint_ip_addresses(ctx: RequestContext, p: Doc) -> Doc:
    items = await ctx.app.store.read(lambda t: model.endpoint_ips(t, ctx.account_id, ctx.region, p["ResolverEndpointId"]))
    return {"IpAddresses": items, "MaxResults": int(p.get("MaxResults") or 10)}


@operation(S, "CreateResolverRule")
async def create_resolver_rule(ctx: RequestContext, p: Doc) -> Doc:
    return {"ResolverRule": await ctx.app.store.run(lambda t: model.create_rule(t, ctx.account_id, ctx.region, p))}


@operation(S, "GetResolverRule")
async def get_resolver_rule(ctx: RequestContext, p: Doc) -> Doc:
    doc = await ctx.app.store.read(lambda t: model.get_rule(t, ctx.account_id, ctx.region, p["ResolverRuleId"]))
    return {"ResolverRule": model._public(doc)}


@operation(S, "UpdateResolverRule")
async def update_resolver_rule(ctx: RequestContext, p: Doc) -> Doc:
    return {"ResolverRule": await ctx.app.store.run(
        lambda t: model.update_rule(t, ctx.account_id, ctx.region, p["ResolverRuleId"], p["Config"]))}


@operation(S, "DeleteResolverRule")
async def delete_resolver_rule(ctx: RequestContext, p: Doc) -> Doc:
    return {"ResolverRule": await ctx.app.store.run(lambda t: model.delete_rule(t, ctx.account_id, ctx.region, p["ResolverRuleId"]))}


@operation(S, "ListResolverRules")
async def list_resolver_rules(ctx: RequestContext, p: Doc) -> Doc:
    items, nxt = await ctx.app.store.read(lambda t: model.list_rules(t, ctx.account_id, ctx.region, p))
    return _page("ResolverRules", items, nxt, p)


@operation(S, "AssociateResolverRule")
async def associate_resolver_rule(ctx: RequestContext, p: Doc) -> Doc:
    return {"ResolverRuleAssociation": await ctx.app.store.run(
        lambda t: model.associate(t, ctx.account_id, ctx.region, p["ResolverRuleId"], p["VPCId"], p.get("Name")))}


@operation(S, "DisassociateResolverRule")
async def disassociate_resolver_rule(ctx: RequestContext, p: Doc) -> Doc:
    return {"ResolverRuleAssociation": await ctx.app.store.run(
        lambda t: model.disassociate(t, ctx.account_id, ctx.region, p["ResolverRuleId"], p["VPCId"]))}


@operation(S, "GetResolverRuleAssociation")
async def get_resolver_rule_association(ctx: RequestContext, p: Doc) -> Doc:
    return {"ResolverRuleAssociation": await ctx.app.store.read(
        lambda t: model.get_association(t, ctx.account_id, ctx.region, p["ResolverRuleAssociationId"]))}


@operation(S, "ListResolverRuleAssociations")
async def list_resolver_rule_associations(ctx: RequestContext, p: Doc) -> Doc:
    items, nxt = await ctx.app.store.read(lambda t: model.list_associations(t, ctx.account_id, ctx.region, p))
    return _page("ResolverRuleAssociations", items, nxt, p)


@operation(S, "PutResolverRulePolicy")
async def put_resolver_rule_policy(ctx: RequestContext, p: Doc) -> Doc:
    await ctx.app.store.run(lambda t: model.put_policy(t, ctx.account_id, ctx.region, p["Arn"], p["ResolverRulePolicy"]))
    return {"ReturnValue": True}


@operation(S, "GetResolverRulePolicy")
async def get_resolver_rule_policy(ctx: RequestContext, p: Doc) -> Doc:
    policy = await ctx.app.store.read(lambda t: model.get_policy(t, ctx.account_id, ctx.region, p["Arn"]))
    return {"ResolverRulePolicy": policy} if policy is not None else {}


@operation(S, "TagResource")
async def tag_resource(ctx: RequestContext, p: Doc) -> Doc:
    await ctx.app.store.run(lambda t: model.tag(t, ctx.account_id, ctx.region, p["ResourceArn"], p["Tags"]))
    return {}


@operation(S, "UntagResource")
async def untag_resource(ctx: RequestContext, p: Doc) -> Doc:
    await ctx.app.store.run(lambda t: model.untag(t, ctx.account_id, ctx.region, p["ResourceArn"], p["TagKeys"]))
    return {}


@operation(S, "ListTagsForResource")
async def list_tags_for_resource(ctx: RequestContext, p: Doc) -> Doc:
    return {"Tags": await ctx.app.store.read(lambda t: model.list_tags(t, ctx.account_id, ctx.region, p["ResourceArn"]))}


# --- DNS Firewall -----------------------------------------------------------------------------
def _fw_page(key: str, items: list[Any], nxt: str | None) -> Doc:
    return {key: items, **({"NextToken": nxt} if nxt else {})}


@operation(S, "CreateFirewallDomainList")
async def create_firewall_domain_list(ctx: RequestContext, p: Doc) -> Doc:
    return {"FirewallDomainList": await ctx.app.store.run(lambda t: firewall.create_list(t, ctx.account_id, ctx.region, p))}


@operation(S, "GetFirewallDomainList")
async def get_firewall_domain_list(ctx: RequestContext, p: Doc) -> Doc:
    doc = await ctx.app.store.read(lambda t: firewall.get_list(t, ctx.account_id, ctx.region, p["FirewallDomainListId"]))
    return {"FirewallDomainList": firewall._public(doc)}


@operation(S, "UpdateFirewallDomains")
async def update_firewall_domains(ctx: RequestContext, p: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: firewall.update_domains(
        t, ctx.account_id, ctx.region, p["FirewallDomainListId"], p["Operation"], p["Domains"]))


@operation(S, "ImportFirewallDomains")
async def import_firewall_domains(ctx: RequestContext, p: Doc) -> Doc:
    from gureum.aws.errors import AwsError
    from gureum.services.s3 import port as s3

    url = str(p["DomainFileUrl"])
    if not url.startswith("s3://") or "/" not in url[5:]:
        raise model.err("ValidationException", f"[RSLVR-01202] DomainFileUrl must be an s3://bucket/key URL, not {url}.")
    bucket, key = url[5:].split("/", 1)
    try:
        body = await (await s3.get(ctx.app, ctx.account_id, bucket, key)).read()
    except AwsError:
        raise model.err("ResourceNotFoundException", f"[RSLVR-01203] Can't read the domain file {url}.", ResourceType="DomainFile") from None
    domains = [line.strip() for line in body.decode("utf-8", "replace").splitlines() if line.strip() and not line.startswith("#")]
    return await ctx.app.store.run(lambda t: firewall.update_domains(
        t, ctx.account_id, ctx.region, p["FirewallDomainListId"], p["Operation"], domains))


@operation(S, "ListFirewallDomains")
async def list_firewall_domains(ctx: RequestContext, p: Doc) -> Doc:
    items, nxt = await ctx.app.store.read(lambda t: firewall.list_domains(t, ctx.account_id, ctx.region, p))
    return _fw_page("Domains", items, nxt)


@operation(S, "ListFirewallDomainLists")
async def list_firewall_domain_lists(ctx: RequestContext, p: Doc) -> Doc:
    items, nxt = await ctx.app.store.read(lambda t: firewall.list_lists(t, ctx.account_id, ctx.region, p))
    return _fw_page("FirewallDomainLists", items, nxt)


@operation(S, "DeleteFirewallDomainList")
async def delete_firewall_domain_list(ctx: RequestContext, p: Doc) -> Doc:
    return {"FirewallDomainList": await ctx.app.store.run(
        lambda t: firewall.delete_list(t, ctx.account_id, ctx.region, p["FirewallDomainListId"]))}


@operation(S, "CreateFirewallRuleGroup")
async def create_firewall_rule_group(ctx: RequestContext, p: Doc) -> Doc:
    return {"FirewallRuleGroup": await ctx.app.store.run(lambda t: firewall.create_group(t, ctx.account_id, ctx.region, p))}


@operation(S, "GetFirewallRuleGroup")
async def get_firewall_rule_group(ctx: RequestContext, p: Doc) -> Doc:
    doc = await ctx.app.store.read(lambda t: firewall.get_group(t, ctx.account_id, ctx.region, p["FirewallRuleGroupId"]))
    return {"FirewallRuleGroup": firewall._public(doc)}


@operation(S, "DeleteFirewallRuleGroup")
async def delete_firewall_rule_group(ctx: RequestContext, p: Doc) -> Doc:
    return {"FirewallRuleGroup": await ctx.app.store.run(
        lambda t: firewall.delete_group(t, ctx.account_id, ctx.region, p["FirewallRuleGroupId"]))}


@operation(S, "ListFirewallRuleGroups")
async def list_firewall_rule_groups(ctx: RequestContext, p: Doc) -> Doc:
    items, nxt = await ctx.app.store.read(lambda t: firewall.list_groups(t, ctx.account_id, ctx.region, p))
    return _fw_page("FirewallRuleGroups", items, nxt)


@operation(S, "CreateFirewallRule")
async def create_firewall_rule(ctx: RequestContext, p: Doc) -> Doc:
    return {"FirewallRule": await ctx.app.store.run(lambda t: firewall.create_rule(t, ctx.account_id, ctx.region, p))}


@operation(S, "UpdateFirewallRule")
async def update_firewall_rule(ctx: RequestContext, p: Doc) -> Doc:
    return {"FirewallRule": await ctx.app.store.run(lambda t: firewall.update_rule(t, ctx.account_id, ctx.region, p))}


@operation(S, "DeleteFirewallRule")
async def delete_firewall_rule(ctx: RequestContext, p: Doc) -> Doc:
    return {"FirewallRule": await ctx.app.store.run(lambda t: firewall.delete_rule(
        t, ctx.account_id, ctx.region, p["FirewallRuleGroupId"], p.get("FirewallDomainListId") or ""))}


@operation(S, "ListFirewallRules")
async def list_firewall_rules(ctx: RequestContext, p: Doc) -> Doc:
    items, nxt = await ctx.app.store.read(lambda t: firewall.list_rules(t, ctx.account_id, ctx.region, p))
    return _fw_page("FirewallRules", items, nxt)


@operation(S, "AssociateFirewallRuleGroup")
async def associate_firewall_rule_group(ctx: RequestContext, p: Doc) -> Doc:
    return {"FirewallRuleGroupAssociation": await ctx.app.store.run(lambda t: firewall.associate(t, ctx.account_id, ctx.region, p))}


@operation(S, "GetFirewallRuleGroupAssociation")
async def get_firewall_rule_group_association(ctx: RequestContext, p: Doc) -> Doc:
    return {"FirewallRuleGroupAssociation": await ctx.app.store.read(
        lambda t: firewall.get_association(t, ctx.account_id, ctx.region, p["FirewallRuleGroupAssociationId"]))}


@operation(S, "DisassociateFirewallRuleGroup")
async def disassociate_firewall_rule_group(ctx: RequestContext, p: Doc) -> Doc:
    return {"FirewallRuleGroupAssociation": await ctx.app.store.run(
        lambda t: firewall.disassociate(t, ctx.account_id, ctx.region, p["FirewallRuleGroupAssociationId"]))}


@operation(S, "ListFirewallRuleGroupAssociations")
async def list_firewall_rule_group_associations(ctx: RequestContext, p: Doc) -> Doc:
    items, nxt = await ctx.app.store.read(lambda t: firewall.list_associations(t, ctx.account_id, ctx.region, p))
    return _fw_page("FirewallRuleGroupAssociations", items, nxt)


@operation(S, "GetFirewallConfig")
async def get_firewall_config(ctx: RequestContext, p: Doc) -> Doc:
    return {"FirewallConfig": await ctx.app.store.read(lambda t: firewall.get_config(t, ctx.account_id, ctx.region, p["ResourceId"]))}


@operation(S, "UpdateFirewallConfig")
async def update_firewall_config(ctx: RequestContext, p: Doc) -> Doc:
    return {"FirewallConfig": await ctx.app.store.run(
        lambda t: firewall.update_config(t, ctx.account_id, ctx.region, p["ResourceId"], p["FirewallFailOpen"]))}


@operation(S, "ListFirewallConfigs")
async def list_firewall_configs(ctx: RequestContext, p: Doc) -> Doc:
    items, nxt = await ctx.app.store.read(lambda t: firewall.list_configs(t, ctx.account_id, ctx.region, p))
    return _fw_page("FirewallConfigs", items, nxt)


# --- query logging ------------------------------------------------------------------------------
@operation(S, "CreateResolverQueryLogConfig")
async def create_resolver_query_log_config(ctx: RequestContext, p: Doc) -> Doc:
    return {"ResolverQueryLogConfig": await ctx.app.store.run(lambda t: querylog.create_config(t, ctx.account_id, ctx.region, p))}


@operation(S, "GetResolverQueryLogConfig")
async def get_resolver_query_log_config(ctx: RequestContext, p: Doc) -> Doc:
    return {"ResolverQueryLogConfig": await ctx.app.store.read(
        lambda t: querylog.get_config(t, ctx.account_id, ctx.region, p["ResolverQueryLogConfigId"]))}


@operation(S, "DeleteResolverQueryLogConfig")
async def delete_resolver_query_log_config(ctx: RequestContext, p: Doc) -> Doc:
    return {"ResolverQueryLogConfig": await ctx.app.store.run(
        lambda t: querylog.delete_config(t, ctx.account_id, ctx.region, p["ResolverQueryLogConfigId"]))}


@operation(S, "ListResolverQueryLogConfigs")
async def list_resolver_query_log_configs(ctx: RequestContext, p: Doc) -> Doc:
    items, nxt = await ctx.app.store.read(lambda t: querylog.list_configs(t, ctx.account_id, ctx.region, p))
    return {"ResolverQueryLogConfigs": items, "TotalCount": len(items), "TotalFilteredCount": len(items),
            **({"NextToken": nxt} if nxt else {})}


@operation(S, "AssociateResolverQueryLogConfig")
async def associate_resolver_query_log_config(ctx: RequestContext, p: Doc) -> Doc:
    return {"ResolverQueryLogConfigAssociation": await ctx.app.store.run(
        lambda t: querylog.associate(t, ctx.account_id, ctx.region, p["ResolverQueryLogConfigId"], p["ResourceId"]))}


@operation(S, "DisassociateResolverQueryLogConfig")
async def disassociate_resolver_query_log_config(ctx: RequestContext, p: Doc) -> Doc:
    return {"ResolverQueryLogConfigAssociation": await ctx.app.store.run(
        lambda t: querylog.disassociate(t, ctx.account_id, ctx.region, p["ResolverQueryLogConfigId"], p["ResourceId"]))}


@operation(S, "GetResolverQueryLogConfigAssociation")
async def get_resolver_query_log_config_association(ctx: RequestContext, p: Doc) -> Doc:
    return {"ResolverQueryLogConfigAssociation": await ctx.app.store.read(
        lambda t: querylog.get_association(t, ctx.account_id, ctx.region, p["ResolverQueryLogConfigAssociationId"]))}


@operation(S, "ListResolverQueryLogConfigAssociations")
async def list_resolver_query_log_config_associations(ctx: RequestContext, p: Doc) -> Doc:
    items, nxt = await ctx.app.store.read(lambda t: querylog.list_associations(t, ctx.account_id, ctx.region, p))
    return {"ResolverQueryLogConfigAssociations": items, "TotalCount": len(items), "TotalFilteredCount": len(items),
            **({"NextToken": nxt} if nxt else {})}
