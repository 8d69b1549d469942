"""The Logs Insights engine without a server: the lexer's and parser's errors and offsets,
and the evaluator's semantics (comparisons, functions, stats, sort order, parse, dedup)."""

from __future__ import annotations

import functools
import json

import pytest

from gureum.services.logs.insights.evaluator import Stamp, discover, natural, run
from gureum.services.logs.insights.lexer import QueryError, tokenize
from gureum.services.logs.insights.parser import Filter, parse_query

BASE = 1_700_000_000_000  # 2023-11-14 22:13:20 UTC


def _records():
    out = []
    for i in range(6):
        msg = json.dumps({"level": "error" if i % 3 == 0 else "info", "latency": i * 10, "req": {"path": f"/p{i % 2}"},
                          "tags": ["a", "b"]})
        out.append({"@timestamp": Stamp(BASE + i * 60_000), "@message": msg, "@ptr": f"p{i}", **discover(msg)})
    return out


def _rows(query, records=None):
    return [dict(r) for r in run(parse_query(query), records if records is not None else _records()).rows]


def test_json_fields_are_flattened_with_dots_and_indexes():
    fields = discover('{"a": {"b": 1, "c": [true, {"d": "x"}]}}')
    assert fields == {"a.b": 1, "a.c.0": True, "a.c.1.d": "x"}
    assert discover("not json") == {} and discover("[1, 2]") == {}


def test_regex_or_division_is_decided_by_what_comes_before():
    kinds = [t.kind for t in tokenize("filter a / 2 > 1 and @message like /x\\/y/i")]
    assert kinds.count("regex") == 1 and "duration" not in kinds
    assert [t.kind for t in tokenize("stats count(*) by bin(5m)")][-3] == "duration"
    assert isinstance(parse_query("filter @message like /a/ # a comment\n").commands[0], Filter)


@pytest.mark.parametrize("query, start, words", [
    ("fields @message | frobnicate", 18, "frobnicate"),
    ("filter (a = 1", 13, "end of query"),
    ("fields a ~ b", 9, "~"),
    ("stats latency by level", 0, "aggregate"),
    ("limit 0", 6, "limit"),
    ("parse @message 'a * b *' as x", 15, "number of fields"),
    ("fields a |", 10, "end of query"),
    ("filter strlen2(a) > 1", 7, "unknown function"),
])
def test_malformed_queries_name_where(query, start, words):
    with pytest.raises(QueryError) as exc:
        parse_query(query)
    assert exc.value.start == start and words in exc.value.message


def test_comparisons_functions_and_boolean_logic():
    assert [r["latency"] for r in _rows("filter level = 'error' | fields latency | sort latency")] == ["0", "30"]
    assert [r["latency"] for r in _rows("filter latency in [10, 50] or (latency > 25 and not level = 'info') "
                                        "| fields latency | sort latency desc")] == ["50", "30", "10"]
    out = _rows("filter latency = 20 | fields concat(level, '-', req.path) as c, strlen(level) as n, toupper(level) as u, "
                "latency * 2 + 1 as x, ispresent(nope) as p, coalesce(nope, 'd') as d, replace(level, 'i', 'I') as r")
    assert out == [{"c": "info-/p0", "n": "4", "u": "INFO", "x": "41", "p": "false", "d": "d", "r": "Info", "@ptr": "p2"}]


def test_stats_aggregates_and_bins():
    rows = _rows("stats count(*) as n, sum(latency) as s, avg(latency) as a, min(latency) as lo, max(latency) as hi, "
                 "pct(latency, 90) as p90, count_distinct(req.path) as paths, stddev(latency) as sd by level | sort level")
    assert rows[0] == {"level": "error", "n": "2", "s": "30", "a": "15", "lo": "0", "hi": "30", "p90": "30", "paths": "2",
                       "sd": repr(21.213203435596427)}
    bins = _rows("stats count(*) as n by bin(2m)")
    assert [b["bin(2m)"] for b in bins] == ["2023-11-14 22:12:00.000", "2023-11-14 22:14:00.000", "2023-11-14 22:16:00.000",
                                            "2023-11-14 22:18:00.000"]
    assert [b["n"] for b in bins] == ["1", "2", "2", "1"]
    assert _rows("stats max(@timestamp) as last, earliest(level) as first") == [{"last": "2023-11-14 22:18:20.000", "first": "error"}]
    assert _rows("filter level = 'none' | stats count(*) as n") == [{"n": "0"}]


def test_sort_is_ascending_by_default_in_aws_natural_order():
    values = ["0", "5A", "A", "@", "#", "!:", "111A", "2345_", "*%04", "0#", "A9876fghj", "a12345hfh", "12", "3.5"]
    assert sorted(values, key=functools.cmp_to_key(natural)) == [
        "!:", "#", "*%04", "0#", "5A", "111A", "2345_", "@", "A", "A9876fghj", "a12345hfh", "0", "3.5", "12"]
    records = [{"@timestamp": Stamp(BASE + i), "v": v} for i, v in enumerate(["b", "10", "a", "9"])] + [{"@timestamp": Stamp(BASE)}]
    assert [r.get("v") for r in _rows("fields v | sort v", records)] == ["a", "b", "9", "10", None]
    assert [r.get("v") for r in _rows("fields v | sort v desc", records)] == ["10", "9", "b", "a", None]


def test_parse_glob_and_regex_and_dedup_and_display():
    records = [{"@timestamp": Stamp(BASE + i), "@message": f"user=u{i % 2} took {i}ms", "@ptr": str(i)} for i in range(4)]
    assert _rows("parse 'user=* took *ms' as user, ms | display user, ms | sort ms desc | limit 1", records) == [
        {"user": "u1", "ms": "3", "@ptr": "3"}]
    assert _rows("parse @message /user=(?<u>\\w+) took (?<t>\\d+)/ | dedup u | display u, t", records) == [
        {"u": "u1", "t": "3", "@ptr": "3"}, {"u": "u0", "t": "2", "@ptr": "2"}]


def test_records_without_fields_show_timestamp_and_message_newest_first():
    rows = _rows("filter latency >= 40")
    assert [set(r) for r in rows] == [{"@timestamp", "@message", "@ptr"}] * 2
    assert rows[0]["@timestamp"] == "2023-11-14 22:18:20.000"


def test_ip_functions():
    records = [{"@timestamp": Stamp(BASE + i), "ip": ip} for i, ip in enumerate(["10.1.2.3", "192.168.0.1", "::1", "nope"])]
    assert [r["ip"] for r in _rows("filter isIpInSubnet(ip, '10.0.0.0/8') or isIpv6InSubnet(ip, '::/64') | fields ip "
                                   "| sort ip", records)] == ["10.1.2.3", "::1"]
    assert [r["ip"] for r in _rows("filter not isValidIp(ip) | fields ip", records)] == ["nope"]
    assert [r["ip"] for r in _rows("filter isValidIpV4(ip) and not isIpv4InSubnet(ip, '10.0.0.0/8') | fields ip", records)] == [
        "192.168.0.1"]
