"""Tokens of a Logs Insights query: fields (`@message`, `a.b`, `` `odd name` ``), strings
('…' or "…"), numbers, durations (`5m`, `1h`), regular expressions (`/…/`, where a value may
start), operators and punctuation. `#` starts a comment to the end of the line."""

from __future__ import annotations

import re
from dataclasses import dataclass


class QueryError(ValueError):
    """A malformed query, with the character offsets of the offending part."""

    def __init__(self, message: str, start: int, end: int) -> None:
        super().__init__(message)
        self.message = message
        self.start = start
        self.end = end


@dataclass(frozen=True)
class Token:
    kind: str  # ident, string, number, duration, regex, op, eof
    text: str  # the value: an identifier, the unquoted string, the regex body, the operator
    start: int
    end: int
    flags: str = ""  # a regex's trailing flags


_DURATION_UNITS = ("ms", "mo", "s", "m", "h", "d", "w", "q", "y")
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_IDENT = re.compile(r"[@A-Za-z_$][\w.@$]*")
_OPS = ("=~", "!=", "<=", ">=", "==", "|", ",", "(", ")", "[", "]", "=", "<", ">", "+", "-", "*", "/", "%", "^")
# After these a `/` starts a regex; after a value it divides.
_VALUE_ENDS = {"ident", "string", "number", "duration"}
_KEYWORDS = {"like", "in", "and", "or", "not", "filter", "parse", "by", "as"}


def tokenize(text: str) -> list[Token]:
    out: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch == "#":
            while i < n and text[i] != "\n":
                i += 1
            continue
        prev = out[-1] if out else None
        value_before = prev is not None and (
            prev.kind in _VALUE_ENDS and not (prev.kind == "ident" and prev.text.lower() in _KEYWORDS)
            or prev.kind == "op" and prev.text in (")", "]"))
        if len(out) >= 2 and out[-2].kind == "ident" and out[-2].text.lower() == "parse":
            value_before = False  # parse <field> /regex/
        if ch in "'\"`":
            j, buf = i + 1, []
            while j < n and text[j] != ch:
                if text[j] == "\\" and j + 1 < n:
                    j += 1
                    buf.append({"n": "\n", "t": "\t"}.get(text[j], text[j]))
                else:
                    buf.append(text[j])
                j += 1
            if j >= n:
                raise QueryError(f"unterminated string starting at position {i}", i, n)
            out.append(Token("ident" if ch == "`" else "string", "".join(buf), i, j + 1))
            i = j + 1
            continue
        if ch == "/" and not value_before:
            j, buf = i + 1, []
            while j < n and text[j] != "/":
                if text[j] == "\\" and j + 1 < n and text[j + 1] == "/":
                    j += 1
                elif text[j] == "\\" and j + 1 < n:
                    buf.append(text[j])
                    j += 1
                buf.append(text[j])
                j += 1
            if j >= n:
                raise QueryError(f"unterminated regular expression starting at position {i}", i, n)
            k = j + 1
            while k < n and text[k] in "imsx":
                k += 1
            out.append(Token("regex", "".join(buf), i, k, text[j + 1:k]))
            i = k
            continue
        m = _NUMBER.match(text, i)
        if m:
            j = m.end()
            unit = next((u for u in _DURATION_UNITS if text.startswith(u, j) and not _word(text, j + len(u))), None)
            if unit is not None:
                out.append(Token("duration", text[i:j + len(unit)], i, j + len(unit)))
                i = j + len(unit)
            else:
                out.append(Token("number", m.group(), i, j))
                i = j
            continue
        m = _IDENT.match(text, i)
        if m:
            out.append(Token("ident", m.group(), i, m.end()))
            i = m.end()
            continue
        op = next((o for o in _OPS if text.startswith(o, i)), None)
        if op is None:
            raise QueryError(f"unexpected symbol found {ch} at line {text.count(chr(10), 0, i) + 1} and position {i + 1}", i, i + 1)
        out.append(Token("op", op, i, i + len(op)))
        i += len(op)
    out.append(Token("eof", "", n, n))
    return out


def _word(text: str, j: int) -> bool:
    return j < len(text) and (text[j].isalnum() or text[j] == "_")


def duration_ms(text: str) -> int:
    """`5m` -> 300000 (months as 30 days, quarters 90, years 365)."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|mo|s|m|h|d|w|q|y)", text)
    if m is None:
        raise ValueError(text)
    scale = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000,
             "mo": 2_592_000_000, "q": 7_776_000_000, "y": 31_536_000_000}[m.group(2)]
    return int(float(m.group(1)) * scale)
