"""Wildcard patterns of the policy language, compiled once: actions (case-insensitive, `*` and
`?` match anything), resources and ARN conditions (case-sensitive, segment-wise: a wildcard
in one of an ARN's first five `:`-separated segments stays inside it, one in the last segment
of the pattern matches the rest), string conditions (StringLike: whole-string wildcards), and
policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'default'}`, and the escapes
`${*}`, `${?}`, `${$}`).

A pattern holds no variables after compilation unless the policy uses them; then the regex is
built per request from the request's values (substituted literally, so a value holding `*` never
widens a match) and cached by its text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_DEFAULT = re.compile(r"^\s*([^,\s]+)\s*,\s*'([^']*)'\s*$")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}

# Token kinds: ("lit", text) literal text; ("star",) and ("one",) wildcards; ("var", key, default)
Token = tuple[str, ...]
Resolver = Callable[[str], "str | None"]


@functools.lru_cache(maxsize=4096)
def _compile(regex: str, flags: int) -> re.Pattern[str]:
    return re.compile(regex, flags)


def _tokens(text: str, *, wildcards: bool, variables: bool) -> list[Token]:
    out: list[Token] = []
    pos = 0
    pieces: list[tuple[int, int, str | None]] = []
    if variables:
        for m in _VARIABLE.finditer(text):
            pieces.append((m.start(), m.end(), m.group(1)))
    for start, end, inner in [*pieces, (len(text), len(text), None)]:
        chunk = text[pos:start]
        for ch in chunk:
            if wildcards and ch == "*":
                out.append(("star",))
            elif wildcards and ch == "?":
                out.append(("one",))
            else:
                out.append(("lit", ch))
        if inner is not None:
            if inner in _ESCAPES:
                out.append(("lit", _ESCAPES[inner]))
            else:
                default = _DEFAULT.match(inner)
                if default:
                    out.append(("var", default.group(1).lower(), default.group(2)))
                else:
                    out.append(("var", inner.strip().lower()))
        pos = end
    return out


@dataclass(frozen=True)
class Pattern:
    """One compiled pattern; `match(value, resolve)` with `resolve(key)` giving a variable's
    single value (None when the request lacks it: then nothing matches, as AWS documents)."""

    text: str
    tokens: tuple[Token, ...]
    arn: bool
    flags: int
    static: re.Pattern[str] | None

    def match(self, value: str, resolve: Resolver | None = None) -> bool:
        if self.static is not None:
            return self.static.fullmatch(value) is not None
        regex = _regex(self.tokens, self.arn, resolve)
        if regex is None:
            return False
        return _compile(regex, self.flags).fullmatch(value) is not None

    @property
    def has_variables(self) -> bool:
        return self.static is None


def _regex(tokens: Sequence[Token], arn: bool, resolve: Resolver | None) -> str | None:
    parts: list[str] = []
    # In ARN patterns a wildcard before the pattern's fifth colon stays within its segment.
    colons_total = sum(1 for t in tokens if t == ("lit", ":")) if arn else 0
    last_segment = min(colons_total, 5)
    colons = 0
    for tok in tokens:
        kind = tok[0]
        bounded = arn and colons < last_segment
        if kind == "lit":
            parts.append(re.escape(tok[1]))
            if tok[1] == ":":
                colons += 1
        elif kind == "star":
            parts.append("[^:]*" if bounded else ".*")
        elif kind == "one":
            parts.append("[^:]" if bounded else ".")
        else:
            value = resolve(tok[1]) if resolve is not None else None
            if value is None:
                if len(tok) > 2:
                    value = tok[2]
                else:
                    return None
            parts.append(re.escape(value))
    return "".join(parts)


def compile_pattern(text: str, *, arn: bool = False, ignore_case: bool = False,
                    wildcards: bool = True, variables: bool = False) -> Pattern:
    tokens = tuple(_tokens(text, wildcards=wildcards, variables=variables))
    flags = re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL
    static = None
    if not any(t[0] == "var" for t in tokens):
        regex = _regex(tokens, arn, None)
        assert regex is not None
        static = _compile(regex, flags)
    return Pattern(text, tokens, arn, flags, static)


def substitute(text: str, resolve: Resolver) -> str | None:
    """A condition value with its policy variables replaced (None if one is missing)."""
    out: list[str] = []
    for tok in _tokens(text, wildcards=False, variables=True):
        if tok[0] == "lit":
            out.append(tok[1])
        else:
            value = resolve(tok[1])
            if value is None:
                if len(tok) > 2:
                    value = tok[2]
                else:
                    return None
            out.append(value)
    return "".join(out)


def has_variables(text: str) -> bool:
    return _VARIABLE.search(text) is not None


def resolver(context: Mapping[str, tuple[str, ...]]) -> Resolver:
    """Variables take single-valued keys only; a multi-valued one matches nothing."""
    def resolve(key: str) -> str | None:
        values = context.get(key)
        if values is None or len(values) != 1:
            return None
        return values[0]
    return resolve


class AnyOf:
    """Several patterns of one element (Action, Resource) matched as one: static patterns are
    joined into a single regex, so a statement costs one regex match however many it lists."""

    __slots__ = ("combined", "dynamic")

    def __init__(self, patterns: Sequence[Pattern]) -> None:
        static = [p for p in patterns if p.static is not None]
        self.dynamic = tuple(p for p in patterns if p.static is None)
        self.combined: re.Pattern[str] | None = None
        if static:
            flags = static[0].flags
            assert all(p.flags == flags for p in static)
            self.combined = re.compile("|".join(f"(?:{p.static.pattern})" for p in static if p.static), flags)

    def match(self, value: str, resolve: Resolver | None = None) -> bool:
        if self.combined is not None and self.combined.fullmatch(value) is not None:
            return True
        for p in self.dynamic:
            if p.match(value, resolve):
                return True
        return False
