"""In-process delivery of a record to an SQS queue or SNS topic by ARN, for other services:
Lambda's OnSuccess/OnFailure destinations and DeadLetterConfig, S3 notifications.
`await send_record(app, arn, body)` returns False when the target does not exist."""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING

from gureum.aws import arn as arns

if TYPE_CHECKING:
    from gureum.app import App

log = logging.getLogger("gureum.events")


async def send_record(app: App, arn: str, body: str, *, subject: str | None = None,
                      attributes: dict[str, dict[str, str]] | None = None) -> bool:
    if arns.service_of(arn) == "sqs":
        from gureum.services.sqs.engine import Engine

        eng = await Engine.of(app)
        q = eng.by_arn(arn)
        if q is None:
            log.warning("record for %s dropped: the queue does not exist", arn)
            return False
        sent = await eng.send_to_arn(arn, body, attributes, group="destination" if q.fifo else None,
                                     dedup=str(uuid.uuid4()) if q.fifo else None, sender="AIDAGUREUMEVENTS")
        return sent is not None
    if arns.service_of(arn) == "sns":
        from gureum.aws.errors import AwsError
        from gureum.services.sns import topics

        try:
            topic = await app.store.read(lambda t: topics.get_topic(t, arn))
        except AwsError:
            log.warning("record for %s dropped: the topic does not exist", arn)
            return False
        await topics.publish(app, topic, body, subject=subject, attrs=attributes,
                             group="destination" if topic["fifo"] else None,
                             dedup=str(uuid.uuid4()) if topic["fifo"] else None)
        return True
    log.warning("record for %s dropped: not an SQS queue or SNS topic", arn)
    return False
