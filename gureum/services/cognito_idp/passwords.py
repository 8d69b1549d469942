"""Passwords: the pool's password policy as AWS words its refusals, and what is kept of a
password (never the password): its SRP verifier (srp.py), a salted hash: v = g^x mod N with
x = SHA-256(salt || SHA-256(pool name || user || ":" || password)).

One record serves both kinds of sign-in: USER_SRP_AUTH proves the password against the
verifier without sending it, and a password sent in the clear (USER_PASSWORD_AUTH,
ADMIN_USER_PASSWORD_AUTH, ChangePassword) is checked by recomputing the verifier. A slower
hash (scrypt) kept beside it would protect nothing: whoever holds the store can guess against
the verifier, which SRP needs anyway, as AWS's own pools must keep it.

A user's `pw` field: {"srp_salt": hex, "verifier": hex, "set": epoch seconds}. One
verifier costs a few milliseconds of CPU (a 3072-bit modular exponentiation): callers run
`make_record` and `matches` off the event loop and outside store transactions."""

from __future__ import annotations

import hmac
import secrets
import string
import time
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.cognito_idp import srp

SYMBOLS = set("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ")

DEFAULT_POLICY: dict[str, Any] = {
    "MinimumLength": 8, "RequireUppercase": True, "RequireLowercase": True, "RequireNumbers": True,
    "RequireSymbols": True, "TemporaryPasswordValidityDays": 7,
}


def policy_problem(policy: dict[str, Any], password: str) -> str | None:
    """AWS's reason a password breaks `policy` (the words after "Password did not conform
    with policy: "), or None."""
    if len(password) < int(policy.get("MinimumLength", 8)):
        return "Password not long enough"
    if policy.get("RequireLowercase") and not any(c in string.ascii_lowercase for c in password):
        return "Password must have lowercase characters"
    if policy.get("RequireUppercase") and not any(c in string.ascii_uppercase for c in password):
        return "Password must have uppercase characters"
    if policy.get("RequireNumbers") and not any(c in string.digits for c in password):
        return "Password must have numeric characters"
    if policy.get("RequireSymbols") and not any(c in SYMBOLS for c in password):
        return "Password must have symbol characters"
    return None


def check_policy(policy: dict[str, Any], password: str) -> None:
    """InvalidPasswordException with AWS's message when `password` breaks `policy`."""
    problem = policy_problem(policy, password)
    if problem is not None:
        raise AwsError.modeled("cognito-idp", "InvalidPasswordException", f"Password did not conform with policy: {problem}")


def make_record(pool_id: str, user_id: str, password: str) -> dict[str, Any]:
    """What is kept of `password` for the user whose SRP id is `user_id`."""
    srp_salt = srp.new_salt()
    return {"srp_salt": srp_salt, "verifier": srp.verifier(pool_id, user_id, password, srp_salt), "set": time.time()}


def matches(record: dict[str, Any] | None, pool_id: str, user_id: str, password: str) -> bool:
    """Whether `password` is the one `record` was made from for `user_id` (constant-time compare)."""
    if not record or "verifier" not in record:
        return False
    return hmac.compare_digest(srp.verifier(pool_id, user_id, password, record["srp_salt"]), record["verifier"])


def temporary() -> str:
    """A temporary password meeting any policy AWS allows (AdminCreateUser without one)."""
    core = [secrets.choice(string.ascii_uppercase), secrets.choice(string.ascii_lowercase),
            secrets.choice(string.digits), secrets.choice("!#%&*+=?")]
    core += [secrets.choice(string.ascii_letters + string.digits) for _ in range(10)]
    secrets.SystemRandom().shuffle(core)
    return "".join(core)
