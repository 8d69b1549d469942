"""HTTP API route selection, sans-IO: which of a deployment's routes a request takes, as AWS
picks it.

A route key is `$default` or `<METHOD> <path>`, METHOD one of GET, POST, ... or ANY; path
segments are literals, `{name}` (one segment) or, last, `{name+}` (greedy: one or more
segments). Among the routes that match, the most specific wins: segment by segment a literal
beats a variable, which beats a greedy variable; then a route naming the method beats ANY.
`$default` catches what no other route matches. Path variables are percent-decoded values.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

_LITERAL, _VARIABLE, _GREEDY = 0, 1, 2


@dataclass(frozen=True)
class Route:
    key: str
    method: str  # "ANY", "GET", ... ("" for $default)
    segments: tuple[str, ...]


@dataclass(frozen=True)
class Match:
    key: str
    path_parameters: dict[str, str]


def parse(key: str) -> Route:
    if key == "$default":
        return Route(key, "", ())
    method, _, path = key.partition(" ")
    return Route(key, method, tuple(path.split("/")[1:]))


def _kind(segment: str) -> int:
    if segment.startswith("{") and segment.endswith("+}"):
        return _GREEDY
    if segment.startswith("{") and segment.endswith("}"):
        return _VARIABLE
    return _LITERAL


def _match(route: Route, parts: list[str]) -> tuple[tuple[int, ...], dict[str, str]] | None:
    """(specificity, path parameters) when `route`'s path matches `parts`, else None."""
    params: dict[str, str] = {}
    rank: list[int] = []
    for i, seg in enumerate(route.segments):
        kind = _kind(seg)
        rank.append(kind)
        if kind == _GREEDY:
            rest = parts[i:]
            if not rest or rest == [""]:
                return None
            params[seg[1:-2]] = unquote("/".join(rest))
            return tuple(rank), params
        if i >= len(parts):
            return None
        if kind == _VARIABLE:
            if parts[i] == "":
                return None
            params[seg[1:-1]] = unquote(parts[i])
        elif seg != parts[i]:
            return None
    if len(parts) != len(route.segments):
        return None
    return tuple(rank), params


def select(routes: Iterable[str], method: str, raw_path: str) -> Match | None:
    """The route key `method raw_path` takes among `routes` (the deployment's keys), or None
    (AWS answers 404 Not Found)."""
    parts = raw_path.split("/")[1:] if raw_path.startswith("/") else raw_path.split("/")
    best: tuple[tuple[int, ...], int, Match] | None = None
    default = False
    for key in routes:
        route = parse(key)
        if not route.method:
            default = True
            continue
        if route.method not in ("ANY", method):
            continue
        found = _match(route, parts)
        if found is None:
            continue
        rank, params = found
        # lower is more specific: literals first, then method-specific routes
        score = (rank, 1 if route.method == "ANY" else 0, Match(key, params))
        if best is None or (score[0], score[1]) < (best[0], best[1]):
            best = score
    if best is not None:
        return best[2]
    return Match("$default", {}) if default else None
