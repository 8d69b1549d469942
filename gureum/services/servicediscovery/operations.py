"""ListOperations: the operations Cloud Map recorded (sd.operations, model.py: every create,
update and delete of a namespace, every service update, every instance registration and
deregistration), paged in the store's key order, with AWS's filters:
- NAMESPACE_ID, SERVICE_ID: EQ with one value (the operation's NAMESPACE / SERVICE target);
- STATUS, TYPE: EQ with one value, or IN with one or more;
- UPDATE_DATE: BETWEEN a start and an end (Unix time, seconds; the start first).
Filters combine with AND. A condition a filter does not support, or a wrong number of
values, is InvalidInput. Operations complete synchronously here (Status SUCCESS)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gureum.aws import paging
from gureum.aws.errors import AwsError
from gureum.services.servicediscovery import model
from gureum.store import Txn

_CONDITIONS = {"NAMESPACE_ID": ("EQ",), "SERVICE_ID": ("EQ",), "STATUS": ("EQ", "IN"), "TYPE": ("EQ", "IN"),
               "UPDATE_DATE": ("BETWEEN",)}
_TARGET = {"NAMESPACE_ID": "NAMESPACE", "SERVICE_ID": "SERVICE"}


def _invalid(message: str) -> AwsError:
    return AwsError.modeled("servicediscovery", "InvalidInput", message)


def _matcher(f: dict[str, Any]) -> Callable[[dict[str, Any]], bool]:
    name, values = f["Name"], list(f["Values"])
    cond = f.get("Condition") or ("BETWEEN" if name == "UPDATE_DATE" else "EQ")
    if cond not in _CONDITIONS[name]:
        raise _invalid(f"Condition {cond} is not supported for the filter {name}.")
    if cond == "EQ" and len(values) != 1:
        raise _invalid(f"Filter {name} with condition EQ takes exactly one value.")
    if cond == "BETWEEN":
        try:
            start, end = (float(v) for v in values)
        except ValueError:
            raise _invalid("Filter UPDATE_DATE takes a start and an end date in Unix time, the start first.") from None
        return lambda op: start <= float(op["UpdateDate"]) <= end
    if name in _TARGET:
        target = _TARGET[name]
        return lambda op: (op.get("Targets") or {}).get(target) in values
    field = {"STATUS": "Status", "TYPE": "Type"}[name]
    return lambda op: op.get(field) in values


def summaries(txn: Txn, account: str, region: str, params: dict[str, Any]) -> tuple[list[dict[str, str]], str | None]:
    """One page of OperationSummary ({"Id", "Status"}) and the next token."""
    tests = [_matcher(f) for f in params.get("Filters") or []]
    rows, token = paging.page(txn, model.OPERATIONS, model.sc(account, region), token=params.get("NextToken"),
                              limit=params.get("MaxResults"), default_limit=100, max_limit=100,
                              keep=lambda op: all(t(op) for t in tests), filters={"Filters": params.get("Filters")},
                              error=lambda: _invalid("NextToken is invalid."))
    return [{"Id": op["Id"], "Status": op["Status"]} for _, op in rows], token
