"""SNS's live objects in the node's typed registry (gureum/slots.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.slots import Slot

if TYPE_CHECKING:
    from gureum.services.sns.delivery import Deliverer
    from gureum.services.sns.signing import Signer

DELIVERER: Slot[Deliverer] = Slot("sns.deliverer")  # durable http(s) deliveries, once running
SIGNER: Slot[Signer] = Slot("sns.signer")  # this installation's signing key and certificate (signing.py)
