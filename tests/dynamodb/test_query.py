"""Query and Scan through boto3: sort-key conditions on N (negatives, decimals), S and B in
DynamoDB's order, reverse order, Limit and LastEvaluatedKey paging, FilterExpression applied
after Limit, Select COUNT, 1 MB pages, GSIs and LSIs (sparse, projections), parallel scan."""

from __future__ import annotations

import decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError

NUMS = ["-100", "-1.5", "-1.05", "-1", "0", "0.001", "1", "1.05", "1.5", "10", "99.5", "100", "1E+20"]


def error(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


@pytest.fixture
def numbers(ddb: Any, table: Any) -> str:
    t = table("N")
    with_batch = [{"PutRequest": {"Item": {"pk": {"S": "p"}, "sk": {"N": n}, "odd": {"BOOL": i % 2 == 1}}}} for i, n in enumerate(NUMS)]
    ddb.batch_write_item(RequestItems={t: with_batch})
    ddb.put_item(TableName=t, Item={"pk": {"S": "other"}, "sk": {"N": "5"}})
    return t


def sks(r: dict[str, Any]) -> list[decimal.Decimal]:
    return [decimal.Decimal(i["sk"]["N"]) for i in r["Items"]]


def q(ddb: Any, t: str, cond: str, **values: Any) -> dict[str, Any]:
    return ddb.query(TableName=t, KeyConditionExpression=cond,
                     ExpressionAttributeValues={":p": {"S": "p"}, **{f":{k}": v for k, v in values.items()}})


def test_numbers_come_in_numeric_order_both_ways(ddb: Any, numbers: str) -> None:
    r = q(ddb, numbers, "pk = :p")
    expected = sorted(decimal.Decimal(n) for n in NUMS)
    assert sks(r) == expected and r["Count"] == len(NUMS)
    r = ddb.query(TableName=numbers, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}},
                  ScanIndexForward=False)
    assert sks(r) == expected[::-1]


@pytest.mark.parametrize("cond,values,expected", [
    ("pk = :p AND sk = :v", {"v": {"N": "1.50"}}, ["1.5"]),
    ("pk = :p AND sk < :v", {"v": {"N": "-1"}}, ["-100", "-1.5", "-1.05"]),
    ("pk = :p AND sk <= :v", {"v": {"N": "-1"}}, ["-100", "-1.5", "-1.05", "-1"]),
    ("pk = :p AND sk > :v", {"v": {"N": "10"}}, ["99.5", "100", "1E+20"]),
    ("pk = :p AND sk >= :v", {"v": {"N": "99.5"}}, ["99.5", "100", "1E+20"]),
    ("pk = :p AND sk BETWEEN :a AND :b", {"a": {"N": "-1.05"}, "b": {"N": "1"}}, ["-1.05", "-1", "0", "0.001", "1"]),
    ("sk BETWEEN :a AND :b AND pk = :p", {"a": {"N": "1.01"}, "b": {"N": "1.1"}}, ["1.05"]),
])
def test_sort_key_conditions(ddb: Any, numbers: str, cond: str, values: Any, expected: list[str]) -> None:
    assert sks(q(ddb, numbers, cond, **values)) == [decimal.Decimal(x) for x in expected]


def test_strings_and_begins_with(ddb: Any, table: Any) -> None:
    t = table("S")
    words = ["a", "ab", "abc", "abd", "b", "B", "\u00e9", "\u4e2d", "a b"]
    for w in words:
        ddb.put_item(TableName=t, Item={"pk": {"S": "p"}, "sk": {"S": w}})
    got = [i["sk"]["S"] for i in q(ddb, t, "pk = :p")["Items"]]
    assert got == sorted(words, key=lambda w: w.encode())
    got = [i["sk"]["S"] for i in q(ddb, t, "pk = :p AND begins_with(sk, :x)", x={"S": "ab"})["Items"]]
    assert got == ["ab", "abc", "abd"]


def test_binary_sort_keys(ddb: Any, table: Any) -> None:
    t = table("B")
    vals = [b"\x00", b"\x00\x01", b"\x7f", b"\x80", b"\xff", b"\xff\x00"]
    for v in vals:
        ddb.put_item(TableName=t, Item={"pk": {"S": "p"}, "sk": {"B": v}})
    assert [i["sk"]["B"] for i in q(ddb, t, "pk = :p")["Items"]] == vals
    assert [i["sk"]["B"] for i in q(ddb, t, "pk = :p AND sk > :v", v={"B": b"\x7f"})["Items"]] == vals[3:]


def test_limit_pages_with_last_evaluated_key_and_filter_after_limit(ddb: Any, numbers: str) -> None:
    seen: list[decimal.Decimal] = []
    start = None
    pages = 0
    while True:
        kw = {"ExclusiveStartKey": start} if start else {}
        r = ddb.query(TableName=numbers, KeyConditionExpression="pk = :p", FilterExpression="odd = :t",
                      ExpressionAttributeValues={":p": {"S": "p"}, ":t": {"BOOL": True}}, Limit=4, **kw)
        pages += 1
        assert r["ScannedCount"] <= 4 and r["Count"] <= r["ScannedCount"]
        seen += sks(r)
        start = r.get("LastEvaluatedKey")
        if not start:
            break
        assert set(start) == {"pk", "sk"}
    assert pages == 4
    assert seen == [d for i, d in enumerate(sorted(decimal.Decimal(n) for n in NUMS)) if i % 2 == 1]


def test_select_count(ddb: Any, numbers: str) -> None:
    r = ddb.query(TableName=numbers, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}}, Select="COUNT")
    assert r["Count"] == len(NUMS) and "Items" not in r


@pytest.mark.parametrize("cond,values,message", [
    ("sk = :v", {":v": {"N": "1"}}, "Query condition missed key schema element: pk"),
    ("pk = :p OR sk = :v", {":p": {"S": "p"}, ":v": {"N": "1"}}, "Invalid operator used in KeyConditionExpression: OR"),
    ("pk = :p AND sk = :v", {":p": {"S": "p"}, ":v": {"S": "1"}},
     "One or more parameter values were invalid: Condition parameter type does not match schema type"),
    ("pk = :p AND odd = :v", {":p": {"S": "p"}, ":v": {"BOOL": True}}, "Query condition missed key schema element"),
])
def test_key_condition_errors(ddb: Any, numbers: str, cond: str, values: Any, message: str) -> None:
    assert error(lambda: ddb.query(TableName=numbers, KeyConditionExpression=cond, ExpressionAttributeValues=values)) == (
        "ValidationException", message)


def test_pages_end_at_one_megabyte(ddb: Any, table: Any) -> None:
    t = table("N")
    blob = "x" * (300 * 1024)
    for i in range(5):
        ddb.put_item(TableName=t, Item={"pk": {"S": "p"}, "sk": {"N": str(i)}, "v": {"S": blob}})
    r = q(ddb, t, "pk = :p")
    assert r["Count"] == 4 and r["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"N": "3"}}
    r2 = ddb.query(TableName=t, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p"}},
                   ExclusiveStartKey=r["LastEvaluatedKey"])
    assert sks(r2) == [4] and "LastEvaluatedKey" not in r2


def test_gsi_is_sparse_and_follows_every_write_and_lsi_orders_by_its_key(ddb: Any, table: Any) -> None:
    t = table("S", more_defs=[{"AttributeName": "status_", "AttributeType": "S"}, {"AttributeName": "ts", "AttributeType": "N"}],
              GlobalSecondaryIndexes=[{"IndexName": "byStatus", "KeySchema": [
                  {"AttributeName": "status_", "KeyType": "HASH"}, {"AttributeName": "ts", "KeyType": "RANGE"}],
                  "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["note"]}}],
              LocalSecondaryIndexes=[{"IndexName": "byAt", "KeySchema": [
                  {"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "ts", "KeyType": "RANGE"}],
                  "Projection": {"ProjectionType": "KEYS_ONLY"}}])
    ddb.put_item(TableName=t, Item={"pk": {"S": "u"}, "sk": {"S": "1"}, "status_": {"S": "open"}, "ts": {"N": "30"},
                                    "note": {"S": "n1"}, "big": {"S": "b"}})
    ddb.put_item(TableName=t, Item={"pk": {"S": "u"}, "sk": {"S": "2"}, "status_": {"S": "open"}, "ts": {"N": "10"}})
    ddb.put_item(TableName=t, Item={"pk": {"S": "u"}, "sk": {"S": "3"}, "ts": {"N": "20"}})  # not in byStatus
    got = ddb.query(TableName=t, IndexName="byStatus", KeyConditionExpression="status_ = :s",
                    ExpressionAttributeValues={":s": {"S": "open"}})
    assert [i["sk"]["S"] for i in got["Items"]] == ["2", "1"]
    assert got["Items"][1] == {"pk": {"S": "u"}, "sk": {"S": "1"}, "status_": {"S": "open"}, "ts": {"N": "30"}, "note": {"S": "n1"}}
    ddb.update_item(TableName=t, Key={"pk": {"S": "u"}, "sk": {"S": "2"}}, UpdateExpression="REMOVE status_")
    ddb.update_item(TableName=t, Key={"pk": {"S": "u"}, "sk": {"S": "3"}}, UpdateExpression="SET status_ = :s",
                    ExpressionAttributeValues={":s": {"S": "open"}})
    ddb.delete_item(TableName=t, Key={"pk": {"S": "u"}, "sk": {"S": "1"}})
    got = ddb.query(TableName=t, IndexName="byStatus", KeyConditionExpression="status_ = :s",
                    ExpressionAttributeValues={":s": {"S": "open"}})
    assert [i["sk"]["S"] for i in got["Items"]] == ["3"]
    lsi = ddb.query(TableName=t, IndexName="byAt", KeyConditionExpression="pk = :p AND ts > :a",
                    ExpressionAttributeValues={":p": {"S": "u"}, ":a": {"N": "5"}})
    assert [i["sk"]["S"] for i in lsi["Items"]] == ["2", "3"]
    assert error(lambda: ddb.query(TableName=t, IndexName="byStatus", ConsistentRead=True, KeyConditionExpression="status_ = :s",
                                   ExpressionAttributeValues={":s": {"S": "open"}})) == (
        "ValidationException", "Consistent reads are not supported on global secondary indexes")
    assert error(lambda: ddb.put_item(TableName=t, Item={"pk": {"S": "u"}, "sk": {"S": "9"}, "ts": {"S": "x"}})) == (
        "ValidationException", "One or more parameter values were invalid: Type mismatch for Index Key ts Expected: N Actual: S IndexName: byStatus")


def test_scan_filter_and_parallel_segments_cover_the_table_once(ddb: Any, table: Any) -> None:
    t = table(None)
    ddb.batch_write_item(RequestItems={t: [{"PutRequest": {"Item": {"pk": {"S": f"k{i}"}, "i": {"N": str(i)}}}} for i in range(25)]})
    everything = ddb.scan(TableName=t)
    assert everything["Count"] == 25
    seen: list[str] = []
    for seg in range(3):
        for page in ddb.get_paginator("scan").paginate(TableName=t, Segment=seg, TotalSegments=3, PaginationConfig={"PageSize": 4}):
            seen += [i["pk"]["S"] for i in page["Items"]]
    assert sorted(seen) == sorted(f"k{i}" for i in range(25))
    r = ddb.scan(TableName=t, FilterExpression="i >= :n", ExpressionAttributeValues={":n": {"N": "20"}}, ProjectionExpression="i")
    assert sorted(int(x["i"]["N"]) for x in r["Items"]) == [20, 21, 22, 23, 24] and r["ScannedCount"] == 25
    assert error(lambda: ddb.scan(TableName=t, Segment=3, TotalSegments=3)) == (
        "ValidationException", "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
                               "Segment: 3 is not less than TotalSegments: 3")


def test_index_pages_carry_the_index_key_in_last_evaluated_key(ddb: Any, table: Any) -> None:
    t = table("S", more_defs=[{"AttributeName": "g", "AttributeType": "S"}, {"AttributeName": "n", "AttributeType": "N"}],
              GlobalSecondaryIndexes=[{"IndexName": "byg", "KeySchema": [
                  {"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "n", "KeyType": "RANGE"}],
                  "Projection": {"ProjectionType": "ALL"}}])
    for i in range(7):  # two items share each sort value: the table key orders them
        ddb.put_item(TableName=t, Item={"pk": {"S": f"k{i}"}, "sk": {"S": "s"}, "g": {"S": "G"}, "n": {"N": str(i // 2)}})
    seen: list[str] = []
    for page in ddb.get_paginator("query").paginate(TableName=t, IndexName="byg", KeyConditionExpression="g = :g",
                                                    ExpressionAttributeValues={":g": {"S": "G"}}, ScanIndexForward=False,
                                                    PaginationConfig={"PageSize": 2}):
        if "LastEvaluatedKey" in page:
            assert set(page["LastEvaluatedKey"]) == {"pk", "sk", "g", "n"}
        seen += [i["pk"]["S"] for i in page["Items"]]
    assert seen == ["k6", "k5", "k4", "k3", "k2", "k1", "k0"]
