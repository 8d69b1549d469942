"""DynamoDB exports to S3 (ExportTableToPointInTime, DescribeExport, ListExports), written
through S3's port as AWS lays them out.

Table dynamodb_exports: "{account}/{region}/{export id}" -> the export as DescribeExport shows
it (times as epoch seconds). An export id is "{13-digit epoch ms}-{8 hex}", its ARN
"{table ARN}/export/{id}". The items are read in one store transaction (the export's snapshot,
at the request's time) and written, gzip-compressed DynamoDB JSON (one {"Item": ...} line per
item, binaries base64), to "{prefix}/AWSDynamoDB/{id}/data/{name}.json.gz" (a new file every
FILE_ITEMS items), followed by manifest-files.json (one JSON line per data file) and
manifest-summary.json, as AWS writes them. The export is IN_PROGRESS in the first answer and
COMPLETED (or FAILED with AWS's FailureCode when the bucket is missing or another account's)
by the time the request returns. Rules: point-in-time recovery must be enabled on the table;
a ClientToken repeats the same export for 8 hours (with other parameters it is
ExportConflictException). Not built (501): the ION format,
incremental exports, and an ExportTime in the past (no item history is kept).
"""

from __future__ import annotations

import datetime
import gzip
import hashlib
import json
import secrets
import time
from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.dynamodb import items as I
from gureum.services.dynamodb import tables as T
from gureum.services.dynamodb import values as V
from gureum.services.dynamodb.values import invalid
from gureum.services.s3 import port as s3
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.app import App

EXPORTS = "dynamodb_exports"
FILE_ITEMS = 10000
_CHUNK = 500


class BucketRefused(Exception):
    """S3 refuses the bucket to DynamoDB (another owner): the export or import FAILS with S3's
    code, as S3AccessDenied; never an error of the DynamoDB call itself."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _when(t: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(t, datetime.UTC)


def _iso(t: float) -> str:
    return _when(t).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(t * 1000) % 1000:03d}Z"


def not_built(what: str) -> AwsError:
    return AwsError.common("NotImplemented", f"gureum's DynamoDB does not implement {what} yet")


def describe(e: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in e.items() if k not in ("StartTime", "EndTime", "ExportTime") and v is not None}
    for k in ("StartTime", "EndTime", "ExportTime"):
        if e.get(k) is not None:
            out[k] = _when(e[k])
    return out


def _key_of_arn(arn: str) -> str:
    parsed = arns.try_parse(arn)
    if parsed is None or parsed.service != "dynamodb" or "/export/" not in parsed.resource:
        raise invalid(f"Invalid ExportArn: {arn}")
    return f"{parsed.account}/{parsed.region}/{parsed.resource.rsplit('/', 1)[1]}"


def _snapshot(txn: Txn, account: str, region: str, p: dict[str, Any], now: float
              ) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    """The export's record (new, or the one its ClientToken already made) and, for a new one,
    the table's items in their stored form."""
    _, _, doc = T.by_arn(txn, p["TableArn"])
    if p.get("ExportFormat", "DYNAMODB_JSON") != "DYNAMODB_JSON":
        raise not_built("exports in the ION format")
    if p.get("ExportType", "FULL_EXPORT") != "FULL_EXPORT":
        raise not_built("incremental exports")
    et = p.get("ExportTime")
    if et is not None and et.timestamp() < now - 1:
        raise not_built("exports at a past ExportTime (no item history is kept)")
    if et is not None and et.timestamp() > now + 1:
        raise invalid("ExportTime cannot be in the future")
    if not (doc.get("Pitr") or {}).get("Enabled"):
        raise AwsError.modeled("dynamodb", "PointInTimeRecoveryUnavailableException",
                               f"Point in time recovery is not enabled for table '{doc['TableName']}'")
    token = p.get("ClientToken")
    tkey = T.table_key(*T.owner(doc), doc["TableName"])
    if token:
        for _k, prev in txn.scan(EXPORTS, f"{account}/{region}/"):
            if prev.get("ClientToken") == token and now - prev["StartTime"] < 8 * 3600:
                same = (prev["TableArn"], prev["S3Bucket"], prev.get("S3Prefix")) == (doc["TableArn"], p["S3Bucket"], p.get("S3Prefix"))
                if not same:
                    raise AwsError.modeled("dynamodb", "ExportConflictException",
                                           f"Export with ClientToken {token} already exists with different parameters")
                return prev, None
    eid = f"{int(now * 1000):013d}-{secrets.token_hex(4)}"
    e: dict[str, Any] = {
        "ExportArn": f"{doc['TableArn']}/export/{eid}", "ExportStatus": "IN_PROGRESS", "StartTime": now,
        "TableArn": doc["TableArn"], "TableId": doc["TableId"], "ExportTime": now, "ClientToken": token,
        "S3Bucket": p["S3Bucket"], "S3BucketOwner": p.get("S3BucketOwner"), "S3Prefix": p.get("S3Prefix"),
        "S3SseAlgorithm": p.get("S3SseAlgorithm") or "AES256", "S3SseKmsKeyId": p.get("S3SseKmsKeyId"),
        "ExportFormat": "DYNAMODB_JSON", "ExportType": "FULL_EXPORT"}
    rows: list[dict[str, Any]] = []
    start: str | None = None
    while True:
        got = txn.scan(I.ITEMS, tkey + "/", start=start, limit=_CHUNK)
        rows += [r["i"] for _k, r in got]
        if len(got) < _CHUNK:
            break
        start = got[-1][0][:-1] + "0"
    txn.put(EXPORTS, f"{account}/{region}/{eid}", e)
    return e, rows


async def export(app: App, account: str, region: str, p: dict[str, Any]) -> dict[str, Any]:
    now = time.time()
    e, rows = await app.store.run(lambda t: _snapshot(t, account, region, p, now))
    if rows is None:
        return describe(e)
    first = describe(e)
    key = _key_of_arn(e["ExportArn"])
    eid = key.rsplit("/", 1)[1]
    base = (p["S3Prefix"].rstrip("/") + "/" if p.get("S3Prefix") else "") + f"AWSDynamoDB/{eid}/"
    done: dict[str, Any] = {}
    try:
        owner, _region = await s3.bucket_facts(app, p["S3Bucket"])
        if owner != account or (p.get("S3BucketOwner") and p["S3BucketOwner"] != owner):
            raise BucketRefused("AccessDenied", "Access Denied")
        files = []
        billed = 0
        for n, lo in enumerate(range(0, max(len(rows), 1), FILE_ITEMS)):
            part = rows[lo:lo + FILE_ITEMS]
            if not part and n > 0:
                break
            text = "".join(json.dumps({"Item": it}, separators=(",", ":")) + "\n" for it in part).encode()
            billed += sum(V.item_size(V.item_from_store(it)) for it in part)
            body = gzip.compress(text)
            data_key = f"{base}data/{secrets.token_hex(13)}.json.gz"
            etag = await s3.put(app, p["S3Bucket"], data_key, body, content_type="application/x-gzip",
                                principal="dynamodb.amazonaws.com")
            files.append({"itemCount": len(part), "md5Checksum": hashlib.md5(body).hexdigest(),  # noqa: S324 - AWS's manifest field
                          "etag": etag.strip('"'), "dataFileS3Key": data_key})
        manifest = "".join(json.dumps(f) + "\n" for f in files).encode()
        await s3.put(app, p["S3Bucket"], f"{base}manifest-files.json", manifest, content_type="application/json",
                     principal="dynamodb.amazonaws.com")
        end = time.time()
        summary = {"version": "2020-06-30", "exportArn": e["ExportArn"], "startTime": _iso(e["StartTime"]), "endTime": _iso(end),
                   "tableArn": e["TableArn"], "tableId": e["TableId"], "exportTime": _iso(e["ExportTime"]),
                   "s3Bucket": p["S3Bucket"], "s3Prefix": p.get("S3Prefix"), "s3SseAlgorithm": e["S3SseAlgorithm"],
                   "s3SseKmsKeyId": e["S3SseKmsKeyId"], "manifestFilesS3Key": f"{base}manifest-files.json",
                   "billedSizeBytes": billed, "itemCount": len(rows), "outputFormat": "DYNAMODB_JSON"}
        await s3.put(app, p["S3Bucket"], f"{base}manifest-summary.json", json.dumps(summary).encode(),
                     content_type="application/json", principal="dynamodb.amazonaws.com")
        done = {"ExportStatus": "COMPLETED", "EndTime": end, "ExportManifest": f"{base}manifest-summary.json",
                "BilledSizeBytes": billed, "ItemCount": len(rows)}
    except (AwsError, BucketRefused) as err:
        code = {"NoSuchBucket": "S3NoSuchBucket", "AccessDenied": "S3AccessDenied"}.get(err.code, "UNKNOWN")
        done = {"ExportStatus": "FAILED", "EndTime": time.time(), "FailureCode": code, "FailureMessage": err.message}

    def finish(t: Txn) -> None:
        cur = t.get(EXPORTS, key)
        if cur is not None:
            t.put(EXPORTS, key, cur | done)

    await app.store.run(finish)
    return first


def describe_export(txn: Txn, arn: str, account: str) -> dict[str, Any]:
    key = _key_of_arn(arn)
    e = txn.get(EXPORTS, key) if key.startswith(f"{account}/") else None
    if e is None:
        raise AwsError.modeled("dynamodb", "ExportNotFoundException", f"Export not found: {arn}")
    return describe(e)


def list_exports(txn: Txn, account: str, region: str, p: dict[str, Any]) -> dict[str, Any]:
    limit = p.get("MaxResults") or 25
    start = p.get("NextToken")
    rows = txn.scan(EXPORTS, f"{account}/{region}/", start=(f"{account}/{region}/{start}\x01") if start else None)
    out: list[dict[str, Any]] = []
    nxt: str | None = None
    last = ""
    for k, e in rows:
        if p.get("TableArn") and e["TableArn"] != p["TableArn"]:
            continue
        if len(out) == limit:
            nxt = last
            break
        out.append({"ExportArn": e["ExportArn"], "ExportStatus": e["ExportStatus"], "ExportType": e["ExportType"]})
        last = k.rsplit("/", 1)[1]
    return {"ExportSummaries": out} | ({"NextToken": nxt} if nxt else {})
