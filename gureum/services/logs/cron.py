"""Schedule expressions of scheduled queries, sans-IO: `cron(m h dom mon dow [year])` (AWS's
six fields, `?` for "any"), a bare five-field standard cron line, or `rate(N unit)`.
`due(expr, minute, anchor)` says whether a schedule fires in the UTC minute starting at
`minute` (epoch seconds); rates count whole periods from `anchor`."""

from __future__ import annotations

import datetime as dt
import re

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_NAMES = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11,
          "dec": 12, "sun": 1, "mon": 2, "tue": 3, "wed": 4, "thu": 5, "fri": 6, "sat": 7}


class BadSchedule(ValueError):
    """Not a schedule expression."""


def _field(text: str, lo: int, hi: int) -> set[int] | None:
    """The values a cron field allows (None: any)."""
    if text in ("*", "?"):
        return None
    out: set[int] = set()
    for part in text.lower().split(","):
        step = 1
        if "/" in part:
            part, s = part.split("/", 1)
            step = int(s)
            if step < 1:
                raise BadSchedule(text)
        if part in ("*", ""):
            a, b = lo, hi
        elif "-" in part:
            x, y = part.split("-", 1)
            a, b = int(_NAMES.get(x, x)), int(_NAMES.get(y, y))
        else:
            a = int(_NAMES.get(part, part))
            b = a if step == 1 else hi
        if not (lo <= a <= hi and lo <= b <= hi):
            raise BadSchedule(text)
        out.update(range(a, b + 1, step))
    return out


def parse(expr: str) -> tuple[str, object]:
    """("rate", period seconds) or ("cron", fields); BadSchedule otherwise."""
    expr = expr.strip()
    m = _RATE.match(expr)
    if m:
        n = int(m.group(1))
        if n < 1:
            raise BadSchedule(expr)
        unit = {"minute": 60, "hour": 3600, "day": 86400}[m.group(2).rstrip("s")]
        return "rate", n * unit
    body = expr[5:-1] if expr.startswith("cron(") and expr.endswith(")") else expr
    parts = body.split()
    if len(parts) not in (5, 6):
        raise BadSchedule(expr)
    aws = expr.startswith("cron(")
    try:
        fields = (_field(parts[0], 0, 59), _field(parts[1], 0, 23), _field(parts[2], 1, 31), _field(parts[3], 1, 12),
                  _field(parts[4], 1, 7) if aws else _shift_dow(_field(parts[4], 0, 7)),
                  _field(parts[5], 1970, 2199) if len(parts) == 6 else None)
    except ValueError:
        raise BadSchedule(expr) from None
    return "cron", fields


def _shift_dow(values: set[int] | None) -> set[int] | None:
    """Standard cron's 0-7 (0 and 7 Sunday) to AWS's 1-7 (1 Sunday)."""
    return None if values is None else {(v % 7) + 1 for v in values}


def due(expr: str, minute: int, anchor: int) -> bool:
    kind, spec = parse(expr)
    if kind == "rate":
        assert isinstance(spec, int)
        return minute >= anchor - anchor % 60 and (minute - (anchor - anchor % 60)) % spec < 60
    assert isinstance(spec, tuple)
    t = dt.datetime.fromtimestamp(minute, dt.timezone.utc)
    values = (t.minute, t.hour, t.day, t.month, (t.isoweekday() % 7) + 1, t.year)
    return all(allowed is None or v in allowed for allowed, v in zip(spec, values, strict=True))
