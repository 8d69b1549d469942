"""Kinesis's per-node objects (gureum/slots.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.slots import Slot

if TYPE_CHECKING:
    from gureum.services.kinesis.records import WriteLimiter

LIMITER: Slot[WriteLimiter] = Slot("kinesis-write-limiter")
