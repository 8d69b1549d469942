"""A logs client whose every response is walked against botocore's output and error shapes
(tests/aws/shape_check.py): `checked(gureum)` yields it and fails the test on a finding."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "aws"))
from shape_check import ShapeRecorder  # noqa: E402


def checked(gureum: Any, **kwargs: Any) -> Iterator[Any]:
    client = gureum.client("logs", **kwargs)
    rec = ShapeRecorder(client)
    yield client
    assert not rec.findings, rec.report()
