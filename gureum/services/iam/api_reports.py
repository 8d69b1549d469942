"""IAM reports and account-wide reads: GetAccountAuthorizationDetails (account_details.py),
ListPoliciesGrantingServiceAccess (entities.py), access advisor (access_advisor.py),
Organizations access reports (an account outside an organization, as every gureum account
is), and UpdateOpenIDConnectProvider's trusted identity propagation settings."""

from __future__ import annotations

from typing import Any

from gureum.aws.dispatch import RequestContext
from gureum.aws.errors import AwsError
from gureum.services.iam import access_advisor, account_details, entities, ids
from gureum.services.iam.api import _filters, _read, _run, iam_op
from gureum.services.iam.model import Iam, page_result, paginate
from gureum.services.iam.oidc import OidcProviders

P = dict[str, Any]


@iam_op("GetAccountAuthorizationDetails")
async def get_account_authorization_details(ctx: RequestContext, p: P) -> P:
    rows = await _read(ctx, lambda m: account_details.rows(m, p.get("Filter")))
    items, truncated, marker = paginate(rows, p.get("Marker"), p.get("MaxItems"), listing="AccountAuthorizationDetails",
                                        filters=_filters(p))
    out: P = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": [], "IsTruncated": truncated}
    for member, item in items:
        out[member].append(item)
    if marker:
        out["Marker"] = marker
    return out


@iam_op("ListPoliciesGrantingServiceAccess")
async def list_policies_granting_service_access(ctx: RequestContext, p: P) -> P:
    def read(m: Iam) -> list[tuple[str, Any]]:
        kind, doc = entities.entity_of_arn(m, p["Arn"])
        found = entities.sources(m, kind, doc)
        out = []
        for ns in p["ServiceNamespaces"]:
            policies = []
            for s in found:
                if ns.lower() in access_advisor.granted_services([s.document]):
                    entry: P = {"PolicyName": s.policy_id, "PolicyType": s.policy_type}
                    if s.arn:
                        entry["PolicyArn"] = s.arn
                    if s.entity_type:
                        entry.update(EntityType=s.entity_type.upper(), EntityName=s.entity_name)
                    policies.append(entry)
            out.append((ns, {"ServiceNamespace": ns, "Policies": policies}))
        return out

    rows = await _read(ctx, read)
    return page_result("PoliciesGrantingServiceAccess", rows, p.get("Marker"), None, filters=_filters(p), ordered=False)


@iam_op("GenerateServiceLastAccessedDetails")
async def generate_service_last_accessed_details(ctx: RequestContext, p: P) -> P:
    granularity = p.get("Granularity") or "SERVICE_LEVEL"
    job_id = await ctx.app.store.run(lambda t: access_advisor.generate(t, ctx.account_id, p["Arn"], granularity))
    return {"JobId": job_id}


def _job_head(job: P) -> P:
    return {"JobStatus": "COMPLETED", "JobCreationDate": ids.parse_iso(job["JobCreationDate"]),
            "JobCompletionDate": ids.parse_iso(job["JobCompletionDate"])}


def _dates(item: P) -> P:
    return {k: ids.parse_iso(v) if k == "LastAuthenticated" else v for k, v in item.items()}


@iam_op("GetServiceLastAccessedDetails")
async def get_service_last_accessed_details(ctx: RequestContext, p: P) -> P:
    job = await ctx.app.store.read(lambda t: access_advisor.job(t, ctx.account_id, p["JobId"]))
    rows = [(s["ServiceNamespace"], _dates(s)) for s in job["Services"]]
    page = page_result("ServicesLastAccessed", rows, p.get("Marker"), p.get("MaxItems"), filters=_filters(p))
    return {**_job_head(job), "JobType": job["JobType"], **page}


@iam_op("GetServiceLastAccessedDetailsWithEntities")
async def get_service_last_accessed_details_with_entities(ctx: RequestContext, p: P) -> P:
    job = await ctx.app.store.read(lambda t: access_advisor.job(t, ctx.account_id, p["JobId"]))
    found = job["Entities"].get(p["ServiceNamespace"])
    if found is None:
        raise AwsError.modeled("iam", "InvalidInput", f"The service namespace {p['ServiceNamespace']} is not in the report.")
    rows = [(e["EntityInfo"]["Arn"], _dates(e)) for e in found]
    return {**_job_head(job), **page_result("EntityDetailsList", rows, p.get("Marker"), p.get("MaxItems"), filters=_filters(p))}


@iam_op("GenerateOrganizationsAccessReport")
async def generate_organizations_access_report(ctx: RequestContext, p: P) -> P:
    # gureum serves no AWS Organizations: every account stands alone, and an entity path
    # (o-.../r-.../ou-.../account) can name no organization of the caller's.
    raise AwsError.modeled("iam", "InvalidInput", f"The entity path {p['EntityPath']} does not name an entity of your "
                           "organization: this account is not a member of an organization.")


@iam_op("GetOrganizationsAccessReport")
async def get_organizations_access_report(ctx: RequestContext, p: P) -> P:
    raise AwsError.modeled("iam", "NoSuchEntity", f"No report found for job {p['JobId']}.")


@iam_op("UpdateOpenIDConnectProvider")
async def update_open_id_connect_provider(ctx: RequestContext, p: P) -> P:
    if p.get("ContextProvider") is not None and p.get("RemoveContextProvider"):
        raise AwsError.modeled("iam", "InvalidInput", "ContextProvider and RemoveContextProvider are mutually exclusive.")
    if p.get("IdentityCenterInstanceArn") is not None and p.get("RemoveIdentityCenterInstance"):
        raise AwsError.modeled("iam", "InvalidInput",
                               "IdentityCenterInstanceArn and RemoveIdentityCenterInstance are mutually exclusive.")
    if p.get("IdentityCenterInstanceArn"):
        # IAM Identity Center is not served: no instance exists to associate
        raise AwsError.modeled("iam", "InvalidInput",
                               f"The IAM Identity Center instance {p['IdentityCenterInstanceArn']} does not exist.")

    def update(m: Iam) -> None:
        providers = OidcProviders(m)
        doc = providers.get(p["OpenIDConnectProviderArn"])
        if p.get("ContextProvider") is not None:
            doc["ContextProvider"] = p["ContextProvider"]
        if p.get("RemoveContextProvider"):
            doc.pop("ContextProvider", None)
        if p.get("RemoveIdentityCenterInstance"):
            doc.pop("IdentityCenterInstanceArn", None)
        providers.put(doc)

    await _run(ctx, update)
    return {}
