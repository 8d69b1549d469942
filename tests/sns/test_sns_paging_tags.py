"""SNS listings (100 a page, as AWS) paged with boto3's paginators (key tokens of
gureum.aws.paging) and SNS's tag rules (gureum.aws.tags), against a real gureum. A region of
their own keeps the counts exact."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

REGION = "eu-west-3"


@pytest.fixture
def sns(gureum):
    return gureum.client("sns", region=REGION)


def _code(e: pytest.ExceptionInfo[ClientError]) -> str:
    return e.value.response["Error"]["Code"]


def test_topics_and_subscriptions_page_by_100(sns):
    base = f"pg-{uuid.uuid4().hex[:8]}"
    arns = {sns.create_topic(Name=f"{base}-{i:03d}")["TopicArn"] for i in range(101)}
    pages = [[t["TopicArn"] for t in p["Topics"]] for p in sns.get_paginator("list_topics").paginate()]
    flat = [a for p in pages for a in p]
    assert len(pages) >= 2 and len(pages[0]) == 100 and len(flat) == len(set(flat)) and arns <= set(flat)
    topic = min(arns)
    subs = {sns.subscribe(TopicArn=topic, Protocol="email", Endpoint=f"u{i}@example.com", ReturnSubscriptionArn=True)["SubscriptionArn"]
            for i in range(101)}
    pages = [p["Subscriptions"] for p in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic)]
    assert [len(p) for p in pages] == [100, 1]
    assert {s["Endpoint"] for p in pages for s in p} == {f"u{i}@example.com" for i in range(101)} and len(subs) == 101
    pages = [p["Subscriptions"] for p in sns.get_paginator("list_subscriptions").paginate()]
    assert len(pages) >= 2 and sum(len(p) for p in pages) >= 101


def test_a_token_of_another_listing_is_refused(sns):
    base = f"pg-{uuid.uuid4().hex[:8]}"
    for i in range(101):
        sns.create_topic(Name=f"{base}-{i:03d}")
    token = sns.list_topics()["NextToken"]
    with pytest.raises(ClientError) as e:
        sns.list_subscriptions(NextToken=token)
    assert _code(e) == "InvalidParameter"
    with pytest.raises(ClientError) as e:  # a bare store key, which gureum used to take as a token
        sns.list_topics(NextToken=f"000000000000/{REGION}/{base}-050")
    assert _code(e) == "InvalidParameter"


def test_tag_rules(sns):
    arn = sns.create_topic(Name=f"pgtag-{uuid.uuid4().hex[:8]}")["TopicArn"]
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    with pytest.raises(ClientError) as e:
        sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "one-more", "Value": "v"}])
    assert _code(e) == "TagLimitExceeded"
    for bad in ({"Key": "aws:x", "Value": "v"}, {"Key": "k1", "Value": "bad#value"}):
        with pytest.raises(ClientError) as e:
            sns.tag_resource(ResourceArn=arn, Tags=[bad])
        assert _code(e) == "InvalidParameter"
    with pytest.raises(ClientError) as e:
        sns.create_topic(Name=f"pgtag-{uuid.uuid4().hex[:8]}", Tags=[{"Key": "aws:x", "Value": "v"}])
    assert _code(e) == "InvalidParameter"
    sns.untag_resource(ResourceArn=arn, TagKeys=[f"k{i}" for i in range(1, 50)])
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "k0", "Value": "v"}]
    with pytest.raises(ClientError) as e:
        sns.list_tags_for_resource(ResourceArn=arn + "-gone")
    assert _code(e) == "ResourceNotFound"
