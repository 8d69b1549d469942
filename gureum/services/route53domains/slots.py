"""Route 53 Domains' live objects in the node's typed registry (gureum/slots.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.slots import Slot

if TYPE_CHECKING:
    from gureum.services.route53domains.zones import RegistryZones

# the registry's root and TLD zones, once the DNS server serves them (zones.py); the resolver
# waits for it before its first iteration from the root
ZONES: Slot[RegistryZones] = Slot("domains-registry")
