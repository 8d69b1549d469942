"""InitiateAuth / AdminInitiateAuth and RespondToAuthChallenge / AdminRespondToAuthChallenge:
which step of flows.py (or custom_auth.py for CUSTOM_AUTH) answers a request, after the
client's ExplicitAuthFlows allow the flow."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.services.cognito_idp import clients, custom_auth, flows, mfa_setup
from gureum.services.cognito_idp.pools import Doc, err

if TYPE_CHECKING:
    from gureum.app import App


async def initiate(app: App, p: Doc, *, admin: bool, account: str | None, now: float) -> Doc:
    flow = p["AuthFlow"]
    params: Doc = dict(p.get("AuthParameters") or {})
    pool, client = await app.store.read(lambda t: flows.load(t, p["ClientId"], p.get("UserPoolId") if admin else None, account))
    attempt = flows.Attempt(pool, client, admin, dict(p.get("ClientMetadata") or {}))
    if flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
        if not clients.allows(client, "REFRESH_TOKEN_AUTH"):
            raise err("InvalidParameterException", "REFRESH_TOKEN_AUTH flow not enabled for this client")
        return await flows.refresh(app, attempt, params, now)
    if flow == "USER_PASSWORD_AUTH" and not admin or flow in ("ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH") and admin:
        allowed = "ADMIN_USER_PASSWORD_AUTH" if admin else "USER_PASSWORD_AUTH"
        if not clients.allows(client, allowed):
            raise err("InvalidParameterException", f"{allowed} flow not enabled for this client")
        return await flows.password(app, attempt, params, now)
    if flow == "USER_SRP_AUTH":
        if not clients.allows(client, "USER_SRP_AUTH"):
            raise err("InvalidParameterException", "USER_SRP_AUTH flow not enabled for this client")
        return await flows.srp_start(app, attempt, params, now)
    if flow == "CUSTOM_AUTH":
        if not clients.allows(client, "CUSTOM_AUTH"):
            raise err("InvalidParameterException", "CUSTOM_AUTH flow not enabled for this client")
        return await custom_auth.start(app, attempt, params, now)
    raise err("InvalidParameterException", "Initiate Auth method not supported.")


async def respond(app: App, p: Doc, *, admin: bool, account: str | None, now: float) -> Doc:
    name = p["ChallengeName"]
    answers: Doc = dict(p.get("ChallengeResponses") or {})
    pool, client = await app.store.read(lambda t: flows.load(t, p["ClientId"], p.get("UserPoolId") if admin else None, account))
    attempt = flows.Attempt(pool, client, admin, dict(p.get("ClientMetadata") or {}))
    if name == "PASSWORD_VERIFIER":
        return await flows.srp_verify(app, attempt, answers, now)
    session = p.get("Session")
    if not session:
        raise err("InvalidParameterException", "Missing required parameter Session")
    if name == "NEW_PASSWORD_REQUIRED":
        return await flows.new_password(app, attempt, session, answers, now)
    if name == "SOFTWARE_TOKEN_MFA":
        return await flows.totp(app, attempt, session, answers, now)
    if name == "MFA_SETUP":
        return await mfa_setup.finish(app, attempt, session, now)
    if name == "CUSTOM_CHALLENGE":
        return await custom_auth.answer(app, attempt, session, answers, now)
    raise err("InvalidParameterException", f"Unsupported challenge name: {name}")


