"""Logs Insights through boto3: StartQuery / GetQueryResults with the query language's
commands, the statuses and statistics, malformed queries, StopQuery, DescribeQueries,
ListLogGroupsForQuery and the query definitions."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError
from logs_shapes import checked
from waiting import wait_for


@pytest.fixture
def logs(gureum):
    yield from checked(gureum)


@pytest.fixture
def group(logs):
    """A group with two streams: six JSON lines in "api", four access-log lines in "web"."""
    name = f"/insights/{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=name)
    base = (int(time.time()) // 600) * 600 * 1000 - 600_000  # on a 10-minute boundary
    logs.create_log_stream(logGroupName=name, logStreamName="api")
    api = [{"timestamp": base + i * 60_000, "message": json.dumps({"level": "error" if i % 3 == 0 else "info",
                                                                   "latency": i * 10, "req": {"path": f"/p{i % 2}"}})}
           for i in range(6)]
    logs.put_log_events(logGroupName=name, logStreamName="api", logEvents=api)
    logs.create_log_stream(logGroupName=name, logStreamName="web")
    web = [{"timestamp": base + i * 60_000, "message": f"GET /x{i} {200 if i % 2 else 500} user=bob{i} took {i * 7}ms"}
           for i in range(4)]
    logs.put_log_events(logGroupName=name, logStreamName="web", logEvents=web)
    return name, base


def _run(logs, group_name, query, **extra):
    now = int(time.time())
    qid = logs.start_query(logGroupName=group_name, startTime=now - 3600, endTime=now + 60, queryString=query, **extra)["queryId"]
    out = wait_for("query complete", lambda: (r := logs.get_query_results(queryId=qid))["status"] not in ("Scheduled", "Running") and r,
                   timeout=30, interval=0.1)
    assert out["status"] == "Complete"
    return qid, out


def _rows(out, ptr=False):
    """The rows as dicts (without the @ptr every event row carries, unless `ptr`)."""
    return [{f["field"]: f["value"] for f in row if ptr or f["field"] != "@ptr"} for row in out["results"]]


def test_fields_filter_and_json_fields_with_statistics(logs, group):
    name, base = group
    _, out = _run(logs, name, 'fields @timestamp, level, req.path | filter level = "error" and latency >= 30')
    rows = _rows(out, ptr=True)
    assert len(rows) == 1
    assert rows[0]["level"] == "error" and rows[0]["req.path"] == "/p1"
    assert rows[0]["@timestamp"] == time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime((base + 180_000) / 1000)) + ".000"
    assert "@ptr" in rows[0]
    assert out["statistics"]["recordsScanned"] == 10 and out["statistics"]["recordsMatched"] == 1
    assert out["statistics"]["bytesScanned"] > 0


def test_stats_aggregations_by_field_and_sort(logs, group):
    name, _ = group
    _, out = _run(logs, name, "stats count(*) as n, sum(latency), avg(latency), min(latency), max(latency), "
                              "pct(latency, 50), count_distinct(req.path) by level | sort n desc")
    rows = _rows(out)
    assert [r["level"] for r in rows] == ["info", "error"]
    assert rows[0] == {"level": "info", "n": "4", "sum(latency)": "120", "avg(latency)": "30", "min(latency)": "10",
                       "max(latency)": "50", "pct(latency, 50)": "20", "count_distinct(req.path)": "2"}
    assert rows[1]["n"] == "2" and rows[1]["avg(latency)"] == "15"


def test_stats_by_bin_buckets_time(logs, group):
    name, base = group
    _, out = _run(logs, name, "filter ispresent(level) | stats count(*) by bin(5m)")
    rows = _rows(out)
    first = time.strftime("%Y-%m-%d %H:%M:%S.000", time.gmtime(base / 1000))
    second = time.strftime("%Y-%m-%d %H:%M:%S.000", time.gmtime((base + 300_000) / 1000))
    assert rows == [{"bin(5m)": first, "count(*)": "5"}, {"bin(5m)": second, "count(*)": "1"}]


def test_parse_glob_and_regex_with_functions_sort_limit(logs, group):
    name, _ = group
    _, out = _run(logs, name, 'filter @message like /^GET/ | parse @message "GET * * user=* took *ms" as path, status, user, took '
                              '| fields path, toupper(user) as who, strlen(path) as n, concat(path, ":", status) as ps '
                              '| sort took desc | limit 2')
    rows = _rows(out)
    assert [(r["path"], r["who"], r["n"], r["ps"]) for r in rows] == [("/x3", "BOB3", "3", "/x3:200"), ("/x2", "BOB2", "3", "/x2:500")]
    _, out = _run(logs, name, r"parse @message /user=(?<user>\w+) took (?<ms>\d+)/ | filter ms > 7 and user not in ['bob3'] "
                              r"| display user, ms | sort ms asc")
    assert _rows(out) == [{"user": "bob2", "ms": "14"}]


def test_dedup_in_or_not_and_regex_filters(logs, group):
    name, _ = group
    _, out = _run(logs, name, "fields req.path | filter ispresent(req.path) | sort @timestamp desc | dedup req.path")
    assert [r["req.path"] for r in _rows(out)] == ["/p1", "/p0"]
    _, out = _run(logs, name, 'filter @logStream = "web" and (@message =~ /500/ or not strlen(@message) < 31) | fields @message')
    assert sorted(r["@message"] for r in _rows(out)) == ["GET /x0 500 user=bob0 took 0ms", "GET /x2 500 user=bob2 took 14ms",
                                                         "GET /x3 200 user=bob3 took 21ms"]
    _, out = _run(logs, name, "filter tolower(level) in ['error'] | stats count(*) as c")
    assert _rows(out) == [{"c": "2"}]


def test_default_rows_newest_first_with_query_limit(logs, group):
    name, _ = group
    _, out = _run(logs, name, "filter @logStream = 'api'", limit=2)
    rows = _rows(out, ptr=True)
    assert len(rows) == 2 and set(rows[0]) == {"@timestamp", "@message", "@ptr"}
    assert json.loads(rows[0]["@message"])["latency"] == 50 and json.loads(rows[1]["@message"])["latency"] == 40


def test_malformed_query_is_refused_with_compile_error(logs, group):
    name, _ = group
    now = int(time.time())
    with pytest.raises(ClientError) as exc:
        logs.start_query(logGroupName=name, startTime=now - 60, endTime=now, queryString="fields @message | frobnicate x")
    err = exc.value.response
    assert err["Error"]["Code"] == "MalformedQueryException"
    assert err["queryCompileError"]["location"]["startCharOffset"] == len("fields @message | ")
    assert "frobnicate" in err["queryCompileError"]["message"]
    with pytest.raises(ClientError) as exc:
        logs.start_query(logGroupName=name, startTime=now - 60, endTime=now, queryString="stats latency by level")
    assert exc.value.response["Error"]["Code"] == "MalformedQueryException"


def test_bad_groups_and_times_are_refused(logs, group):
    name, _ = group
    now = int(time.time())
    with pytest.raises(ClientError) as exc:
        logs.start_query(logGroupName="/no/such/group", startTime=now - 60, endTime=now, queryString="fields @message")
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        logs.start_query(logGroupName=name, startTime=now, endTime=now - 60, queryString="fields @message")
    assert exc.value.response["Error"]["Code"] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        logs.start_query(startTime=now - 60, endTime=now, queryString="fields @message")
    assert exc.value.response["Error"]["Code"] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        logs.get_query_results(queryId=str(uuid.uuid4()))
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_describe_queries_list_groups_and_stop_after_completion(logs, group):
    name, _ = group
    qid, _ = _run(logs, name, "fields @message | limit 1")
    listed = logs.describe_queries(logGroupName=name)["queries"]
    assert [q["queryId"] for q in listed] == [qid]
    assert listed[0]["status"] == "Complete" and listed[0]["queryString"] == "fields @message | limit 1"
    assert logs.describe_queries(logGroupName=name, status="Running")["queries"] == []
    arns = logs.list_log_groups_for_query(queryId=qid)["logGroupIdentifiers"]
    assert len(arns) == 1 and arns[0].endswith(f":log-group:{name}")
    with pytest.raises(ClientError) as exc:
        logs.stop_query(queryId=qid)
    assert exc.value.response["Error"]["Code"] == "InvalidParameterException"


def test_query_definitions_put_update_describe_delete(logs):
    tag = uuid.uuid4().hex[:6]
    a = logs.put_query_definition(name=f"{tag}/errors", queryString="filter level = 'error'", logGroupNames=["/g1"])["queryDefinitionId"]
    b = logs.put_query_definition(name=f"{tag}/all", queryString="fields @message")["queryDefinitionId"]
    logs.put_query_definition(name=f"{tag}/errors", queryDefinitionId=a, queryString="filter level = 'ERROR'")
    found = logs.describe_query_definitions(queryDefinitionNamePrefix=tag)["queryDefinitions"]
    assert [d["name"] for d in found] == [f"{tag}/all", f"{tag}/errors"]
    assert found[1]["queryString"] == "filter level = 'ERROR'" and found[1]["queryDefinitionId"] == a
    page = logs.describe_query_definitions(queryDefinitionNamePrefix=tag, maxResults=1)
    rest = logs.describe_query_definitions(queryDefinitionNamePrefix=tag, maxResults=1, nextToken=page["nextToken"])
    assert [d["queryDefinitionId"] for d in page["queryDefinitions"] + rest["queryDefinitions"]] == [b, a]
    assert logs.delete_query_definition(queryDefinitionId=b)["success"] is True
    with pytest.raises(ClientError) as exc:
        logs.delete_query_definition(queryDefinitionId=b)
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        logs.put_query_definition(name="x", queryDefinitionId=str(uuid.uuid4()), queryString="fields @message")
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_lambda_report_lines_give_discovered_fields(logs):
    name = f"/aws/lambda/insights-{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=name)
    logs.create_log_stream(logGroupName=name, logStreamName="2026/01/01/[$LATEST]abc")
    now = int(time.time() * 1000)
    lines = []
    for i, (duration, used) in enumerate(((10.5, 40), (30.5, 60))):
        rid = f"req-{i}"
        lines += [f"START RequestId: {rid} Version: $LATEST", "hello from the handler", f"END RequestId: {rid}",
                  f"REPORT RequestId: {rid}\tDuration: {duration} ms\tBilled Duration: {int(duration) + 1} ms\t"
                  f"Memory Size: 128 MB\tMax Memory Used: {used} MB\t"]
    logs.put_log_events(logGroupName=name, logStreamName="2026/01/01/[$LATEST]abc",
                        logEvents=[{"timestamp": now + i, "message": m} for i, m in enumerate(lines)])
    _, out = _run(logs, name, 'filter @type = "REPORT" | stats count(*) as n, avg(@duration) as d, '
                              "max(@maxMemoryUsed / 1000 / 1000) as mb, max(@memorySize) as size")
    assert _rows(out) == [{"n": "2", "d": "20.5", "mb": "60", "size": "128000000"}]
    _, out = _run(logs, name, "filter ispresent(@requestId) | stats count(*) as n by @requestId | sort @requestId")
    assert _rows(out) == [{"@requestId": "req-0", "n": "3"}, {"@requestId": "req-1", "n": "3"}]
