"""CloudWatch Logs' settings (`gureum up --set logs.KEY=VALUE` or GUREUM_LOGS_KEY;
gureum/settings.py): how the node's one log writer (writer.py, `app.logs`) batches."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class LogsSettings:
    PREFIX: ClassVar[str] = "logs"
    flush_interval: float = 0.2
    """seconds log lines wait to be written together (all are written when the node stops)"""
    retention_interval: float = 600.0
    """seconds between passes deleting events older than their group's retention"""
    live_tail_max_seconds: float = 10800.0
    """seconds a StartLiveTail session streams before it ends with SessionTimeoutException (AWS: 3 hours)"""
    scheduled_query_interval: float = 10.0
    """seconds between checks for scheduled queries due to run (they fire at minute precision)"""
