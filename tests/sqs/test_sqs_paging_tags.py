"""SQS ListQueues paged with boto3's paginator (key tokens of gureum.aws.paging) and SQS's tag
rules (gureum.aws.tags), against a real gureum."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def sqs(gureum):
    return gureum.client("sqs")


def _code(e: pytest.ExceptionInfo[ClientError]) -> str:
    return e.value.response["Error"]["Code"]


def test_list_queues_pages_by_name(sqs):
    base = f"pg-{uuid.uuid4().hex[:8]}"
    urls = [sqs.create_queue(QueueName=f"{base}-{i}")["QueueUrl"] for i in range(5)]
    pages = [p.get("QueueUrls", []) for p in sqs.get_paginator("list_queues").paginate(QueueNamePrefix=base, PaginationConfig={"PageSize": 2})]
    assert len(pages) == 3 and [u for p in pages for u in p] == urls


def test_a_token_of_another_prefix_or_a_forged_one_is_refused(sqs):
    base = f"pg-{uuid.uuid4().hex[:8]}"
    for i in range(3):
        sqs.create_queue(QueueName=f"{base}-{i}")
    token = sqs.list_queues(QueueNamePrefix=base, MaxResults=1)["NextToken"]
    for kw in ({"QueueNamePrefix": base + "-1", "NextToken": token}, {"QueueNamePrefix": base, "NextToken": f"{base}-0"}):
        with pytest.raises(ClientError) as e:
            sqs.list_queues(MaxResults=1, **kw)
        assert _code(e) == "InvalidParameterValue"


def test_tag_rules(sqs):
    url = sqs.create_queue(QueueName=f"pgtag-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    sqs.tag_queue(QueueUrl=url, Tags={f"k{i}": "v" for i in range(50)})
    for bad in ({"one-more": "v"}, {"aws:x": "v"}, {"k1": "bad#value"}, {"k" * 129: "v"}):
        with pytest.raises(ClientError) as e:
            sqs.tag_queue(QueueUrl=url, Tags=bad)
        assert _code(e) == "InvalidParameterValue"
    sqs.untag_queue(QueueUrl=url, TagKeys=[f"k{i}" for i in range(1, 50)])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"k0": "v"}


def test_create_queue_tags_follow_the_same_rules(sqs):
    for bad in ({"aws:x": "v"}, {f"k{i}": "v" for i in range(51)}):
        with pytest.raises(ClientError) as e:
            sqs.create_queue(QueueName=f"pgct-{uuid.uuid4().hex[:8]}", tags=bad)
        assert _code(e) == "InvalidParameterValue"
