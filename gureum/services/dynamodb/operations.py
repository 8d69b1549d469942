"""The single-item operations (GetItem, PutItem, UpdateItem, DeleteItem and the ConditionCheck
of transactions) as functions on a store transaction: the request's expressions parsed once,
the condition evaluated on the stored item, the write applied by items.write, ReturnValues
shaped as AWS does. Consumed capacity follows AWS's arithmetic (capacity.py). PartiQL's writes
(partiql.py) come here too, with their statements already parsed (`parsed=`), so that
conditions, index rows and stream records have one path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.dynamodb import evaluate as E
from gureum.services.dynamodb import expressions as X
from gureum.services.dynamodb import items as I
from gureum.services.dynamodb import tables as T
from gureum.services.dynamodb import values as V
from gureum.services.dynamodb.values import Item, invalid
from gureum.store import Txn

_LEGACY = ("Expected", "AttributesToGet", "AttributeUpdates", "KeyConditions", "QueryFilter", "ScanFilter", "ConditionalOperator")


def not_built(what: str) -> AwsError:
    return AwsError.common("NotImplemented", f"gureum's DynamoDB does not implement {what} yet")


def context(p: dict[str, Any], expressions: tuple[str, ...]) -> X.Context:
    """The request's ExpressionAttributeNames/Values, checked as AWS checks them."""
    for legacy in _LEGACY:
        if p.get(legacy) is not None:
            raise not_built(f"the legacy parameter {legacy} (use expressions)")
    names = p.get("ExpressionAttributeNames")
    values = p.get("ExpressionAttributeValues")
    given = [e for e in expressions if p.get(e) is not None]
    if names is not None and not given:
        raise invalid("ExpressionAttributeNames can only be specified when using expressions")
    if values is not None and not given:
        raise invalid("ExpressionAttributeValues can only be specified when using expressions: "
                      + " and ".join(f"{e} is null" for e in expressions))
    if values is not None and not values:
        raise invalid("ExpressionAttributeValues must not be empty")
    if names is not None and not names:
        raise invalid("ExpressionAttributeNames must not be empty")
    checked = {}
    for k, v in (values or {}).items():
        if not k.startswith(":"):
            raise invalid(f'ExpressionAttributeValues contains invalid key: Syntax error; key: "{k}"')
        try:
            checked[k] = V.check(v)
        except AwsError as e:
            raise invalid(f"ExpressionAttributeValues contains invalid value: {e.message} for key {k}") from None
    for k in names or {}:
        if not k.startswith("#"):
            raise invalid(f'ExpressionAttributeNames contains invalid key: Syntax error; key: "{k}"')
    return X.Context(names=dict(names or {}), values=checked)


@dataclass
class Parsed:
    condition: X.Node | None = None
    update: dict[str, list[X.Node]] = field(default_factory=dict)
    projection: list[X.Path] | None = None


def parse(p: dict[str, Any], *, update: bool = False) -> Parsed:
    ctx = context(p, ("ConditionExpression", "UpdateExpression", "ProjectionExpression"))
    out = Parsed()
    if p.get("UpdateExpression") is not None:
        out.update = X.update(p["UpdateExpression"], ctx)
    if p.get("ConditionExpression") is not None:
        out.condition = X.condition(p["ConditionExpression"], "ConditionExpression", ctx)
    if p.get("ProjectionExpression") is not None:
        out.projection = X.projection(p["ProjectionExpression"], ctx)
    ctx.check_unused()
    return out


def check_condition(cond: X.Node | None, old: Item | None, p: dict[str, Any], reason: str | None = None) -> None:
    if cond is None:
        return
    if not E.matches(old or {}, cond):
        fields: dict[str, Any] = {}
        if p.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and old is not None:
            fields["Item"] = V.item_to_store(old)  # error fields go on the wire as they are: binaries as base64
        raise AwsError.modeled("dynamodb", "ConditionalCheckFailedException", "The conditional request failed", **fields)


def _return_values(p: dict[str, Any], allowed: tuple[str, ...]) -> str:
    rv = p.get("ReturnValues") or "NONE"
    if rv not in allowed:
        raise invalid("Return values set to invalid value")
    return str(rv)


def get_item(txn: Txn, s: I.Schema, p: dict[str, Any]) -> tuple[Item | None, int]:
    parsed = parse(p)
    key = I.check_key(s, p["Key"])
    item = I.get(txn, s, key)
    size = V.item_size(item) if item else 0
    if item is not None and parsed.projection is not None:
        item = E.project(item, parsed.projection)
    return item, size


def put_item(txn: Txn, s: I.Schema, p: dict[str, Any], parsed: Parsed | None = None
             ) -> tuple[Item | None, Item, dict[str, Any]]:
    """PutItem of `p` (its expressions parsed here unless PartiQL gives them as `parsed`)."""
    rv = _return_values(p, ("NONE", "ALL_OLD"))
    parsed = parse(p) if parsed is None else parsed
    new = I.check_item(s, p["Item"])
    old = I.get(txn, s, I.key_of(s, new))
    check_condition(parsed.condition, old, p)
    I.write(txn, s, old, new)
    out: dict[str, Any] = {}
    if rv == "ALL_OLD" and old is not None:
        out["Attributes"] = old
    return old, new, out


def delete_item(txn: Txn, s: I.Schema, p: dict[str, Any], parsed: Parsed | None = None
                ) -> tuple[Item | None, dict[str, Any]]:
    rv = _return_values(p, ("NONE", "ALL_OLD"))
    parsed = parse(p) if parsed is None else parsed
    key = I.check_key(s, p["Key"])
    old = I.get(txn, s, key)
    check_condition(parsed.condition, old, p)
    if old is not None:
        I.write(txn, s, old, None)
    out: dict[str, Any] = {}
    if rv == "ALL_OLD" and old is not None:
        out["Attributes"] = old
    return old, out


def update_item(txn: Txn, s: I.Schema, p: dict[str, Any], parsed: Parsed | None = None
                ) -> tuple[Item | None, Item, dict[str, Any]]:
    rv = _return_values(p, ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"))
    parsed = parse(p, update=True) if parsed is None else parsed
    key = I.check_key(s, p["Key"])
    paths = [a[0] for acts in parsed.update.values() for a in acts]
    for path in paths:
        if path[0] in s.key_attrs():
            raise invalid(f"One or more parameter values were invalid: Cannot update attribute {path[0]}. "
                          "This attribute is part of the key")
    old = I.get(txn, s, key)
    check_condition(parsed.condition, old, p)
    base = old if old is not None else dict(key)
    new = E.apply_update(base, parsed.update) if parsed.update else dict(base)
    new = I.check_item(s, new, checked=True)
    I.write(txn, s, old, new)
    out: dict[str, Any] = {}
    if rv == "ALL_OLD" and old is not None:
        out["Attributes"] = old
    elif rv == "ALL_NEW":
        out["Attributes"] = new
    elif rv in ("UPDATED_OLD", "UPDATED_NEW"):
        src = (old or {}) if rv == "UPDATED_OLD" else new
        got = E.project(src, paths)
        if got:
            out["Attributes"] = got
    return old, new, out


def condition_check(txn: Txn, s: I.Schema, p: dict[str, Any], parsed: Parsed | None = None) -> Item | None:
    parsed = parse(p) if parsed is None else parsed
    key = I.check_key(s, p["Key"])
    old = I.get(txn, s, key)
    check_condition(parsed.condition, old, p)
    return old


def schema_for(txn: Txn, account: str, region: str, name: str) -> I.Schema:
    doc = T.get(txn, account, region, name)
    return I.schema(*T.owner(doc), doc)
