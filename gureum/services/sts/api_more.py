"""STS operations past the classic ones: GetWebIdentityToken (outbound identity federation,
iam/outbound_federation.py), GetScopedCredentials (iam/sessions.py `scoped`),
DecodeAuthorizationMessage (authorization_messages.py), and the two that need what gureum
does not serve: AssumeRoot (AWS Organizations' centralized root access: every gureum account
stands alone, so no member account can be a target) and GetDelegatedAccessToken (a trade-in
token of an IAM delegation request: only onboarded partners create those, none exist here)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.public import public_url
from gureum.services.iam import ids, lookup, sessions
from gureum.services.iam import outbound_federation as federation
from gureum.services.sts import authorization_messages

P = dict[str, Any]


@operation("sts", "AssumeRoot")
async def assume_root(ctx: RequestContext, params: P) -> P:
    raise AwsError.modeled("sts", "AccessDenied", f"User: {ctx.principal_arn} is not authorized to perform: sts:AssumeRoot "
                           f"on resource: {params['TargetPrincipal']}: the account is not a member of an organization "
                           "with centralized root access")


@operation("sts", "GetDelegatedAccessToken")
async def get_delegated_access_token(ctx: RequestContext, params: P) -> P:
    raise AwsError.modeled("sts", "ExpiredTradeInTokenException", "The trade-in token is not valid or has expired.")


@operation("sts", "DecodeAuthorizationMessage")
async def decode_authorization_message(ctx: RequestContext, params: P) -> P:
    text = await ctx.app.store.run(lambda t: authorization_messages.decode(t, ctx.account_id, params["EncodedMessage"]))
    return {"DecodedMessage": text}


async def _session(ctx: RequestContext) -> dict[str, Any] | None:
    if not ctx.access_key_id or not ctx.access_key_id.startswith(ids.TEMP_ACCESS_KEY):
        return None
    return await ctx.app.store.read(lambda t: sessions.get(t, ctx.access_key_id))


@operation("sts", "GetScopedCredentials")
async def get_scoped_credentials(ctx: RequestContext, params: P) -> P:
    caller = await _session(ctx)
    if caller is None:
        raise AwsError.modeled("sts", "InvalidSubjectCredentials",
                               "GetScopedCredentials must be called with temporary security credentials.")
    if caller.get("SessionPolicies"):
        raise AwsError.modeled("sts", "InvalidSubjectCredentials",
                               "The calling session already carries session policies; gureum cannot scope it down further.")
    try:
        json.loads(params["Policy"])
    except ValueError:
        raise AwsError.modeled("sts", "MalformedPolicyDocument", "The policy is not in the valid JSON format.") from None
    left = int((ids.parse_iso(caller["Expiration"]) - datetime.now(UTC)).total_seconds())
    duration = params.get("DurationSeconds") or left
    if duration > left:
        raise AwsError.modeled("sts", "InsufficientSessionLifetime",
                               f"The requested DurationSeconds ({duration}) exceeds the remaining lifetime of the calling session ({left}).")
    rec = await ctx.app.store.run(lambda t: sessions.scoped(t, caller, params["Policy"], duration))
    out: P = {"Credentials": sessions.credentials(rec), "ScopedPoliciesCount": 1}
    if caller.get("SourceIdentity"):
        out["SourceIdentity"] = caller["SourceIdentity"]
    return out


@operation("sts", "GetWebIdentityToken")
async def get_web_identity_token(ctx: RequestContext, params: P) -> P:
    principal = await lookup.resolve_access_key(ctx.app, ctx.access_key_id) if ctx.access_key_id else None
    arn = principal.arn if principal is not None else ctx.principal_arn
    account = principal.account_id if principal is not None else ctx.account_id

    def load(t: Any) -> dict[str, Any]:
        doc = t.get(federation.TABLE, account)
        if doc is None or not doc["Enabled"]:
            raise AwsError.modeled("sts", "OutboundWebIdentityFederationDisabledException",
                                   "Outbound web identity federation is disabled for this account.")
        return dict(doc)

    doc = await ctx.app.store.read(load)
    duration = params.get("DurationSeconds") or 300
    if principal is not None and principal.expires_at is not None:
        left = (principal.expires_at - datetime.now(UTC)).total_seconds()
        if duration > left:
            raise AwsError.modeled("sts", "SessionDurationEscalationException",
                                   "The requested token duration would extend the session beyond its expiration.")
    session = await _session(ctx)
    principal_id = str(session.get("RoleArn") or arn) if session is not None else arn  # a role session: its role
    algorithm = params["SigningAlgorithm"]
    if algorithm not in ("RS256", "ES384"):
        raise AwsError.modeled("sts", "ValidationError", f"1 validation error detected: Value '{algorithm}' at 'signingAlgorithm' "
                               "failed to satisfy constraint: Member must satisfy enum value set: [RS256, ES384]")
    tags = {t.get("Key") or "": t.get("Value") or "" for t in params.get("Tags") or []}
    token, expires = federation.mint(doc, federation.issuer(public_url(ctx.app, ctx.request), doc["IssuerId"]),
                                     subject=arn, principal_id=principal_id, account=account, audience=params["Audience"],
                                     duration=duration, algorithm=algorithm, scope=params.get("Scope"),
                                     tags=tags)
    return {"WebIdentityToken": token, "Expiration": datetime.fromtimestamp(expires, UTC)}
