"""Reserved concurrency: how many of the account's concurrent executions a function keeps
for itself (and may not exceed).

Stored inside the function document (lambda.functions <fn>, see model.py) as "reserved":
an int, or None when the function draws on the account's unreserved pool. Invariant: the
account's unreserved concurrency (its ConcurrentExecutions minus every function's
reservation) never falls below model.MIN_UNRESERVED. Every write publishes one change
event (model.changed): the engine drops its cached reservation totals and limits with it.
"""

from __future__ import annotations

from gureum.aws.errors import AwsError
from gureum.services.lambda_ import model
from gureum.store import Txn


def put(txn: Txn, account: str, region: str, key: str, arn: str, wanted: int, account_limit: int) -> None:
    """PutFunctionConcurrency (`account_limit`: the account's ConcurrentExecutions)."""
    doc = model.get_function(txn, key, arn)
    others = model.reserved_total(txn, account, region, exclude=key)
    if account_limit - others - wanted < model.MIN_UNRESERVED:
        raise AwsError.modeled("lambda", "InvalidParameterValueException", f"Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [{model.MIN_UNRESERVED}].", Type="User")
    doc["reserved"] = wanted
    txn.put(model.FUNCTIONS, key, doc)
    model.changed(txn, key, "concurrency")


def get(txn: Txn, key: str, arn: str) -> int | None:
    """GetFunctionConcurrency: the reservation, or None."""
    reserved = model.get_function(txn, key, arn).get("reserved")
    return None if reserved is None else int(reserved)


def delete(txn: Txn, key: str, arn: str) -> None:
    """DeleteFunctionConcurrency."""
    doc = model.get_function(txn, key, arn)
    doc["reserved"] = None
    txn.put(model.FUNCTIONS, key, doc)
    model.changed(txn, key, "concurrency")
