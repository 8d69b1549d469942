"""STS operations (query protocol): who is calling, and temporary credentials (kept by
gureum.services.iam.sessions, resolved for later requests by gureum.services.iam.lookup)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.policy import gate
from gureum.services.iam import documents, lookup, oidc, sessions, trust
from gureum.services.iam.model import Iam
from gureum.services.iam.saml import SamlProviders
from gureum.services.sts import saml_response

# STS matches session names against the whole of the model's pattern (ASCII word characters
# and +=,.@-); the generic validator only looks for the pattern somewhere in the value.
_SESSION_NAME = re.compile(r"[\w+=,.@-]*", re.ASCII)

SESSION_TOKEN_DEFAULT = 43200
SESSION_TOKEN_ROOT_MAX = 3600
PACKED_POLICY_BYTES = 2048  # what 100% of PackedPolicySize stands for here


def _check_session_name(name: str, member: str = "roleSessionName") -> None:
    if not _SESSION_NAME.fullmatch(name):
        raise AwsError.modeled(
            "sts",
            "ValidationError",
            f"1 validation error detected: Value '{name}' at '{member}' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {_SESSION_NAME.pattern}",
        )


def _check_role_arn(role_arn: str) -> None:
    """A RoleArn must have AWS's six fields with a partition, a service and a resource."""
    parts = arns.fields(role_arn)
    if parts is None or not (parts.partition and parts.service and parts.resource):
        raise AwsError.modeled("sts", "ValidationError", f"{role_arn} is invalid")


def _check_session_tags(params: dict[str, Any]) -> None:
    """Session tag keys are case-insensitive: no two alike, and each transitive key among them."""
    keys = [t["Key"].lower() for t in params.get("Tags") or []]
    if len(set(keys)) != len(keys):
        raise AwsError.modeled("sts", "InvalidParameterValue",
                               "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
    if any(k.lower() not in keys for k in params.get("TransitiveTagKeys") or []):
        raise AwsError.modeled("sts", "InvalidParameterValue",
                               "The specified transitive tag key must be included in the requested tags.")


async def _caller(ctx: RequestContext) -> lookup.Principal | None:
    return await lookup.resolve_access_key(ctx.app, ctx.access_key_id) if ctx.access_key_id else None


@operation("sts", "GetCallerIdentity")
async def get_caller_identity(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    principal = await _caller(ctx)
    if principal is not None:
        return {"UserId": principal.user_id, "Account": principal.account_id, "Arn": principal.arn}
    arn = ctx.principal_arn
    user_id = ctx.account_id if arn.endswith(":root") else ctx.extra.get("user_id", ctx.account_id)
    return {"UserId": user_id, "Account": ctx.account_id, "Arn": arn}


@operation("sts", "AssumeRole")
async def assume_role(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Role credentials for the caller, if the role's trust policy allows it (principal,
    conditions, sts:ExternalId; sts:TagSession too when session tags are passed)."""
    _check_role_arn(params["RoleArn"])
    _check_session_name(params["RoleSessionName"])
    _check_session_tags(params)
    packed = _packed_policy_size(params)
    caller = await _caller(ctx)
    caller_arn = caller.arn if caller is not None else ctx.principal_arn
    caller_account = caller.account_id if caller is not None else ctx.account_id
    chained = caller is not None and ":assumed-role/" in caller.arn
    context = request_context(ctx, params)
    own = await gate.caller_policies(ctx)  # strict mode: the caller's side of the decision
    identity, boundaries, caller_session = own if own is not None else (None, None, None)

    def txn(t: Any) -> dict[str, Any]:
        session = sessions.get(t, ctx.access_key_id) if chained else None
        principal = trust.caller_principal(caller_arn, caller_account, (session or {}).get("RoleArn", ""))
        return sessions.assume_role(
            t,
            params["RoleArn"],
            params["RoleSessionName"],
            params.get("DurationSeconds"),
            principal=principal,
            actions=_actions("sts:AssumeRole", params),
            context=context,
            identity=identity,
            boundaries=boundaries,
            caller_session=caller_session,
            chained=chained,
            region=ctx.region,
            source=ctx.access_key_id,
            session_policies=session_policies(params),
        )

    rec = await ctx.app.store.run(txn)
    out: dict[str, Any] = {
        "Credentials": sessions.credentials(rec),
        "AssumedRoleUser": {"AssumedRoleId": rec["UserId"], "Arn": rec["Arn"]},
    }
    if packed is not None:
        out["PackedPolicySize"] = packed
    if params.get("SourceIdentity"):
        out["SourceIdentity"] = params["SourceIdentity"]
    return out


def _actions(action: str, params: dict[str, Any]) -> list[str]:
    """What the trust policy must allow: the AssumeRole* action, and sts:TagSession when the
    request passes session tags (AWS asks for both)."""
    return [action, "sts:TagSession"] if params.get("Tags") else [action]


def request_context(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Condition keys of an AssumeRole* request that trust policies may test."""
    out: dict[str, Any] = {"aws:SecureTransport": False}
    if params.get("ExternalId") is not None:
        out["sts:ExternalId"] = params["ExternalId"]
    if params.get("SourceIdentity"):
        out["sts:SourceIdentity"] = params["SourceIdentity"]
    tags = params.get("Tags") or []
    if tags:
        out["aws:TagKeys"] = [t["Key"] for t in tags]
        for t in tags:
            out[f"aws:RequestTag/{t['Key']}"] = t.get("Value", "")
    if params.get("TransitiveTagKeys"):
        out["sts:TransitiveTagKeys"] = list(params["TransitiveTagKeys"])
    if ctx.request is not None and getattr(ctx.request, "client", None):
        out["aws:SourceIp"] = ctx.request.client[0]
    return out


@operation("sts", "AssumeRoleWithWebIdentity")
async def assume_role_with_web_identity(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Federation through an OIDC provider registered in the role's account (EKS service
    accounts, CI systems): the token's signature is verified with its issuer's keys
    (iam/oidc.py, iam/jwks.py), then the role's trust policy must allow the provider."""
    _check_role_arn(params["RoleArn"])
    _check_session_name(params["RoleSessionName"])
    packed = _packed_policy_size(params)
    denied = "Not authorized to perform sts:AssumeRoleWithWebIdentity"
    account = sessions.role_account(params["RoleArn"])
    if not account:
        raise AwsError.modeled("sts", "AccessDenied", denied)
    # the issuer must be a provider of the role's account before any key is fetched for it
    _, unverified = oidc.token_header_claims(params["WebIdentityToken"])
    await ctx.app.store.read(lambda t: oidc.check_web_identity(Iam(t, account), unverified))
    verified = await oidc.verify_token(ctx.app, params["WebIdentityToken"])
    context = request_context(ctx, params)

    def txn(t: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        claims = oidc.check_web_identity(Iam(t, account), verified)
        rec = sessions.assume_role(
            t,
            params["RoleArn"],
            params["RoleSessionName"],
            params.get("DurationSeconds"),
            principal=trust.federated_principal(claims["provider"]),
            actions=_actions("sts:AssumeRoleWithWebIdentity", params),
            context={**context, **oidc.trust_context(claims)},
            region=ctx.region,
            source="web-identity",
            denied=denied,
        )
        return claims, rec

    claims, rec = await ctx.app.store.run(txn)
    out: dict[str, Any] = {
        "Credentials": sessions.credentials(rec),
        "SubjectFromWebIdentityToken": str(claims.get("sub", "")),
        "AssumedRoleUser": {"AssumedRoleId": rec["UserId"], "Arn": rec["Arn"]},
        "Provider": claims["provider"],
        "Audience": claims["aud"],
    }
    if packed is not None:
        out["PackedPolicySize"] = packed
    return out


def session_policies(params: dict[str, Any]) -> dict[str, Any] | None:
    """The session policies passed to AssumeRole/GetFederationToken, as the session keeps
    them for the authorization gate; None when none were passed."""
    policy = params.get("Policy")
    arns = [a.get("arn") for a in params.get("PolicyArns") or [] if a.get("arn")]
    if not policy and not arns:
        return None
    return {"Documents": [policy] if policy else [], "Arns": arns}


def _packed_policy_size(params: dict[str, Any]) -> int | None:
    """Percent of the packed session policy/tags quota used (AWS packs them into the token)."""
    policy = params.get("Policy")
    arns = params.get("PolicyArns") or []
    tags = params.get("Tags") or []
    if policy is None and not arns and not tags:
        return None
    if policy is not None:
        try:
            json.loads(policy)
        except ValueError:
            raise AwsError.modeled(
                "sts", "MalformedPolicyDocument", "The policy is not in the valid JSON format."
            ) from None
    used = documents.size(policy or "") + sum(len(a.get("arn", "")) for a in arns)
    used += sum(len(t["Key"]) + len(t.get("Value", "")) for t in tags)
    percent = max(1, used * 100 // PACKED_POLICY_BYTES)
    if percent > 100:
        raise AwsError.modeled(
            "sts",
            "PackedPolicyTooLarge",
            f"Packed policy consumes {percent}% of allotted space, please use smaller policy for assuming role.",
        )
    return percent


@operation("sts", "GetSessionToken")
async def get_session_token(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    caller = await _caller(ctx)
    if caller is not None and caller.session_token is not None:
        raise AwsError.modeled("sts", "AccessDenied", "Cannot call GetSessionToken with session credentials")
    if caller is None:
        account, arn, user_id = ctx.account_id, arns.iam_root(ctx.account_id), ctx.account_id
    else:
        account, arn, user_id = caller.account_id, caller.arn, caller.user_id
    duration = params.get("DurationSeconds") or SESSION_TOKEN_DEFAULT
    if arn.endswith(":root"):
        duration = min(duration, SESSION_TOKEN_ROOT_MAX)
    rec = await ctx.app.store.run(
        lambda t: sessions.session_token(t, account, arn, user_id, duration, ctx.access_key_id)
    )
    return {"Credentials": sessions.credentials(rec)}


@operation("sts", "GetAccessKeyInfo")
async def get_access_key_info(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key = params["AccessKeyId"]
    principal = await lookup.resolve_access_key(ctx.app, key)
    if principal is not None:
        return {"Account": principal.account_id}
    return {"Account": key if len(key) == 12 and key.isdigit() else "000000000000"}


@operation("sts", "GetFederationToken")
async def get_federation_token(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Credentials for a federated user named by the caller (an IAM user or the root). AWS
    always answers PackedPolicySize here (0 with no session policy or tags)."""
    _check_session_name(params["Name"], "name")
    _check_session_tags(params)
    packed = _packed_policy_size(params) or 0
    caller = await _caller(ctx)
    if caller is not None and caller.session_token is not None:
        raise AwsError.modeled("sts", "AccessDenied", "Cannot call GetFederationToken with session credentials")
    account = caller.account_id if caller is not None else ctx.account_id
    is_root = caller is None or caller.arn.endswith(":root")
    duration = params.get("DurationSeconds") or SESSION_TOKEN_DEFAULT
    if is_root:
        duration = min(duration, SESSION_TOKEN_ROOT_MAX)
    name = params["Name"]
    arn = arns.sts_federated_user(account, name)
    user_id = f"{account}:{name}"
    policies = session_policies(params) or {"Documents": [], "Arns": []}  # none passed: no permissions
    rec = await ctx.app.store.run(
        lambda t: sessions.session_token(t, account, arn, user_id, duration, ctx.access_key_id, policies))
    out: dict[str, Any] = {
        "Credentials": sessions.credentials(rec),
        "FederatedUser": {"FederatedUserId": user_id, "Arn": arn},
        "PackedPolicySize": packed,
    }
    return out


@operation("sts", "AssumeRoleWithSAML")
async def assume_role_with_saml(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Federation through a SAML provider of the role's account: the response's signature is
    checked against the provider's metadata certificates (saml_response.py), the assertion
    must name this role and provider in its Role attribute, then the role's trust policy must
    allow the provider (condition keys saml:aud, saml:iss, saml:sub, saml:sub_type,
    saml:namequalifier)."""
    _check_role_arn(params["RoleArn"])
    packed = _packed_policy_size(params)
    denied = "Not authorized to perform sts:AssumeRoleWithSAML"
    account = sessions.role_account(params["RoleArn"])
    provider_arn = params["PrincipalArn"]
    if not account or sessions.role_account(provider_arn) != account:
        raise AwsError.modeled("sts", "AccessDenied", denied)

    def provider(t: Any) -> dict[str, Any]:
        try:
            return SamlProviders(Iam(t, account)).get(provider_arn)
        except AwsError:
            raise AwsError.modeled("sts", "InvalidIdentityToken", f"SAML provider {provider_arn} does not exist") from None

    doc = await ctx.app.store.read(provider)
    assertion = saml_response.read(params["SAMLAssertion"], saml_response.signing_certificates(doc["SAMLMetadataDocument"]),
                                   datetime.now(UTC), [k["Pem"] for k in doc.get("PrivateKeys") or []],
                                   doc.get("AssertionEncryptionMode"))
    if (params["RoleArn"], provider_arn) not in assertion.roles:
        raise AwsError.modeled("sts", "AccessDenied", denied)
    _check_session_name(assertion.session_name)
    qualifier = saml_response.name_qualifier(assertion.issuer, account, doc["Name"])
    context = {**request_context(ctx, params), "saml:aud": assertion.recipient, "saml:iss": assertion.issuer,
               "saml:sub": assertion.subject, "saml:sub_type": assertion.subject_type, "saml:namequalifier": qualifier,
               "aws:FederatedProvider": provider_arn}
    if assertion.source_identity:
        context["sts:SourceIdentity"] = assertion.source_identity
    duration = params.get("DurationSeconds") or assertion.duration

    def txn(t: Any) -> dict[str, Any]:
        return sessions.assume_role(t, params["RoleArn"], assertion.session_name, duration,
                                    principal=trust.federated_principal(provider_arn),
                                    actions=_actions("sts:AssumeRoleWithSAML", params), context=context,
                                    region=ctx.region, source="saml", denied=denied,
                                    session_policies=session_policies(params))

    rec = await ctx.app.store.run(txn)
    out: dict[str, Any] = {
        "Credentials": sessions.credentials(rec),
        "AssumedRoleUser": {"AssumedRoleId": rec["UserId"], "Arn": rec["Arn"]},
        "Subject": assertion.subject, "SubjectType": assertion.subject_type, "Issuer": assertion.issuer,
        "Audience": assertion.recipient, "NameQualifier": qualifier,
    }
    if packed is not None:
        out["PackedPolicySize"] = packed
    if assertion.source_identity:
        out["SourceIdentity"] = assertion.source_identity
    return out
