"""The store interface: ordered tables of JSON documents, changed in atomic transactions.

Every service keeps its control-plane state here. A transaction is a plain synchronous
function `fn(txn) -> T` that the store runs atomically on its writer (never on the event
loop): it commits when `fn` returns and rolls back when it raises. Keys are strings ordered
bytewise; services put the account/region scope at the front of their keys.

Commits can publish events (`txn.publish(topic, data)`); they are written in the same
transaction to an append-only change log with increasing sequence numbers, so another node
can follow them, and delivered in-process to subscribers after the commit.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
Doc = dict[str, Any]


@dataclass(frozen=True)
class Event:
    seq: int
    topic: str
    data: Doc


class Txn(abc.ABC):
    """What a transaction function may do. Reads see the transaction's own writes."""

    @abc.abstractmethod
    def get(self, table: str, key: str) -> Doc | None: ...

    @abc.abstractmethod
    def put(self, table: str, key: str, value: Doc) -> None: ...

    @abc.abstractmethod
    def insert(self, table: str, key: str, value: Doc) -> bool:
        """Put only if absent; False (and nothing written) when the key exists."""

    @abc.abstractmethod
    def delete(self, table: str, key: str) -> bool:
        """True if a row was deleted."""

    @abc.abstractmethod
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
        """Rows whose key starts with `prefix`, in key order; `start` inclusive, `end` exclusive."""

    @abc.abstractmethod
    def count(self, table: str, prefix: str = "") -> int: ...

    @abc.abstractmethod
    def delete_prefix(self, table: str, prefix: str) -> int:
        """Delete every row whose key starts with `prefix`; returns how many."""

    @abc.abstractmethod
    def next_id(self, name: str) -> int:
        """A durable counter: 1, 2, 3, ... per name (gaps allowed after rollbacks)."""

    @abc.abstractmethod
    def publish(self, topic: str, data: Doc) -> None:
        """Append an event to the change log, visible to subscribers after commit."""


class Store(abc.ABC):
    """A transactional document store. Backends: sqlite (default) and postgres."""

    # True when other nodes may commit to the same store (their events are found by polling
    # events_since, not delivered in-process).
    shared = False

    @abc.abstractmethod
    async def run(self, fn: Callable[[Txn], T]) -> T:
        """Run `fn` in one atomic read-write transaction off the event loop."""

    @abc.abstractmethod
    async def read(self, fn: Callable[[Txn], T]) -> T:
        """Run `fn` on a consistent read-only snapshot (writes raise)."""

    @abc.abstractmethod
    def run_sync(self, fn: Callable[[Txn], T]) -> T:
        """Blocking form of run(), for start-up code and command-line tools (not on the loop)."""

    @abc.abstractmethod
    def read_sync(self, fn: Callable[[Txn], T]) -> T:
        """Blocking form of read(), for threads that are not the event loop's."""

    @abc.abstractmethod
    def subscribe(self, topic_prefix: str, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call `callback` (on the event loop) for each committed event whose topic starts
        with `topic_prefix`; returns an unsubscribe function."""

    @abc.abstractmethod
    async def events_since(self, seq: int, limit: int = 1000) -> list[Event]:
        """Change-log events with a sequence number greater than `seq` (for followers)."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Finish queued transactions, then release connections and the writer thread."""

    def iter_scan(self, txn: Txn, table: str, prefix: str = "", page: int = 500) -> Iterator[tuple[str, Doc]]:
        """Scan a large table in pages inside one transaction."""
        start: str | None = None
        while True:
            rows = txn.scan(table, prefix, start=start, limit=page)
            yield from rows
            if len(rows) < page:
                return
            start = rows[-1][0] + "\x00"
