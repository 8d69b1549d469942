"""SNS filter policy matching, sans IO."""

from __future__ import annotations

import pytest

from gureum.services.sns import filters


def attrs(**kw):
    out = {}
    for k, v in kw.items():
        if isinstance(v, (int, float)):
            out[k] = {"DataType": "Number", "StringValue": str(v)}
        elif isinstance(v, list):
            import json

            out[k] = {"DataType": "String.Array", "StringValue": json.dumps(v)}
        else:
            out[k] = {"DataType": "String", "StringValue": v}
    return filters.attributes_view(out)


@pytest.mark.parametrize("policy,doc,expected", [
    ({"a": ["x"]}, attrs(a="x"), True),
    ({"a": ["x"]}, attrs(a="y"), False),
    ({"a": ["x"]}, attrs(b="x"), False),
    ({"a": ["x"], "b": ["y"]}, attrs(a="x"), False),
    ({"a": [{"prefix": "ab"}]}, attrs(a="abc"), True),
    ({"a": [{"suffix": ".png"}]}, attrs(a="cat.png"), True),
    ({"a": [{"equals-ignore-case": "HeLLo"}]}, attrs(a="hello"), True),
    ({"a": [{"anything-but": ["x", "y"]}]}, attrs(a="z"), True),
    ({"a": [{"anything-but": ["x", "y"]}]}, attrs(a="x"), False),
    ({"a": [{"anything-but": {"prefix": "in"}}]}, attrs(a="internal"), False),
    ({"n": [{"numeric": [">", 0, "<=", 5]}]}, attrs(n=5), True),
    ({"n": [{"numeric": [">", 0, "<=", 5]}]}, attrs(n=6), False),
    ({"n": [3]}, attrs(n=3), True),
    ({"a": [{"exists": True}]}, attrs(a="q"), True),
    ({"a": [{"exists": False}]}, attrs(b="q"), True),
    ({"a": [{"exists": False}]}, attrs(a="q"), False),
    ({"tags": ["red"]}, attrs(tags=["blue", "red"]), True),
    ({"ip": [{"cidr": "10.0.0.0/24"}]}, attrs(ip="10.0.0.7"), True),
    ({"$or": [{"a": ["x"]}, {"b": ["y"]}]}, attrs(b="y"), True),
    ({"$or": [{"a": ["x"]}, {"b": ["y"]}]}, attrs(b="n"), False),
    ({"order": {"kind": ["real"]}}, {"order": {"kind": "real"}}, True),
    ({"order": {"kind": ["real"]}}, {"order": "real"}, False),
])
def test_matches(policy, doc, expected):
    assert filters.matches(filters.parse(__import__("json").dumps(policy)), doc) is expected


@pytest.mark.parametrize("text", ["[1]", "{not json", '{"a": [{"bogus": 1}]}', '{"a": "x"}',
                                  '{"a": [{"numeric": ["!", 1]}]}'])
def test_invalid_policies(text):
    with pytest.raises(filters.FilterPolicyError):
        filters.parse(text)
