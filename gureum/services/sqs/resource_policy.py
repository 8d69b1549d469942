"""SQS's resource policy for the authorization gate: the queue's `Policy` attribute."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.aws import arn as arns
from gureum.services.sqs.engine import Engine

if TYPE_CHECKING:
    from gureum.app import App


async def read(app: App, arn: str) -> str | None:
    """The policy text of the queue `arn` (arn:aws:sqs:<region>:<account>:<name>), or None
    when the queue has none or does not exist."""
    a = arns.try_parse(arn)
    if a is None:
        return None
    eng = await Engine.of(app)
    q = eng.queues.get(f"{a.account}/{a.region}/{a.resource}")
    return (q.attrs.get("Policy") or None) if q is not None else None
