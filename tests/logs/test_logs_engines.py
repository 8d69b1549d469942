"""Sans-IO pieces of Logs part B without a server: the event stream framing read back by
botocore's own decoder, schedule expressions, the transformer processors and the anomaly
detector's log patterns."""

from __future__ import annotations

import calendar
import json

import pytest
from botocore.eventstream import EventStreamBuffer

from gureum.aws import eventstream
from gureum.services.logs import cron, transform
from gureum.services.logs.anomalies import pattern_id, pattern_of

META = {"@logGroupName": "/g", "@logGroupStream": "s", "@accountId": "000000000000", "@regionName": "us-east-1"}


def test_event_stream_frames_are_what_botocore_decodes():
    data = (eventstream.event("initial-response", {}) + eventstream.event("sessionUpdate", {"sessionResults": [{"message": "é"}]})
            + eventstream.exception("SessionTimeoutException", "done"))
    buf = EventStreamBuffer()
    buf.add_data(data)
    messages = [m.to_response_dict() for m in buf]
    assert [m["headers"][":message-type"] for m in messages] == ["event", "event", "exception"]
    assert messages[1]["headers"][":event-type"] == "sessionUpdate"
    assert json.loads(messages[1]["body"]) == {"sessionResults": [{"message": "é"}]}
    assert messages[2]["status_code"] == 400 and messages[2]["headers"][":exception-type"] == "SessionTimeoutException"
    assert [h for h, _ in eventstream.decode(data)][0][":event-type"] == "initial-response"
    corrupt = bytearray(data)
    corrupt[20] ^= 1
    with pytest.raises(ValueError):
        eventstream.decode(bytes(corrupt))


def _at(*parts):
    return calendar.timegm((*parts, 0))


@pytest.mark.parametrize("expr, minute, anchor, fires", [
    ("cron(* * * * ? *)", _at(2026, 12, 3, 14, 15), 0, True),
    ("cron(15 14 * * ? *)", _at(2026, 12, 3, 14, 15), 0, True),
    ("cron(16 14 * * ? *)", _at(2026, 12, 3, 14, 15), 0, False),
    ("cron(0/15 * ? * THU *)", _at(2026, 12, 3, 14, 15), 0, True),  # a Thursday
    ("cron(0/15 * ? * MON-WED *)", _at(2026, 12, 3, 14, 15), 0, False),
    ("*/5 * * * 4", _at(2026, 12, 3, 14, 15), 0, True),  # standard cron: 4 is Thursday
    ("rate(5 minutes)", _at(2026, 12, 3, 14, 15), _at(2026, 12, 3, 14, 5), True),
    ("rate(5 minutes)", _at(2026, 12, 3, 14, 15), _at(2026, 12, 3, 14, 6), False),
    ("rate(1 hour)", _at(2026, 12, 3, 14, 15), _at(2026, 12, 3, 13, 15), True),
])
def test_schedule_expressions(expr, minute, anchor, fires):
    assert cron.due(expr, minute, anchor) is fires


@pytest.mark.parametrize("expr", ["every minute", "cron(* * *)", "cron(61 * * * ? *)", "rate(0 minutes)", "rate(5 weeks)"])
def test_bad_schedule_expressions(expr):
    with pytest.raises(cron.BadSchedule):
        cron.parse(expr)


def test_processors_chain():
    config = [{"parseJSON": {"destination": "body"}},
              {"moveKeys": {"entries": [{"source": "body.user", "target": "user"}]}},
              {"splitString": {"entries": [{"source": "body.tags", "delimiter": ","}]}},
              {"substituteString": {"entries": [{"source": "user", "from": "[0-9]+", "to": "#"}]}},
              {"trimString": {"withKeys": ["body.pad"]}},
              {"copyValue": {"entries": [{"source": "@accountId", "target": "account"}]}}]
    transform.check(config)
    out = json.loads(transform.run(config, '{"user": "bob42", "tags": "a,b", "pad": "  x "}', META) or "")
    assert out == {"body": {"tags": ["a", "b"], "pad": "x"}, "user": "bob#", "account": "000000000000"}
    assert transform.run(config, "not json", META) is None
    csv = [{"csv": {"columns": ["a", "b"], "delimiter": ";"}}, {"typeConverter": {"entries": [{"key": "a", "type": "double"}]}}]
    assert json.loads(transform.run(csv, '1.5;"x;y"', META) or "") == {"a": 1.5, "b": "x;y"}
    vpc = "2 123456789012 eni-1 10.0.0.1 10.0.0.2 443 49152 6 10 840 1620000000 1620000060 ACCEPT OK"
    assert json.loads(transform.run([{"parseVPC": {}}], vpc, META) or "")["action"] == "ACCEPT"


@pytest.mark.parametrize("config", [
    [{"addKeys": {"entries": [{"key": "a", "value": "b"}]}}],
    [{"parseJSON": {}}, {"parseVPC": {}}],
    [{"grok": {"match": "%{NOPE:x}"}}],
    [{"parseJSON": {}, "csv": {}}],
    [{"parseJSON": {}}, {"substituteString": {"entries": [{"source": "a", "from": "(", "to": ""}]}}],
])
def test_transformer_configs_aws_refuses(config):
    with pytest.raises(transform.TransformError):
        transform.check(config)


def test_log_patterns_make_variable_tokens():
    assert pattern_of("user 42 logged in from 10.0.0.1") == ["user", "<*>", "logged", "in", "from", "<*>"]
    assert pattern_id(pattern_of("disk sda1 failed")) == pattern_id(pattern_of("disk sdb2 failed"))
    assert pattern_id(pattern_of("disk sda1 failed")) != pattern_id(pattern_of("disk sda1 recovered"))
