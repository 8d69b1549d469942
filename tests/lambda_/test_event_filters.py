"""Lambda's event filter patterns as the SQS poller applies them (sans-IO)."""

from __future__ import annotations

import json

import pytest

from gureum.services.lambda_ import event_filters as ef


def rec(body: object, **attrs: str) -> dict:
    return {"messageId": "m", "body": body if isinstance(body, str) else json.dumps(body),
            "attributes": {"ApproximateReceiveCount": "1", **attrs}, "messageAttributes": {}}


def match(pattern: dict, record: dict) -> bool:
    return ef.matches(ef.parse(json.dumps(pattern)), record)


@pytest.mark.parametrize("pattern, body, expected", [
    ({"body": {"a": ["x"]}}, {"a": "x"}, True),
    ({"body": {"a": ["x"]}}, {"a": "y"}, False),
    ({"body": {"a": ["x"]}}, {"b": "x"}, False),
    ({"body": {"a": [5]}}, {"a": 5.0}, True),
    ({"body": {"a": [None]}}, {"a": None}, True),
    ({"body": {"a": [""]}}, {"a": ""}, True),
    ({"body": {"a": [{"prefix": "ab"}]}}, {"a": "abc"}, True),
    ({"body": {"a": [{"suffix": "bc"}]}}, {"a": "abc"}, True),
    ({"body": {"a": [{"equals-ignore-case": "ABC"}]}}, {"a": "abc"}, True),
    ({"body": {"a": [{"anything-but": ["x", "y"]}]}}, {"a": "z"}, True),
    ({"body": {"a": [{"anything-but": "x"}]}}, {"a": "x"}, False),
    ({"body": {"a": [{"anything-but": {"prefix": "x"}}]}}, {"a": "xyz"}, False),
    ({"body": {"a": [{"numeric": [">", 0, "<=", 5]}]}}, {"a": 5}, True),
    ({"body": {"a": [{"numeric": [">", 0, "<=", 5]}]}}, {"a": 6}, False),
    ({"body": {"a": [{"numeric": ["=", 3]}]}}, {"a": "3"}, False),
    ({"body": {"a": [{"exists": True}]}}, {"a": 1}, True),
    ({"body": {"a": [{"exists": False}]}}, {"b": 1}, True),
    ({"body": {"a": [{"exists": False}]}}, {"a": 1}, False),
    ({"body": {"a": {"b": ["c"]}}}, {"a": {"b": "c"}}, True),
    ({"body": {"a": ["x"]}}, {"a": ["w", "x"]}, True),
    ({"body": {"a": [True]}}, {"a": True}, True),
    ({"body": {"a": [True]}}, {"a": 1}, False),
    ({"body": {"a": [{"wildcard": "x*z"}]}}, {"a": "xyyz"}, True),
    ({"body": {"a": ["x"], "b": ["y"]}}, {"a": "x", "b": "n"}, False),
    ({"body": {"$or": [{"a": ["x"]}, {"b": ["y"]}]}}, {"a": "n", "b": "y"}, True),
])
def test_patterns_match_json_bodies(pattern, body, expected):
    assert match(pattern, rec(body)) is expected


def test_body_pattern_object_never_matches_a_body_that_is_not_json():
    assert not match({"body": {"a": ["x"]}}, rec("plain text"))
    assert match({"body": [{"prefix": "plain"}]}, rec("plain text"))


def test_patterns_match_record_metadata():
    assert match({"attributes": {"ApproximateReceiveCount": ["1"]}}, rec({}))
    assert not match({"attributes": {"ApproximateReceiveCount": ["2"]}}, rec({}))


def test_any_filter_of_several_may_match():
    pats = [ef.parse('{"body": {"a": ["x"]}}'), ef.parse('{"body": {"a": ["y"]}}')]
    assert ef.matches_any(pats, rec({"a": "y"}))
    assert not ef.matches_any(pats, rec({"a": "z"}))


@pytest.mark.parametrize("text", [
    "not json", "[]", "{}", '{"body": "x"}', '{"body": {"a": []}}', '{"body": {"a": [{"prefix": 1}]}}',
    '{"body": {"a": [{"numeric": [">", "x"]}]}}', '{"body": {"a": [{"nope": 1}]}}',
])
def test_invalid_patterns_are_refused(text):
    with pytest.raises(ef.InvalidPattern):
        ef.parse(text)
