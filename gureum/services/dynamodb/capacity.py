"""Consumed capacity as AWS computes it: a read unit per 4 KB (rounded up) of each item read
(half for eventually consistent reads, double in transactions), a write unit per 1 KB of the
larger of the old and the new item (double in transactions), and one more write per GSI row
written; Query and Scan round the summed size of every item evaluated, not per item."""

from __future__ import annotations

import math
from typing import Any


def read_units(size: int, consistent: bool, transactional: bool = False) -> float:
    units = max(1, math.ceil(size / 4096))
    if transactional:
        return float(units * 2)
    return float(units) if consistent else units / 2


def write_units(size: int, transactional: bool = False) -> float:
    units = max(1, math.ceil(size / 1024))
    return float(units * 2 if transactional else units)


def shape(mode: str | None, table: str, units: float, *, write: bool, indexes: dict[str, float] | None = None,
          local: frozenset[str] = frozenset()) -> dict[str, Any] | None:
    """The ConsumedCapacity member for ReturnConsumedCapacity `mode` (None for NONE)."""
    if mode not in ("TOTAL", "INDEXES"):
        return None
    kind = "WriteCapacityUnits" if write else "ReadCapacityUnits"
    extra = sum((indexes or {}).values())
    out: dict[str, Any] = {"TableName": table, "CapacityUnits": units + extra, kind: units + extra}
    if mode == "INDEXES":
        out["Table"] = {"CapacityUnits": units, kind: units}
        g = {n: {"CapacityUnits": u, kind: u} for n, u in (indexes or {}).items() if n not in local}
        lsi = {n: {"CapacityUnits": u, kind: u} for n, u in (indexes or {}).items() if n in local}
        if g:
            out["GlobalSecondaryIndexes"] = g
        if lsi:
            out["LocalSecondaryIndexes"] = lsi
    return out
