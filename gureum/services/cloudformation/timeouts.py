"""A stack's TimeoutInMinutes: the deadline of its create (from CreationTime; each minute is
`cloudformation.minute_seconds` seconds, 60 as on AWS) and AWS's words when it passes. Past
the deadline the engine stops what is still being created (CREATE_FAILED "Resource creation
cancelled") and rolls the stack back (or leaves it CREATE_FAILED with DisableRollback)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gureum.services.cloudformation.settings import CloudFormationSettings

if TYPE_CHECKING:
    from gureum.app import App

CREATE_TIMED_OUT = "Stack creation time exceeded the specified timeout. "


def create_deadline(app: App, stack: dict[str, Any]) -> float | None:
    """When the stack's create must be done (a time.time()), or None without TimeoutInMinutes."""
    minutes = stack.get("TimeoutInMinutes")
    if not minutes:
        return None
    return float(stack["CreationTime"]) + float(minutes) * app.settings(CloudFormationSettings).minute_seconds
