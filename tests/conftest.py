"""Shared fixtures: `gureum` is one real gureum process per test session (per xdist
worker); `fresh_gureum` is a private one for tests that restart or kill it."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import GureumProcess  # noqa: E402

os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture(scope="session")
def gureum(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path_factory.mktemp("gureum") / "data")
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture
def fresh_gureum(tmp_path: Path) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path / "data")
    proc.start()
    yield proc
    proc.stop()
