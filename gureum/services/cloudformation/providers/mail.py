"""SES resource types, made by the ses and sesv2 services' own handlers:
AWS::SES::EmailIdentity (Ref: the identity; GetAtt DkimDNSTokenName1-3 and
DkimDNSTokenValue1-3, the CNAME records a domain's Easy DKIM verification needs) and
AWS::SES::Template (Ref and Id: the template's name)."""

from __future__ import annotations

from typing import Any

from gureum.services.cloudformation.providers.base import (
    Done,
    ResourceContext,
    deleting,
    ignore_missing,
    provider,
    updating,
)
from gureum.services.cloudformation.providers.shapes import coerce


async def _ignore_missing(coro: Any) -> None:
    await ignore_missing(coro, "NotFound", "DoesNotExist")


def _dkim_attrs(identity: str, tokens: list[str]) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for i, token in enumerate(tokens[:3], start=1):
        attrs[f"DkimDNSTokenName{i}"] = f"{token}._domainkey.{identity}"
        attrs[f"DkimDNSTokenValue{i}"] = f"{token}.dkim.amazonses.com"
    return attrs


async def _identity_settings(ctx: ResourceContext, identity: str, old: dict[str, Any], new: dict[str, Any]) -> None:
    """The identity's settings CloudFormation sets after creating it, each only when it changed."""
    mail_from = new.get("MailFromAttributes")
    if mail_from != old.get("MailFromAttributes") and (mail_from or old.get("MailFromAttributes")):
        await ctx.call("sesv2", "PutEmailIdentityMailFromAttributes",
                       {"EmailIdentity": identity, **((mail_from or {}) if isinstance(mail_from, dict) else {})})
    dkim = new.get("DkimAttributes")
    if dkim != old.get("DkimAttributes") and isinstance(dkim, dict) and "SigningEnabled" in dkim:
        await ctx.call("sesv2", "PutEmailIdentityDkimAttributes", coerce(
            "sesv2", "PutEmailIdentityDkimAttributes", {"EmailIdentity": identity, "SigningEnabled": dkim["SigningEnabled"]}))
    feedback = new.get("FeedbackAttributes")
    if feedback != old.get("FeedbackAttributes") and isinstance(feedback, dict):
        await ctx.call("sesv2", "PutEmailIdentityFeedbackAttributes", coerce(
            "sesv2", "PutEmailIdentityFeedbackAttributes", {"EmailIdentity": identity, **feedback}))
    config = new.get("ConfigurationSetAttributes")
    if config != old.get("ConfigurationSetAttributes") and old.get("ConfigurationSetAttributes") is not None:
        await ctx.call("sesv2", "PutEmailIdentityConfigurationSetAttributes",
                       {"EmailIdentity": identity, **(config if isinstance(config, dict) else {})})


@provider("AWS::SES::EmailIdentity")
async def create_email_identity(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    identity = str(props["EmailIdentity"])
    params: dict[str, Any] = {"EmailIdentity": identity}
    if isinstance(props.get("DkimSigningAttributes"), dict):
        params["DkimSigningAttributes"] = props["DkimSigningAttributes"]
    config = props.get("ConfigurationSetAttributes")
    if isinstance(config, dict) and config.get("ConfigurationSetName"):
        params["ConfigurationSetName"] = config["ConfigurationSetName"]
    out = await ctx.call("sesv2", "CreateEmailIdentity", params)
    await _identity_settings(ctx, identity, {"ConfigurationSetAttributes": props.get("ConfigurationSetAttributes")}, props)
    return Done(identity, _dkim_attrs(identity, list((out.get("DkimAttributes") or {}).get("Tokens") or [])))


@updating("AWS::SES::EmailIdentity")
async def update_email_identity(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any],
                                done: Done) -> Done:
    await _identity_settings(ctx, physical, old, new)
    return done


@deleting("AWS::SES::EmailIdentity")
async def delete_email_identity(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call("sesv2", "DeleteEmailIdentity", {"EmailIdentity": physical}))


def _template(ctx: ResourceContext, props: dict[str, Any], name: str) -> dict[str, Any]:
    body = {k: v for k, v in (props.get("Template") or {}).items() if k in ("SubjectPart", "TextPart", "HtmlPart")}
    return {"TemplateName": name, **body}


@provider("AWS::SES::Template")
async def create_template(ctx: ResourceContext, props: dict[str, Any]) -> Done:
    name = str((props.get("Template") or {}).get("TemplateName") or ctx.name(64))
    await ctx.call("ses", "CreateTemplate", {"Template": _template(ctx, props, name)})
    return Done(name, {"Id": name})


@updating("AWS::SES::Template")
async def update_template(ctx: ResourceContext, physical: str, old: dict[str, Any], new: dict[str, Any], done: Done) -> Done:
    await ctx.call("ses", "UpdateTemplate", {"Template": _template(ctx, new, physical)})
    return done


@deleting("AWS::SES::Template")
async def delete_template(ctx: ResourceContext, physical: str, props: dict[str, Any], done: Done) -> None:
    await _ignore_missing(ctx.call("ses", "DeleteTemplate", {"TemplateName": physical}))
