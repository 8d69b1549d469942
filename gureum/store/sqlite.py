"""SQLite backend (the default): WAL, `synchronous=FULL`, group commit on the shared writer
thread (threaded.py), readers on their own read-only connections."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from gureum.store.base import Doc, Event
from gureum.store.threaded import (
    EVENTS_KEEP,
    EVENTS_MAX_AGE,
    ReadOnlyTxnError,
    ThreadedStore,
    _SqlTxn,
    check_name,
    check_new_key,
    dumps,
    key_range,
    loads,
)

__all__ = ["ReadOnlyTxnError", "SqliteStore", "SqliteTxn"]


class SqliteTxn(_SqlTxn):
    __slots__ = ()

    def get(self, table: str, key: str) -> Doc | None:
        self._r()
        check_name(table, "table")
        check_name(key)
        row = self._c.execute("SELECT v FROM kv WHERE tbl=? AND k=?", (table, key)).fetchone()
        return None if row is None else loads(row[0])

    def put(self, table: str, key: str, value: Doc) -> None:
        self._w()
        check_new_key(table, "table")
        check_new_key(key)
        self._c.execute(
            "INSERT INTO kv(tbl,k,v) VALUES(?,?,?) ON CONFLICT(tbl,k) DO UPDATE SET v=excluded.v",
            (table, key, dumps(value)),
        )

    def insert(self, table: str, key: str, value: Doc) -> bool:
        self._w()
        check_new_key(table, "table")
        check_new_key(key)
        cur = self._c.execute(
            "INSERT INTO kv(tbl,k,v) VALUES(?,?,?) ON CONFLICT(tbl,k) DO NOTHING", (table, key, dumps(value))
        )
        return cur.rowcount == 1

    def delete(self, table: str, key: str) -> bool:
        self._w()
        check_name(table, "table")
        check_name(key)
        return self._c.execute("DELETE FROM kv WHERE tbl=? AND k=?", (table, key)).rowcount == 1

    def _where(self, table: str, prefix: str, start: str | None, end: str | None) -> tuple[str, tuple] | None:
        check_name(table, "table")
        check_name(prefix, "prefix")
        lo, hi = key_range(prefix, start, end)
        if hi is None:
            return "tbl=? AND k>=?", (table, lo)
        if hi <= lo:
            return None
        return "tbl=? AND k>=? AND k<?", (table, lo, hi)

    def scan(
        self,
        table: str,
        prefix: str = "",
        *,
        start: str | None = None,
        end: str | None = None,
        limit: int | None = None,
        reverse: bool = False,
    ) -> list[tuple[str, Doc]]:
        self._r()
        w = self._where(table, prefix, start, end)
        if w is None or limit == 0:
            return []
        order = "DESC" if reverse else "ASC"
        sql = f"SELECT k, v FROM kv WHERE {w[0]} ORDER BY k {order} LIMIT ?"
        rows = self._c.execute(sql, (*w[1], -1 if limit is None else limit)).fetchall()
        return [(k, loads(v)) for k, v in rows]

    def count(self, table: str, prefix: str = "") -> int:
        self._r()
        w = self._where(table, prefix, None, None)
        if w is None:
            return 0
        return self._c.execute(f"SELECT count(*) FROM kv WHERE {w[0]}", w[1]).fetchone()[0]

    def delete_prefix(self, table: str, prefix: str) -> int:
        self._w()
        w = self._where(table, prefix, None, None)
        if w is None:
            return 0
        return self._c.execute(f"DELETE FROM kv WHERE {w[0]}", w[1]).rowcount

    def next_id(self, name: str) -> int:
        self._w()
        check_new_key(name, "counter name")
        return self._c.execute(
            "INSERT INTO counters(name,value) VALUES(?,1) "
            "ON CONFLICT(name) DO UPDATE SET value=value+1 RETURNING value",
            (name,),
        ).fetchone()[0]

    def publish(self, topic: str, data: Doc) -> None:
        self._w()
        check_new_key(topic, "topic")
        text = dumps(data)
        cur = self._c.execute("INSERT INTO events(ts,topic,data) VALUES(?,?,?)", (time.time(), topic, text))
        self.events.append(Event(cur.lastrowid, topic, loads(text)))


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
