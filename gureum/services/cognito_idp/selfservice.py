"""What a user does for themself (unsigned calls authorized by a client id or an access
token): sign-up and confirmation, forgotten and changed passwords, their attributes and
verification, sign-out and token revocation, software-token MFA.

PostConfirmation runs after ConfirmSignUp (and ConfirmForgotPassword, with its own source);
PreSignUp before SignUp writes anything (autoConfirmUser, autoVerifyEmail, autoVerifyPhone);
CustomMessage shapes each code's text (messages.py delivers it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

import pyotp

from gureum import sealing
from gureum.aws.errors import AwsError
from gureum.services.cognito_idp import clients, messages, mfa_setup, passwords, pools, tokens, triggers, users
from gureum.services.cognito_idp.pools import Doc, err
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.app import App


async def _custom_message(app: App, pool: Doc, user: Doc, client_id: str | None, source: str, code: str) -> tuple[str | None, str | None]:
    response = await triggers.invoke(app, pool, "CustomMessage", source, user["Username"], client_id,
                                     {"userAttributes": triggers.attrs_of(user), "codeParameter": "{####}",
                                      "usernameParameter": None, "clientMetadata": {}},
                                     {"smsMessage": None, "emailMessage": None, "emailSubject": None})
    if not response:
        return None, None
    text = response.get("emailMessage") or response.get("smsMessage")
    return (str(text).replace("{####}", code) if text else None), response.get("emailSubject")


async def send_code(app: App, pool: Doc, user: Doc, client_id: str | None, purpose: str, code: str, source: str) -> Doc | None:
    where = users.delivery(user, pool)
    text, subject = await _custom_message(app, pool, user, client_id, source, code)
    await messages.deliver(app, pool, user["Username"], where["Destination"] if where else None, purpose, code,
                           text or messages.default_text(purpose, code, user["Username"]), subject,
                           email=users.email_of(user, where))
    return where


def _raised(result: Doc | AwsError) -> Doc:
    """A transaction's result, or its error raised now that what it counted is committed."""
    if isinstance(result, AwsError):
        raise result
    return result


async def _pool_client(app: App, client_id: str) -> tuple[Doc, Doc]:
    def read(t: Txn) -> tuple[Doc, Doc]:
        client = clients.get(t, client_id)
        return pools.get(t, client["UserPoolId"]), client
    return await app.store.read(read)


async def _check_hash(app: App, client: Doc, given: str | None, *names: str) -> None:
    await app.store.read(lambda t: clients.check_secret_hash(t, client, names, given))


# --- sign-up -------------------------------------------------------------------------------------

async def sign_up(app: App, p: Doc, now: float) -> Doc:
    pool, client = await _pool_client(app, p["ClientId"])
    await _check_hash(app, client, p.get("SecretHash"), p["Username"])
    if (pool.get("AdminCreateUserConfig") or {}).get("AllowAdminCreateUserOnly"):
        raise err("NotAuthorizedException", "SignUp is not permitted for this user pool")
    passwords.check_policy(pool["Policies"]["PasswordPolicy"], p["Password"])
    attrs = {a["Name"]: str(a.get("Value", "")) for a in p.get("UserAttributes") or []}
    username, sub = users.plan_username(pool, p["Username"])
    if pool.get("UsernameAttributes"):
        attrs.setdefault("email" if "@" in p["Username"] else "phone_number", p["Username"])
    from gureum.services.cognito_idp import schema

    schema.check_values(pool["SchemaAttributes"], attrs, creating=True, admin=False)
    schema.check_required(pool["SchemaAttributes"], attrs)
    if await app.store.read(lambda t: users.find(t, pool, p["Username"])) is not None:
        raise err("UsernameExistsException", "An account with the given email already exists."
                  if pool.get("UsernameAttributes") else "User already exists")
    response = await triggers.invoke(app, pool, "PreSignUp", "PreSignUp_SignUp", username, client["ClientId"],
                                     {"userAttributes": attrs, "validationData": {a["Name"]: a["Value"] for a in p.get("ValidationData") or []},
                                      "clientMetadata": p.get("ClientMetadata") or {}},
                                     {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False}) or {}
    confirmed = bool(response.get("autoConfirmUser"))
    if response.get("autoVerifyEmail") and attrs.get("email"):
        attrs["email_verified"] = "true"
    if response.get("autoVerifyPhone") and attrs.get("phone_number"):
        attrs["phone_number_verified"] = "true"
    record = await asyncio.to_thread(passwords.make_record, pool["Id"], username, p["Password"])
    exists = ("An account with the given email already exists." if pool.get("UsernameAttributes") else "User already exists")

    def write(t: Txn) -> Doc:
        return users.create(t, pool, username, sub, attrs, "CONFIRMED" if confirmed else "UNCONFIRMED", record, now,
                            exists_message=exists)

    user = await app.store.run(write)
    out: Doc = {"UserConfirmed": confirmed, "UserSub": sub}
    if confirmed:
        await _post_confirmation(app, pool, user, client["ClientId"], "PostConfirmation_ConfirmSignUp")
        return out
    code = await app.store.run(lambda t: _fresh_code(t, pool, user["Username"], "signup", now))
    where = await send_code(app, pool, user, client["ClientId"], "signup", code, "CustomMessage_SignUp")
    if where:
        out["CodeDeliveryDetails"] = where
    return out


def _fresh_code(t: Txn, pool: Doc, username: str, purpose: str, now: float) -> str:
    doc = users.must_find(t, pool, username)
    code = users.new_code(doc, purpose, now)
    users.save(t, pool, doc)
    return code


async def _post_confirmation(app: App, pool: Doc, user: Doc, client_id: str | None, source: str) -> None:
    await triggers.invoke(app, pool, "PostConfirmation", source, user["Username"], client_id,
                          {"userAttributes": triggers.attrs_of(user), "clientMetadata": {}})


async def confirm_sign_up(app: App, p: Doc, now: float) -> None:
    pool, client = await _pool_client(app, p["ClientId"])
    user = await app.store.read(lambda t: users.find(t, pool, p["Username"]))
    if user is None:
        raise users.user_not_found()
    await _check_hash(app, client, p.get("SecretHash"), p["Username"], user["Username"])

    def write(t: Txn) -> Doc | AwsError:
        doc = users.must_find(t, pool, p["Username"])
        if doc["UserStatus"] != "UNCONFIRMED":
            if p.get("ForceAliasCreation") is None and doc["UserStatus"] == "CONFIRMED":
                raise err("NotAuthorizedException", "User cannot be confirmed. Current status is CONFIRMED")
        problem = users.take_code(t, pool, doc, "signup", p["ConfirmationCode"], now)
        if problem is not None:
            return problem
        doc["UserStatus"] = "CONFIRMED"
        where = users.delivery(doc, pool)
        if where:
            doc["attrs"][f"{where['AttributeName']}_verified"] = "true"
        users.save(t, pool, doc, now)
        return doc

    user = _raised(await app.store.run(write))
    await _post_confirmation(app, pool, user, client["ClientId"], "PostConfirmation_ConfirmSignUp")


async def resend_code(app: App, p: Doc, now: float) -> Doc:
    pool, client = await _pool_client(app, p["ClientId"])
    user = await app.store.read(lambda t: users.find(t, pool, p["Username"]))
    if user is None:
        raise users.user_not_found()
    await _check_hash(app, client, p.get("SecretHash"), p["Username"], user["Username"])
    if user["UserStatus"] != "UNCONFIRMED":
        raise err("InvalidParameterException", "User is already confirmed.")
    code = await app.store.run(lambda t: _fresh_code(t, pool, user["Username"], "signup", now))
    where = await send_code(app, pool, user, client["ClientId"], "signup", code, "CustomMessage_ResendCode")
    return {"CodeDeliveryDetails": where} if where else {}


# --- forgotten and changed passwords ------------------------------------------------------------

async def forgot_password(app: App, p: Doc, now: float) -> Doc:
    pool, client = await _pool_client(app, p["ClientId"])
    user = await app.store.read(lambda t: users.find(t, pool, p["Username"]))
    if user is None and triggers.arn_of(pool, "UserMigration"):
        from gureum.services.cognito_idp import migration

        user = await migration.migrate(app, pool, client, p["Username"], None, p.get("ClientMetadata") or {},
                                       "UserMigration_ForgotPassword")
    if user is None:
        if client.get("PreventUserExistenceErrors") == "ENABLED":  # a simulated destination, as AWS answers
            return {"CodeDeliveryDetails": {"Destination": users.mask(p["Username"][:1] + "@e"), "DeliveryMedium": "EMAIL",
                                            "AttributeName": "email"}}
        raise users.user_not_found()
    await _check_hash(app, client, p.get("SecretHash"), p["Username"], user["Username"])
    if not user["Enabled"]:
        raise err("NotAuthorizedException", "User is disabled.")
    where = users.delivery(user, pool)
    if where is None:
        raise err("InvalidParameterException", "Cannot reset password for the user as there is no registered/verified email or phone_number")
    code = await app.store.run(lambda t: _fresh_code(t, pool, user["Username"], "forgot", now))
    await send_code(app, pool, user, client["ClientId"], "forgot", code, "CustomMessage_ForgotPassword")
    return {"CodeDeliveryDetails": where}


async def confirm_forgot_password(app: App, p: Doc, now: float) -> None:
    pool, client = await _pool_client(app, p["ClientId"])
    user = await app.store.read(lambda t: users.find(t, pool, p["Username"]))
    if user is None:
        raise users.user_not_found()
    await _check_hash(app, client, p.get("SecretHash"), p["Username"], user["Username"])
    passwords.check_policy(pool["Policies"]["PasswordPolicy"], p["Password"])
    record = await asyncio.to_thread(passwords.make_record, pool["Id"], user["Username"], p["Password"])

    def write(t: Txn) -> Doc | AwsError:
        doc = users.must_find(t, pool, p["Username"])
        problem = users.take_code(t, pool, doc, "forgot", p["ConfirmationCode"], now)
        if problem is not None:
            return problem
        doc["pw"] = record
        doc.pop("fails", None)  # a new password ends a lockout
        doc.pop("locked_until", None)
        if doc["UserStatus"] in ("RESET_REQUIRED", "FORCE_CHANGE_PASSWORD"):
            doc["UserStatus"] = "CONFIRMED"
        users.save(t, pool, doc, now)
        return doc

    user = _raised(await app.store.run(write))
    await _post_confirmation(app, pool, user, client["ClientId"], "PostConfirmation_ConfirmForgotPassword")


# --- calls authorized by an access token ----------------------------------------------------------

async def by_token(app: App, token: str, now: float, scope: str = tokens.ADMIN_SCOPE) -> tuple[Doc, Doc, Doc]:
    """(pool, user, claims) of a valid access token that has `scope`."""
    claims = tokens.unverified_claims(token)
    pool_id = str(claims.get("iss", "")).rstrip("/").rsplit("/", 1)[-1]

    def read(t: Txn) -> tuple[Doc, Doc, Doc]:
        try:
            pool = pools.get(t, pool_id)
        except Exception:
            raise err("NotAuthorizedException", "Invalid Access Token") from None
        verified = tokens.verify_access(t, pool, token, now, scope)
        user = users.find(t, pool, str(verified.get("username", "")))
        if user is None or user["sub"] != verified.get("sub"):
            raise err("NotAuthorizedException", "Invalid Access Token")
        if not user["Enabled"]:
            raise err("NotAuthorizedException", "User is disabled.")
        return pool, user, verified

    return await app.store.read(read)


async def get_user(app: App, token: str, now: float) -> Doc:
    pool, user, _ = await by_token(app, token, now)
    return {"Username": user["Username"], "UserAttributes": users.attribute_list(user), **users.mfa_settings(user)}


async def change_password(app: App, p: Doc, now: float) -> None:
    pool, user, _ = await by_token(app, p["AccessToken"], now)
    if not await asyncio.to_thread(passwords.matches, user.get("pw"), pool["Id"], user["Username"],
                                   p.get("PreviousPassword") or ""):
        raise err("NotAuthorizedException", "Incorrect username or password.")
    passwords.check_policy(pool["Policies"]["PasswordPolicy"], p["ProposedPassword"])
    record = await asyncio.to_thread(passwords.make_record, pool["Id"], user["Username"], p["ProposedPassword"])

    def write(t: Txn) -> None:
        doc = users.must_find(t, pool, user["Username"])
        doc["pw"] = record
        users.save(t, pool, doc, now)

    await app.store.run(write)


async def update_attributes(app: App, p: Doc, now: float) -> Doc:
    pool, user, claims = await by_token(app, p["AccessToken"], now)
    values = {a["Name"]: str(a.get("Value", "")) for a in p["UserAttributes"]}
    client = await app.store.read(lambda t: clients.get(t, str(claims.get("client_id"))))
    allowed = client.get("WriteAttributes")
    for n in values:
        if allowed and n not in allowed:
            raise err("NotAuthorizedException", "A client attempted to write unauthorized attribute")
        if n.endswith("_verified"):
            raise err("NotAuthorizedException", "A client attempted to write unauthorized attribute")
    await app.store.run(lambda t: _set(t, pool, user["Username"], values, now))
    out: list[Doc] = []
    for attr in ("email", "phone_number"):
        if attr in values and values[attr] and attr in (pool.get("AutoVerifiedAttributes") or []):
            code = await app.store.run(_code_for(pool, user["Username"], "verify:" + attr, now))
            await messages.deliver(app, pool, user["Username"], users.mask(values[attr]), "verify", code,
                                   email=values[attr] if attr == "email" else None)
            out.append({"Destination": users.mask(values[attr]), "DeliveryMedium": "EMAIL" if attr == "email" else "SMS",
                        "AttributeName": attr})
    return {"CodeDeliveryDetailsList": out}


def _code_for(pool: Doc, username: str, purpose: str, now: float) -> Callable[[Txn], str]:
    return lambda t: _fresh_code(t, pool, username, purpose, now)


def _set(t: Txn, pool: Doc, username: str, values: dict[str, str], now: float) -> Doc:
    doc = users.must_find(t, pool, username)
    users.set_attrs(t, pool, doc, values, now, admin=False)
    return doc


async def attribute_code(app: App, p: Doc, now: float) -> Doc:
    pool, user, _ = await by_token(app, p["AccessToken"], now)
    attr = p["AttributeName"]
    if attr not in ("email", "phone_number") or not user["attrs"].get(attr):
        raise err("InvalidParameterException", f"Invalid attribute name: {attr}" if attr not in ("email", "phone_number")
                  else f"The user does not have attribute {attr}.")
    code = await app.store.run(lambda t: _fresh_code(t, pool, user["Username"], "verify:" + attr, now))
    await messages.deliver(app, pool, user["Username"], users.mask(user["attrs"][attr]), "verify", code,
                           email=user["attrs"][attr] if attr == "email" else None)
    return {"CodeDeliveryDetails": {"Destination": users.mask(user["attrs"][attr]),
                                    "DeliveryMedium": "EMAIL" if attr == "email" else "SMS", "AttributeName": attr}}


async def verify_attribute(app: App, p: Doc, now: float) -> None:
    pool, user, _ = await by_token(app, p["AccessToken"], now)

    def write(t: Txn) -> Doc | AwsError:
        doc = users.must_find(t, pool, user["Username"])
        problem = users.take_code(t, pool, doc, "verify:" + p["AttributeName"], p["Code"], now)
        if problem is not None:
            return problem
        doc["attrs"][p["AttributeName"] + "_verified"] = "true"
        users.save(t, pool, doc, now)
        return doc

    _raised(await app.store.run(write))


async def delete_attributes(app: App, p: Doc, now: float) -> None:
    pool, user, _ = await by_token(app, p["AccessToken"], now)

    def write(t: Txn) -> None:
        users.delete_attrs(t, pool, users.must_find(t, pool, user["Username"]), p["UserAttributeNames"], now)

    await app.store.run(write)


async def delete_self(app: App, token: str, now: float, member_tables: tuple[str, str]) -> None:
    pool, user, _ = await by_token(app, token, now)

    def write(t: Txn) -> None:
        tokens.revoke_user(t, pool["Id"], users.name_key(pool, user["Username"]))
        users.remove(t, pool, users.must_find(t, pool, user["Username"]), member_tables)

    await app.store.run(write)


async def global_sign_out(app: App, token: str, now: float) -> None:
    pool, user, _ = await by_token(app, token, now)
    await app.store.run(lambda t: tokens.revoke_user(t, pool["Id"], users.name_key(pool, user["Username"])))


async def tokens_from_refresh(app: App, p: Doc, now: float) -> Doc:
    """GetTokensFromRefreshToken: REFRESH_TOKEN_AUTH with the client's secret itself."""
    pool, client = await _pool_client(app, p["ClientId"])
    secret = await app.store.read(lambda t: clients.secret_of(t, client))
    if secret is not None and p.get("ClientSecret") != secret:
        raise err("NotAuthorizedException", f"Client {client['ClientId']} is configured with secret but ClientSecret was not valid"
                  if p.get("ClientSecret") else f"Client {client['ClientId']} is configured with secret but ClientSecret was not received")
    if not clients.allows(client, "REFRESH_TOKEN_AUTH"):
        raise err("InvalidParameterException", "REFRESH_TOKEN_AUTH flow not enabled for this client")
    from gureum.services.cognito_idp import flows

    result = await flows.refresh_for_client(app, pool, client, p["RefreshToken"], now)
    return {"AuthenticationResult": result["AuthenticationResult"]}


async def revoke_token(app: App, p: Doc, now: float) -> None:
    pool, client = await _pool_client(app, p["ClientId"])
    secret = await app.store.read(lambda t: clients.secret_of(t, client))
    if secret is not None and p.get("ClientSecret") != secret:
        raise err("NotAuthorizedException", "Client secret is not valid.")
    if client.get("EnableTokenRevocation") is False:
        raise err("UnsupportedTokenTypeException", "Token revocation is not enabled for this client.")

    def write(t: Txn) -> None:
        origin = p["Token"].partition(".")[0]
        doc = t.get(tokens.SESSIONS, origin)
        if doc is None or doc["client"] != client["ClientId"]:
            raise err("UnsupportedTokenTypeException", "The token type is not supported.") if doc is None else err(
                "UnauthorizedException", "The refresh token was not issued to this client.")
        tokens.revoke(t, origin)

    await app.store.run(write)


# --- software-token MFA ------------------------------------------------------------------------

async def associate_token(app: App, p: Doc, now: float) -> Doc:
    if not p.get("AccessToken"):
        if p.get("Session"):
            return await mfa_setup.associate(app, p["Session"], now)
        raise err("InvalidParameterException", "Either AccessToken or Session must be provided.")
    pool, user, _ = await by_token(app, p["AccessToken"], now)
    secret = pyotp.random_base32(32)

    def write(t: Txn) -> None:
        doc = users.must_find(t, pool, user["Username"])
        doc.setdefault("mfa", {})["pending"] = sealing.seal(t, secret.encode(), mfa_setup.ctx(pool, doc))
        users.save(t, pool, doc, now)

    await app.store.run(write)
    return {"SecretCode": secret}


async def verify_token(app: App, p: Doc, now: float) -> Doc:
    if not p.get("AccessToken"):
        if p.get("Session"):
            return await mfa_setup.verify(app, p["Session"], p["UserCode"], now)
        raise err("InvalidParameterException", "Either AccessToken or Session must be provided.")
    pool, user, _ = await by_token(app, p["AccessToken"], now)

    def write(t: Txn) -> Doc:
        doc = users.must_find(t, pool, user["Username"])
        sealed = (doc.get("mfa") or {}).get("pending")
        if not sealed:
            raise err("InvalidParameterException", "User has not associated a software token.")
        secret = sealing.unseal(t, sealed, mfa_setup.ctx(pool, doc)).decode()
        if not pyotp.TOTP(secret).verify(p["UserCode"], for_time=int(now), valid_window=1):
            raise err("EnableSoftwareTokenMFAException", "Code mismatch")
        doc["mfa"] = {**doc["mfa"], "secret": sealed, "verified": True, "enabled": True}
        doc["mfa"].pop("pending", None)
        users.save(t, pool, doc, now)
        return doc

    await app.store.run(write)
    return {"Status": "SUCCESS"}


def set_mfa_preference(t: Txn, pool: Doc, username: str, p: Doc, now: float) -> None:
    doc = users.must_find(t, pool, username)
    settings = p.get("SoftwareTokenMfaSettings")
    if settings is not None:
        mfa = doc.setdefault("mfa", {})
        if not mfa.get("verified") and settings.get("Enabled"):
            raise err("InvalidParameterException", "User has not verified software token mfa")
        mfa["enabled"] = bool(settings.get("Enabled"))
        mfa["preferred"] = bool(settings.get("PreferredMfa"))
    users.save(t, pool, doc, now)


async def set_user_mfa_preference(app: App, p: Doc, now: float) -> None:
    pool, user, _ = await by_token(app, p["AccessToken"], now)
    await app.store.run(lambda t: set_mfa_preference(t, pool, user["Username"], p, now))

