"""Groups of a pool and their members.

Tables:
- cognito_groups: "{pool_id}/{group}" -> GroupType (GroupName, UserPoolId, Description,
  RoleArn, Precedence, LastModifiedDate, CreationDate).
- cognito_members: "{pool_id}/{group}/{user name key}" -> {} (ListUsersInGroup).
- cognito_user_groups: "{pool_id}/{user name key}/{group}" -> {} (AdminListGroupsForUser,
  the cognito:groups claim).
Invariants: both membership rows are written and deleted together; deleting a group or a
user drops its memberships.
"""

from __future__ import annotations

from gureum.aws import paging
from gureum.aws.errors import AwsError
from gureum.services.cognito_idp import users
from gureum.services.cognito_idp.pools import Doc, err
from gureum.store import Txn

GROUPS = "cognito_groups"
MEMBERS = "cognito_members"
USER_GROUPS = "cognito_user_groups"


def _bad_token() -> AwsError:
    return err("InvalidParameterException", "Invalid pagination token.")


def get(txn: Txn, pool_id: str, name: str) -> Doc:
    doc = txn.get(GROUPS, f"{pool_id}/{name}")
    if doc is None:
        raise err("ResourceNotFoundException", "Group not found.")
    return doc


def create(txn: Txn, pool_id: str, p: Doc, now: float) -> Doc:
    doc: Doc = {"GroupName": p["GroupName"], "UserPoolId": pool_id, "CreationDate": now, "LastModifiedDate": now,
           **{k: p[k] for k in ("Description", "RoleArn", "Precedence") if k in p}}
    if not txn.insert(GROUPS, f"{pool_id}/{p['GroupName']}", doc):
        raise err("GroupExistsException", "A group with the name already exists.")
    return doc


def update(txn: Txn, pool_id: str, p: Doc, now: float) -> Doc:
    doc = get(txn, pool_id, p["GroupName"])
    doc.update({k: p[k] for k in ("Description", "RoleArn", "Precedence") if k in p})
    doc["LastModifiedDate"] = now
    txn.put(GROUPS, f"{pool_id}/{p['GroupName']}", doc)
    return doc


def delete(txn: Txn, pool_id: str, name: str) -> None:
    get(txn, pool_id, name)
    for mkey, _ in txn.scan(MEMBERS, f"{pool_id}/{name}/"):
        user_key = mkey[len(f"{pool_id}/{name}/"):]
        txn.delete(USER_GROUPS, f"{pool_id}/{user_key}/{name}")
    txn.delete_prefix(MEMBERS, f"{pool_id}/{name}/")
    txn.delete(GROUPS, f"{pool_id}/{name}")


def listing(txn: Txn, pool_id: str, p: Doc) -> tuple[list[Doc], str | None]:
    rows, nxt = paging.page(txn, GROUPS, pool_id + "/", token=p.get("NextToken"), limit=p.get("Limit"),
                            default_limit=60, max_limit=60, error=_bad_token)
    return [d for _, d in rows], nxt


def add(txn: Txn, pool: Doc, user: Doc, group: str) -> None:
    get(txn, pool["Id"], group)
    k = users.name_key(pool, user["Username"])
    txn.put(MEMBERS, f"{pool['Id']}/{group}/{k}", {})
    txn.put(USER_GROUPS, f"{pool['Id']}/{k}/{group}", {})


def remove(txn: Txn, pool: Doc, user: Doc, group: str) -> None:
    get(txn, pool["Id"], group)
    k = users.name_key(pool, user["Username"])
    txn.delete(MEMBERS, f"{pool['Id']}/{group}/{k}")
    txn.delete(USER_GROUPS, f"{pool['Id']}/{k}/{group}")


def of_user(txn: Txn, pool: Doc, user: Doc) -> list[Doc]:
    """The user's groups, by precedence (lowest first) then name, as cognito:groups lists them."""
    k = users.name_key(pool, user["Username"])
    out = [d for gk, _ in txn.scan(USER_GROUPS, f"{pool['Id']}/{k}/")
           if (d := txn.get(GROUPS, f"{pool['Id']}/{gk.rsplit('/', 1)[1]}")) is not None]
    return sorted(out, key=lambda g: (g.get("Precedence", 2**31), g["GroupName"]))


def groups_page(txn: Txn, pool: Doc, user: Doc, p: Doc) -> tuple[list[Doc], str | None]:
    k = users.name_key(pool, user["Username"])
    rows, nxt = paging.page(txn, USER_GROUPS, f"{pool['Id']}/{k}/", token=p.get("NextToken"), limit=p.get("Limit"),
                            default_limit=60, max_limit=60, error=_bad_token)
    return [get(txn, pool["Id"], gk.rsplit("/", 1)[1]) for gk, _ in rows], nxt


def members_page(txn: Txn, pool: Doc, group: str, p: Doc) -> tuple[list[Doc], str | None]:
    get(txn, pool["Id"], group)
    rows, nxt = paging.page(txn, MEMBERS, f"{pool['Id']}/{group}/", token=p.get("NextToken"), limit=p.get("Limit"),
                            default_limit=60, max_limit=60, error=_bad_token)
    out = []
    for mk, _ in rows:
        doc = txn.get(users.USERS, f"{pool['Id']}/{mk.rsplit('/', 1)[1]}")
        if doc is not None:
            out.append(users.shown(doc))
    return out, nxt
