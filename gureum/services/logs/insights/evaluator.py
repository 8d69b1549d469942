"""Runs a parsed Logs Insights query over log records (sans-IO).

A record is a dict of field name -> value: the system fields `@timestamp` (a `Stamp`, epoch
milliseconds), `@message`, `@logStream`, `@log` ("<account>:<group>"), `@ingestionTime`,
`@ptr`, and the fields discovered in a JSON message, flattened with dots (`a.b`, `list.0`).
Commands apply in order: `fields` and `parse` add fields, `filter` drops records, `stats`
turns records into one row per group, `sort`/`limit`/`dedup` reorder and cut, `display`
chooses the columns. Without a `sort`, records come newest first (as AWS returns them).
A row is shown as the list of (field, text) pairs AWS returns, `@ptr` last on event rows;
fields with no value are left out of a row, as AWS does.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import json
import math
import re
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from gureum.services.logs.insights.parser import (
    AGGREGATES,
    Binary,
    Call,
    Dedup,
    Display,
    Duration,
    Expr,
    Field,
    Fields,
    Filter,
    Limit,
    ListLit,
    Lit,
    Parse,
    Query,
    Regex,
    Sort,
    SortKey,
    Stats,
    Unary,
)

Record = dict[str, Any]
DEFAULT_COLUMNS = ("@timestamp", "@message")


class Stamp(int):
    """Epoch milliseconds shown as AWS shows a timestamp: `2024-05-01 12:00:00.000`."""

    def text(self) -> str:
        t = dt.datetime.fromtimestamp(int(self) / 1000, dt.timezone.utc)
        return t.strftime("%Y-%m-%d %H:%M:%S.") + f"{int(self) % 1000:03d}"


def flatten(doc: Any, prefix: str = "", out: dict[str, Any] | None = None, depth: int = 0) -> dict[str, Any]:
    """A JSON document's leaves as `a.b.0.c` -> value (AWS's discovered fields)."""
    out = {} if out is None else out
    if depth > 20 or len(out) > 1000:
        return out
    if isinstance(doc, dict):
        for k, v in doc.items():
            flatten(v, f"{prefix}{k}" if not prefix else f"{prefix}.{k}", out, depth + 1)
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            flatten(v, f"{prefix}.{i}" if prefix else str(i), out, depth + 1)
    elif prefix:
        out[prefix] = doc
    return out


def discover(message: str) -> dict[str, Any]:
    """The fields of a message that is a JSON object (nothing for other messages)."""
    text = message.strip()
    if not (text.startswith("{") and text.endswith("}")):
        return {}
    try:
        doc = json.loads(text)
    except ValueError:
        return {}
    return flatten(doc) if isinstance(doc, dict) else {}


@dataclass
class Result:
    rows: list[list[tuple[str, str]]]
    matched: int  # records that passed the filters (what AWS reports as recordsMatched)
    columns: list[str] = field(default_factory=list)


def run(query: Query, records: Iterable[Record], limit: int | None = None) -> Result:
    rows: list[Record] = list(records)
    columns: list[str] | None = None  # None: the default columns (and what parse added)
    parsed: list[str] = []
    aggregated = False
    sorted_ = False
    cut = limit or 10000
    matched_fixed: int | None = None
    for cmd in query.commands:
        if isinstance(cmd, Fields):
            for r in rows:
                for item in cmd.items:
                    if not (isinstance(item.expr, Field) and item.expr.name == item.name):
                        r[item.name] = value(item.expr, r)
            columns = (columns or []) + [i.name for i in cmd.items if i.name not in (columns or [])]
        elif isinstance(cmd, Display):
            columns = list(cmd.names)
        elif isinstance(cmd, Filter):
            rows = [r for r in rows if truth(value(cmd.expr, r))]
        elif isinstance(cmd, Parse):
            extract = _parser_of(cmd)
            for r in rows:
                src = value(cmd.source, r)
                if src is not None:
                    r.update(extract(text(src)))
            parsed += [n for n in cmd.names if n not in parsed]
        elif isinstance(cmd, Stats):
            if matched_fixed is None:
                matched_fixed = len(rows)
            rows = _stats(cmd, rows)
            columns = [i.name for i in cmd.by] + [i.name for i in cmd.aggregates]
            aggregated = True
        elif isinstance(cmd, Sort):
            for key in reversed(cmd.keys):
                rows.sort(key=functools.cmp_to_key(functools.partial(_compare_rows, key)))
            sorted_ = True
        elif isinstance(cmd, Limit):
            cut = min(cut, cmd.count)
            rows = _default_order(rows, aggregated, sorted_)
            sorted_ = True
            rows = rows[:cmd.count]
        elif isinstance(cmd, Dedup):
            rows = _default_order(rows, aggregated, sorted_)
            sorted_ = True
            seen: set[tuple[str, ...]] = set()
            kept = []
            for r in rows:
                k = tuple(text(r.get(n)) if r.get(n) is not None else "\x00" for n in cmd.names)
                if any(r.get(n) is None for n in cmd.names):
                    kept.append(r)  # AWS keeps records where a dedup field is missing
                elif k not in seen:
                    seen.add(k)
                    kept.append(r)
            rows = kept
    matched = matched_fixed if matched_fixed is not None else len(rows)
    rows = _default_order(rows, aggregated, sorted_)[:cut]
    cols = columns if columns is not None else [*DEFAULT_COLUMNS, *parsed]
    out: list[list[tuple[str, str]]] = []
    for r in rows:
        line = [(c, text(r[c])) for c in cols if r.get(c) is not None and c != "@ptr"]
        if not aggregated and r.get("@ptr") is not None:
            line.append(("@ptr", str(r["@ptr"])))
        out.append(line)
    return Result(out, matched, cols)


def _compare_rows(key: SortKey, a: Record, b: Record) -> int:
    """`sort`'s order: a missing value last whichever the direction, the rest by `natural`."""
    va, vb = value(key.expr, a), value(key.expr, b)
    if va is None or vb is None:
        return (va is None) - (vb is None)
    c = natural(va, vb)
    return -c if key.descending else c


_CHUNK = re.compile(r"\d+|\D+")


def natural(a: Any, b: Any) -> int:
    """AWS's ascending order for `sort`: every non-number value before every number value;
    numbers by value; other values chunk by chunk, runs of digits by length then value,
    anything else (and a digit run against a non-digit run) by Unicode."""
    na = number(a) if not isinstance(a, str) or _NUMERIC.fullmatch(a.strip()) else None
    nb = number(b) if not isinstance(b, str) or _NUMERIC.fullmatch(b.strip()) else None
    if na is not None or nb is not None:
        if na is None:
            return -1
        if nb is None:
            return 1
        return (na > nb) - (na < nb)
    ca: list[str] = _CHUNK.findall(text(a))
    cb: list[str] = _CHUNK.findall(text(b))
    for x, y in zip(ca, cb, strict=False):
        if x == y:
            continue
        if x[0].isdigit() and y[0].isdigit():
            kx, ky = (len(x), int(x)), (len(y), int(y))
            return (kx > ky) - (kx < ky)
        return (x > y) - (x < y)
    return (len(ca) > len(cb)) - (len(ca) < len(cb))


_NUMERIC = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _default_order(rows: list[Record], aggregated: bool, sorted_: bool) -> list[Record]:
    if sorted_ or aggregated:
        return rows
    return sorted(rows, key=lambda r: int(r.get("@timestamp") or 0), reverse=True)


def _sort_key(v: Any, descending: bool) -> tuple[int, Any]:
    """A plain key for ordering stats groups (missing last): numbers, then text."""
    if v is None:
        return (-1, 0) if descending else (3, 0)
    n = number(v)
    if n is not None:
        return (1, n)
    return (2, text(v))


# --- values -------------------------------------------------------------------------------------


def text(v: Any) -> str:
    if isinstance(v, Stamp):
        return v.text()
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isfinite(v) and v == int(v) and abs(v) < 1e16:
            return str(int(v))
        return repr(v)
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(",", ":"))
    return "" if v is None else str(v)


def number(v: Any) -> float | None:
    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v.strip())
        except ValueError:
            return None
    return None


def truth(v: Any) -> bool:
    if v is None:
        return False
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return v != 0
    return bool(v != "")


def _regex(r: Regex) -> re.Pattern[str]:
    flags = (re.I if "i" in r.flags else 0) | (re.M if "m" in r.flags else 0) | (re.S if "s" in r.flags else 0)
    return _compile(r.pattern, flags)


_RX_CACHE: dict[tuple[str, int], re.Pattern[str]] = {}


def _compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    key = (pattern, flags)
    rx = _RX_CACHE.get(key)
    if rx is None:
        rx = re.compile(re.sub(r"\(\?<([A-Za-z_]\w*)>", r"(?P<\1>", pattern), flags)
        if len(_RX_CACHE) < 256:
            _RX_CACHE[key] = rx
    return rx


def _eq(a: Any, b: Any) -> bool:
    na, nb = number(a), number(b)
    if na is not None and nb is not None and (not isinstance(a, str) or not isinstance(b, str)):
        return na == nb
    return text(a) == text(b)


def _cmp(a: Any, b: Any) -> int:
    na, nb = number(a), number(b)
    if na is not None and nb is not None:
        return (na > nb) - (na < nb)
    ta, tb = text(a), text(b)
    return (ta > tb) - (ta < tb)


def _like(v: Any, pattern: Expr, r: Record) -> bool:
    if v is None:
        return False
    if isinstance(pattern, Regex):
        return _regex(pattern).search(text(v)) is not None
    p = value(pattern, r)
    return p is not None and text(p) in text(v)


def value(e: Expr, r: Record) -> Any:
    if isinstance(e, Field):
        return r.get(e.name)
    if isinstance(e, Lit):
        return e.value
    if isinstance(e, Duration):
        return e.ms
    if isinstance(e, Regex):
        return e.pattern
    if isinstance(e, ListLit):
        return [value(i, r) for i in e.items]
    if isinstance(e, Unary):
        v = value(e.operand, r)
        if e.op == "not":
            return not truth(v)
        n = number(v)
        return None if n is None else -n
    if isinstance(e, Binary):
        return _binary(e, r)
    if isinstance(e, Call):
        if e.name in AGGREGATES:
            return r.get(_agg_name(e))  # after stats, an aggregate names its column
        return _call(e, r)
    raise TypeError(e)


def _binary(e: Binary, r: Record) -> Any:
    op = e.op
    if op == "and":
        return truth(value(e.left, r)) and truth(value(e.right, r))
    if op == "or":
        return truth(value(e.left, r)) or truth(value(e.right, r))
    left = value(e.left, r)
    if op in ("like", "notlike"):
        hit = _like(left, e.right, r)
        return hit if op == "like" else (left is not None and not hit)
    if op == "=~":
        if left is None:
            return False
        if isinstance(e.right, Regex):
            return _regex(e.right).search(text(left)) is not None
        right = value(e.right, r)
        return right is not None and _compile(text(right)).search(text(left)) is not None
    if op in ("in", "notin"):
        items = value(e.right, r)
        if left is None:
            return False
        found = any(_eq(left, i) for i in (items if isinstance(items, list) else [items]) if i is not None)
        return found if op == "in" else not found
    if isinstance(e.right, Regex) and op in ("=", "!="):
        hit = left is not None and _regex(e.right).search(text(left)) is not None
        return hit if op == "=" else (left is not None and not hit)
    right = value(e.right, r)
    if op in ("=", "!=", "<", ">", "<=", ">="):
        if left is None or right is None:
            return False
        if op == "=":
            return _eq(left, right)
        if op == "!=":
            return not _eq(left, right)
        c = _cmp(left, right)
        return {"<": c < 0, ">": c > 0, "<=": c <= 0, ">=": c >= 0}[op]
    a, b = number(left), number(right)
    if a is None or b is None:
        return None
    try:
        if op == "+":
            return _num(a + b)
        if op == "-":
            return _num(a - b)
        if op == "*":
            return _num(a * b)
        if op == "/":
            return _num(a / b)
        if op == "%":
            return _num(a % b)
        if op == "^":
            return _num(a ** b)
    except (ZeroDivisionError, OverflowError, ValueError):
        return None
    return None


def _num(x: float) -> float | int:
    return int(x) if math.isfinite(x) and x == int(x) and abs(x) < 1e16 else x


def _call(e: Call, r: Record) -> Any:
    name = e.name
    args = [value(a, r) for a in e.args]

    def s(i: int) -> str | None:
        return None if i >= len(args) or args[i] is None else text(args[i])

    if name == "ispresent":
        return bool(args) and args[0] is not None
    if name == "isempty":
        return not args or args[0] is None or text(args[0]) == ""
    if name == "isblank":
        return not args or args[0] is None or text(args[0]).strip() == ""
    if name == "coalesce":
        return next((a for a in args if a is not None), None)
    if name == "bin":
        period = args[0] if args else None
        ts = r.get("@timestamp")
        if not isinstance(period, int) or period <= 0 or ts is None:
            return None
        return Stamp(int(ts) - int(ts) % period)
    if name in ("datefloor", "dateceil"):
        ts, period = (args + [None, None])[:2]
        if not isinstance(period, int) or period <= 0 or number(ts) is None:
            return None
        t = int(number(ts) or 0)
        floor = t - t % period
        return Stamp(floor if name == "datefloor" or floor == t else floor + period)
    if name == "frommillis":
        n = number(args[0]) if args else None
        return None if n is None else Stamp(int(n))
    if name == "tomillis":
        n = number(args[0]) if args else None
        return None if n is None else int(n)
    if name in ("greatest", "least"):
        nums = [a for a in args if a is not None]
        if not nums:
            return None
        pick = max if name == "greatest" else min
        return pick(nums, key=lambda a: number(a) or 0.0)
    if name in ("abs", "ceil", "floor", "sqrt", "log", "round"):
        n = number(args[0]) if args else None
        if n is None:
            return None
        try:
            if name == "abs":
                return _num(abs(n))
            if name == "ceil":
                return math.ceil(n)
            if name == "floor":
                return math.floor(n)
            if name == "sqrt":
                return _num(math.sqrt(n))
            if name == "round":
                return _num(round(n, int(number(args[1]) or 0) if len(args) > 1 else 0))
            return _num(math.log(n))
        except ValueError:
            return None
    first = s(0)
    if name == "concat":
        return "".join(text(a) for a in args if a is not None)
    if first is None:
        return None
    if name == "strlen":
        return len(first)
    if name == "tolower":
        return first.lower()
    if name == "toupper":
        return first.upper()
    if name == "trim":
        return first.strip(s(1)) if len(args) > 1 else first.strip()
    if name == "ltrim":
        return first.lstrip(s(1)) if len(args) > 1 else first.lstrip()
    if name == "rtrim":
        return first.rstrip(s(1)) if len(args) > 1 else first.rstrip()
    if name == "substr":
        start = int(number(args[1]) or 0) if len(args) > 1 else 0
        if len(args) > 2:
            return first[start:start + int(number(args[2]) or 0)]
        return first[start:]
    if name == "replace":
        return first.replace(s(1) or "", s(2) or "") if len(args) > 2 else first
    if name == "strcontains":
        return int((s(1) or "") in first)
    if name in ("isvalidip", "isvalidipv4", "isvalidipv6"):
        try:
            ip = ipaddress.ip_address(first)
        except ValueError:
            return False
        return name == "isvalidip" or (ip.version == 4) == (name == "isvalidipv4")
    if name in ("isipinsubnet", "isipv4insubnet", "isipv6insubnet"):
        try:
            ip = ipaddress.ip_address(first)
            net = ipaddress.ip_network(s(1) or "", strict=False)
        except ValueError:
            return False
        if name != "isipinsubnet" and ip.version != (4 if name == "isipv4insubnet" else 6):
            return False
        return ip.version == net.version and ip in net
    return None


# --- parse --------------------------------------------------------------------------------------


def _parser_of(cmd: Parse) -> Callable[[str], dict[str, str]]:
    if cmd.regex is not None:
        rx = _regex(cmd.regex)

        def by_regex(s: str) -> dict[str, str]:
            m = rx.search(s)
            return {k: v for k, v in m.groupdict().items() if v is not None} if m else {}

        return by_regex
    glob = cmd.glob or ""
    parts = glob.split("*")
    rx = re.compile("".join(re.escape(p) + ("(.*?)" if i < len(parts) - 1 else "") for i, p in enumerate(parts))
                    + ("$" if parts[-1] == "" else ""), re.S)
    names = cmd.names

    def by_glob(s: str) -> dict[str, str]:
        m = rx.search(s)
        return dict(zip(names, m.groups(), strict=True)) if m else {}

    return by_glob


# --- stats --------------------------------------------------------------------------------------


def _agg_name(e: Call) -> str:
    """Where a stats row keeps an aggregate for a later command that names it by its call."""
    return "\x00" + repr(e)


def _stats(cmd: Stats, rows: list[Record]) -> list[Record]:
    groups: dict[tuple[Any, ...], list[Record]] = {}
    keys: dict[tuple[Any, ...], list[Any]] = {}
    for r in rows:
        vals = [value(i.expr, r) for i in cmd.by]
        if cmd.by and all(v is None for v in vals):
            continue
        k = tuple(text(v) if v is not None else None for v in vals)
        groups.setdefault(k, []).append(r)
        keys.setdefault(k, vals)
    if not cmd.by and not groups:
        groups[()] = []
        keys[()] = []
    out: list[Record] = []
    for k, members in groups.items():
        row: Record = {}
        for item, v in zip(cmd.by, keys[k], strict=True):
            row[item.name] = v
        for item in cmd.aggregates:
            row[item.name] = _aggregate_value(item.expr, members)
            if isinstance(item.expr, Call):
                row[_agg_name(item.expr)] = row[item.name]
        out.append(row)
    if any(isinstance(i.expr, Call) and i.expr.name == "bin" for i in cmd.by):
        out.sort(key=lambda r: tuple(_sort_key(r.get(i.name), False) for i in cmd.by))
    return out


def _aggregate_value(e: Expr, members: list[Record]) -> Any:
    if isinstance(e, Call) and e.name in AGGREGATES:
        return _aggregate(e, members)
    if isinstance(e, Binary):
        row = {"__l": _aggregate_value(e.left, members), "__r": _aggregate_value(e.right, members)}
        return value(Binary(e.op, Field("__l"), Field("__r")), row)
    if isinstance(e, Unary):
        return value(Unary(e.op, Field("__v")), {"__v": _aggregate_value(e.operand, members)})
    if isinstance(e, Call):
        row = {f"__{i}": _aggregate_value(a, members) for i, a in enumerate(e.args)}
        return _call(Call(e.name, tuple(Field(f"__{i}") for i in range(len(e.args)))), row)
    if isinstance(e, (Lit, Duration)):
        return value(e, {})
    return None


def _aggregate(e: Call, members: list[Record]) -> Any:
    if e.star:
        return len(members)
    arg = e.args[0] if e.args else None
    if arg is None:
        return len(members) if e.name == "count" else None
    vals = [v for v in (value(arg, r) for r in members) if v is not None]
    if e.name == "count":
        return len(vals)
    if e.name == "count_distinct":
        return len({text(v) for v in vals})
    if e.name in ("earliest", "latest"):
        stamped = [(int(r.get("@timestamp") or 0), value(arg, r)) for r in members if value(arg, r) is not None]
        if not stamped:
            return None
        return (min if e.name == "earliest" else max)(stamped, key=lambda p: p[0])[1]
    if e.name in ("sortsfirst", "sortslast"):
        return (min if e.name == "sortsfirst" else max)(vals, key=lambda v: _sort_key(v, False)) if vals else None
    nums = [n for n in (number(v) for v in vals) if n is not None]
    if e.name in ("min", "max"):
        if not vals:
            return None
        if nums and len(nums) == len(vals):
            best = (min if e.name == "min" else max)(range(len(vals)), key=lambda i: nums[i])
            return vals[best] if isinstance(vals[best], Stamp) else _num(nums[best])
        return (min if e.name == "min" else max)(text(v) for v in vals)
    if not nums:
        return None
    if e.name == "sum":
        return _num(math.fsum(nums))
    if e.name == "avg":
        return _num(math.fsum(nums) / len(nums))
    if e.name == "stddev":
        return _num(statistics.stdev(nums)) if len(nums) > 1 else 0
    if e.name in ("pct", "percentile"):
        p = number(value(e.args[1], {})) if len(e.args) > 1 else 50.0
        p = min(max(p if p is not None else 50.0, 0.0), 100.0)
        ordered = sorted(nums)
        idx = max(0, math.ceil(p / 100 * len(ordered)) - 1)  # nearest rank
        return _num(ordered[idx])
    return None
