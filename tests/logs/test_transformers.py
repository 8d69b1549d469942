"""Log transformers through boto3: TestTransformer's processor chain, Put/Get/Delete, AWS's
validation, and transformation at ingestion seen by Logs Insights while GetLogEvents keeps
the original message."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError
from logs_shapes import checked
from waiting import wait_for

CHAIN = [
    {"parseJSON": {}},
    {"addKeys": {"entries": [{"key": "env", "value": "prod"}]}},
    {"deleteKeys": {"withKeys": ["secret"]}},
    {"renameKeys": {"entries": [{"key": "lvl", "renameTo": "level"}]}},
    {"lowerCaseString": {"withKeys": ["level"]}},
    {"copyValue": {"entries": [{"source": "@logGroupName", "target": "group"}]}},
    {"typeConverter": {"entries": [{"key": "n", "type": "integer"}]}},
]


@pytest.fixture
def logs(gureum):
    yield from checked(gureum)


def _code(call, **kwargs):
    with pytest.raises(ClientError) as exc:
        call(**kwargs)
    return exc.value.response["Error"]["Code"]


def test_test_transformer_runs_the_processor_chain(logs):
    out = logs.test_transformer(transformerConfig=CHAIN, logEventMessages=['{"lvl":"ERROR","secret":"x","n":"42"}', "plain text"])
    first, second = out["transformedLogs"]
    assert first["eventMessage"] == '{"lvl":"ERROR","secret":"x","n":"42"}'
    assert json.loads(first["transformedEventMessage"]) == {"level": "error", "n": 42, "env": "prod", "group": ""}
    assert second["transformedEventMessage"] == "plain text"  # not JSON: left as it was
    grok = logs.test_transformer(transformerConfig=[{"grok": {"match": "%{IP:client} %{WORD:method} %{URIPATH:path} %{NUMBER:status:int}"}}],
                                 logEventMessages=["10.0.0.1 GET /a/b 404"])
    assert json.loads(grok["transformedLogs"][0]["transformedEventMessage"]) == {"client": "10.0.0.1", "method": "GET",
                                                                                 "path": "/a/b", "status": 404}
    kv = logs.test_transformer(transformerConfig=[{"parseKeyValue": {"fieldDelimiter": " "}},
                                                  {"upperCaseString": {"withKeys": ["user"]}}],
                               logEventMessages=["user=bob action=login"])
    assert json.loads(kv["transformedLogs"][0]["transformedEventMessage"]) == {"user": "BOB", "action": "login"}


def test_transformer_validation(logs):
    assert _code(logs.test_transformer, transformerConfig=[{"addKeys": {"entries": [{"key": "a", "value": "b"}]}}],
                 logEventMessages=["x"]) == "InvalidParameterException"  # the first processor must parse
    assert _code(logs.test_transformer, transformerConfig=[{"grok": {"match": "%{NOSUCHPATTERN:x}"}}],
                 logEventMessages=["x"]) == "InvalidParameterException"
    assert _code(logs.put_transformer, logGroupIdentifier="/no/such/group", transformerConfig=CHAIN) == "ResourceNotFoundException"


def test_put_get_delete_and_ingestion(logs):
    group = f"/transform/{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    assert _code(logs.get_transformer, logGroupIdentifier=group) == "ResourceNotFoundException"
    logs.put_transformer(logGroupIdentifier=group, transformerConfig=CHAIN)
    got = logs.get_transformer(logGroupIdentifier=group)
    assert got["transformerConfig"] == CHAIN and got["logGroupIdentifier"] == group and got["creationTime"] > 0
    message = '{"lvl":"WARN","secret":"s3cr3t","n":"7"}'
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[{"timestamp": int(time.time() * 1000), "message": message}])
    assert logs.get_log_events(logGroupName=group, logStreamName="s")["events"][0]["message"] == message
    now = int(time.time())
    qid = logs.start_query(logGroupName=group, startTime=now - 60, endTime=now + 60,
                           queryString="fields level, env, group, n, secret")["queryId"]
    out = wait_for("query", lambda: (r := logs.get_query_results(queryId=qid))["status"] == "Complete" and r, timeout=30, interval=0.1)
    row = {f["field"]: f["value"] for f in out["results"][0] if f["field"] != "@ptr"}
    assert row == {"level": "warn", "env": "prod", "group": group, "n": "7"}
    logs.delete_transformer(logGroupIdentifier=group)
    assert _code(logs.delete_transformer, logGroupIdentifier=group) == "ResourceNotFoundException"
    # a transformer goes with its log group
    logs.put_transformer(logGroupIdentifier=group, transformerConfig=CHAIN)
    logs.delete_log_group(logGroupName=group)
    logs.create_log_group(logGroupName=group)
    assert _code(logs.get_transformer, logGroupIdentifier=group) == "ResourceNotFoundException"
