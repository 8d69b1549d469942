"""More SES resource types, made by the ses and sesv2 services' own handlers:

- AWS::SES::ReceiptFilter (SES v1 CreateReceiptFilter; Ref and GetAtt Id: the filter's name,
  Filter.Name or a generated one). A filter has no update operation: every property is
  createOnly, so any change replaces it (the new filter made, then the old one deleted; a
  replacement keeping the same Name fails as AWS's does, on AlreadyExists).
- AWS::SES::CustomVerificationEmailTemplate (SES v2; Ref: its TemplateName; no Fn::GetAtt
  attribute). A new TemplateName replaces it; the other
  properties change in place through UpdateCustomVerificationEmailTemplate; a change of its
  Tags fails the update (sesv2 TagResource is not served yet).

The other SES types of issue 21's last sweep are not here, each for the operation it needs that
gureum does not serve (they answer 501): ConfigurationSetEventDestination (SES v2
CreateConfigurationSetEventDestination), ContactList (CreateContactList), DedicatedIpPool
(CreateDedicatedIpPool) and VdmAttributes (PutAccountVdmAttributes)."""

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


@provider("AWS::SES::ReceiptFilter")
async def create_receipt_filter(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::SES::ReceiptFilter", props, ("Filter",))
    flt = dict(props["Filter"])
    refuse_unapplied("AWS::SES::ReceiptFilter Filter", flt, ("Name", "IpFilter"))
    name = str(flt.get("Name") or ctx.name(64))
    ip = dict(flt["IpFilter"])
    await ctx.call("ses", "CreateReceiptFilter", {"Filter": {"Name": name, "IpFilter": {
        "Policy": str(ip.get("Policy", "")), "Cidr": str(ip.get("Cidr", ""))}}})
    return Done(name, {"Id": name})


@deleting("AWS::SES::ReceiptFilter")
async def delete_receipt_filter(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await ctx.call("ses", "DeleteReceiptFilter", {"FilterName": physical})  # a missing filter's deletion succeeds


# --- custom verification email templates -----------------------------------------------------

_TEMPLATE_FIELDS = ("TemplateName", "FromEmailAddress", "TemplateSubject", "TemplateContent", "SuccessRedirectionURL",
                    "FailureRedirectionURL")


@provider("AWS::SES::CustomVerificationEmailTemplate")
async def create_custom_verification_template(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    refuse_unapplied("AWS::SES::CustomVerificationEmailTemplate", props, (*_TEMPLATE_FIELDS, "Tags"))
    name = str(props["TemplateName"])  # required by the type's schema
    params: dict[str, Any] = {k: str(props[k]) for k in _TEMPLATE_FIELDS if k in props}
    tags = ctx.tag_list(props)
    if tags:
        params["Tags"] = tags
    await ctx.call("sesv2", "CreateCustomVerificationEmailTemplate", params)
    return Done(name)


@updating("AWS::SES::CustomVerificationEmailTemplate")
async def update_custom_verification_template(ctx: ResourceContext, physical: str, old: dict[str, Any],
                                              new: dict[str, Any], done: Done) -> Done:
    refuse_unapplied("AWS::SES::CustomVerificationEmailTemplate", new, (*_TEMPLATE_FIELDS, "Tags"))
    if (old.get("Tags") or []) != (new.get("Tags") or []):
        raise ResourceFailed("gureum does not update Tags of AWS::SES::CustomVerificationEmailTemplate in place yet")
    if any(old.get(k) != new.get(k) for k in _TEMPLATE_FIELDS):
        await ctx.call("sesv2", "UpdateCustomVerificationEmailTemplate", {
            **{k: str(new[k]) for k in _TEMPLATE_FIELDS if k in new}, "TemplateName": physical})
    return done


@deleting("AWS::SES::CustomVerificationEmailTemplate")
async def delete_custom_verification_template(ctx: ResourceContext, physical: str, props: dict[str, Any],
                                              done: Done) -> None:
    await ignore_missing(ctx.call("sesv2", "DeleteCustomVerificationEmailTemplate", {"TemplateName": physical}),
                         "NotFound")
