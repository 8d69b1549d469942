"""gureum.policy.resource_policies.read on ARNs too short to name a service: no policy, and
no exception (it split them with `arn.split(":", 3)[2]` and raised IndexError)."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest

from gureum.policy import resource_policies


@pytest.mark.parametrize("arn", ["arn:", "arn:x", "arn:aws", "arn:aws:sns", "*", "MyQueue"])
def test_short_or_non_arns_have_no_resource_policy(arn: str) -> None:
    app = cast(Any, None)  # never reached: no reader is looked up for these
    assert asyncio.run(resource_policies.read(app, "sns", "sns:Publish", arn)) is None
