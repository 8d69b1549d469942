"""Metric retention by AWS's tiers (metrics.sweep) on a real SQLite store: 1 s data rolls into
60 s buckets after 3 hours, 60 s into 5 minutes after 15 days, 5 minutes into an hour after 63
days, and hourly data is dropped after 455 days; statistics survive each roll-up."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gureum.services.cloudwatch import metrics, stats
from gureum.store.base import Store
from gureum.store.open import open_store

A, R = "000000000000", "us-east-1"
NOW = 2_000_000_000.0


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path}/state.db")
    yield s
    asyncio.run(s.close())


def _put(store: Store, name: str, t: float, values: list[float], res: int = 60) -> None:
    data = [{"MetricName": name, "Timestamp": datetime.fromtimestamp(t + i, UTC), "Value": v,
             **({"StorageResolution": 1} if res == 1 else {})} for i, v in enumerate(values)]
    store.run_sync(lambda txn: metrics.put(txn, A, R, "N", data, NOW))


def _rows(store: Store, name: str) -> list[tuple[float, int, stats.Agg]]:
    return store.read_sync(lambda txn: metrics.read(txn, A, R, "N", name, None, 0, NOW + 1))


def test_tiers_roll_up_and_expire(store: Store) -> None:
    _put(store, "hr", NOW - 4 * 3600, [1.0, 5.0, 3.0], res=1)       # 1 s data older than 3 h
    _put(store, "fresh", NOW - 600, [2.0, 4.0], res=1)              # 1 s data within 3 h
    _put(store, "min", NOW - 16 * 86400, [7.0])                     # 60 s data older than 15 days
    while store.run_sync(lambda txn: metrics.sweep(txn, NOW)):
        pass
    [(t, res, agg)] = _rows(store, "hr")
    assert res == 60 and t == (NOW - 4 * 3600) // 60 * 60
    assert (agg["c"], agg["s"], agg["lo"], agg["hi"]) == (3.0, 9.0, 1.0, 5.0)
    assert {r[1] for r in _rows(store, "fresh")} == {1}
    assert [(r[1], r[2]["s"]) for r in _rows(store, "min")] == [(300, 7.0)]
    # later still: into hours, then gone
    later = NOW + 63 * 86400
    while store.run_sync(lambda txn: metrics.sweep(txn, later)):
        pass
    assert [(r[1], r[2]["s"]) for r in store.read_sync(lambda txn: metrics.read(txn, A, R, "N", "min", None, 0, later))] \
        == [(3600, 7.0)]
    gone = NOW + 500 * 86400
    while store.run_sync(lambda txn: metrics.sweep(txn, gone)):
        pass
    assert store.read_sync(lambda txn: metrics.read(txn, A, R, "N", "min", None, 0, gone)) == []
