"""Composite alarm rules, sans-IO: parse an AlarmRule ("ALARM(cpu) AND NOT OK('disk')",
"(ALARM(a) OR ALARM(b)) AND TRUE") and evaluate it against the states of the alarms it names.
Functions ALARM, OK, INSUFFICIENT_DATA take an alarm name or ARN, quoted or not; TRUE and
FALSE are constants; NOT binds tighter than AND, AND tighter than OR."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

MAX_RULE = 10240
_TOKEN = re.compile(r"\s*(?:(\(|\))|\"((?:[^\"\\]|\\.)*)\"|'((?:[^'\\]|\\.)*)'|([^\s()]+))")
STATES = ("ALARM", "OK", "INSUFFICIENT_DATA")


class RuleError(Exception):
    """An AlarmRule that does not parse."""


@dataclass(frozen=True)
class Rule:
    kind: str  # state, const, not, and, or
    value: str | bool = ""
    args: tuple[Rule, ...] = ()


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise RuleError(f"Error in alarm rule at position {pos}")
        pos = m.end()
        if m.group(1):
            out.append(("p", m.group(1)))
        elif m.group(2) is not None or m.group(3) is not None:
            out.append(("q", m.group(2) if m.group(2) is not None else m.group(3) or ""))
        else:
            out.append(("w", m.group(4)))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise RuleError("Unexpected end of alarm rule")
        self.i += 1
        return tok

    def parse(self) -> Rule:
        r = self.or_()
        if self.peek() is not None:
            raise RuleError(f"Unexpected token '{self.peek()[1]}' in alarm rule")  # type: ignore[index]
        return r

    def or_(self) -> Rule:
        r = self.and_()
        while self.peek() == ("w", "OR"):
            self.take()
            r = Rule("or", args=(r, self.and_()))
        return r

    def and_(self) -> Rule:
        r = self.not_()
        while self.peek() == ("w", "AND"):
            self.take()
            r = Rule("and", args=(r, self.not_()))
        return r

    def not_(self) -> Rule:
        if self.peek() == ("w", "NOT"):
            self.take()
            return Rule("not", args=(self.not_(),))
        return self.atom()

    def atom(self) -> Rule:
        kind, text = self.take()
        if (kind, text) == ("p", "("):
            r = self.or_()
            if self.take() != ("p", ")"):
                raise RuleError("Expected ')' in alarm rule")
            return r
        if kind == "w" and text in ("TRUE", "FALSE"):
            return Rule("const", text == "TRUE")
        if kind == "w" and text in STATES:
            if self.take() != ("p", "("):
                raise RuleError(f"Expected '(' after {text} in alarm rule")
            k, name = self.take()
            if k not in ("q", "w") or not name:
                raise RuleError(f"Expected an alarm name in {text}()")
            if self.take() != ("p", ")"):
                raise RuleError("Expected ')' in alarm rule")
            return Rule("state", text, (Rule("name", name),))
        raise RuleError(f"Unexpected token '{text}' in alarm rule")


def parse(text: str) -> Rule:
    return _Parser(text).parse()


def names(rule: Rule) -> set[str]:
    """The alarm names or ARNs `rule` refers to."""
    if rule.kind == "name":
        return {str(rule.value)}
    out: set[str] = set()
    for a in rule.args:
        out |= names(a)
    return out


def evaluate(rule: Rule, state_of: Callable[[str], str | None]) -> bool:
    """Whether `rule` holds, with `state_of(name)` the named alarm's state (None: no such alarm,
    which matches no state)."""
    if rule.kind == "const":
        return bool(rule.value)
    if rule.kind == "not":
        return not evaluate(rule.args[0], state_of)
    if rule.kind == "and":
        return evaluate(rule.args[0], state_of) and evaluate(rule.args[1], state_of)
    if rule.kind == "or":
        return evaluate(rule.args[0], state_of) or evaluate(rule.args[1], state_of)
    if rule.kind == "state":
        return state_of(str(rule.args[0].value)) == rule.value
    raise RuleError(f"bad rule node {rule.kind}")
