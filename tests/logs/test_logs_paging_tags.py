"""CloudWatch Logs listings paged with boto3's paginators (key tokens of gureum.aws.paging),
GetLogEvents' f/ and b/ tokens, and Logs' tag rules (gureum.aws.tags), against a real gureum."""

from __future__ import annotations

import time
import uuid

import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def logs(gureum):
    return gureum.client("logs")


def _code(e: pytest.ExceptionInfo[ClientError]) -> str:
    return e.value.response["Error"]["Code"]


def _group() -> str:
    return f"/pg/{uuid.uuid4().hex[:8]}"


def _paged(logs, op: str, key: str, size: int = 2, **kw) -> list[list[dict]]:
    return [p[key] for p in logs.get_paginator(op).paginate(PaginationConfig={"PageSize": size}, **kw)]


def test_log_groups_page(logs):
    base = _group()
    for i in range(5):
        logs.create_log_group(logGroupName=f"{base}/{i}")
    pages = _paged(logs, "describe_log_groups", "logGroups", logGroupNamePrefix=base)
    assert len(pages) == 3 and [g["logGroupName"] for p in pages for g in p] == [f"{base}/{i}" for i in range(5)]


def test_log_streams_page_by_name_and_by_last_event_time_both_ways(logs):
    group = _group()
    logs.create_log_group(logGroupName=group)
    now = int(time.time() * 1000)
    names = ["e", "d", "c", "b", "a"]  # written in this order: "a" has the latest event
    for i, n in enumerate(names):
        logs.create_log_stream(logGroupName=group, logStreamName=n)
        logs.put_log_events(logGroupName=group, logStreamName=n, logEvents=[{"timestamp": now + i, "message": n}])

    def streams(**kw) -> list[str]:
        pages = _paged(logs, "describe_log_streams", "logStreams", logGroupName=group, **kw)
        assert len(pages) == 3
        return [s["logStreamName"] for p in pages for s in p]

    assert streams() == sorted(names)
    assert streams(descending=True) == sorted(names, reverse=True)
    assert streams(orderBy="LastEventTime") == names
    assert streams(orderBy="LastEventTime", descending=True) == names[::-1]


def test_get_log_events_pages_forward_and_backward(logs):
    group = _group()
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[{"timestamp": now + i, "message": str(i)} for i in range(5)])
    seen, kw = [], {"startFromHead": True}
    for _ in range(4):
        got = logs.get_log_events(logGroupName=group, logStreamName="s", limit=2, **kw)
        seen += [e["message"] for e in got["events"]]
        kw = {"nextToken": got["nextForwardToken"]}
    assert seen == ["0", "1", "2", "3", "4"]
    newest = logs.get_log_events(logGroupName=group, logStreamName="s", limit=2)
    older = logs.get_log_events(logGroupName=group, logStreamName="s", limit=2, nextToken=newest["nextBackwardToken"])
    assert [e["message"] for e in newest["events"]] == ["3", "4"] and [e["message"] for e in older["events"]] == ["1", "2"]
    other = _group()
    logs.create_log_group(logGroupName=other)
    logs.create_log_stream(logGroupName=other, logStreamName="s")
    for bad in (newest["nextForwardToken"], "f/eyJrIjogIngifQ==", "x/" + newest["nextForwardToken"][2:]):
        with pytest.raises(ClientError) as e:
            logs.get_log_events(logGroupName=other, logStreamName="s", nextToken=bad)
        assert _code(e) == "InvalidParameterException"


def test_filter_log_events_pages_across_streams(logs):
    group = _group()
    logs.create_log_group(logGroupName=group)
    now = int(time.time() * 1000)
    for s in ("a", "b"):
        logs.create_log_stream(logGroupName=group, logStreamName=s)
        logs.put_log_events(logGroupName=group, logStreamName=s, logEvents=[{"timestamp": now + i, "message": f"{s}{i}"} for i in range(3)])
    pages = _paged(logs, "filter_log_events", "events", logGroupName=group)
    assert len(pages) == 3 and sorted(e["message"] for p in pages for e in p) == ["a0", "a1", "a2", "b0", "b1", "b2"]
    token = logs.filter_log_events(logGroupName=group, limit=1)["nextToken"]
    with pytest.raises(ClientError) as e:
        logs.filter_log_events(logGroupName=group, limit=1, filterPattern="a0", nextToken=token)
    assert _code(e) == "InvalidParameterException"


def test_tag_rules(logs):
    group = _group()
    logs.create_log_group(logGroupName=group)
    arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["arn"].removesuffix(":*")
    logs.tag_resource(resourceArn=arn, tags={f"k{i}": "v" for i in range(50)})
    with pytest.raises(ClientError) as e:
        logs.tag_resource(resourceArn=arn, tags={"one-more": "v"})
    assert _code(e) == "TooManyTagsException"
    with pytest.raises(ClientError) as e:
        logs.tag_log_group(logGroupName=group, tags={"one-more": "v"})
    assert _code(e) == "InvalidParameterException"
    for bad in ({"aws:x": "v"}, {"k1": "bad#value"}):
        with pytest.raises(ClientError) as e:
            logs.tag_resource(resourceArn=arn, tags=bad)
        assert _code(e) == "InvalidParameterException"
    logs.untag_resource(resourceArn=arn, tagKeys=[f"k{i}" for i in range(1, 50)])
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"k0": "v"}
    assert logs.list_tags_log_group(logGroupName=group)["tags"] == {"k0": "v"}


def test_create_log_group_tags_follow_the_same_rules(logs):
    for bad in ({"aws:x": "v"}, {f"k{i}": "v" for i in range(51)}):
        with pytest.raises(ClientError) as e:
            logs.create_log_group(logGroupName=_group(), tags=bad)
        assert _code(e) in ("InvalidParameterException", "TooManyTagsException")
