"""MFA_SETUP: a pool whose MFA is ON signs in a user without a software token only after it
sets one up, with the challenge's Session instead of an access token:
AssociateSoftwareToken(Session) -> SecretCode and a new Session; VerifySoftwareToken(Session,
UserCode) -> SUCCESS and a new Session; RespondToAuthChallenge(MFA_SETUP, Session) ->
tokens. Each step answers once (flows.py's challenge rows); the TOTP secret is sealed on the
user ("mfa.pending", then "mfa.secret")."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyotp

from gureum import sealing
from gureum.services.cognito_idp import clients, flows, pools, users
from gureum.services.cognito_idp.pools import Doc, err
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.app import App


def _attempt(t: Txn, row: Doc) -> tuple[flows.Attempt, Doc]:
    pool = pools.get(t, row["pool"])
    client = clients.get_in(t, row["pool"], row["client"])
    return flows.Attempt(pool, client, False, {}), flows.user_of_row(t, pool, row)


def ctx(pool: Doc, user: Doc) -> str:
    return f"{pool['Id']}/{user['sub']}"


async def associate(app: App, session: str, now: float) -> Doc:
    secret = pyotp.random_base32(32)

    def write(t: Txn) -> str:
        row = flows.take_challenge(t, session, None, "MFA_SETUP", now)
        attempt, user = _attempt(t, row)
        user.setdefault("mfa", {})["pending"] = sealing.seal(t, secret.encode(), ctx(attempt.pool, user))
        users.save(t, attempt.pool, user, now)
        return flows.new_challenge(t, attempt, user, "MFA_SETUP", now)

    return {"SecretCode": secret, "Session": await app.store.run(write)}


async def verify(app: App, session: str, code: str, now: float) -> Doc:
    def write(t: Txn) -> str:
        row = flows.take_challenge(t, session, None, "MFA_SETUP", now)
        attempt, user = _attempt(t, row)
        sealed = (user.get("mfa") or {}).get("pending")
        if not sealed:
            raise err("InvalidParameterException", "User has not associated a software token.")
        secret = sealing.unseal(t, sealed, ctx(attempt.pool, user)).decode()
        if not pyotp.TOTP(secret).verify(code, for_time=int(now), valid_window=1):
            raise err("EnableSoftwareTokenMFAException", "Code mismatch")
        user["mfa"] = {**user["mfa"], "secret": sealed, "verified": True, "enabled": True}
        user["mfa"].pop("pending", None)
        users.save(t, attempt.pool, user, now)
        return flows.new_challenge(t, attempt, user, "MFA_SETUP", now, verified=True)

    return {"Status": "SUCCESS", "Session": await app.store.run(write)}


async def finish(app: App, attempt: flows.Attempt, session: str, now: float) -> Doc:
    def take(t: Txn) -> Doc:
        row = flows.take_challenge(t, session, attempt.client["ClientId"], "MFA_SETUP", now)
        if not row.get("verified"):
            raise err("InvalidParameterException", "Software token MFA has not been verified for this session.")
        return flows.user_of_row(t, attempt.pool, row)

    user = await app.store.run(take)
    return await flows.succeed(app, attempt, user, now, "Authentication")
