"""Fixtures of the DynamoDB tests: one gureum per module, a boto3 client without retries, and
fresh table names."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from botocore.config import Config

_names = itertools.count()


@pytest.fixture(scope="module")
def ddb(gureum: Any) -> Any:
    return gureum.client("dynamodb", config=Config(retries={"max_attempts": 1}))


@pytest.fixture
def table(ddb: Any) -> Callable[..., str]:
    """Create a table (hash `pk` S, optional range `sk` of `range_type`) and return its name."""

    def make(range_type: str | None = "S", hash_type: str = "S", **extra: Any) -> str:
        name = f"tbl{next(_names):04d}"
        schema = [{"AttributeName": "pk", "KeyType": "HASH"}]
        defs = [{"AttributeName": "pk", "AttributeType": hash_type}]
        if range_type:
            schema.append({"AttributeName": "sk", "KeyType": "RANGE"})
            defs.append({"AttributeName": "sk", "AttributeType": range_type})
        defs += extra.pop("more_defs", [])
        ddb.create_table(TableName=name, KeySchema=schema, AttributeDefinitions=defs, BillingMode="PAY_PER_REQUEST", **extra)
        return name

    return make
