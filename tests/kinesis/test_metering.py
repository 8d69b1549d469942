"""Kinesis's usage in the ledger: shard-hours metered once per interval from the store (two
sweeps of nodes sharing a store do not bill an hour twice), PUT payload units in 25 KB
units, both priced under AWS's usage types."""

from __future__ import annotations

from gureum.billing import pricing
from gureum.billing.line_items import of_row
from gureum.services.kinesis import records as R
from gureum.services.kinesis import streams as K
from gureum.services.kinesis import sweep
from gureum.store.memory import MemoryStore

HOUR = 3_600_000


def test_shard_hours_are_metered_once_per_interval() -> None:
    store = MemoryStore()
    t0 = 1_700_000_000_000
    store.run_sync(lambda t: K.create(t, "111122223333", "us-east-1", {"StreamName": "s", "ShardCount": 3}, t0, 0, 500))
    key = K.stream_key("111122223333", "us-east-1", "s")
    row = store.run_sync(lambda t: sweep.meter(t, key, t0 + 2 * HOUR))
    assert row is not None and abs(row["shard_hours"] - 6.0) < 1e-9
    assert store.run_sync(lambda t: sweep.meter(t, key, t0 + 2 * HOUR)) is None  # a second node's sweep: nothing left
    row = store.run_sync(lambda t: sweep.meter(t, key, t0 + 3 * HOUR))
    assert row is not None and abs(row["shard_hours"] - 3.0) < 1e-9


def test_payload_units_and_prices() -> None:
    assert [R.payload_units(n) for n in (1, 25 * 1024, 25 * 1024 + 1, 1024 * 1024)] == [1, 1, 2, 41]
    table = pricing.load()
    hours = of_row(table, "1/kinesis/x", {"service": "kinesis", "region": "us-east-1", "shard_hours": 10.0, "ts": 0})
    assert hours[0].usage_type == "USE1-Storage-ShardHour" and abs(hours[0].cost - 0.15) < 1e-9
    puts = of_row(table, "1/kinesis/x", {"service": "kinesis", "region": "us-west-2", "put_payload_units": 1_000_000, "ts": 0})
    assert puts[0].usage_type == "USW2-PutRequestPayloadUnits" and abs(puts[0].cost - 0.014) < 1e-9
