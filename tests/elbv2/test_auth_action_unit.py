"""auth_action.py's values without a gureum: a session sealed for one load balancer opens only
with its key and ARN, a changed byte does not open, and a long session is carried in
<name>-0..n cookies that are put back together (an older, longer session's extra parts expired)."""

from __future__ import annotations

import os

import pytest

from gureum.services.elbv2.auth_action import Refused, seal, session_cookies, session_value, unseal


def _jar(set_cookies: list[str]) -> dict[str, str]:
    jar = {}
    for line in set_cookies:
        pair, _, attrs = line.partition(";")
        k, _, v = pair.partition("=")
        if "Max-Age=0" not in attrs:
            jar[k] = v
    return jar


def test_a_sealed_session_opens_only_with_its_load_balancers_key_and_arn() -> None:
    key, other = os.urandom(32), os.urandom(32)
    text = seal(key, {"sub": "ana"}, "arn:lb/one")
    assert unseal(key, text, "arn:lb/one") == {"sub": "ana"}
    for k, aad in ((other, "arn:lb/one"), (key, "arn:lb/two")):
        with pytest.raises(Refused):
            unseal(k, text, aad)
    flipped = text[:30] + ("A" if text[30] != "A" else "B") + text[31:]
    with pytest.raises(Refused):
        unseal(key, flipped, "arn:lb/one")
    with pytest.raises(Refused):
        unseal(key, "!!not base64!!", "arn:lb/one")


def test_a_long_session_spans_numbered_cookies_and_stale_parts_are_expired() -> None:
    key = os.urandom(32)
    long_value = seal(key, {"claims": "x" * 9000}, "arn")
    cookies = session_cookies("AWSELBAuthSessionCookie", long_value, 2e9, {})
    jar = _jar(cookies)
    assert sorted(jar) == ["AWSELBAuthSessionCookie-0", "AWSELBAuthSessionCookie-1", "AWSELBAuthSessionCookie-2",
                           "AWSELBAuthSessionCookie-3"]
    assert all(len(v) <= 4000 for v in jar.values())
    assert unseal(key, session_value(jar, "AWSELBAuthSessionCookie") or "", "arn") == {"claims": "x" * 9000}
    short_value = seal(key, {"claims": "y"}, "arn")
    again = session_cookies("AWSELBAuthSessionCookie", short_value, 2e9, jar)
    assert sum("Max-Age=0" in c for c in again) == 3  # -1, -2 and -3 of the longer session
    jar = {k: v for k, v in jar.items() if k == "AWSELBAuthSessionCookie-0"} | _jar(again)
    assert unseal(key, session_value(jar, "AWSELBAuthSessionCookie") or "", "arn") == {"claims": "y"}
    assert session_value({}, "AWSELBAuthSessionCookie") is None
