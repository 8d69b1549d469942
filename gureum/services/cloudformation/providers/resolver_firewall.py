"""Route 53 Resolver DNS Firewall resource types, made by the route53resolver service's own
handlers:

- AWS::Route53Resolver::FirewallDomainList (Ref: the list id; GetAtt Arn, CreationTime,
  CreatorRequestId, DomainCount, Id, ManagedOwnerName, ModificationTime, Status,
  StatusMessage): Name replaces it; Domains change in place (UpdateFirewallDomains REPLACE).
  DomainFileUrl (an S3 import) is not applied: it fails the resource.
- AWS::Route53Resolver::FirewallRuleGroup (Ref: the group id; GetAtt Arn, CreationTime,
  CreatorRequestId, Id, ModificationTime, OwnerId, RuleCount, ShareStatus, Status,
  StatusMessage): Name replaces it; FirewallRules change in place, one rule per domain list
  (Create-, Update-, DeleteFirewallRule). DNS threat protection rules are not applied.
- AWS::Route53Resolver::FirewallRuleGroupAssociation (Ref: the association id; GetAtt Arn,
  CreationTime, CreatorRequestId, Id, ManagedOwnerName, ModificationTime, Status,
  StatusMessage): FirewallRuleGroupId and VpcId replace it; Name, Priority and
  MutationProtection change in place through UpdateFirewallRuleGroupAssociation, which
  route53resolver does not serve yet: such an update fails the resource."""

from __future__ import annotations

import uuid
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    ResourceFailed,
    deleting,
    ignore_missing,
    provider,
    refuse_unapplied,
    updating,
)

S = "route53resolver"
LIST, GROUP, ASSOC = ("AWS::Route53Resolver::FirewallDomainList", "AWS::Route53Resolver::FirewallRuleGroup",
                      "AWS::Route53Resolver::FirewallRuleGroupAssociation")


async def _ignore_missing(coro: Any) -> None:
    await ignore_missing(coro, "ResourceNotFoundException")


def _attrs(doc: dict[str, Any], keys: tuple[str, ...]) -> dict[str, str]:
    return {k: str(doc.get(k, "")) for k in keys}


# --- domain lists ----------------------------------------------------------------------------

_LIST_ATTRS = ("Arn", "CreationTime", "CreatorRequestId", "DomainCount", "Id", "ManagedOwnerName", "ModificationTime",
               "Status", "StatusMessage")


async def _list_done(ctx: ResourceContext, lid: str) -> Done:
    doc = (await ctx.call(S, "GetFirewallDomainList", {"FirewallDomainListId": lid}))["FirewallDomainList"]
    return Done(lid, _attrs(doc, _LIST_ATTRS))


@provider(LIST)
async def create_domain_list(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(LIST, props, ("Domains", "Name", "Tags"))
    params: dict[str, Any] = {"Name": props.get("Name") or ctx.name(64), "CreatorRequestId": str(uuid.uuid4())}
    tags = ctx.tag_list(props)
    if tags:
        params["Tags"] = tags
    lid = str((await ctx.call(S, "CreateFirewallDomainList", params))["FirewallDomainList"]["Id"])
    if props.get("Domains"):
        try:
            await ctx.call(S, "UpdateFirewallDomains", {"FirewallDomainListId": lid, "Operation": "ADD",
                                                        "Domains": list(props["Domains"])})
        except AwsError:
            await _ignore_missing(ctx.call(S, "DeleteFirewallDomainList", {"FirewallDomainListId": lid}))
            raise
    return await _list_done(ctx, lid)


@updating(LIST)
async def update_domain_list(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    refuse_unapplied(LIST, new, ("Domains", "Name", "Tags"))
    if ctx.tag_list(old) != ctx.tag_list(new):
        raise ResourceFailed(f"gureum does not update Tags of {LIST} in place yet")
    if list(old.get("Domains") or []) != list(new.get("Domains") or []):
        await ctx.call(S, "UpdateFirewallDomains", {"FirewallDomainListId": physical, "Operation": "REPLACE",
                                                    "Domains": list(new.get("Domains") or [])})
    return await _list_done(ctx, physical)


@deleting(LIST)
async def delete_domain_list(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(S, "DeleteFirewallDomainList", {"FirewallDomainListId": physical}))


# --- rule groups -----------------------------------------------------------------------------

_GROUP_ATTRS = ("Arn", "CreationTime", "CreatorRequestId", "Id", "ModificationTime", "OwnerId", "RuleCount", "ShareStatus",
                "Status", "StatusMessage")
_RULE = ("Action", "BlockOverrideDnsType", "BlockOverrideDomain", "BlockOverrideTtl", "BlockResponse",
         "FirewallDomainListId", "FirewallDomainRedirectionAction", "Priority", "Qtype")


def _rules(props: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for rule in props.get("FirewallRules") or ():
        left = sorted(k for k in rule if k not in _RULE)
        if left or not rule.get("FirewallDomainListId"):
            raise ResourceFailed(f"gureum does not apply {', '.join(left) or 'rules without FirewallDomainListId'} "
                                 f"of {GROUP} FirewallRules yet")
        params = {k: rule[k] for k in _RULE if k in rule}
        for k in ("Priority", "BlockOverrideTtl"):
            if k in params:
                params[k] = int(params[k])
        out[str(rule["FirewallDomainListId"])] = params
    return out


async def _change_rules(ctx: ResourceContext, gid: str, old: dict[str, Any], new: dict[str, Any]) -> None:
    before, after = _rules(old), _rules(new)
    for lid in before:
        if lid not in after:
            await _ignore_missing(ctx.call(S, "DeleteFirewallRule", {"FirewallRuleGroupId": gid, "FirewallDomainListId": lid}))
    for lid, rule in after.items():
        if lid not in before:
            await ctx.call(S, "CreateFirewallRule", {**rule, "FirewallRuleGroupId": gid, "CreatorRequestId": str(uuid.uuid4()),
                                                     "Name": f"{ctx.logical_id}-{rule['Priority']}"[:64]})
        elif before[lid] != rule:
            await ctx.call(S, "UpdateFirewallRule", {**rule, "FirewallRuleGroupId": gid})


async def _group_done(ctx: ResourceContext, gid: str) -> Done:
    doc = (await ctx.call(S, "GetFirewallRuleGroup", {"FirewallRuleGroupId": gid}))["FirewallRuleGroup"]
    return Done(gid, _attrs(doc, _GROUP_ATTRS))


@provider(GROUP)
async def create_rule_group(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(GROUP, props, ("FirewallRules", "Name", "Tags"))
    _rules(props)  # refuse what is not applied before making anything
    params: dict[str, Any] = {"Name": props.get("Name") or ctx.name(64), "CreatorRequestId": str(uuid.uuid4())}
    tags = ctx.tag_list(props)
    if tags:
        params["Tags"] = tags
    gid = str((await ctx.call(S, "CreateFirewallRuleGroup", params))["FirewallRuleGroup"]["Id"])
    try:
        await _change_rules(ctx, gid, {}, props)
    except AwsError:
        await delete_rule_group(ctx, gid, props, Done(gid))
        raise
    return await _group_done(ctx, gid)


@updating(GROUP)
async def update_rule_group(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    refuse_unapplied(GROUP, new, ("FirewallRules", "Name", "Tags"))
    if ctx.tag_list(old) != ctx.tag_list(new):
        raise ResourceFailed(f"gureum does not update Tags of {GROUP} in place yet")
    await _change_rules(ctx, physical, old, new)
    return await _group_done(ctx, physical)


@deleting(GROUP)
async def delete_rule_group(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    try:
        rules = (await ctx.call(S, "ListFirewallRules", {"FirewallRuleGroupId": physical}))["FirewallRules"]
    except AwsError as e:
        if e.code == "ResourceNotFoundException":
            return
        raise
    for rule in rules:
        await _ignore_missing(ctx.call(S, "DeleteFirewallRule", {"FirewallRuleGroupId": physical,
                                                                 "FirewallDomainListId": rule["FirewallDomainListId"]}))
    await _ignore_missing(ctx.call(S, "DeleteFirewallRuleGroup", {"FirewallRuleGroupId": physical}))


# --- associations ----------------------------------------------------------------------------

_ASSOC = ("FirewallRuleGroupId", "MutationProtection", "Name", "Priority", "Tags", "VpcId")
_ASSOC_ATTRS = ("Arn", "CreationTime", "CreatorRequestId", "Id", "ManagedOwnerName", "ModificationTime", "Status",
                "StatusMessage")


@provider(ASSOC)
async def create_association(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied(ASSOC, props, _ASSOC)
    params: dict[str, Any] = {"FirewallRuleGroupId": props["FirewallRuleGroupId"], "VpcId": props["VpcId"],
                              "Priority": int(props["Priority"]), "Name": props.get("Name") or ctx.name(64),
                              "CreatorRequestId": str(uuid.uuid4())}
    if props.get("MutationProtection"):
        params["MutationProtection"] = props["MutationProtection"]
    tags = ctx.tag_list(props)
    if tags:
        params["Tags"] = tags
    a = (await ctx.call(S, "AssociateFirewallRuleGroup", params))["FirewallRuleGroupAssociation"]
    return Done(str(a["Id"]), _attrs(a, _ASSOC_ATTRS))


@updating(ASSOC)
async def update_association(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    if changed:
        raise ResourceFailed(f"gureum does not update {', '.join(changed)} of {ASSOC} in place yet "
                             "(UpdateFirewallRuleGroupAssociation is not served)")
    return done


@deleting(ASSOC)
async def delete_association(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call(S, "DisassociateFirewallRuleGroup", {"FirewallRuleGroupAssociationId": physical}))
