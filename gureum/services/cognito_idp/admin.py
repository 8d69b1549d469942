"""Administrators' user operations (signed requests of the pool's account): AdminCreateUser
and the Admin* calls on one user, each a function on a Txn or an async step where a password
is hashed off the event loop."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from gureum.services.cognito_idp import groups, messages, passwords, pools, schema, selfservice, tokens, users
from gureum.services.cognito_idp.pools import Doc, err
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.app import App

MEMBER_TABLES = (groups.USER_GROUPS, groups.MEMBERS)


async def create_user(app: App, account: str, p: Doc, now: float) -> Doc:
    pool = await app.store.read(lambda t: pools.get(t, p["UserPoolId"], account))
    attrs = schema.attribute_map(p.get("UserAttributes"))
    username, sub = users.plan_username(pool, p["Username"])
    if pool.get("UsernameAttributes"):
        attrs.setdefault("email" if "@" in p["Username"] else "phone_number", p["Username"])
    schema.check_required(pool["SchemaAttributes"], attrs)
    action = p.get("MessageAction")
    if action == "RESEND":
        existing = await app.store.read(lambda t: users.find(t, pool, p["Username"]))
        if existing is None:
            raise users.user_not_found()
        if existing["UserStatus"] != "FORCE_CHANGE_PASSWORD":
            raise err("UnsupportedUserStateException", "Resend not possible. " + p["Username"] + " status is not FORCE_CHANGE_PASSWORD")
        username, sub = existing["Username"], existing["sub"]
    temp = p.get("TemporaryPassword") or passwords.temporary()
    policy = pool["Policies"]["PasswordPolicy"]
    problem = passwords.policy_problem(policy, temp)
    if problem is not None:
        raise err("InvalidPasswordException", f"Password does not conform to policy: {problem}")
    record = await asyncio.to_thread(passwords.make_record, pool["Id"], username, temp)
    days = int(policy.get("TemporaryPasswordValidityDays", 7))

    def write(t: Txn) -> Doc:
        if action == "RESEND":
            doc = users.must_find(t, pool, username)
            doc["pw"], doc["temp_expires"] = record, now + days * 86400
            users.save(t, pool, doc, now)
            return doc
        doc = users.create(t, pool, username, sub, attrs, "FORCE_CHANGE_PASSWORD", record, now, exists_message="User account already exists")
        doc["temp_expires"] = now + days * 86400
        users.save(t, pool, doc)
        return doc

    doc = await app.store.run(write)
    if action != "SUPPRESS":
        where = users.delivery(doc, pool)
        await messages.deliver(app, pool, doc["Username"], where["Destination"] if where else None, "invite", temp,
                               messages.default_text("invite", temp, doc["Username"]), email=users.email_of(doc, where))
    return users.shown(doc)


async def set_password(app: App, account: str, p: Doc, now: float) -> None:
    pool = await app.store.read(lambda t: pools.get(t, p["UserPoolId"], account))
    user = await app.store.read(lambda t: users.must_find(t, pool, p["Username"]))
    passwords.check_policy(pool["Policies"]["PasswordPolicy"], p["Password"])
    record = await asyncio.to_thread(passwords.make_record, pool["Id"], user["Username"], p["Password"])
    days = int(pool["Policies"]["PasswordPolicy"].get("TemporaryPasswordValidityDays", 7))

    def write(t: Txn) -> None:
        doc = users.must_find(t, pool, p["Username"])
        doc["pw"] = record
        doc.pop("fails", None)  # a new password ends a lockout
        doc.pop("locked_until", None)
        if p.get("Permanent"):
            doc["UserStatus"] = "CONFIRMED"
            doc.pop("temp_expires", None)
        else:
            doc["UserStatus"], doc["temp_expires"] = "FORCE_CHANGE_PASSWORD", now + days * 86400
        users.save(t, pool, doc, now)

    await app.store.run(write)


def get_user(t: Txn, account: str, p: Doc) -> Doc:
    pool = pools.get(t, p["UserPoolId"], account)
    doc = users.must_find(t, pool, p["Username"])
    return {**users.shown(doc, "UserAttributes"), **users.mfa_settings(doc)}


def _user(t: Txn, account: str, p: Doc) -> tuple[Doc, Doc]:
    pool = pools.get(t, p["UserPoolId"], account)
    return pool, users.must_find(t, pool, p["Username"])


def set_enabled(t: Txn, account: str, p: Doc, enabled: bool, now: float) -> None:
    pool, doc = _user(t, account, p)
    doc["Enabled"] = enabled
    users.save(t, pool, doc, now)
    if not enabled:
        tokens.revoke_user(t, pool["Id"], users.name_key(pool, doc["Username"]))


def delete_user(t: Txn, account: str, p: Doc) -> None:
    pool, doc = _user(t, account, p)
    tokens.revoke_user(t, pool["Id"], users.name_key(pool, doc["Username"]))
    users.remove(t, pool, doc, MEMBER_TABLES)


def update_attributes(t: Txn, account: str, p: Doc, now: float) -> None:
    pool, doc = _user(t, account, p)
    users.set_attrs(t, pool, doc, schema.attribute_map(p["UserAttributes"]), now, admin=True)


def delete_attributes(t: Txn, account: str, p: Doc, now: float) -> None:
    pool, doc = _user(t, account, p)
    users.delete_attrs(t, pool, doc, p["UserAttributeNames"], now)


def confirm_sign_up(t: Txn, account: str, p: Doc, now: float) -> tuple[Doc, Doc]:
    pool, doc = _user(t, account, p)
    if doc["UserStatus"] != "UNCONFIRMED":
        raise err("NotAuthorizedException", f"User cannot be confirmed. Current status is {doc['UserStatus']}")
    doc["UserStatus"] = "CONFIRMED"
    doc.get("codes", {}).pop("signup", None)
    users.save(t, pool, doc, now)
    return pool, doc


def sign_out(t: Txn, account: str, p: Doc) -> None:
    pool, doc = _user(t, account, p)
    tokens.revoke_user(t, pool["Id"], users.name_key(pool, doc["Username"]))


def reset_password(t: Txn, account: str, p: Doc, now: float) -> tuple[Doc, Doc, str]:
    pool, doc = _user(t, account, p)
    doc["UserStatus"] = "RESET_REQUIRED"
    code = users.new_code(doc, "forgot", now)
    users.save(t, pool, doc, now)
    return pool, doc, code


def set_mfa(t: Txn, account: str, p: Doc, now: float) -> None:
    pool, doc = _user(t, account, p)
    selfservice.set_mfa_preference(t, pool, doc["Username"], p, now)


def add_to_group(t: Txn, account: str, p: Doc) -> None:
    pool, doc = _user(t, account, p)
    groups.add(t, pool, doc, p["GroupName"])


def remove_from_group(t: Txn, account: str, p: Doc) -> None:
    pool, doc = _user(t, account, p)
    groups.remove(t, pool, doc, p["GroupName"])


def groups_for_user(t: Txn, account: str, p: Doc) -> tuple[list[Doc], str | None]:
    pool, doc = _user(t, account, p)
    return groups.groups_page(t, pool, doc, p)
