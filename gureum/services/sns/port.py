"""SNS's port for other services (gureum/ports.py `TopicPort`): publishing to a topic by ARN
as Publish does (topics.py), for S3 notifications and Lambda destinations."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from gureum.aws.errors import AwsError
from gureum.services.sns import topics

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.ports import Attributes


class Topics:
    """`TopicPort` on the topics of `app`'s store."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def publish(self, arn: str, message: str, *, subject: str | None = None,
                      attributes: Attributes | None = None, group: str | None = None,
                      dedup: str | None = None) -> str:
        topic = await self.app.store.read(lambda t: topics.get_topic(t, arn))
        attrs = {k: dict(v) for k, v in attributes.items()} if attributes else None
        fifo = bool(topic["fifo"])
        out = await topics.publish(self.app, topic, message, subject=subject, attrs=attrs,
                                   group=(group or "default") if fifo else None,
                                   dedup=(dedup or str(uuid.uuid4())) if fifo else None)
        return str(out["MessageId"])

    async def exists(self, arn: str) -> bool:
        try:
            await self.app.store.read(lambda t: topics.get_topic(t, arn))
        except AwsError:
            return False
        return True
