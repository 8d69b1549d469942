"""SQS's settings (`gureum up --set sqs.KEY=VALUE` or GUREUM_SQS_KEY; gureum/settings.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class SqsSettings:
    PREFIX: ClassVar[str] = "sqs"
    metrics_interval: float = 60.0
    """seconds between samples of the queues' AWS/SQS gauges (ApproximateNumberOfMessagesVisible...)"""
    follow_interval: float = 0.2
    """seconds between reads of other nodes' queue changes and sends (shared store): how soon
    a long poll here wakes for a message sent through another node"""
