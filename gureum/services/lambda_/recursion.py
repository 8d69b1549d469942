"""Recursive loop detection, as AWS does it: every invocation's X-Ray trace header carries a
Lineage ("Lineage=<version>:<function hash>:<count>", several joined by "|") that counts how
often the chain of events it belongs to has invoked each function. AWS SDKs send the
function's trace header (_X_AMZN_TRACE_ID) with every request as X-Amzn-Trace-Id; SQS keeps
it on the message (AWSTraceHeader) and the event source mapping passes it on, SNS passes it
to the functions it invokes (gureum.delivery.Source.trace), an Invoke carries it itself. An invocation that would be a function's (LIMIT + 1)th in one chain is
stopped unless the function's RecursiveLoop is Allow: a synchronous Invoke answers
RecursiveInvocationException; an asynchronous event goes to the function's dead-letter queue
and on-failure destination (condition "RecursiveInvocationException"); SQS messages are not
deleted, so they come back after their visibility timeout and the queue's redrive policy
moves them to its dead-letter queue (without one they stay until their retention ends).

The configuration is the function document's "recursion" (model.py; absent: Terminate),
written with the function's change event.
"""

from __future__ import annotations

import functools
import hashlib
import random
import time
from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.lambda_ import model
from gureum.store import Txn

LIMIT = 16  # invocations of one function by one chain of events before Lambda stops it
DEFAULT = "Terminate"


class RecursionStopped(Exception):
    """This invocation would continue a recursive loop: Lambda stops it."""

    def __init__(self, function_arn: str, count: int) -> None:
        super().__init__(f"{function_arn} invoked {count} times by one chain of events")
        self.function_arn = function_arn
        self.count = count


def stopped_error() -> AwsError:
    return AwsError.modeled("lambda", "RecursiveInvocationException",
                            "Lambda has detected your function being invoked in a recursive loop with other AWS resources and "
                            "stopped your function's invocation.", Type="User")


@functools.lru_cache(maxsize=4096)
def function_hash(function_arn: str) -> str:
    """The function's entry name in a Lineage (worked out once per ARN: every invocation asks)."""
    return hashlib.sha256(function_arn.encode()).hexdigest()[:8]


def _fields(header: str | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in (header or "").split(";"):
        k, sep, v = part.strip().partition("=")
        if sep and k:
            out[k] = v
    return out


def lineage(header: str | None) -> dict[str, int]:
    """function hash -> count, from a trace header's Lineage field."""
    counts: dict[str, int] = {}
    for entry in _fields(header).get("Lineage", "").split("|"):
        parts = entry.split(":")
        if len(parts) == 3:
            parts = parts[1:]  # "<version>:<hash>:<count>"
        if len(parts) == 2 and parts[1].isdigit():
            counts[parts[0]] = max(counts.get(parts[0], 0), int(parts[1]))
    return counts


def count_in(header: str | None, function_arn: str) -> int:
    """How often the chain `header` belongs to has invoked this function."""
    return lineage(header).get(function_hash(function_arn), 0)


def next_trace(incoming: str | None, function_arn: str) -> tuple[str, int]:
    """The trace header this invocation runs with (the incoming chain's root, this function's
    count one higher) and that count."""
    fields = _fields(incoming) if incoming else {}
    counts = lineage(incoming) if incoming else {}
    mine = function_hash(function_arn)
    counts[mine] = counts.get(mine, 0) + 1
    h = random.getrandbits(96)
    root = fields.get("Root") or "1-%08x-%024x" % (int(time.time()), h)
    parent = "%016x" % random.getrandbits(64)
    sampled = fields.get("Sampled", "0")
    entries = "|".join(f"1:{k}:{n}" for k, n in counts.items())
    return f"Root={root};Parent={parent};Sampled={sampled};Lineage={entries}", counts[mine]


def check(doc: dict[str, Any], function_arn: str, count: int) -> None:
    """Raise RecursionStopped when an invocation that is the function's `count`th in its
    chain must be stopped (the function's RecursiveLoop is not Allow)."""
    if count > LIMIT and (doc.get("recursion") or DEFAULT) != "Allow":
        raise RecursionStopped(function_arn, count)


# --- configuration ----------------------------------------------------------------------
def put(txn: Txn, key: str, arn: str, value: str) -> str:
    doc = model.get_function(txn, key, arn)
    doc["recursion"] = value
    txn.put(model.FUNCTIONS, key, doc)
    model.changed(txn, key, "recursion")
    return value


def get(txn: Txn, key: str, arn: str) -> str:
    return str(model.get_function(txn, key, arn).get("recursion") or DEFAULT)


def _function(ctx: RequestContext, params: dict[str, Any]) -> tuple[str, str]:
    name, qualifier = model.parse_name(params["FunctionName"], ctx.account_id, ctx.region)
    if qualifier is not None:
        raise AwsError.modeled("lambda", "InvalidParameterValueException",
                               "This operation is permitted on Lambda functions only. Aliases and versions do not support this "
                               "operation. Please specify either a function name or an unqualified function ARN.", Type="User")
    return model.fn_key(ctx.account_id, ctx.region, name), model.function_arn(ctx.account_id, ctx.region, name)


@operation("lambda", "PutFunctionRecursionConfig")
async def put_function_recursion_config(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, arn = _function(ctx, params)
    value = params.get("RecursiveLoop") or DEFAULT
    return {"RecursiveLoop": await ctx.app.store.run(lambda t: put(t, key, arn, value))}


@operation("lambda", "GetFunctionRecursionConfig")
async def get_function_recursion_config(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, arn = _function(ctx, params)
    return {"RecursiveLoop": await ctx.app.store.read(lambda t: get(t, key, arn))}
