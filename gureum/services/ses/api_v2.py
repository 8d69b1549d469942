"""SES v2 handlers (rest-json): email identities, the account, SendEmail (Simple, Raw,
Template; ListManagementOptions against contacts.py), templates, configuration sets; over the same identities, templates, configuration
sets and sent messages as v1."""

from __future__ import annotations

import datetime
import time
from typing import Any

from gureum.aws import paging, tags
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError, NotImplementedOperation
from gureum.services.ses import configsets, contacts, identities, messages, outbound, sending, templates
from gureum.services.ses.api_v1 import _render_mime
from gureum.services.ses.settings import SesSettings
from gureum.store import Txn

_V2_STATUS = {"Pending": "PENDING", "Success": "SUCCESS", "Failed": "FAILED"}


def _bad_token() -> AwsError:
    return AwsError.modeled("sesv2", "BadRequestException", "Invalid NextToken.")


def _missing_identity(name: str) -> AwsError:
    return AwsError.modeled("sesv2", "NotFoundException", f"Email identity {name} does not exist.")


def _kind(doc: dict[str, Any]) -> str:
    return "EMAIL_ADDRESS" if doc["Type"] == "EmailAddress" else "DOMAIN"


def _dkim(doc: dict[str, Any]) -> dict[str, Any]:
    if doc["Type"] != "Domain" or not doc.get("DkimTokens"):
        return {"SigningEnabled": False, "Status": "NOT_STARTED"}
    return {"SigningEnabled": bool(doc.get("DkimEnabled")), "Status": _V2_STATUS.get(doc.get("DkimStatus") or "", "PENDING"),
            "Tokens": doc["DkimTokens"], "SigningAttributesOrigin": "AWS_SES", "CurrentSigningKeyLength": "RSA_2048_BIT",
            "NextSigningKeyLength": "RSA_2048_BIT", "LastKeyGenerationTimestamp": doc.get("Created")}


@operation("sesv2", "CreateEmailIdentity")
async def create_email_identity(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["EmailIdentity"]
    if params.get("DkimSigningAttributes"):
        raise NotImplementedOperation("NotImplemented", "gureum does not implement BYODKIM (DkimSigningAttributes) yet", 501)
    new_tags = tags.from_pairs(params.get("Tags")) if params.get("Tags") else {}
    if identities.is_email(name):
        identities.check_email(name, "sesv2")
    else:
        identities.check_domain(name, "sesv2")

    def run(t: Txn) -> tuple[dict[str, Any], bool]:
        if identities.get(t, ctx.account_id, ctx.region, name) is not None:
            raise AwsError.modeled("sesv2", "AlreadyExistsException", f"Email identity {name} already exist.")
        if params.get("ConfigurationSetName"):
            configsets.get(t, ctx.account_id, ctx.region, params["ConfigurationSetName"], "sesv2")
        now = time.time()
        if identities.is_email(name):
            doc, send = identities.add_email(t, ctx.account_id, ctx.region, name, now)
        else:
            doc, send = identities.add_domain(t, ctx.account_id, ctx.region, name, now, dkim=True), False
        changes: dict[str, Any] = {"Tags": new_tags}
        if params.get("ConfigurationSetName"):
            changes["ConfigurationSetName"] = params["ConfigurationSetName"]
        doc = identities.update(t, ctx.account_id, ctx.region, name, changes) or doc
        return doc, send

    doc, send = await ctx.app.store.run(run)
    if send:
        await outbound.send_verification(ctx.app, ctx.request, ctx.account_id, ctx.region, doc["Identity"], doc["Code"])
    return {"IdentityType": _kind(doc), "VerifiedForSendingStatus": doc["Status"] == "Success", "DkimAttributes": _dkim(doc)}


@operation("sesv2", "GetEmailIdentity")
async def get_email_identity(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["EmailIdentity"]
    doc = await ctx.app.store.read(lambda t: identities.get(t, ctx.account_id, ctx.region, name))
    if doc is None:
        raise _missing_identity(name)
    out: dict[str, Any] = {
        "IdentityType": _kind(doc), "FeedbackForwardingStatus": True,
        "VerifiedForSendingStatus": doc["Status"] == "Success", "DkimAttributes": _dkim(doc),
        "Policies": {}, "Tags": [{"Key": k, "Value": v} for k, v in (doc.get("Tags") or {}).items()],
        "VerificationStatus": _V2_STATUS.get(doc["Status"], "PENDING"),
    }
    if doc.get("ConfigurationSetName"):
        out["ConfigurationSetName"] = doc["ConfigurationSetName"]
    mail_from = doc.get("MailFrom")
    if mail_from:
        out["MailFromAttributes"] = {"MailFromDomain": mail_from["Domain"],
                                     "MailFromDomainStatus": _V2_STATUS.get(mail_from["Status"], "PENDING"),
                                     "BehaviorOnMxFailure": _V2_BEHAVIOR[mail_from["Behavior"]]}
    return out


_V2_BEHAVIOR = {"UseDefaultValue": "USE_DEFAULT_VALUE", "RejectMessage": "REJECT_MESSAGE"}


@operation("sesv2", "PutEmailIdentityMailFromAttributes")
async def put_email_identity_mail_from_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    behavior = {v: k for k, v in _V2_BEHAVIOR.items()}[params.get("BehaviorOnMxFailure") or "USE_DEFAULT_VALUE"]
    await ctx.app.store.run(lambda t: identities.set_mail_from(t, ctx.account_id, ctx.region, params["EmailIdentity"],
                                                               params.get("MailFromDomain"), behavior, time.time(), "sesv2"))
    return {}


@operation("sesv2", "ListEmailIdentities")
async def list_email_identities(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    docs = await ctx.app.store.read(lambda t: identities.listing(t, ctx.account_id, ctx.region))
    page, token = paging.page_items(docs, lambda d: d["Identity"], listing="sesv2.identities", token=params.get("NextToken"),
                                    limit=sending.page_limit(params.get("PageSize"), 1, 1000, "PageSize", "sesv2"), default_limit=100, max_limit=1000, error=_bad_token)
    return {"EmailIdentities": [{"IdentityType": _kind(d), "IdentityName": d["Identity"], "SendingEnabled": True,
                                 "VerificationStatus": _V2_STATUS.get(d["Status"], "PENDING")} for d in page],
            **({"NextToken": token} if token else {})}


@operation("sesv2", "DeleteEmailIdentity")
async def delete_email_identity(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["EmailIdentity"]
    if not await ctx.app.store.run(lambda t: identities.delete(t, ctx.account_id, ctx.region, name)):
        raise _missing_identity(name)
    return {}


@operation("sesv2", "GetAccount")
async def get_account(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    s = ctx.app.settings(SesSettings)
    sent = await ctx.app.store.read(lambda t: messages.sent_last_24h(t, ctx.account_id, ctx.region, time.time()))
    return {"DedicatedIpAutoWarmupEnabled": False, "EnforcementStatus": "HEALTHY", "ProductionAccessEnabled": not s.sandbox,
            "SendQuota": {"Max24HourSend": float(s.max_24_hour_send), "MaxSendRate": float(s.max_send_rate),
                          "SentLast24Hours": float(sent)},
            "SendingEnabled": True}


# --- sending ----------------------------------------------------------------------------------

def _template_doc(t: Txn, ctx: RequestContext, spec: dict[str, Any]) -> dict[str, Any]:
    if spec.get("TemplateContent"):
        c = spec["TemplateContent"]
        return {"TemplateName": spec.get("TemplateName") or "", "SubjectPart": c.get("Subject"), "TextPart": c.get("Text"),
                "HtmlPart": c.get("Html")}
    name = spec.get("TemplateName") or (spec.get("TemplateArn") or "").rpartition("/")[2]
    if not name:
        raise AwsError.modeled("sesv2", "BadRequestException", "Template name or ARN is required.")
    return templates.get(t, ctx.account_id, ctx.region, name, "sesv2")


@operation("sesv2", "SendEmail")
async def send_email(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    content = params["Content"]
    dest = params.get("Destination") or {}
    to, cc, bcc = (list(dest.get(k) or []) for k in ("ToAddresses", "CcAddresses", "BccAddresses"))
    source = params.get("FromEmailAddress")
    kinds = [k for k in ("Simple", "Raw", "Template") if content.get(k)]
    if len(kinds) != 1:
        raise AwsError.modeled("sesv2", "BadRequestException", "Exactly one of Simple, Raw or Template content is required.")
    if kinds[0] == "Raw":
        out = sending.parse_raw(content["Raw"]["Data"], source, [*to, *cc, *bcc] or None, "sesv2")
    else:
        if not source:
            raise AwsError.modeled("sesv2", "BadRequestException", "Missing required parameter FromEmailAddress.")
        out = sending.Outgoing(source=source, to=to, cc=cc, bcc=bcc, reply_to=list(params.get("ReplyToAddresses") or []))
        if kinds[0] == "Simple":
            simple = content["Simple"]
            body = simple.get("Body") or {}
            if simple.get("Attachments"):
                raise NotImplementedOperation("NotImplemented", "gureum does not implement SES attachments in Simple content yet", 501)
            out.subject = (simple.get("Subject") or {}).get("Data", "")
            out.text = (body.get("Text") or {}).get("Data")
            out.html = (body.get("Html") or {}).get("Data")
        else:
            spec = content["Template"]
            if spec.get("Attachments"):
                raise NotImplementedOperation("NotImplemented", "gureum does not implement SES attachments in Template content yet", 501)
            doc = await ctx.app.store.read(lambda t: _template_doc(t, ctx, spec))
            try:
                data = templates.data_of(spec.get("TemplateData"))
            except ValueError:
                raise AwsError.modeled("sesv2", "BadRequestException", "Template data must be a valid JSON object.") from None
            if params.get("ListManagementOptions"):  # the placeholder stays for _list_management
                data.setdefault("amazonSESUnsubscribeUrl", UNSUBSCRIBE_PLACEHOLDER)
            out.template = doc["TemplateName"] or None
            try:
                out.subject, out.text, out.html = templates.render_template(doc, data)
            except templates.MissingAttribute as exc:
                out.subject = templates.subject_anyway(doc, data)
                out.status = "RenderingFailure"
                out.failure = f"Attribute '{exc.name}' is not present in the rendering data."
    out.configuration_set = params.get("ConfigurationSetName")
    out.tags = [{"Name": t["Name"], "Value": t["Value"]} for t in params.get("EmailTags") or []]
    if params.get("ListManagementOptions"):
        await _list_management(ctx, out, params["ListManagementOptions"])
    return {"MessageId": await outbound.send(ctx.app, ctx.account_id, ctx.region, out, "sesv2")}


UNSUBSCRIBE_PLACEHOLDER = "{{amazonSESUnsubscribeUrl}}"


async def _list_management(ctx: RequestContext, out: sending.Outgoing, options: dict[str, Any]) -> None:
    """ListManagementOptions: the list's unsubscribed contacts are not sent to (a message all
    of whose recipients unsubscribed is kept, never delivered; with a configuration set they
    bounce); the mail carries the List-Unsubscribe link (of its first recipient) and RFC
    8058's one-click header, and the link replaces {{amazonSESUnsubscribeUrl}} in the body."""
    name, topic = options["ContactListName"], options.get("TopicName")

    def run(t: Txn) -> tuple[list[str], dict[str, Any]]:
        return (contacts.unsubscribed(t, ctx.account_id, ctx.region, name, topic, out.recipients),
                contacts.get_list(t, ctx.account_id, ctx.region, name))

    gone, listing = await ctx.app.store.read(run)
    lowered = {a.lower() for a in gone}
    out.unsubscribed = gone
    if gone and len(gone) == len(out.recipients):
        out.status = "Unsubscribed"
    elif gone:
        out.to, out.cc, out.bcc = ([a for a in group if sending.address_of(a).lower() not in lowered]
                                   for group in (out.to, out.cc, out.bcc))
    first = sending.address_of(out.recipients[0]) if out.recipients else ""
    link = outbound.unsubscribe_link(ctx.app, ctx.account_id, ctx.region, name, topic, first,
                                     contacts.unsubscribe_code(listing, first, topic))
    out.headers = [("List-Unsubscribe", f"<{link}>"), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")]
    # SES puts the link where the content asks for it
    if out.text is not None:
        out.text = out.text.replace(UNSUBSCRIBE_PLACEHOLDER, link)
    if out.html is not None:
        out.html = out.html.replace(UNSUBSCRIBE_PLACEHOLDER, link)


# --- templates --------------------------------------------------------------------------------

def _v1_template(name: str, content: dict[str, Any]) -> dict[str, Any]:
    return {"TemplateName": name, "SubjectPart": content.get("Subject"), "TextPart": content.get("Text"),
            "HtmlPart": content.get("Html")}


@operation("sesv2", "CreateEmailTemplate")
async def create_email_template(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = _v1_template(params["TemplateName"], params["TemplateContent"])
    await ctx.app.store.run(lambda t: templates.create(t, ctx.account_id, ctx.region, doc, time.time(), "sesv2"))
    return {}


@operation("sesv2", "UpdateEmailTemplate")
async def update_email_template(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = _v1_template(params["TemplateName"], params["TemplateContent"])
    await ctx.app.store.run(lambda t: templates.update(t, ctx.account_id, ctx.region, doc, "sesv2"))
    return {}


@operation("sesv2", "GetEmailTemplate")
async def get_email_template(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.read(lambda t: templates.get(t, ctx.account_id, ctx.region, params["TemplateName"], "sesv2"))
    content = {k: doc[p] for k, p in (("Subject", "SubjectPart"), ("Text", "TextPart"), ("Html", "HtmlPart")) if doc.get(p) is not None}
    return {"TemplateName": doc["TemplateName"], "TemplateContent": content}


@operation("sesv2", "DeleteEmailTemplate")
async def delete_email_template(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: templates.delete(t, ctx.account_id, ctx.region, params["TemplateName"], "sesv2"))
    return {}


@operation("sesv2", "ListEmailTemplates")
async def list_email_templates(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    docs = await ctx.app.store.read(lambda t: templates.listing(t, ctx.account_id, ctx.region))
    page, token = paging.page_items(docs, lambda d: d["TemplateName"], listing="sesv2.templates", token=params.get("NextToken"),
                                    limit=sending.page_limit(params.get("PageSize"), 1, 100, "PageSize", "sesv2"), default_limit=10, max_limit=100, error=_bad_token)
    return {"TemplatesMetadata": [{"TemplateName": d["TemplateName"], "CreatedTimestamp": d["Created"]} for d in page],
            **({"NextToken": token} if token else {})}


@operation("sesv2", "TestRenderEmailTemplate")
async def test_render_email_template(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.read(lambda t: templates.get(t, ctx.account_id, ctx.region, params["TemplateName"], "sesv2"))
    try:
        subject, text, html = templates.render_template(doc, templates.data_of(params["TemplateData"]))
    except ValueError:
        raise AwsError.modeled("sesv2", "BadRequestException", "Template data must be a valid JSON object.") from None
    except templates.TooLarge as exc:
        raise AwsError.modeled("sesv2", "BadRequestException", str(exc)) from None
    except templates.MissingAttribute as exc:
        raise AwsError.modeled("sesv2", "BadRequestException",
                               f"Attribute '{exc.name}' is not present in the rendering data.") from None
    return {"RenderedTemplate": _render_mime(sending.Outgoing(source="", to=[], subject=subject, text=text, html=html))}


# --- configuration sets -----------------------------------------------------------------------

_OPTIONS = ("TrackingOptions", "DeliveryOptions", "ReputationOptions", "SuppressionOptions", "VdmOptions")


@operation("sesv2", "CreateConfigurationSet")
async def create_configuration_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {k: params[k] for k in _OPTIONS if params.get(k) is not None}
    reputation = options.get("ReputationOptions")
    if reputation and isinstance(reputation.get("LastFreshStart"), datetime.datetime):
        options["ReputationOptions"] = {**reputation, "LastFreshStart": reputation["LastFreshStart"].timestamp()}
    options["SendingEnabled"] = bool((params.get("SendingOptions") or {}).get("SendingEnabled", True))
    if params.get("Tags"):
        options["Tags"] = tags.from_pairs(params["Tags"])
    await ctx.app.store.run(lambda t: configsets.create(t, ctx.account_id, ctx.region, params["ConfigurationSetName"],
                                                        options, time.time(), "sesv2"))
    return {}


@operation("sesv2", "GetConfigurationSet")
async def get_configuration_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    doc = await ctx.app.store.read(lambda t: configsets.get(t, ctx.account_id, ctx.region, params["ConfigurationSetName"], "sesv2"))
    out: dict[str, Any] = {"ConfigurationSetName": doc["Name"], "SendingOptions": {"SendingEnabled": bool(doc.get("SendingEnabled", True))},
                           "Tags": [{"Key": k, "Value": v} for k, v in (doc.get("Tags") or {}).items()]}
    out.update({k: doc[k] for k in _OPTIONS if doc.get(k) is not None})
    return out


@operation("sesv2", "ListConfigurationSets")
async def list_configuration_sets(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    docs = await ctx.app.store.read(lambda t: configsets.listing(t, ctx.account_id, ctx.region))
    page, token = paging.page_items(docs, lambda d: d["Name"], listing="sesv2.configsets", token=params.get("NextToken"),
                                    limit=sending.page_limit(params.get("PageSize"), 1, 1000, "PageSize", "sesv2"), default_limit=100, max_limit=1000, error=_bad_token)
    return {"ConfigurationSets": [d["Name"] for d in page], **({"NextToken": token} if token else {})}


@operation("sesv2", "DeleteConfigurationSet")
async def delete_configuration_set(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: configsets.delete(t, ctx.account_id, ctx.region, params["ConfigurationSetName"], "sesv2"))
    return {}
