"""More SES resource types, made by the ses and sesv2 services' own handlers:
AWS::SES::ConfigurationSet (Ref: its name; created by sesv2 CreateConfigurationSet with its
options; DeliveryOptions and SendingOptions change in place through SES v1's
PutConfigurationSetDeliveryOptions / UpdateConfigurationSetSendingEnabled; a change of the other
options or the tags fails the update, since sesv2's Put*Options and TagResource are not served
yet), AWS::SES::ReceiptRuleSet (Ref: its name) and AWS::SES::ReceiptRule (Ref: the rule's name;
Rule changes in place through UpdateReceiptRule, After through SetReceiptRulePosition; a new
rule name or rule set replaces it)."""

from __future__ import annotations

from typing import Any

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
from gureum.services.cloudformation.providers.shapes import coerce


async def _ignore_missing(coro: Any) -> None:
    await ignore_missing(coro, "NotFound", "DoesNotExist")


# --- configuration sets ----------------------------------------------------------------------

_SET_OPTIONS = ("DeliveryOptions", "ReputationOptions", "SendingOptions", "SuppressionOptions", "TrackingOptions",
                "VdmOptions")
_SET_IN_PLACE = ("DeliveryOptions", "SendingOptions")  # DeliveryOptions: its TlsPolicy


@provider("AWS::SES::ConfigurationSet")
async def create_configuration_set(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::SES::ConfigurationSet", props, ("Name", "Tags", *_SET_OPTIONS))
    name = str(props.get("Name") or ctx.name(64))
    params: dict[str, Any] = {"ConfigurationSetName": name, **{k: props[k] for k in _SET_OPTIONS if k in props}}
    tags = ctx.tag_list(props)
    if tags:
        params["Tags"] = tags
    await ctx.call("sesv2", "CreateConfigurationSet", coerce("sesv2", "CreateConfigurationSet", params))
    return Done(name)


async def _not_live(ctx: ResourceContext, name: str, props: list[str], new: dict[str, Any]) -> list[str]:
    """Those of `props` whose new value the live configuration set does not already hold (a
    rollback asks for what the set still is: nothing to do)."""
    if not props:
        return []
    live = await ctx.call("sesv2", "GetConfigurationSet", {"ConfigurationSetName": name})
    wanted = coerce("sesv2", "CreateConfigurationSet", {"ConfigurationSetName": name,
                                                          **{k: new[k] for k in _SET_OPTIONS if k in new}})
    left: list[str] = []
    for k in props:
        if k == "Tags":
            same = sorted((t["Key"], t["Value"]) for t in live.get("Tags") or []) == \
                sorted((t["Key"], t["Value"]) for t in ctx.tag_list(new))
        else:
            same = wanted.get(k) == live.get(k)
        if not same:
            left.append(k)
    return left


@updating("AWS::SES::ConfigurationSet")
async def update_configuration_set(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                   done: Done) -> Done:
    changed = {k for k in set(old) | set(new) if old.get(k) != new.get(k)}
    left = await _not_live(ctx, physical, sorted(changed - set(_SET_IN_PLACE)), new)
    if left:
        raise ResourceFailed(f"gureum does not update {', '.join(left)} of AWS::SES::ConfigurationSet in place yet")
    if "DeliveryOptions" in changed:
        # SES v1 spells the policy Require / Optional where the template (SES v2) says REQUIRE / OPTIONAL
        tls = str((new.get("DeliveryOptions") or {}).get("TlsPolicy") or "OPTIONAL").capitalize()
        delivery = {"TlsPolicy": tls}
        await ctx.call("ses", "PutConfigurationSetDeliveryOptions", {"ConfigurationSetName": physical,
                                                                     "DeliveryOptions": delivery})
    if "SendingOptions" in changed:
        enabled = (new.get("SendingOptions") or {}).get("SendingEnabled", True)
        await ctx.call("ses", "UpdateConfigurationSetSendingEnabled", coerce(
            "ses", "UpdateConfigurationSetSendingEnabled", {"ConfigurationSetName": physical, "Enabled": enabled}))
    return done


@deleting("AWS::SES::ConfigurationSet")
async def delete_configuration_set(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call("sesv2", "DeleteConfigurationSet", {"ConfigurationSetName": physical}))


# --- receipt rule sets and rules -------------------------------------------------------------

@provider("AWS::SES::ReceiptRuleSet")
async def create_receipt_rule_set(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::SES::ReceiptRuleSet", props, ("RuleSetName",))
    name = str(props.get("RuleSetName") or ctx.name(64))
    await ctx.call("ses", "CreateReceiptRuleSet", {"RuleSetName": name})
    return Done(name)


@deleting("AWS::SES::ReceiptRuleSet")
async def delete_receipt_rule_set(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call("ses", "DeleteReceiptRuleSet", {"RuleSetName": physical}))


def _rule(props: dict[str, Any], name: str) -> dict[str, Any]:
    rule = dict(props.get("Rule") or {})
    refuse_unapplied("AWS::SES::ReceiptRule Rule", rule, ("Name", "Enabled", "TlsPolicy", "Recipients", "Actions",
                                                          "ScanEnabled"))
    return {**rule, "Name": name}


@provider("AWS::SES::ReceiptRule")
async def create_receipt_rule(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::SES::ReceiptRule", props, ("After", "Rule", "RuleSetName"))
    name = str((props.get("Rule") or {}).get("Name") or ctx.name(64))
    params: dict[str, Any] = {"RuleSetName": props["RuleSetName"], "Rule": _rule(props, name)}
    if props.get("After"):
        params["After"] = props["After"]
    await ctx.call("ses", "CreateReceiptRule", coerce("ses", "CreateReceiptRule", params))
    return Done(name)


@updating("AWS::SES::ReceiptRule")
async def update_receipt_rule(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                              done: Done) -> Done:
    refuse_unapplied("AWS::SES::ReceiptRule", new, ("After", "Rule", "RuleSetName"))
    if old.get("Rule") != new.get("Rule"):
        await ctx.call("ses", "UpdateReceiptRule", coerce("ses", "UpdateReceiptRule", {
            "RuleSetName": new["RuleSetName"], "Rule": _rule(new, physical)}))
    if old.get("After") != new.get("After"):
        params: dict[str, Any] = {"RuleSetName": new["RuleSetName"], "RuleName": physical}
        if new.get("After"):
            params["After"] = new["After"]
        await ctx.call("ses", "SetReceiptRulePosition", params)
    return done


@deleting("AWS::SES::ReceiptRule")
async def delete_receipt_rule(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call("ses", "DeleteReceiptRule", {"RuleSetName": props["RuleSetName"], "RuleName": physical}))
