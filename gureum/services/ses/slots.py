"""SES's objects in the node's typed registry (gureum/slots.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.slots import Slot

if TYPE_CHECKING:
    from gureum.services.ses.relay import Relay

RELAY: Slot[Relay] = Slot("ses.relay")  # this node's relay worker's wake-up
SMTP_PORT: Slot[int] = Slot("ses.smtp")  # the port the inbound SMTP server listens on
