"""CloudWatch Logs answers as AWS answers (issue 27): deletion protection on log groups
(CreateLogGroup, PutLogGroupDeletionProtection, DeleteLogGroup refused), the members
DescribeLogGroups returns (deletionProtectionEnabled, and no storedBytes for pattern
queries), and the errors of groups, streams and PutLogEvents with AWS's code, HTTP status and
message, through boto3."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError


def expect(call: Callable[..., Any], code: str, message: str, status: int = 400, **kwargs: Any) -> None:
    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    r = exc.value.response
    assert (r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Message"]) == (code, status, message)


@pytest.fixture(scope="module")
def logs(gureum: Any) -> Any:
    return gureum.client("logs")


@pytest.fixture(scope="module")
def raw(gureum: Any) -> Any:
    return gureum.client("logs", config=Config(parameter_validation=False, retries={"max_attempts": 1}))


@pytest.fixture
def group(logs: Any) -> str:
    return f"/exact/{uuid.uuid4().hex[:10]}"


def test_deletion_protection_refuses_delete_until_disabled(logs, group):
    logs.create_log_group(logGroupName=group, deletionProtectionEnabled=True)
    [shown] = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert shown["deletionProtectionEnabled"] is True
    expect(logs.delete_log_group, "ValidationException",
           "Cannot delete log group with deletion protection enabled. Disable deletion protection first.", logGroupName=group)
    logs.put_log_group_deletion_protection(logGroupIdentifier=group, deletionProtectionEnabled=False)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["deletionProtectionEnabled"] is False
    logs.delete_log_group(logGroupName=group)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"] == []


def test_deletion_protection_by_arn_and_on_a_missing_group(logs, group):
    logs.create_log_group(logGroupName=group)
    arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["logGroupArn"]
    logs.put_log_group_deletion_protection(logGroupIdentifier=arn, deletionProtectionEnabled=True)
    expect(logs.delete_log_group, "ValidationException",
           "Cannot delete log group with deletion protection enabled. Disable deletion protection first.", logGroupName=group)
    expect(logs.put_log_group_deletion_protection, "ResourceNotFoundException", "The specified log group does not exist.",
           logGroupIdentifier=group + "-nope", deletionProtectionEnabled=True)
    logs.put_log_group_deletion_protection(logGroupIdentifier=group, deletionProtectionEnabled=False)
    logs.delete_log_group(logGroupName=group)


def test_describe_log_groups_members_by_prefix_and_by_pattern(logs, group):
    logs.create_log_group(logGroupName=group)
    try:
        [by_prefix] = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
        assert set(by_prefix) == {"arn", "creationTime", "deletionProtectionEnabled", "logGroupArn", "logGroupClass",
                                  "logGroupName", "metricFilterCount", "storedBytes"}
        assert (by_prefix["deletionProtectionEnabled"], by_prefix["storedBytes"]) == (False, 0)
        [by_pattern] = logs.describe_log_groups(logGroupNamePattern=group.rsplit("/", 1)[1])["logGroups"]
        assert set(by_pattern) == {"arn", "creationTime", "logGroupArn", "logGroupClass", "logGroupName", "metricFilterCount"}
        expect(logs.describe_log_groups, "InvalidParameterException",
               "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.",
               logGroupNamePrefix=group, logGroupNamePattern="x")
    finally:
        logs.delete_log_group(logGroupName=group)


def test_group_and_stream_errors(logs, raw, group):
    logs.create_log_group(logGroupName=group)
    try:
        expect(logs.create_log_group, "ResourceAlreadyExistsException", "The specified log group already exists", logGroupName=group)
        logs.create_log_stream(logGroupName=group, logStreamName="s")
        expect(logs.create_log_stream, "ResourceAlreadyExistsException", "The specified log stream already exists",
               logGroupName=group, logStreamName="s")
        expect(logs.create_log_stream, "ResourceNotFoundException", "The specified log group does not exist.",
               logGroupName=group + "-nope", logStreamName="s")
        expect(logs.delete_log_stream, "ResourceNotFoundException", "The specified log stream does not exist.",
               logGroupName=group, logStreamName="nope")
        expect(raw.put_retention_policy, "InvalidParameterException",
               "1 validation error detected: Value '2' at 'retentionInDays' failed to satisfy constraint: Member must satisfy "
               "enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, "
               "3288, 3653]", logGroupName=group, retentionInDays=2)
        now = int(time.time() * 1000)
        expect(logs.put_log_events, "InvalidParameterException",
               "Log events in a single PutLogEvents request must be in chronological order.",
               logGroupName=group, logStreamName="s", logEvents=[{"timestamp": now, "message": "b"}, {"timestamp": now - 1, "message": "a"}])
        expect(logs.put_log_events, "ResourceNotFoundException", "The specified log stream does not exist.",
               logGroupName=group, logStreamName="nope", logEvents=[{"timestamp": now, "message": "a"}])
        out = logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[
            {"timestamp": now - 15 * 86400 * 1000, "message": "old"}, {"timestamp": now, "message": "ok"},
            {"timestamp": now + 3 * 3600 * 1000, "message": "new"}])
        assert out["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 0, "tooNewLogEventStartIndex": 2}
    finally:
        logs.delete_log_group(logGroupName=group)


def test_streams_report_no_stored_bytes_and_name_or_arn_not_both(logs, group):
    logs.create_log_group(logGroupName=group)
    try:
        logs.create_log_stream(logGroupName=group, logStreamName="s")
        [fresh] = logs.describe_log_streams(logGroupName=group)["logStreams"]
        assert set(fresh) == {"arn", "creationTime", "logStreamName", "storedBytes"} and fresh["storedBytes"] == 0
        now = int(time.time() * 1000)
        logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[{"timestamp": now, "message": "x" * 100}])
        [written] = logs.describe_log_streams(logGroupName=group)["logStreams"]
        assert written["storedBytes"] == 0 and written["lastEventTimestamp"] == now
        arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["logGroupArn"]
        expect(logs.describe_log_streams, "ValidationException", "LogGroup name and LogGroup ARN are mutually exclusive parameters.",
               logGroupName=group, logGroupIdentifier=arn)
    finally:
        logs.delete_log_group(logGroupName=group)
