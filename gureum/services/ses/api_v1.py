"""SES v1 handlers (query protocol): identities, quota, sending, templates, configuration
sets. Each reads its parameters, runs one model function in one transaction, shapes the
answer; receipt rules are in api_receipt.py."""

from __future__ import annotations

import json
import time
from typing import Any

from gureum.aws import paging
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.ses import configsets, event_destinations, identities, messages, outbound, sending, templates
from gureum.services.ses.settings import SesSettings
from gureum.store import Txn

_STATUS = {"Pending": "Pending", "Success": "Success", "Failed": "Failed"}


def _bad_token() -> AwsError:
    return AwsError.common("InvalidParameterValue", "Invalid NextToken.")


# --- identities -------------------------------------------------------------------------------

async def _verify_email(ctx: RequestContext, address: str) -> None:
    identities.check_email(address)
    doc, send = await ctx.app.store.run(
        lambda t: identities.add_email(t, ctx.account_id, ctx.region, address, time.time()))
    if send:
        await outbound.send_verification(ctx.app, ctx.request, ctx.account_id, ctx.region, doc["Identity"], doc["Code"])


@operation("ses", "VerifyEmailIdentity")
async def verify_email_identity(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await _verify_email(ctx, params["EmailAddress"])
    return {}


@operation("ses", "VerifyEmailAddress")
async def verify_email_address(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await _verify_email(ctx, params["EmailAddress"])
    return {}


@operation("ses", "VerifyDomainIdentity")
async def verify_domain_identity(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    identities.check_domain(params["Domain"])
    doc = await ctx.app.store.run(lambda t: identities.add_domain(t, ctx.account_id, ctx.region, params["Domain"], time.time()))
    return {"VerificationToken": doc["Token"]}


@operation("ses", "VerifyDomainDkim")
async def verify_domain_dkim(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    identities.check_domain(params["Domain"])
    doc = await ctx.app.store.run(
        lambda t: identities.add_domain(t, ctx.account_id, ctx.region, params["Domain"], time.time(), dkim=True))
    return {"DkimTokens": doc["DkimTokens"]}


@operation("ses", "ListIdentities")
async def list_identities(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    kind = params.get("IdentityType")
    docs = await ctx.app.store.read(lambda t: identities.listing(t, ctx.account_id, ctx.region))
    names = [d["Identity"] for d in docs if kind is None or d["Type"] == kind]
    page, token = paging.page_items(names, lambda n: n, listing=f"ses.identities/{kind or ''}", token=params.get("NextToken"),
                                    limit=sending.page_limit(params.get("MaxItems"), 1, 1000, "MaxItems", "ses"), default_limit=1000, max_limit=1000, error=_bad_token)
    return {"Identities": page, **({"NextToken": token} if token else {})}


@operation("ses", "ListVerifiedEmailAddresses")
async def list_verified_email_addresses(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    docs = await ctx.app.store.read(lambda t: identities.listing(t, ctx.account_id, ctx.region))
    return {"VerifiedEmailAddresses": [d["Identity"] for d in docs if d["Type"] == "EmailAddress" and d["Status"] == "Success"]}


@operation("ses", "DeleteIdentity")
async def delete_identity(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: identities.delete(t, ctx.account_id, ctx.region, params["Identity"]))
    return {}


@operation("ses", "DeleteVerifiedEmailAddress")
async def delete_verified_email_address(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: identities.delete(t, ctx.account_id, ctx.region, params["EmailAddress"]))
    return {}


def _lookup(t: Txn, ctx: RequestContext, names: list[str]) -> dict[str, dict[str, Any]]:
    out = {}
    for n in names:
        doc = identities.get(t, ctx.account_id, ctx.region, n)
        if doc is not None:
            out[n] = doc
    return out


@operation("ses", "GetIdentityVerificationAttributes")
async def get_identity_verification_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    found = await ctx.app.store.read(lambda t: _lookup(t, ctx, list(params["Identities"])))
    attrs = {}
    for name, doc in found.items():
        a: dict[str, Any] = {"VerificationStatus": _STATUS.get(doc["Status"], "Pending")}
        if doc["Type"] == "Domain":
            a["VerificationToken"] = doc["Token"]
        attrs[name] = a
    return {"VerificationAttributes": attrs}


@operation("ses", "GetIdentityDkimAttributes")
async def get_identity_dkim_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    found = await ctx.app.store.read(lambda t: _lookup(t, ctx, list(params["Identities"])))
    attrs = {}
    for name, doc in found.items():
        a: dict[str, Any] = {"DkimEnabled": bool(doc.get("DkimEnabled")),
                             "DkimVerificationStatus": doc.get("DkimStatus") or "NotStarted"}
        if doc.get("DkimTokens"):
            a["DkimTokens"] = doc["DkimTokens"]
        attrs[name] = a
    return {"DkimAttributes": attrs}


@operation("ses", "SetIdentityDkimEnabled")
async def set_identity_dkim_enabled(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    def run(t: Txn) -> None:
        doc = identities.get(t, ctx.account_id, ctx.region, params["Identity"])
        if doc is None or (params["DkimEnabled"] and doc.get("DkimStatus") != "Success"):
            raise AwsError.common("InvalidParameterValue",
                                  f"Domain {params['Identity']} is not verified for DKIM signing.")
        identities.update(t, ctx.account_id, ctx.region, params["Identity"], {"DkimEnabled": bool(params["DkimEnabled"])})

    await ctx.app.store.run(run)
    return {}


@operation("ses", "SetIdentityMailFromDomain")
async def set_identity_mail_from_domain(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    behavior = params.get("BehaviorOnMXFailure") or "UseDefaultValue"
    await ctx.app.store.run(lambda t: identities.set_mail_from(t, ctx.account_id, ctx.region, params["Identity"],
                                                               params.get("MailFromDomain"), behavior, time.time()))
    return {}


@operation("ses", "GetIdentityMailFromDomainAttributes")
async def get_identity_mail_from_domain_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    found = await ctx.app.store.read(lambda t: _lookup(t, ctx, list(params["Identities"])))
    attrs = {}
    for name, doc in found.items():
        mail_from = doc.get("MailFrom") or {}
        attrs[name] = {"MailFromDomain": mail_from.get("Domain", ""),
                       "MailFromDomainStatus": mail_from.get("Status", "Success") if mail_from else "Success",
                       "BehaviorOnMXFailure": mail_from.get("Behavior", "UseDefaultValue")}
    return {"MailFromDomainAttributes": attrs}


# --- quota ------------------------------------------------------------------------------------

@operation("ses", "GetSendQuota")
async def get_send_quota(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    s = ctx.app.settings(SesSettings)
    sent = await ctx.app.store.read(lambda t: messages.sent_last_24h(t, ctx.account_id, ctx.region, time.time()))
    return {"Max24HourSend": float(s.max_24_hour_send), "MaxSendRate": float(s.max_send_rate), "SentLast24Hours": float(sent)}


@operation("ses", "GetAccountSendingEnabled")
async def get_account_sending_enabled(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"Enabled": True}


# --- sending ----------------------------------------------------------------------------------

def _destination(d: dict[str, Any] | None) -> tuple[list[str], list[str], list[str]]:
    d = d or {}
    return list(d.get("ToAddresses") or []), list(d.get("CcAddresses") or []), list(d.get("BccAddresses") or [])


@operation("ses", "SendEmail")
async def send_email(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    to, cc, bcc = _destination(params.get("Destination"))
    message = params["Message"]
    body = message.get("Body") or {}
    out = sending.Outgoing(
        source=params["Source"], to=to, cc=cc, bcc=bcc, subject=(message.get("Subject") or {}).get("Data", ""),
        text=(body.get("Text") or {}).get("Data"), html=(body.get("Html") or {}).get("Data"),
        reply_to=list(params.get("ReplyToAddresses") or []), return_path=params.get("ReturnPath"),
        configuration_set=params.get("ConfigurationSetName"), tags=list(params.get("Tags") or []))
    return {"MessageId": await outbound.send(ctx.app, ctx.account_id, ctx.region, out, "ses")}


@operation("ses", "SendRawEmail")
async def send_raw_email(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    out = sending.parse_raw(params["RawMessage"]["Data"], params.get("Source"), params.get("Destinations"), "ses")
    out.configuration_set = params.get("ConfigurationSetName")
    out.tags = list(params.get("Tags") or [])
    return {"MessageId": await outbound.send(ctx.app, ctx.account_id, ctx.region, out, "ses")}


def _rendered(doc: dict[str, Any], data_text: str | None, base: sending.Outgoing) -> sending.Outgoing:
    try:
        data = templates.data_of(data_text)
    except ValueError:
        raise AwsError.common("InvalidParameterValue", "Template data must be a valid JSON object.") from None
    base.template = doc["TemplateName"]
    try:
        base.subject, base.text, base.html = templates.render_template(doc, data)
    except templates.MissingAttribute as exc:
        # AWS accepts the send and reports a rendering failure: the message is never delivered
        base.subject, base.text, base.html = templates.subject_anyway(doc, data), None, None
        base.status = "RenderingFailure"
        base.failure = f"Attribute '{exc.name}' is not present in the rendering data."
    return base


@operation("ses", "SendTemplatedEmail")
async def send_templated_email(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.read(lambda t: templates.get(t, ctx.account_id, ctx.region, params["Template"]))
    to, cc, bcc = _destination(params.get("Destination"))
    out = _rendered(doc, params.get("TemplateData"), sending.Outgoing(
        source=params["Source"], to=to, cc=cc, bcc=bcc, reply_to=list(params.get("ReplyToAddresses") or []),
        return_path=params.get("ReturnPath"), configuration_set=params.get("ConfigurationSetName"),
        tags=list(params.get("Tags") or [])))
    return {"MessageId": await outbound.send(ctx.app, ctx.account_id, ctx.region, out, "ses")}


_BULK_STATUS = {"MessageRejected": "MessageRejected", "Throttling": "AccountDailyQuotaExceeded",
                "InvalidParameterValue": "InvalidParameterValue", "ConfigurationSetDoesNotExist": "ConfigurationSetDoesNotExist",
                "ConfigurationSetSendingPausedException": "ConfigurationSetSendingPaused"}


@operation("ses", "SendBulkTemplatedEmail")
async def send_bulk_templated_email(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.read(lambda t: templates.get(t, ctx.account_id, ctx.region, params["Template"]))
    try:
        default = templates.data_of(params.get("DefaultTemplateData"))
    except ValueError:
        raise AwsError.common("InvalidParameterValue", "Template data must be a valid JSON object.") from None
    source = params["Source"]
    sender = sending.address_of(source) or source
    failed = await ctx.app.store.read(lambda t: identities.unverified(t, ctx.account_id, ctx.region, [sender]))
    if failed:
        raise AwsError.modeled("ses", "MessageRejected", "Email address is not verified. The following identities "
                               f"failed the check in region {ctx.region.upper()}: {', '.join(failed)}")
    await ctx.app.store.read(lambda t: configsets.check_sending(t, ctx.account_id, ctx.region,
                                                                params.get("ConfigurationSetName"), "ses"))
    statuses = []
    for entry in params["Destinations"]:
        to, cc, bcc = _destination(entry.get("Destination"))
        try:
            extra = templates.data_of(entry.get("ReplacementTemplateData"))
        except ValueError:
            statuses.append({"Status": "InvalidParameterValue", "Error": "Template data must be a valid JSON object."})
            continue
        out = _rendered(doc, json.dumps({**default, **extra}), sending.Outgoing(
            source=source, to=to, cc=cc, bcc=bcc, reply_to=list(params.get("ReplyToAddresses") or []),
            configuration_set=params.get("ConfigurationSetName"),
            tags=list(entry.get("ReplacementTags") or params.get("DefaultTags") or [])))
        try:
            mid = await outbound.send(ctx.app, ctx.account_id, ctx.region, out, "ses")
        except AwsError as err:
            statuses.append({"Status": _BULK_STATUS.get(err.code, "Failed"), "Error": err.message})
            continue
        statuses.append({"Status": "Success", "MessageId": mid})
    return {"Status": statuses}


# --- templates --------------------------------------------------------------------------------

@operation("ses", "CreateTemplate")
async def create_template(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: templates.create(t, ctx.account_id, ctx.region, dict(params["Template"]), time.time()))
    return {}


@operation("ses", "UpdateTemplate")
async def update_template(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: templates.update(t, ctx.account_id, ctx.region, dict(params["Template"])))
    return {}


@operation("ses", "GetTemplate")
async def get_template(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.read(lambda t: templates.get(t, ctx.account_id, ctx.region, params["TemplateName"]))
    return {"Template": {k: doc[k] for k in ("TemplateName", "SubjectPart", "TextPart", "HtmlPart") if doc.get(k) is not None}}


@operation("ses", "DeleteTemplate")
async def delete_template(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: templates.delete(t, ctx.account_id, ctx.region, params["TemplateName"]))
    return {}


@operation("ses", "ListTemplates")
async def list_templates(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    docs = await ctx.app.store.read(lambda t: templates.listing(t, ctx.account_id, ctx.region))
    page, token = paging.page_items(docs, lambda d: d["TemplateName"], listing="ses.templates", token=params.get("NextToken"),
                                    limit=sending.page_limit(params.get("MaxItems"), 1, 100, "MaxItems", "ses"), default_limit=10, max_limit=10, error=_bad_token)
    return {"TemplatesMetadata": [{"Name": d["TemplateName"], "CreatedTimestamp": d["Created"]} for d in page],
            **({"NextToken": token} if token else {})}


@operation("ses", "TestRenderTemplate")
async def test_render_template(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.read(lambda t: templates.get(t, ctx.account_id, ctx.region, params["TemplateName"]))
    try:
        data = templates.data_of(params["TemplateData"])
    except ValueError:
        raise AwsError.modeled("ses", "InvalidRenderingParameterException", "Template data must be a valid JSON object.",
                               TemplateName=params["TemplateName"]) from None
    try:
        subject, text, html = templates.render_template(doc, data)
    except templates.TooLarge as exc:
        raise AwsError.modeled("ses", "InvalidRenderingParameterException", str(exc),
                               TemplateName=params["TemplateName"]) from None
    except templates.MissingAttribute as exc:
        raise AwsError.modeled("ses", "MissingRenderingAttributeException",
                               f"Attribute '{exc.name}' is not present in the rendering data.",
                               TemplateName=params["TemplateName"]) from None
    out = sending.Outgoing(source="", to=[], subject=subject, text=text, html=html)
    return {"RenderedTemplate": _render_mime(out)}


def _render_mime(out: sending.Outgoing) -> str:
    from email import policy
    from email.message import EmailMessage

    msg = EmailMessage(policy=policy.SMTP)
    msg["Subject"] = out.subject
    if out.text is not None:
        msg.set_content(out.text)
        if out.html is not None:
            msg.add_alternative(out.html, subtype="html")
    elif out.html is not None:
        msg.set_content(out.html, subtype="html")
    return msg.as_string()


# --- configuration sets -----------------------------------------------------------------------

@operation("ses", "CreateConfigurationSet")
async def create_configuration_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["ConfigurationSet"]["Name"]
    await ctx.app.store.run(lambda t: configsets.create(t, ctx.account_id, ctx.region, name, {}, time.time()))
    return {}


@operation("ses", "DescribeConfigurationSet")
async def describe_configuration_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["ConfigurationSetName"]

    def run(t: Txn) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        return (configsets.get(t, ctx.account_id, ctx.region, name),
                event_destinations.listing(t, ctx.account_id, ctx.region, name))

    doc, destinations = await ctx.app.store.read(run)
    out: dict[str, Any] = {"ConfigurationSet": {"Name": doc["Name"]}}
    wanted = set(params.get("ConfigurationSetAttributeNames") or [])
    if "reputationOptions" in wanted:
        out["ReputationOptions"] = {"SendingEnabled": bool(doc.get("SendingEnabled", True)),
                                    "ReputationMetricsEnabled": False}
    if "deliveryOptions" in wanted and doc.get("DeliveryOptions"):
        out["DeliveryOptions"] = doc["DeliveryOptions"]
    if "eventDestinations" in wanted:
        out["EventDestinations"] = [event_destinations.to_v1(d) for d in destinations]
    return out


@operation("ses", "ListConfigurationSets")
async def list_configuration_sets(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    docs = await ctx.app.store.read(lambda t: configsets.listing(t, ctx.account_id, ctx.region))
    page, token = paging.page_items(docs, lambda d: d["Name"], listing="ses.configsets", token=params.get("NextToken"),
                                    limit=sending.page_limit(params.get("MaxItems"), 1, 1000, "MaxItems", "ses"), default_limit=1000, max_limit=1000, error=_bad_token)
    return {"ConfigurationSets": [{"Name": d["Name"]} for d in page], **({"NextToken": token} if token else {})}


@operation("ses", "DeleteConfigurationSet")
async def delete_configuration_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: configsets.delete(t, ctx.account_id, ctx.region, params["ConfigurationSetName"]))
    return {}


@operation("ses", "UpdateConfigurationSetSendingEnabled")
async def update_configuration_set_sending_enabled(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: configsets.update(t, ctx.account_id, ctx.region, params["ConfigurationSetName"],
                                                        {"SendingEnabled": bool(params["Enabled"])}))
    return {}


@operation("ses", "PutConfigurationSetDeliveryOptions")
async def put_configuration_set_delivery_options(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: configsets.update(t, ctx.account_id, ctx.region, params["ConfigurationSetName"],
                                                        {"DeliveryOptions": params.get("DeliveryOptions") or {}}))
    return {}
