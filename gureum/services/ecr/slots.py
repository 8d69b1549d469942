"""ECR's objects in the node's typed registry (gureum/slots.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.slots import Slot

if TYPE_CHECKING:
    from gureum.services.ecr.engine import Registry

REGISTRY: Slot[Registry] = Slot("ecr.registry")  # the registry engine, made on first use
