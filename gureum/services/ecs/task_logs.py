"""The awslogs log driver of ECS containers: where a container's output goes (its
logConfiguration: group, `<prefix>/<container>/<task id>` streams) and the check the driver
makes before a container starts (the group must exist unless awslogs-create-group is "true").
Owns no state; the lines themselves go through the node's log writer (logs/writer.py)."""

from __future__ import annotations

from typing import Any

from gureum.services.logs import port as logs
from gureum.store import Store

MISSING_GROUP = (
    "create stream has been retried 1 times: failed to create Cloudwatch log stream: "
    "ResourceNotFoundException: The specified log group does not exist."
)


def log_target(spec: dict[str, Any], container: str, task_id: str) -> tuple[str | None, str | None]:
    """(group, stream) for a container definition `spec`, or (None, None) when its output
    goes nowhere (no awslogs driver, or no group)."""
    lc = spec.get("logConfiguration") or {}
    if lc.get("logDriver") != "awslogs":
        return None, None
    opts = lc.get("options") or {}
    group = opts.get("awslogs-group")
    if not group:
        return None, None
    prefix = opts.get("awslogs-stream-prefix")
    stream = f"{prefix}/{container}/{task_id}" if prefix else task_id
    return group, stream


def log_region(spec: dict[str, Any], task_region: str) -> str:
    """The region of the container's log group (awslogs-region, else the task's)."""
    return ((spec.get("logConfiguration") or {}).get("options") or {}).get("awslogs-region") or task_region


async def check_log_group(store: Store, account: str, task_region: str, spec: dict[str, Any], container: str, task_id: str) -> str | None:
    """AWS's awslogs driver refuses to start when the group is missing and
    awslogs-create-group is not "true": the reason, or None."""
    group, _ = log_target(spec, container, task_id)
    opts = (spec.get("logConfiguration") or {}).get("options") or {}
    if group is None or str(opts.get("awslogs-create-group", "")).lower() == "true":
        return None
    region = log_region(spec, task_region)
    exists = await store.read(lambda t: logs.group_exists(t, account, region, group))
    if exists:
        return None
    return MISSING_GROUP
