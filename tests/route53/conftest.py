"""Fixtures for the Route 53 end-to-end tests that need a gureum with special settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import GureumProcess


@pytest.fixture
def fresh_gureum_dns_idle(tmp_path: Path) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path / "data", env={"GUREUM_DNS_TCP_IDLE_TIMEOUT": "0.5"})
    proc.start()
    proc.wait_service("route53", "running")
    yield proc
    proc.stop()


@pytest.fixture
def gureum_with_views(tmp_path: Path) -> Iterator[GureumProcess]:
    """Private zones of vpc-a seen from 127.0.0.2, of vpc-b from 127.0.0.3."""
    proc = GureumProcess(tmp_path / "data", env={"GUREUM_DNS_PRIVATE_VIEWS": "vpc-a=127.0.0.2/32;vpc-b=127.0.0.3/32"})
    proc.start()
    proc.wait_service("route53", "running")
    yield proc
    proc.stop()
