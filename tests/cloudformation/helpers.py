"""Shared by the CloudFormation tests: unique names, waiting for a stack to settle, errors."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for


def uniq(prefix: str = "s") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def settle(cfn: Any, stack: str, timeout: float = 90.0) -> dict[str, Any]:
    """The stack once its status no longer ends in _IN_PROGRESS."""
    def done() -> dict[str, Any] | None:
        s = cfn.describe_stacks(StackName=stack)["Stacks"][0]
        return None if s["StackStatus"].endswith("_IN_PROGRESS") else s
    result: dict[str, Any] = wait_for(f"stack {stack} to settle", done, timeout)
    return result


def error_of(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as e:
        call()
    err = e.value.response["Error"]
    return str(err["Code"]), str(err["Message"])


def statuses(cfn: Any, stack: str) -> list[tuple[str, str]]:
    """(logical id, status) of every event, oldest first."""
    return [(e["LogicalResourceId"], e["ResourceStatus"]) for e in events(cfn, stack)]


def events(cfn: Any, stack: str) -> list[dict[str, Any]]:
    """Every event, oldest first."""
    out: list[dict[str, Any]] = []
    for page in cfn.get_paginator("describe_stack_events").paginate(StackName=stack):
        out.extend(page["StackEvents"])
    return list(reversed(out))


def failures(cfn: Any, stack: str) -> list[tuple[str, str, str]]:
    """(logical id, status, reason) of the failed events, to explain an assertion."""
    return [(e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason", "")) for e in events(cfn, stack)
            if e["ResourceStatus"].endswith("FAILED")]
