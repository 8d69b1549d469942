"""SNS dead-letter queues: a message SNS could not deliver to a subscription goes to the
queue its RedrivePolicy names (deadLetterTargetArn), when that queue's policy lets the topic
send, through gureum/delivery.py."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.delivery import Source, deliver
from gureum.policy.delivery import may_deliver

if TYPE_CHECKING:
    from gureum.app import App

log = logging.getLogger("gureum.sns")

SNS_DELIVERY = Source(sender="AIDASNSDELIVERY")  # how queues and functions see SNS deliver


async def to_dead_letter_queue(app: App, sub: dict[str, Any], body: str) -> None:
    """An undeliverable message goes to the subscription's dead-letter queue, if it has one."""
    if sub.get("pending"):
        return
    try:
        target = json.loads(sub["attrs"].get("RedrivePolicy") or "{}").get("deadLetterTargetArn")
    except ValueError:
        target = None
    if not target:
        return
    topic_arn = sub["topic"]
    if not await may_deliver(app, "sns.amazonaws.com", "sqs:SendMessage", target, source_arn=topic_arn,
                             source_account=arns.parse(topic_arn).account):
        log.warning("SNS dead-letter queue %s refused: its policy does not allow this topic", target)
        return
    try:
        await deliver(app, target, body, source=SNS_DELIVERY, group="sns-dlq")
    except AwsError as exc:
        log.warning("SNS dead-letter queue %s: %s", target, exc.message)
