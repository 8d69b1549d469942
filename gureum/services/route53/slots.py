"""Route 53's live objects in the node's typed registry (gureum/slots.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.slots import Slot

if TYPE_CHECKING:
    from gureum.services.route53.health import HealthChecker
    from gureum.services.route53.server import DnsServer

DNS: Slot[DnsServer] = Slot("dns")  # the authoritative DNS server, once it listens
HEALTH: Slot[HealthChecker] = Slot("route53-health")  # the health checker, once loaded
