"""On-demand request units in the usage ledger: every data-plane operation of an on-demand
(PAY_PER_REQUEST) table adds the read and write request units it consumed (capacity.py's
arithmetic, the figures ReturnConsumedCapacity reports, secondary indexes included) to the
ledger's in-memory counters (`Ledger.add`: unit "ReadRequestUnits"/"WriteRequestUnits",
resource the table ARN), written at the ledger's next flush, never one store write per request.

`metered(handler)` runs the handler with ReturnConsumedCapacity TOTAL (INDEXES when asked),
counts what it reports, and gives the caller the ConsumedCapacity it asked for (none when it
did not). Provisioned tables pay for capacity, not requests: they add nothing here. A table's
billing mode is read from its document and kept `_MODE_TTL` seconds per node (a table switched
to on-demand is metered from then on, within that time).
"""

from __future__ import annotations

import functools
import time
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.dispatch import Handler, RequestContext, call_handler
from gureum.services.dynamodb import tables as T
from gureum.store import Txn

DATA_PLANE = frozenset({
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem",
    "TransactGetItems", "TransactWriteItems", "ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction",
})  # fmt: skip
READ_UNIT = "ReadRequestUnits"
WRITE_UNIT = "WriteRequestUnits"
_MODE_TTL = 5.0
_modes: dict[tuple[str, str, str], tuple[str | None, float]] = {}


def _owner(ctx: RequestContext, table: str) -> tuple[str, str, str]:
    """(account, region, name) of the table named by name or ARN in a request of `ctx`."""
    if arns.looks_like_arn(table):
        parsed = arns.try_parse(table)
        if parsed is not None and parsed.service == "dynamodb":
            return parsed.account, parsed.region, T.name_of(table)
    return ctx.account_id, ctx.region, table


async def _billing_mode(ctx: RequestContext, account: str, region: str, name: str) -> str | None:
    key = (account, region, name)
    now = time.monotonic()
    hit = _modes.get(key)
    if hit is not None and hit[1] > now:
        return hit[0]

    def read(t: Txn) -> str | None:
        doc = t.get(T.TABLES, T.table_key(account, region, name))
        return None if doc is None else str(doc.get("BillingMode") or "PROVISIONED")

    mode = await ctx.app.store.read(read)
    _modes[key] = (mode, now + _MODE_TTL)
    return mode


async def count(ctx: RequestContext, consumed: Any) -> None:
    """Add the request units of a ConsumedCapacity member (one or a list) to the ledger."""
    members = consumed if isinstance(consumed, list) else [consumed] if isinstance(consumed, dict) else []
    for cc in members:
        if not isinstance(cc, dict) or not cc.get("TableName"):
            continue
        account, region, name = _owner(ctx, str(cc["TableName"]))
        if await _billing_mode(ctx, account, region, name) != "PAY_PER_REQUEST":
            continue
        arn = arns.dynamodb_table(region, account, name)
        for unit, field in ((READ_UNIT, "ReadCapacityUnits"), (WRITE_UNIT, "WriteCapacityUnits")):
            n = float(cc.get(field) or 0.0)
            if n > 0:
                ctx.app.ledger.add(account, region, "dynamodb", unit, arn, n)


def metered(handler: Handler) -> Handler:
    """`handler` with its consumed request units counted in the ledger."""

    @functools.wraps(handler)
    async def run(ctx: RequestContext, params: dict[str, Any]) -> Any:
        asked = params.get("ReturnConsumedCapacity")
        inner = dict(params, ReturnConsumedCapacity="INDEXES" if asked == "INDEXES" else "TOTAL")
        out = await call_handler(handler, ctx, inner)
        if isinstance(out, dict):
            await count(ctx, out.get("ConsumedCapacity"))
            if asked not in ("TOTAL", "INDEXES"):
                out.pop("ConsumedCapacity", None)
        return out

    return run
