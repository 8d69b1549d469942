"""Lambda's in-process interface for other services, and where async results go.

`deliver_to_lambda(app, function_arn, event)` queues an asynchronous (Event) invocation of a
function (S3 and SNS notifications, EventBridge rules, ...) in the durable event queue;
`send_to_destination(app, arn, body)` delivers an async invocation's record to a Lambda
function, an SQS queue or an SNS topic, through those services' own in-process interfaces.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gureum.app import App

log = logging.getLogger("gureum.lambda.events")


async def deliver_to_lambda(app: App, function_arn: str, event: dict[str, Any] | bytes) -> str | None:
    """Invoke `function_arn` (optionally qualified) asynchronously; returns the request id."""
    from gureum.services.lambda_.async_queue import enqueue

    parts = function_arn.split(":")
    if len(parts) < 7 or parts[2] != "lambda":
        log.warning("not a function ARN: %s", function_arn)
        return None
    payload = event if isinstance(event, bytes) else json.dumps(event).encode()
    qualifier = parts[7] if len(parts) > 7 else None
    request_id = await enqueue(app, parts[4], parts[3], parts[6], qualifier, payload)
    from gureum.services.lambda_.slots import ENGINE

    engine = app.parts.get(ENGINE)
    if engine is not None and engine.queue is not None:
        engine.queue.wake()
    return request_id


async def send_to_destination(app: App, arn: str, body: str) -> bool:
    """Deliver `body` to a destination ARN; False (logged) when it cannot be delivered."""
    try:
        if arn.startswith("arn:aws:lambda:"):
            return await deliver_to_lambda(app, arn, body.encode()) is not None
        if arn.startswith("arn:aws:sqs:"):
            from gureum.services.sqs.engine import Engine

            return await (await Engine.of(app)).send_to_arn(arn, body) is not None
        if arn.startswith("arn:aws:sns:"):
            from gureum.services.sns.topics import publish_internal

            await publish_internal(app, arn, body)
            return True
    except ImportError:
        pass
    except Exception:
        log.exception("delivery to %s failed", arn)
        return False
    log.warning("destination %s is not supported yet: record dropped", arn)
    return False
