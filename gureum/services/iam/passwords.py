"""IAM console passwords: the account password policy and users' login profiles.

Tables (rows.py):
- `iam_password_policies`: {acct} -> the policy as UpdateAccountPasswordPolicy set it, every
  field filled (an update replaces the whole policy; unset fields take AWS's defaults).
- `iam_login_profiles`: {acct}/{user id} -> {"UserName", "CreateDate", "PasswordResetRequired",
  "Salt", "Hash", "History", "PasswordLastChanged", ["MaxSigninSessionDuration"]}. Keyed by
  the user's id so a renamed user keeps its profile; a user with a profile cannot be deleted
  (model.delete_user).

Passwords are never stored: `Hash` is PBKDF2-HMAC-SHA256 of the password with the profile's
`Salt` (fixed for the profile's life), `History` the hashes of the last passwords, newest
first, at most MAX_HISTORY. Hashing is slow by design, so callers hash outside the store's
writer (`hash_password`, in a worker thread) and pass hashes in; `check_salt` rejects a
hash made with the salt of a profile that has since been replaced.

A password is checked against the account's policy, or, with none set, against AWS's
default one (at least 8 characters and three of: upper case, lower case, digits, symbols).
ChangePassword (the caller's own user) also refuses the last `PasswordReusePrevention`
passwords.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.iam import ids
from gureum.services.iam.model import Iam
from gureum.services.iam.rows import LOGIN_PROFILES, PASSWORD_POLICIES
from gureum.store.base import Doc

SYMBOLS = frozenset("!@#$%^&*()_+-=[]{}|'")
DEFAULT_MINIMUM_LENGTH = 6  # UpdateAccountPasswordPolicy's default when the field is left out
MAX_HISTORY = 24  # PasswordReusePrevention's maximum
ITERATIONS = 60_000

POLICY_FIELDS: dict[str, Any] = {
    "MinimumPasswordLength": DEFAULT_MINIMUM_LENGTH,
    "RequireSymbols": False,
    "RequireNumbers": False,
    "RequireUppercaseCharacters": False,
    "RequireLowercaseCharacters": False,
    "AllowUsersToChangePassword": False,
    "MaxPasswordAge": 0,
    "PasswordReusePrevention": 0,
    "HardExpiry": False,
}


def new_salt() -> str:
    return os.urandom(16).hex()


def hash_password(password: str, salt: str) -> str:
    """PBKDF2-HMAC-SHA256 of `password` (as IAM reads it: latin-1 range) with `salt` (hex)."""
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), bytes.fromhex(salt), ITERATIONS).hex()


@dataclass(frozen=True)
class Hashed:
    """A password as the model sees it: its hash under `salt`, and the character classes
    and length the policy checks (computed from the plain text before it is dropped)."""

    salt: str
    hash: str
    length: int
    upper: bool
    lower: bool
    digit: bool
    symbol: bool

    @classmethod
    def of(cls, password: str, salt: str) -> Hashed:
        return cls(
            salt=salt,
            hash=hash_password(password, salt),
            length=len(password),
            upper=any("A" <= c <= "Z" for c in password),
            lower=any("a" <= c <= "z" for c in password),
            digit=any("0" <= c <= "9" for c in password),
            symbol=any(c in SYMBOLS for c in password),
        )


def _violation(message: str) -> AwsError:
    return AwsError.modeled("iam", "PasswordPolicyViolation", message)


def _no_policy(account: str) -> AwsError:
    return AwsError.modeled("iam", "NoSuchEntity", f"The Password Policy with domain name {account} cannot be found.")


def _no_profile(user: str) -> AwsError:
    return AwsError.modeled("iam", "NoSuchEntity", f"Login Profile for User {user} cannot be found.")


class Passwords:
    """One account's password policy and login profiles inside one transaction."""

    def __init__(self, iam: Iam) -> None:
        self.iam = iam
        self.t = iam.t

    # --- the account password policy --------------------------------------------------
    def set_policy(self, fields: dict[str, Any]) -> None:
        policy = {k: fields[k] if fields.get(k) is not None else default for k, default in POLICY_FIELDS.items()}
        self.t.put(PASSWORD_POLICIES, self.iam.account, policy)

    def find_policy(self) -> Doc | None:
        return self.t.get(PASSWORD_POLICIES, self.iam.account)

    def get_policy(self) -> Doc:
        policy = self.find_policy()
        if policy is None:
            raise _no_policy(self.iam.account)
        return policy

    def delete_policy(self) -> None:
        if not self.t.delete(PASSWORD_POLICIES, self.iam.account):
            raise _no_policy(self.iam.account)

    def check(self, pw: Hashed) -> None:
        """Raise PasswordPolicyViolation unless `pw` meets the account's policy (or AWS's default)."""
        policy = self.find_policy()
        if policy is None:
            classes = sum((pw.upper, pw.lower, pw.digit, pw.symbol))
            if pw.length < 8 or classes < 3:
                raise _violation("Password does not conform to the account password policy.")
            return
        if pw.length < policy["MinimumPasswordLength"]:
            raise _violation(f"Password should have a minimum length of {policy['MinimumPasswordLength']}")
        if policy["RequireUppercaseCharacters"] and not pw.upper:
            raise _violation("Password should have at least one uppercase letter")
        if policy["RequireLowercaseCharacters"] and not pw.lower:
            raise _violation("Password should have at least one lowercase letter")
        if policy["RequireNumbers"] and not pw.digit:
            raise _violation("Password should have at least one number")
        if policy["RequireSymbols"] and not pw.symbol:
            raise _violation("Password should have at least one symbol")

    # --- login profiles ----------------------------------------------------------------
    def _key(self, user: Doc) -> str:
        return self.iam.key(user["UserId"])

    def find_profile(self, user_name: str) -> tuple[Doc, Doc | None]:
        user = self.iam.get_user(user_name)
        return user, self.t.get(LOGIN_PROFILES, self._key(user))

    def get_profile(self, user_name: str) -> Doc:
        user, profile = self.find_profile(user_name)
        if profile is None:
            raise _no_profile(user["UserName"])
        profile["UserName"] = user["UserName"]
        return profile

    def create_profile(self, user_name: str, pw: Hashed, reset_required: bool, max_session: int | None) -> Doc:
        user, existing = self.find_profile(user_name)
        if existing is not None:
            raise AwsError.modeled(
                "iam", "EntityAlreadyExists", f"Login Profile for user {user['UserName']} already exists."
            )
        self.check(pw)
        profile: Doc = {
            "UserName": user["UserName"],
            "CreateDate": ids.iso(ids.now()),
            "PasswordResetRequired": reset_required,
            "Salt": pw.salt,
            "Hash": pw.hash,
            "History": [pw.hash],
            "PasswordLastChanged": ids.iso(ids.now()),
        }
        if max_session is not None:
            profile["MaxSigninSessionDuration"] = max_session
        self.t.put(LOGIN_PROFILES, self._key(user), profile)
        return profile

    def salt_of(self, user_name: str) -> str:
        """The salt new passwords of `user_name` are hashed with (NoSuchEntity without a profile)."""
        return str(self.get_profile(user_name)["Salt"])

    def _check_salt(self, profile: Doc, pw: Hashed) -> None:
        if profile["Salt"] != pw.salt:  # the profile was replaced while the password was hashed
            raise AwsError.modeled(
                "iam", "EntityTemporarilyUnmodifiable",
                f"Login Profile for User {profile['UserName']} cannot be modified while it is being changed.",
            )

    def _set_password(self, user: Doc, profile: Doc, pw: Hashed) -> None:
        profile["Hash"] = pw.hash
        profile["PasswordLastChanged"] = ids.iso(ids.now())
        profile["History"] = [pw.hash, *[h for h in profile.get("History", []) if h != pw.hash]][:MAX_HISTORY]
        self.t.put(LOGIN_PROFILES, self._key(user), profile)

    def update_profile(
        self, user_name: str, pw: Hashed | None, reset_required: bool | None, max_session: int | None,
        reset_max_session: bool,
    ) -> None:
        user, profile = self.find_profile(user_name)
        if profile is None:
            raise _no_profile(user["UserName"])
        if reset_required is not None:
            profile["PasswordResetRequired"] = reset_required
        if reset_max_session:
            profile.pop("MaxSigninSessionDuration", None)
        elif max_session is not None:
            profile["MaxSigninSessionDuration"] = max_session
        if pw is not None:
            self._check_salt(profile, pw)
            self.check(pw)
            self._set_password(user, profile, pw)
        else:
            self.t.put(LOGIN_PROFILES, self._key(user), profile)

    def delete_profile(self, user_name: str) -> None:
        user, profile = self.find_profile(user_name)
        if profile is None:
            raise _no_profile(user["UserName"])
        self.t.delete(LOGIN_PROFILES, self._key(user))

    def change_password(self, user_name: str, old: Hashed, new: Hashed) -> None:
        """ChangePassword: the caller's own password, `old` verified, `new` checked against the
        policy and the last PasswordReusePrevention passwords; clears PasswordResetRequired."""
        user, profile = self.find_profile(user_name)
        if profile is None:
            raise _no_profile(user["UserName"])
        self._check_salt(profile, old)
        self._check_salt(profile, new)
        if not hmac.compare_digest(profile["Hash"], old.hash):
            raise AwsError.modeled("iam", "InvalidUserType", "The old password is incorrect.")
        self.check(new)
        policy = self.find_policy()
        reuse = int(policy["PasswordReusePrevention"]) if policy else 0
        if reuse and new.hash in profile.get("History", [])[:reuse]:
            raise _violation("Policy constraint violation with password reuse prevention during password change")
        profile["PasswordResetRequired"] = False
        self._set_password(user, profile, new)
