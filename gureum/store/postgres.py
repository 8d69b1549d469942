"""PostgreSQL backend (psycopg 3): the same semantics as SQLite, shared by several nodes.

One writer connection on a thread with group commit (see sqlite.ThreadedStore), reader
connections on their own threads running REPEATABLE READ READ ONLY snapshots. Tables are
`gureum_kv`, `gureum_counters` and `gureum_events` in the connection's search_path; keys use
COLLATE "C" (bytewise order, like SQLite).

Every write transaction first takes one transaction-scoped advisory lock, so write
transactions from all nodes are serialised. That makes a store transaction behave exactly as
on SQLite (no lost updates, no deadlocks between nodes) and guarantees that change-log
sequence numbers become visible in order: a follower polling `events_since(last_seq)` never
skips an event that commits late. The cost is one writer at a time across the cluster, which
group commit amortises; control-plane writes are not the hot path. Reads are not serialised.

`subscribe()` delivers this node's commits; other nodes' events are followed by polling
`events_since()`. Change-log retention is the same as SQLite's (newest 100,000 events, at most 24 h).
Keys longer than about 2,500 bytes do not fit PostgreSQL's btree index. A dropped connection
fails the transactions in flight (if it dropped during COMMIT they may have committed, as with
any client); the next call reconnects.
"""

from __future__ import annotations

import time
from typing import Any

import psycopg

from gureum.store.base import Event
from gureum.store.threaded import (
    EVENTS_KEEP,
    EVENTS_MAX_AGE,
    ThreadedStore,
    _SqlTxn,
    check_name,
    key_range,
    loads,
)

WRITE_LOCK = 0x67757265756D  # "gureum": pg_advisory_xact_lock key for write transactions

_SCHEMA = """
CREATE TABLE IF NOT EXISTS gureum_kv (
  tbl text COLLATE "C" NOT NULL, k text COLLATE "C" NOT NULL, v text NOT NULL, PRIMARY KEY (tbl, k));
CREATE TABLE IF NOT EXISTS gureum_counters (name text COLLATE "C" PRIMARY KEY, value bigint NOT NULL);
CREATE TABLE IF NOT EXISTS gureum_events (
  seq bigserial PRIMARY KEY, ts double precision NOT NULL, topic text NOT NULL, data text NOT NULL);
"""


def _bounds(prefix: str, start: str | None, end: str | None) -> tuple[str, list[Any]] | None:
    """SQL for the key range. PostgreSQL text cannot hold NUL; no key contains one, so a bound
    `s + "\\0..."` means "> s" (lower) or "<= s" (upper) — the form iter_scan() produces."""
    lo, hi = key_range(prefix, start, end)
    if hi is not None and hi <= lo:
        return None
    sql, args = ["tbl=%s"], []
    if "\x00" in lo:
        sql.append("k>%s")
        args.append(lo[: lo.index("\x00")])
    elif lo:
        sql.append("k>=%s")
        args.append(lo)
    if hi is not None:
        if "\x00" in hi:
            sql.append("k<=%s")
            args.append(hi[: hi.index("\x00")])
        else:
            sql.append("k<%s")
            args.append(hi)
    return " AND ".join(sql), args


class PostgresTxn(_SqlTxn):
    __slots__ = ()

    KV = "gureum_kv"
    COUNTERS = "gureum_counters"
    PH = "%s"
    NO_LIMIT = None  # LIMIT NULL: no limit

    def _where(self, table: str, prefix: str, start: str | None, end: str | None) -> tuple[str, tuple[Any, ...]] | None:
        check_name(table, "table")
        check_name(prefix, "prefix")
        b = _bounds(prefix, start, end)
        return None if b is None else (b[0], (table, *b[1]))

    def _insert_event(self, ts: float, topic: str, text: str) -> int:
        row = self._c.execute(
            "INSERT INTO gureum_events(ts,topic,data) VALUES(%s,%s,%s) RETURNING seq", (ts, topic, text)
        ).fetchone()
        assert row is not None
        return int(row[0])


class PostgresStore(ThreadedStore):
    """The store in PostgreSQL; `url` is a libpq URL or conninfo string."""

    shared = True

    def __init__(self, url: str, *, readers: int = 2) -> None:
        self.url = url
        self.readers = readers
        super().__init__()

    def __repr__(self) -> str:
        return "PostgresStore(...)"  # the URL may hold a password

    def _connect(self, writer: bool) -> psycopg.Connection:
        conn = psycopg.connect(self.url, autocommit=True, application_name="gureum")
        return conn

    def _setup(self, conn: psycopg.Connection) -> None:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            for stmt in _SCHEMA.split(";"):
                if stmt.strip():
                    conn.execute(stmt)

    def _usable(self, conn: psycopg.Connection) -> bool:
        return not conn.closed and not conn.broken

    def _check_fn_left_txn_usable(self, conn: psycopg.Connection) -> None:
        if conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR:
            raise psycopg.errors.InFailedSqlTransaction(
                "the transaction function caught a database error and returned normally"
            )

    def _begin(self, conn: psycopg.Connection) -> None:
        conn.execute("BEGIN")
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))

    def _rollback(self, conn: psycopg.Connection) -> None:
        if not conn.closed and conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            conn.execute("ROLLBACK")

    def _begin_read(self, conn: psycopg.Connection) -> None:
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def _end_read(self, conn: psycopg.Connection) -> None:
        self._rollback(conn)

    def _txn(self, conn: psycopg.Connection, readonly: bool) -> PostgresTxn:
        return PostgresTxn(conn, readonly)

    def _events_since(self, conn: psycopg.Connection, seq: int, limit: int) -> list[Event]:
        rows = conn.execute(
            "SELECT seq, topic, data FROM gureum_events WHERE seq>%s ORDER BY seq LIMIT %s", (seq, limit)
        ).fetchall()
        return [Event(s, t, loads(d)) for s, t, d in rows]

    def _trim(self, conn: psycopg.Connection) -> None:
        with conn.transaction():
            top = _scalar(conn.execute("SELECT max(seq) FROM gureum_events").fetchone())
            old = _scalar(conn.execute(
                "SELECT max(seq) FROM gureum_events WHERE ts<%s", (time.time() - EVENTS_MAX_AGE,)
            ).fetchone())
            conn.execute("DELETE FROM gureum_events WHERE seq<=%s", (max(top - EVENTS_KEEP, old),))


def _scalar(row: tuple[Any, ...] | None) -> int:
    """The first column of an aggregate's row as an int (0 for NULL)."""
    return int(row[0] or 0) if row is not None else 0
