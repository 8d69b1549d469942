"""Sign-in: InitiateAuth / AdminInitiateAuth and RespondToAuthChallenge / Admin..., as one
small state machine per attempt.

Flows: USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH (ADMIN_NO_SRP_AUTH), USER_SRP_AUTH
(PASSWORD_VERIFIER), REFRESH_TOKEN_AUTH (REFRESH_TOKEN), CUSTOM_AUTH (Define/Create/Verify
auth challenge triggers); challenges NEW_PASSWORD_REQUIRED, SOFTWARE_TOKEN_MFA,
PASSWORD_VERIFIER, CUSTOM_CHALLENGE.

Table cognito_challenges: "{session}" -> {"pool", "client", "user" (name key), "challenge",
"exp", "srp": {"b", "B", "A"} for PASSWORD_VERIFIER, "history" for CUSTOM_AUTH}. `session`
is the opaque Session string handed to the client (for PASSWORD_VERIFIER, the SHA-256 of the
SECRET_BLOCK); a row answers once (it is deleted when used) and lives for the client's
AuthSessionValidity minutes.

Failed sign-ins lock a user out as AWS does: from the fifth wrong password in a row, for
`cognito.lockout_seconds` doubled with each further failure (at most 15 minutes), answering
"Password attempts exceeded" meanwhile; the user's "fails" and "locked_until" fields keep it.

Password checks and SRP arithmetic (3072-bit modular exponentiations) run off the event loop and outside store
transactions; each step reads, computes, then writes.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

import pyotp

from gureum import sealing
from gureum.services.cognito_idp import clients, groups, mau, passwords, pools, srp, tables, tokens, triggers, users
from gureum.services.cognito_idp.pools import Doc, err
from gureum.services.cognito_idp.settings import CognitoSettings
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.app import App

CHALLENGES = tables.CHALLENGES
LOCKOUT_AFTER = 5  # failed sign-ins in a row before the first lockout
LOCKOUT_MAX = 900.0
_WRONG = "Incorrect username or password."


@dataclass
class Attempt:
    pool: Doc
    client: Doc
    admin: bool
    metadata: Doc
    scopes: list[str] | None = None  # the tokens' scopes (None: the SDK flows' own)
    reason: str = "Authentication"  # "HostedAuth": the hosted UI's sign-in (hosted_ui.py)


def _session_expired() -> Any:
    return err("NotAuthorizedException", "Invalid session for the user, session is expired.")


def load(txn: Txn, client_id: str, pool_id: str | None, account: str | None) -> tuple[Doc, Doc]:
    if pool_id is not None:
        pool = pools.get(txn, pool_id, account)
        client = clients.get_in(txn, pool_id, client_id)
    else:
        client = clients.get(txn, client_id)
        pool = pools.get(txn, client["UserPoolId"])
    return pool, client


def _user_key(attempt: Attempt, user: Doc) -> str:
    return users.name_key(attempt.pool, user["Username"])


def _totp_secret(txn: Txn, pool: Doc, user: Doc, field: str = "secret") -> str | None:
    sealed = (user.get("mfa") or {}).get(field)
    return sealing.unseal(txn, sealed, f"{pool['Id']}/{user['sub']}").decode() if sealed else None


def new_challenge(txn: Txn, attempt: Attempt, user: Doc, challenge: str, now: float, session: str | None = None,
                   **extra: Any) -> str:
    session = session or base64.b64encode(secrets.token_bytes(96)).decode()
    minutes = int(attempt.client.get("AuthSessionValidity") or 3)
    txn.put(CHALLENGES, hashlib.sha256(session.encode()).hexdigest(),
            {"pool": attempt.pool["Id"], "client": attempt.client["ClientId"], "user": _user_key(attempt, user),
             "challenge": challenge, "exp": now + 60 * minutes, **extra})
    return session


def take_challenge(txn: Txn, session: str, client_id: str | None, challenge: str, now: float) -> Doc:
    """The challenge row of `session` (deleted: it answers once); `client_id` None when the
    call names no client (AssociateSoftwareToken with a Session)."""
    k = hashlib.sha256(session.encode()).hexdigest()
    row = txn.get(CHALLENGES, k)
    if row is None or (client_id is not None and row["client"] != client_id) or row["exp"] < now:
        raise _session_expired()
    if row["challenge"] != challenge:
        raise err("InvalidParameterException", f"Invalid challenge name: expected {row['challenge']}.")
    txn.delete(CHALLENGES, k)
    return row


def user_of_row(txn: Txn, pool: Doc, row: Doc) -> Doc:
    user = txn.get(users.USERS, f"{pool['Id']}/{row['user']}")
    if user is None:
        raise _session_expired()
    return user


def _no_user(pool: Doc, client: Doc) -> Any:
    if client.get("PreventUserExistenceErrors") == "LEGACY":
        return users.user_not_found()
    return err("NotAuthorizedException", _WRONG)


def check_usable(user: Doc) -> None:
    if not user["Enabled"]:
        raise err("NotAuthorizedException", "User is disabled.")
    if user["UserStatus"] == "UNCONFIRMED":
        raise err("UserNotConfirmedException", "User is not confirmed.")
    if user["UserStatus"] == "RESET_REQUIRED":
        raise err("PasswordResetRequiredException", "Password reset required for the user")


# --- steps ----------------------------------------------------------------------------------------

async def find_for_login(app: App, attempt: Attempt, name: str, password: str | None) -> Doc:
    """The user signing in as `name`, after PreAuthentication; UserMigration for an unknown
    name with a password (the function's attributes make the user, CONFIRMED)."""
    user = await app.store.read(lambda t: users.find(t, attempt.pool, name))
    if user is None and password is not None and triggers.arn_of(attempt.pool, "UserMigration"):
        from gureum.services.cognito_idp import migration

        user = await migration.migrate(app, attempt.pool, attempt.client, name, password, attempt.metadata,
                                       "UserMigration_Authentication")
    if user is None:
        raise _no_user(attempt.pool, attempt.client)
    return user


async def secret_hash(app: App, attempt: Attempt, given: str | None, *names: str) -> None:
    if attempt.reason == "HostedAuth":  # the client proves itself with its secret at /oauth2/token
        return
    if not attempt.client.get("sealed_secret") and not given:  # a client without a secret: nothing to read
        return
    await app.store.read(lambda t: clients.check_secret_hash(t, attempt.client, names, given))


async def pre_auth(app: App, attempt: Attempt, user: Doc) -> None:
    await triggers.invoke(app, attempt.pool, "PreAuthentication", "PreAuthentication_Authentication", user["Username"],
                          attempt.client["ClientId"], {"userAttributes": triggers.attrs_of(user),
                                                       "validationData": {}, "userNotFound": False})


async def password(app: App, attempt: Attempt, params: Doc, now: float) -> Doc:
    name, password = params.get("USERNAME"), params.get("PASSWORD")
    if not name:
        raise err("InvalidParameterException", "Missing required parameter USERNAME")
    if password is None:
        raise err("InvalidParameterException", "Missing required parameter PASSWORD")
    user = await find_for_login(app, attempt, name, password)
    await secret_hash(app, attempt, params.get("SECRET_HASH"), name, user["Username"])
    check_lock(user, now)
    await pre_auth(app, attempt, user)
    if not await asyncio.to_thread(passwords.matches, user.get("pw"), attempt.pool["Id"], user["Username"], password):
        await failed(app, attempt, user, now)
    return await after_password(app, attempt, user, now)


def check_lock(user: Doc, now: float) -> None:
    """NotAuthorizedException while failed sign-ins keep the user locked out (not counted)."""
    if float(user.get("locked_until", 0)) > now:
        raise err("NotAuthorizedException", "Password attempts exceeded")


async def failed(app: App, attempt: Attempt, user: Doc, now: float) -> NoReturn:
    """Count a wrong password: from the fifth in a row the user is locked out for
    `cognito.lockout_seconds`, doubled with each further failure, at most 15 minutes (AWS's
    lockout); then answer AWS's error."""
    base = app.settings(CognitoSettings).lockout_seconds

    def write(t: Txn) -> None:
        doc = users.find(t, attempt.pool, user["Username"])
        if doc is None:
            return
        doc["fails"] = n = int(doc.get("fails", 0)) + 1
        if n >= LOCKOUT_AFTER:
            doc["locked_until"] = now + min(LOCKOUT_MAX, base * 2 ** (n - LOCKOUT_AFTER))
        users.save(t, attempt.pool, doc)

    await app.store.run(write)
    raise err("NotAuthorizedException", _WRONG)


async def after_password(app: App, attempt: Attempt, user: Doc, now: float) -> Doc:
    """What follows a proven password: the failure count cleared, the user's state, then a
    challenge or tokens."""
    if user.get("fails"):
        def clear(t: Txn) -> None:
            doc = users.find(t, attempt.pool, user["Username"])
            if doc is not None:
                doc.pop("fails", None)
                doc.pop("locked_until", None)
                users.save(t, attempt.pool, doc)
        await app.store.run(clear)
    check_usable(user)
    if user["UserStatus"] == "FORCE_CHANGE_PASSWORD":
        if user.get("temp_expires") and user["temp_expires"] < now:
            raise err("NotAuthorizedException", "Temporary password has expired and must be reset by an administrator.")
        attrs = {k: v for k, v in user["attrs"].items() if k not in ("sub", "email_verified", "phone_number_verified")}
        session = await app.store.run(lambda t: new_challenge(t, attempt, user, "NEW_PASSWORD_REQUIRED", now))
        return {"ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": session,
                "ChallengeParameters": {"USER_ID_FOR_SRP": user["Username"], "requiredAttributes": "[]",
                                        "userAttributes": json.dumps(attrs)}}
    return await after_first_factor(app, attempt, user, now)


async def after_first_factor(app: App, attempt: Attempt, user: Doc, now: float) -> Doc:
    mfa = user.get("mfa") or {}
    if attempt.pool.get("MfaConfiguration") == "ON" and not mfa.get("verified"):
        session = await app.store.run(lambda t: new_challenge(t, attempt, user, "MFA_SETUP", now))
        return {"ChallengeName": "MFA_SETUP", "Session": session,
                "ChallengeParameters": {"MFAS_CAN_SETUP": '["SOFTWARE_TOKEN_MFA"]'}}
    if attempt.pool.get("MfaConfiguration", "OFF") != "OFF" and mfa.get("verified") and mfa.get("enabled", True):
        session = await app.store.run(lambda t: new_challenge(t, attempt, user, "SOFTWARE_TOKEN_MFA", now))
        return {"ChallengeName": "SOFTWARE_TOKEN_MFA", "Session": session,
                "ChallengeParameters": {"USERNAME": user["Username"]}}
    return await succeed(app, attempt, user, now, "Authentication")


async def succeed(app: App, attempt: Attempt, user: Doc, now: float, reason: str) -> Doc:
    """PostAuthentication, then a new session's tokens."""
    await triggers.invoke(app, attempt.pool, "PostAuthentication", "PostAuthentication_Authentication", user["Username"],
                          attempt.client["ClientId"], {"userAttributes": triggers.attrs_of(user), "newDeviceUsed": False,
                                                       "clientMetadata": attempt.metadata})
    return {"ChallengeParameters": {}, "AuthenticationResult": await issue(
        app, attempt.pool, attempt.client, user, now, source="TokenGeneration_" + attempt.reason, scopes=attempt.scopes)}


async def issue(app: App, pool: Doc, client: Doc, user: Doc, now: float, *, source: str,
                refresh: Doc | None = None, scopes: list[str] | None = None) -> Doc:
    """Tokens for `user`: a new session (or, refreshing, the session `refresh`), through the
    PreTokenGeneration trigger when the pool has one."""
    from gureum.services.cognito_idp import pretoken

    group_docs = await app.store.read(lambda t: groups.of_user(t, pool, user))
    shaped = await pretoken.run(app, pool, client, user, group_docs, source, scopes or [tokens.ADMIN_SCOPE, "openid", "profile", "email", "phone"])
    user_key = users.name_key(pool, user["Username"])

    def write(t: Txn) -> Doc:
        mau.seen(t, pool, user["sub"], now)  # a monthly active user, for the bill
        if refresh is None:
            origin, refresh_token = tokens.open_session(t, pool["Id"], user_key, client["ClientId"],
                                                        clients.seconds(client, "RefreshToken"), now, shaped.scopes)
            auth_time = int(now)
        else:
            origin, refresh_token, auth_time = refresh["origin_jti"], "", int(refresh["auth_time"])
        id_token, access = tokens.mint(app, t, pool, client, user, group_docs, origin, auth_time, now,
                                       id_seconds=clients.seconds(client, "IdToken"),
                                       access_seconds=clients.seconds(client, "AccessToken"), scopes=shaped.scopes,
                                       id_extra=shaped.id_add, id_suppress=shaped.id_suppress,
                                       access_extra=shaped.access_add, access_suppress=shaped.access_suppress,
                                       group_names=shaped.groups)
        out = {"AccessToken": access, "ExpiresIn": clients.seconds(client, "AccessToken"), "TokenType": "Bearer",
               "IdToken": id_token}
        if refresh_token:
            out["RefreshToken"] = refresh_token
        return out

    return await app.store.run(write)


async def refresh_for_client(app: App, pool: Doc, client: Doc, token: str, now: float) -> Doc:
    """REFRESH_TOKEN_AUTH for a client that authenticated with its secret itself (the hosted
    UI's token endpoint): no SECRET_HASH."""
    return await refresh(app, Attempt(pool, client, False, {}), {"REFRESH_TOKEN": token}, now, check_hash=False)


async def refresh(app: App, attempt: Attempt, params: Doc, now: float, check_hash: bool = True) -> Doc:
    token = params.get("REFRESH_TOKEN")
    if not token:
        raise err("InvalidParameterException", "Missing required parameter REFRESH_TOKEN")

    def read(t: Txn) -> tuple[Doc, Doc]:
        session = tokens.refresh_session(t, token, attempt.client["ClientId"], now)
        user = t.get(users.USERS, f"{attempt.pool['Id']}/{session['user']}")
        if user is None:
            raise err("NotAuthorizedException", "Invalid Refresh Token")
        return session, user

    session, user = await app.store.read(read)
    if check_hash:
        await secret_hash(app, attempt, params.get("SECRET_HASH"), params.get("USERNAME") or "", user["Username"], user["sub"])
    if not user["Enabled"]:
        raise err("NotAuthorizedException", "User is disabled.")
    result = await issue(app, attempt.pool, attempt.client, user, now, source="TokenGeneration_RefreshTokens", refresh=session,
                         scopes=list(session.get("scopes") or []) or None)
    return {"ChallengeParameters": {}, "AuthenticationResult": result}


async def srp_start(app: App, attempt: Attempt, params: Doc, now: float) -> Doc:
    name, a_hex = params.get("USERNAME"), params.get("SRP_A")
    if not name:
        raise err("InvalidParameterException", "Missing required parameter USERNAME")
    if not a_hex or not srp.valid_a(a_hex):
        raise err("InvalidParameterException", "Missing required parameter SRP_A" if not a_hex else "SRP_A is invalid.")
    user = await find_for_login(app, attempt, name, None)
    await secret_hash(app, attempt, params.get("SECRET_HASH"), name, user["Username"])
    await pre_auth(app, attempt, user)
    record = user.get("pw") or {}
    if "verifier" not in record:
        raise err("NotAuthorizedException", _WRONG)
    b, big_b = await asyncio.to_thread(srp.server_start, record["verifier"])
    block = base64.b64encode(secrets.token_bytes(64)).decode()
    await app.store.run(lambda t: new_challenge(t, attempt, user, "PASSWORD_VERIFIER", now, session=block,
                                                 srp={"b": b, "B": big_b, "A": a_hex}))
    return {"ChallengeName": "PASSWORD_VERIFIER",
            "ChallengeParameters": {"SALT": record["srp_salt"], "SECRET_BLOCK": block, "SRP_B": big_b,
                                    "USERNAME": user["Username"], "USER_ID_FOR_SRP": user["Username"]}}


async def srp_verify(app: App, attempt: Attempt, answers: Doc, now: float) -> Doc:
    block, claimed = answers.get("PASSWORD_CLAIM_SECRET_BLOCK"), answers.get("PASSWORD_CLAIM_SIGNATURE")
    timestamp = answers.get("TIMESTAMP")
    if not block or not claimed or not timestamp:
        raise err("InvalidParameterException", "Missing required parameter PASSWORD_CLAIM_SIGNATURE"
                  if not claimed else "Missing required parameter TIMESTAMP" if not timestamp
                  else "Missing required parameter PASSWORD_CLAIM_SECRET_BLOCK")

    def take(t: Txn) -> tuple[Doc, Doc]:
        row = take_challenge(t, block, attempt.client["ClientId"], "PASSWORD_VERIFIER", now)
        return row, user_of_row(t, attempt.pool, row)

    row, user = await app.store.run(take)
    await secret_hash(app, attempt, answers.get("SECRET_HASH"), answers.get("USERNAME") or "", user["Username"])
    record = user.get("pw") or {}
    state = row["srp"]

    def check() -> bool:
        key = srp.session_key(record["verifier"], state["A"], state["b"], state["B"])
        return key is not None and srp.check_signature(key, attempt.pool["Id"], user["Username"], block, timestamp, claimed)

    check_lock(user, now)
    if "verifier" not in record or not await asyncio.to_thread(check):
        await failed(app, attempt, user, now)
    return await after_password(app, attempt, user, now)


async def new_password(app: App, attempt: Attempt, session: str, answers: Doc, now: float) -> Doc:
    new = answers.get("NEW_PASSWORD")
    if not new:
        raise err("InvalidParameterException", "Missing required parameter NEW_PASSWORD")
    passwords.check_policy(attempt.pool["Policies"]["PasswordPolicy"], new)

    def take(t: Txn) -> Doc:
        row = take_challenge(t, session, attempt.client["ClientId"], "NEW_PASSWORD_REQUIRED", now)
        return user_of_row(t, attempt.pool, row)

    user = await app.store.run(take)
    record = await asyncio.to_thread(passwords.make_record, attempt.pool["Id"], user["Username"], new)
    extra = {k[len("userAttributes."):]: str(v) for k, v in answers.items() if k.startswith("userAttributes.")}

    def write(t: Txn) -> Doc:
        doc = users.must_find(t, attempt.pool, user["Username"])
        if extra:
            users.set_attrs(t, attempt.pool, doc, extra, now, admin=False)
        doc["pw"], doc["UserStatus"] = record, "CONFIRMED"
        doc.pop("temp_expires", None)
        users.save(t, attempt.pool, doc, now)
        return doc

    user = await app.store.run(write)
    return await after_first_factor(app, attempt, user, now)


async def totp(app: App, attempt: Attempt, session: str, answers: Doc, now: float) -> Doc:
    code = answers.get("SOFTWARE_TOKEN_MFA_CODE")
    if not code:
        raise err("InvalidParameterException", "Missing required parameter SOFTWARE_TOKEN_MFA_CODE")

    def take(t: Txn) -> tuple[Doc, str | None]:
        row = take_challenge(t, session, attempt.client["ClientId"], "SOFTWARE_TOKEN_MFA", now)
        user = user_of_row(t, attempt.pool, row)
        return user, _totp_secret(t, attempt.pool, user)

    user, secret = await app.store.run(take)
    if secret is None or not pyotp.TOTP(secret).verify(code, for_time=int(now), valid_window=1):
        raise err("CodeMismatchException", "Invalid code received for user")
    return await succeed(app, attempt, user, now, "Authentication")
