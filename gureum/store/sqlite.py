"""SQLite backend (the default): WAL, `synchronous=FULL`, group commit on the shared writer
thread (threaded.py), readers on their own read-only connections."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from gureum.store.base import Event
from gureum.store.threaded import (
    EVENTS_KEEP,
    EVENTS_MAX_AGE,
    ReadOnlyTxnError,
    ThreadedStore,
    _SqlTxn,
    check_name,
    key_range,
    loads,
)

__all__ = ["ReadOnlyTxnError", "SqliteStore", "SqliteTxn"]


class SqliteTxn(_SqlTxn):
    __slots__ = ()

    def _where(self, table: str, prefix: str, start: str | None, end: str | None) -> tuple[str, tuple[Any, ...]] | None:
        check_name(table, "table")
        check_name(prefix, "prefix")
        lo, hi = key_range(prefix, start, end)
        if hi is None:
            return "tbl=? AND k>=?", (table, lo)
        if hi <= lo:
            return None
        return "tbl=? AND k>=? AND k<?", (table, lo, hi)

    def _insert_event(self, ts: float, topic: str, text: str) -> int:
        seq = self._c.execute("INSERT INTO events(ts,topic,data) VALUES(?,?,?)", (ts, topic, text)).lastrowid
        assert seq is not None
        return int(seq)


_SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv(
  tbl TEXT NOT NULL, k TEXT NOT NULL, v TEXT NOT NULL, PRIMARY KEY(tbl, k)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events(
  seq INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL NOT NULL, topic TEXT NOT NULL, data TEXT NOT NULL);
"""


class SqliteStore(ThreadedStore):
    """The store in one SQLite file (WAL mode). `synchronous="FULL"` (default) makes every
    acknowledged commit survive power loss; "NORMAL" only survives process crashes."""

    def __init__(self, path: str | Path, *, synchronous: str = "FULL", readers: int = 2) -> None:
        if str(path) in ("", ":memory:") or str(path).startswith("file:"):
            raise ValueError("SqliteStore needs a file path (use MemoryStore for tests in memory)")
        if synchronous.upper() not in ("FULL", "EXTRA", "NORMAL"):
            raise ValueError(f"synchronous must be FULL, EXTRA or NORMAL, not {synchronous!r}")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._synchronous = synchronous.upper()
        self.readers = readers
        super().__init__()

    def __repr__(self) -> str:
        return f"SqliteStore({str(self.path)!r})"

    def _connect(self, writer: bool) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, cached_statements=256)
        conn.execute("PRAGMA busy_timeout=10000")
        if writer:
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise RuntimeError(f"{self.path}: cannot switch SQLite to WAL mode (got {mode})")
            conn.execute(f"PRAGMA synchronous={self._synchronous}")
        else:
            conn.execute("PRAGMA query_only=ON")
        return conn

    def _setup(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for stmt in _SQLITE_SCHEMA.split(";"):
                if stmt.strip():
                    conn.execute(stmt)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _begin(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")

    def _savepoint(self, conn: sqlite3.Connection) -> None:
        conn.execute("SAVEPOINT g")

    def _release(self, conn: sqlite3.Connection) -> None:
        conn.execute("RELEASE g")

    def _rollback_to(self, conn: sqlite3.Connection) -> None:
        conn.execute("ROLLBACK TO g")
        conn.execute("RELEASE g")

    def _check_fn_left_txn_usable(self, conn: sqlite3.Connection) -> None:
        if not conn.in_transaction:  # SQLite rolled the whole transaction back (disk full, I/O)
            raise sqlite3.OperationalError("SQLite aborted the transaction")

    def _rollback(self, conn: sqlite3.Connection) -> None:
        if conn.in_transaction:
            conn.execute("ROLLBACK")

    def _begin_read(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN")

    def _end_read(self, conn: sqlite3.Connection) -> None:
        if conn.in_transaction:
            conn.execute("ROLLBACK")

    def _txn(self, conn: sqlite3.Connection, readonly: bool) -> SqliteTxn:
        return SqliteTxn(conn, readonly)

    def _events_since(self, conn: sqlite3.Connection, seq: int, limit: int) -> list[Event]:
        rows = conn.execute(
            "SELECT seq, topic, data FROM events WHERE seq>? ORDER BY seq LIMIT ?", (seq, limit)
        ).fetchall()
        return [Event(s, t, loads(d)) for s, t, d in rows]

    def _trim(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        top = conn.execute("SELECT max(seq) FROM events").fetchone()[0] or 0
        old = conn.execute(
            "SELECT max(seq) FROM events WHERE ts<?", (time.time() - EVENTS_MAX_AGE,)
        ).fetchone()[0] or 0
        conn.execute("DELETE FROM events WHERE seq<=?", (max(top - EVENTS_KEEP, old),))
        conn.execute("COMMIT")
