"""Delivery to Lambda for SNS and S3 notifications: `deliver_to_lambda(app, function_arn,
event)` queues an asynchronous (Event) invocation. It uses Lambda's own
`gureum.services.lambda_.events.deliver_to_lambda` when that exists, else the running Lambda
component's durable event queue; without Lambda the event is logged and dropped."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gureum.app import App

log = logging.getLogger("gureum.events.lambda")


async def deliver_to_lambda(app: App, function_arn: str, event: dict[str, Any]) -> bool:
    try:
        from gureum.services.lambda_ import events  # type: ignore[attr-defined]

        hook = getattr(events, "deliver_to_lambda", None)
    except ImportError:
        hook = None
    if hook is not None:
        await hook(app, function_arn, event)
        return True
    from gureum.services.lambda_.slots import ENGINE

    engine = app.parts.get(ENGINE)
    queue = engine.queue if engine is not None else None
    parts = function_arn.split(":")
    if queue is None or len(parts) < 7:
        log.warning("event for %s dropped: Lambda delivery is not available", function_arn)
        return False
    qualifier = parts[7] if len(parts) > 7 else None
    await queue.enqueue_raw(parts[4], parts[3], parts[6], qualifier, json.dumps(event).encode())
    return True
