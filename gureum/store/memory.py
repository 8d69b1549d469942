"""In-memory backend for unit tests: sorted keys per table, an undo log for rollback.

Values are kept as JSON text, exactly like the SQL backends, so a test sees the same copy and
serialisation behaviour. Transactions run inline (on the caller's thread, under a lock).
"""

from __future__ import annotations

import asyncio
import bisect
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from gureum.store.base import Doc, Event, Store, Txn
from gureum.store.threaded import (
    EVENTS_KEEP,
    ReadOnlyTxnError,
    Subscribers,
    _no_coroutine,
    _not_on_loop,
    check_name,
    check_new_key,
    dumps,
    key_range,
    loads,
)

T = TypeVar("T")


class _MemTxn(Txn):
    def __init__(self, s: MemoryStore, readonly: bool) -> None:
        self.s, self.ro, self.done = s, readonly, False
        self.undo: list[tuple[str | None, str, Any]] = []
        self.events: list[tuple[str, str]] = []

    def _w(self) -> None:
        if self.ro:
            raise ReadOnlyTxnError("write inside a read-only transaction (use store.run)")
        if self.done:
            raise RuntimeError("transaction already finished")

    def _set(self, table: str, key: str, text: str | None) -> None:
        self.undo.append((table, key, self.s.tables.get(table, ({}, []))[0].get(key)))
        self.s.raw_set(table, key, text)

    def get(self, table: str, key: str) -> Doc | None:
        check_name(table, "table")
        check_name(key)
        text = self.s.tables.get(table, ({}, []))[0].get(key)
        return None if text is None else loads(text)

    def put(self, table: str, key: str, value: Doc) -> None:
        self._w()
        check_new_key(table, "table")
        check_new_key(key)
        self._set(table, key, dumps(value))

    def insert(self, table: str, key: str, value: Doc) -> bool:
        self._w()
        check_new_key(table, "table")
        check_new_key(key)
        if key in self.s.tables.get(table, ({}, []))[0]:
            return False
        self._set(table, key, dumps(value))
        return True

    def delete(self, table: str, key: str) -> bool:
        self._w()
        check_name(table, "table")
        check_name(key)
        if key not in self.s.tables.get(table, ({}, []))[0]:
            return False
        self._set(table, key, None)
        return True

    def _keys(self, table: str, prefix: str, start: str | None = None, end: str | None = None) -> list[str]:
        check_name(table, "table")
        check_name(prefix, "prefix")
        keys = self.s.tables.get(table, ({}, []))[1]
        lo, hi = key_range(prefix, start, end)
        j = len(keys) if hi is None else bisect.bisect_left(keys, hi)
        return keys[bisect.bisect_left(keys, lo) : j]

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
        keys = self._keys(table, prefix, start, end)
        keys = keys[::-1][:limit] if reverse else keys[:limit]
        rows = self.s.tables[table][0] if keys else {}
        return [(k, loads(rows[k])) for k in keys]

    def count(self, table: str, prefix: str = "") -> int:
        return len(self._keys(table, prefix))

    def delete_prefix(self, table: str, prefix: str) -> int:
        self._w()
        keys = self._keys(table, prefix)
        for k in keys:
            self._set(table, k, None)
        return len(keys)

    def next_id(self, name: str) -> int:
        self._w()
        check_new_key(name, "counter name")
        value = self.s.counters.get(name, 0) + 1
        self.undo.append((None, name, self.s.counters.get(name)))
        self.s.counters[name] = value
        return value

    def publish(self, topic: str, data: Doc) -> None:
        self._w()
        check_new_key(topic, "topic")
        self.events.append((topic, dumps(data)))

    def rollback(self) -> None:
        for table, key, old in reversed(self.undo):
            if table is None:
                self.s.counters.pop(key) if old is None else self.s.counters.__setitem__(key, old)
            else:
                self.s.raw_set(table, key, old)


class MemoryStore(Store):
    def __init__(self) -> None:
        self.tables: dict[str, tuple[dict[str, str], list[str]]] = {}
        self.counters: dict[str, int] = {}
        self.log: list[Event] = []
        self.seq = 0
        self.lock = threading.RLock()
        self.subs = Subscribers()
        self.closed = False

    def raw_set(self, table: str, key: str, text: str | None) -> None:
        rows, keys = self.tables.setdefault(table, ({}, []))
        if text is None:
            if rows.pop(key, None) is not None:
                del keys[bisect.bisect_left(keys, key)]
        else:
            if key not in rows:
                bisect.insort(keys, key)
            rows[key] = text

    def _run(self, fn: Callable[[Txn], T], readonly: bool) -> tuple[T, list[Event]]:
        if self.closed:
            raise RuntimeError("store is closed")
        with self.lock:
            txn = _MemTxn(self, readonly)
            try:
                value = _no_coroutine(fn(txn))
            except BaseException:
                txn.rollback()
                raise
            finally:
                txn.done = True
            events = []
            for topic, text in txn.events:
                self.seq += 1
                events.append(Event(self.seq, topic, loads(text)))
            self.log.extend(events)
            del self.log[: max(0, len(self.log) - EVENTS_KEEP)]
            return value, events

    async def run(self, fn: Callable[[Txn], T]) -> T:
        value, events = self._run(fn, False)
        if events:
            self.subs.deliver(events, asyncio.get_running_loop())
            await asyncio.sleep(0)  # let subscribers on this loop run before the caller resumes
        return value

    async def read(self, fn: Callable[[Txn], T]) -> T:
        return self._run(fn, True)[0]

    def run_sync(self, fn: Callable[[Txn], T]) -> T:
        _not_on_loop("run_sync")
        value, events = self._run(fn, False)
        self.subs.deliver(events, None)
        return value

    def read_sync(self, fn: Callable[[Txn], T]) -> T:
        return self._run(fn, True)[0]

    def subscribe(self, topic_prefix: str, callback: Callable[[Event], None]) -> Callable[[], None]:
        return self.subs.add(topic_prefix, callback)

    async def events_since(self, seq: int, limit: int = 1000) -> list[Event]:
        with self.lock:
            i = bisect.bisect_right(self.log, seq, key=lambda e: e.seq)
            return self.log[i : i + limit]

    async def close(self) -> None:
        self.closed = True

    def close_sync(self) -> None:
        self.closed = True
