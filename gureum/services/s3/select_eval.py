"""S3 Select's evaluator, sans-IO: a parsed query (select_sql.py) run over records, with SQL's
three-valued logic (NULL and MISSING), S3 Select's implicit number reading of CSV text in
comparisons and arithmetic, CAST, LIKE, the string functions and the aggregates. A record is a
`Record`: CSV fields by position and, with a header, by name; or a JSON value. The answer is
rows of (column name, value); `format_value` is how a value prints in CSV output."""

from __future__ import annotations

import decimal
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from gureum.services.s3.select_sql import Item, Node, Query, sql_error


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
                raise sql_error("InvalidColumnIndex", "The column index at line 1, column 1 is invalid.")
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
        raise sql_error("CastFailed", f"Attempt to convert from one data type to another using CAST failed in the SQL "
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
        raise sql_error("InvalidDataType", "The SQL expression contains an invalid comparison between "
                     f"{type(a).__name__} and {type(b).__name__}.") from None


def _arith(op: str, a: Any, b: Any) -> Any:
    if a is None or b is None or a is _MISSING or b is _MISSING:
        return None
    a, b = _number(a), _number(b)
    if isinstance(a, str) or isinstance(b, str):
        raise sql_error("InvalidDataType", f"The SQL expression contains an invalid operand for {op}.")
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
        raise sql_error("EvaluatorInvalidArguments", "Division by zero in the SQL expression.") from None


def _like(value: Any, pattern: Any, escape: Any) -> Any:
    if value is None or pattern is None or value is _MISSING:
        return None
    value, pattern = format_value(value), format_value(pattern)
    esc = format_value(escape) if escape is not None else None
    if esc is not None and len(esc) != 1:
        raise sql_error("EvaluatorInvalidArguments", "The ESCAPE clause of LIKE takes one character.")
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
        raise sql_error("UnsupportedSqlOperation", f"Unsupported SQL operation {op}.")

    @staticmethod
    def _call(name: str, args: list[Any]) -> Any:
        def need(k: int) -> None:
            if len(args) != k:
                raise sql_error("EvaluatorInvalidArguments", f"Incorrect number of arguments to the function call {name}.")
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
        raise sql_error("UnsupportedSqlOperation", f"Unsupported function {name}.")

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
                raise sql_error("InvalidDataType", f"The SQL expression contains an invalid operand for {self.fn}.")
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
    raise sql_error("UnsupportedSqlOperation", "Unsupported SQL operation over aggregates.")


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

