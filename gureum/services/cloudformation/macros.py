"""CloudFormation macros: the registry AWS::CloudFormation::Macro resources write, and the
call of a macro's Lambda function while a template is processed (transforms.py decides where).

Table:
- cfn_macros: "{account}/{region}/{name}" -> {"Name", "FunctionName", "Description",
  "LogGroupName", "LogRoleARN", "StackId", "LogicalResourceId"}: the macro of that name,
  usable by any stack's template in that account and Region (every node reads the same
  rows).

Invariants: a name has at most one macro per account and Region (a second is refused with
AlreadyExistsException, as AWS refuses it); the row is dropped when the resource that made it
is deleted. A macro's function is invoked synchronously (RequestResponse) with AWS's request
event; a response whose status is not "success" (case-insensitive) fails the transform with
its errorMessage, a function error or a response that is not that JSON as "Received malformed
response from transform ..." (AWS's wording both); each failure is also logged to the
macro's LogGroupName when it names one (macro_logs.py)."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from gureum.aws.errors import AwsError
from gureum.services.cloudformation import macro_logs
from gureum.services.cloudformation.template import TemplateError

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Txn

MACROS = "cfn_macros"
TABLES = (MACROS,)


class MacroFailed(TemplateError):
    """A macro that ran and failed (or answered what is no macro response): a change set
    records it as its FAILED StatusReason; CreateStack and UpdateStack refuse with it."""


def _key(account: str, region: str, name: str) -> str:
    return f"{account}/{region}/{name}"


def find(t: Txn, account: str, region: str, name: str) -> dict[str, Any] | None:
    return t.get(MACROS, _key(account, region, name))


def register(t: Txn, account: str, region: str, macro: dict[str, Any]) -> None:
    """Add `macro` (its "Name" free in the account and Region, else AlreadyExistsException)."""
    name = str(macro["Name"])
    if find(t, account, region, name) is not None:
        raise AwsError.modeled("cloudformation", "AlreadyExistsException", f"Macro {name} already exists")
    t.put(MACROS, _key(account, region, name), macro)


def replace(t: Txn, account: str, region: str, macro: dict[str, Any]) -> None:
    """Update the macro of that name in place (its FunctionName, Description, logging)."""
    t.put(MACROS, _key(account, region, str(macro["Name"])), macro)


def remove(t: Txn, account: str, region: str, name: str, stack_id: str) -> None:
    """Drop the macro `name` if the stack `stack_id` made it."""
    found = find(t, account, region, name)
    if found is not None and found.get("StackId") == stack_id:
        t.delete(MACROS, _key(account, region, name))


async def invoke(app: App, account: str, region: str, name: str, fragment: Any, params: dict[str, Any],
                 template_parameters: dict[str, Any]) -> Any:
    """The fragment the macro `name` makes of `fragment` (TemplateError with AWS's wording
    when there is no such macro or it fails)."""
    from gureum.aws import arn as arns
    from gureum.aws.internal_call import Caller, call

    transform_id = f"{account}::{name}"
    macro = await app.store.read(lambda t: find(t, account, region, name))
    if macro is None:
        raise TemplateError(f"No transform named {transform_id} found.")
    request_id = str(uuid.uuid4())
    event = {"region": region, "accountId": account, "fragment": fragment, "transformId": transform_id,
             "params": params, "requestId": request_id, "templateParameterValues": template_parameters}
    caller = Caller(account, region, arns.iam_root(account))

    async def fail(message: str) -> MacroFailed:
        await macro_logs.failed(app, account, region, macro, request_id, transform_id, message)
        return MacroFailed(message)

    try:
        out = await call(app, caller, "lambda", "Invoke", {"FunctionName": str(macro["FunctionName"]),
                                                          "InvocationType": "RequestResponse",
                                                          "Payload": json.dumps(event).encode()})
    except AwsError as e:
        raise await fail(f"Transform {transform_id} failed with: {e.message}") from None
    raw = out.get("Payload") or b""
    payload = raw.read() if hasattr(raw, "read") else raw
    try:
        answer = json.loads(payload or b"null")
    except ValueError:
        answer = None
    malformed = f"Received malformed response from transform {transform_id}"
    # a function error's payload ({"errorMessage", "errorType"}) is no macro response either
    if out.get("FunctionError") or not isinstance(answer, dict) or "status" not in answer:
        raise await fail(malformed)
    if str(answer.get("status")).lower() != "success":
        message = answer.get("errorMessage")
        if message:
            raise await fail(f"Transform {transform_id} failed with: {message}")
        raise await fail(f"Transform {transform_id} failed without an error message.")
    if "fragment" not in answer:
        raise await fail(malformed)
    return answer["fragment"]
