"""IAM's newest operations: outbound identity federation (outbound_federation.py), account
properties, and the partner features gureum has no partners or templates for:
- delegation requests (CreateDelegationRequest is "not available for general use": only
  onboarded partners may call it, so no request exists here: the others find none, and
  ListDelegationRequests lists none);
- role templates (AWS-managed, published by Role Manager: gureum publishes none, so
  GetRoleTemplateVersion and AcquireRole find no template);
- GetHumanReadableSummary (of a delegation request, the only entity type: none exists).

Account properties: table `iam_account_properties`, key `<account>`: {"Namespace/Name": value};
every property of one PutAccountProperties call must be of one namespace (AWS)."""

from __future__ import annotations

from typing import Any

from gureum.aws.dispatch import RequestContext
from gureum.aws.errors import AwsError
from gureum.public import public_url
from gureum.services.iam import outbound_federation as federation
from gureum.services.iam.api import iam_op
from gureum.services.iam.rows import ACCOUNT_PROPERTIES

P = dict[str, Any]
PROPERTIES = ACCOUNT_PROPERTIES


@iam_op("EnableOutboundWebIdentityFederation")
async def enable_outbound_web_identity_federation(ctx: RequestContext, p: P) -> P:
    doc = await ctx.app.store.run(lambda t: federation.enable(t, ctx.account_id))
    return {"IssuerIdentifier": federation.issuer(public_url(ctx.app, ctx.request), doc["IssuerId"])}


@iam_op("DisableOutboundWebIdentityFederation")
async def disable_outbound_web_identity_federation(ctx: RequestContext, p: P) -> P:
    await ctx.app.store.run(lambda t: federation.disable(t, ctx.account_id))
    return {}


@iam_op("GetOutboundWebIdentityFederationInfo")
async def get_outbound_web_identity_federation_info(ctx: RequestContext, p: P) -> P:
    doc = await ctx.app.store.read(lambda t: federation.info(t, ctx.account_id))
    return {"IssuerIdentifier": federation.issuer(public_url(ctx.app, ctx.request), doc["IssuerId"]),
            "JwtVendingEnabled": bool(doc["Enabled"])}


@iam_op("PutAccountProperties")
async def put_account_properties(ctx: RequestContext, p: P) -> P:
    props: dict[str, str] = p["Properties"]
    spaces = {k.split("/", 1)[0] for k in props}
    if any("/" not in k for k in props) or len(spaces) != 1:
        raise AwsError.modeled("iam", "InvalidInput",
                               "Properties must be named Namespace/PropertyName, all of one namespace.")

    def put(t: Any) -> None:
        t.put(PROPERTIES, ctx.account_id, {**(t.get(PROPERTIES, ctx.account_id) or {}), **props})

    await ctx.app.store.run(put)
    return {}


@iam_op("GetAccountProperties")
async def get_account_properties(ctx: RequestContext, p: P) -> P:
    def read(t: Any) -> dict[str, str]:
        return dict(t.get(PROPERTIES, ctx.account_id) or {})

    return {"Properties": await ctx.app.store.read(read)}


def _no_request(request_id: str) -> AwsError:
    return AwsError.modeled("iam", "NoSuchEntity", f"The delegation request with id {request_id} cannot be found.")


@iam_op("CreateDelegationRequest")
async def create_delegation_request(ctx: RequestContext, p: P) -> P:
    raise AwsError.common("AccessDenied", f"User: {ctx.principal_arn} is not authorized to perform: "
                          "iam:CreateDelegationRequest: the caller is not an onboarded delegation partner")


@iam_op("GetDelegationRequest")
async def get_delegation_request(ctx: RequestContext, p: P) -> P:
    raise _no_request(p["DelegationRequestId"])


@iam_op("AcceptDelegationRequest")
async def accept_delegation_request(ctx: RequestContext, p: P) -> P:
    raise _no_request(p["DelegationRequestId"])


@iam_op("AssociateDelegationRequest")
async def associate_delegation_request(ctx: RequestContext, p: P) -> P:
    raise _no_request(p["DelegationRequestId"])


@iam_op("RejectDelegationRequest")
async def reject_delegation_request(ctx: RequestContext, p: P) -> P:
    raise _no_request(p["DelegationRequestId"])


@iam_op("UpdateDelegationRequest")
async def update_delegation_request(ctx: RequestContext, p: P) -> P:
    raise _no_request(p["DelegationRequestId"])


@iam_op("SendDelegationToken")
async def send_delegation_token(ctx: RequestContext, p: P) -> P:
    raise _no_request(p["DelegationRequestId"])


@iam_op("ListDelegationRequests")
async def list_delegation_requests(ctx: RequestContext, p: P) -> P:
    return {"DelegationRequests": [], "isTruncated": False}


@iam_op("GetHumanReadableSummary")
async def get_human_readable_summary(ctx: RequestContext, p: P) -> P:
    if ":delegation-request/" not in p["EntityArn"]:
        raise AwsError.modeled("iam", "InvalidInput", "Only delegation-request entities have a human readable summary.")
    raise AwsError.modeled("iam", "NoSuchEntity", f"The entity {p['EntityArn']} cannot be found.")


def _no_template(arn: str) -> AwsError:
    return AwsError.modeled("iam", "NoSuchEntity", f"The role template {arn} cannot be found.")


@iam_op("GetRoleTemplateVersion")
async def get_role_template_version(ctx: RequestContext, p: P) -> P:
    raise _no_template(p["TemplateArn"])


@iam_op("AcquireRole")
async def acquire_role(ctx: RequestContext, p: P) -> P:
    raise _no_template(p["TemplateArn"])
