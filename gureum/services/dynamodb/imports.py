"""DynamoDB imports from S3 (ImportTable, DescribeImport, ListImports), read through S3's port.

Table dynamodb_imports: "{account}/{region}/{import id}" -> the import as DescribeImport shows
it (times as epoch seconds). An import id is "{13-digit epoch ms}-{8 hex}", its ARN
"{table ARN}/import/{id}". Every current object under S3KeyPrefix is read (decompressed: GZIP,
ZSTD or NONE) and parsed: DYNAMODB_JSON takes one {"Item": {...}} per line (binaries base64,
as exports write them); CSV takes a header line (or InputFormatOptions.Csv.HeaderList) and
imports key attributes with the type of their AttributeDefinitions and every other value as a
string, as AWS does. A line that does not parse, or an item without the table's key or over
the item limits, counts in ErrorCount and is skipped. The new table (TableCreationParameters,
CreateTable's rules) and all its items (through items.write: index rows, counts) are created
in one store transaction, so the table appears whole; the import answers IN_PROGRESS and is
COMPLETED by the time the request returns, or FAILED (no table) when the bucket is missing or
another account's. Not built (501): the ION format. Items are held in memory while read.
"""

from __future__ import annotations

import base64
import csv
import datetime
import gzip
import io
import json
import secrets
import time
from typing import TYPE_CHECKING, Any

import zstandard

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.dynamodb import items as I
from gureum.services.dynamodb import tables as T
from gureum.services.dynamodb import values as V
from gureum.services.dynamodb.exports import BucketRefused
from gureum.services.dynamodb.values import Item, invalid
from gureum.services.s3 import port as s3
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.app import App

IMPORTS = "dynamodb_imports"


def _when(t: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(t, datetime.UTC)


def describe(d: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in d.items() if k not in ("StartTime", "EndTime") and v is not None}
    for k in ("StartTime", "EndTime"):
        if d.get(k) is not None:
            out[k] = _when(d[k])
    return out


def _key_of_arn(arn: str) -> str:
    parsed = arns.try_parse(arn)
    if parsed is None or parsed.service != "dynamodb" or "/import/" not in parsed.resource:
        raise invalid(f"Invalid ImportArn: {arn}")
    return f"{parsed.account}/{parsed.region}/{parsed.resource.rsplit('/', 1)[1]}"


def _decompress(body: bytes, kind: str) -> bytes:
    if kind == "GZIP":
        return gzip.decompress(body)
    if kind == "ZSTD":
        return zstandard.ZstdDecompressor().decompressobj().decompress(body)
    return body


def _json_items(text: str) -> tuple[list[Item], int]:
    items: list[Item] = []
    errors = 0
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            raw = json.loads(line)["Item"]
            items.append(V.check_item(V.item_from_store(raw)))
        except (ValueError, KeyError, TypeError, AttributeError, StopIteration, AwsError):
            errors += 1
    return items, errors


def _csv_items(text: str, p: dict[str, Any], types: dict[str, str]) -> tuple[list[Item], int]:
    opts = (p.get("InputFormatOptions") or {}).get("Csv") or {}
    rows = list(csv.reader(io.StringIO(text), delimiter=opts.get("Delimiter") or ","))
    header = opts.get("HeaderList")
    if not header:
        if not rows:
            return [], 0
        header, rows = rows[0], rows[1:]
    items: list[Item] = []
    errors = 0
    for row in rows:
        if not row:
            continue
        if len(row) > len(header):
            errors += 1
            continue
        try:
            item: Item = {}
            for name, value in zip(header, row, strict=False):
                if value == "" and name not in types:
                    continue
                t = types.get(name, "S")
                item[name] = V.check({"N": value} if t == "N" else {"B": base64.b64decode(value)} if t == "B" else {"S": value})
            items.append(item)
        except (ValueError, AwsError):
            errors += 1
    return items, errors


async def import_table(app: App, account: str, region: str, p: dict[str, Any]) -> dict[str, Any]:
    if p["InputFormat"] == "ION":
        raise AwsError.common("NotImplemented", "gureum's DynamoDB does not implement imports in the ION format yet")
    now = time.time()
    params = p["TableCreationParameters"]
    src = p["S3BucketSource"]
    iid = f"{int(now * 1000):013d}-{secrets.token_hex(4)}"
    table_arn = arns.dynamodb_table(region, account, params["TableName"])
    record: dict[str, Any] = {
        "ImportArn": f"{table_arn}/import/{iid}", "ImportStatus": "IN_PROGRESS", "TableArn": table_arn,
        "ClientToken": p.get("ClientToken"), "S3BucketSource": src, "ErrorCount": 0,
        "CloudWatchLogGroupArn": arns.logs_group(region, account, "/aws-dynamodb/imports") + ":*",
        "InputFormat": p["InputFormat"], "InputFormatOptions": p.get("InputFormatOptions"),
        "InputCompressionType": p.get("InputCompressionType") or "NONE", "TableCreationParameters": params,
        "StartTime": now}
    key = f"{account}/{region}/{iid}"

    def check(t: Txn) -> dict[str, str]:
        if t.get(T.TABLES, T.table_key(account, region, params["TableName"])) is not None:
            raise AwsError.modeled("dynamodb", "ResourceInUseException", f"Table already exists: {params['TableName']}")
        types = {d["AttributeName"]: d["AttributeType"] for d in params["AttributeDefinitions"]}
        return types

    types = await app.store.read(check)
    first = describe(record)
    items: list[Item] = []
    errors = 0
    size = 0
    try:
        owner = src.get("S3BucketOwner") or account
        if owner != account:
            raise BucketRefused("AccessDenied", "Access Denied")
        for k in await s3.keys(app, account, src["S3Bucket"], src.get("S3KeyPrefix") or ""):
            obj = await s3.get(app, account, src["S3Bucket"], k)
            body = await obj.read()
            size += len(body)
            try:
                text = _decompress(body, record["InputCompressionType"]).decode()
            except (OSError, zstandard.ZstdError, UnicodeDecodeError):
                errors += 1
                continue
            got, bad = _json_items(text) if p["InputFormat"] == "DYNAMODB_JSON" else _csv_items(text, p, types)
            items += got
            errors += bad
    except (AwsError, BucketRefused) as err:
        code = {"NoSuchBucket": "S3NoSuchBucket", "AccessDenied": "S3AccessDenied"}.get(err.code, "UNKNOWN")
        failed = record | {"ImportStatus": "FAILED", "EndTime": time.time(), "FailureCode": code, "FailureMessage": err.message}
        await app.store.run(lambda t: t.put(IMPORTS, key, failed))
        return first

    def create(t: Txn) -> None:
        doc = T.create(t, account, region, dict(params), now)
        s = I.schema(account, region, doc)
        bad = 0
        imported = 0
        for it in items:
            try:
                it = I.check_item(s, it, checked=True)
            except AwsError:
                bad += 1
                continue
            I.write(t, s, I.get(t, s, I.key_of(s, it)), it)
            imported += 1
        t.put(IMPORTS, key, record | {"ImportStatus": "COMPLETED", "EndTime": time.time(), "TableId": doc["TableId"],
                                      "ErrorCount": errors + bad, "ProcessedSizeBytes": size,
                                      "ProcessedItemCount": len(items) + errors, "ImportedItemCount": imported})

    await app.store.run(create)
    return first


def describe_import(txn: Txn, arn: str, account: str) -> dict[str, Any]:
    key = _key_of_arn(arn)
    d = txn.get(IMPORTS, key) if key.startswith(f"{account}/") else None
    if d is None:
        raise AwsError.modeled("dynamodb", "ImportNotFoundException", f"Import not found: {arn}")
    return describe(d)


def list_imports(txn: Txn, account: str, region: str, p: dict[str, Any]) -> dict[str, Any]:
    limit = p.get("PageSize") or 25
    start = p.get("NextToken")
    rows = txn.scan(IMPORTS, f"{account}/{region}/", start=(f"{account}/{region}/{start}\x01") if start else None)
    out: list[dict[str, Any]] = []
    nxt: str | None = None
    last = ""
    for k, d in rows:
        if p.get("TableArn") and d["TableArn"] != p["TableArn"]:
            continue
        if len(out) == limit:
            nxt = last
            break
        summary = {m: d.get(m) for m in ("ImportArn", "ImportStatus", "TableArn", "S3BucketSource", "CloudWatchLogGroupArn",
                                          "InputFormat", "StartTime", "EndTime")}
        out.append(describe(summary))
        last = k.rsplit("/", 1)[1]
    return {"ImportSummaryList": out} | ({"NextToken": nxt} if nxt else {})
