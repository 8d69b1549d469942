"""Shared by the CloudFormation tests: unique names, stack create/update/delete, waiting for a stack to settle,
errors."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for

CAPABILITY_IAM = ("CAPABILITY_IAM",)


def uniq(prefix: str = "s") -> str:
    """A name made unique by a random suffix."""
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def settle(cfn: Any, stack: str, timeout: float = 90.0) -> dict[str, Any]:
    """The stack once its status no longer ends in _IN_PROGRESS."""
    def done() -> dict[str, Any] | None:
        s = cfn.describe_stacks(StackName=stack)["Stacks"][0]
        return None if s["StackStatus"].endswith("_IN_PROGRESS") else s
    result: dict[str, Any] = wait_for(f"stack {stack} to settle", done, timeout)
    return result


def error_of(call: Any) -> tuple[str, str]:
    """(code, message) of the ClientError `call()` raises."""
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
    """(logical id, status, reason) of the failed events, to explain an assertion: the causes
    first, the resources cancelled because of them last (pytest cuts a long message short)."""
    failed = [(e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason", "")) for e in events(cfn, stack)
              if e["ResourceStatus"].endswith("FAILED")]
    return sorted(failed, key=lambda f: f[2] in ("Resource creation cancelled", "Resource update cancelled"))


def code_of(call: Callable[..., Any], **kwargs: Any) -> str:
    """The error code of the ClientError `call(**kwargs)` raises."""
    return error_of(lambda: call(**kwargs))[0]


def parameters(given: dict[str, str]) -> list[dict[str, str]]:
    """CloudFormation's Parameters list for {key: value}."""
    return [{"ParameterKey": k, "ParameterValue": v} for k, v in given.items()]


def outputs(stack: dict[str, Any]) -> dict[str, str]:
    """A stack's outputs as {key: value} (empty if it has none)."""
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []}


def create_stack(cfn: Any, name: str, template: str, given: dict[str, str], capabilities: Sequence[str] = (),
                 timeout: float = 120.0) -> dict[str, Any]:
    """Create a stack and wait for it; the stack, asserted CREATE_COMPLETE."""
    cfn.create_stack(StackName=name, TemplateBody=template, Parameters=parameters(given), Capabilities=list(capabilities))
    stack = settle(cfn, name, timeout=timeout)
    assert stack["StackStatus"] == "CREATE_COMPLETE", failures(cfn, name)
    return stack


def update_stack(cfn: Any, name: str, template: str, given: dict[str, str], capabilities: Sequence[str] = (),
                 expect: str = "UPDATE_COMPLETE", timeout: float = 120.0) -> dict[str, Any]:
    """Update a stack and wait for it; the stack, asserted in status `expect`."""
    cfn.update_stack(StackName=name, TemplateBody=template, Parameters=parameters(given), Capabilities=list(capabilities))
    stack = settle(cfn, name, timeout=timeout)
    assert stack["StackStatus"] == expect, failures(cfn, name)
    return stack


def delete_stack(cfn: Any, stack: dict[str, Any], timeout: float = 120.0) -> None:
    """Delete a stack and wait for it (by id, as its name is gone once deleted); asserts DELETE_COMPLETE."""
    cfn.delete_stack(StackName=stack["StackName"])
    stack_id = stack["StackId"]
    assert settle(cfn, stack_id, timeout=timeout)["StackStatus"] == "DELETE_COMPLETE", failures(cfn, stack_id)
