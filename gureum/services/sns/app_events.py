"""Mobile application events (AWS: "Amazon SNS application event notifications"): a platform
application's EventEndpointCreated / EventEndpointDeleted / EventEndpointUpdated /
EventDeliveryFailure attributes name topics that are told, by a Publish of a JSON message,
when one of its endpoints is created, deleted or changed, or when a delivery to one fails for
good (a disabled endpoint). The message: {"EventType", "Resource" (the application's ARN),
"EndpointArn", "Service": "SNS", "Time"} and, for failures, "FailureType", "FailureMessage",
"MessageId" (of the message that was not delivered), "DeliveryAttempts"."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

ATTRIBUTE = {"EndpointCreated": "EventEndpointCreated", "EndpointDeleted": "EventEndpointDeleted",
             "EndpointUpdated": "EventEndpointUpdated", "DeliveryFailure": "EventDeliveryFailure"}


def event(app_doc: dict[str, Any] | None, kind: str, endpoint_arn: str, **extra: Any) -> tuple[str, str] | None:
    """(topic ARN, message) of the event `kind` about an endpoint of the application, or None
    when the application names no topic for it. The caller publishes it (topics.publish)."""
    topic_arn = (app_doc or {}).get("attrs", {}).get(ATTRIBUTE[kind])
    if not topic_arn or app_doc is None:
        return None
    now = dt.datetime.now(dt.UTC)
    message = {"EventType": kind, "Resource": app_doc["arn"], "EndpointArn": endpoint_arn, "Service": "SNS",
               "Time": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z", **extra}
    return str(topic_arn), json.dumps(message)
