"""Shared fixtures: `gureum` is one real gureum process per test session (per xdist
worker); `fresh_gureum` is a private one for tests that restart or kill it; `pg_url` a
PostgreSQL server (GUREUM_TEST_PG_URL, or a throwaway cluster per worker; without PostgreSQL
binaries its tests skip, except under CI where that fails).

Markers: every test is `unit` or `e2e`, decided at collection (an explicit mark wins). A test is
e2e when its fixtures include `gureum`, `fresh_gureum` or `pg_url`, or when its own code or one
of its fixtures' code starts processes (names GureumProcess, AgentProcess, PgCluster,
start_postgres, subprocess or Popen); the rest are unit, and `make test-fast` runs them. The
rule is checked as tests run: a unit test that starts a gureum or PostgreSQL fails, naming
itself (harness.refuse_in_unit_test)."""

from __future__ import annotations

import inspect
import os
import re
import sys
from collections.abc import Callable, Generator, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness
from harness import SUITE_RUNTIME_DATE, GureumProcess

os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

E2E_FIXTURES = frozenset({"gureum", "fresh_gureum", "pg_url"})
STARTS_PROCESSES = re.compile(r"\b(GureumProcess|AgentProcess|PgCluster|start_postgres|subprocess|Popen)\b")


@cache
def _starts_processes(fn: Callable[..., Any]) -> bool:
    try:
        return STARTS_PROCESSES.search(inspect.getsource(fn)) is not None
    except (OSError, TypeError):
        return True  # no source to read: assume the worst


def _is_e2e(item: pytest.Item) -> bool:
    if E2E_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    info = getattr(item, "_fixtureinfo", None)
    for defs in (info.name2fixturedefs.values() if info is not None else ()):
        if any(_starts_processes(d.func) for d in defs if "_pytest" not in getattr(d.func, "__module__", "")):
            return True
    fn = getattr(item, "function", None)
    return fn is None or _starts_processes(fn)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("e2e") is None and item.get_closest_marker("unit") is None:
            item.add_marker(pytest.mark.e2e if _is_e2e(item) else pytest.mark.unit)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, None, None]:
    harness.unit_test_running = item.nodeid if item.get_closest_marker("unit") is not None else None
    try:
        yield
    finally:
        harness.unit_test_running = None




@pytest.fixture(scope="session")
def gureum(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path_factory.mktemp("gureum") / "data", env=SUITE_RUNTIME_DATE)
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture
def fresh_gureum(tmp_path: Path) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path / "data", env=SUITE_RUNTIME_DATE)
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    from pg import PgCluster, find_pg_bin

    url = os.environ.get("GUREUM_TEST_PG_URL")
    if url:
        yield url
        return
    if find_pg_bin() is None:
        if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
            pytest.fail("CI is set but PostgreSQL binaries were not found (install postgresql-15)")
        pytest.skip("PostgreSQL is not installed (set GUREUM_TEST_PG_URL or install postgresql-15)")
    cluster = PgCluster()
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def pg_database(pg_url: str) -> Iterator[str]:
    """A fresh, empty database on the `pg_url` server for one test module (its nodes share
    it, and no other module's state leaks in)."""
    import uuid
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    name = "g_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield urlunsplit(urlsplit(pg_url)._replace(path="/" + name))
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
