"""ImportApiKeys: API keys from a CSV file in AWS's API key file format, written through keys.py's
tables (apigw_api_keys, apigw_key_values, apigw_plan_keys).

The format (AWS's developer guide, "API Gateway API key file format"): a header line naming
the columns, in any order and any case; Name and Key are required, Description, Enabled and
UsagePlanIds optional, other columns ignored. Key is 20-128 characters, Name at most 1024;
Enabled is true unless it says false; UsagePlanIds is one id or several, comma-separated and
quoted with double or single quotes. A key value imported again overwrites the key that has
it (same id). A row that cannot be imported (a value out of its limits, an unknown usage plan)
is a warning; with failOnWarnings a warning fails the whole import, nothing written.
`parse` is pure: rows from text.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from gureum.services.apigateway import keys
from gureum.services.apigateway.errors import bad_request
from gureum.store import Txn

Doc = dict[str, Any]


@dataclass(frozen=True)
class Row:
    line: int
    name: str
    key: str
    description: str
    enabled: bool
    plan_ids: tuple[str, ...]


def _rejoin_single_quoted(fields: list[str]) -> list[str]:
    """csv knows one quote character: fields a single-quoted value was split into, joined back."""
    out: list[str] = []
    i = 0
    while i < len(fields):
        field = fields[i]
        if field.startswith("'") and not (len(field) > 1 and field.endswith("'")):
            j = i + 1
            while j < len(fields) and not fields[j].endswith("'"):
                j += 1
            field = ",".join(fields[i:j + 1])
            i = j
        out.append(field.strip("'") if field.startswith("'") else field)
        i += 1
    return out


def parse(text: str) -> tuple[list[Row], list[str]]:
    """The rows of an API key file, and the warnings of rows that are not keys."""
    lines = list(csv.reader(io.StringIO(text)))
    lines = [fields for fields in lines if any(f.strip() for f in fields)]
    if not lines:
        raise bad_request("Invalid API key file: the file is empty")
    header = [h.strip().lower() for h in lines[0]]
    missing = [c for c in ("name", "key") if c not in header]
    if missing:
        raise bad_request(f"Invalid API key file: missing required column(s) {', '.join(c.title() for c in missing)}")
    rows: list[Row] = []
    warnings: list[str] = []
    for number, raw in enumerate(lines[1:], start=2):
        fields = _rejoin_single_quoted(raw)
        cell = dict(zip(header, (f.strip() for f in fields), strict=False))
        name, key = cell.get("name", ""), cell.get("key", "")
        if not 20 <= len(key) <= 128:
            warnings.append(f"Line {number}: API Key value should be between 20 and 128 characters")
            continue
        if len(name) > 1024:
            warnings.append(f"Line {number}: API Key name should be at most 1024 characters")
            continue
        plans = tuple(p.strip() for p in cell.get("usageplanids", "").strip("\"'").split(",") if p.strip())
        rows.append(Row(number, name, key, cell.get("description", ""),
                        cell.get("enabled", "").lower() != "false", plans))
    return rows, warnings


def import_keys(txn: Txn, account: str, region: str, body: bytes, fail_on_warnings: bool,
                now: float) -> tuple[list[str], list[str]]:
    """(ids of the keys imported, warnings)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise bad_request("Invalid API key file: not UTF-8 text") from None
    rows, warnings = parse(text)
    for row in rows:
        for plan_id in row.plan_ids:
            if txn.get(keys.USAGE_PLANS, f"{account}/{region}/{plan_id}") is None:
                warnings.append(f"Line {row.line}: Invalid Usage Plan ID specified: {plan_id}")
    if warnings and fail_on_warnings:
        raise bad_request("; ".join(warnings))
    bad_lines = {int(w.split(":", 1)[0].removeprefix("Line ")) for w in warnings}
    imported: list[str] = []
    for row in rows:
        if row.line in bad_lines:
            continue
        existing = keys.key_by_value(txn, account, region, row.key)
        if existing is None:
            doc = keys.create_key(txn, account, region, {"name": row.name, "value": row.key,
                                                        "description": row.description, "enabled": row.enabled}, now)
        else:
            doc = {**existing, "name": row.name, "description": row.description, "enabled": row.enabled,
                   "lastUpdatedDate": now}
            txn.put(keys.API_KEYS, f"{account}/{region}/{doc['id']}", doc)
        for plan_id in row.plan_ids:
            if txn.get(keys.PLAN_KEYS, f"{account}/{region}/{plan_id}/{doc['id']}") is None:
                keys.create_plan_key(txn, account, region, plan_id, doc["id"], "API_KEY")
        imported.append(str(doc["id"]))
    txn.publish(keys.TOPIC, {})
    return imported, warnings
