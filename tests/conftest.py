"""Shared fixtures: `gureum` is one real gureum process per test session (per xdist
worker); `fresh_gureum` is a private one for tests that restart or kill it; `pg_url` a
PostgreSQL server (GUREUM_TEST_PG_URL, or a throwaway cluster per worker; without PostgreSQL
binaries its tests skip, except under CI where that fails)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import GureumProcess

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
