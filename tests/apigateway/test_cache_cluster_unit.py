"""A stage cache cluster's rules on values (cache_cluster.py, on a MemoryStore): its status over
time, AWS's size and TTL limits, and its hours in the usage ledger (resizes and turning it off
settle the old cluster; settling the same interval twice writes one row) priced by size."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from gureum.aws.errors import AwsError
from gureum.billing import pricing
from gureum.billing.ledger import USAGE
from gureum.billing.line_items import of_row
from gureum.services.apigateway import cache_cluster
from gureum.store import Txn
from gureum.store.memory import MemoryStore

T = TypeVar("T")
STAGES = "stages"


def _run(store: MemoryStore, fn: Callable[[Txn], T]) -> T:
    async def go() -> T:
        return await store.run(fn)

    return asyncio.run(go())


def _stage(**fields: Any) -> dict[str, Any]:
    return {"stageName": "prod", "cacheClusterEnabled": False, "cacheClusterStatus": "NOT_AVAILABLE",
            "methodSettings": {}, **fields}


def _rows(store: MemoryStore) -> list[tuple[str, dict[str, Any]]]:
    return _run(store, lambda t: list(t.scan(USAGE, "")))


def test_status_follows_time() -> None:
    store = MemoryStore()
    on = _run(store, lambda t: cache_cluster.apply(t, "1", "us-east-1", "api", _stage(), _stage(cacheClusterEnabled=True),
                                                   1000.0))
    assert on["cacheClusterSize"] == "0.5" and on["cacheClusterStatus"] == "CREATE_IN_PROGRESS"
    assert cache_cluster.view(on, 1000.0)["cacheClusterStatus"] == "CREATE_IN_PROGRESS"
    assert cache_cluster.view(on, 1000.0 + cache_cluster.PROVISION_SECONDS)["cacheClusterStatus"] == "AVAILABLE"
    assert "cacheCluster" not in cache_cluster.view(on, 1000.0)
    off = _run(store, lambda t: cache_cluster.apply(t, "1", "us-east-1", "api", on, {**on, "cacheClusterEnabled": False},
                                                    2000.0))
    assert cache_cluster.view(off, 2000.0)["cacheClusterStatus"] == "DELETE_IN_PROGRESS"
    assert cache_cluster.view(off, 2000.0 + cache_cluster.PROVISION_SECONDS)["cacheClusterStatus"] == "NOT_AVAILABLE"
    assert not cache_cluster.available(off, 5000.0)


@pytest.mark.parametrize("changes", [{"cacheClusterSize": "2.0"},
                                     {"methodSettings": {"*/*": {"cacheTtlInSeconds": 3601}}},
                                     {"methodSettings": {"*/*": {"cacheTtlInSeconds": -1}}},
                                     {"methodSettings": {"*/*": {"unauthorizedCacheControlHeaderStrategy": "MAYBE"}}}])
def test_limits(changes: dict[str, Any]) -> None:
    store = MemoryStore()
    with pytest.raises(AwsError) as e:
        _run(store, lambda t: cache_cluster.apply(t, "1", "us-east-1", "api", None,
                                                  _stage(cacheClusterEnabled=True, **changes), 0.0))
    assert e.value.code == "BadRequestException"


def test_hours_are_settled_by_size_and_priced() -> None:
    store = MemoryStore()
    a = _run(store, lambda t: cache_cluster.apply(t, "1", "us-east-1", "api", None,
                                                  _stage(cacheClusterEnabled=True, cacheClusterSize="1.6"), 0.0))
    _run(store, lambda t: t.put(STAGES, "1/us-east-1/api/prod", a))
    assert _run(store, lambda t: cache_cluster.settle_all(t, STAGES, 3600.0)) == 1
    b = _run(store, lambda t: t.get(STAGES, "1/us-east-1/api/prod"))
    resized = _run(store, lambda t: cache_cluster.apply(t, "1", "us-east-1", "api", b, {**b, "cacheClusterSize": "237"},
                                                        5400.0))
    assert resized["cacheClusterStatus"] == "CREATE_IN_PROGRESS"
    _run(store, lambda t: cache_cluster.apply(t, "1", "us-east-1", "api", resized,
                                              {**resized, "cacheClusterEnabled": False}, 9000.0))
    rows = _rows(store)
    assert [(r["cache_size"], r["cache_seconds"]) for _, r in rows] == [("1.6", 3600.0), ("1.6", 1800.0), ("237", 3600.0)]
    table = pricing.load()
    costs = [item.cost for key, row in rows for item in of_row(table, key, row)]
    assert costs == pytest.approx([0.038, 0.019, 3.80])
    assert {item.usage_type for key, row in rows for item in of_row(table, key, row)} == {
        "USE1-ApiGatewayCacheUsage:1.6GB", "USE1-ApiGatewayCacheUsage:237GB"}


def test_settling_the_same_interval_twice_writes_one_row() -> None:
    store = MemoryStore()
    cluster = {"since": 0.0, "billed": 0.0, "size": "0.5"}
    _run(store, lambda t: cache_cluster.settle(t, "1", "us-east-1", "api", "prod", cluster, 60.0))
    _run(store, lambda t: cache_cluster.settle(t, "1", "us-east-1", "api", "prod", cluster, 61.0))  # another node, later
    rows = _rows(store)
    assert len(rows) == 1 and rows[0][1]["cache_seconds"] == 61.0
