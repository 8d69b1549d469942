"""ECS task scale-in protection (GetTaskProtection, UpdateTaskProtection) as AWS keeps it:
only a service's tasks can be protected; protection lasts `expiresInMinutes` (1..2880, 120 by
default) and then lapses on its own; the service scheduler (scheduler_plan.py) does not pick a
protected task when it scales in.

Stored on the task doc (ecs.tasks, see model.py) under "_": "protectedUntil" (epoch seconds;
absent when unprotected). `protected_until(doc, now)` is the one reading of it.
"""

from __future__ import annotations

import datetime
from typing import Any

from gureum.aws.errors import AwsError
from gureum.store import Txn

DEFAULT_MINUTES = 120
MAX_MINUTES = 2880


def protected_until(doc: dict[str, Any], now: float) -> float | None:
    """When the task's protection ends, or None if it is not protected at `now`."""
    until = (doc.get("_") or {}).get("protectedUntil")
    return until if until is not None and until > now and doc.get("lastStatus") != "STOPPED" else None


def _view(doc: dict[str, Any], now: float) -> dict[str, Any]:
    until = protected_until(doc, now)
    out: dict[str, Any] = {"taskArn": doc["taskArn"], "protectionEnabled": until is not None}
    if until is not None:
        out["expirationDate"] = datetime.datetime.fromtimestamp(until, datetime.timezone.utc).isoformat()
    return out


def check_refs(refs: list[str]) -> None:
    if not refs:
        raise AwsError.modeled("ecs", "InvalidParameterException", "Tasks cannot be empty.")
    if len(refs) > 10:
        raise AwsError.modeled("ecs", "InvalidParameterException", "Tasks cannot have more than 10 elements.")


def minutes(params: dict[str, Any]) -> int:
    n = params.get("expiresInMinutes")
    n = DEFAULT_MINUTES if n is None else int(n)
    if not 1 <= n <= MAX_MINUTES:
        raise AwsError.modeled("ecs", "InvalidParameterException", f"expiresInMinutes must be between 1 and {MAX_MINUTES}.")
    return n


def read(doc: dict[str, Any], now: float) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(protectedTasks entry, failure) for one found task."""
    if not (doc.get("_") or {}).get("service"):
        return None, {"arn": doc["taskArn"], "reason": "TASK_NOT_VALID", "detail": "The task is not part of a service."}
    return _view(doc, now), None


def update(txn: Txn, table: str, key: str, doc: dict[str, Any], enabled: bool, expires_in: int, now: float
           ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Set or clear one found task's protection; (protectedTasks entry, failure)."""
    entry, failure = read(doc, now)
    if failure is not None:
        return None, failure
    if doc.get("lastStatus") == "STOPPED" or doc.get("desiredStatus") == "STOPPED":
        return None, {"arn": doc["taskArn"], "reason": "TASK_NOT_VALID", "detail": "The task is stopping or stopped."}
    if enabled:
        doc["_"]["protectedUntil"] = now + expires_in * 60
    else:
        doc["_"].pop("protectedUntil", None)
    txn.put(table, key, doc)
    return _view(doc, now), None
