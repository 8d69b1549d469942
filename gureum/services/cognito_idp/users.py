"""Users of a pool: the store layout, their attributes, statuses, sign-in names (username,
email or phone as username, aliases), one-time codes, and ListUsers' filter language.

Tables:
- cognito_users: "{pool_id}/{name key}" -> {"Username", "sub", "attrs": {name: value},
  "UserStatus", "Enabled", "UserCreateDate", "UserLastModifiedDate", "pw" (passwords.py's
  record: hashes, never the password), "temp_expires" (a temporary password's end),
  "codes": {purpose: {"hash": sha256 hex of the code, "exp": epoch}}, "mfa": {"secret"
  (sealed TOTP secret), "verified", "preferred", "pending" (sealed, before verification)},
  "fails", "locked_until": failed sign-ins in a row and the lockout they caused (flows.py)}. The name key is the username,
  lower-cased unless the pool's UsernameConfiguration is case sensitive.
- cognito_aliases: "{pool_id}/{attribute}/{value lower-cased}" -> {"key": name key}: the
  sign-in names a pool's UsernameAttributes or AliasAttributes make of email, phone_number
  and preferred_username; unique per pool.
Invariants: `sub` never changes; a pool with UsernameAttributes names each user by its sub
(the address is an alias), as AWS does; a code matches once and is dropped when used.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from typing import Any

from gureum.aws import paging
from gureum.aws.errors import AwsError
from gureum.services.cognito_idp import ids, schema
from gureum.services.cognito_idp.pools import Doc, err
from gureum.store import Txn

USERS = "cognito_users"
ALIASES = "cognito_aliases"

FILTERABLE = ("username", "email", "phone_number", "name", "given_name", "family_name", "preferred_username",
              "cognito:user_status", "status", "sub")
_FILTER = re.compile(r'^\s*([\w:]+)\s*(\^?=)\s*"((?:[^"\\]|\\.)*)"\s*$')
CODE_SECONDS = {"signup": 24 * 3600, "forgot": 3600, "verify": 24 * 3600}
MAX_CODE_FAILS = 5


def user_not_found() -> Any:
    return err("UserNotFoundException", "User does not exist.")


def name_key(pool: Doc, username: str) -> str:
    case = (pool.get("UsernameConfiguration") or {}).get("CaseSensitive", False)
    return username if case else username.lower()


def _alias_attrs(pool: Doc) -> list[str]:
    return list(pool.get("UsernameAttributes") or []) + list(pool.get("AliasAttributes") or [])


def find(txn: Txn, pool: Doc, name: str) -> Doc | None:
    """The user signing in as `name`: a username, or an alias (email, phone, preferred
    username). An email or phone number that is an AliasAttribute names its user only once
    verified, as AWS has it (as a UsernameAttribute it always does)."""
    doc = txn.get(USERS, f"{pool['Id']}/{name_key(pool, name)}")
    if doc is not None:
        return doc
    as_username = pool.get("UsernameAttributes") or []
    for attr in _alias_attrs(pool):
        row = txn.get(ALIASES, f"{pool['Id']}/{attr}/{name.lower()}")
        if row is not None:
            user = txn.get(USERS, f"{pool['Id']}/{row['key']}")
            if user is not None and (attr in as_username or attr == "preferred_username"
                                     or user["attrs"].get(f"{attr}_verified") == "true"):
                return user
    return None


def must_find(txn: Txn, pool: Doc, name: str) -> Doc:
    doc = find(txn, pool, name)
    if doc is None:
        raise user_not_found()
    return doc


def save(txn: Txn, pool: Doc, doc: Doc, now: float | None = None) -> None:
    if now is not None:
        doc["UserLastModifiedDate"] = now
    txn.put(USERS, f"{pool['Id']}/{name_key(pool, doc['Username'])}", doc)


def plan_username(pool: Doc, given: str) -> tuple[str, str]:
    """(username, sub) for a new user named `given`: pools with UsernameAttributes name
    the user by its sub and take `given` as the email or phone number."""
    sub = ids.sub()
    attrs = pool.get("UsernameAttributes") or []
    if attrs:
        is_email = "@" in given
        if is_email and "email" not in attrs or not is_email and "phone_number" not in attrs:
            what = "an email" if attrs == ["email"] else "a phone number" if attrs == ["phone_number"] else "an email or a phone number"
            raise err("InvalidParameterException", f"Username should be {what}.")
        return sub, sub
    return given, sub


def _index_aliases(txn: Txn, pool: Doc, doc: Doc, old: dict[str, str]) -> None:
    k = name_key(pool, doc["Username"])
    for attr in _alias_attrs(pool):
        before, after = old.get(attr), doc["attrs"].get(attr)
        if before == after:
            continue
        if before:
            row = txn.get(ALIASES, f"{pool['Id']}/{attr}/{before.lower()}")
            if row and row["key"] == k:
                txn.delete(ALIASES, f"{pool['Id']}/{attr}/{before.lower()}")
        if after:
            akey = f"{pool['Id']}/{attr}/{after.lower()}"
            row = txn.get(ALIASES, akey)
            if row is not None and row["key"] != k:
                if attr in (pool.get("UsernameAttributes") or []):
                    raise err("UsernameExistsException", f"An account with the given {attr.replace('_', ' ')} already exists.")
                raise err("AliasExistsException", "An account with the given email already exists." if attr == "email"
                          else f"An account with the given {attr.replace('_', ' ')} already exists.")
            txn.put(ALIASES, akey, {"key": k})


def create(txn: Txn, pool: Doc, username: str, sub: str, attrs: dict[str, str], status: str, pw: Doc | None,
           now: float, *, exists_message: str = "User account already exists") -> Doc:
    """A new user; UsernameExistsException when the name (or a unique alias) is taken."""
    schema.check_values(pool["SchemaAttributes"], attrs, creating=True, admin=True)
    if find(txn, pool, username) is not None:
        raise err("UsernameExistsException", exists_message)
    doc: Doc = {"Username": username, "sub": sub, "attrs": {"sub": sub, **attrs}, "UserStatus": status, "Enabled": True,
                "UserCreateDate": now, "UserLastModifiedDate": now, "pw": pw, "codes": {}, "mfa": {}}
    _index_aliases(txn, pool, doc, {})
    save(txn, pool, doc)
    return doc


def set_attrs(txn: Txn, pool: Doc, doc: Doc, values: dict[str, str], now: float, *, admin: bool) -> None:
    schema.check_values(pool["SchemaAttributes"], values, creating=False, admin=admin)
    old = dict(doc["attrs"])
    for name, value in values.items():
        doc["attrs"][name] = value
        if name in ("email", "phone_number") and old.get(name) != value and f"{name}_verified" not in values:
            doc["attrs"][f"{name}_verified"] = "false"
    _index_aliases(txn, pool, doc, old)
    save(txn, pool, doc, now)


def delete_attrs(txn: Txn, pool: Doc, doc: Doc, names: list[str], now: float) -> None:
    by = {a["Name"]: a for a in pool["SchemaAttributes"]}
    old = dict(doc["attrs"])
    for n in names:
        a = by.get(n)
        if a is None or n == "sub" or a.get("Required"):
            raise err("InvalidParameterException", f"Invalid attribute name: {n}" if a is None or n == "sub"
                      else f"Cannot delete required attribute: {n}")
        doc["attrs"].pop(n, None)
    _index_aliases(txn, pool, doc, old)
    save(txn, pool, doc, now)


def remove(txn: Txn, pool: Doc, doc: Doc, member_tables: tuple[str, str]) -> None:
    k = name_key(pool, doc["Username"])
    old = dict(doc["attrs"])
    doc["attrs"] = {}
    _index_aliases(txn, pool, doc, old)
    groups_of_user, members = member_tables
    for gkey, _ in txn.scan(groups_of_user, f"{pool['Id']}/{k}/"):
        group = gkey.rsplit("/", 1)[1]
        txn.delete(members, f"{pool['Id']}/{group}/{k}")
    txn.delete_prefix(groups_of_user, f"{pool['Id']}/{k}/")
    txn.delete(USERS, f"{pool['Id']}/{k}")


def attribute_list(doc: Doc, allowed: list[str] | None = None) -> list[Doc]:
    return [{"Name": n, "Value": v} for n, v in doc["attrs"].items() if allowed is None or n in allowed]


def mfa_settings(doc: Doc) -> Doc:
    mfa = doc.get("mfa") or {}
    if not mfa.get("verified"):
        return {}
    out: Doc = {"UserMFASettingList": ["SOFTWARE_TOKEN_MFA"] if mfa.get("enabled", True) else []}
    if mfa.get("preferred"):
        out["PreferredMfaSetting"] = "SOFTWARE_TOKEN_MFA"
    return out


def shown(doc: Doc, attrs_key: str = "Attributes", allowed: list[str] | None = None) -> Doc:
    """The user as ListUsers (attrs_key "Attributes") or AdminGetUser ("UserAttributes") shows it."""
    return {"Username": doc["Username"], attrs_key: attribute_list(doc, allowed), "UserCreateDate": doc["UserCreateDate"],
            "UserLastModifiedDate": doc["UserLastModifiedDate"], "Enabled": doc["Enabled"], "UserStatus": doc["UserStatus"]}


def parse_filter(text: str | None) -> tuple[str, str, str] | None:
    """(attribute, "=" or "^=", value) of ListUsers' Filter; InvalidParameterException if malformed."""
    if not text:
        return None
    m = _FILTER.match(text)
    if m is None or m.group(1) not in FILTERABLE:
        raise err("InvalidParameterException", "Error while parsing filter.")
    return m.group(1), m.group(2), m.group(3).replace('\\"', '"')


def _value_of(doc: Doc, attr: str) -> str:
    if attr == "username":
        return str(doc["Username"])
    if attr == "cognito:user_status":
        return str(doc["UserStatus"])
    if attr == "status":
        return "Enabled" if doc["Enabled"] else "Disabled"
    return str(doc["attrs"].get(attr, ""))


def listing(txn: Txn, pool: Doc, p: Doc) -> tuple[list[Doc], str | None]:
    f = parse_filter(p.get("Filter"))

    def keep(doc: Doc) -> bool:
        if f is None:
            return True
        attr, op, value = f
        have = _value_of(doc, attr)
        if attr in ("username", "email", "preferred_username"):
            have, value = have.lower(), value.lower()
        return have == value if op == "=" else have.startswith(value)

    rows, nxt = paging.page(txn, USERS, pool["Id"] + "/", token=p.get("PaginationToken"), limit=p.get("Limit"),
                            default_limit=60, max_limit=60, keep=keep, filters={"f": p.get("Filter")},
                            error=lambda: err("InvalidParameterException", "Invalid pagination token."))
    wanted = p.get("AttributesToGet")
    if wanted:
        by = {a["Name"] for a in pool["SchemaAttributes"]}
        for n in wanted:
            if n not in by:
                raise err("InvalidParameterException", f"One or more requested attributes do not exist: {n}")
    return [shown(d, allowed=wanted) for _, d in rows], nxt


def count(txn: Txn, pool_id: str) -> int:
    return txn.count(USERS, pool_id + "/")


# --- one-time codes -----------------------------------------------------------------------------

def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def new_code(doc: Doc, purpose: str, now: float) -> str:
    code = ids.code()
    kind = purpose.split(":", 1)[0]
    doc.setdefault("codes", {})[purpose] = {"hash": _digest(code), "exp": now + CODE_SECONDS.get(kind, 3600)}
    return code


def take_code(txn: Txn, pool: Doc, doc: Doc, purpose: str, code: str, now: float) -> AwsError | None:
    """Use the user's `purpose` code: None when `code` is it (the code is dropped, the caller
    saves the user), else the error to answer, after saving what the failure changed: a
    mismatch counts against the code, and after MAX_CODE_FAILS mismatches the code answers
    LimitExceededException whatever is tried, until a new code is asked for (SDKs retry that
    error: each retry gets it again). The caller returns the error from
    its transaction and raises it after the commit, so the count is kept."""
    codes = doc.setdefault("codes", {})
    entry = codes.get(purpose)
    if entry is None:
        return err("ExpiredCodeException", "Invalid code provided, please request a code again.")
    if int(entry.get("fails", 0)) >= MAX_CODE_FAILS:  # until a new code replaces it
        return err("LimitExceededException", "Attempt limit exceeded, please try after some time.")
    if not hmac.compare_digest(entry["hash"], _digest(code)):
        entry["fails"] = int(entry.get("fails", 0)) + 1
        save(txn, pool, doc)
        return err("CodeMismatchException", "Invalid verification code provided, please try again.")
    del codes[purpose]
    if entry["exp"] < now:
        save(txn, pool, doc)
        return err("ExpiredCodeException", "Invalid code provided, please request a code again.")
    return None


def mask(value: str) -> str:
    """A destination as CodeDeliveryDetails shows it ("a***@e***")."""
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain[:1]}***"
    return "+*******" + value[-4:]


def delivery(doc: Doc, pool: Doc) -> Doc | None:
    """Where a code for `doc` goes: its email if the pool verifies email, else its phone."""
    verified = pool.get("AutoVerifiedAttributes") or []
    for attr, medium in (("email", "EMAIL"), ("phone_number", "SMS")):
        if doc["attrs"].get(attr) and (attr in verified or not verified):
            return {"Destination": mask(doc["attrs"][attr]), "DeliveryMedium": medium, "AttributeName": attr}
    return None


def email_of(doc: Doc, where: Doc | None) -> str | None:
    """The address a code goes to when `where` (delivery's answer) sends it by email."""
    if where is None or where.get("DeliveryMedium") != "EMAIL":
        return None
    address = doc["attrs"].get("email")
    return str(address) if address else None


def now() -> float:
    return time.time()
