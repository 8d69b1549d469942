"""Batches and transactions through boto3: BatchGetItem/BatchWriteItem limits and duplicates,
TransactWriteItems all-or-nothing with CancellationReasons in action order, ClientRequestToken
idempotency, TransactGetItems."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError


def error(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def test_batch_write_and_get(ddb: Any, table: Any) -> None:
    t = table(None)
    r = ddb.batch_write_item(RequestItems={t: [{"PutRequest": {"Item": {"pk": {"S": f"k{i}"}}}} for i in range(25)]},
                             ReturnConsumedCapacity="TOTAL")
    assert r["UnprocessedItems"] == {} and r["ConsumedCapacity"][0]["CapacityUnits"] == 25.0
    ddb.batch_write_item(RequestItems={t: [{"DeleteRequest": {"Key": {"pk": {"S": "k0"}}}}]})
    got = ddb.batch_get_item(RequestItems={t: {"Keys": [{"pk": {"S": f"k{i}"}} for i in range(3)], "ProjectionExpression": "pk"}})
    assert sorted(i["pk"]["S"] for i in got["Responses"][t]) == ["k1", "k2"] and got["UnprocessedKeys"] == {}


def test_batch_limits_and_duplicates(ddb: Any, table: Any) -> None:
    t = table(None)
    assert error(lambda: ddb.batch_write_item(RequestItems={t: [{"PutRequest": {"Item": {"pk": {"S": f"k{i}"}}}} for i in range(26)]}))[0] \
        == "ValidationException"
    t2 = table(None)
    assert error(lambda: ddb.batch_get_item(RequestItems={t: {"Keys": [{"pk": {"S": f"k{i}"}} for i in range(60)]},
                                                          t2: {"Keys": [{"pk": {"S": f"k{i}"}} for i in range(41)]}})) == (
        "ValidationException", "Too many items requested for the BatchGetItem call")
    assert error(lambda: ddb.batch_write_item(RequestItems={t: [{"PutRequest": {"Item": {"pk": {"S": "a"}}}},
                                                                {"DeleteRequest": {"Key": {"pk": {"S": "a"}}}}]})) == (
        "ValidationException", "Provided list of item keys contains duplicates")
    assert error(lambda: ddb.batch_get_item(RequestItems={t: {"Keys": [{"pk": {"S": "a"}}, {"pk": {"S": "a"}}]}})) == (
        "ValidationException", "Provided list of item keys contains duplicates")


def test_batch_get_spills_past_16_mb_into_unprocessed_keys(ddb: Any, table: Any) -> None:
    t = table(None)
    blob = "x" * (390 * 1024)
    for i in range(45):
        ddb.put_item(TableName=t, Item={"pk": {"S": f"k{i:02d}"}, "v": {"S": blob}})
    keys = [{"pk": {"S": f"k{i:02d}"}} for i in range(45)]
    r = ddb.batch_get_item(RequestItems={t: {"Keys": keys}})
    got = len(r["Responses"][t])
    assert got < 45 and len(r["UnprocessedKeys"][t]["Keys"]) == 45 - got
    r2 = ddb.batch_get_item(RequestItems=r["UnprocessedKeys"])
    assert len(r2["Responses"][t]) == 45 - got


def test_transaction_is_all_or_nothing_with_reasons(ddb: Any, table: Any) -> None:
    t = table(None)
    ddb.put_item(TableName=t, Item={"pk": {"S": "acct1"}, "bal": {"N": "100"}})
    ddb.put_item(TableName=t, Item={"pk": {"S": "acct2"}, "bal": {"N": "0"}})

    def transfer(amount: str) -> Any:
        return ddb.transact_write_items(TransactItems=[
            {"Update": {"TableName": t, "Key": {"pk": {"S": "acct1"}}, "UpdateExpression": "SET bal = bal - :a",
                        "ConditionExpression": "bal >= :a", "ExpressionAttributeValues": {":a": {"N": amount}}}},
            {"Update": {"TableName": t, "Key": {"pk": {"S": "acct2"}}, "UpdateExpression": "SET bal = bal + :a",
                        "ExpressionAttributeValues": {":a": {"N": amount}}}},
            {"Put": {"TableName": t, "Item": {"pk": {"S": "log"}, "last": {"N": amount}}}},
        ])

    transfer("60")
    with pytest.raises(ClientError) as e:
        transfer("60")
    r = e.value.response
    assert r["Error"]["Code"] == "TransactionCanceledException"
    assert r["Error"]["Message"] == ("Transaction cancelled, please refer cancellation reasons for specific reasons "
                                     "[ConditionalCheckFailed, None, None]")
    assert [x["Code"] for x in r["CancellationReasons"]] == ["ConditionalCheckFailed", "None", "None"]
    got = ddb.transact_get_items(TransactItems=[{"Get": {"TableName": t, "Key": {"pk": {"S": k}}}} for k in ("acct1", "acct2", "log", "none")])
    items = [x.get("Item") for x in got["Responses"]]
    assert items[0]["bal"] == {"N": "40"} and items[1]["bal"] == {"N": "60"} and items[2]["last"] == {"N": "60"} and items[3] is None


def test_transaction_refuses_two_actions_on_one_item(ddb: Any, table: Any) -> None:
    t = table(None)
    assert error(lambda: ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": t, "Item": {"pk": {"S": "a"}}}},
        {"ConditionCheck": {"TableName": t, "Key": {"pk": {"S": "a"}}, "ConditionExpression": "attribute_exists(pk)"}},
    ])) == ("ValidationException", "Transaction request cannot include multiple operations on one item")


def test_client_request_token_is_idempotent(ddb: Any, table: Any) -> None:
    t = table(None)

    def add(token: str, amount: str) -> Any:
        return ddb.transact_write_items(ClientRequestToken=token, TransactItems=[
            {"Update": {"TableName": t, "Key": {"pk": {"S": "c"}}, "UpdateExpression": "ADD n :a",
                        "ExpressionAttributeValues": {":a": {"N": amount}}}}])

    add("tok-1", "1")
    add("tok-1", "1")
    assert ddb.get_item(TableName=t, Key={"pk": {"S": "c"}})["Item"]["n"] == {"N": "1"}
    assert error(lambda: add("tok-1", "2"))[0] == "IdempotentParameterMismatchException"
