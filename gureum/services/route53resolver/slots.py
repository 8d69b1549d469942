"""Route 53 Resolver's live objects in the node's typed registry (gureum/slots.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.slots import Slot

if TYPE_CHECKING:
    from gureum.services.route53resolver.server import ResolverServer

RESOLVER: Slot[ResolverServer] = Slot("resolver")  # the recursive resolver, once it listens
