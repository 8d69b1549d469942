"""Acknowledged writes survive kill -9 (each operation is one store transaction), and the TTL
sweep deletes expired items (with their index rows)."""

from __future__ import annotations

import time
from typing import Any

from botocore.config import Config

from tests.harness import GureumProcess
from tests.waiting import wait_for


def _table(c: Any) -> None:
    c.create_table(TableName="durable", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
                   BillingMode="PAY_PER_REQUEST",
                   GlobalSecondaryIndexes=[{"IndexName": "byg", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                            "Projection": {"ProjectionType": "ALL"}}])


def test_writes_survive_kill_9(fresh_gureum: GureumProcess) -> None:
    c = fresh_gureum.client("dynamodb", config=Config(retries={"max_attempts": 1}))
    _table(c)
    for i in range(20):
        c.put_item(TableName="durable", Item={"pk": {"S": f"k{i}"}, "g": {"S": "x"}})
    c.update_item(TableName="durable", Key={"pk": {"S": "k0"}}, UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"N": "7"}})
    c.transact_write_items(TransactItems=[{"Delete": {"TableName": "durable", "Key": {"pk": {"S": "k1"}}}}])
    fresh_gureum.kill9()
    fresh_gureum.start()
    c = fresh_gureum.client("dynamodb", config=Config(retries={"max_attempts": 1}))
    assert c.get_item(TableName="durable", Key={"pk": {"S": "k0"}})["Item"]["v"] == {"N": "7"}
    assert c.scan(TableName="durable")["Count"] == 19
    assert c.query(TableName="durable", IndexName="byg", KeyConditionExpression="g = :g",
                   ExpressionAttributeValues={":g": {"S": "x"}})["Count"] == 19
    assert c.describe_table(TableName="durable")["Table"]["ItemCount"] == 19


def test_ttl_sweep_deletes_expired_items(tmp_path: Any) -> None:
    proc = GureumProcess(tmp_path / "data", env={"GUREUM_DYNAMODB_TTL_SWEEP_SECONDS": "0.2"})
    proc.start()
    try:
        c = proc.client("dynamodb", config=Config(retries={"max_attempts": 1}))
        _table(c)
        c.update_time_to_live(TableName="durable", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
        now = int(time.time())
        c.put_item(TableName="durable", Item={"pk": {"S": "old"}, "g": {"S": "x"}, "exp": {"N": str(now - 10)}})
        c.put_item(TableName="durable", Item={"pk": {"S": "new"}, "g": {"S": "x"}, "exp": {"N": str(now + 3600)}})
        c.put_item(TableName="durable", Item={"pk": {"S": "text"}, "g": {"S": "x"}, "exp": {"S": "1"}})
        c.put_item(TableName="durable", Item={"pk": {"S": "ancient"}, "g": {"S": "x"}, "exp": {"N": str(now - 6 * 365 * 86400)}})
        wait_for("the expired item swept", lambda: "Item" not in c.get_item(TableName="durable", Key={"pk": {"S": "old"}}), 20, 0.1)
        left = sorted(i["pk"]["S"] for i in c.query(TableName="durable", IndexName="byg", KeyConditionExpression="g = :g",
                                                    ExpressionAttributeValues={":g": {"S": "x"}})["Items"])
        assert left == ["ancient", "new", "text"]
    finally:
        proc.stop()
