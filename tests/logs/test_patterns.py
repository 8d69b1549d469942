"""CloudWatch Logs filter patterns: terms, JSON and space-delimited, as the user guide
defines them."""

from __future__ import annotations

import pytest

from gureum.services.logs.patterns import PatternError, compile_pattern


@pytest.mark.parametrize(
    "pattern,message,expected",
    [
        ("ERROR", "an ERROR happened", True),
        ("ERROR", "an error happened", False),  # case-sensitive
        ("ERROR Exception", "ERROR: NullPointerException", True),
        ("ERROR Exception", "ERROR only", False),
        ('"Exiting program"', "... Exiting program now", True),
        ("?ERROR ?WARN", "WARN disk", True),
        ("?ERROR ?WARN", "INFO ok", False),
        ("ERROR -Exiting", "ERROR Exiting", False),
        ("ERROR -Exiting", "ERROR timeout", True),
        ("%ab+c%", "xxabbbc", True),
        ("", "anything", True),
    ],
)
def test_term_patterns(pattern: str, message: str, expected: bool) -> None:
    assert compile_pattern(pattern)(message) is expected


EVENT = '{"eventType":"UpdateTrail","latency":120,"user":{"id":"u-1","admin":true},"tags":["a","b"],"gone":null}'


@pytest.mark.parametrize(
    "pattern,expected",
    [
        ('{ $.eventType = "UpdateTrail" }', True),
        ("{ $.eventType = Update* }", True),
        ('{ $.eventType != "UpdateTrail" }', False),
        ("{ $.latency > 100 }", True),
        ("{ $.latency <= 100 }", False),
        ('{ $.latency > 100 && $.user.id = "u-1" }', True),
        ('{ $.latency > 500 || $.user.admin IS TRUE }', True),
        ("{ ($.latency > 500 || $.latency < 10) && $.user.admin IS TRUE }", False),
        ("{ $.user.admin IS FALSE }", False),
        ("{ $.gone IS NULL }", True),
        ("{ $.missing NOT EXISTS }", True),
        ("{ $.latency NOT EXISTS }", False),
        ('{ $.tags[1] = "b" }', True),
        ("{ $.eventType = %^Upd% }", True),
    ],
)
def test_json_patterns(pattern: str, expected: bool) -> None:
    assert compile_pattern(pattern)(EVENT) is expected


def test_json_pattern_never_matches_a_non_json_message() -> None:
    assert compile_pattern('{ $.a = "b" }')("a = b") is False


LINE = '127.0.0.1 frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 404 2326'


@pytest.mark.parametrize(
    "pattern,expected",
    [
        ("[ip, user, timestamp, request, status_code, bytes]", True),
        ("[ip, user, timestamp, request, status_code = 404, bytes]", True),
        ("[ip, user, timestamp, request, status_code = 4*, bytes > 1000]", True),
        ("[ip, user, timestamp, request, status_code = 2*, bytes]", False),
        ("[ip, user, ..., status_code = 5* || status_code = 4*, bytes]", True),
        ("[ip = 127.0.0.*, ...]", True),
        ("[ip, user = bob, ...]", False),
        ("[a, b]", False),  # field count must match without ...
    ],
)
def test_space_delimited_patterns(pattern: str, expected: bool) -> None:
    assert compile_pattern(pattern)(LINE) is expected


@pytest.mark.parametrize("bad", ["{ $.a = ", "{ a = 1 }", "[a, ..., b, ...]", "{ $.a ~ 1 }"])
def test_invalid_patterns_are_refused(bad: str) -> None:
    with pytest.raises(PatternError):
        compile_pattern(bad)
