"""CloudWatch Logs basics through boto3, and Lambda's log lines in /aws/lambda/<name>."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for


@pytest.fixture
def logs(gureum):
    return gureum.client("logs")


def _group() -> str:
    return f"/test/{uuid.uuid4().hex[:8]}"


def test_groups_streams_events_round_trip(logs):
    group = _group()
    logs.create_log_group(logGroupName=group, tags={"team": "a"})
    with pytest.raises(ClientError) as exc:
        logs.create_log_group(logGroupName=group)
    assert exc.value.response["Error"]["Code"] == "ResourceAlreadyExistsException"
    logs.create_log_stream(logGroupName=group, logStreamName="s1")
    now = int(time.time() * 1000)
    out = logs.put_log_events(
        logGroupName=group, logStreamName="s1",
        logEvents=[{"timestamp": now + i, "message": f"line {i}"} for i in range(5)],
    )
    assert out["nextSequenceToken"]
    got = logs.get_log_events(logGroupName=group, logStreamName="s1", startFromHead=True)
    assert [e["message"] for e in got["events"]] == [f"line {i}" for i in range(5)]
    again = logs.get_log_events(logGroupName=group, logStreamName="s1", nextToken=got["nextForwardToken"])
    assert again["events"] == []
    limited = logs.get_log_events(logGroupName=group, logStreamName="s1", limit=2)
    assert [e["message"] for e in limited["events"]] == ["line 3", "line 4"]  # newest by default
    groups = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert [g["logGroupName"] for g in groups] == [group]
    assert groups[0]["arn"].endswith(f":log-group:{group}:*")
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert streams[0]["logStreamName"] == "s1" and streams[0]["lastEventTimestamp"] == now + 4
    assert logs.list_tags_log_group(logGroupName=group)["tags"] == {"team": "a"}


def test_filter_log_events_matches_terms_across_streams(logs):
    group = _group()
    logs.create_log_group(logGroupName=group)
    now = int(time.time() * 1000)
    for stream, messages in (("a", ["ERROR one", "ok two"]), ("b", ["ERROR three", "ok four"])):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=[{"timestamp": now, "message": m} for m in messages])
    found = logs.filter_log_events(logGroupName=group, filterPattern="ERROR")["events"]
    assert sorted(e["message"] for e in found) == ["ERROR one", "ERROR three"]
    only_b = logs.filter_log_events(logGroupName=group, logStreamNames=["b"])["events"]
    assert {e["logStreamName"] for e in only_b} == {"b"}
    paged = logs.filter_log_events(logGroupName=group, limit=3)
    rest = logs.filter_log_events(logGroupName=group, limit=3, nextToken=paged["nextToken"])
    assert len(paged["events"]) + len(rest["events"]) == 4


def test_filter_log_events_with_json_and_space_delimited_patterns(logs):
    group = _group()
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = int(time.time() * 1000)
    messages = [
        '{"level":"error","latency":250}',
        '{"level":"info","latency":5}',
        "10.0.0.1 GET /a 500 12",
        "10.0.0.2 GET /b 200 99",
    ]
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[{"timestamp": now + i, "message": m} for i, m in enumerate(messages)])
    slow = logs.filter_log_events(logGroupName=group, filterPattern='{ $.level = "error" && $.latency > 100 }')["events"]
    assert [e["message"] for e in slow] == [messages[0]]
    failed = logs.filter_log_events(logGroupName=group, filterPattern="[ip, method, path, status = 5*, bytes]")["events"]
    assert [e["message"] for e in failed] == [messages[2]]
    with pytest.raises(ClientError) as exc:
        logs.filter_log_events(logGroupName=group, filterPattern="{ $.level = ")
    assert exc.value.response["Error"]["Code"] == "InvalidParameterException"


def test_retention_and_delete(logs):
    group = _group()
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    old = int(time.time() * 1000) - 3 * 86400 * 1000
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[{"timestamp": old, "message": "old"}])
    logs.put_retention_policy(logGroupName=group, retentionInDays=1)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["retentionInDays"] == 1
    assert logs.get_log_events(logGroupName=group, logStreamName="s")["events"] == []
    with pytest.raises(ClientError):
        logs.put_retention_policy(logGroupName=group, retentionInDays=2)
    logs.delete_retention_policy(logGroupName=group)
    logs.delete_log_group(logGroupName=group)
    with pytest.raises(ClientError) as exc:
        logs.describe_log_streams(logGroupName=group)
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_lambda_logs_go_to_a_stream_per_environment_and_the_cli_shows_them(gureum, logs):
    import io
    import json
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", "def handler(e, c):\n    print('visible line', e['n'])\n    return 1\n")
    iam = gureum.client("iam")
    role = iam.create_role(RoleName=f"r-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
    lam = gureum.client("lambda")
    name = f"logged-{uuid.uuid4().hex[:6]}"
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role["Role"]["Arn"], Handler="app.handler", Code={"ZipFile": buf.getvalue()})
    lam.invoke(FunctionName=name, Payload=b'{"n": 1}')
    lam.invoke(FunctionName=name, Payload=b'{"n": 2}')
    group = f"/aws/lambda/{name}"

    def messages_once_both_reported() -> list[str]:
        try:
            messages = [e["message"] for e in logs.filter_log_events(logGroupName=group)["events"]]
        except ClientError:
            return []
        return messages if sum(m.startswith("REPORT") for m in messages) == 2 else []

    messages = wait_for("both invocations' REPORT lines", messages_once_both_reported, timeout=30, interval=0.1)
    assert any(m.startswith("INIT_START") for m in messages)
    assert "visible line 1" in messages and "visible line 2" in messages
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert len(streams) == 1 and "[$LATEST]" in streams[0]["logStreamName"]
    cli = subprocess.run(
        [sys.executable, "-m", "gureum", "logs", name, "--endpoint", gureum.endpoint],
        capture_output=True, text=True, timeout=60, env=gureum.env,
    )
    assert cli.returncode == 0, cli.stderr
    assert "visible line 2" in cli.stdout and "REPORT RequestId" in cli.stdout


def test_gureum_logs_follow_prints_new_lines(gureum, logs):
    group = f"/aws/lambda/follow-{uuid.uuid4().hex[:6]}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[{"timestamp": int(time.time() * 1000), "message": "early line"}])
    proc = subprocess.Popen(
        [sys.executable, "-m", "gureum", "logs", group, "--follow", "--endpoint", gureum.endpoint],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=gureum.env,
    )
    printed: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            printed.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        # the line already there is printed by the first poll: from now on it is following
        wait_for("the follower's first poll (the line already in the group)", lambda: any("early line" in x for x in printed), timeout=30)
        logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[{"timestamp": int(time.time() * 1000), "message": "late line"}])
        wait_for("the line put while following", lambda: any("late line" in x for x in printed), timeout=30)
        assert sum("early line" in x for x in printed) == 1  # printed once, though every poll overlaps
    finally:
        proc.terminate()
        proc.wait(10)
        reader.join(10)
