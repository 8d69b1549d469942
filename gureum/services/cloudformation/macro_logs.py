"""A macro's error logging (AWS::CloudFormation::Macro LogGroupName and LogRoleARN): when an
invocation of the macro's Lambda function fails (the Invoke refused, a function error, a
response that is no macro response, a status other than success), CloudFormation writes
one line about it to the macro's log group through the node's CloudWatch Logs writer.

What is logged: one JSON object a failure, {"requestId", "transformId", "functionName",
"errorMessage"} (the message the stack operation is refused with), in the stream named after
the macro. A successful invocation logs nothing (AWS's LogGroupName takes "error logging
information").

Invariants, as AWS documents them: the group must already exist (neither CloudFormation nor
Lambda creates it: a missing group means nothing is written, and it is not created); with a
LogRoleARN, the line is written only if that role exists and trusts
cloudformation.amazonaws.com (CloudFormation assumes it to write). Logging never changes the
operation's outcome."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gureum.app import App

TRUSTED = "cloudformation.amazonaws.com"


def line(request_id: str, transform_id: str, function_name: str, message: str) -> str:
    return json.dumps({"requestId": request_id, "transformId": transform_id, "functionName": function_name,
                       "errorMessage": message})


async def failed(app: App, account: str, region: str, macro: dict[str, Any], request_id: str, transform_id: str,
                 message: str) -> None:
    """Log the failure `message` of one invocation of `macro` (a registry row, macros.py) if
    the macro names a log group that exists and a role CloudFormation may assume, if any."""
    from gureum.services.iam import port as iam
    from gureum.services.logs import port as logs

    group = macro.get("LogGroupName")
    if not group:
        return
    if not await app.store.read(lambda t: logs.group_exists(t, account, region, str(group))):
        return
    role_arn = macro.get("LogRoleARN")
    if role_arn:
        role = await iam.get_role(app, account, str(role_arn))
        if role is None or not iam.role_trusts_service(role, TRUSTED):
            return
    entry = line(request_id, transform_id, str(macro.get("FunctionName", "")), message)
    app.logs.append(account, region, str(group), str(macro["Name"]), [(int(time.time() * 1000), entry)])
