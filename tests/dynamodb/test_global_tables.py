"""Global tables (2019.11.21) through boto3: UpdateTable ReplicaUpdates creates a replica in
another gureum region with the items and indexes, writes in any region (API, PartiQL,
transactions) reach every replica at once, deleting a replica (ReplicaUpdates or DeleteTable
in its region) leaves the others; AWS's errors."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError


def error(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def test_replicas_follow_every_write(gureum: Any, ddb: Any, table: Any) -> None:
    west = gureum.client("dynamodb", region="us-west-2", config=Config(retries={"max_attempts": 1}))
    t = table(None, more_defs=[{"AttributeName": "g", "AttributeType": "S"}],
              GlobalSecondaryIndexes=[{"IndexName": "byg", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                       "Projection": {"ProjectionType": "ALL"}}])
    ddb.put_item(TableName=t, Item={"pk": {"S": "before"}, "g": {"S": "x"}})
    out = ddb.update_table(TableName=t, ReplicaUpdates=[{"Create": {"RegionName": "us-west-2"}}])["TableDescription"]
    assert out["Replicas"][0]["RegionName"] == "us-west-2" and out["Replicas"][0]["ReplicaStatus"] == "CREATING"
    d = west.describe_table(TableName=t)["Table"]
    assert d["TableArn"].split(":")[3] == "us-west-2" and d["ItemCount"] == 1
    assert d["Replicas"] == [{"RegionName": "us-east-1", "ReplicaStatus": "ACTIVE", "ReplicaArn": d["TableArn"].replace("us-west-2", "us-east-1")}]
    assert ddb.describe_table(TableName=t)["Table"]["GlobalTableVersion"] == "2019.11.21"
    ddb.put_item(TableName=t, Item={"pk": {"S": "east"}, "g": {"S": "x"}})
    west.put_item(TableName=t, Item={"pk": {"S": "west"}, "g": {"S": "y"}})
    west.execute_statement(Statement=f"UPDATE \"{t}\" SET n = 1 WHERE pk = 'east'")
    ddb.transact_write_items(TransactItems=[{"Delete": {"TableName": t, "Key": {"pk": {"S": "before"}}}}])
    assert ddb.get_item(TableName=t, Key={"pk": {"S": "west"}})["Item"]["g"] == {"S": "y"}
    assert west.get_item(TableName=t, Key={"pk": {"S": "east"}})["Item"]["n"] == {"N": "1"}
    assert ddb.get_item(TableName=t, Key={"pk": {"S": "east"}})["Item"]["n"] == {"N": "1"}
    assert "Item" not in west.get_item(TableName=t, Key={"pk": {"S": "before"}})
    got = west.query(TableName=t, IndexName="byg", KeyConditionExpression="g = :g", ExpressionAttributeValues={":g": {"S": "x"}})
    assert [i["pk"]["S"] for i in got["Items"]] == ["east"]
    assert error(lambda: ddb.update_table(TableName=t, ReplicaUpdates=[{"Create": {"RegionName": "us-west-2"}}]))[0] == "ValidationException"
    assert error(lambda: ddb.update_table(TableName=t, ReplicaUpdates=[{"Create": {"RegionName": "us-east-1"}}]))[0] == "ValidationException"
    assert error(lambda: ddb.update_table(TableName=t, BillingMode="PAY_PER_REQUEST",
                                          ReplicaUpdates=[{"Create": {"RegionName": "eu-west-1"}}]))[0] == "ValidationException"
    ddb.update_table(TableName=t, ReplicaUpdates=[{"Create": {"RegionName": "eu-west-1"}}])
    eu = gureum.client("dynamodb", region="eu-west-1")
    assert sorted(r["RegionName"] for r in west.describe_table(TableName=t)["Table"]["Replicas"]) == ["eu-west-1", "us-east-1"]
    eu.put_item(TableName=t, Item={"pk": {"S": "eu"}})
    assert "Item" in west.get_item(TableName=t, Key={"pk": {"S": "eu"}})
    west.delete_table(TableName=t)
    assert [r["RegionName"] for r in ddb.describe_table(TableName=t)["Table"]["Replicas"]] == ["eu-west-1"]
    ddb.update_table(TableName=t, ReplicaUpdates=[{"Delete": {"RegionName": "eu-west-1"}}])
    assert error(lambda: eu.describe_table(TableName=t))[0] == "ResourceNotFoundException"
    desc = ddb.describe_table(TableName=t)["Table"]
    assert "Replicas" not in desc and "GlobalTableVersion" not in desc
    ddb.put_item(TableName=t, Item={"pk": {"S": "alone"}})
    assert ddb.describe_table(TableName=t)["Table"]["ItemCount"] == 4
