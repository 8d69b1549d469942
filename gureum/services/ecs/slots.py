"""What ECS shares on the node (gureum/slots.py): its task agent, once it runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.slots import Slot

if TYPE_CHECKING:
    from gureum.services.ecs.agent import TaskAgent

AGENT: Slot[TaskAgent] = Slot("ecs")  # this node's task agent (tasks, networks, runc)
