"""The sweep of expired challenges and sign-in sessions (gureum/services/cognito_idp/sweep.py)
on an in-memory store: only expired rows go (sessions a day after their end), with their
user index rows, across batches."""

from __future__ import annotations

from gureum.services.cognito_idp import flows, sweep, tokens
from gureum.store.memory import MemoryStore

NOW = 1_800_000_000.0


def _drain(store: MemoryStore, table: str, grace: float) -> int:
    total, start = 0, None
    while True:
        n, start = store.run_sync(lambda t, s=start: sweep.sweep_batch(t, table, s, NOW, grace))  # type: ignore[misc]
        total += n
        if start is None:
            return total


def test_only_expired_rows_are_swept_across_batches() -> None:
    store = MemoryStore()

    def fill(t):  # type: ignore[no-untyped-def]
        for i in range(sweep.BATCH + 20):
            t.put(flows.CHALLENGES, f"c{i:05d}", {"exp": NOW - 1 if i % 2 else NOW + 100})
        t.put(tokens.SESSIONS, "old", {"pool": "p", "user": "u", "exp": NOW - sweep.GRACE - 1})
        t.put(tokens.USER_SESSIONS, "p/u/old", {})
        t.put(tokens.SESSIONS, "recent", {"pool": "p", "user": "u", "exp": NOW - 10})
        t.put(tokens.USER_SESSIONS, "p/u/recent", {})

    store.run_sync(fill)
    assert _drain(store, flows.CHALLENGES, 0.0) == (sweep.BATCH + 20) // 2
    assert store.read_sync(lambda t: t.count(flows.CHALLENGES)) == (sweep.BATCH + 20) // 2
    assert _drain(store, tokens.SESSIONS, sweep.GRACE) == 1
    assert store.read_sync(lambda t: [k for k, _ in t.scan(tokens.SESSIONS)]) == ["recent"]
    assert store.read_sync(lambda t: [k for k, _ in t.scan(tokens.USER_SESSIONS)]) == ["p/u/recent"]
