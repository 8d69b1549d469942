"""CloudWatch Logs' objects in the node's typed registry (gureum/slots.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.slots import Slot

if TYPE_CHECKING:
    from gureum.services.logs.live_tail import Sessions

LIVE_TAILS: Slot[Sessions] = Slot("logs.live-tails")  # this node's open StartLiveTail sessions, made on first use
