"""The `elb` fixture: a boto3 ELBv2 client of the session's gureum."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def elb(gureum):  # type: ignore[no-untyped-def]
    return gureum.client("elbv2")
