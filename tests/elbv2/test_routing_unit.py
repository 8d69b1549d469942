"""The ALB's decisions on plain values (routing.py): conditions as AWS evaluates them,
redirect placeholders, weighted group choice, cookies; and the usage rows meter.py writes."""

from __future__ import annotations

import random
from typing import Any

from gureum.services.elbv2 import routing
from gureum.services.elbv2.meter import Meter
from gureum.services.elbv2.snapshot import Snapshot


def facts(**kw: Any) -> routing.Facts:
    base: dict[str, Any] = {"method": "GET", "host": "api.example.com", "path": "/img/cat.png", "query": [("a", "1")],
                            "headers": {"user-agent": ["curl/8"]}, "source_ip": "10.1.2.3", "query_string": "a=1"}
    return routing.Facts(**(base | kw))


def cond(field: str, cfg: dict[str, Any]) -> dict[str, Any]:
    key = {"host-header": "HostHeaderConfig", "path-pattern": "PathPatternConfig", "http-header": "HttpHeaderConfig",
           "http-request-method": "HttpRequestMethodConfig", "query-string": "QueryStringConfig",
           "source-ip": "SourceIpConfig"}[field]
    return {"Field": field, key: cfg}


def test_wildcards_and_case_rules() -> None:
    assert routing.condition_matches(cond("host-header", {"Values": ["*.EXAMPLE.com"]}), facts())
    assert not routing.condition_matches(cond("host-header", {"Values": ["example.com"]}), facts())
    assert routing.condition_matches(cond("path-pattern", {"Values": ["/img/*.png"]}), facts())
    assert not routing.condition_matches(cond("path-pattern", {"Values": ["/IMG/*"]}), facts())  # paths are case-sensitive
    assert routing.condition_matches(cond("path-pattern", {"Values": ["/img/ca?.png"]}), facts())
    assert routing.condition_matches(cond("http-header", {"HttpHeaderName": "User-Agent", "Values": ["CURL/*"]}), facts())
    assert not routing.condition_matches(cond("http-header", {"HttpHeaderName": "X-None", "Values": ["*"]}), facts())
    assert routing.condition_matches(cond("http-request-method", {"Values": ["POST", "GET"]}), facts())
    assert not routing.condition_matches(cond("http-request-method", {"Values": ["get"]}), facts())
    assert routing.condition_matches(cond("query-string", {"Values": [{"Key": "A", "Value": "1"}]}), facts())
    assert routing.condition_matches(cond("query-string", {"Values": [{"Value": "1"}]}), facts())
    assert not routing.condition_matches(cond("query-string", {"Values": [{"Key": "a", "Value": "2"}]}), facts())
    assert routing.condition_matches(cond("source-ip", {"Values": ["10.0.0.0/8"]}), facts())
    assert not routing.condition_matches(cond("source-ip", {"Values": ["192.168.0.0/16"]}), facts())


def test_first_matching_rule_by_priority_and_the_default_last() -> None:
    r1 = {"Priority": "1", "Conditions": [cond("path-pattern", {"Values": ["/api/*"]})], "Actions": ["one"]}
    r2 = {"Priority": "2", "Conditions": [cond("host-header", {"Values": ["api.*"]}),
                                          cond("http-request-method", {"Values": ["GET"]})], "Actions": ["two"]}
    default = {"Priority": "default", "Conditions": [], "Actions": ["default"]}
    assert routing.choose([r1, r2, default], facts())["Actions"] == ["two"]
    assert routing.choose([r1, r2, default], facts(path="/api/x"))["Actions"] == ["one"]
    assert routing.choose([r1, r2, default], facts(method="POST"))["Actions"] == ["default"]


def test_redirect_placeholders() -> None:
    cfg = {"Protocol": "HTTPS", "Port": "443", "Host": "#{host}", "Path": "/new/#{path}", "Query": "#{query}&x=1"}
    assert routing.redirect_location(cfg, facts()) == "https://api.example.com/new/img/cat.png?a=1&x=1"
    keep = {"Protocol": "#{protocol}", "Port": "#{port}", "Host": "other", "Path": "/#{path}", "Query": ""}
    assert routing.redirect_location(keep, facts(port=8080)) == "http://other:8080/img/cat.png"


def test_weighted_groups_follow_the_weights() -> None:
    rnd = random.Random(7)
    groups = [{"TargetGroupArn": "a", "Weight": 3}, {"TargetGroupArn": "b", "Weight": 1}, {"TargetGroupArn": "c", "Weight": 0}]
    picks = [routing.pick_group(groups, rnd) for _ in range(4000)]
    assert "c" not in picks
    assert 0.70 < picks.count("a") / len(picks) < 0.80
    assert routing.pick_group([{"TargetGroupArn": "z", "Weight": 0}]) is None


def test_cookies_round_trip() -> None:
    value = routing.cookie_value("tg1", "127.0.0.1", "8080")
    assert routing.cookie_parts(value) == ["tg1", "127.0.0.1", "8080"]
    assert routing.cookie_parts("%%%") == []
    assert routing.cookies(["a=1; AWSALB=xyz", "b=2"]) == {"a": "1", "AWSALB": "xyz", "b": "2"}


class _Ledger:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, dict[str, Any]]] = []

    def record(self, account: str, service: str, row: dict[str, Any]) -> None:
        self.rows.append((account, service, row))


def test_meter_rows_count_requests_and_hours_once() -> None:
    snap = Snapshot()
    snap.lb_arns = {"111122223333/us-east-1/abc": ("arn:lb", "application"), "111122223333/us-east-1/idle": ("arn:idle", "network")}
    m = Meter()
    m.last = 1000.0
    m.request("111122223333/us-east-1/abc", 3, 500, 200, True, 0.01)
    m.request("111122223333/us-east-1/abc", 3, 100, 503, False, 0.0)
    follower = _Ledger()
    m.flush(follower, snap, lead=False, now=1060.0)  # type: ignore[arg-type]
    assert [(a, s, r["resource"], r["seconds"], r["requests"], r["rule_evaluations"], r["bytes"]) for a, s, r in follower.rows] == \
        [("111122223333", "elb", "arn:lb", 0.0, 2, 6, 600)]
    lead = _Ledger()
    m.flush(lead, snap, lead=True, now=1120.0)  # type: ignore[arg-type]
    assert sorted((r["resource"], r["seconds"]) for _, _, r in lead.rows) == [("arn:idle", 60.0), ("arn:lb", 60.0)]
