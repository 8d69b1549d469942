"""Fixtures for the store suite: one `store` per backend (memory, sqlite, postgres).

`async def` tests run under asyncio.run (pytest-asyncio is not required). PostgreSQL comes
from GUREUM_TEST_PG_URL, or a throwaway cluster started once per session (tests/pg.py);
without PostgreSQL binaries the postgres cases are skipped, except under CI where that fails.
"""

from __future__ import annotations

import asyncio
import inspect
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gureum.store.base import Store

# postgres cases share one xdist worker (`--dist loadgroup`), so one cluster serves them all
BACKENDS = ["memory", "sqlite", pytest.param("postgres", marks=[pytest.mark.xdist_group("postgres"), pytest.mark.e2e])]
TEST_TIMEOUT = 30.0


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    asyncio.run(asyncio.wait_for(pyfuncitem.obj(**args), TEST_TIMEOUT))
    return True


@pytest.fixture
def pg_schema_url(pg_url: str) -> Iterator[str]:
    """A conninfo whose search_path is a fresh schema, dropped after the test."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    schema = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield make_conninfo(pg_url, options=f"-c search_path={schema}")
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


class Backend:
    """Opens stores of one backend on the same underlying database (for reopen tests)."""

    def __init__(self, name: str, location: str | None) -> None:
        self.name = name
        self.location = location
        self.opened: list[Store] = []

    @property
    def durable(self) -> bool:
        return self.name != "memory"

    def open(self) -> Store:
        if self.name == "memory":
            from gureum.store.memory import MemoryStore

            store: Store = MemoryStore()
        elif self.name == "sqlite":
            from gureum.store.sqlite import SqliteStore

            store = SqliteStore(self.location)  # type: ignore[arg-type]
        else:
            from gureum.store.postgres import PostgresStore

            store = PostgresStore(self.location)  # type: ignore[arg-type]
        self.opened.append(store)
        return store

    def close_all(self) -> None:
        async def close() -> None:
            for s in self.opened:
                await s.close()

        asyncio.run(close())


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "postgres":
        location: str | None = request.getfixturevalue("pg_schema_url")
    elif request.param == "sqlite":
        location = str(tmp_path / "state" / "gureum.db")
    else:
        location = None
    b = Backend(request.param, location)
    try:
        yield b
    finally:
        b.close_all()


@pytest.fixture
def store(backend: Backend) -> Store:
    return backend.open()


@pytest.fixture
def open_store(backend: Backend) -> Callable[[], Store]:
    return backend.open
