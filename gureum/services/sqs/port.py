"""SQS's port for other services (gureum/ports.py `QueuePort`): sending to a queue by ARN
through this node's queue engine (engine.py), as SendMessage does after its checks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.services.sqs import errors
from gureum.services.sqs.engine import Engine

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.ports import Attributes


class Queues:
    """`QueuePort` on the queue engine of `app`."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def send(self, arn: str, body: str, *, attributes: Attributes | None = None,
                   group: str | None = None, dedup: str | None = None, sender: str = "") -> str:
        eng = await Engine.of(self.app)
        attrs = {k: dict(v) for k, v in attributes.items()} if attributes else None
        sent = await eng.send_to_arn(arn, body, attrs, group=group, dedup=dedup, sender=sender)
        if sent is None:
            raise errors.queue_does_not_exist()
        return sent.id

    async def exists(self, arn: str) -> bool:
        return (await Engine.of(self.app)).by_arn(arn) is not None
