"""One stage's response cache, sans-IO: entries (status, headers, body) under a cache key,
each with its expiry, held in at most `capacity` bytes (the cluster's size), the least
recently used dropped first when a new entry would not fit. An entry larger than
MAX_ENTRY (AWS's 1 MB cached-response limit) or the whole capacity is not kept.
Time is passed in, so the rules are tested with values."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

MAX_ENTRY = 1048576


@dataclass(frozen=True)
class Entry:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    expires: float

    @property
    def size(self) -> int:
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers)


class Lru:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.used = 0
        self._entries: OrderedDict[str, Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str, now: float) -> Entry | None:
        """The live entry under `key` (now the most recently used), None when absent or expired."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires <= now:
            self.drop(key)
            return None
        self._entries.move_to_end(key)
        return entry

    def put(self, key: str, entry: Entry) -> bool:
        """Keep `entry` under `key`, evicting the least recently used as needed; False when it
        is too large to keep at all."""
        size = entry.size + len(key)
        if entry.size > MAX_ENTRY or size > self.capacity:
            return False
        self.drop(key)
        while self.used + size > self.capacity and self._entries:
            oldest, old = self._entries.popitem(last=False)
            self.used -= old.size + len(oldest)
        self._entries[key] = entry
        self.used += size
        return True

    def drop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self.used -= entry.size + len(key)

    def clear(self) -> None:
        self._entries.clear()
        self.used = 0
