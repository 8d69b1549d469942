"""Topic deliveries to devices gureum reaches only on paper: a topic's `application`
subscriptions (a platform endpoint: the push is recorded as delivered, platforms.py) and `sms`
subscriptions (the text recorded with its delivery status, sms.py). A disabled or deleted
endpoint, or a disabled application, gets nothing, as AWS drops those deliveries (it would
log a delivery failure)."""

from __future__ import annotations

import logging
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.sns import platforms, sms
from gureum.store.base import Txn

log = logging.getLogger("gureum.sns")


def deliver(txn: Txn, topic: dict[str, Any], sub: dict[str, Any], message: str, structure: str | None,
            attrs: dict[str, Any], in_sandbox: bool, message_id: str) -> tuple[dict[str, Any] | None, AwsError] | None:
    """Deliver; for an endpoint that refused (disabled, or its application disabled): its
    application and the refusal, for the application's EventDeliveryFailure (app_events.py)."""
    if sub["protocol"] == "sms":
        text = platforms.message_for("sms", message, structure)
        sms.send(txn, topic["account"], topic["region"], sub["endpoint"], text, attrs, in_sandbox, message_id=message_id)
        return None
    try:
        platforms.publish(txn, topic["account"], topic["region"], sub["endpoint"], message, structure, attrs, message_id)
    except AwsError as err:
        log.info("SNS delivery to %s dropped: %s", sub["endpoint"], err.message)
        if err.code in ("EndpointDisabled", "PlatformApplicationDisabled"):
            return platforms.app_of(txn, platforms.get_endpoint(txn, sub["endpoint"])), err
    return None
