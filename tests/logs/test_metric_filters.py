"""Metric filters through boto3: Put/Describe/Delete/TestMetricFilter, and the datapoints the
filters emit for events PutLogEvents stores (read at /_gureum/logs/metrics)."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def logs(gureum: Any) -> Any:
    return gureum.client("logs")


def _group(logs: Any) -> str:
    name = f"/mf/{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=name)
    logs.create_log_stream(logGroupName=name, logStreamName="s")
    return name


def _datapoints(gureum: Any, namespace: str, metric: str = "") -> list[dict[str, Any]]:
    q = urllib.parse.urlencode({"namespace": namespace, "metricName": metric})
    with urllib.request.urlopen(f"{gureum.endpoint}/_gureum/logs/metrics?{q}", timeout=10) as resp:
        return json.loads(resp.read())["datapoints"]


def _put(logs: Any, group: str, messages: list[str]) -> None:
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName=group, logStreamName="s",
                        logEvents=[{"timestamp": now + i, "message": m} for i, m in enumerate(messages)])


def test_term_filter_counts_matching_events_and_default_value_for_a_batch_without_match(gureum, logs):
    group = _group(logs)
    ns = f"ns{uuid.uuid4().hex[:6]}"
    logs.put_metric_filter(logGroupName=group, filterName="errors", filterPattern="ERROR -timeout",
                           metricTransformations=[{"metricName": "Errors", "metricNamespace": ns, "metricValue": "1",
                                                   "defaultValue": 0, "unit": "Count"}])
    _put(logs, group, ["ERROR disk", "ERROR timeout", "INFO ok", "ERROR again"])
    points = _datapoints(gureum, ns, "Errors")
    assert [p["Value"] for p in points] == [1.0, 1.0]
    assert {p["Unit"] for p in points} == {"Count"}
    _put(logs, group, ["INFO nothing"])
    assert [p["Value"] for p in _datapoints(gureum, ns, "Errors")] == [1.0, 1.0, 0.0]
    g = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]
    assert g["metricFilterCount"] == 1


def test_json_filter_takes_value_and_dimensions_from_the_event(gureum, logs):
    group = _group(logs)
    ns = f"ns{uuid.uuid4().hex[:6]}"
    logs.put_metric_filter(logGroupName=group, filterName="latency",
                           filterPattern='{ $.status = 200 && $.path != "/health" }',
                           metricTransformations=[{"metricName": "Latency", "metricNamespace": ns,
                                                   "metricValue": "$.ms", "dimensions": {"Path": "$.path"},
                                                   "unit": "Milliseconds"}])
    _put(logs, group, [json.dumps({"status": 200, "path": "/a", "ms": 12.5}),
                       json.dumps({"status": 200, "path": "/health", "ms": 1}),
                       json.dumps({"status": 500, "path": "/a", "ms": 99}),
                       "not json",
                       json.dumps({"status": 200, "path": "/b", "ms": 7})])
    points = _datapoints(gureum, ns, "Latency")
    assert [(p["Value"], p["Dimensions"]) for p in points] == [(12.5, {"Path": "/a"}), (7.0, {"Path": "/b"})]


def test_space_delimited_filter_on_lambda_style_writer_and_put_log_events(gureum, logs):
    group = _group(logs)
    ns = f"ns{uuid.uuid4().hex[:6]}"
    logs.put_metric_filter(logGroupName=group, filterName="bytes", filterPattern="[ip, user, ..., status = 4*, bytes]",
                           metricTransformations=[{"metricName": "Bytes4xx", "metricNamespace": ns,
                                                   "metricValue": "$bytes", "dimensions": {"Status": "$status"}}])
    _put(logs, group, ['10.0.0.1 alice "GET /x" 404 512', '10.0.0.2 bob "GET /y" 200 100',
                       '10.0.0.3 carol "GET /z" 403 64'])
    points = _datapoints(gureum, ns, "Bytes4xx")
    assert [(p["Value"], p["Dimensions"]) for p in points] == [(512.0, {"Status": "404"}), (64.0, {"Status": "403"})]


def test_test_metric_filter_numbers_matches_and_extracts_fields(logs):
    out = logs.test_metric_filter(filterPattern="[ip, user, status = 404, bytes]",
                                  logEventMessages=["1.2.3.4 a 404 10", "1.2.3.4 b 200 10", "5.6.7.8 c 404 20"])
    assert [m["eventNumber"] for m in out["matches"]] == [1, 3]
    assert out["matches"][1]["extractedValues"] == {"$ip": "5.6.7.8", "$user": "c", "$status": "404", "$bytes": "20"}
    assert out["matches"][0]["eventMessage"] == "1.2.3.4 a 404 10"
    assert logs.test_metric_filter(filterPattern="?WARN ?ERROR", logEventMessages=["INFO", "WARN x"])["matches"] == [
        {"eventNumber": 2, "eventMessage": "WARN x", "extractedValues": {}}]
    with pytest.raises(ClientError) as exc:
        logs.test_metric_filter(filterPattern="{ $.a = }", logEventMessages=["x"])
    assert exc.value.response["Error"]["Code"] == "InvalidParameterException"


def test_describe_replace_delete_and_errors(logs):
    group = _group(logs)
    t = {"metricName": "M", "metricNamespace": "N", "metricValue": "1"}
    for name in ("a1", "a2", "b1"):
        logs.put_metric_filter(logGroupName=group, filterName=name, filterPattern="x", metricTransformations=[t])
    logs.put_metric_filter(logGroupName=group, filterName="a1", filterPattern="y", metricTransformations=[t])  # replace
    got = logs.describe_metric_filters(logGroupName=group, filterNamePrefix="a")["metricFilters"]
    assert [(f["filterName"], f["filterPattern"]) for f in got] == [("a1", "y"), ("a2", "x")]
    assert got[0]["metricTransformations"] == [t]
    assert got[0]["logGroupName"] == group and got[0]["creationTime"] > 0
    pages = list(logs.get_paginator("describe_metric_filters").paginate(logGroupName=group, PaginationConfig={"PageSize": 2}))
    assert [f["filterName"] for p in pages for f in p["metricFilters"]] == ["a1", "a2", "b1"]
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["metricFilterCount"] == 3
    logs.delete_metric_filter(logGroupName=group, filterName="a2")
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["metricFilterCount"] == 2
    with pytest.raises(ClientError) as exc:
        logs.delete_metric_filter(logGroupName=group, filterName="a2")
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        logs.put_metric_filter(logGroupName="/no/such", filterName="f", filterPattern="x", metricTransformations=[t])
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:  # dimensions need a JSON or space-delimited pattern
        logs.put_metric_filter(logGroupName=group, filterName="d", filterPattern="ERROR",
                               metricTransformations=[{**t, "dimensions": {"A": "$a"}}])
    assert exc.value.response["Error"]["Code"] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        logs.describe_metric_filters(metricName="M")
    assert exc.value.response["Error"]["Code"] == "InvalidParameterException"
    by_metric = logs.describe_metric_filters(metricName="M", metricNamespace="N")["metricFilters"]
    assert {f["filterName"] for f in by_metric if f["logGroupName"] == group} == {"a1", "b1"}


def test_metric_filters_see_data_protected_events_masked(gureum, logs):
    group = _group(logs)
    ns = f"ns{uuid.uuid4().hex[:6]}"
    ids = ["arn:aws:dataprotection::aws:data-identifier/EmailAddress"]
    logs.put_data_protection_policy(logGroupIdentifier=group, policyDocument=json.dumps({
        "Name": "dp", "Version": "2021-06-01", "Statement": [
            {"DataIdentifier": ids, "Operation": {"Audit": {"FindingsDestination": {}}}},
            {"DataIdentifier": ids, "Operation": {"Deidentify": {"MaskConfig": {}}}}]}))
    for name, pattern in (("mail", "example.org"), ("login", "login")):
        logs.put_metric_filter(logGroupName=group, filterName=name, filterPattern=pattern,
                               metricTransformations=[{"metricName": name, "metricNamespace": ns, "metricValue": "1"}])
    _put(logs, group, ["login bob@example.org"])
    assert _datapoints(gureum, ns, "mail") == []  # the address is masked before metric filters see it
    assert [p["Value"] for p in _datapoints(gureum, ns, "login")] == [1.0]


def test_metric_filters_see_the_transformed_events(gureum, logs):
    """AWS: a group's metric and subscription filters read the transformed version of its logs."""
    group = _group(logs)
    ns = f"ns{uuid.uuid4().hex[:6]}"
    logs.put_transformer(logGroupIdentifier=group, transformerConfig=[
        {"parseJSON": {}}, {"addKeys": {"entries": [{"key": "tier", "value": "gold"}]}}])
    logs.put_metric_filter(logGroupName=group, filterName="gold", filterPattern='{ $.tier = "gold" }',
                           metricTransformations=[{"metricName": "Gold", "metricNamespace": ns, "metricValue": "$.n"}])
    _put(logs, group, [json.dumps({"n": 3}), "not json"])
    assert [p["Value"] for p in _datapoints(gureum, ns, "Gold")] == [3.0]
