"""Route 53's DNSSEC handlers (key-signing keys, zone signing, GetDNSSEC): thin shells over
dnssec.py; the DNS server signs from the events dnssec.py publishes."""

from __future__ import annotations

from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.services.route53 import dnssec
from gureum.services.route53.api import LOCATION, change_info


@operation("route53", "CreateKeySigningKey")
async def create_key_signing_key(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    ksk, change = await ctx.app.store.run(lambda txn: dnssec.create_ksk(txn, ctx.account_id, params))
    zid = params["HostedZoneId"].rstrip("/").rsplit("/", 1)[-1]
    return {"ChangeInfo": change_info(ctx, change), "KeySigningKey": ksk,
            "Location": f"{LOCATION}/keysigningkey/{zid}/{ksk['Name']}"}


@operation("route53", "ActivateKeySigningKey")
async def activate_key_signing_key(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    change = await ctx.app.store.run(lambda txn: dnssec.activate_ksk(txn, ctx.account_id, params["HostedZoneId"], params["Name"]))
    return {"ChangeInfo": change_info(ctx, change)}


@operation("route53", "DeactivateKeySigningKey")
async def deactivate_key_signing_key(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    change = await ctx.app.store.run(lambda txn: dnssec.deactivate_ksk(txn, ctx.account_id, params["HostedZoneId"], params["Name"]))
    return {"ChangeInfo": change_info(ctx, change)}


@operation("route53", "DeleteKeySigningKey")
async def delete_key_signing_key(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    change = await ctx.app.store.run(lambda txn: dnssec.delete_ksk(txn, ctx.account_id, params["HostedZoneId"], params["Name"]))
    return {"ChangeInfo": change_info(ctx, change)}


@operation("route53", "EnableHostedZoneDNSSEC")
async def enable_hosted_zone_dnssec(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    change = await ctx.app.store.run(lambda txn: dnssec.enable(txn, ctx.account_id, params["HostedZoneId"]))
    return {"ChangeInfo": change_info(ctx, change)}


@operation("route53", "DisableHostedZoneDNSSEC")
async def disable_hosted_zone_dnssec(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    change = await ctx.app.store.run(lambda txn: dnssec.disable(txn, ctx.account_id, params["HostedZoneId"]))
    return {"ChangeInfo": change_info(ctx, change)}


@operation("route53", "GetDNSSEC")
async def get_dnssec(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await ctx.app.store.read(lambda txn: dnssec.get(txn, ctx.account_id, params["HostedZoneId"]))
