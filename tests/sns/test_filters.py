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


@pytest.mark.parametrize("policy,reason", [
    # AWS's reasons, recorded from SNS (without the JSON parser's source location AWS appends)
    ({"key": [["value"]]}, "Match value must be String, number, true, false, or null"),
    ({"key": [{"wrong-operator": True}]}, "Unrecognized match type wrong-operator"),
    ({"key": [{"suffix": "value", "prefix": "value2"}]}, "Only one key allowed in match expression"),
    ({"key": [{"suffix": 100}]}, "suffix match pattern must be a string"),
    ({"key": [{"suffix": None}]}, "suffix match pattern must be a string"),
    ({"key": [{"suffix": []}]}, "suffix match pattern must be a string"),
    ({"key": {"suffix": "value"}}, '"suffix" must be an object or an array'),
    ({"key": {"not-an-operator": "value"}}, '"not-an-operator" must be an object or an array'),
    ({"key": [{"numeric": []}]}, "Invalid member in numeric match: ]"),
    ({"key": [{"numeric": ["operator"]}]}, "Unrecognized numeric range operator: operator"),
    ({"key": [{"numeric": [1, "<="]}]}, "Invalid member in numeric match: 1"),
    ({"key": [{"numeric": ["=", "000"]}]}, "Value of equals must be numeric"),
    ({"key": [{"numeric": [">="]}]}, "Value of >= must be numeric"),
    ({"key": [{"numeric": ["<", 100, ">", 10]}]}, "Too many elements in numeric expression"),
    ({"key": [{"numeric": [">=", 1, ">", 2]}]}, "Bad numeric range operator: >"),
    ({"key": [{"numeric": [">", 3, "<", 1]}]}, "Bottom must be less than top"),
    ({"key": [{"numeric": [">", 20, "<="]}]}, "Value of <= must be numeric"),
    ({"key": [{"numeric": [">", 20, 30]}]}, "Bad value in numeric range: 30"),
    ({"key": [{"numeric": [">", 20, "test"]}]}, "Bad numeric range operator: test"),
    ({"key": [{"numeric": [">", "20", "<", "30"]}]}, "Value of > must be numeric"),
    ({"key": [{"numeric": [">", 20, "<", "30"]}]}, "Value of < must be numeric"),
    ({"key": [{"numeric": [">", 20, "<", 30, "<", 50]}]}, "Too many terms in numeric range expression"),
    ({"key": [{"exists": None}]}, "exists match pattern must be either true or false."),
    ({"key": [{"exists": "no"}]}, "exists match pattern must be either true or false."),
    ({"key": [{"anything-but": {"wrong-operator": None}}]}, "Unsupported anything-but pattern: wrong-operator"),
    ({"key": [{"anything-but": {"suffix": "test"}}]}, "Unsupported anything-but pattern: suffix"),
    ({"key": [{"anything-but": {"prefix": False}}]}, "prefix match pattern must be a string"),
    ({k: ["v"] for k in "abcdef"}, "Filter policy can not have more than 5 keys"),
    ({"a": list(range(10)), "b": list(range(10)), "c": list(range(2))}, "Filter policy is too complex"),
    ({"$or": [{"a": list(range(10)), "b": list(range(8))}, {"c": list(range(10)), "d": list(range(8))}]},
     "Filter policy is too complex"),
])
def test_invalid_policies_in_aws_words(policy, reason):
    with pytest.raises(filters.FilterPolicyError) as e:
        filters.parse(__import__("json").dumps(policy))
    assert str(e.value) == f"FilterPolicy: {reason}"


def test_combinations_up_to_the_limit_are_accepted():
    filters.parse(__import__("json").dumps({"a": list(range(10)), "b": list(range(15))}))
