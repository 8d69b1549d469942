"""Transaction idempotency tokens: replayed within 10 minutes, forgotten after (the sweep's
drop_old_tokens), on a real SQLite store."""

from __future__ import annotations

import asyncio
from pathlib import Path

from gureum.services.dynamodb import batch as B
from gureum.services.dynamodb import tables as T
from gureum.services.dynamodb.ttl import drop_old_tokens
from gureum.store.open import open_store


def test_tokens_expire_after_ten_minutes(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    spec = {"TableName": "tok", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"}
    store.run_sync(lambda t: T.create(t, "000000000000", "us-east-1", spec, 0.0))
    req = {"ClientRequestToken": "x", "TransactItems": [{"Update": {
        "TableName": "tok", "Key": {"pk": {"S": "c"}}, "UpdateExpression": "ADD n :one",
        "ExpressionAttributeValues": {":one": {"N": "1"}}}}]}

    def count() -> str:
        row = store.read_sync(lambda t: t.get("dynamodb_items", f"000000000000/us-east-1/tok/{b'c'.hex()}//"))
        assert row is not None
        return str(row["i"]["n"]["N"])

    store.run_sync(lambda t: B.transact_write(t, "000000000000", "us-east-1", req, 1000.0))
    store.run_sync(lambda t: B.transact_write(t, "000000000000", "us-east-1", req, 1000.0 + 599))
    assert count() == "1"
    assert store.run_sync(lambda t: drop_old_tokens(t, 1000.0 + 599, 100)) == 0
    assert store.run_sync(lambda t: drop_old_tokens(t, 1000.0 + 600, 100)) == 1
    store.run_sync(lambda t: B.transact_write(t, "000000000000", "us-east-1", req, 1000.0 + 601))
    assert count() == "2"
    asyncio.run(store.close())
