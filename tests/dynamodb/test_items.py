"""Items through boto3: Put/Get/Update/Delete with ConditionExpression and every ReturnValues,
the developer guide's update examples on its ProductCatalog item, key and size limits,
number semantics and AWS's messages."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.dynamodb.product import bicycle


def error(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


@pytest.fixture
def catalog(ddb: Any, table: Any) -> str:
    name = table(None, hash_type="N")
    ddb.delete_table(TableName=name)
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "Id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "Id", "AttributeType": "N"}], BillingMode="PAY_PER_REQUEST")
    ddb.put_item(TableName=name, Item=bicycle())
    return name


KEY = {"Id": {"N": "123"}}


def test_get_with_projection_and_names(ddb: Any, catalog: str) -> None:
    got = ddb.get_item(TableName=catalog, Key=KEY, ProjectionExpression="Description, RelatedItems[0], #pr.FiveStar",
                       ExpressionAttributeNames={"#pr": "ProductReviews"})["Item"]
    assert set(got) == {"Description", "RelatedItems", "ProductReviews"}
    assert got["RelatedItems"] == {"L": [{"N": "341"}]}
    assert ddb.get_item(TableName=catalog, Key={"Id": {"N": "999"}}).get("Item") is None


def test_conditional_put_fails_with_aws_error_and_old_item(ddb: Any, catalog: str) -> None:
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=catalog, Item={"Id": {"N": "123"}}, ConditionExpression="attribute_not_exists(Id)",
                     ReturnValuesOnConditionCheckFailure="ALL_OLD")
    r = e.value.response
    assert r["Error"]["Code"] == "ConditionalCheckFailedException" and r["Error"]["Message"] == "The conditional request failed"
    assert r["Item"]["Title"] == {"S": "Bicycle 123"}
    old = ddb.put_item(TableName=catalog, Item={"Id": {"N": "123"}, "Price": {"N": "1"}}, ReturnValues="ALL_OLD",
                       ConditionExpression="Price = :p", ExpressionAttributeValues={":p": {"N": "500"}})["Attributes"]
    assert old["Title"] == {"S": "Bicycle 123"}
    assert ddb.get_item(TableName=catalog, Key=KEY)["Item"] == {"Id": {"N": "123"}, "Price": {"N": "1"}}


def test_developer_guide_updates_and_return_values(ddb: Any, catalog: str) -> None:
    r = ddb.update_item(TableName=catalog, Key=KEY, UpdateExpression="SET ProductCategory = :c, Price = :p",
                        ExpressionAttributeValues={":c": {"S": "Hardware"}, ":p": {"N": "60"}}, ReturnValues="ALL_NEW")
    assert r["Attributes"]["ProductCategory"] == {"S": "Hardware"} and r["Attributes"]["Title"] == {"S": "Bicycle 123"}
    r = ddb.update_item(TableName=catalog, Key=KEY, UpdateExpression="SET Price = Price - :p",
                        ConditionExpression="Price > :limit",
                        ExpressionAttributeValues={":p": {"N": "15"}, ":limit": {"N": "50"}}, ReturnValues="UPDATED_NEW")
    assert r["Attributes"] == {"Price": {"N": "45"}}
    r = ddb.update_item(TableName=catalog, Key=KEY, UpdateExpression="SET #pr.FiveStar = list_append(#pr.FiveStar, :r)",
                        ExpressionAttributeNames={"#pr": "ProductReviews"},
                        ExpressionAttributeValues={":r": {"L": [{"S": "Harder, better, faster, stronger."}]}},
                        ReturnValues="UPDATED_OLD")
    assert len(r["Attributes"]["ProductReviews"]["M"]["FiveStar"]["L"]) == 2
    r = ddb.update_item(TableName=catalog, Key=KEY, UpdateExpression="REMOVE RelatedItems[1], RelatedItems[2], Brand ADD Color :c",
                        ExpressionAttributeValues={":c": {"SS": ["Orange"]}}, ReturnValues="ALL_OLD")
    assert r["Attributes"]["Brand"] == {"S": "Brand-Company C"}
    item = ddb.get_item(TableName=catalog, Key=KEY)["Item"]
    assert item["RelatedItems"] == {"L": [{"N": "341"}]} and "Brand" not in item
    assert sorted(item["Color"]["SS"]) == ["Black", "Orange", "Red"]
    assert len(item["ProductReviews"]["M"]["FiveStar"]["L"]) == 3
    code, msg = error(lambda: ddb.update_item(TableName=catalog, Key=KEY, UpdateExpression="SET Price = Price - :p",
                                              ConditionExpression="Price > :limit",
                                              ExpressionAttributeValues={":p": {"N": "15"}, ":limit": {"N": "500"}}))
    assert code == "ConditionalCheckFailedException"


def test_update_creates_an_item_and_counts_atomically(ddb: Any, table: Any) -> None:
    t = table(None)
    for _ in range(3):
        ddb.update_item(TableName=t, Key={"pk": {"S": "c"}}, UpdateExpression="ADD hits :one SET seen = if_not_exists(seen, :now)",
                        ExpressionAttributeValues={":one": {"N": "1"}, ":now": {"S": "first"}})
    assert ddb.get_item(TableName=t, Key={"pk": {"S": "c"}})["Item"] == {"pk": {"S": "c"}, "hits": {"N": "3"}, "seen": {"S": "first"}}


def test_delete_with_condition_and_all_old(ddb: Any, catalog: str) -> None:
    assert error(lambda: ddb.delete_item(TableName=catalog, Key=KEY, ConditionExpression="InStock = :f",
                                         ExpressionAttributeValues={":f": {"BOOL": False}}))[0] == "ConditionalCheckFailedException"
    r = ddb.delete_item(TableName=catalog, Key=KEY, ReturnValues="ALL_OLD")
    assert r["Attributes"]["Id"] == {"N": "123"}
    assert "Item" not in ddb.get_item(TableName=catalog, Key=KEY)


@pytest.mark.parametrize("call,expected", [
    (lambda d, t: d.put_item(TableName=t, Item={"x": {"S": "1"}}),
     ("ValidationException", "One or more parameter values were invalid: Missing the key pk in the item")),
    (lambda d, t: d.put_item(TableName=t, Item={"pk": {"N": "1"}}),
     ("ValidationException", "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N")),
    (lambda d, t: d.put_item(TableName=t, Item={"pk": {"S": ""}}),
     ("ValidationException", "One or more parameter values are not valid. The AttributeValue for a key attribute cannot "
                             "contain an empty string value. Key: pk")),
    (lambda d, t: d.get_item(TableName=t, Key={"pk": {"S": "a"}, "other": {"S": "b"}}),
     ("ValidationException", "The provided key element does not match the schema")),
    (lambda d, t: d.put_item(TableName=t, Item={"pk": {"S": "a"}, "big": {"S": "x" * (400 * 1024)}}),
     ("ValidationException", "Item size has exceeded the maximum allowed size")),
    (lambda d, t: d.put_item(TableName=t, Item={"pk": {"S": "k" * 2049}}),
     ("ValidationException", "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of 2048 bytes")),
    (lambda d, t: d.put_item(TableName=t, Item={"pk": {"S": "a"}, "n": {"N": "1E+126"}}),
     ("ValidationException", "Number overflow. Attempting to store a number with magnitude larger than supported range")),
    (lambda d, t: d.put_item(TableName=t, Item={"pk": {"S": "a"}, "s": {"SS": ["a", "a"]}}),
     ("ValidationException", "One or more parameter values were invalid: Input collection [a, a] contains duplicates.")),
    (lambda d, t: d.put_item(TableName=t, Item={"pk": {"S": "a"}, "v": {"S": "a", "N": "1"}}),
     ("ValidationException", "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")),
    (lambda d, t: d.put_item(TableName=t, Item={"pk": {"S": "a"}}, ConditionExpression="a = :v",
                             ExpressionAttributeValues={":v": {"S": "1"}, ":w": {"S": "2"}}),
     ("ValidationException", "Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}")),
    (lambda d, t: d.put_item(TableName=t, Item={"pk": {"S": "a"}}, ConditionExpression="status = :v",
                             ExpressionAttributeValues={":v": {"S": "1"}}),
     ("ValidationException", "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status")),
    (lambda d, t: d.update_item(TableName=t, Key={"pk": {"S": "a"}}, UpdateExpression="SET pk = :v",
                                ExpressionAttributeValues={":v": {"S": "b"}}),
     ("ValidationException", "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key")),
    (lambda d, t: d.update_item(TableName=t, Key={"pk": {"S": "a"}}, UpdateExpression="SET a.b = :v",
                                ExpressionAttributeValues={":v": {"S": "b"}}),
     ("ValidationException", "The document path provided in the update expression is invalid for update")),
    (lambda d, t: d.put_item(TableName=t, Item={"pk": {"S": "a"}}, ReturnValues="ALL_NEW"),
     ("ValidationException", "Return values set to invalid value")),
    (lambda d, t: d.put_item(TableName=t, Item={"pk": {"S": "a"}}, ExpressionAttributeValues={":v": {"S": "1"}}),
     ("ValidationException", "ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null "
                             "and UpdateExpression is null and ProjectionExpression is null")),
])
def test_item_validation_as_aws(ddb: Any, table: Any, call: Any, expected: tuple[str, str]) -> None:
    t = table(None)
    assert error(lambda: call(ddb, t)) == expected


def test_numbers_keep_38_digits_and_come_back_canonical(ddb: Any, table: Any) -> None:
    t = table(None)
    ddb.put_item(TableName=t, Item={"pk": {"S": "n"}, "a": {"N": "0012.3400"}, "b": {"N": "12345678901234567890123456789012345678"},
                                    "c": {"N": "-1E-130"}, "s": {"NS": ["1", "2.50"]}})
    got = ddb.get_item(TableName=t, Key={"pk": {"S": "n"}})["Item"]
    assert got["a"] == {"N": "12.34"} and got["b"] == {"N": "12345678901234567890123456789012345678"}
    assert got["c"]["N"] == "-0." + "0" * 129 + "1"
    assert sorted(got["s"]["NS"]) == ["1", "2.5"]


def test_binary_values_round_trip(ddb: Any, table: Any) -> None:
    t = table(None)
    ddb.put_item(TableName=t, Item={"pk": {"S": "b"}, "b": {"B": b"\x00\xff"}, "bs": {"BS": [b"a", b"\x01"]}})
    got = ddb.get_item(TableName=t, Key={"pk": {"S": "b"}})["Item"]
    assert got["b"] == {"B": b"\x00\xff"} and sorted(got["bs"]["BS"]) == [b"\x01", b"a"]


def test_consumed_capacity_follows_aws_units(ddb: Any, table: Any) -> None:
    t = table(None)
    r = ddb.put_item(TableName=t, Item={"pk": {"S": "c"}, "v": {"S": "x" * 1500}}, ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"]["CapacityUnits"] == 2.0
    r = ddb.get_item(TableName=t, Key={"pk": {"S": "c"}}, ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"]["CapacityUnits"] == 0.5
    r = ddb.get_item(TableName=t, Key={"pk": {"S": "c"}}, ReturnConsumedCapacity="TOTAL", ConsistentRead=True)
    assert r["ConsumedCapacity"]["CapacityUnits"] == 1.0


def test_condition_failure_returns_an_old_item_with_binaries(ddb: Any, table: Any) -> None:
    t = table(None)
    ddb.put_item(TableName=t, Item={"pk": {"S": "b"}, "b": {"B": b"\x00\xff"}})
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=t, Item={"pk": {"S": "b"}}, ConditionExpression="attribute_not_exists(pk)",
                     ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert e.value.response["Item"]["b"] == {"B": b"\x00\xff"}
    with pytest.raises(ClientError) as e:
        ddb.transact_write_items(TransactItems=[{"Put": {"TableName": t, "Item": {"pk": {"S": "b"}},
                                                         "ConditionExpression": "attribute_not_exists(pk)",
                                                         "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}])
    assert e.value.response["CancellationReasons"][0]["Item"]["b"] == {"B": b"\x00\xff"}


def test_range_key_size_and_empty_binary_key(ddb: Any, table: Any) -> None:
    t = table("S")
    assert error(lambda: ddb.put_item(TableName=t, Item={"pk": {"S": "a"}, "sk": {"S": "r" * 1025}})) == (
        "ValidationException", "One or more parameter values were invalid: Aggregated size of all range keys has exceeded "
                               "the size limit of 1024 bytes")
    ddb.put_item(TableName=t, Item={"pk": {"S": "a"}, "sk": {"S": "r" * 1024}, "empty": {"S": ""}})
    assert ddb.get_item(TableName=t, Key={"pk": {"S": "a"}, "sk": {"S": "r" * 1024}})["Item"]["empty"] == {"S": ""}
    b = table("B")
    assert error(lambda: ddb.put_item(TableName=b, Item={"pk": {"S": "a"}, "sk": {"B": b""}}))[1].endswith("Key: sk")
