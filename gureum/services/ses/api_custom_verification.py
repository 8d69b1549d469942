"""Custom verification email templates through SES v1 and v2 (custom_verification.py): Create,
Get, Update, Delete, List and SendCustomVerificationEmail in both APIs, each with its own error
codes and paging (v1 MaxResults 1-50, v2 PageSize 1-50)."""

from __future__ import annotations

import time
from typing import Any

from gureum.aws import paging
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.ses import configsets, custom_verification, identities, outbound, sending
from gureum.services.ses.settings import SesSettings
from gureum.store import Txn

_SERVICES = ("ses", "sesv2")


def _out(doc: dict[str, Any], service: str) -> dict[str, Any]:
    out = {k: doc[k] for k in custom_verification.FIELDS if k in doc}
    if service == "sesv2":
        out["Tags"] = list(doc.get("Tags") or [])
    return out


def _bad_token() -> AwsError:
    return AwsError.common("InvalidParameterValue", "Invalid NextToken.")


def _register(service: str) -> None:
    async def create(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        await ctx.app.store.run(lambda t: custom_verification.create(t, ctx.account_id, ctx.region, params, service))
        return {}

    async def get(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        doc = await ctx.app.store.read(lambda t: custom_verification.get(
            t, ctx.account_id, ctx.region, params["TemplateName"], service))
        return _out(doc, service)

    async def update(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        await ctx.app.store.run(lambda t: custom_verification.update(t, ctx.account_id, ctx.region, params, service))
        return {}

    async def delete(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        await ctx.app.store.run(lambda t: custom_verification.delete(
            t, ctx.account_id, ctx.region, params["TemplateName"], service))
        return {}

    async def listing(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        docs = await ctx.app.store.read(lambda t: custom_verification.listing(t, ctx.account_id, ctx.region))
        size = "MaxResults" if service == "ses" else "PageSize"
        page, token = paging.page_items(docs, lambda d: d["TemplateName"], listing=f"{service}.customverification",
                                        token=params.get("NextToken"),
                                        limit=sending.page_limit(params.get(size), 1, 50, size, service),
                                        default_limit=50, max_limit=50, error=_bad_token)
        items = [{k: d[k] for k in custom_verification.FIELDS if k in d and k != "TemplateContent"} for d in page]
        return {"CustomVerificationEmailTemplates": items, **({"NextToken": token} if token else {})}

    async def send(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"MessageId": await _send(ctx, params, service)}

    operation(service, "CreateCustomVerificationEmailTemplate")(create)
    operation(service, "GetCustomVerificationEmailTemplate")(get)
    operation(service, "UpdateCustomVerificationEmailTemplate")(update)
    operation(service, "DeleteCustomVerificationEmailTemplate")(delete)
    operation(service, "ListCustomVerificationEmailTemplates")(listing)
    operation(service, "SendCustomVerificationEmail")(send)


async def _send(ctx: RequestContext, params: dict[str, Any], service: str) -> str:
    address, name = str(params["EmailAddress"]), str(params["TemplateName"])
    sandbox = ctx.app.settings(SesSettings).sandbox

    def start(t: Txn) -> tuple[dict[str, Any], dict[str, Any]]:
        template = custom_verification.get(t, ctx.account_id, ctx.region, name, service)
        if not identities.verified(t, ctx.account_id, ctx.region, str(template["FromEmailAddress"])):
            raise custom_verification.unverified_from(service, str(template["FromEmailAddress"]), sending=True)
        configsets.check_sending(t, ctx.account_id, ctx.region, params.get("ConfigurationSetName"), service)
        if sandbox:
            message = "Production access is required to send custom verification emails."
            raise (AwsError.modeled("ses", "ProductionAccessNotGrantedException", message) if service == "ses"
                   else AwsError.modeled("sesv2", "BadRequestException", message))
        identities.check_email(address, service)
        doc, _ = identities.add_email(t, ctx.account_id, ctx.region, address, time.time())
        return template, doc

    template, doc = await ctx.app.store.run(start)
    code = str(doc.get("Code") or "verified")  # an address verified already: its link just confirms it again
    link = outbound.verification_link(ctx.app, ctx.request, ctx.account_id, ctx.region, doc["Identity"], code, name)
    out = sending.Outgoing(source=str(template["FromEmailAddress"]), to=[address], subject=str(template["TemplateSubject"]),
                           html=custom_verification.with_link(str(template["TemplateContent"]), link),
                           configuration_set=params.get("ConfigurationSetName"))
    return await outbound.send_custom_verification(ctx.app, ctx.account_id, ctx.region, out, link)


for _service in _SERVICES:
    _register(_service)
