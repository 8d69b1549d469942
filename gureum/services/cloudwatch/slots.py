"""CloudWatch's objects in the node's typed registry (gureum/slots.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.slots import Slot

if TYPE_CHECKING:
    from gureum.services.cloudwatch.emitter import Emitter

EMITTER: Slot[Emitter] = Slot("cloudwatch.emitter")  # the metrics other services emit, batched
