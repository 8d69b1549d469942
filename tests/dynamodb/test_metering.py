"""On-demand request units in Cost Explorer: what each data-plane call consumed (AWS's capacity
arithmetic), priced from the price table, and nothing for a provisioned table's requests, which
pays its capacity-hours instead."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gureum.billing.line_items import of_row
from gureum.billing.pricing import load
from gureum.services.dynamodb import capacity_hours as CH
from gureum.services.dynamodb import tables as T
from gureum.store import open_store
from tests.harness import SUITE_RUNTIME_DATE, GureumProcess
from tests.waiting import wait_for

READ_PRICE = 0.125 / 1_000_000  # price_list.json "ReadRequestUnits", us-east-1
WRITE_PRICE = 0.625 / 1_000_000  # ... "WriteRequestUnits"


def _by_usage_type(gureum: Any, *tables: str) -> dict[str, dict[str, Any]]:
    """DynamoDB's usage today by usage type; of `tables` only (their ARNs) when given, so that
    other tests' tables on the shared gureum do not count."""
    now = datetime.now(UTC)
    period = {"Start": now.strftime("%Y-%m-%d"), "End": (now + timedelta(days=1)).strftime("%Y-%m-%d")}
    service = {"Dimensions": {"Key": "SERVICE", "Values": ["Amazon DynamoDB"]}}
    ce = gureum.client("ce")
    if tables:
        out = ce.get_cost_and_usage_with_resources(
            TimePeriod=period, Granularity="DAILY", Metrics=["UsageQuantity", "UnblendedCost"],
            Filter={"And": [service, {"Dimensions": {"Key": "RESOURCE_ID", "Values": list(tables)}}]},
            GroupBy=[{"Type": "DIMENSION", "Key": "USAGE_TYPE"}])
    else:
        out = ce.get_cost_and_usage(TimePeriod=period, Granularity="DAILY", Metrics=["UsageQuantity", "UnblendedCost"],
                                    Filter=service, GroupBy=[{"Type": "DIMENSION", "Key": "USAGE_TYPE"}])
    return {g["Keys"][0]: g["Metrics"] for g in out["ResultsByTime"][0]["Groups"]}


def test_on_demand_request_units_are_billed_per_the_price_list(gureum: Any, ddb: Any, table: Callable[..., str]) -> None:
    name = table(range_type=None)
    ddb.put_item(TableName=name, Item={"pk": {"S": "a"}})  # 1 write unit
    out = ddb.put_item(TableName=name, Item={"pk": {"S": "b"}, "v": {"S": "x" * 1500}})  # 2 write units (1 KB each)
    assert "ConsumedCapacity" not in out  # not asked for: metering does not show it
    out = ddb.get_item(TableName=name, Key={"pk": {"S": "a"}}, ReturnConsumedCapacity="TOTAL")  # 0.5 (eventually consistent)
    assert out["ConsumedCapacity"] == {"TableName": name, "CapacityUnits": 0.5, "ReadCapacityUnits": 0.5}
    ddb.get_item(TableName=name, Key={"pk": {"S": "b"}}, ConsistentRead=True)  # 1 read unit
    ddb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": {"pk": {"S": "c"}}}}]})  # 1 write unit
    provisioned = "prov-metering"
    ddb.create_table(TableName=provisioned, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 5})
    ddb.put_item(TableName=provisioned, Item={"pk": {"S": "a"}})  # billed by capacity, not per request
    ddb.get_item(TableName=provisioned, Key={"pk": {"S": "a"}}, ConsistentRead=True)
    found: dict[str, dict[str, Any]] = {}

    def billed() -> bool:
        found.clear()
        found.update(_by_usage_type(gureum, *(ddb.describe_table(TableName=t)["Table"]["TableArn"] for t in (name, provisioned))))
        return ("USE1-ReadRequestUnits" in found and "USE1-WriteRequestUnits" in found
                and float(found["USE1-WriteRequestUnits"]["UsageQuantity"]["Amount"]) >= 4)

    wait_for("DynamoDB request units in Cost Explorer", billed, 20)
    assert float(found["USE1-WriteRequestUnits"]["UsageQuantity"]["Amount"]) == 4
    assert float(found["USE1-ReadRequestUnits"]["UsageQuantity"]["Amount"]) == 1.5
    assert float(found["USE1-WriteRequestUnits"]["UnblendedCost"]["Amount"]) == pytest.approx(4 * WRITE_PRICE, abs=1e-12)
    assert float(found["USE1-ReadRequestUnits"]["UnblendedCost"]["Amount"]) == pytest.approx(1.5 * READ_PRICE, abs=1e-12)


RCU_HOUR = 0.00013  # price_list.json "ReadCapacityUnit-Hrs", us-east-1
WCU_HOUR = 0.00065  # ... "WriteCapacityUnit-Hrs"
GB_MONTH = 0.25  # ... "DynamoDB-TimedStorage-ByteHrs"


@pytest.fixture
def sweeping_gureum(tmp_path: Path) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path / "data", env=SUITE_RUNTIME_DATE | {"GUREUM_DYNAMODB_TTL_SWEEP_SECONDS": "0.5"})
    proc.start()
    yield proc
    proc.stop()


def test_provisioned_capacity_hours_are_billed_per_the_price_list(sweeping_gureum: GureumProcess) -> None:
    g = sweeping_gureum
    ddb = g.client("dynamodb")
    ddb.create_table(TableName="held", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
                     ProvisionedThroughput={"ReadCapacityUnits": 4, "WriteCapacityUnits": 2},
                     GlobalSecondaryIndexes=[{"IndexName": "byg", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                              "Projection": {"ProjectionType": "KEYS_ONLY"},
                                              "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}])
    ddb.put_item(TableName="held", Item={"pk": {"S": "a"}})  # 3 bytes ("pk" + "a") + 100 of overhead
    found: dict[str, dict[str, Any]] = {}

    def billed() -> bool:
        found.clear()
        found.update(_by_usage_type(g))
        return all(f"USE1-{u}" in found for u in ("ReadCapacityUnit-Hrs", "WriteCapacityUnit-Hrs", "TimedStorage-ByteHrs"))
    wait_for("capacity-hours and storage in Cost Explorer", billed, 30)
    assert "USE1-ReadRequestUnits" not in found  # a provisioned table pays no request units
    rcu = float(found["USE1-ReadCapacityUnit-Hrs"]["UsageQuantity"]["Amount"])
    wcu = float(found["USE1-WriteCapacityUnit-Hrs"]["UsageQuantity"]["Amount"])
    assert 0 < rcu < 5  # (4 + 1 of the index) units for the seconds the table has lived
    assert wcu == pytest.approx(rcu * 3 / 5, rel=1e-3)  # 2 + 1 write units over the same hours
    assert float(found["USE1-ReadCapacityUnit-Hrs"]["UnblendedCost"]["Amount"]) == pytest.approx(rcu * RCU_HOUR, rel=1e-2)  # CE rounds amounts
    assert float(found["USE1-WriteCapacityUnit-Hrs"]["UnblendedCost"]["Amount"]) == pytest.approx(wcu * WCU_HOUR, rel=1e-2)
    # the stored 103 bytes make a row too (its GB-months, ~1e-16, are below CE's 10 decimals:
    # their arithmetic is tested below)
    assert float(found["USE1-TimedStorage-ByteHrs"]["UnblendedCost"]["Amount"]) == 0


def test_capacity_hours_and_storage_of_a_sweep(tmp_path: Path) -> None:
    """One sweep's row for a provisioned table an hour after its mark, priced by hand."""
    store = open_store(f"sqlite:///{tmp_path}/state.sqlite")
    try:
        created = datetime(2026, 2, 10, tzinfo=UTC).timestamp()  # February 2026: 28 days, 672 hours
        params = {"TableName": "t", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                  "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                  "ProvisionedThroughput": {"ReadCapacityUnits": 10, "WriteCapacityUnits": 4}}
        store.run_sync(lambda t: T.create(t, "111122223333", "us-east-1", params, created))
        key = T.table_key("111122223333", "us-east-1", "t")
        store.run_sync(lambda t: t.put(T.COUNTS, key, {"n": 1000, "bytes": 2**30 - 100_000}))  # + 100 B each: 1 GB
        row = store.run_sync(lambda t: CH.meter(t, key, created + 3600))
        assert store.run_sync(lambda t: CH.meter(t, key, created + 3600)) is None  # the mark moved: billed once
    finally:
        asyncio.run(store.close())
    assert row is not None
    assert row["rcu_hours"] == 10 and row["wcu_hours"] == 4
    assert row["storage_gb_months"] == pytest.approx(1 / 672)
    items = {i.usage_type: i for i in of_row(load(), "111122223333/dynamodb/x", row | {"service": "dynamodb", "ts": (created + 3600) * 1000})}
    assert items["USE1-ReadCapacityUnit-Hrs"].cost == pytest.approx(10 * RCU_HOUR)
    assert items["USE1-WriteCapacityUnit-Hrs"].cost == pytest.approx(4 * WCU_HOUR)
    assert items["USE1-TimedStorage-ByteHrs"].cost == pytest.approx(GB_MONTH / 672)
    assert items["USE1-TimedStorage-ByteHrs"].service == "Amazon DynamoDB"
