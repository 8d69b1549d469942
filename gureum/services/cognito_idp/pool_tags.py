"""Tags of a user pool (TagResource, UntagResource, ListTagsForResource, CreateUserPool's
UserPoolTags): kept in the pool's "UserPoolTags", under AWS's tag rules with Cognito's
errors. A pool is named by its ARN (arn:aws:cognito-idp:<region>:<account>:userpool/<id>)."""

from __future__ import annotations

from gureum.aws import arn as arns
from gureum.aws import tags
from gureum.services.cognito_idp import pools
from gureum.services.cognito_idp.pools import Doc, err
from gureum.store import Txn

RULES = pools.TAG_RULES


class _Place:
    def __init__(self, doc: Doc) -> None:
        self.doc = doc

    def read(self, txn: Txn) -> dict[str, str]:
        return dict(self.doc.get("UserPoolTags") or {})

    def write(self, txn: Txn, value: dict[str, str]) -> None:
        self.doc["UserPoolTags"] = value
        pools.put(txn, self.doc)


def _place(txn: Txn, account: str, arn: str) -> _Place:
    parsed = arns.try_parse(arn)
    if parsed is None or parsed.service != "cognito-idp" or not parsed.resource.startswith("userpool/"):
        raise err("InvalidParameterException", f"Invalid ARN: {arn}")
    pool_id = parsed.resource[len("userpool/"):]
    doc = pools.get(txn, pool_id, account)
    if doc["Arn"] != arn:
        raise pools.not_found(pool_id)
    return _Place(doc)


def tag(txn: Txn, account: str, arn: str, values: dict[str, str]) -> None:
    tags.tag(txn, _place(txn, account, arn), values, RULES)


def untag(txn: Txn, account: str, arn: str, keys: list[str]) -> None:
    tags.untag(txn, _place(txn, account, arn), keys, RULES)


def listing(txn: Txn, account: str, arn: str) -> dict[str, str]:
    return tags.list_tags(txn, _place(txn, account, arn))
