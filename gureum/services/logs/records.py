"""Log records as Logs Insights sees them: the fields of one event (GetLogRecord) and the
fields a group's recent events carry (GetLogGroupFields).

A record pointer (Insights' @ptr, GetLogRecord's logRecordPointer) is `pointer(event_key)`:
the event's key in logs.events (model.py), urlsafe-base64 encoded, without padding. It is
opaque to clients; `get_record` refuses one that names another account's or region's event.

A record's fields: @timestamp ("YYYY-MM-DD HH:MM:SS.mmm", UTC), @message, @logStream,
@log ("<account>:<group>"), @ingestionTime, and, for a message that is a JSON object, its
fields flattened with dots (`a.b`) and list items by index (`a.0`), as Insights discovers them.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.logs import masking, model
from gureum.services.logs.model import EVENTS, SEP, STREAMS
from gureum.store import Txn

WINDOW_MS = 15 * 60 * 1000  # GetLogGroupFields without `time`: the last 15 minutes
HALF_WINDOW_MS = 8 * 60 * 1000  # with `time`: 8 minutes either side
MAX_SAMPLED = 10000
SYSTEM_FIELDS = ("@ingestionTime", "@log", "@logStream", "@message", "@timestamp")


def pointer(event_key: str) -> str:
    return base64.urlsafe_b64encode(event_key.encode()).decode().rstrip("=")


def _timestamp(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%d %H:%M:%S.") + f"{ms % 1000:03d}"


def flatten(doc: Any, prefix: str = "") -> dict[str, str]:
    """A JSON value's leaves as Insights names them."""
    out: dict[str, str] = {}
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else None
    if items is None:
        out[prefix] = doc if isinstance(doc, str) else json.dumps(doc)
        return out
    for k, v in items:
        out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    return out


def json_fields(message: str) -> dict[str, str]:
    try:
        doc = json.loads(message)
    except ValueError:
        return {}
    return flatten(doc) if isinstance(doc, dict) else {}


def _event_key(account: str, region: str, ptr: str) -> tuple[str, list[str]]:
    """The event key a pointer names (and its group, stream, position parts), when it is one
    of `account`'s events in `region`; InvalidParameterException otherwise."""
    try:
        key = base64.urlsafe_b64decode(ptr + "=" * (-len(ptr) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        key = ""
    parts = key.split(SEP)
    if not key.startswith(f"{account}/{region}/") or len(parts) != 3:
        raise AwsError.modeled("logs", "InvalidParameterException", "The specified logRecordPointer is not valid.")
    return key, parts


def group_of(txn: Txn, account: str, region: str, ptr: str) -> str:
    """The log group of the event a pointer names."""
    return _event_key(account, region, ptr)[1][0][len(f"{account}/{region}/"):]


def get_record(txn: Txn, account: str, region: str, ptr: str, unmask: bool) -> dict[str, str]:
    """GetLogRecord."""
    key, parts = _event_key(account, region, ptr)
    e = txn.get(EVENTS, key)
    if e is None:
        raise AwsError.modeled("logs", "ResourceNotFoundException", "The specified log record does not exist.")
    group = parts[0][len(f"{account}/{region}/"):]
    message = e["m"] if unmask else masking.masked(e["m"], e.get("k"))
    record = {"@timestamp": _timestamp(e["t"]), "@message": message, "@logStream": parts[1],
              "@log": f"{account}:{group}", "@ingestionTime": _timestamp(e["i"])}
    return {**json_fields(message), **record}


def group_fields(txn: Txn, account: str, region: str, group: str, at: int | None, now: int) -> list[dict[str, Any]]:
    """GetLogGroupFields: each field of the group's events in the window, with the percentage
    of those events that carry it."""
    model.get_group(txn, account, region, group)
    lo, hi = (at * 1000 - HALF_WINDOW_MS, at * 1000 + HALF_WINDOW_MS) if at is not None else (now - WINDOW_MS, now)
    counts: dict[str, int] = {}
    total = 0
    for skey, s in txn.scan(STREAMS, model.group_key(account, region, group) + SEP):
        if s.get("lastEventTimestamp", 0) < lo:
            continue
        rows = txn.scan(EVENTS, skey + SEP, start=f"{skey}{SEP}{max(lo, 0):013d}", end=f"{skey}{SEP}{hi + 1:013d}",
                        limit=MAX_SAMPLED - total)
        for _, e in rows:
            total += 1
            for name in json_fields(e["m"]):
                counts[name] = counts.get(name, 0) + 1
        if total >= MAX_SAMPLED:
            break
    if not total:
        return []
    out = [{"name": n, "percent": 100} for n in SYSTEM_FIELDS]
    out += [{"name": n, "percent": round(100 * c / total)} for n, c in sorted(counts.items())]
    return out
