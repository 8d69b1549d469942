"""DynamoDB's PartiQL dialect, parsed by a recursive-descent parser into the trees of the
expression language (expressions.py), so that evaluate.py and the item operations evaluate
PartiQL exactly as they evaluate expressions. The grammar (keywords case-insensitive):

    statement := select | insert | update | delete | exists
    select    := SELECT ("*" | path ("," path)*) FROM target [WHERE cond] [ORDER BY path [ASC|DESC]]
    insert    := INSERT INTO target VALUE literal               (a tuple {'a': v, ...})
    update    := UPDATE target (SET assign ("," assign)* | REMOVE path ("," path)*)+ [WHERE cond]
                 [RETURNING (ALL|MODIFIED) (OLD|NEW) "*"]
    delete    := DELETE FROM target [WHERE cond] [RETURNING ALL OLD "*"]
    exists    := EXISTS "(" select ")"                           (transactions only)
    target    := ident ["." ident]                               (table, or table.index)
    cond      := conj (OR conj)*;  conj := neg (AND neg)*;  neg := NOT neg | "(" cond ")" | pred
    pred      := fn "(" args ")" | operand (cmp operand | BETWEEN operand AND operand
                 | IN ("[" | "(") operand, ... ("]" | ")") | IS [NOT] (MISSING | NULL))
    operand   := path | literal | "?" | size "(" path ")"
    assign    := path "=" term [("+" | "-") term]
    term      := operand | list_append(term, term) | set_add(path, term) | set_delete(path, term)
    literal   := 'string' | number | TRUE | FALSE | NULL | "[" ... "]" | "{" 'k': v, ... "}" | "<<" ... ">>"
    ident     := name | "quoted name";   path := ident ("." ident | "[" int "]")*

`?` takes the request's Parameters in order (a count mismatch is AWS's ValidationException).
SET a = set_add(a, v) is the expression language's ADD, set_delete its DELETE; IS MISSING is
attribute_not_exists. Errors carry AWS's prefix "Statement wasn't well formed, can't be
processed: ".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.dynamodb import values as V
from gureum.services.dynamodb.expressions import Node, Path, path_text
from gureum.services.dynamodb.values import Item, Value, invalid, kind

_TOKEN = re.compile(
    r"(?P<str>'(?:[^']|'')*')|(?P<qid>\"(?:[^\"]|\"\")*\")|(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op><<|>>|<=|>=|<>|!=|[=<>()\[\]{},.:*?+\-;])")
_FUNCTIONS = ("begins_with", "contains", "attribute_type", "attribute_exists", "attribute_not_exists")
_TYPES = ("S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M")


def malformed(detail: str) -> AwsError:
    return invalid(f"Statement wasn't well formed, can't be processed: {detail}")


def unsupported(detail: str) -> AwsError:
    return invalid(f"Unsupported operation: {detail}")


@dataclass
class Statement:
    kind: str  # select, insert, update, delete, exists
    table: str
    index: str | None = None
    projection: list[Path] | None = None  # None: "*"
    where: Node | None = None
    item: Item | None = None  # INSERT's tuple
    update: dict[str, list[Node]] = field(default_factory=dict)  # SET/REMOVE/ADD/DELETE as expressions.py
    returning: str | None = None  # ALL_OLD, ALL_NEW, UPDATED_OLD, UPDATED_NEW
    descending: bool = False
    order_by: Path | None = None

    @property
    def is_read(self) -> bool:
        return self.kind == "select"


@dataclass(frozen=True)
class _Tok:
    kind: str  # str, qid, num, name, op, eof
    text: str


class _Parser:
    def __init__(self, text: str, params: list[Value]) -> None:
        self.params = params
        self.used = 0
        self.toks: list[_Tok] = []
        pos = 0
        while True:
            while pos < len(text) and text[pos].isspace():
                pos += 1
            if pos >= len(text):
                break
            m = _TOKEN.match(text, pos)
            if m is None:
                raise malformed(f"Unexpected character: {text[pos]!r}")
            k = m.lastgroup or "op"
            self.toks.append(_Tok(k, m.group(k)))
            pos = m.end()
        while self.toks and self.toks[-1] == _Tok("op", ";"):
            self.toks.pop()
        self.toks.append(_Tok("eof", "<EOF>"))
        self.i = 0

    # -- tokens --
    def peek(self, ahead: int = 0) -> _Tok:
        return self.toks[min(self.i + ahead, len(self.toks) - 1)]

    def take(self) -> _Tok:
        t = self.toks[self.i]
        self.i = min(self.i + 1, len(self.toks) - 1)
        return t

    def is_op(self, text: str) -> bool:
        t = self.peek()
        return t.kind == "op" and t.text == text

    def is_kw(self, *words: str) -> bool:
        t = self.peek()
        return t.kind == "name" and t.text.upper() in words

    def expect_op(self, text: str) -> None:
        if not self.is_op(text):
            raise self.unexpected()
        self.take()

    def expect_kw(self, word: str) -> None:
        if not self.is_kw(word):
            raise self.unexpected()
        self.take()

    def unexpected(self) -> AwsError:
        t = self.peek()
        if t.kind == "eof":
            return malformed("Unexpected end of statement")
        return malformed(f"Unexpected token: {t.text}")

    # -- names and paths --
    def ident(self) -> str:
        t = self.peek()
        if t.kind == "qid":
            self.take()
            return t.text[1:-1].replace('""', '"')
        if t.kind == "name":
            self.take()
            return t.text
        raise malformed("Expected identifier for simple path") if t.kind != "eof" else self.unexpected()

    def path(self) -> Path:
        parts: list[str | int] = [self.ident()]
        while True:
            if self.is_op(".") and self.peek(1).kind in ("name", "qid"):
                self.take()
                parts.append(self.ident())
            elif self.is_op("["):
                self.take()
                t = self.take()
                if t.kind != "num" or not t.text.isdigit():
                    raise malformed("Expected a non-negative integer as a list index")
                parts.append(int(t.text))
                self.expect_op("]")
            else:
                return tuple(parts)

    # -- values --
    def param(self) -> Value:
        self.take()
        if self.used >= len(self.params):
            raise invalid("Number of parameters in request and statement don't match.")
        v = self.params[self.used]
        self.used += 1
        return v

    def literal(self) -> Value:
        t = self.peek()
        if t.kind == "str":
            self.take()
            return {"S": t.text[1:-1].replace("''", "'")}
        if t.kind == "num" or (t.kind == "op" and t.text == "-" and self.peek(1).kind == "num"):
            sign = ""
            if t.kind == "op":
                self.take()
                sign = "-"
            return {"N": V.number(sign + self.take().text)}
        if self.is_op("?"):
            return self.param()
        if self.is_kw("TRUE", "FALSE"):
            return {"BOOL": self.take().text.upper() == "TRUE"}
        if self.is_kw("NULL"):
            self.take()
            return {"NULL": True}
        if self.is_op("["):
            self.take()
            return {"L": self._members("]")}
        if self.is_op("<<"):
            self.take()
            return self._set(self._members(">>"))
        if self.is_op("{"):
            self.take()
            out: dict[str, Value] = {}
            while not self.is_op("}"):
                k = self.peek()
                if k.kind != "str":
                    raise malformed("Expected a string literal as a tuple's attribute name")
                self.take()
                self.expect_op(":")
                out[k.text[1:-1].replace("''", "'")] = self.literal()
                if not self.is_op(","):
                    break
                self.take()
            self.expect_op("}")
            return {"M": out}
        raise self.unexpected()

    def _members(self, close: str) -> list[Value]:
        out: list[Value] = []
        while not self.is_op(close):
            out.append(self.literal())
            if not self.is_op(","):
                break
            self.take()
        self.expect_op(close)
        return out

    def _set(self, members: list[Value]) -> Value:
        kinds = {kind(m) for m in members}
        if not members or len(kinds) != 1 or next(iter(kinds)) not in ("S", "N", "B"):
            raise invalid("One or more parameter values were invalid: A set must contain one or more values of one "
                          "type: string, number or binary")
        t = next(iter(kinds))
        return V.check({t + "S": [m[t] for m in members]})

    def is_literal_start(self) -> bool:
        t = self.peek()
        return t.kind in ("str", "num") or (t.kind == "op" and t.text in ("?", "[", "<<", "{", "-")) \
            or self.is_kw("TRUE", "FALSE", "NULL")

    def operand(self) -> Node:
        if self.is_kw("SIZE") and self.peek(1) == _Tok("op", "("):
            self.take()
            self.take()
            p = self.path()
            self.expect_op(")")
            return ("size", p)
        if self.is_literal_start():
            return ("value", self.literal())
        return ("path", self.path())

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
        t = self.peek()
        if t.kind == "name" and t.text.lower() in _FUNCTIONS and self.peek(1) == _Tok("op", "("):
            return self.function()
        left = self.operand()
        t = self.peek()
        if t.kind == "op" and t.text in ("=", "<>", "!=", "<", "<=", ">", ">="):
            self.take()
            return ("cmp", "<>" if t.text == "!=" else t.text, left, self.operand())
        if self.is_kw("BETWEEN"):
            self.take()
            lo = self.operand()
            self.expect_kw("AND")
            return ("between", left, lo, self.operand())
        if self.is_kw("IN"):
            self.take()
            close = "]" if self.is_op("[") else ")"
            if not (self.is_op("[") or self.is_op("(")):
                raise self.unexpected()
            self.take()
            items = [self.operand()]
            while self.is_op(","):
                self.take()
                items.append(self.operand())
            self.expect_op(close)
            if len(items) > 100:
                raise invalid("The IN operator is provided with too many operands; number of operands: " + str(len(items)))
            return ("in", left, items)
        if self.is_kw("IS"):
            self.take()
            negate = self.is_kw("NOT")
            if negate:
                self.take()
            if left[0] != "path":
                raise unsupported("IS on a value that is not a document path")
            test: Node
            if self.is_kw("MISSING"):
                self.take()
                test = ("fn", "attribute_not_exists", [left])
            elif self.is_kw("NULL"):
                self.take()
                test = ("or", ("fn", "attribute_not_exists", [left]), ("fn", "attribute_type", [left, ("value", {"S": "NULL"})]))
            else:
                raise self.unexpected()
            return ("not", test) if negate else test
        raise self.unexpected()

    def function(self) -> Node:
        name = self.take().text.lower()
        self.take()
        args = [self.operand()]
        while self.is_op(","):
            self.take()
            args.append(self.operand())
        self.expect_op(")")
        want = 1 if name in ("attribute_exists", "attribute_not_exists") else 2
        if len(args) != want or args[0][0] != "path" and name != "contains" and name != "begins_with":
            raise invalid(f"Incorrect number or type of arguments to function {name}")
        if name == "attribute_type" and (args[1][0] != "value" or args[1][1].get("S") not in _TYPES):
            raise invalid(f"Invalid attribute type name found; type: {args[1][1].get('S') if args[1][0] == 'value' else args[1]}, "
                          "valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}")
        return ("fn", name, args)

    # -- statements --
    def target(self) -> tuple[str, str | None]:
        table = self.ident()
        index = None
        if self.is_op("."):
            self.take()
            index = self.ident()
        return table, index

    def statement(self, *, allow_exists: bool) -> Statement:
        if self.is_kw("SELECT"):
            st = self.select()
        elif self.is_kw("INSERT"):
            st = self.insert()
        elif self.is_kw("UPDATE"):
            st = self.update()
        elif self.is_kw("DELETE"):
            st = self.delete()
        elif self.is_kw("EXISTS"):
            if not allow_exists:
                raise unsupported("EXISTS is supported only in ExecuteTransaction")
            self.take()
            self.expect_op("(")
            st = self.select()
            self.expect_op(")")
            st.kind = "exists"
        else:
            raise malformed("Expected data manipulation")
        if self.peek().kind != "eof":
            raise self.unexpected()
        if self.used != len(self.params):
            raise invalid("Number of parameters in request and statement don't match.")
        return st

    def select(self) -> Statement:
        self.expect_kw("SELECT")
        projection: list[Path] | None = None
        if self.is_op("*"):
            self.take()
        else:
            projection = [self.path()]
            while self.is_op(","):
                self.take()
                projection.append(self.path())
        self.expect_kw("FROM")
        table, index = self.target()
        st = Statement("select", table, index, projection)
        if self.is_kw("WHERE"):
            self.take()
            st.where = self.condition()
        if self.is_kw("ORDER"):
            self.take()
            self.expect_kw("BY")
            st.order_by = self.path()
            if self.is_kw("ASC", "DESC"):
                st.descending = self.take().text.upper() == "DESC"
        return st

    def insert(self) -> Statement:
        self.expect_kw("INSERT")
        self.expect_kw("INTO")
        table, index = self.target()
        if index is not None:
            raise unsupported("INSERT into an index")
        self.expect_kw("VALUE")
        v = self.literal()
        if kind(v) != "M":
            raise invalid("Unsupported operation: Only a tuple (a map literal) can be inserted")
        return Statement("insert", table, item=dict(v["M"]))

    def update(self) -> Statement:
        self.expect_kw("UPDATE")
        table, index = self.target()
        if index is not None:
            raise unsupported("UPDATE of an index")
        st = Statement("update", table)
        sets: list[Node] = []
        removes: list[Node] = []
        adds: list[Node] = []
        deletes: list[Node] = []
        while self.is_kw("SET", "REMOVE"):
            word = self.take().text.upper()
            while True:
                p = self.path()
                if word == "REMOVE":
                    removes.append((p,))
                else:
                    self.expect_op("=")
                    self.assignment(p, sets, adds, deletes)
                if not self.is_op(","):
                    break
                self.take()
        if not (sets or removes or adds or deletes):
            raise self.unexpected()
        for name, acts in (("SET", sets), ("REMOVE", removes), ("ADD", adds), ("DELETE", deletes)):
            if acts:
                st.update[name] = acts
        if self.is_kw("WHERE"):
            self.take()
            st.where = self.condition()
        st.returning = self.returning(("ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"))
        return st

    def assignment(self, p: Path, sets: list[Node], adds: list[Node], deletes: list[Node]) -> None:
        t = self.peek()
        if t.kind == "name" and t.text.lower() in ("set_add", "set_delete") and self.peek(1) == _Tok("op", "("):
            self.take()
            self.take()
            target = self.path()
            if target != p:
                raise unsupported(f"{t.text.lower()} must operate on the attribute it assigns")
            self.expect_op(",")
            v = self.literal()
            self.expect_op(")")
            if kind(v) not in ("SS", "NS", "BS"):
                raise invalid(f"Incorrect operand type for operator or function; operator or function: {t.text.lower()}, "
                              f"operand type: {kind(v)}")
            (adds if t.text.lower() == "set_add" else deletes).append((p, v))
            return
        a = self.term()
        if self.is_op("+") or self.is_op("-"):
            op = self.take().text
            sets.append((p, (op, a, self.term())))
        else:
            sets.append((p, a))

    def term(self) -> Node:
        t = self.peek()
        if t.kind == "name" and t.text.lower() in ("list_append", "if_not_exists") and self.peek(1) == _Tok("op", "("):
            self.take()
            self.take()
            if t.text.lower() == "if_not_exists":
                p = self.path()
                self.expect_op(",")
                node: Node = ("if_not_exists", p, self.term())
            else:
                a = self.term()
                self.expect_op(",")
                node = ("list_append", a, self.term())
            self.expect_op(")")
            return node
        if self.is_literal_start():
            return ("value", self.literal())
        return ("path", self.path())

    def delete(self) -> Statement:
        self.expect_kw("DELETE")
        self.expect_kw("FROM")
        table, index = self.target()
        if index is not None:
            raise unsupported("DELETE from an index")
        st = Statement("delete", table)
        if self.is_kw("WHERE"):
            self.take()
            st.where = self.condition()
        st.returning = self.returning(("ALL_OLD",))
        return st

    def returning(self, allowed: tuple[str, ...]) -> str | None:
        if not self.is_kw("RETURNING"):
            return None
        self.take()
        if not self.is_kw("ALL", "MODIFIED"):
            raise self.unexpected()
        which = self.take().text.upper()
        if not self.is_kw("OLD", "NEW"):
            raise self.unexpected()
        age = self.take().text.upper()
        self.expect_op("*")
        rv = ("ALL_" if which == "ALL" else "UPDATED_") + age
        if rv not in allowed:
            raise unsupported(f"RETURNING {which} {age} * is not supported for this statement")
        return rv


def parse(text: str, params: list[Any] | None, *, allow_exists: bool = False) -> Statement:
    """The statement `text` with its `?` bound to `params` (wire AttributeValues, checked here)."""
    checked = [V.check(p) for p in params or []]
    try:
        st = _Parser(text, checked).statement(allow_exists=allow_exists)
    except RecursionError:
        raise malformed("The statement is nested too deeply") from None
    paths = list(st.projection or []) + [a[0] for acts in st.update.values() for a in acts]
    for i, a in enumerate(paths):
        for b in paths[i + 1:]:
            n = min(len(a), len(b))
            if a[:n] == b[:n]:
                raise invalid("Two document paths overlap with each other; must remove or rewrite one of these paths; "
                              f"path one: {path_text(a)}, path two: {path_text(b)}")
    return st
