"""Application-based stickiness of target groups (`stickiness.enabled` true with
`stickiness.type` app_cookie and the application's cookie name in
`stickiness.app_cookie.cookie_name`), as AWS's ALB does it: when a target's response sets the
application cookie, the load balancer adds its own stickiness cookie AWSALBAPP-0 naming that
target (and AWSALBAPP-1..3 as "_remove_": AWS spreads a long value over up to four cookies,
gureum's fits in one), expiring after `stickiness.app_cookie.duration_seconds`; a request that
brings AWSALBAPP-0 naming a routable target of the group goes to that target. A target that
is gone or unhealthy breaks stickiness: the algorithm picks another one. The cookie value is
routing.cookie_value(group id, address, port, application cookie name)."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from email.utils import formatdate
from typing import TYPE_CHECKING, Any

from gureum.services.elbv2 import routing

if TYPE_CHECKING:
    from gureum.services.elbv2.snapshot import GroupView

NAMES = tuple(f"AWSALBAPP-{i}" for i in range(4))
RESERVED = ("AWSALB", "AWSALBAPP", "AWSALBTG")
Target = tuple[str, int]
_SET_COOKIE = re.compile(rb"\r\nset-cookie[ \t]*:[ \t]*([^\r]*)", re.IGNORECASE)  # in an answer head


def _name(attrs: dict[str, Any]) -> str | None:
    if attrs.get("stickiness.enabled") != "true" or attrs.get("stickiness.type") != "app_cookie":
        return None
    return attrs.get("stickiness.app_cookie.cookie_name") or None


def enabled(group: GroupView) -> bool:
    """Whether the group has application stickiness on (its targets' answers are looked at)."""
    return _name(group.doc["attributes"]) is not None


def held(group: GroupView, jar: dict[str, str]) -> Target | None:
    """The target AWSALBAPP-0 names, when the group has application stickiness on and that
    target is routable."""
    name = _name(group.doc["attributes"])
    if name is None or NAMES[0] not in jar:
        return None
    parts = routing.cookie_parts(jar[NAMES[0]])
    if len(parts) != 4 or parts[0] != group.doc["id"] or not parts[2].isdigit() or parts[3] != name:
        return None
    target = (parts[1], int(parts[2]))
    return target if target in group.routable else None


def cookies(group: GroupView, target: Target, response_headers: Sequence[tuple[str, str]]) -> list[str]:
    """The Set-Cookie values to add to a target's response: AWSALBAPP-0..3 when it set the
    application cookie, else none."""
    name = _name(group.doc["attributes"])
    if name is None:
        return []
    if not any(k.lower() == "set-cookie" and v.split("=", 1)[0].strip() == name for k, v in response_headers):
        return []
    seconds = int(group.doc["attributes"].get("stickiness.app_cookie.duration_seconds", "86400"))
    expires = formatdate(time.time() + seconds, usegmt=True)
    value = routing.cookie_value(group.doc["id"], target[0], str(target[1]), name)
    return [f"{NAMES[0]}={value}; Expires={expires}; Path=/"] + [f"{n}=_remove_; Expires={expires}; Path=/" for n in NAMES[1:]]


def cookies_of_head(group: GroupView, target: Target, head: bytes) -> list[str]:
    """`cookies` of a target's answer head as it came on the wire (status line, header lines)."""
    return cookies(group, target, [("set-cookie", v.decode("latin-1")) for v in _SET_COOKIE.findall(head)])
