"""The Logs Insights query grammar: commands separated by `|`, each over expressions.

    fields e [as n], …        display f, …          filter e
    stats agg(e) [as n], … [by e [as n], …]         sort e [asc|desc], …
    limit N                   parse [f] "glob * *" as a, b  |  parse [f] /(?<a>…)/
    dedup f, …

Expressions, loosest first: `or`, `and`, `not`, comparisons (`= != < > <= >=`, `like`,
`not like`, `=~`, `in [...]`, `not in [...]`), `+ -`, `* / %`, `^`, unary `-`, then
literals, fields, `/regex/`, `[list]`, function calls and parentheses. Keywords are matched
without regard to case. An item with no `as` is named by its own text, as AWS names columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from gureum.services.logs.insights.lexer import QueryError, Token, duration_ms, tokenize

# --- expressions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    name: str


@dataclass(frozen=True)
class Lit:
    value: Any


@dataclass(frozen=True)
class Duration:
    ms: int
    text: str


@dataclass(frozen=True)
class Regex:
    pattern: str
    flags: str = ""


@dataclass(frozen=True)
class ListLit:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Call:
    name: str  # lower-cased
    args: tuple[Expr, ...]
    star: bool = False  # count(*)


@dataclass(frozen=True)
class Unary:
    op: str  # "not", "-"
    operand: Expr


@dataclass(frozen=True)
class Binary:
    op: str  # and or = != < > <= >= like notlike =~ in notin + - * / % ^
    left: Expr
    right: Expr


Expr = Field | Lit | Duration | Regex | ListLit | Call | Unary | Binary

AGGREGATES = {"count", "count_distinct", "sum", "avg", "min", "max", "pct", "percentile", "stddev", "earliest",
              "latest", "sortsfirst", "sortslast"}

# --- commands ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    expr: Expr
    name: str


@dataclass(frozen=True)
class Fields:
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Display:
    names: tuple[str, ...]


@dataclass(frozen=True)
class Filter:
    expr: Expr


@dataclass(frozen=True)
class Stats:
    aggregates: tuple[Item, ...]
    by: tuple[Item, ...]


@dataclass(frozen=True)
class SortKey:
    expr: Expr
    descending: bool


@dataclass(frozen=True)
class Sort:
    keys: tuple[SortKey, ...]


@dataclass(frozen=True)
class Limit:
    count: int


@dataclass(frozen=True)
class Parse:
    source: Expr
    glob: str | None
    regex: Regex | None
    names: tuple[str, ...]


@dataclass(frozen=True)
class Dedup:
    names: tuple[str, ...]


Command = Fields | Display | Filter | Stats | Sort | Limit | Parse | Dedup


@dataclass
class Query:
    text: str
    commands: list[Command] = field(default_factory=list)


COMMANDS = ("fields", "display", "filter", "stats", "sort", "limit", "parse", "dedup")


def parse_query(text: str) -> Query:
    if not text.strip():
        raise QueryError("Query string cannot be empty", 0, 0)
    p = _Parser(text, tokenize(text))
    q = Query(text)
    while True:
        q.commands.append(p.command())
        if p.at("op", "|"):
            p.next()
            continue
        if p.tok.kind != "eof":
            p.fail()
        break
    if sum(isinstance(c, Stats) for c in q.commands) > 2:
        raise QueryError("A query can contain at most two stats commands", 0, len(text))
    return q


class _Parser:
    def __init__(self, text: str, tokens: list[Token]) -> None:
        self.text = text
        self.toks = tokens
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def next(self) -> Token:
        t = self.toks[self.i]
        if t.kind != "eof":
            self.i += 1
        return t

    def at(self, kind: str, text: str | None = None) -> bool:
        t = self.tok
        return t.kind == kind and (text is None or t.text == text)

    def word(self, *words: str) -> bool:
        return self.tok.kind == "ident" and self.tok.text.lower() in words

    def fail(self, tok: Token | None = None) -> QueryError:
        t = tok or self.tok
        line = self.text.count("\n", 0, t.start) + 1
        what = t.text if t.kind != "eof" else "end of query"
        if t.kind == "eof":
            raise QueryError(f"unexpected end of query at line {line} and position {t.start + 1}", t.start, t.end)
        raise QueryError(f"unexpected symbol found {what} at line {line} and position {t.start + 1}", t.start, t.end)

    def expect(self, kind: str, text: str | None = None) -> Token:
        if not self.at(kind, text):
            self.fail()
        return self.next()

    def names(self) -> tuple[str, ...]:
        out = [self.expect("ident").text]
        while self.at("op", ","):
            self.next()
            out.append(self.expect("ident").text)
        return tuple(out)

    # -- commands --

    def command(self) -> Command:
        t = self.tok
        if t.kind != "ident" or t.text.lower() not in COMMANDS:
            self.fail()
        name = self.next().text.lower()
        if name == "fields":
            return Fields(self.items())
        if name == "display":
            return Display(self.names())
        if name == "filter":
            return Filter(self.expr())
        if name == "stats":
            aggs = self.items()
            by: tuple[Item, ...] = ()
            if self.word("by"):
                self.next()
                by = self.items()
            for item in aggs:
                if not _has_aggregate(item.expr):
                    raise QueryError(f"stats needs an aggregate function: {item.name}", t.start, self.tok.start)
            return Stats(aggs, by)
        if name == "sort":
            keys = [self.sort_key()]
            while self.at("op", ","):
                self.next()
                keys.append(self.sort_key())
            return Sort(tuple(keys))
        if name == "limit":
            n = self.expect("number")
            if "." in n.text or int(n.text) < 1 or int(n.text) > 10000:
                raise QueryError("limit must be an integer from 1 to 10000", n.start, n.end)
            return Limit(int(n.text))
        if name == "parse":
            return self.parse_command()
        return Dedup(self.names())

    def sort_key(self) -> SortKey:
        e = self.expr()
        desc = False  # ascending unless told desc
        if self.word("asc", "desc"):
            desc = self.next().text.lower() == "desc"
        return SortKey(e, desc)

    def parse_command(self) -> Parse:
        source: Expr = Field("@message")
        if self.at("ident"):
            source = Field(self.next().text)
        if self.at("string"):
            glob = self.next()
            if not self.word("as"):
                self.fail()
            self.next()
            names = self.names()
            if len(names) != glob.text.count("*"):
                raise QueryError("The number of fields in the parse pattern and the as clause must be equal",
                                 glob.start, self.tok.start)
            return Parse(source, glob.text, None, names)
        if self.at("regex"):
            rx = self.next()
            names = tuple(re.findall(r"\(\?P?<([A-Za-z_]\w*)>", rx.text))
            if not names:
                raise QueryError("A parse regular expression needs named capture groups", rx.start, rx.end)
            return Parse(source, None, Regex(rx.text, rx.flags), names)
        self.fail()
        raise AssertionError

    def items(self) -> tuple[Item, ...]:
        out = [self.item()]
        while self.at("op", ","):
            self.next()
            out.append(self.item())
        return tuple(out)

    def item(self) -> Item:
        start = self.tok.start
        e = self.expr()
        name = self.text[start:self.toks[self.i - 1].end].strip()
        if self.word("as"):
            self.next()
            name = self.expect("ident").text
        return Item(e, name)

    # -- expressions --

    def expr(self) -> Expr:
        return self.or_()

    def or_(self) -> Expr:
        e = self.and_()
        while self.word("or"):
            self.next()
            e = Binary("or", e, self.and_())
        return e

    def and_(self) -> Expr:
        e = self.not_()
        while self.word("and"):
            self.next()
            e = Binary("and", e, self.not_())
        return e

    def not_(self) -> Expr:
        if self.word("not"):
            self.next()
            return Unary("not", self.not_())
        return self.comparison()

    def comparison(self) -> Expr:
        e = self.additive()
        t = self.tok
        if t.kind == "op" and t.text in ("=", "==", "!=", "<", ">", "<=", ">=", "=~"):
            self.next()
            op = "=" if t.text == "==" else t.text
            return Binary(op, e, self.additive())
        negate = False
        if self.word("not"):
            nxt = self.toks[self.i + 1]
            if nxt.kind == "ident" and nxt.text.lower() in ("like", "in"):
                self.next()
                negate = True
        if self.word("like"):
            self.next()
            return Binary("notlike" if negate else "like", e, self.additive())
        if self.word("in"):
            self.next()
            return Binary("notin" if negate else "in", e, self.additive())
        if negate:
            self.fail()
        return e

    def additive(self) -> Expr:
        e = self.multiplicative()
        while self.at("op", "+") or self.at("op", "-"):
            op = self.next().text
            e = Binary(op, e, self.multiplicative())
        return e

    def multiplicative(self) -> Expr:
        e = self.power()
        while self.tok.kind == "op" and self.tok.text in ("*", "/", "%"):
            op = self.next().text
            e = Binary(op, e, self.power())
        return e

    def power(self) -> Expr:
        e = self.unary()
        if self.at("op", "^"):
            self.next()
            return Binary("^", e, self.power())
        return e

    def unary(self) -> Expr:
        if self.at("op", "-"):
            self.next()
            return Unary("-", self.unary())
        return self.primary()

    def primary(self) -> Expr:
        t = self.tok
        if t.kind == "string":
            self.next()
            return Lit(t.text)
        if t.kind == "number":
            self.next()
            return Lit(float(t.text) if any(c in t.text for c in ".eE") else int(t.text))
        if t.kind == "duration":
            self.next()
            return Duration(duration_ms(t.text), t.text)
        if t.kind == "regex":
            self.next()
            return Regex(t.text, t.flags)
        if self.at("op", "("):
            self.next()
            e = self.expr()
            self.expect("op", ")")
            return e
        if self.at("op", "["):
            self.next()
            items: list[Expr] = []
            if not self.at("op", "]"):
                items.append(self.expr())
                while self.at("op", ","):
                    self.next()
                    items.append(self.expr())
            self.expect("op", "]")
            return ListLit(tuple(items))
        if t.kind == "ident":
            if t.text.lower() in ("and", "or", "not", "by", "as", "like", "in", "asc", "desc") or t.text.lower() in COMMANDS \
                    and not self.toks[self.i + 1].text == "(":
                self.fail()
            self.next()
            if self.at("op", "("):
                self.next()
                name = t.text.lower()
                if self.at("op", "*"):
                    star = self.next()
                    if name != "count":
                        self.fail(star)
                    self.expect("op", ")")
                    return Call(name, (), star=True)
                args: list[Expr] = []
                if not self.at("op", ")"):
                    args.append(self.expr())
                    while self.at("op", ","):
                        self.next()
                        args.append(self.expr())
                self.expect("op", ")")
                if name not in AGGREGATES and name not in KNOWN_FUNCTIONS:
                    raise QueryError(f"unknown function {t.text}", t.start, t.end)
                return Call(name, tuple(args))
            if t.text.lower() in ("true", "false"):
                return Lit(t.text.lower() == "true")
            return Field(t.text)
        self.fail()
        raise AssertionError


KNOWN_FUNCTIONS = {
    "ispresent", "isempty", "isblank", "strlen", "concat", "tolower", "toupper", "trim", "ltrim", "rtrim", "substr",
    "replace", "strcontains", "abs", "ceil", "floor", "sqrt", "log", "greatest", "least", "coalesce", "bin",
    "datefloor", "dateceil", "frommillis", "tomillis", "isvalidip", "isvalidipv4", "isvalidipv6", "round",
    "isipinsubnet", "isipv4insubnet", "isipv6insubnet",
}


def _has_aggregate(e: Expr) -> bool:
    if isinstance(e, Call):
        return e.name in AGGREGATES or any(_has_aggregate(a) for a in e.args)
    if isinstance(e, Binary):
        return _has_aggregate(e.left) or _has_aggregate(e.right)
    if isinstance(e, Unary):
        return _has_aggregate(e.operand)
    return False
