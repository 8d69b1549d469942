"""S3 Select's SQL subset, sans-IO: a tokenizer and a recursive-descent parser into a small
tree (`Query`, `Item`, `Node`); select_eval.py evaluates it over records. Grammar (what AWS's S3 Select documents, less GROUP BY-free oddities):

    SELECT (* | expr [[AS] name], ...) FROM S3Object[[*]] [[AS] alias] [WHERE expr] [LIMIT n]

expr: literals (numbers, 'strings', TRUE, FALSE, NULL), paths (`s._1`, `_2`, `s.name`,
`s."Name"`, `s.a.b[0]`), `+ - * / %`, `||`, comparisons (`= != <> < <= > >=`), `AND OR NOT`,
`[NOT] LIKE pattern [ESCAPE c]`, `IS [NOT] NULL`, `[NOT] BETWEEN a AND b`, `[NOT] IN (...)`,
`CAST(expr AS type)`, the string functions LOWER UPPER TRIM CHAR_LENGTH SUBSTRING, COALESCE,
NULLIF, and the aggregates COUNT(*) COUNT SUM AVG MIN MAX (which make the answer one row).

Errors raise AwsError with S3 Select's codes (ParseUnexpectedToken, ExpressionTooLong...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from gureum.aws.errors import AwsError

MAX_EXPRESSION = 256 * 1024
_TOKEN = re.compile(r"""
    \s*(?:
      (?P<num>\d+\.\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|\d+(?:[eE][-+]?\d+)?)
    | (?P<str>'(?:[^']|'')*')
    | (?P<qid>"(?:[^"]|"")*")
    | (?P<id>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<op><>|!=|<=|>=|\|\||[-+*/%=<>(),.\[\]])
    )""", re.VERBOSE)
_AGGREGATES = ("COUNT", "SUM", "AVG", "MIN", "MAX")
_FUNCTIONS = ("LOWER", "UPPER", "TRIM", "CHAR_LENGTH", "CHARACTER_LENGTH", "SUBSTRING", "COALESCE", "NULLIF",
              "CAST", *_AGGREGATES)
_TYPES = {"INT": "int", "INTEGER": "int", "BIGINT": "int", "SMALLINT": "int", "FLOAT": "float", "REAL": "float",
          "DOUBLE": "float", "DECIMAL": "decimal", "NUMERIC": "decimal", "STRING": "str", "VARCHAR": "str",
          "CHAR": "str", "BOOL": "bool", "BOOLEAN": "bool", "TIMESTAMP": "str"}


def sql_error(code: str, message: str) -> AwsError:
    """An S3 Select error (its codes are in object_errors.py)."""
    return AwsError.modeled("s3", code, message)


@dataclass(frozen=True)
class Tok:
    kind: str  # num str qid id op end
    text: str
    pos: int


def tokenize(text: str) -> list[Tok]:
    if len(text) > MAX_EXPRESSION:
        raise sql_error("ExpressionTooLong", "The SQL expression is too long: The maximum byte-length for the SQL "
                     "expression is 256 KB.")
    out, pos = [], 0
    while True:
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            if text[pos:].strip():
                raise sql_error("ParseUnexpectedToken", f"Unexpected token found at position {pos}.")
            break
        kind = m.lastgroup or "op"
        out.append(Tok(kind, m.group(kind), m.start(kind)))
        pos = m.end()
    out.append(Tok("end", "", len(text)))
    return out


# -- the tree ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Node:
    op: str  # lit path unary binary call agg star like between in isnull cast
    args: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Item:
    expr: Node
    name: str | None  # the alias, else the path's last name, else None (then _N)


@dataclass(frozen=True)
class Query:
    items: tuple[Item, ...] | None  # None: SELECT *
    alias: str | None
    where: Node | None
    limit: int | None
    aggregate: bool
    wildcard_root: bool = False  # FROM S3Object[*]


class Parser:
    def __init__(self, text: str) -> None:
        self.toks = tokenize(text)
        self.i = 0

    @property
    def tok(self) -> Tok:
        return self.toks[self.i]

    def _kw(self, *words: str) -> bool:
        t = self.tok
        return t.kind == "id" and t.text.upper() in words

    def _op(self, *ops: str) -> bool:
        return self.tok.kind == "op" and self.tok.text in ops

    def _unexpected(self) -> AwsError:
        t = self.tok
        if t.kind == "end":
            return sql_error("ParseExpectedExpression", "Did not find the expected SQL expression at the end of the query.")
        return sql_error("ParseUnexpectedToken", f"Unexpected token found {t.text} at position {t.pos}.")

    def take_kw(self, word: str) -> None:
        if not self._kw(word):
            raise self._unexpected()
        self.i += 1

    def take_op(self, op: str) -> None:
        if not self._op(op):
            raise self._unexpected()
        self.i += 1

    def parse(self) -> Query:
        self.take_kw("SELECT")
        items: list[Item] | None
        if self._op("*"):
            self.i += 1
            items = None
        else:
            items = [self._item()]
            while self._op(","):
                self.i += 1
                items.append(self._item())
        self.take_kw("FROM")
        t = self.tok
        if not (t.kind == "id" and t.text.upper() == "S3OBJECT"):
            raise self._unexpected()
        self.i += 1
        wildcard = False
        if self._op("["):
            self.i += 1
            self.take_op("*")
            self.take_op("]")
            wildcard = True
        alias = None
        if self._kw("AS"):
            self.i += 1
        if self.tok.kind in ("id", "qid") and not self._kw("WHERE", "LIMIT"):
            alias = self._name(self.tok)
            self.i += 1
        where = None
        if self._kw("WHERE"):
            self.i += 1
            where = self.expr()
        limit = None
        if self._kw("LIMIT"):
            self.i += 1
            if self.tok.kind != "num" or not self.tok.text.isdigit():
                raise self._unexpected()
            limit = int(self.tok.text)
            self.i += 1
        if self._op(";"):
            self.i += 1
        if self.tok.kind != "end":
            raise self._unexpected()
        has_agg = items is not None and any(_has_aggregate(it.expr) for it in items)
        if has_agg and items is not None and not all(_has_aggregate(it.expr) or it.expr.op == "lit" for it in items):
            raise sql_error("UnsupportedSqlOperation", "Unsupported SQL operation: mixing aggregate and non-aggregate "
                         "expressions without GROUP BY")
        if where is not None and _has_aggregate(where):
            raise sql_error("UnsupportedSqlOperation", "Aggregate functions are not allowed in WHERE clauses")
        return Query(tuple(items) if items is not None else None, alias, where, limit, has_agg, wildcard)

    @staticmethod
    def _name(t: Tok) -> str:
        return t.text[1:-1].replace('""', '"') if t.kind == "qid" else t.text

    def _item(self) -> Item:
        e = self.expr()
        name = None
        if self._kw("AS"):
            self.i += 1
            if self.tok.kind not in ("id", "qid"):
                raise self._unexpected()
            name = self._name(self.tok)
            self.i += 1
        elif self.tok.kind in ("id", "qid") and not self._kw("FROM"):
            name = self._name(self.tok)
            self.i += 1
        return Item(e, name)

    # precedence climbing: OR < AND < NOT < comparison/LIKE/IS/IN/BETWEEN < || < + - < * / % < unary
    def expr(self) -> Node:
        left = self._and()
        while self._kw("OR"):
            self.i += 1
            left = Node("binary", ("OR", left, self._and()))
        return left

    def _and(self) -> Node:
        left = self._not()
        while self._kw("AND"):
            self.i += 1
            left = Node("binary", ("AND", left, self._not()))
        return left

    def _not(self) -> Node:
        if self._kw("NOT"):
            self.i += 1
            return Node("unary", ("NOT", self._not()))
        return self._compare()

    def _compare(self) -> Node:
        left = self._concat()
        while True:
            if self._op("=", "!=", "<>", "<", "<=", ">", ">="):
                op = self.tok.text
                self.i += 1
                left = Node("binary", ("!=" if op == "<>" else op, left, self._concat()))
                continue
            negate = False
            if self._kw("NOT") and self.toks[self.i + 1].kind == "id" and \
                    self.toks[self.i + 1].text.upper() in ("LIKE", "BETWEEN", "IN"):
                negate = True
                self.i += 1
            if self._kw("LIKE"):
                self.i += 1
                pattern = self._concat()
                escape = None
                if self._kw("ESCAPE"):
                    self.i += 1
                    escape = self._concat()
                left = Node("like", (left, pattern, escape, negate))
            elif self._kw("BETWEEN"):
                self.i += 1
                low = self._concat()
                self.take_kw("AND")
                left = Node("between", (left, low, self._concat(), negate))
            elif self._kw("IN"):
                self.i += 1
                self.take_op("(")
                options = [self.expr()]
                while self._op(","):
                    self.i += 1
                    options.append(self.expr())
                self.take_op(")")
                left = Node("in", (left, tuple(options), negate))
            elif self._kw("IS"):
                self.i += 1
                neg = False
                if self._kw("NOT"):
                    neg = True
                    self.i += 1
                if self._kw("NULL", "MISSING"):
                    self.i += 1
                else:
                    raise self._unexpected()
                left = Node("isnull", (left, neg))
            elif negate:
                raise self._unexpected()
            else:
                return left

    def _concat(self) -> Node:
        left = self._add()
        while self._op("||"):
            self.i += 1
            left = Node("binary", ("||", left, self._add()))
        return left

    def _add(self) -> Node:
        left = self._mul()
        while self._op("+", "-"):
            op = self.tok.text
            self.i += 1
            left = Node("binary", (op, left, self._mul()))
        return left

    def _mul(self) -> Node:
        left = self._unary()
        while self._op("*", "/", "%"):
            op = self.tok.text
            self.i += 1
            left = Node("binary", (op, left, self._unary()))
        return left

    def _unary(self) -> Node:
        if self._op("-", "+"):
            op = self.tok.text
            self.i += 1
            return Node("unary", (op, self._unary()))
        return self._primary()

    def _primary(self) -> Node:
        t = self.tok
        if t.kind == "num":
            self.i += 1
            return Node("lit", (int(t.text) if t.text.isdigit() else float(t.text),))
        if t.kind == "str":
            self.i += 1
            return Node("lit", (t.text[1:-1].replace("''", "'"),))
        if self._op("("):
            self.i += 1
            e = self.expr()
            self.take_op(")")
            return e
        if t.kind == "id" and t.text.upper() in ("TRUE", "FALSE"):
            self.i += 1
            return Node("lit", (t.text.upper() == "TRUE",))
        if t.kind == "id" and t.text.upper() in ("NULL", "MISSING"):
            self.i += 1
            return Node("lit", (None,))
        if t.kind == "id" and t.text.upper() in _FUNCTIONS and self.toks[self.i + 1].text == "(":
            return self._call(t.text.upper())
        if t.kind in ("id", "qid"):
            return self._path()
        raise self._unexpected()

    def _path(self) -> Node:
        steps: list[tuple[str, Any, bool]] = []
        t = self.tok
        steps.append(("name", self._name(t), t.kind == "qid"))
        self.i += 1
        while True:
            if self._op("."):
                self.i += 1
                t = self.tok
                if self._op("*"):
                    raise sql_error("ParseInvalidContextForWildcardInSelectList",
                                 "Invalid use of * in SELECT list.")
                if t.kind not in ("id", "qid"):
                    raise self._unexpected()
                steps.append(("name", self._name(t), t.kind == "qid"))
                self.i += 1
            elif self._op("["):
                self.i += 1
                t = self.tok
                if t.kind == "num" and t.text.isdigit():
                    steps.append(("index", int(t.text), False))
                elif t.kind == "str":
                    steps.append(("name", t.text[1:-1].replace("''", "'"), True))
                else:
                    raise self._unexpected()
                self.i += 1
                self.take_op("]")
            else:
                return Node("path", tuple(steps))

    def _call(self, name: str) -> Node:
        self.i += 2  # the name and "("
        if name == "CAST":
            e = self.expr()
            self.take_kw("AS")
            t = self.tok
            if t.kind != "id" or t.text.upper() not in _TYPES:
                raise sql_error("InvalidDataType", f"The SQL expression contains an invalid data type {t.text}.")
            self.i += 1
            self.take_op(")")
            return Node("cast", (e, _TYPES[t.text.upper()]))
        if name == "COUNT" and self._op("*"):
            self.i += 1
            self.take_op(")")
            return Node("agg", ("COUNT", None))
        args: list[Node] = []
        if name == "SUBSTRING":
            args.append(self.expr())
            if self._kw("FROM"):
                self.i += 1
                args.append(self.expr())
                if self._kw("FOR"):
                    self.i += 1
                    args.append(self.expr())
                self.take_op(")")
                return Node("call", (name, tuple(args)))
        elif name == "TRIM":
            args.append(self.expr())
            self.take_op(")")
            return Node("call", (name, tuple(args)))
        elif not self._op(")"):
            args.append(self.expr())
        while self._op(","):
            self.i += 1
            args.append(self.expr())
        self.take_op(")")
        if name in _AGGREGATES:
            if len(args) != 1 or _has_aggregate(args[0]):
                raise sql_error("EvaluatorInvalidArguments", f"Incorrect number of arguments to the function call {name}.")
            return Node("agg", (name, args[0]))
        return Node("call", (name, tuple(args)))


def _has_aggregate(n: Node) -> bool:
    if n.op == "agg":
        return True
    return any(isinstance(a, Node) and _has_aggregate(a) or isinstance(a, tuple) and any(
        isinstance(x, Node) and _has_aggregate(x) for x in a) for a in n.args)


def parse(text: str) -> Query:
    return Parser(text).parse()
