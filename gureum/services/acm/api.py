"""ACM handlers: read the parameters, run one model function, shape the answer."""

from __future__ import annotations

import time
from typing import Any

from gureum.aws import tags
from gureum.aws.dispatch import RequestContext, operation
from gureum.services.acm import certs, email_validation, lifecycle
from gureum.services.acm.tagging import place
from gureum.store import Txn

Doc = dict[str, Any]


@operation("acm", "RequestCertificate")
async def request_certificate(ctx: RequestContext, params: Doc) -> Doc:
    arn = await ctx.app.store.run(lambda t: certs.request(t, ctx.account_id, ctx.region, params, time.time()))
    if (params.get("ValidationMethod") or "EMAIL") == "EMAIL":
        _, doc = await ctx.app.store.read(lambda t: certs.get(t, arn))
        if not doc.get("mailed"):  # a repeated IdempotencyToken answers the first request's ARN, mailed once
            await email_validation.send(ctx.app, ctx.request, doc)
            await ctx.app.store.run(lambda t: certs.mark_mailed(t, arn))
    return {"CertificateArn": arn}


@operation("acm", "ResendValidationEmail")
async def resend_validation_email(ctx: RequestContext, params: Doc) -> Doc:
    doc = await ctx.app.store.read(lambda t: email_validation.resend_check(t, params["CertificateArn"], params["Domain"],
                                                                           params["ValidationDomain"]))
    await email_validation.send(ctx.app, ctx.request, doc, only=params["Domain"].lower())
    return {}


@operation("acm", "RenewCertificate")
async def renew_certificate(ctx: RequestContext, params: Doc) -> Doc:
    doc = await ctx.app.store.run(lambda t: lifecycle.renew(t, params["CertificateArn"], time.time()))
    await email_validation.send(ctx.app, ctx.request, doc)
    return {}


@operation("acm", "ExportCertificate")
async def export_certificate(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.run(lambda t: lifecycle.export(t, params["CertificateArn"], params["Passphrase"]))


@operation("acm", "RevokeCertificate")
async def revoke_certificate(ctx: RequestContext, params: Doc) -> Doc:
    arn = await ctx.app.store.run(lambda t: lifecycle.revoke(t, params["CertificateArn"], params["RevocationReason"], time.time()))
    return {"CertificateArn": arn}


@operation("acm", "ImportCertificate")
async def import_certificate(ctx: RequestContext, params: Doc) -> Doc:
    arn = await ctx.app.store.run(lambda t: certs.import_(t, ctx.account_id, ctx.region, params, time.time()))
    return {"CertificateArn": arn}


@operation("acm", "DescribeCertificate")
async def describe_certificate(ctx: RequestContext, params: Doc) -> Doc:
    return {"Certificate": await ctx.app.store.read(lambda t: certs.detail(t, params["CertificateArn"]))}


@operation("acm", "ListCertificates")
async def list_certificates(ctx: RequestContext, params: Doc) -> Doc:
    items, token = await ctx.app.store.read(lambda t: certs.list_(t, ctx.account_id, ctx.region, params))
    return {"CertificateSummaryList": items, **({"NextToken": token} if token else {})}


@operation("acm", "DeleteCertificate")
async def delete_certificate(ctx: RequestContext, params: Doc) -> Doc:
    await ctx.app.store.run(lambda t: certs.delete(t, params["CertificateArn"]))
    return {}


@operation("acm", "GetCertificate")
async def get_certificate(ctx: RequestContext, params: Doc) -> Doc:
    return await ctx.app.store.read(lambda t: certs.certificate(t, params["CertificateArn"]))


@operation("acm", "AddTagsToCertificate")
async def add_tags_to_certificate(ctx: RequestContext, params: Doc) -> Doc:
    pairs = [(t.get("Key"), t.get("Value") or "") for t in params["Tags"]]

    def run(t: Txn) -> None:
        tags.tag(t, place(t, params["CertificateArn"]), pairs, certs.TAG_RULES)
    await ctx.app.store.run(run)
    return {}


@operation("acm", "RemoveTagsFromCertificate")
async def remove_tags_from_certificate(ctx: RequestContext, params: Doc) -> Doc:
    def run(t: Txn) -> None:
        current = place(t, params["CertificateArn"])
        have = current.read(t)
        keys = [x["Key"] for x in params["Tags"] if x.get("Value") is None or have.get(x["Key"]) == x.get("Value")]
        tags.untag(t, current, keys, certs.TAG_RULES)
    await ctx.app.store.run(run)
    return {}


@operation("acm", "ListTagsForCertificate")
async def list_tags_for_certificate(ctx: RequestContext, params: Doc) -> Doc:
    found = await ctx.app.store.read(lambda t: tags.list_tags(t, place(t, params["CertificateArn"])))
    return {"Tags": tags.to_pairs(found)}
