"""The stage cache's rules on values (cache_lru.py): expiry, least-recently-used eviction by
bytes, entries too large to keep."""

from __future__ import annotations

from gureum.services.apigateway.cache_lru import MAX_ENTRY, Entry, Lru


def _entry(size: int, expires: float = 100.0) -> Entry:
    return Entry(200, (), b"x" * size, expires)


def test_expired_entries_are_gone() -> None:
    lru = Lru(1000)
    lru.put("a", _entry(10, expires=5.0))
    assert lru.get("a", 4.9) is not None
    assert lru.get("a", 5.0) is None and len(lru) == 0 and lru.used == 0


def test_least_recently_used_is_evicted_first() -> None:
    lru = Lru(300)
    for k in ("a", "b", "c"):
        assert lru.put(k, _entry(99))  # 99 bytes + a 1-byte key each
    assert lru.get("a", 0.0) is not None  # "b" is now the least recently used
    assert lru.put("d", _entry(99))
    assert lru.get("b", 0.0) is None
    assert all(lru.get(k, 0.0) is not None for k in ("a", "c", "d"))
    assert lru.used == 300


def test_replacing_a_key_and_oversized_entries() -> None:
    lru = Lru(10 * MAX_ENTRY)
    lru.put("a", _entry(50))
    lru.put("a", _entry(20))
    assert lru.used == 21 and len(lru) == 1
    assert not lru.put("big", _entry(MAX_ENTRY + 1))
    assert not Lru(10).put("k", _entry(20))
    lru.clear()
    assert lru.used == 0 and lru.get("a", 0.0) is None
