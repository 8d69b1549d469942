"""Stack events sent to the stack's NotificationARNs (SNS topics), as AWS sends them: subject
"AWS CloudFormation Notification", a message of `Key='value'` lines; every event, the "User
Initiated" one the request writes (`initiated`) included. A topic that refuses
(gone, no permission) loses the event; the stack goes on, as on AWS."""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from gureum.aws.errors import AwsError
from gureum.aws.internal_call import Caller, call

if TYPE_CHECKING:
    from gureum.app import App

log = logging.getLogger("gureum.cloudformation")


def message(stack: dict[str, Any], event: dict[str, Any], account: str, principal: str) -> str:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(event["Timestamp"])) + ".000Z"
    fields = [("StackId", stack["StackId"]), ("Timestamp", stamp), ("EventId", event["EventId"]),
              ("LogicalResourceId", event["LogicalResourceId"]), ("Namespace", account),
              ("PhysicalResourceId", event.get("PhysicalResourceId", "")), ("PrincipalId", principal),
              ("ResourceProperties", event.get("ResourceProperties", "null")),
              ("ResourceStatus", event["ResourceStatus"]), ("ResourceStatusReason", event.get("ResourceStatusReason", "")),
              ("ResourceType", event["ResourceType"]), ("StackName", stack["StackName"]), ("ClientRequestToken", "null")]
    return "".join(f"{k}='{v}'\n" for k, v in fields)


async def notify(app: App, caller: Caller, stack: dict[str, Any], event: dict[str, Any]) -> None:
    for topic in stack.get("NotificationARNs") or ():
        try:
            await call(app, caller, "sns", "Publish", {"TopicArn": topic, "Subject": "AWS CloudFormation Notification",
                                                       "Message": message(stack, event, caller.account_id, caller.principal_arn)})
        except AwsError as e:
            log.info("stack %s: notification to %s refused: %s", stack["StackName"], topic, e.code)


async def initiated(app: App, account: str, region: str, stack: dict[str, Any]) -> None:
    """The stack's "User Initiated" event (carried as "_event" by the document the request
    wrote) sent to its topics, as the stack's caller, before its worker starts."""
    event = stack.get("_event")
    if event is None or not stack.get("NotificationARNs"):
        return
    c = stack["caller"]
    await notify(app, Caller(account, region, c["principal"], c.get("key", "")), stack, event)
