"""Export tasks through boto3: a group's events land in a gureum S3 bucket under AWS's key
layout (<prefix>/<task id>/<stream>/000000.gz, gzip), after AWS's bucket policy checks."""

from __future__ import annotations

import gzip
import json
import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for


def _bucket(gureum: Any, policy: bool = True) -> str:
    s3 = gureum.client("s3")
    name = f"exports-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name)
    if policy:
        principal = {"Service": "logs.us-east-1.amazonaws.com"}
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": principal, "Action": "s3:GetBucketAcl", "Resource": f"arn:aws:s3:::{name}"},
            {"Effect": "Allow", "Principal": principal, "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{name}/*",
             "Condition": {"StringEquals": {"aws:SourceAccount": "000000000000"}}}]}))
    return name


def _code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def _finished(logs: Any, task: str) -> dict[str, Any]:
    found: dict[str, Any] = {}

    def done() -> bool:
        found.update(logs.describe_export_tasks(taskId=task)["exportTasks"][0])
        return found["status"]["code"] not in ("PENDING", "RUNNING")

    wait_for(f"export task {task} finished", done, timeout=60)
    return found


def test_export_writes_each_stream_gzipped_under_aws_key_layout(gureum):
    logs, s3 = gureum.client("logs"), gureum.client("s3")
    group = f"/exp/{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=group)
    now = int(time.time() * 1000)
    for stream in ("web/1", "worker"):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        logs.put_log_events(logGroupName=group, logStreamName=stream,
                            logEvents=[{"timestamp": now + i, "message": f"{stream} line {i}"} for i in range(3)])
    bucket = _bucket(gureum)
    task = logs.create_export_task(taskName="nightly", logGroupName=group, fromTime=now + 1, to=now + 3,
                                   destination=bucket, destinationPrefix="cwl")["taskId"]
    write_test = s3.get_object(Bucket=bucket, Key="cwl/aws-logs-write-test")["Body"].read()
    assert write_test == b"Permission Check Successful"
    desc = _finished(logs, task)
    assert desc["status"]["code"] == "COMPLETED"
    assert (desc["taskName"], desc["logGroupName"], desc["destination"], desc["destinationPrefix"]) == ("nightly", group, bucket, "cwl")
    assert desc["executionInfo"]["completionTime"] >= desc["executionInfo"]["creationTime"]
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=f"cwl/{task}/")["Contents"])
    assert keys == [f"cwl/{task}/web/1/000000.gz", f"cwl/{task}/worker/000000.gz"]
    lines = gzip.decompress(s3.get_object(Bucket=bucket, Key=keys[1])["Body"].read()).decode().splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == ["worker line 1", "worker line 2"]  # [from, to)
    assert lines[0].split(" ", 1)[0].endswith("Z") and "T" in lines[0].split(" ", 1)[0]
    with pytest.raises(ClientError) as exc:
        logs.cancel_export_task(taskId=task)
    assert _code(exc) == "InvalidOperationException"
    assert [t["taskId"] for t in logs.describe_export_tasks(statusCode="COMPLETED")["exportTasks"]].count(task) == 1


def test_export_refused_without_bucket_policy_missing_bucket_or_bad_range(gureum):
    logs = gureum.client("logs")
    group = f"/exp/{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=group)
    bare = _bucket(gureum, policy=False)
    with pytest.raises(ClientError) as exc:
        logs.create_export_task(logGroupName=group, fromTime=0, to=1, destination=bare)
    assert _code(exc) == "InvalidParameterException" and "GetBucketAcl" in exc.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as exc:
        logs.create_export_task(logGroupName=group, fromTime=0, to=1, destination=f"no-such-{uuid.uuid4().hex[:8]}")
    assert _code(exc) == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        logs.create_export_task(logGroupName=group, fromTime=5, to=1, destination=_bucket(gureum))
    assert _code(exc) == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        logs.create_export_task(logGroupName="/no/such/group", fromTime=0, to=1, destination=_bucket(gureum))
    assert _code(exc) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        logs.cancel_export_task(taskId=str(uuid.uuid4()))
    assert _code(exc) == "ResourceNotFoundException"
