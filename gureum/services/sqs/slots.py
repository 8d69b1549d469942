"""SQS's objects in the node's typed registry (gureum/slots.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.slots import Slot

if TYPE_CHECKING:
    from gureum.services.sqs.engine import Engine

ENGINE: Slot[Engine] = Slot("sqs.engine")  # every queue in memory, loaded on first use
