"""CloudWatch Logs filter patterns, compiled to predicates over a log message (sans-IO).

Three syntaxes, as the CloudWatch Logs user guide defines them:
- terms: `ERROR`, `"exact phrase"` (all must appear, case-sensitive), `?A ?B` (any of),
  `-term` (must not appear), `%regex%`;
- JSON: `{ $.a.b = "x*" && ($.n > 3 || $.flag IS TRUE) }` with `= != < > <= >=`, `IS TRUE`,
  `IS FALSE`, `IS NULL`, `NOT EXISTS`, `*` wildcards and `%regex%` values; a message that is
  not a JSON object never matches;
- space-delimited: `[ip, user, ..., status = 4* || status = 5*, bytes > 1000]` naming the
  fields of a whitespace-separated line (quoted strings and [bracketed] parts are one field),
  `...` for any number of fields.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Predicate = Callable[[str], bool]


class PatternError(ValueError):
    """The pattern is not valid CloudWatch filter syntax."""


def compile_pattern(pattern: str | None) -> Predicate:
    match = compile_matcher(pattern)
    return lambda message: match(message) is not None


@dataclass(frozen=True)
class Match:
    """What a matching message yields for metric values and dimensions: the named fields of
    a space-delimited pattern (`$name`), or the parsed document of a JSON one (`$.a.b`)."""

    fields: dict[str, str] = field(default_factory=dict)
    doc: Any = None

    def extracted(self) -> dict[str, str]:
        """TestMetricFilter's extractedValues: "$<field>" -> value (space-delimited only)."""
        return {"$" + k: v for k, v in self.fields.items()}

    def value(self, ref: str) -> Any:
        """The value `ref` (`$.path` or `$field`) names, or None when the message has none."""
        if ref.startswith("$.") and self.doc is not None:
            m = _SELECTOR.match(ref)
            if m is None:
                return None
            values = _lookup(self.doc, _path(m.group(1)))
            return values[0] if values else None
        if ref.startswith("$"):
            return self.fields.get(ref[1:])
        return None


Matcher = Callable[[str], Match | None]
KIND_TERMS, KIND_JSON, KIND_SPACE = "terms", "json", "space"


def pattern_kind(pattern: str | None) -> str:
    """Which of the three syntaxes `pattern` is written in."""
    text = (pattern or "").strip()
    return KIND_JSON if text.startswith("{") else KIND_SPACE if text.startswith("[") else KIND_TERMS


def compile_matcher(pattern: str | None) -> Matcher:
    """A function giving a Match for a message the pattern matches, None otherwise."""
    text = (pattern or "").strip()
    empty = Match()
    if not text:
        return lambda message: empty
    if text.startswith("{"):
        if not text.endswith("}"):
            raise PatternError("Invalid character(s) in term")
        expr = _Parser(_tokens(text[1:-1])).parse_expr(_json_condition)
        return lambda message: _json_match(expr, message)
    if text.startswith("["):
        if not text.endswith("]"):
            raise PatternError("Invalid character(s) in term")
        return _space_delimited(text[1:-1])
    terms = _terms(text)
    return lambda message: empty if terms(message) else None


# --- terms ------------------------------------------------------------------------------------


def _terms(text: str) -> Predicate:
    must: list[Predicate] = []
    exclude: list[Predicate] = []
    any_of: list[Predicate] = []
    for tok in re.findall(r'[-?]?"[^"]*"|[-?]?%[^%]*%|\S+', text):
        kind = tok[0] if tok[0] in "-?" and len(tok) > 1 else ""
        term = tok[1:] if kind else tok
        if term.startswith("%") and term.endswith("%") and len(term) > 1:
            test = _matches_regex(re.compile(term[1:-1]))
        else:
            test = _contains(term.strip('"'))
        (exclude if kind == "-" else any_of if kind == "?" else must).append(test)

    def match(message: str) -> bool:
        if any_of and not any(t(message) for t in any_of):
            return False
        return all(t(message) for t in must) and not any(t(message) for t in exclude)

    return match


# --- shared expression machinery ----------------------------------------------------------------

_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<rx>%[^%]*%)|(?P<op>&&|\|\||<=|>=|!=|=|<|>|\(|\))'
    r"|(?P<word>[^\s()=!<>&|\"]+))"
)


def _tokens(text: str) -> list[str]:
    out: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            if text[pos:].strip() == "":
                break
            raise PatternError(f"Invalid character(s) in term: {text[pos:pos + 20]!r}")
        out.append(m.group(m.lastgroup or "word"))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


class _Parser:
    """Recursive descent over `a && b || (c)`; conditions are parsed by a callback."""

    def __init__(self, tokens: list[str]) -> None:
        self.toks = tokens
        self.i = 0

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> str:
        if self.i >= len(self.toks):
            raise PatternError("Unexpected end of pattern")
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse_expr(self, condition: Callable[[_Parser], Any]) -> Any:
        node = self._or(condition)
        if self.peek() is not None:
            raise PatternError(f"Unexpected {self.peek()!r} in pattern")
        return node

    def _or(self, condition: Callable[[_Parser], Any]) -> Any:
        node = self._and(condition)
        while self.peek() == "||":
            self.take()
            node = ("or", node, self._and(condition))
        return node

    def _and(self, condition: Callable[[_Parser], Any]) -> Any:
        node = self._atom(condition)
        while self.peek() == "&&":
            self.take()
            node = ("and", node, self._atom(condition))
        return node

    def _atom(self, condition: Callable[[_Parser], Any]) -> Any:
        if self.peek() == "(":
            self.take()
            node = self._or(condition)
            if self.take() != ")":
                raise PatternError("Unbalanced parentheses")
            return node
        return condition(self)


def _value_test(op: str, raw: str) -> Callable[[Any], bool]:
    """A test of one value against `op raw` (string with * wildcards, number, or %regex%)."""
    if raw.startswith("%") and raw.endswith("%") and len(raw) > 1:
        rx = re.compile(raw[1:-1])
        if op not in ("=", "!="):
            raise PatternError("Regular expressions only compare with = and !=")
        hit = lambda v: v is not None and not isinstance(v, (dict, list)) and rx.search(_text(v)) is not None  # noqa: E731
        return hit if op == "=" else (lambda v: not hit(v))
    quoted = raw.startswith('"')
    literal = json.loads(raw) if quoted else raw
    number = None
    if not quoted:
        try:
            number = float(raw)
        except ValueError:
            number = None
    if op in ("<", ">", "<=", ">="):
        if number is None:
            raise PatternError(f"{op} needs a number")
        cmp = {"<": float.__lt__, ">": float.__gt__, "<=": float.__le__, ">=": float.__ge__}[op]
        return lambda v: (n := _number(v)) is not None and cmp(n, number)
    if number is not None:
        eq = lambda v: (n := _number(v)) is not None and n == number  # noqa: E731
    else:
        rx = re.compile("^" + ".*".join(re.escape(p) for p in str(literal).split("*")) + "$", re.S)
        eq = lambda v: v is not None and not isinstance(v, (dict, list)) and rx.match(_text(v)) is not None  # noqa: E731
    return eq if op == "=" else (lambda v: not eq(v))


def _text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _matches_regex(rx: re.Pattern[str]) -> Predicate:
    return lambda message: rx.search(message) is not None


def _contains(word: str) -> Predicate:
    return lambda message: word in message


def _apply(value: Any, test: Callable[[Any], bool]) -> bool:
    """`test(value)`, for evaluating one field's condition tree."""
    return test(value)


def _evaluate(node: Any, leaf: Callable[[Any], bool]) -> bool:
    if isinstance(node, tuple) and node and node[0] in ("and", "or"):
        if node[0] == "and":
            return _evaluate(node[1], leaf) and _evaluate(node[2], leaf)
        return _evaluate(node[1], leaf) or _evaluate(node[2], leaf)
    return leaf(node)


# --- JSON patterns ----------------------------------------------------------------------------

_MISSING = object()
_SELECTOR = re.compile(r"^\$((?:\.[^.\[\]]+|\[\d+\]|\.\*)*)$")


def _json_condition(p: _Parser) -> tuple[str, list[Any], Callable[[Any], bool]]:
    selector = p.take()
    m = _SELECTOR.match(selector)
    if m is None:
        raise PatternError(f"Invalid selector {selector!r}")
    path = _path(m.group(1))
    word = p.peek()
    if word == "IS":
        p.take()
        what = p.take()
        tests = {"TRUE": lambda v: v is True, "FALSE": lambda v: v is False, "NULL": lambda v: v is None}
        if what not in tests:
            raise PatternError(f"IS {what} is not a valid test")
        return ("leaf", path, tests[what])
    if word == "NOT":
        p.take()
        if p.take() != "EXISTS":
            raise PatternError("NOT must be followed by EXISTS")
        return ("leaf", path, lambda v: v is _MISSING)
    op = p.take()
    if op not in ("=", "!=", "<", ">", "<=", ">="):
        raise PatternError(f"Invalid operator {op!r}")
    test = _value_test(op, p.take())
    return ("leaf", path, lambda v, t=test: v is not _MISSING and t(v))


def _path(steps: str) -> list[Any]:
    return [int(x[1:-1]) if x.startswith("[") else x[1:] for x in re.findall(r"\.[^.\[\]]+|\[\d+\]", steps)]


def _lookup(doc: Any, path: list[Any]) -> list[Any]:
    """Values at `path`; `*` steps into every element of a list or object."""
    values = [doc]
    for step in path:
        nxt: list[Any] = []
        for v in values:
            if step == "*":
                nxt.extend(v.values() if isinstance(v, dict) else v if isinstance(v, list) else [])
            elif isinstance(step, int):
                if isinstance(v, list) and step < len(v):
                    nxt.append(v[step])
            elif isinstance(v, dict) and step in v:
                nxt.append(v[step])
        values = nxt
    return values


def _json_match(expr: Any, message: str) -> Match | None:
    try:
        doc = json.loads(message)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None

    def leaf(node: tuple[str, list[Any], Callable[[Any], bool]]) -> bool:
        values = _lookup(doc, node[1])
        if not values:
            return node[2](_MISSING)
        return any(node[2](v) for v in values)

    return Match(doc=doc) if _evaluate(expr, leaf) else None


# --- space-delimited patterns -------------------------------------------------------------------

_FIELD = re.compile(r'"[^"]*"|\[[^\]]*\]|\S+')


def _split_fields(message: str) -> list[str]:
    return [f[1:-1] if f[:1] in '"[' and f[-1:] in '"]' and len(f) > 1 else f for f in _FIELD.findall(message)]


def _space_delimited(body: str) -> Matcher:
    names: list[str] = []  # "..." for a run of any fields
    conds: dict[int, Any] = {}
    for idx, part in enumerate(p.strip() for p in _split_top_level(body)):
        if not part:
            raise PatternError("Empty field in pattern")
        if part == "...":
            names.append("...")
            continue
        toks = _tokens(part)
        names.append(toks[0])
        if len(toks) > 1:
            first = toks[0]

            def condition(pp: _Parser, first: str = first) -> Callable[[Any], bool]:
                name = pp.take()
                if name != first:
                    raise PatternError(f"A condition on field {first!r} names {name!r}")
                op = pp.take()
                return _value_test(op, pp.take())

            conds[idx] = _Parser(toks).parse_expr(condition)
    if names.count("...") > 1:
        raise PatternError("Only one ... is allowed")

    def match(message: str) -> Match | None:
        fields = _split_fields(message)
        if "..." in names:
            cut = names.index("...")
            before, after = cut, len(names) - cut - 1
            if len(fields) < before + after:
                return None
            aligned: list[str | None] = [*fields[:before], None, *(fields[len(fields) - after:] if after else [])]
        else:
            if len(fields) != len(names):
                return None
            aligned = list(fields)
        for idx, expr in conds.items():
            value = aligned[idx]
            if not _evaluate(expr, functools.partial(_apply, value)):
                return None
        return Match(fields={n: v for n, v in zip(names, aligned, strict=True) if n != "..." and v is not None})

    return match


def _split_top_level(body: str) -> list[str]:
    """Split on commas outside quotes."""
    parts: list[str] = []
    buf: list[str] = []
    quoted = False
    for ch in body:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    parts.append("".join(buf))
    return parts
