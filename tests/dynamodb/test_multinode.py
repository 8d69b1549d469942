"""Two gureum nodes on one PostgreSQL store share DynamoDB tables: what one writes the other
reads and queries (in DynamoDB's key order, which the encoding keeps under PostgreSQL's
ordering too), and conditional writes through both nodes serialise (none lost)."""

from __future__ import annotations

import decimal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config

from tests.harness import GureumProcess

pytestmark = [pytest.mark.xdist_group("multinode")]


@pytest.fixture(scope="module")
def pair(pg_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GureumProcess, GureumProcess]]:
    base: Path = tmp_path_factory.mktemp("ddb-mn")
    args = ["--state", pg_database, "--set", "ecs.enabled=0"]
    a, b = GureumProcess(base / "a", extra_args=args), GureumProcess(base / "b", extra_args=args)
    a.start()
    try:
        b.start()
        yield a, b
    finally:
        b.stop()
        a.stop()


def _client(p: GureumProcess) -> Any:
    return p.client("dynamodb", config=Config(retries={"max_attempts": 1}))


def test_a_table_written_through_one_node_is_queried_in_order_through_the_other(pair: Any) -> None:
    a, b = (_client(p) for p in pair)
    a.create_table(TableName="shared", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
                   BillingMode="PAY_PER_REQUEST")
    nums = ["-10", "-1.5", "-1", "0", "0.25", "1", "2", "10", "1E+9"]
    for i, n in enumerate(nums):
        (a if i % 2 else b).put_item(TableName="shared", Item={"pk": {"S": "p"}, "sk": {"N": n}})
    got = b.query(TableName="shared", KeyConditionExpression="pk = :p AND sk >= :lo",
                  ExpressionAttributeValues={":p": {"S": "p"}, ":lo": {"N": "-1.5"}})
    assert [decimal.Decimal(i["sk"]["N"]) for i in got["Items"]] == sorted(decimal.Decimal(n) for n in nums)[1:]


def test_conditional_counters_through_both_nodes_lose_nothing(pair: Any) -> None:
    clients = [_client(p) for p in pair]
    clients[0].create_table(TableName="counter", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    clients[0].put_item(TableName="counter", Item={"pk": {"S": "c"}, "n": {"N": "0"}})

    def bump(c: Any) -> None:
        for _ in range(25):
            c.update_item(TableName="counter", Key={"pk": {"S": "c"}}, UpdateExpression="SET n = n + :one",
                          ConditionExpression="attribute_exists(n)", ExpressionAttributeValues={":one": {"N": "1"}})

    threads = [threading.Thread(target=bump, args=(c,)) for c in clients for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert clients[1].get_item(TableName="counter", Key={"pk": {"S": "c"}}, ConsistentRead=True)["Item"]["n"] == {"N": "100"}
