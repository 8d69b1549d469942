"""DynamoDB's expression language, parsed once by a recursive-descent parser into trees that
evaluate.py walks. The grammar (keywords case-insensitive, function names case-sensitive):

    condition  := disj
    disj       := conj ("OR" conj)*
    conj       := neg ("AND" neg)*
    neg        := "NOT" neg | "(" condition ")" | function | operand tail
    tail       := comparator operand | "BETWEEN" operand "AND" operand
                | "IN" "(" operand ("," operand)* ")"
    comparator := "=" | "<>" | "<" | "<=" | ">" | ">="
    function   := attribute_exists(path) | attribute_not_exists(path)
                | attribute_type(path, :v) | begins_with(operand, operand)
                | contains(operand, operand)
    operand    := path | :value | size(path)
    path       := name ("." name | "[" digits "]")*      name := identifier | #alias
    update     := (("SET" set ("," set)*) | ("REMOVE" path ("," path)*)
                 | ("ADD" path :value ("," path :value)*) | ("DELETE" path :value (...)*))+
    set        := path "=" setvalue       setvalue := setop (("+" | "-") setop)?
    setop      := path | :value | if_not_exists(path, setop) | list_append(setop, setop)
    projection := path ("," path)*

Trees are tuples: ("path", Path), ("value", Value), ("size", Path), ("+"|"-", a, b),
("if_not_exists", Path, a), ("list_append", a, b); conditions ("cmp", op, a, b),
("between", a, lo, hi), ("in", a, [b...]), ("and"|"or", c, d), ("not", c), ("fn", name, args).
A Path is a tuple of attribute names (str) and list indexes (int), aliases resolved.
`Context` collects the aliases and values used, so a request's unused ones are reported as AWS
does, with AWS's messages for syntax errors, reserved words and undefined aliases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from gureum.services.dynamodb.reserved import is_reserved
from gureum.services.dynamodb.values import Value, invalid, kind, order

Path = tuple[str | int, ...]
Node = tuple[Any, ...]

_TOKEN = re.compile(r"\s*(?:(?P<alias>#[A-Za-z0-9_]+)|(?P<value>:[A-Za-z0-9_]+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
                    r"|(?P<int>\d+)|(?P<op><=|>=|<>|[=<>()\[\],.+\-]))")
CONDITION_FUNCTIONS = ("attribute_exists", "attribute_not_exists", "attribute_type", "begins_with", "contains")
UPDATE_FUNCTIONS = ("if_not_exists", "list_append")
TYPE_NAMES = ("S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M")


@dataclass
class Context:
    """The aliases and values of one request, and which of them its expressions used."""

    names: dict[str, str] = field(default_factory=dict)
    values: dict[str, Value] = field(default_factory=dict)
    used_names: set[str] = field(default_factory=set)
    used_values: set[str] = field(default_factory=set)

    def check_unused(self) -> None:
        unused = sorted(set(self.names) - self.used_names)
        if unused:
            raise invalid("Value provided in ExpressionAttributeNames unused in expressions: keys: {" + ", ".join(unused) + "}")
        unused = sorted(set(self.values) - self.used_values)
        if unused:
            raise invalid("Value provided in ExpressionAttributeValues unused in expressions: keys: {" + ", ".join(unused) + "}")


@dataclass(frozen=True)
class Tok:
    kind: str  # alias, value, name, int, op, eof
    text: str
    start: int
    end: int


def path_text(p: Path) -> str:
    return "[" + ", ".join(str(e) for e in p) + "]"


class _Parser:
    def __init__(self, text: str, what: str, ctx: Context) -> None:
        self.text, self.what, self.ctx = text, what, ctx
        self.toks: list[Tok] = []
        pos = 0
        while True:
            while pos < len(text) and text[pos].isspace():
                pos += 1
            if pos >= len(text):
                break
            m = _TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                bad = text[pos]
                self.toks.append(Tok("bad", bad, pos, pos + 1))
                self.i = len(self.toks) - 1
                raise self.error(f"Invalid {what}: Syntax error; token: \"{bad}\", near: \"{self._near()}\"",
                                 plain=True)
            k = m.lastgroup or "op"
            self.toks.append(Tok(k, m.group(k), m.start(k), m.end()))
            pos = m.end()
        self.toks.append(Tok("eof", "<EOF>", len(text), len(text)))
        self.i = 0
        if len(self.toks) == 1:
            raise invalid(f"Invalid {what}: The expression can not be empty;")

    # -- tokens --
    def peek(self, ahead: int = 0) -> Tok:
        return self.toks[min(self.i + ahead, len(self.toks) - 1)]

    def take(self) -> Tok:
        t = self.toks[self.i]
        self.i = min(self.i + 1, len(self.toks) - 1)
        return t

    def is_op(self, text: str) -> bool:
        t = self.peek()
        return t.kind == "op" and t.text == text

    def is_kw(self, word: str) -> bool:
        t = self.peek()
        return t.kind == "name" and t.text.upper() == word

    def expect_op(self, text: str) -> None:
        if not self.is_op(text):
            raise self.syntax()
        self.take()

    def _near(self) -> str:
        lo = self.toks[max(self.i - 1, 0)].start
        hi = self.toks[min(self.i + 1, len(self.toks) - 1)].end if self.i + 1 < len(self.toks) else len(self.text)
        return self.text[lo:hi]

    def syntax(self) -> Exception:
        t = self.peek()
        return invalid(f"Invalid {self.what}: Syntax error; token: \"{t.text}\", near: \"{self._near()}\"")

    def error(self, message: str, plain: bool = False) -> Exception:
        return invalid(message if plain else f"Invalid {self.what}: {message}")

    def done(self) -> None:
        if self.peek().kind != "eof":
            raise self.syntax()

    # -- paths and operands --
    def name_part(self) -> str:
        t = self.peek()
        if t.kind == "alias":
            self.take()
            if t.text not in self.ctx.names:
                raise self.error(f"An expression attribute name used in the document path is not defined; attribute name: {t.text}")
            self.ctx.used_names.add(t.text)
            return self.ctx.names[t.text]
        if t.kind == "name":
            self.take()
            if is_reserved(t.text):
                raise self.error(f"Attribute name is a reserved keyword; reserved keyword: {t.text}")
            return t.text
        raise self.syntax()

    def path(self) -> Path:
        parts: list[str | int] = [self.name_part()]
        while True:
            if self.is_op("."):
                self.take()
                parts.append(self.name_part())
            elif self.is_op("["):
                self.take()
                t = self.peek()
                if t.kind != "int":
                    raise self.syntax()
                self.take()
                parts.append(int(t.text))
                self.expect_op("]")
            else:
                return tuple(parts)

    def value(self) -> Value:
        t = self.take()
        if t.text not in self.ctx.values:
            raise self.error(f"An expression attribute value used in expression is not defined; attribute value: {t.text}")
        self.ctx.used_values.add(t.text)
        return self.ctx.values[t.text]

    def is_call(self) -> bool:
        return self.peek().kind == "name" and self.peek(1).kind == "op" and self.peek(1).text == "("

    def operand(self) -> Node:
        t = self.peek()
        if t.kind == "value":
            return ("value", self.value())
        if self.is_call():
            name = t.text
            if name == "size":
                self.take()
                self.take()
                p = self.path()
                self.expect_op(")")
                return ("size", p)
            if name in CONDITION_FUNCTIONS or name in UPDATE_FUNCTIONS:
                raise self.error(f"The function is not allowed to be used this way in an expression; function: {name}")
            raise self.error(f"Invalid function name; function: {name}")
        if t.kind in ("name", "alias"):
            return ("path", self.path())
        raise self.syntax()

    # -- conditions --
    def condition(self) -> Node:
        node = self.conj()
        while self.is_kw("OR"):
            self.take()
            node = ("or", node, self.conj())
        return node

    def conj(self) -> Node:
        node = self.neg()
        while self.is_kw("AND"):
            self.take()
            node = ("and", node, self.neg())
        return node

    def neg(self) -> Node:
        if self.is_kw("NOT"):
            self.take()
            return ("not", self.neg())
        if self.is_op("("):
            self.take()
            node = self.condition()
            self.expect_op(")")
            return node
        if self.is_call() and self.peek().text in CONDITION_FUNCTIONS:
            return self.function()
        left = self.operand()
        t = self.peek()
        if t.kind == "op" and t.text in ("=", "<>", "<", "<=", ">", ">="):
            self.take()
            return ("cmp", t.text, left, self.operand())
        if self.is_kw("BETWEEN"):
            self.take()
            lo = self.operand()
            if not self.is_kw("AND"):
                raise self.syntax()
            self.take()
            hi = self.operand()
            if lo[0] == "value" and hi[0] == "value":
                c = order(lo[1], hi[1])
                if c is not None and c > 0:
                    raise self.error("The BETWEEN operator requires upper bound to be greater than or equal to lower bound; "
                                     f"lower bound operand: AttributeValue: {_show(lo[1])}, upper bound operand: "
                                     f"AttributeValue: {_show(hi[1])}")
            return ("between", left, lo, hi)
        if self.is_kw("IN"):
            self.take()
            self.expect_op("(")
            items = [self.operand()]
            while self.is_op(","):
                self.take()
                items.append(self.operand())
            self.expect_op(")")
            if len(items) > 100:
                raise self.error("The IN operator is provided with too many operands; number of operands: " + str(len(items)))
            return ("in", left, items)
        raise self.syntax()

    def function(self) -> Node:
        name = self.take().text
        self.take()
        args: list[Node] = []
        if name in ("attribute_exists", "attribute_not_exists"):
            args.append(("path", self.path()))
        elif name == "attribute_type":
            args.append(("path", self.path()))
            self.expect_op(",")
            if self.peek().kind != "value":
                raise self.syntax()
            v = self.value()
            if kind(v) != "S" or v["S"] not in TYPE_NAMES:
                shown = v.get("S", _show(v))
                raise self.error(f"Invalid attribute type name found; type: {shown}, valid types: {{B,NULL,SS,BOOL,L,BS,N,NS,S,M}}")
            args.append(("value", v))
        else:
            args.append(self.operand())
            self.expect_op(",")
            args.append(self.operand())
            if name == "begins_with":
                for a in args:
                    if a[0] == "value" and kind(a[1]) not in ("S", "B"):
                        raise self.error(f"Incorrect operand type for operator or function; operator or function: begins_with, operand type: {kind(a[1])}")
        self.expect_op(")")
        return ("fn", name, args)

    # -- updates --
    def set_operand(self) -> Node:
        t = self.peek()
        if t.kind == "value":
            return ("value", self.value())
        if self.is_call():
            name = t.text
            self.take()
            self.take()
            if name == "if_not_exists":
                p = self.path()
                self.expect_op(",")
                node: Node = ("if_not_exists", p, self.set_operand())
            elif name == "list_append":
                a = self.set_operand()
                self.expect_op(",")
                b = self.set_operand()
                for x in (a, b):
                    if x[0] == "value" and kind(x[1]) != "L":
                        raise self.error(f"Incorrect operand type for operator or function; operator: list_append, operand type: {_type_word(kind(x[1]))}, typeSet: ALLOWED_FOR_LIST_APPEND")
                node = ("list_append", a, b)
            elif name in CONDITION_FUNCTIONS or name == "size":
                raise self.error(f"The function is not allowed in an update expression; function: {name}")
            else:
                raise self.error(f"Invalid function name; function: {name}")
            self.expect_op(")")
            return node
        if t.kind in ("name", "alias"):
            return ("path", self.path())
        raise self.syntax()

    def set_value(self) -> Node:
        a = self.set_operand()
        if self.is_op("+") or self.is_op("-"):
            op = self.take().text
            b = self.set_operand()
            for x in (a, b):
                if x[0] == "value" and kind(x[1]) != "N":
                    raise self.error(f"Incorrect operand type for operator or function; operator or function: {op}, operand type: {kind(x[1])}")
            return (op, a, b)
        return a

    def update(self) -> dict[str, list[Node]]:
        clauses: dict[str, list[Node]] = {}
        while self.peek().kind != "eof":
            t = self.peek()
            word = t.text.upper() if t.kind == "name" else ""
            if word not in ("SET", "REMOVE", "ADD", "DELETE"):
                raise self.syntax()
            self.take()
            if word in clauses:
                raise self.error(f"The \"{word}\" section can only be used once in an update expression;")
            actions: list[Node] = []
            while True:
                p = self.path()
                if word == "SET":
                    self.expect_op("=")
                    actions.append((p, self.set_value()))
                elif word == "REMOVE":
                    actions.append((p,))
                else:
                    if self.peek().kind != "value":
                        raise self.syntax()
                    v = self.value()
                    if word == "ADD" and kind(v) not in ("N", "SS", "NS", "BS"):
                        raise self.error(f"Incorrect operand type for operator or function; operator: ADD, operand type: {_type_word(kind(v))}")
                    if word == "DELETE" and kind(v) not in ("SS", "NS", "BS"):
                        raise self.error(f"Incorrect operand type for operator or function; operator: DELETE, operand type: {_type_word(kind(v))}")
                    actions.append((p, v))
                if not self.is_op(","):
                    break
                self.take()
            clauses[word] = actions
        paths = [a[0] for acts in clauses.values() for a in acts]
        _check_overlap(paths, self)
        return clauses

    def projection(self) -> list[Path]:
        paths = [self.path()]
        while self.is_op(","):
            self.take()
            paths.append(self.path())
        self.done()
        _check_overlap(paths, self)
        return paths


def _check_overlap(paths: list[Path], p: _Parser) -> None:
    for i, a in enumerate(paths):
        for b in paths[i + 1:]:
            n = min(len(a), len(b))
            if a[:n] == b[:n]:
                raise p.error("Two document paths overlap with each other; must remove or rewrite one of these paths; "
                              f"path one: {path_text(a)}, path two: {path_text(b)}")


def _type_word(t: str) -> str:
    return {"S": "STRING", "N": "NUMBER", "B": "BINARY", "BOOL": "BOOLEAN", "NULL": "NULL", "L": "LIST", "M": "MAP",
            "SS": "STRING_SET", "NS": "NUMBER_SET", "BS": "BINARY_SET"}[t]


def _show(v: Value) -> str:
    t = kind(v)
    return "{" + f"{t}:{v[t]}" + "}"


def condition(text: str, what: str, ctx: Context) -> Node:
    p = _Parser(text, what, ctx)
    node = p.condition()
    p.done()
    return node


def update(text: str, ctx: Context) -> dict[str, list[Node]]:
    return _Parser(text, "UpdateExpression", ctx).update()


def projection(text: str, ctx: Context) -> list[Path]:
    return _Parser(text, "ProjectionExpression", ctx).projection()
