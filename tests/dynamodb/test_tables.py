"""Tables through boto3: create (AWS's validation), describe, list paging, update capacity and
GSIs (with backfill), delete, tags, TTL settings, limits."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError


def error(call: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as e:
        call()
    r = e.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def test_create_answers_creating_then_describe_is_active(ddb: Any) -> None:
    d = ddb.create_table(TableName="orders", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                         ProvisionedThroughput={"ReadCapacityUnits": 5, "WriteCapacityUnits": 7})["TableDescription"]
    assert d["TableStatus"] == "CREATING"
    assert d["TableArn"].endswith(":table/orders")
    ddb.get_waiter("table_exists").wait(TableName="orders", WaiterConfig={"Delay": 1, "MaxAttempts": 5})
    t = ddb.describe_table(TableName="orders")["Table"]
    assert t["TableStatus"] == "ACTIVE"
    assert t["ProvisionedThroughput"]["ReadCapacityUnits"] == 5 and t["ProvisionedThroughput"]["WriteCapacityUnits"] == 7
    assert t["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert error(lambda: ddb.create_table(TableName="orders", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                                          BillingMode="PAY_PER_REQUEST"))[:2] == ("ResourceInUseException", "Table already exists: orders")


@pytest.mark.parametrize("kwargs,message", [
    ({"KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}], "AttributeDefinitions": [], "BillingMode": "PAY_PER_REQUEST"},
     "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. "
     "Keys: [id], AttributeDefinitions: []"),
    ({"KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
      "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}, {"AttributeName": "x", "AttributeType": "S"}],
      "BillingMode": "PAY_PER_REQUEST"},
     "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of "
     "attributes defined in AttributeDefinitions"),
    ({"KeySchema": [{"AttributeName": "id", "KeyType": "RANGE"}],
      "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"},
     "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"),
    ({"KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
      "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}]},
     "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when "
     "BillingMode is PROVISIONED"),
    ({"KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
      "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST",
      "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}},
     "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when "
     "BillingMode is PAY_PER_REQUEST"),
    ({"KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
      "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}, {"AttributeName": "s", "AttributeType": "S"}],
      "BillingMode": "PAY_PER_REQUEST",
      "LocalSecondaryIndexes": [{"IndexName": "lsi1", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"},
                                                                 {"AttributeName": "s", "KeyType": "RANGE"}],
                                 "Projection": {"ProjectionType": "ALL"}}]},
     "One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when "
     "specifying a LocalSecondaryIndex"),
    ({"KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
      "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
      "BillingMode": "PAY_PER_REQUEST",
      "GlobalSecondaryIndexes": [{"IndexName": "gsi1", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                  "Projection": {"ProjectionType": "ALL", "NonKeyAttributes": ["x"]}}]},
     "One or more parameter values were invalid: ProjectionType is ALL, but NonKeyAttributes is specified"),
])
def test_create_validation_as_aws(ddb: Any, kwargs: dict[str, Any], message: str) -> None:
    code, msg, status = error(lambda: ddb.create_table(TableName="bad", **kwargs))
    assert (code, msg, status) == ("ValidationException", message, 400)


def test_list_tables_pages(ddb: Any, table: Any) -> None:
    names = {table(None) for _ in range(5)}
    seen: list[str] = []
    for page in ddb.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 2}):
        assert len(page["TableNames"]) <= 2
        seen += page["TableNames"]
    assert names <= set(seen) and seen == sorted(seen)


def test_unknown_table_is_not_found(ddb: Any) -> None:
    assert error(lambda: ddb.describe_table(TableName="nope")) == (
        "ResourceNotFoundException", "Requested resource not found: Table: nope not found", 400)
    assert error(lambda: ddb.get_item(TableName="nope", Key={"pk": {"S": "a"}}))[:2] == (
        "ResourceNotFoundException", "Requested resource not found")


def test_update_capacity_billing_and_add_delete_gsi_with_backfill(ddb: Any, table: Any) -> None:
    t = table(None, more_defs=[])
    for i in range(5):
        item = {"pk": {"S": f"p{i}"}, "n": {"N": str(i)}}
        if i % 2 == 0:
            item["g"] = {"S": "even"}
        ddb.put_item(TableName=t, Item=item)
    d = ddb.update_table(TableName=t, AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
                         GlobalSecondaryIndexUpdates=[{"Create": {"IndexName": "byg", "KeySchema": [
                             {"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "KEYS_ONLY"}}}])
    assert d["TableDescription"]["TableStatus"] == "UPDATING"
    assert d["TableDescription"]["GlobalSecondaryIndexes"][0]["IndexStatus"] == "CREATING"
    g = ddb.describe_table(TableName=t)["Table"]["GlobalSecondaryIndexes"][0]
    assert g["IndexStatus"] == "ACTIVE" and g["ItemCount"] == 3
    got = ddb.query(TableName=t, IndexName="byg", KeyConditionExpression="g = :g", ExpressionAttributeValues={":g": {"S": "even"}})
    assert sorted(i["pk"]["S"] for i in got["Items"]) == ["p0", "p2", "p4"]
    assert all(set(i) == {"pk", "g"} for i in got["Items"])
    ddb.update_table(TableName=t, BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4},
                     GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "byg"}}])
    d2 = ddb.describe_table(TableName=t)["Table"]
    assert "GlobalSecondaryIndexes" not in d2
    assert d2["ProvisionedThroughput"]["ReadCapacityUnits"] == 3 and d2["BillingModeSummary"]["BillingMode"] == "PROVISIONED"
    assert error(lambda: ddb.query(TableName=t, IndexName="byg", KeyConditionExpression="g = :g",
                                   ExpressionAttributeValues={":g": {"S": "even"}}))[:2] == (
        "ValidationException", "The table does not have the specified index: byg")


def test_delete_table_drops_items(ddb: Any, table: Any) -> None:
    t = table(None)
    ddb.put_item(TableName=t, Item={"pk": {"S": "a"}})
    assert ddb.delete_table(TableName=t)["TableDescription"]["TableStatus"] == "DELETING"
    assert error(lambda: ddb.describe_table(TableName=t))[0] == "ResourceNotFoundException"
    ddb.create_table(TableName=t, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    assert ddb.scan(TableName=t)["Count"] == 0


def test_item_count_and_size(ddb: Any, table: Any) -> None:
    t = table(None)
    ddb.put_item(TableName=t, Item={"pk": {"S": "ab"}, "v": {"S": "xyz"}})
    ddb.put_item(TableName=t, Item={"pk": {"S": "cd"}})
    d = ddb.describe_table(TableName=t)["Table"]
    assert d["ItemCount"] == 2 and d["TableSizeBytes"] == (2 + 2 + 1 + 3) + (2 + 2)


def test_tags(ddb: Any, table: Any) -> None:
    t = table(None)
    arn = ddb.describe_table(TableName=t)["Table"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "a"}])
    ddb.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert ddb.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]


def test_ttl_settings(ddb: Any, table: Any) -> None:
    t = table(None)
    assert ddb.describe_time_to_live(TableName=t)["TimeToLiveDescription"]["TimeToLiveStatus"] == "DISABLED"
    ddb.update_time_to_live(TableName=t, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    assert ddb.describe_time_to_live(TableName=t)["TimeToLiveDescription"] == {"TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}
    assert error(lambda: ddb.update_time_to_live(TableName=t, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"}))[:2] == (
        "ValidationException", "TimeToLive is already enabled")


def test_limits_and_endpoints(ddb: Any) -> None:
    lim = ddb.describe_limits()
    assert lim["TableMaxReadCapacityUnits"] == 40000 and lim["AccountMaxWriteCapacityUnits"] == 80000
    assert ddb.describe_endpoints()["Endpoints"][0]["CachePeriodInMinutes"] == 1440


def test_unbuilt_operations_answer_501(ddb: Any) -> None:
    code, _, status = error(lambda: ddb.list_global_tables())
    assert status == 501
