"""PartiQL through boto3 and the AWS CLI: ExecuteStatement reads (key ranges, IN, scans with
Limit/NextToken paging, projections with nested paths, parameters, GSIs), writes (INSERT with
DuplicateItemException, UPDATE with SET/REMOVE/set_add/list_append and conditions, DELETE,
RETURNING), BatchExecuteStatement's per-statement errors, ExecuteTransaction's all-or-nothing
with CancellationReasons and token idempotency, AWS's ValidationExceptions, and a PartiQL write
reaching the table's stream and its index."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError


def error(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def _fill(ddb: Any, t: str, n: int = 5) -> None:
    for p in ("a", "b"):
        for i in range(n):
            ddb.put_item(TableName=t, Item={"pk": {"S": p}, "sk": {"N": str(i)}, "v": {"S": f"{p}{i}"},
                                           "doc": {"M": {"tags": {"L": [{"S": "x"}, {"S": f"y{i}"}]}, "n": {"N": str(i * 10)}}}})


def test_select_by_key_range_in_and_projection(ddb: Any, table: Any) -> None:
    t = table("N")
    _fill(ddb, t)
    r = ddb.execute_statement(Statement=f'SELECT * FROM "{t}" WHERE pk = ? AND sk >= ?', Parameters=[{"S": "a"}, {"N": "3"}])
    assert [i["sk"]["N"] for i in r["Items"]] == ["3", "4"] and "NextToken" not in r
    r = ddb.execute_statement(Statement=f"SELECT v, doc.tags[1], doc.n FROM {t} WHERE pk IN ['a', 'b'] AND sk BETWEEN 1 AND 2")
    assert [i["v"]["S"] for i in r["Items"]] == ["a1", "a2", "b1", "b2"]
    assert r["Items"][0] == {"v": {"S": "a1"}, "doc": {"M": {"tags": {"L": [{"S": "y1"}]}, "n": {"N": "10"}}}}
    r = ddb.execute_statement(Statement=f"SELECT sk FROM \"{t}\" WHERE pk = 'b' AND sk < 3 ORDER BY sk DESC")
    assert [i["sk"]["N"] for i in r["Items"]] == ["2", "1", "0"]
    r = ddb.execute_statement(Statement=f"SELECT * FROM \"{t}\" WHERE pk = 'a' AND sk = 4 AND v = 'nope'", ConsistentRead=True)
    assert r["Items"] == []
    # a key-range read: Limit counts only the partition's items (a scan would evaluate 'a' first)
    r = ddb.execute_statement(Statement=f"SELECT v FROM \"{t}\" WHERE pk = 'b'", Limit=1)
    assert r["Items"] == [{"v": {"S": "b0"}}] and r["LastEvaluatedKey"] == {"pk": {"S": "b"}, "sk": {"N": "0"}}


def test_scan_paging_with_limit_and_next_token(ddb: Any, table: Any) -> None:
    t = table("N")
    _fill(ddb, t)
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        kw: dict[str, Any] = {"NextToken": token} if token else {}
        r = ddb.execute_statement(Statement=f"SELECT v FROM \"{t}\" WHERE doc.n >= 20", Limit=3, **kw)
        seen += [i["v"]["S"] for i in r["Items"]]
        pages += 1
        token = r.get("NextToken")
        if not token:
            break
    assert sorted(seen) == ["a2", "a3", "a4", "b2", "b3", "b4"] and pages >= 4
    # IN over partitions pages across them too
    r = ddb.execute_statement(Statement=f"SELECT v FROM \"{t}\" WHERE pk IN ('a', 'b')", Limit=4)
    assert len(r["Items"]) == 4 and r["NextToken"] and r["LastEvaluatedKey"] == {"pk": {"S": "a"}, "sk": {"N": "3"}}
    r2 = ddb.execute_statement(Statement=f"SELECT v FROM \"{t}\" WHERE pk IN ('a', 'b')", Limit=4, NextToken=r["NextToken"])
    assert [i["v"]["S"] for i in r2["Items"]] == ["a4", "b0", "b1", "b2"]


def test_select_on_index(ddb: Any, table: Any) -> None:
    t = table("N", more_defs=[{"AttributeName": "v", "AttributeType": "S"}],
              GlobalSecondaryIndexes=[{"IndexName": "byv", "KeySchema": [{"AttributeName": "v", "KeyType": "HASH"}],
                                       "Projection": {"ProjectionType": "ALL"}}])
    _fill(ddb, t)
    r = ddb.execute_statement(Statement=f'SELECT pk, sk FROM "{t}"."byv" WHERE v = \'b3\'')
    assert r["Items"] == [{"pk": {"S": "b"}, "sk": {"N": "3"}}]
    assert error(lambda: ddb.execute_statement(Statement=f'SELECT * FROM "{t}"."byv" WHERE v = \'b3\'', ConsistentRead=True)) == (
        "ValidationException", "Consistent reads are not supported on global secondary indexes")


def test_insert_update_delete_returning(ddb: Any, table: Any) -> None:
    t = table("S")
    ddb.execute_statement(Statement=f"INSERT INTO \"{t}\" VALUE {{'pk': 'k', 'sk': 's', 'n': 1, 'tags': <<'a'>>, 'l': [1]}}")
    assert error(lambda: ddb.execute_statement(Statement=f"INSERT INTO \"{t}\" VALUE {{'pk': ?, 'sk': ?}}",
                                               Parameters=[{"S": "k"}, {"S": "s"}])) == (
        "DuplicateItemException", "Duplicate primary key exists in table")
    r = ddb.execute_statement(Statement=f"UPDATE \"{t}\" SET n = n + 5 SET tags = set_add(tags, <<'b'>>) "
                                        f"SET l = list_append(l, [2]) REMOVE gone WHERE pk = 'k' AND sk = 's' AND n = 1 "
                                        "RETURNING ALL NEW *")
    item = r["Items"][0]
    assert item["n"] == {"N": "6"} and sorted(item["tags"]["SS"]) == ["a", "b"] and item["l"] == {"L": [{"N": "1"}, {"N": "2"}]}
    assert error(lambda: ddb.execute_statement(Statement=f"UPDATE \"{t}\" SET n = 0 WHERE pk = 'k' AND sk = 's' AND n = 1")) == (
        "ConditionalCheckFailedException", "The conditional request failed")
    assert error(lambda: ddb.execute_statement(Statement=f"UPDATE \"{t}\" SET n = 0 WHERE pk = 'absent' AND sk = 's'"))[0] == \
        "ConditionalCheckFailedException"
    assert error(lambda: ddb.execute_statement(Statement=f"UPDATE \"{t}\" SET n = 0 WHERE pk = 'k'")) == (
        "ValidationException", "Where clause does not contain a mandatory equality on all key attributes")
    r = ddb.execute_statement(Statement=f"UPDATE \"{t}\" REMOVE l WHERE pk = 'k' AND sk = 's' RETURNING MODIFIED OLD *")
    assert r["Items"] == [{"l": {"L": [{"N": "1"}, {"N": "2"}]}}]
    r = ddb.execute_statement(Statement=f"DELETE FROM \"{t}\" WHERE pk = 'k' AND sk = 's' RETURNING ALL OLD *")
    assert r["Items"][0]["n"] == {"N": "6"}
    assert ddb.get_item(TableName=t, Key={"pk": {"S": "k"}, "sk": {"S": "s"}}).get("Item") is None
    assert ddb.execute_statement(Statement=f"DELETE FROM \"{t}\" WHERE pk = 'k' AND sk = 's'")["Items"] == []


def test_bad_statements(ddb: Any, table: Any) -> None:
    t = table(None)
    code, msg = error(lambda: ddb.execute_statement(Statement=f"SELEKT * FROM {t}"))
    assert code == "ValidationException" and msg == "Statement wasn't well formed, can't be processed: Expected data manipulation"
    code, msg = error(lambda: ddb.execute_statement(Statement=f"SELECT * FROM {t} WHERE pk = "))
    assert code == "ValidationException" and msg.startswith("Statement wasn't well formed, can't be processed: ")
    assert error(lambda: ddb.execute_statement(Statement=f"SELECT * FROM {t} WHERE pk = ?")) == (
        "ValidationException", "Number of parameters in request and statement don't match.")
    assert error(lambda: ddb.execute_statement(Statement="SELECT * FROM nosuchtable"))[0] == "ResourceNotFoundException"
    code, msg = error(lambda: ddb.execute_statement(Statement=f"EXISTS(SELECT * FROM {t} WHERE pk = 'a')"))
    assert code == "ValidationException" and msg.startswith("Unsupported operation: ")
    assert error(lambda: ddb.execute_statement(Statement=f"DELETE FROM {t} WHERE v = 1")) == (
        "ValidationException", "Where clause does not contain a mandatory equality on all key attributes")


def test_batch_execute_statement(ddb: Any, table: Any) -> None:
    t = table(None)
    ddb.put_item(TableName=t, Item={"pk": {"S": "old"}, "n": {"N": "1"}})
    r = ddb.batch_execute_statement(Statements=[
        {"Statement": f"INSERT INTO \"{t}\" VALUE {{'pk': ?}}", "Parameters": [{"S": "new"}]},
        {"Statement": f"INSERT INTO \"{t}\" VALUE {{'pk': 'old'}}"},
        {"Statement": f"UPDATE \"{t}\" SET n = 2 WHERE pk = 'old' AND n = 7", "ReturnValuesOnConditionCheckFailure": "ALL_OLD"},
        {"Statement": f"DELETE FROM \"{t}\" WHERE pk = 'gone'"},
        {"Statement": f"UPDATE \"{t}\" SET n = 3 WHERE n = 1"},
    ], ReturnConsumedCapacity="TOTAL")
    res = r["Responses"]
    assert res[0] == {"TableName": t} and res[3] == {"TableName": t}
    assert res[1]["Error"]["Code"] == "DuplicateItem"
    assert res[2]["Error"]["Code"] == "ConditionalCheckFailed" and res[2]["Error"]["Item"] == {"pk": {"S": "old"}, "n": {"N": "1"}}
    assert res[4]["Error"] == {"Code": "ValidationError", "Message": "Where clause does not contain a mandatory equality on all key attributes"}
    assert r["ConsumedCapacity"][0]["TableName"] == t
    got = ddb.batch_execute_statement(Statements=[{"Statement": f"SELECT * FROM \"{t}\" WHERE pk = 'new'"},
                                                  {"Statement": f"SELECT n FROM \"{t}\" WHERE pk = 'old'"},
                                                  {"Statement": f"SELECT * FROM \"{t}\" WHERE pk = 'none'"}])["Responses"]
    assert got == [{"TableName": t, "Item": {"pk": {"S": "new"}}}, {"TableName": t, "Item": {"n": {"N": "1"}}}, {"TableName": t}]
    assert error(lambda: ddb.batch_execute_statement(Statements=[
        {"Statement": f"SELECT * FROM \"{t}\" WHERE pk = 'new'"}, {"Statement": f"DELETE FROM \"{t}\" WHERE pk = 'new'"}]))[0] == \
        "ValidationException"


def test_execute_transaction_all_or_nothing_and_token(ddb: Any, table: Any) -> None:
    t = table(None)
    ddb.put_item(TableName=t, Item={"pk": {"S": "a"}, "n": {"N": "1"}})
    ddb.put_item(TableName=t, Item={"pk": {"S": "x"}, "n": {"N": "1"}})
    with pytest.raises(ClientError) as e:
        ddb.execute_transaction(TransactStatements=[
            {"Statement": f"INSERT INTO \"{t}\" VALUE {{'pk': 'b'}}"},
            {"Statement": f"EXISTS(SELECT * FROM \"{t}\" WHERE pk = 'a' AND n = 2)"},
            {"Statement": f"INSERT INTO \"{t}\" VALUE {{'pk': 'a'}}".replace("'a'", "'c'")},
        ])
    assert e.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert [r["Code"] for r in e.value.response["CancellationReasons"]] == ["None", "ConditionalCheckFailed", "None"]
    assert "Item" not in ddb.get_item(TableName=t, Key={"pk": {"S": "b"}})
    stmts = [{"Statement": f"INSERT INTO \"{t}\" VALUE {{'pk': 'b'}}"},
             {"Statement": f"EXISTS(SELECT * FROM \"{t}\" WHERE pk = 'x' AND n = 1)"},
             {"Statement": f"UPDATE \"{t}\" SET n = n + 1 WHERE pk = 'a'"}]
    ddb.execute_transaction(TransactStatements=stmts, ClientRequestToken="tok-1")
    ddb.execute_transaction(TransactStatements=stmts, ClientRequestToken="tok-1")  # replayed, not re-applied
    assert ddb.get_item(TableName=t, Key={"pk": {"S": "a"}})["Item"]["n"] == {"N": "2"}
    assert error(lambda: ddb.execute_transaction(TransactStatements=stmts[:1], ClientRequestToken="tok-1"))[0] == \
        "IdempotentParameterMismatchException"
    with pytest.raises(ClientError) as e:
        ddb.execute_transaction(TransactStatements=[{"Statement": f"INSERT INTO \"{t}\" VALUE {{'pk': 'b'}}"}])
    assert e.value.response["CancellationReasons"] == [{"Code": "DuplicateItem", "Message": "Duplicate primary key exists in table"}]
    r = ddb.execute_transaction(TransactStatements=[{"Statement": f"SELECT n FROM \"{t}\" WHERE pk = 'a'"},
                                                    {"Statement": f"SELECT * FROM \"{t}\" WHERE pk = 'zz'"}])
    assert r["Responses"] == [{"Item": {"n": {"N": "2"}}}, {}]


def test_partiql_writes_reach_stream_and_index(gureum: Any, ddb: Any, table: Any) -> None:
    t = table(None, more_defs=[{"AttributeName": "g", "AttributeType": "S"}],
              GlobalSecondaryIndexes=[{"IndexName": "byg", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                       "Projection": {"ProjectionType": "KEYS_ONLY"}}],
              StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    ddb.execute_statement(Statement=f"INSERT INTO \"{t}\" VALUE {{'pk': 'p', 'g': 'one'}}")
    ddb.execute_statement(Statement=f"UPDATE \"{t}\" SET g = 'two' WHERE pk = 'p'")
    ddb.execute_statement(Statement=f"DELETE FROM \"{t}\" WHERE pk = 'p'")
    ddb.execute_statement(Statement=f"INSERT INTO \"{t}\" VALUE {{'pk': 'q', 'g': 'two'}}")
    assert ddb.query(TableName=t, IndexName="byg", KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": {"S": "two"}})["Items"] == [{"pk": {"S": "q"}, "g": {"S": "two"}}]
    streams = gureum.client("dynamodbstreams")
    arn = ddb.describe_table(TableName=t)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = streams.get_records(ShardIterator=it)["Records"]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE", "INSERT"]
    assert records[1]["dynamodb"]["OldImage"]["g"] == {"S": "one"} and records[1]["dynamodb"]["NewImage"]["g"] == {"S": "two"}


def test_cli_execute_statement(gureum: Any, ddb: Any, table: Any) -> None:
    t = table(None)
    ddb.put_item(TableName=t, Item={"pk": {"S": "c"}, "n": {"N": "3"}})
    out = gureum.aws("dynamodb", "execute-statement", "--statement", f"SELECT n FROM \"{t}\" WHERE pk = ?",
                     "--parameters", json.dumps([{"S": "c"}]))
    assert out["Items"] == [{"n": {"N": "3"}}]
    out = gureum.aws("dynamodb", "batch-execute-statement", "--statements",
                     json.dumps([{"Statement": f"UPDATE \"{t}\" SET n = 4 WHERE pk = 'c'"}]))
    assert out["Responses"] == [{"TableName": t}]
    out = gureum.aws("dynamodb", "execute-transaction", "--transact-statements",
                     json.dumps([{"Statement": f"SELECT n FROM \"{t}\" WHERE pk = 'c'"}]))
    assert out["Responses"] == [{"Item": {"n": {"N": "4"}}}]


@pytest.mark.parametrize("statement", [
    "SELECT a, a.b FROM {t}",
    "UPDATE {t} SET a = 1 SET a.b = 2 WHERE pk = 'x'",
    "SELECT * FROM {t} WHERE " + "(" * 3000 + "pk = 'a'" + ")" * 3000,
    "SELECT * FROM {t} WHERE contains(x)",
    "SELECT * FROM {t} WHERE attribute_type(x, 5)",
    "SELECT * FROM {t} WHERE size(x) IS MISSING",
    "SELECT * FROM {t}.nosuchindex",
    "SELECT * FROM {t} WHERE pk = 'a' ORDER BY x",
    "INSERT INTO {t} VALUE {{'n': 1}}",
    "INSERT INTO {t} VALUE [1]",
    "INSERT INTO {t} VALUE {{'pk': 'a', 's': <<1, 'x'>>}}",
    "UPDATE {t} SET pk = 'b' WHERE pk = 'a'",
    "UPDATE {t} SET n = 1e999 WHERE pk = 'a'",
    "DELETE FROM {t} WHERE pk = 'a' RETURNING ALL NEW *",
    "SELECT * FROM {t} WHERE pk = 'a' AND \u00e9",
])
def test_bad_input_is_a_validation_error(ddb: Any, table: Any, statement: str) -> None:
    t = table(None)
    assert error(lambda: ddb.execute_statement(Statement=statement.format(t=t)))[0] == "ValidationException"


def test_bad_next_token(ddb: Any, table: Any) -> None:
    t = table(None)
    for token in ("nope!", "eyJoIjogMCwgImsiOiB7fX0=", "eyJoIjogLTEsICJrIjogbnVsbH0="):  # garbage, {"h": 0, "k": {}}, h = -1
        assert error(lambda: ddb.execute_statement(Statement=f"SELECT * FROM {t}", NextToken=token)) == (  # noqa: B023
            "ValidationException", "Invalid NextToken")
