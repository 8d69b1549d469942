"""IAM operations on console passwords (query protocol): the account password policy, login
profiles and ChangePassword; thin handlers over passwords.py.

Passwords are hashed in a worker thread before the store transaction (passwords.py says why),
so the store's writer never runs PBKDF2."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from gureum.aws.dispatch import RequestContext
from gureum.aws.errors import AwsError
from gureum.services.iam import ids
from gureum.services.iam.api import P, _caller_user_name, _read, _run, iam_op
from gureum.services.iam.passwords import POLICY_FIELDS, Hashed, Passwords, new_salt

T = TypeVar("T")


async def _write(ctx: RequestContext, fn: Callable[[Passwords], T]) -> T:
    return await _run(ctx, lambda m: fn(Passwords(m)))


async def _look(ctx: RequestContext, fn: Callable[[Passwords], T]) -> T:
    return await _read(ctx, lambda m: fn(Passwords(m)))


async def _hashed(password: str, salt: str) -> Hashed:
    return await asyncio.to_thread(Hashed.of, password, salt)


async def _profile_user(ctx: RequestContext, p: P) -> str:
    name = p.get("UserName") or await _caller_user_name(ctx)
    if name is None:
        raise AwsError.modeled("iam", "ValidationError", "Must specify userName when calling with root credentials")
    return str(name)


def _profile_view(doc: dict[str, Any]) -> P:
    out: P = {
        "UserName": doc["UserName"],
        "CreateDate": ids.parse_iso(doc["CreateDate"]),
        "PasswordResetRequired": bool(doc["PasswordResetRequired"]),
    }
    if "MaxSigninSessionDuration" in doc:
        out["MaxSigninSessionDuration"] = doc["MaxSigninSessionDuration"]
    return out


# --- the account password policy -------------------------------------------------------
@iam_op("UpdateAccountPasswordPolicy")
async def update_account_password_policy(ctx: RequestContext, p: P) -> P:
    await _write(ctx, lambda x: x.set_policy({k: p.get(k) for k in POLICY_FIELDS}))
    return {}


@iam_op("GetAccountPasswordPolicy")
async def get_account_password_policy(ctx: RequestContext, p: P) -> P:
    policy = await _look(ctx, lambda x: x.get_policy())
    out: P = {k: policy[k] for k in (
        "MinimumPasswordLength", "RequireSymbols", "RequireNumbers", "RequireUppercaseCharacters",
        "RequireLowercaseCharacters", "AllowUsersToChangePassword",
    )}
    out["ExpirePasswords"] = policy["MaxPasswordAge"] > 0
    for k in ("MaxPasswordAge", "PasswordReusePrevention"):  # present only when set
        if policy[k]:
            out[k] = policy[k]
    if policy["HardExpiry"]:
        out["HardExpiry"] = True
    return {"PasswordPolicy": out}


@iam_op("DeleteAccountPasswordPolicy")
async def delete_account_password_policy(ctx: RequestContext, p: P) -> P:
    await _write(ctx, lambda x: x.delete_policy())
    return {}


# --- login profiles --------------------------------------------------------------------
@iam_op("CreateLoginProfile")
async def create_login_profile(ctx: RequestContext, p: P) -> P:
    user = await _profile_user(ctx, p)
    if p.get("Password") is None:
        raise AwsError.modeled("iam", "ValidationError", "Password is required for creating a login profile for an IAM user.")
    pw = await _hashed(p["Password"], new_salt())
    doc = await _write(
        ctx, lambda x: x.create_profile(user, pw, bool(p.get("PasswordResetRequired")), p.get("MaxSigninSessionDuration"))
    )
    return {"LoginProfile": _profile_view(doc)}


@iam_op("GetLoginProfile")
async def get_login_profile(ctx: RequestContext, p: P) -> P:
    user = await _profile_user(ctx, p)
    return {"LoginProfile": _profile_view(await _look(ctx, lambda x: x.get_profile(user)))}


@iam_op("UpdateLoginProfile")
async def update_login_profile(ctx: RequestContext, p: P) -> P:
    user = p["UserName"]
    pw = None
    if p.get("Password") is not None:
        salt = await _look(ctx, lambda x: x.salt_of(user))
        pw = await _hashed(p["Password"], salt)
    await _write(
        ctx,
        lambda x: x.update_profile(
            user, pw, p.get("PasswordResetRequired"), p.get("MaxSigninSessionDuration"),
            bool(p.get("ResetMaxSigninSessionDuration")),
        ),
    )
    return {}


@iam_op("DeleteLoginProfile")
async def delete_login_profile(ctx: RequestContext, p: P) -> P:
    user = await _profile_user(ctx, p)
    await _write(ctx, lambda x: x.delete_profile(user))
    return {}


@iam_op("ChangePassword")
async def change_password(ctx: RequestContext, p: P) -> P:
    user = await _caller_user_name(ctx)
    if user is None:
        raise AwsError.modeled(
            "iam", "InvalidUserType", "ChangePassword changes an IAM user's password; the account root has none here."
        )
    salt = await _look(ctx, lambda x: x.salt_of(user))
    old, new = await asyncio.gather(_hashed(p["OldPassword"], salt), _hashed(p["NewPassword"], salt))
    await _write(ctx, lambda x: x.change_password(user, old, new))
    return {}
