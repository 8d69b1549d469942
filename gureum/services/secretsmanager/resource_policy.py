"""The policy gate's reader of a secret's resource policy (gureum/policy/resource_policies.py)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from gureum.services.secretsmanager import model

if TYPE_CHECKING:
    from gureum.app import App


async def read(app: App, arn: str) -> str | None:
    return await app.store.read(lambda t: model.policy_of_arn(t, arn, time.time()))
