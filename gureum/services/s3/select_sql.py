"""S3 Select's SQL subset, sans-IO: a tokenizer, a recursive-descent parser and an evaluator
over records. Grammar (what AWS's S3 Select documents, less GROUP BY-free oddities):

    SELECT (* | expr [[AS] name], ...) FROM S3Object[[*]] [[AS] alias] [WHERE expr] [LIMIT n]

expr: literals (numbers, 'strings', TRUE, FALSE, NULL), paths (`s._1`, `_2`, `s.name`,
`s."Name"`, `s.a.b[0]`), `+ - * / %`, `||`, comparisons (`= != <> < <= > >=`), `AND OR NOT`,
`[NOT] LIKE pattern [ESCAPE c]`, `IS [NOT] NULL`, `[NOT] BETWEEN a AND b`, `[NOT] IN (...)`,
`CAST(expr AS type)`, the string functions LOWER UPPER TRIM CHAR_LENGTH SUBSTRING, COALESCE,
NULLIF, and the aggregates COUNT(*) COUNT SUM AVG MIN MAX (which make the answer one row).

A record is a `Record`: CSV fields by position and, with a header, by name; or a JSON value.
Errors raise AwsError with S3 Select's codes (ParseUnexpectedToken, InvalidColumnIndex...).
"""

from __future__ import annotations

import decimal
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
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


def _error(code: str, message: str) -> AwsError:
    return AwsError.modeled("s3", code, message)


@dataclass(frozen=True)
class Tok:
    kind: str  # num str qid id op end
    text: str
    pos: int


def tokenize(text: str) -> list[Tok]:
    if len(text) > MAX_EXPRESSION:
        raise _error("ExpressionTooLong", "The SQL expression is too long: The maximum byte-length for the SQL "
                     "expression is 256 KB.")
    out, pos = [], 0
    while True:
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            if text[pos:].strip():
                raise _error("ParseUnexpectedToken", f"Unexpected token found at position {pos}.")
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
            return _error("ParseExpectedExpression", "Did not find the expected SQL expression at the end of the query.")
        return _error("ParseUnexpectedToken", f"Unexpected token found {t.text} at position {t.pos}.")

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
            raise _error("UnsupportedSqlOperation", "Unsupported SQL operation: mixing aggregate and non-aggregate "
                         "expressions without GROUP BY")
        if where is not None and _has_aggregate(where):
            raise _error("UnsupportedSqlOperation", "Aggregate functions are not allowed in WHERE clauses")
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
                    raise _error("ParseInvalidContextForWildcardInSelectList",
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
                raise _error("InvalidDataType", f"The SQL expression contains an invalid data type {t.text}.")
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
                raise _error("EvaluatorInvalidArguments", f"Incorrect number of arguments to the function call {name}.")
            return Node("agg", (name, args[0]))
        return Node("call", (name, tuple(args)))


def _has_aggregate(n: Node) -> bool:
    if n.op == "agg":
        return True
    return any(isinstance(a, Node) and _has_aggregate(a) or isinstance(a, tuple) and any(
        isinstance(x, Node) and _has_aggregate(x) for x in a) for a in n.args)


def parse(text: str) -> Query:
    return Parser(text).parse()


# -- records and evaluation -------------------------------------------------------------------

@dataclass
class Record:
    """One input record: CSV `fields` (with `header` names when the file has them), or `doc`
    (a JSON value)."""
    fields: list[str] | None = None
    header: dict[str, int] | None = None
    doc: Any = None
    names: list[str] = field(default_factory=list)


_MISSING = object()


def _field(rec: Record, name: str, quoted: bool) -> Any:
    if rec.fields is not None:
        if re.fullmatch(r"_\d+", name):
            i = int(name[1:])
            if i < 1:
                raise _error("InvalidColumnIndex", "The column index at line 1, column 1 is invalid.")
            return rec.fields[i - 1] if i <= len(rec.fields) else None
        if rec.header is not None:
            idx = rec.header.get(name) if quoted else rec.header.get(name.lower())
            if idx is not None:
                return rec.fields[idx] if idx < len(rec.fields) else None
        return _MISSING
    doc = rec.doc
    if isinstance(doc, dict):
        if name in doc:
            return doc[name]
        if not quoted:
            for k, v in doc.items():
                if k.lower() == name.lower():
                    return v
    return _MISSING


def _resolve(rec: Record, steps: tuple[tuple[str, Any, bool], ...], alias: str | None) -> Any:
    first_kind, first, _ = steps[0]
    rest = steps
    if first_kind == "name" and (
            (alias is not None and first.lower() == alias.lower()) or first.upper() == "S3OBJECT"):
        rest = steps[1:]
        if not rest:
            return rec.doc if rec.fields is None else _MISSING
    kind, name, quoted = rest[0]
    value: Any = _field(rec, name, quoted) if kind == "name" else _MISSING
    if kind == "index" and rec.fields is None and isinstance(rec.doc, list) and name < len(rec.doc):
        value = rec.doc[name]
    for kind, name, quoted in rest[1:]:
        if value is _MISSING or value is None:
            return _MISSING
        if kind == "index":
            value = value[name] if isinstance(value, list) and name < len(value) else _MISSING
        elif isinstance(value, dict):
            value = value.get(name, _MISSING) if quoted or name in value else next(
                (v for k, v in value.items() if k.lower() == name.lower()), _MISSING)
        else:
            value = _MISSING
    return value


def _number(v: Any) -> Any:
    """A value as a number for arithmetic and comparison (CSV fields are text)."""
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float, decimal.Decimal)):
        return v
    if isinstance(v, str):
        s = v.strip()
        try:
            return int(s)
        except ValueError:
            try:
                return float(s)
            except ValueError:
                return v
    return v


def _cast(v: Any, kind: str) -> Any:
    if v is None or v is _MISSING:
        return None
    try:
        if kind == "int":
            if isinstance(v, str):
                s = v.strip()
                return int(s) if re.fullmatch(r"[-+]?\d+", s) else int(float(s))
            return int(v)
        if kind == "float":
            return float(v.strip() if isinstance(v, str) else v)
        if kind == "decimal":
            return decimal.Decimal(v.strip() if isinstance(v, str) else str(v))
        if kind == "bool":
            if isinstance(v, str):
                if v.strip().lower() in ("true", "false"):
                    return v.strip().lower() == "true"
                raise ValueError(v)
            return bool(v)
        return format_value(v)
    except (ValueError, TypeError, ArithmeticError):
        raise _error("CastFailed", f"Attempt to convert from one data type to another using CAST failed in the SQL "
                     f"expression: {v!r} to {kind.upper()}.") from None


def _compare(op: str, a: Any, b: Any) -> Any:
    if a is None or b is None or a is _MISSING or b is _MISSING:
        return None
    if isinstance(a, str) != isinstance(b, str):
        a, b = _number(a), _number(b)
        if isinstance(a, str) != isinstance(b, str):
            a, b = format_value(a), format_value(b)
    try:
        if op == "=":
            return a == b
        if op == "!=":
            return a != b
        if op == "<":
            return a < b
        if op == "<=":
            return a <= b
        if op == ">":
            return a > b
        return a >= b
    except TypeError:
        raise _error("InvalidDataType", "The SQL expression contains an invalid comparison between "
                     f"{type(a).__name__} and {type(b).__name__}.") from None


def _arith(op: str, a: Any, b: Any) -> Any:
    if a is None or b is None or a is _MISSING or b is _MISSING:
        return None
    a, b = _number(a), _number(b)
    if isinstance(a, str) or isinstance(b, str):
        raise _error("InvalidDataType", f"The SQL expression contains an invalid operand for {op}.")
    if isinstance(a, decimal.Decimal) or isinstance(b, decimal.Decimal):
        a, b = decimal.Decimal(str(a)), decimal.Decimal(str(b))
    try:
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            if isinstance(a, int) and isinstance(b, int):
                q = abs(a) // abs(b)
                return q if (a >= 0) == (b >= 0) else -q
            return a / b
        return a % b
    except (ZeroDivisionError, decimal.DivisionByZero, decimal.InvalidOperation):
        raise _error("EvaluatorInvalidArguments", "Division by zero in the SQL expression.") from None


def _like(value: Any, pattern: Any, escape: Any) -> Any:
    if value is None or pattern is None or value is _MISSING:
        return None
    value, pattern = format_value(value), format_value(pattern)
    esc = format_value(escape) if escape is not None else None
    if esc is not None and len(esc) != 1:
        raise _error("EvaluatorInvalidArguments", "The ESCAPE clause of LIKE takes one character.")
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if esc is not None and c == esc and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "%" else "." if c == "_" else re.escape(c))
        i += 1
    return re.fullmatch("".join(out), value, re.DOTALL) is not None


def _truth(v: Any) -> Any:
    if v is None or v is _MISSING:
        return None
    if isinstance(v, str):
        return _cast(v, "bool")
    return bool(v)


class Evaluator:
    def __init__(self, query: Query) -> None:
        self.q = query

    def value(self, n: Node, rec: Record) -> Any:
        op, a = n.op, n.args
        if op == "lit":
            return a[0]
        if op == "path":
            return _resolve(rec, a, self.q.alias)
        if op == "unary":
            v = self.value(a[1], rec)
            if a[0] == "NOT":
                t = _truth(v)
                return None if t is None else not t
            return _arith("-", 0, v) if a[0] == "-" else _arith("+", 0, v)
        if op == "binary":
            kind = a[0]
            if kind == "AND":
                left = _truth(self.value(a[1], rec))
                if left is False:
                    return False
                right = _truth(self.value(a[2], rec))
                return False if right is False else (None if left is None or right is None else True)
            if kind == "OR":
                left = _truth(self.value(a[1], rec))
                if left is True:
                    return True
                right = _truth(self.value(a[2], rec))
                return True if right is True else (None if left is None or right is None else False)
            x, y = self.value(a[1], rec), self.value(a[2], rec)
            if kind == "||":
                return None if x is None or y is None else format_value(x) + format_value(y)
            if kind in ("=", "!=", "<", "<=", ">", ">="):
                return _compare(kind, x, y)
            return _arith(kind, x, y)
        if op == "like":
            r = _like(self.value(a[0], rec), self.value(a[1], rec), None if a[2] is None else self.value(a[2], rec))
            return None if r is None else (not r if a[3] else r)
        if op == "between":
            v = self.value(a[0], rec)
            lo, hi = _compare(">=", v, self.value(a[1], rec)), _compare("<=", v, self.value(a[2], rec))
            r = None if lo is None or hi is None else lo and hi
            return None if r is None else (not r if a[3] else r)
        if op == "in":
            v = self.value(a[0], rec)
            found = any(_compare("=", v, self.value(o, rec)) for o in a[1])
            return not found if a[2] else found
        if op == "isnull":
            v = self.value(a[0], rec)
            r = v is None or v is _MISSING
            return not r if a[1] else r
        if op == "cast":
            return _cast(self.value(a[0], rec), a[1])
        if op == "call":
            return self._call(a[0], [self.value(x, rec) for x in a[1]])
        raise _error("UnsupportedSqlOperation", f"Unsupported SQL operation {op}.")

    @staticmethod
    def _call(name: str, args: list[Any]) -> Any:
        def need(k: int) -> None:
            if len(args) != k:
                raise _error("EvaluatorInvalidArguments", f"Incorrect number of arguments to the function call {name}.")
        if name == "COALESCE":
            return next((v for v in args if v is not None and v is not _MISSING), None)
        if name == "NULLIF":
            need(2)
            return None if _compare("=", args[0], args[1]) else args[0]
        if name in ("LOWER", "UPPER", "TRIM", "CHAR_LENGTH", "CHARACTER_LENGTH"):
            need(1)
            v = args[0]
            if v is None or v is _MISSING:
                return None
            s = format_value(v)
            return {"LOWER": s.lower, "UPPER": s.upper, "TRIM": s.strip}.get(name, lambda: len(s))()
        if name == "SUBSTRING":
            if len(args) not in (2, 3):
                need(3)
            if any(v is None for v in args):
                return None
            s, start = format_value(args[0]), int(_number(args[1]))
            end = len(s) + 1 if len(args) == 2 else start + int(_number(args[2]))
            return s[max(start, 1) - 1:max(end - 1, 0)]
        raise _error("UnsupportedSqlOperation", f"Unsupported function {name}.")

    def matches(self, rec: Record) -> bool:
        return self.q.where is None or _truth(self.value(self.q.where, rec)) is True


class Aggregator:
    """The state of one aggregate over the records that pass WHERE."""

    def __init__(self, fn: str) -> None:
        self.fn, self.count, self.total, self.best = fn, 0, None, None

    def add(self, v: Any) -> None:
        if self.fn == "COUNT":
            if v is not _MISSING and v is not None:
                self.count += 1
            return
        if v is None or v is _MISSING:
            return
        n = _number(v)
        if self.fn in ("SUM", "AVG"):
            if isinstance(n, str):
                raise _error("InvalidDataType", f"The SQL expression contains an invalid operand for {self.fn}.")
            self.total = n if self.total is None else _arith("+", self.total, n)
            self.count += 1
        elif self.best is None or _compare("<" if self.fn == "MIN" else ">", n, self.best):
            self.best = n

    def result(self) -> Any:
        if self.fn == "COUNT":
            return self.count
        if self.fn == "SUM":
            return self.total
        if self.fn == "AVG":
            return None if not self.count else _arith("/", decimal.Decimal(str(self.total)), decimal.Decimal(self.count))
        return self.best


def _aggregates(n: Node, out: list[Node]) -> list[Node]:
    if n.op == "agg":
        out.append(n)
    for a in n.args:
        if isinstance(a, Node):
            _aggregates(a, out)
        elif isinstance(a, tuple):
            for x in a:
                if isinstance(x, Node):
                    _aggregates(x, out)
    return out


def column_name(item: Item, position: int) -> str:
    if item.name:
        return item.name
    if item.expr.op == "path":
        return str(item.expr.args[-1][1]) if item.expr.args[-1][0] == "name" else f"_{position}"
    return f"_{position}"


Row = list[tuple[str, Any]]


def run(query: Query, records: Iterable[Record]) -> Iterator[Row]:
    """The rows the query answers, as (column name, value) pairs, MISSING values left out."""
    ev = Evaluator(query)
    if query.aggregate:
        assert query.items is not None
        aggs: dict[int, Aggregator] = {}
        nodes = [a for it in query.items for a in _aggregates(it.expr, [])]
        for node in nodes:
            aggs[id(node)] = Aggregator(node.args[0])
        for rec in records:
            if not ev.matches(rec):
                continue
            for node in nodes:
                aggs[id(node)].add(1 if node.args[1] is None else ev.value(node.args[1], rec))
        results = {k: a.result() for k, a in aggs.items()}
        if query.limit != 0:
            yield [(column_name(it, i), _with_aggregates(ev, it.expr, results))
                   for i, it in enumerate(query.items, start=1)]
        return
    emitted = 0
    for rec in records:
        if query.limit is not None and emitted >= query.limit:
            return
        if not ev.matches(rec):
            continue
        emitted += 1
        if query.items is None:
            yield _star(rec)
        else:
            row = []
            for i, it in enumerate(query.items, start=1):
                v = ev.value(it.expr, rec)
                if v is not _MISSING:
                    row.append((column_name(it, i), v))
            yield row


def _with_aggregates(ev: Evaluator, n: Node, results: dict[int, Any]) -> Any:
    if n.op == "agg":
        return results[id(n)]
    if n.op == "lit":
        return n.args[0]
    if n.op == "binary" and n.args[0] in ("+", "-", "*", "/", "%"):
        return _arith(n.args[0], _with_aggregates(ev, n.args[1], results), _with_aggregates(ev, n.args[2], results))
    if n.op == "cast":
        return _cast(_with_aggregates(ev, n.args[0], results), n.args[1])
    raise _error("UnsupportedSqlOperation", "Unsupported SQL operation over aggregates.")


def _star(rec: Record) -> Row:
    if rec.fields is not None:
        names = rec.names or [f"_{i}" for i in range(1, len(rec.fields) + 1)]
        return list(zip(names, rec.fields, strict=False)) + [
            (f"_{i}", v) for i, v in enumerate(rec.fields[len(names):], start=len(names) + 1)]
    if isinstance(rec.doc, dict):
        return list(rec.doc.items())
    return [("_1", rec.doc)]


def format_value(v: Any) -> str:
    """A value as CSV output and string functions see it."""
    if v is None or v is _MISSING:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v) if v != int(v) or abs(v) >= 1e16 else f"{v:.1f}"
    if isinstance(v, decimal.Decimal):
        return format(v.normalize(), "f") if v == v.to_integral_value() else str(v)
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(",", ":"))
    return str(v)

