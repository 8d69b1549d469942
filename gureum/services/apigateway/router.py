"""Which resource and method of a deployment answer a request path (sans-IO, on values).

The deployment's resources form a tree (parentId); a request's path segments walk it from
the root: at each level a static path part equal to the segment is tried first, then the
level's `{name}` variable (one segment), then its greedy `{name+}` (every remaining
segment, at least one). A branch whose resource lacks the method (or ANY) is given up for the
next candidate, so the most specific resource that serves the method wins. Segments are
percent-decoded; empty segments (doubled or trailing slashes) are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

Doc = dict[str, Any]


@dataclass(frozen=True)
class Match:
    resource: Doc
    method: Doc
    path_parameters: dict[str, str]


class Tree:
    """A deployment's resources indexed for matching."""

    def __init__(self, resources: list[Doc]) -> None:
        self.children: dict[str, list[Doc]] = {}
        self.root: Doc | None = None
        for r in resources:
            if r.get("parentId"):
                self.children.setdefault(r["parentId"], []).append(r)
            else:
                self.root = r

    def match(self, raw_path: str, http_method: str) -> Match | None:
        if self.root is None:
            return None
        segments = [unquote(s) for s in raw_path.split("/") if s]
        return self._walk(self.root, segments, http_method.upper(), {})

    def _walk(self, node: Doc, segments: list[str], verb: str, params: dict[str, str]) -> Match | None:
        if not segments:
            method = node["methods"].get(verb) or node["methods"].get("ANY")
            return Match(node, method, params) if method is not None else None
        head, rest = segments[0], segments[1:]
        kids = self.children.get(node["id"], [])
        for kid in kids:
            if kid["pathPart"] == head:
                found = self._walk(kid, rest, verb, params)
                if found is not None:
                    return found
        for kid in kids:
            part = kid["pathPart"]
            if part.startswith("{") and not part.endswith("+}"):
                found = self._walk(kid, rest, verb, {**params, part[1:-1]: head})
                if found is not None:
                    return found
        for kid in kids:
            part = kid["pathPart"]
            if part.endswith("+}"):
                method = kid["methods"].get(verb) or kid["methods"].get("ANY")
                if method is not None:
                    return Match(kid, method, {**params, part[1:-2]: "/".join(segments)})
        return None
