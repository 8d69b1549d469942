"""AWS::SES::ReceiptFilter, made by SES v1's own CreateReceiptFilter (Ref and GetAtt Id: the
filter's name, Filter.Name or a generated one). A filter has no update operation: every
property is createOnly, so any change replaces it (the new filter made, then the old one
deleted; a replacement keeping the same Name fails as AWS's does, on AlreadyExists).

The other SES types of issue 21's last sweep are not here, each for the operation it needs that
gureum does not serve (they answer 501): ConfigurationSetEventDestination (SES v2
CreateConfigurationSetEventDestination), ContactList (CreateContactList),
CustomVerificationEmailTemplate (CreateCustomVerificationEmailTemplate), DedicatedIpPool
(CreateDedicatedIpPool) and VdmAttributes (PutAccountVdmAttributes)."""

from __future__ import annotations

from typing import Any

from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    deleting,
    provider,
    refuse_unapplied,
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
