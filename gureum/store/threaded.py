"""The writer-thread machinery both SQL backends share (sqlite.py, postgres.py), and the
helpers the in-memory backend reuses.

`ThreadedStore` owns one writer thread holding the only write connection. `run(fn)` queues
`fn`; the writer drains the queue and runs every queued fn in its own SAVEPOINT inside one
transaction, commits once, and only then resolves the callers' futures (group commit: one
fsync for many writers). A raising fn rolls back its savepoint alone and gets its exception.
Reads run on a small pool of reader threads with their own connections (snapshots), so they
never queue behind writes. The event loop only awaits futures.

Events published in a commit are delivered to in-process subscribers on their event loop
before the committing callers' `run()` returns, so after `await store.run(fn)` an in-memory
index fed by a subscriber already reflects fn's writes (for subscribers on the same loop).

The change log keeps the newest `EVENTS_KEEP` (100,000) events and drops events older than
`EVENTS_MAX_AGE` (24 h); a follower further behind than that must re-read the tables.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import inspect
import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson

from gureum.store.base import Doc, Event, Store, Txn

log = logging.getLogger("gureum.store")

T = TypeVar("T")

MAX_BATCH = 1000  # fns per group commit
EVENTS_KEEP = 100_000
EVENTS_MAX_AGE = 24 * 3600.0
TRIM_EVERY_EVENTS = 1000  # trim the change log after this many new events ...
TRIM_EVERY_SECONDS = 60.0  # ... or this long, whichever comes first


class ReadOnlyTxnError(RuntimeError):
    """A write was attempted inside `Store.read()`."""


dumps: Callable[[Any], str] = json.JSONEncoder(separators=(",", ":")).encode


_NOT_DIGIT = bytes(0 if 0x30 <= b <= 0x39 else 1 for b in range(256))  # a digit's byte -> 0, any other -> 1
_LONG_RUN = bytes(19)  # 19 digits in a row: an integer orjson may not hold (past 64 bits, or below -2**63: a float)


def loads(text: str) -> Any:
    """A stored document from its JSON text (`dumps`). orjson reads it in half of json's
    time (every row a read returns is parsed: 1M record sets at a DNS node's start). What
    orjson reads otherwise than json goes to json, so a document reads as json always read
    it: text with 19 digits in a row (found by a translate, ~0.3 µs; a regex took 0.7), and
    what orjson refuses (NaN and the infinities `dumps` writes, lone surrogates)."""
    if _LONG_RUN in text.encode("utf-8", "surrogatepass").translate(_NOT_DIGIT):
        return json.loads(text)
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


class InvalidKey(ValueError):
    """A key the store cannot hold (NUL, lone surrogate): built from a client's value, so the
    wire layer answers it as the client's error."""


def check_name(key: str, what: str = "key") -> None:
    """Keys and table names are str without NUL (PostgreSQL text cannot hold NUL)."""
    if type(key) is not str:
        raise TypeError(f"store {what} must be str, not {type(key).__name__}")
    if "\x00" in key:
        raise InvalidKey(f"store {what} must not contain NUL: {key!r}")


def check_new_key(key: str, what: str = "key") -> None:
    check_name(key, what)
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidKey(f"store {what} is not valid Unicode (lone surrogate): {key!r}") from None


def prefix_end(prefix: str) -> str | None:
    """The smallest string greater than every string starting with `prefix` (None: no bound).

    Code-point order equals UTF-8 byte order, so this is exact for SQLite BINARY, PostgreSQL
    COLLATE "C" and Python's own str ordering."""
    s = prefix
    while s:
        c = ord(s[-1])
        if c < 0x10FFFF:
            c += 1
            if 0xD800 <= c <= 0xDFFF:
                c = 0xE000
            return s[:-1] + chr(c)
        s = s[:-1]
    return None


def key_range(prefix: str, start: str | None, end: str | None) -> tuple[str, str | None]:
    """[lo, hi) for a scan: keys starting with prefix, >= start, < end (hi None: unbounded)."""
    lo = prefix if start is None or start < prefix else start
    hi = prefix_end(prefix)
    if end is not None and (hi is None or end < hi):
        hi = end
    return lo, hi


def _no_coroutine(value: Any) -> Any:
    if inspect.isawaitable(value):
        if inspect.iscoroutine(value):
            value.close()
        raise TypeError("a store transaction function must be a plain function, not async")
    return value


# --- subscribers -------------------------------------------------------------------------


@dataclass(eq=False)
class _Sub:
    prefix: str
    callback: Callable[[Event], None]
    loop: asyncio.AbstractEventLoop | None
    active: bool = True


def _call_subscribers(items: list[tuple[_Sub, Event]]) -> None:
    for sub, event in items:
        if sub.active:
            try:
                sub.callback(event)
            except Exception:
                log.exception("store subscriber %r failed on event %s", sub.callback, event.seq)


class Subscribers:
    """In-process fan-out of committed events, each delivered on its subscriber's loop.

    A subscriber registered outside a running loop is called on the committing caller's
    loop, or on the committing thread when the commit came from run_sync()."""

    def __init__(self) -> None:
        self._subs: tuple[_Sub, ...] = ()
        self._lock = threading.Lock()

    def add(self, prefix: str, callback: Callable[[Event], None]) -> Callable[[], None]:
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        sub = _Sub(prefix, callback, loop)
        with self._lock:
            self._subs = (*self._subs, sub)

        def unsubscribe() -> None:
            sub.active = False
            with self._lock:
                self._subs = tuple(s for s in self._subs if s is not sub)

        return unsubscribe

    def route(
        self, events: list[Event], default_loop: asyncio.AbstractEventLoop | None
    ) -> dict[asyncio.AbstractEventLoop | None, list[tuple[_Sub, Event]]]:
        """Group (subscriber, event) pairs by the loop that must run them, in event order."""
        out: dict[asyncio.AbstractEventLoop | None, list[tuple[_Sub, Event]]] = {}
        subs = self._subs
        if not subs or not events:
            return out
        for event in events:
            for sub in subs:
                if event.topic.startswith(sub.prefix):
                    out.setdefault(sub.loop or default_loop, []).append((sub, event))
        return out

    def deliver(self, events: list[Event], default_loop: asyncio.AbstractEventLoop | None) -> None:
        for loop, items in self.route(events, default_loop).items():
            _schedule(loop, _call_subscribers, items)


def _schedule(loop: asyncio.AbstractEventLoop | None, fn: Callable[..., None], *args: Any) -> None:
    if loop is None:
        fn(*args)
        return
    try:
        loop.call_soon_threadsafe(fn, *args)
    except RuntimeError:  # the loop is closed: its callers are gone
        log.debug("store: dropping a callback for a closed event loop")


# --- the threaded store --------------------------------------------------------------------


@dataclass(eq=False)
class _Job:
    fn: Callable[[Any], Any]
    fut: asyncio.Future[Any] | concurrent.futures.Future[Any]
    loop: asyncio.AbstractEventLoop | None  # None: fut is a concurrent.futures.Future


def _in_callers_context(fn: Callable[[Any], T]) -> Callable[[Any], T]:
    """`fn` run (on the store's thread) in its caller's context variables, as it would run on
    the loop (the memory store runs it there): e.g. gureum.aws.tags.system_tags."""
    context = contextvars.copy_context()

    def run(txn: Any) -> T:
        return context.run(fn, txn)
    return run


def _settle(fut: asyncio.Future[Any] | concurrent.futures.Future[Any], ok: bool, value: Any) -> None:
    if fut.done():  # cancelled by its awaiter (the result is dropped) or already failed
        return
    if ok:
        fut.set_result(value)
    else:
        if isinstance(value, StopIteration):  # futures refuse StopIteration
            value = RuntimeError(f"transaction function raised {value!r}")
        fut.set_exception(value)


def _settle_on_loop(
    items: list[tuple[_Sub, Event]], results: list[tuple[asyncio.Future[Any], bool, Any]]
) -> None:
    _call_subscribers(items)  # subscribers first: callers resume with indexes up to date
    for fut, ok, value in results:
        _settle(fut, ok, value)


class ThreadedStore(Store):
    """A Store over a DB-API connection: one writer thread with group commit, reader threads.

    Subclasses provide the SQL: `_connect`, `_setup`, the transaction statements, `_txn`,
    `_events_since` and `_trim`."""

    readers = 2

    def __init__(self) -> None:
        self._wq: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._rq: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._subs = Subscribers()
        self._lock = threading.Lock()
        self._closed = False
        self._events_since_trim = 0
        self._last_trim = time.monotonic()
        self.commits = 0  # write transactions attempted (each runs one or more fns)
        self.fns = 0  # transaction fns run by the writer
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        name = type(self).__name__
        self._writer = threading.Thread(target=self._writer_main, args=(ready,), name=f"{name}-writer", daemon=True)
        self._writer.start()
        try:
            ready.result()
        except BaseException:
            self._writer.join()
            raise
        self._readers = [
            threading.Thread(target=self._reader_main, name=f"{name}-reader-{i}", daemon=True)
            for i in range(self.readers)
        ]
        for t in self._readers:
            t.start()

    # -- hooks ------------------------------------------------------------------------------

    def _connect(self, writer: bool) -> Any:
        raise NotImplementedError

    def _setup(self, conn: Any) -> None:
        raise NotImplementedError

    def _begin(self, conn: Any) -> None:
        raise NotImplementedError

    def _commit(self, conn: Any) -> None:
        conn.execute("COMMIT")

    def _rollback(self, conn: Any) -> None:
        conn.execute("ROLLBACK")

    def _savepoint(self, conn: Any) -> None:
        conn.execute("SAVEPOINT g")

    def _release(self, conn: Any) -> None:
        conn.execute("RELEASE SAVEPOINT g")

    def _rollback_to(self, conn: Any) -> None:
        conn.execute("ROLLBACK TO SAVEPOINT g")
        conn.execute("RELEASE SAVEPOINT g")

    def _begin_read(self, conn: Any) -> None:
        raise NotImplementedError

    def _end_read(self, conn: Any) -> None:
        conn.execute("ROLLBACK")

    def _txn(self, conn: Any, readonly: bool) -> _SqlTxn:
        raise NotImplementedError

    def _events_since(self, conn: Any, seq: int, limit: int) -> list[Event]:
        raise NotImplementedError

    def _trim(self, conn: Any) -> None:
        raise NotImplementedError

    def _usable(self, conn: Any) -> bool:
        return True

    def _check_fn_left_txn_usable(self, conn: Any) -> None:
        """Raise if the fn returned but left the transaction unusable (e.g. it swallowed a
        database error), so only its savepoint is rolled back."""

    def _close_conn(self, conn: Any) -> None:
        conn.close()

    # -- public API -------------------------------------------------------------------------

    def _submit(self, q: queue.SimpleQueue[_Job | None], job: _Job) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("store is closed")
            q.put(job)

    async def run(self, fn: Callable[[Txn], T]) -> T:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[T] = loop.create_future()
        self._submit(self._wq, _Job(_in_callers_context(fn), fut, loop))
        return await fut

    async def read(self, fn: Callable[[Txn], T]) -> T:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[T] = loop.create_future()
        self._submit(self._rq, _Job(_in_callers_context(fn), fut, loop))
        return await fut

    def run_sync(self, fn: Callable[[Txn], T]) -> T:
        _not_on_loop("run_sync")
        if threading.current_thread() is self._writer:
            raise RuntimeError("store.run_sync() inside a write transaction would deadlock")
        fut: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._submit(self._wq, _Job(fn, fut, None))
        return fut.result()

    def read_sync(self, fn: Callable[[Txn], T]) -> T:
        """Blocking form of read() (not on the loop)."""
        _not_on_loop("read_sync")
        fut: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._submit(self._rq, _Job(fn, fut, None))
        return fut.result()

    def subscribe(self, topic_prefix: str, callback: Callable[[Event], None]) -> Callable[[], None]:
        return self._subs.add(topic_prefix, callback)

    async def events_since(self, seq: int, limit: int = 1000) -> list[Event]:
        return await self.read(lambda txn: self._events_since(txn._c, seq, limit))  # type: ignore[attr-defined]

    async def close(self) -> None:
        with self._lock:
            already = self._closed
            self._closed = True
            if not already:
                self._wq.put(None)
                for _ in self._readers:
                    self._rq.put(None)
        await asyncio.to_thread(self._join)

    def close_sync(self) -> None:
        """Blocking form of close() (not on the loop)."""
        with self._lock:
            already = self._closed
            self._closed = True
            if not already:
                self._wq.put(None)
                for _ in self._readers:
                    self._rq.put(None)
        self._join()

    def _join(self) -> None:
        self._writer.join()
        for t in self._readers:
            t.join()

    # -- writer -----------------------------------------------------------------------------

    def _writer_main(self, ready: concurrent.futures.Future[None]) -> None:
        try:
            conn = self._connect(writer=True)
            self._setup(conn)
        except BaseException as e:
            ready.set_exception(e)
            return
        ready.set_result(None)
        stop = False
        try:
            while not stop:
                first = self._wq.get()
                if first is None:
                    break
                batch = [first]
                while len(batch) < MAX_BATCH:
                    try:
                        job = self._wq.get_nowait()
                    except queue.Empty:
                        break
                    if job is None:
                        stop = True
                        break
                    batch.append(job)
                if conn is None or not self._usable(conn):
                    conn = self._reconnect(conn, batch)
                    if conn is None:
                        continue
                try:
                    self._run_batch(conn, batch)
                except BaseException as e:  # a bug here must not strand the callers' futures
                    log.exception("store: writer failed")
                    for job in batch:
                        if not job.fut.done():
                            _schedule(job.loop, _settle, job.fut, False, e)
                self._maybe_trim(conn)
        finally:
            if conn is not None:
                try:
                    self._close_conn(conn)
                except Exception:
                    log.exception("store: closing the writer connection failed")

    def _reconnect(self, old: Any, batch: list[_Job]) -> Any:
        if old is not None:
            try:
                self._close_conn(old)
            except Exception:
                pass
        try:
            return self._connect(writer=True)
        except Exception as e:
            self._finish(batch, [(False, e)] * len(batch), [])
            return None

    def _run_batch(self, conn: Any, batch: list[_Job]) -> None:
        batch = [j for j in batch if not j.fut.cancelled()]
        if not batch:
            return
        outcomes: list[tuple[bool, Any]] = []
        events: list[Event] = []
        single = len(batch) == 1  # no savepoint needed: a failure rolls back the whole txn
        self.commits += 1
        self.fns += len(batch)
        try:
            self._begin(conn)
            committed = True
            for job in batch:
                txn = self._txn(conn, False)
                if not single:
                    self._savepoint(conn)
                try:
                    value = _no_coroutine(job.fn(txn))
                    self._check_fn_left_txn_usable(conn)
                except BaseException as e:
                    txn._done = True
                    if single:
                        self._rollback(conn)
                        committed = False
                    else:
                        self._rollback_to(conn)
                    outcomes.append((False, e))
                    continue
                txn._done = True
                if not single:
                    self._release(conn)
                outcomes.append((True, value))
                events.extend(txn.events)
            if committed:
                self._commit(conn)
        except BaseException as e:  # the transaction itself failed: nothing was committed
            log.warning("store: transaction of %d fn(s) failed: %r", len(batch), e)
            try:
                self._rollback(conn)
            except Exception:
                pass
            # fns that raised keep their own exception; the others get the commit failure
            outcomes = [o if not o[0] else (False, e) for o in outcomes]
            outcomes += [(False, e)] * (len(batch) - len(outcomes))
            events = []
        self._events_since_trim += len(events)
        self._finish(batch, outcomes, events)

    def _finish(self, batch: list[_Job], outcomes: list[tuple[bool, Any]], events: list[Event]) -> None:
        default_loop = next((j.loop for j in batch if j.loop is not None), None)
        routed = self._subs.route(events, default_loop)
        per_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], bool, Any]]] = {}
        for job, (ok, value) in zip(batch, outcomes, strict=False):
            if job.loop is None:
                _settle(job.fut, ok, value)
            else:
                per_loop.setdefault(job.loop, []).append((job.fut, ok, value))  # type: ignore[arg-type]
        for loop in routed.keys() - per_loop.keys():
            _schedule(loop, _call_subscribers, routed[loop])
        for loop, results in per_loop.items():
            _schedule(loop, _settle_on_loop, routed.get(loop, []), results)

    def _maybe_trim(self, conn: Any) -> None:
        now = time.monotonic()
        if self._events_since_trim < TRIM_EVERY_EVENTS and now - self._last_trim < TRIM_EVERY_SECONDS:
            return
        self._events_since_trim = 0
        self._last_trim = now
        try:
            self._trim(conn)
        except Exception:
            log.exception("store: trimming the change log failed")
            try:
                self._rollback(conn)
            except Exception:
                pass

    # -- readers ----------------------------------------------------------------------------

    def _reader_main(self) -> None:
        conn = None
        try:
            while True:
                job = self._rq.get()
                if job is None:
                    return
                if job.fut.cancelled():
                    continue
                try:
                    if conn is None or not self._usable(conn):
                        if conn is not None:
                            self._close_conn(conn)
                            conn = None
                        conn = self._connect(writer=False)
                    txn = self._txn(conn, True)
                    self._begin_read(conn)
                    try:
                        value = _no_coroutine(job.fn(txn))
                    finally:
                        txn._done = True
                        self._end_read(conn)
                    outcome = (True, value)
                except BaseException as e:
                    outcome = (False, e)
                if job.loop is None:
                    _settle(job.fut, *outcome)
                else:
                    _schedule(job.loop, _settle, job.fut, *outcome)
        finally:
            if conn is not None:
                try:
                    self._close_conn(conn)
                except Exception:
                    pass


def _not_on_loop(what: str) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise RuntimeError(f"store.{what}() would block the event loop; use 'await store.run()/read()'")


# --- SQL transactions ----------------------------------------------------------------------


class _SqlTxn(Txn):
    """The Txn of both SQL backends. A subclass names its dialect: the documents table
    (`KV`), the counters table, the driver's placeholder, the "no limit" value, and how a
    key range becomes SQL (`_where`) and an event row gets its sequence number."""

    __slots__ = ("_c", "_done", "_ro", "events")

    KV = "kv"
    COUNTERS = "counters"
    PH = "?"
    NO_LIMIT: int | None = -1

    def __init__(self, conn: Any, readonly: bool) -> None:
        self._c = conn
        self._ro = readonly
        self._done = False
        self.events: list[Event] = []

    def _w(self) -> None:
        if self._ro:
            raise ReadOnlyTxnError("write inside a read-only transaction (use store.run)")
        if self._done:
            raise RuntimeError("transaction already finished")

    def _r(self) -> None:
        if self._done:
            raise RuntimeError("transaction already finished")

    # dialect hooks
    def _where(self, table: str, prefix: str, start: str | None, end: str | None) -> tuple[str, tuple[Any, ...]] | None:
        raise NotImplementedError

    def _insert_event(self, ts: float, topic: str, text: str) -> int:
        raise NotImplementedError

    # the Txn interface
    def get(self, table: str, key: str) -> Doc | None:
        self._r()
        check_name(table, "table")
        check_name(key)
        p = self.PH
        row = self._c.execute(f"SELECT v FROM {self.KV} WHERE tbl={p} AND k={p}", (table, key)).fetchone()
        return None if row is None else loads(row[0])

    def put(self, table: str, key: str, value: Doc) -> None:
        self._w()
        check_new_key(table, "table")
        check_new_key(key)
        p = self.PH
        self._c.execute(
            f"INSERT INTO {self.KV}(tbl,k,v) VALUES({p},{p},{p}) ON CONFLICT (tbl,k) DO UPDATE SET v=excluded.v",
            (table, key, dumps(value)),
        )

    def insert(self, table: str, key: str, value: Doc) -> bool:
        self._w()
        check_new_key(table, "table")
        check_new_key(key)
        p = self.PH
        cur = self._c.execute(
            f"INSERT INTO {self.KV}(tbl,k,v) VALUES({p},{p},{p}) ON CONFLICT (tbl,k) DO NOTHING",
            (table, key, dumps(value)),
        )
        return bool(cur.rowcount == 1)

    def delete(self, table: str, key: str) -> bool:
        self._w()
        check_name(table, "table")
        check_name(key)
        p = self.PH
        return bool(self._c.execute(f"DELETE FROM {self.KV} WHERE tbl={p} AND k={p}", (table, key)).rowcount == 1)

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
        rows = self._c.execute(
            f"SELECT k, v FROM {self.KV} WHERE {w[0]} ORDER BY k {order} LIMIT {self.PH}",
            (*w[1], self.NO_LIMIT if limit is None else limit),
        ).fetchall()
        return [(k, loads(v)) for k, v in rows]

    def count(self, table: str, prefix: str = "") -> int:
        self._r()
        w = self._where(table, prefix, None, None)
        if w is None:
            return 0
        return int(self._c.execute(f"SELECT count(*) FROM {self.KV} WHERE {w[0]}", w[1]).fetchone()[0])

    def delete_prefix(self, table: str, prefix: str) -> int:
        self._w()
        w = self._where(table, prefix, None, None)
        if w is None:
            return 0
        return int(self._c.execute(f"DELETE FROM {self.KV} WHERE {w[0]}", w[1]).rowcount)

    def next_id(self, name: str) -> int:
        self._w()
        check_new_key(name, "counter name")
        c = self.COUNTERS
        return int(self._c.execute(
            f"INSERT INTO {c}(name,value) VALUES({self.PH},1) "
            f"ON CONFLICT (name) DO UPDATE SET value={c}.value+1 RETURNING value",
            (name,),
        ).fetchone()[0])

    def publish(self, topic: str, data: Doc) -> None:
        self._w()
        check_new_key(topic, "topic")
        text = dumps(data)
        seq = self._insert_event(time.time(), topic, text)
        self.events.append(Event(seq, topic, loads(text)))
