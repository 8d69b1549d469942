"""The ALB's decisions, sans I/O: which rule a request matches (AWS's condition semantics:
values of one condition OR'ed, conditions AND'ed, `*` and `?` wildcards, host, header and
query matching case-insensitive, path and method case-sensitive, source-ip on the
connection's address), where a redirect goes (AWS's `#{protocol}`, `#{host}`, `#{port}`,
`#{path}`, `#{query}` placeholders), which target group a weighted forward picks, and the
sticky cookies' values. Plain values in, plain values out; tests feed them directly."""

from __future__ import annotations

import base64
import ipaddress
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

Doc = dict[str, Any]


@dataclass(frozen=True)
class Facts:
    """What rules look at in one request."""

    method: str
    host: str  # Host header without the port, lower-case
    path: str  # the path as sent (percent-decoding left alone), without the query
    query: Sequence[tuple[str, str]]
    headers: Mapping[str, Sequence[str]]  # lower-case name -> values
    source_ip: str
    protocol: str = "http"  # the listener's, lower-case
    port: int = 80
    query_string: str = ""


@lru_cache(maxsize=4096)
def _wild(pattern: str, fold: bool) -> re.Pattern[str]:
    out = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(out, re.IGNORECASE | re.DOTALL if fold else re.DOTALL)


def wild_match(pattern: str, text: str, fold: bool) -> bool:
    return _wild(pattern, fold).fullmatch(text) is not None


def condition_matches(cond: Doc, f: Facts) -> bool:
    field_ = cond["Field"]
    if field_ == "host-header":
        return any(wild_match(v, f.host, True) for v in cond["HostHeaderConfig"]["Values"])
    if field_ == "path-pattern":
        return any(wild_match(v, f.path, False) for v in cond["PathPatternConfig"]["Values"])
    if field_ == "http-request-method":
        return f.method in cond["HttpRequestMethodConfig"]["Values"]
    if field_ == "http-header":
        cfg = cond["HttpHeaderConfig"]
        have = f.headers.get(cfg["HttpHeaderName"].lower(), ())
        return any(wild_match(v, h, True) for v in cfg["Values"] for h in have)
    if field_ == "query-string":
        for want in cond["QueryStringConfig"]["Values"]:
            for k, v in f.query:
                if ("Key" not in want or wild_match(want["Key"], k, True)) and wild_match(want["Value"], v, True):
                    return True
        return False
    if field_ == "source-ip":
        try:
            ip = ipaddress.ip_address(f.source_ip)
        except ValueError:
            return False
        return any(ip in ipaddress.ip_network(v, strict=False) for v in cond["SourceIpConfig"]["Values"])
    return False


def choose(rules: Sequence[Doc], f: Facts) -> Doc:
    """The first rule (by priority, the default rule last) whose conditions all hold."""
    for rule in rules:
        if all(condition_matches(c, f) for c in rule["Conditions"]):
            return rule
    return rules[-1]


def redirect_location(cfg: Doc, f: Facts) -> str:
    """The Location of a redirect action: the placeholders filled from the request."""
    values = {"#{protocol}": f.protocol, "#{host}": f.host, "#{port}": str(f.port),
              "#{path}": f.path.lstrip("/"), "#{query}": f.query_string}

    def fill(text: str) -> str:
        for k, v in values.items():
            text = text.replace(k, v)
        return text
    protocol = fill(cfg["Protocol"]).lower()
    host = fill(cfg["Host"])
    port = fill(cfg["Port"])
    path = fill(cfg["Path"])
    query = fill(cfg["Query"])
    default_port = {"http": "80", "https": "443"}.get(protocol)
    netloc = host if port == default_port else f"{host}:{port}"
    return f"{protocol}://{netloc}{path}" + (f"?{query}" if query else "")


def pick_group(groups: Sequence[Doc], rnd: random.Random | None = None) -> str | None:
    """A weighted forward's target group: chosen in proportion to the weights (0 never)."""
    live = [g for g in groups if g.get("Weight", 1) > 0]
    if not live:
        return None
    if len(live) == 1:
        return str(live[0]["TargetGroupArn"])
    r = (rnd or random).uniform(0, sum(g.get("Weight", 1) for g in live))
    for g in live:
        r -= g.get("Weight", 1)
        if r <= 0:
            return str(g["TargetGroupArn"])
    return str(live[-1]["TargetGroupArn"])


def cookie_value(*parts: str) -> str:
    return base64.urlsafe_b64encode("|".join(parts).encode()).decode().rstrip("=")


def cookie_parts(value: str) -> list[str]:
    try:
        text = base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_", validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return []
    return text.split("|") if text else []


def cookies(header_values: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for h in header_values:
        for part in h.split(";"):
            k, sep, v = part.strip().partition("=")
            if sep:
                out.setdefault(k, v)
    return out


@dataclass
class RoundRobin:
    """Round-robin position per target group."""

    next: dict[str, int] = field(default_factory=dict)

    def pick(self, tg: str, n: int) -> int:
        i = self.next.get(tg, 0) % n
        self.next[tg] = i + 1
        return i
