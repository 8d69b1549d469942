"""Lookup tables: CSV reference data for Logs Insights queries (CreateLookupTable,
GetLookupTable, DescribeLookupTables, UpdateLookupTable, DeleteLookupTable).

Store table: logs.lookup_tables "<acct>/<region>/<name>" -> {lookupTableArn,
lookupTableName, description, tableBody, tableFields, recordsCount, sizeBytes,
lastUpdatedTime, createdAt, kmsKeyId, tags}. A body is UTF-8 CSV with a header row of unique
column names and rows of as many values; a table made from a query (`queryId`) takes the
completed query's rows, its columns in order of appearance. Names are unique per account
and Region.
"""

from __future__ import annotations

import csv
import io
import time
from typing import Any

from gureum.aws import arn as arns
from gureum.aws import paging
from gureum.aws.errors import AwsError
from gureum.services.logs import queries
from gureum.store import Txn

TABLE = "logs.lookup_tables"
VIEW_KEYS = ("lookupTableArn", "lookupTableName", "description", "tableFields", "recordsCount", "sizeBytes",
             "lastUpdatedTime", "kmsKeyId")


def _key(account: str, region: str, name: str) -> str:
    return f"{account}/{region}/{name}"


def _validation(message: str) -> AwsError:
    return AwsError.modeled("logs", "ValidationException", message)


def _not_found() -> AwsError:
    return AwsError.modeled("logs", "ResourceNotFoundException", "The specified lookup table does not exist.")


def parse_body(body: str) -> tuple[list[str], int]:
    """(columns, rows) of a CSV body, or ValidationException."""
    try:
        rows = list(csv.reader(io.StringIO(body)))
    except csv.Error as e:
        raise _validation(f"The table body is not valid CSV: {e}") from None
    rows = [r for r in rows if r]
    if not rows:
        raise _validation("The table body must include a header row with column names.")
    header = [c.strip() for c in rows[0]]
    if any(not c for c in header) or len(set(header)) != len(header):
        raise _validation("The header row must name each column once.")
    for i, r in enumerate(rows[1:], 2):
        if len(r) != len(header):
            raise _validation(f"Row {i} has {len(r)} values; the header has {len(header)} columns.")
    return header, len(rows) - 1


def _body_from_query(txn: Txn, account: str, region: str, qid: str) -> str:
    out = queries.results(txn, account, region, qid, None, None)
    if out["status"] != "Complete":
        raise _validation(f"Query {qid} has not completed.")
    rows = [{f["field"]: f["value"] for f in r if f["field"] != "@ptr"} for r in out["results"]]
    cols: list[str] = []
    for r in rows:
        cols += [c for c in r if c not in cols]
    if not cols:
        raise _validation(f"Query {qid} returned no rows.")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        w.writerow([r.get(c, "") for c in cols])
    return buf.getvalue()


def _body(txn: Txn, account: str, region: str, params: dict[str, Any], required: bool) -> str | None:
    body, qid = params.get("tableBody"), params.get("queryId")
    if body is not None and qid is not None:
        raise AwsError.modeled("logs", "InvalidParameterException", "Specify either tableBody or queryId, not both.")
    if body is None and qid is None:
        if required:
            raise AwsError.modeled("logs", "InvalidParameterException", "You must specify either tableBody or queryId.")
        return None
    return str(body) if body is not None else _body_from_query(txn, account, region, str(qid))


def _apply_body(doc: dict[str, Any], body: str) -> None:
    fields, count = parse_body(body)
    doc.update({"tableBody": body, "tableFields": fields, "recordsCount": count, "sizeBytes": len(body.encode())})


def create(txn: Txn, account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    name = params["lookupTableName"]
    k = _key(account, region, name)
    if txn.get(TABLE, k) is not None:
        raise AwsError.modeled("logs", "ResourceAlreadyExistsException", f"Lookup table {name} already exists.")
    body = _body(txn, account, region, params, required=True)
    assert body is not None
    now = int(time.time() * 1000)
    doc: dict[str, Any] = {"lookupTableArn": arns.logs_resource(region, account, "lookup-table", name),
                           "lookupTableName": name, "description": params.get("description") or "",
                           "lastUpdatedTime": now, "createdAt": now, "tags": dict(params.get("tags") or {})}
    if params.get("kmsKeyId"):
        doc["kmsKeyId"] = params["kmsKeyId"]
    _apply_body(doc, body)
    txn.put(TABLE, k, doc)
    return doc


def _find(txn: Txn, account: str, region: str, arn: str) -> tuple[str, dict[str, Any]]:
    parsed = arns.try_parse(arn)
    if parsed is None or not parsed.resource.startswith("lookup-table:"):
        raise AwsError.modeled("logs", "InvalidParameterException", f"Invalid lookup table ARN: {arn}")
    k = _key(account, region, parsed.resource.split(":", 1)[1])
    doc = txn.get(TABLE, k) if (parsed.account, parsed.region) == (account, region) else None
    if doc is None:
        raise _not_found()
    return k, doc


def get(txn: Txn, account: str, region: str, arn: str) -> dict[str, Any]:
    _, doc = _find(txn, account, region, arn)
    return {k: doc[k] for k in ("lookupTableArn", "lookupTableName", "description", "tableBody", "sizeBytes",
                                "lastUpdatedTime", "kmsKeyId") if doc.get(k) is not None}


def update(txn: Txn, account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    k, doc = _find(txn, account, region, params["lookupTableArn"])
    body = _body(txn, account, region, params, required=False)
    if body is not None:
        _apply_body(doc, body)
    if params.get("description") is not None:
        doc["description"] = params["description"]
    if params.get("kmsKeyId") is not None:
        doc["kmsKeyId"] = params["kmsKeyId"]
    doc["lastUpdatedTime"] = int(time.time() * 1000)
    txn.put(TABLE, k, doc)
    return doc


def delete(txn: Txn, account: str, region: str, arn: str) -> None:
    k, _ = _find(txn, account, region, arn)
    txn.delete(TABLE, k)


def describe(txn: Txn, account: str, region: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    prefix = params.get("lookupTableNamePrefix") or ""
    rows, nxt = paging.page(txn, TABLE, f"{account}/{region}/{prefix}", token=params.get("nextToken"),
                            limit=params.get("maxResults") or None, default_limit=100, max_limit=100,
                            error=lambda: AwsError.modeled("logs", "InvalidParameterException", "The specified nextToken is invalid."))
    return [{k: d[k] for k in VIEW_KEYS if d.get(k) is not None} for _, d in rows], nxt
