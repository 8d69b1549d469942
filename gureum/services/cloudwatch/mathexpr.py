"""Metric math, sans-IO: parse an expression ("m1 + m2", "SUM(METRICS())", "100 * e1 / m3",
"AVG([m1, m2])") and evaluate it over named time series (timestamp -> value).

Values are a scalar (float), a time series (dict of time -> value) or an array of series.
Arithmetic between two series keeps the timestamps both have; a series and a scalar combine
point by point. SUM/AVG/MIN/MAX of an array give a series (per timestamp over the series that
have it); of one series they give a scalar (over its points). METRICS() is every series of
the request's other queries whose id does not start with "e" unless named by a filter
string: METRICS("m") keeps ids starting with "m". Errors are `MathError` with AWS's wording.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Union

Series = dict[float, float]
Value = Union[float, Series, list[Series]]

_TOKEN = re.compile(r"\s*(?:(\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+)|([A-Za-z_][A-Za-z0-9_]*)|(\"[^\"]*\"|'[^']*')|(.))")


class MathError(Exception):
    """An expression that cannot be parsed or evaluated (the message is AWS's)."""


@dataclass(frozen=True)
class Node:
    kind: str  # num, ref, call, bin, neg, array, str
    value: object = None
    args: tuple[Node, ...] = ()


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise MathError(f"Syntax error at position {pos}.")
        pos = m.end()
        if m.group(1):
            out.append(("num", m.group(1)))
        elif m.group(2):
            out.append(("id", m.group(2)))
        elif m.group(3):
            out.append(("str", m.group(3)[1:-1]))
        elif m.group(4) and not m.group(4).isspace():
            out.append(("op", m.group(4)))
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, op: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None or (op is not None and tok != ("op", op)):
            raise MathError("Syntax error: unexpected end of expression." if tok is None
                            else f"Syntax error: unexpected '{tok[1]}'.")
        self.i += 1
        return tok

    def parse(self) -> Node:
        node = self.expr()
        if self.peek() is not None:
            raise MathError(f"Syntax error: unexpected '{self.peek()[1]}'.")  # type: ignore[index]
        return node

    def expr(self) -> Node:
        node = self.term()
        while self.peek() in (("op", "+"), ("op", "-")):
            op = self.take()[1]
            node = Node("bin", op, (node, self.term()))
        return node

    def term(self) -> Node:
        node = self.power()
        while self.peek() in (("op", "*"), ("op", "/")):
            op = self.take()[1]
            node = Node("bin", op, (node, self.power()))
        return node

    def power(self) -> Node:
        node = self.unary()
        if self.peek() == ("op", "^"):
            self.take()
            node = Node("bin", "^", (node, self.power()))
        return node

    def unary(self) -> Node:
        if self.peek() == ("op", "-"):
            self.take()
            return Node("neg", None, (self.unary(),))
        return self.atom()

    def atom(self) -> Node:
        kind, text = self.take()
        if kind == "num":
            return Node("num", float(text))
        if kind == "str":
            return Node("str", text)
        if kind == "id":
            if self.peek() == ("op", "("):
                self.take("(")
                args: list[Node] = []
                if self.peek() != ("op", ")"):
                    args.append(self.expr())
                    while self.peek() == ("op", ","):
                        self.take(",")
                        args.append(self.expr())
                self.take(")")
                return Node("call", text.upper(), tuple(args))
            return Node("ref", text)
        if (kind, text) == ("op", "("):
            node = self.expr()
            self.take(")")
            return node
        if (kind, text) == ("op", "["):
            items = [self.expr()]
            while self.peek() == ("op", ","):
                self.take(",")
                items.append(self.expr())
            self.take("]")
            return Node("array", None, tuple(items))
        raise MathError(f"Syntax error: unexpected '{text}'.")


def parse(text: str) -> Node:
    return _Parser(text).parse()


def references(node: Node) -> set[str]:
    """The query ids `node` names (METRICS() is reported as "*")."""
    if node.kind == "ref":
        return {str(node.value)}
    out: set[str] = set()
    if node.kind == "call" and node.value == "METRICS":
        out.add("*")
    for a in node.args:
        out |= references(a)
    return out


_BIN: dict[str, Callable[[float, float], float | None]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b if b != 0 else None,
    "^": lambda a, b: float(a ** b) if not (a < 0 and b != int(b)) else None,
}


def _binary(op: str, a: Value, b: Value) -> Value:
    f = _BIN[op]
    if isinstance(a, list) or isinstance(b, list):
        if isinstance(a, list):
            return [_binary(op, x, b) for x in a]  # type: ignore[misc]
        return [_binary(op, a, y) for y in b]  # type: ignore[misc, union-attr]
    if isinstance(a, dict) and isinstance(b, dict):
        out = {t: f(a[t], b[t]) for t in a if t in b}
    elif isinstance(a, dict):
        out = {t: f(v, float(b)) for t, v in a.items()}  # type: ignore[arg-type]
    elif isinstance(b, dict):
        out = {t: f(float(a), v) for t, v in b.items()}
    else:
        r = f(float(a), float(b))
        if r is None:
            raise MathError("Division by zero.")
        return r
    return {t: v for t, v in out.items() if v is not None}


_AGG: dict[str, Callable[[list[float]], float]] = {
    "SUM": sum,
    "AVG": lambda xs: sum(xs) / len(xs),
    "MIN": min,
    "MAX": max,
}


def _call(name: str, args: list[Value]) -> Value:
    if name in _AGG:
        f = _AGG[name]
        if len(args) != 1:
            raise MathError(f"Error in expression: {name} takes exactly 1 argument.")
        arg = args[0]
        if isinstance(arg, list):
            times = sorted({t for s in arg for t in s})
            return {t: f([s[t] for s in arg if t in s]) for t in times}
        if isinstance(arg, dict):
            if not arg:
                raise MathError(f"Error in expression: {name} of an empty time series.")
            return f(list(arg.values()))
        return float(arg)
    if name == "ABS":
        a = args[0]
        if isinstance(a, dict):
            return {t: abs(v) for t, v in a.items()}
        if isinstance(a, list):
            return [{t: abs(v) for t, v in s.items()} for s in a]
        return abs(float(a))
    raise MathError(f"Unknown function {name}.")


def evaluate(node: Node, series: Mapping[str, Series], metrics: Callable[[str | None], list[Series]]) -> Value:
    """The value of `node`, with `series` the named queries' results and `metrics(filter)`
    the array METRICS(filter) stands for."""
    if node.kind == "num":
        return float(node.value)  # type: ignore[arg-type]
    if node.kind == "str":
        raise MathError("Syntax error: a string is allowed only as the argument of METRICS().")
    if node.kind == "ref":
        name = str(node.value)
        if name not in series:
            raise MathError(f"Unrecognized metric or expression id: {name}.")
        return series[name]
    if node.kind == "neg":
        return _binary("*", -1.0, evaluate(node.args[0], series, metrics))
    if node.kind == "bin":
        return _binary(str(node.value), evaluate(node.args[0], series, metrics), evaluate(node.args[1], series, metrics))
    if node.kind == "array":
        out: list[Series] = []
        for a in node.args:
            v = evaluate(a, series, metrics)
            if isinstance(v, list):
                out.extend(v)
            elif isinstance(v, dict):
                out.append(v)
            else:
                raise MathError("Error in expression: an array holds time series only.")
        return out
    if node.kind == "call" and node.value == "METRICS":
        flt = None
        if node.args:
            if node.args[0].kind != "str":
                raise MathError("Error in expression: METRICS() takes a string filter.")
            flt = str(node.args[0].value)
        return metrics(flt)
    return _call(str(node.value), [evaluate(a, series, metrics) for a in node.args])
