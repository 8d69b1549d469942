"""IAM's account-wide settings and the operations that need AWS Organizations (query protocol).

gureum's accounts belong to no organization, so the Organizations-dependent operations answer
as IAM answers an account outside one: OrganizationNotFoundException. The STS preference
(`SetSecurityTokenServicePreferences`) is kept in `iam_account_settings` ({acct} ->
{"GlobalEndpointTokenVersion": 1|2}, rows.py) and shown by GetAccountSummary. Also the
context keys of policies (context_keys.py)."""

from __future__ import annotations

from gureum.aws.dispatch import RequestContext
from gureum.aws.errors import AwsError
from gureum.services.iam.api import P, _read, _run, iam_op
from gureum.services.iam.context_keys import context_keys, principal_documents
from gureum.services.iam.model import Iam
from gureum.services.iam.rows import ACCOUNT_SETTINGS

TOKEN_VERSIONS = {"v1Token": 1, "v2Token": 2}


def _no_organization() -> AwsError:
    return AwsError.modeled(
        "iam", "OrganizationNotFoundException",
        "The request was rejected because no organization is associated with your account.",
    )


def _register_organization_dependent(name: str) -> None:
    async def handler(ctx: RequestContext, p: P) -> P:
        raise _no_organization()

    handler.__name__ = handler.__qualname__ = name
    iam_op(name)(handler)


for _op in (
    "ListOrganizationsFeatures",
    "EnableOrganizationsRootCredentialsManagement",
    "DisableOrganizationsRootCredentialsManagement",
    "EnableOrganizationsRootSessions",
    "DisableOrganizationsRootSessions",
):
    _register_organization_dependent(_op)


@iam_op("SetSecurityTokenServicePreferences")
async def set_security_token_service_preferences(ctx: RequestContext, p: P) -> P:
    version = TOKEN_VERSIONS[p["GlobalEndpointTokenVersion"]]

    def put(m: Iam) -> None:
        doc = m.t.get(ACCOUNT_SETTINGS, m.account) or {}
        doc["GlobalEndpointTokenVersion"] = version
        m.t.put(ACCOUNT_SETTINGS, m.account, doc)

    await _run(ctx, put)
    return {}


@iam_op("GetContextKeysForCustomPolicy")
async def get_context_keys_for_custom_policy(ctx: RequestContext, p: P) -> P:
    return {"ContextKeyNames": context_keys(p["PolicyInputList"])}


@iam_op("GetContextKeysForPrincipalPolicy")
async def get_context_keys_for_principal_policy(ctx: RequestContext, p: P) -> P:
    docs = await _read(ctx, lambda m: principal_documents(m, p["PolicySourceArn"]))
    return {"ContextKeyNames": context_keys(docs + list(p.get("PolicyInputList") or []))}
