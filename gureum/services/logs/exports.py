"""CloudWatch Logs export tasks: a group's events written to an S3 bucket of gureum.

Table logs.export_tasks "<acct>/<region>/<taskId>" -> the task as DescribeExportTasks shows it
(taskId, taskName, logGroupName, from, to, destination, destinationPrefix, status {code,
message}, executionInfo {creationTime, completionTime}) and "logStreamNamePrefix".

Rules (AWS's): one active (PENDING or RUNNING) task per account and region; `from` before
`to`; the bucket exists, is in the task's region, and its policy lets the CloudWatch Logs
service principal (logs.<region>.amazonaws.com, or logs.amazonaws.com) s3:GetBucketAcl on the
bucket and s3:PutObject on `<prefix>/...`, with aws:SourceAccount and aws:SourceArn the
caller's account and log group; CreateExportTask then writes `<prefix>/aws-logs-write-test`
("Permission Check Successful") as AWS does.

The `logs-exports` component (`run`) works PENDING tasks: it claims one by moving it to
RUNNING in a transaction (on a shared store only the node whose write found it PENDING runs
it), writes each stream's events in [from, to) in time order, one line per event
("<ISO 8601 timestamp> <message>\\n"), gzip-compressed, to
`<prefix>/<taskId>/<stream>/000000.gz` (the next file, 000001.gz, after FILE_BYTES
uncompressed bytes), then marks it COMPLETED. A task cancelled while running stops before
its next file and stays CANCELLED. A node that dies mid-task leaves it RUNNING: it is not
resumed (AWS's tasks can fail too; the user creates a new one).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import gzip
import logging
import uuid
from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.aws import paging
from gureum.aws.errors import AwsError
from gureum.services.logs import masking, model
from gureum.services.logs.model import EVENTS, SEP, STREAMS
from gureum.services.s3 import port as s3
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store.base import Event

log = logging.getLogger("gureum.logs")

TASKS = "logs.export_tasks"
TOPIC = "logs.export"
ACTIVE = ("PENDING", "RUNNING")
FILE_BYTES = 64 * 1024 * 1024
DEFAULT_PREFIX = "exportedlogs"
WRITE_TEST = "aws-logs-write-test"
GET_ACL_DENIED = ("GetBucketAcl call on the given bucket failed. Please check if CloudWatch Logs has been granted "
                  "permission to perform this operation.")
PUT_DENIED = ("PutObject call on the given bucket failed. Please check if CloudWatch Logs has been granted permission "
              "to perform this operation.")


def _invalid(message: str) -> AwsError:
    return AwsError.modeled("logs", "InvalidParameterException", message)


def _key(account: str, region: str, task: str) -> str:
    return f"{account}/{region}/{task}"


async def _logs_may(app: App, action: str, resource: str, account: str, region: str, group: str) -> bool:
    from gureum.policy import resource_policies
    from gureum.policy.engine import AuthRequest, Decision, Principal, statement_decision
    from gureum.policy.gate import parsed

    policy = parsed(app, await resource_policies.read(app, "s3", action, resource), "resource")
    if policy is None:
        return False
    context = {"aws:SourceAccount": account, "aws:SourceArn": model.group_arn(account, region, group) + ":*"}
    for service in (f"logs.{region}.amazonaws.com", "logs.amazonaws.com"):
        principal = Principal(arn=service, account="", kind="service", service=service)
        if statement_decision(policy, AuthRequest(principal, action, resource, context)) is Decision.ALLOW:
            return True
    return False


def _prefix(p: dict[str, Any]) -> str:
    return (p.get("destinationPrefix") or DEFAULT_PREFIX).strip("/") or DEFAULT_PREFIX


async def check_bucket(app: App, account: str, region: str, p: dict[str, Any]) -> None:
    """The destination bucket's checks, then AWS's write test object."""
    bucket, prefix = p["destination"], _prefix(p)
    try:
        _, bucket_region = await s3.bucket_facts(app, bucket)
    except AwsError:
        raise _invalid("The specified bucket does not exist.") from None
    if bucket_region != region:
        raise _invalid("The specified bucket is not in the same Region as the log group.")
    if not await _logs_may(app, "s3:GetBucketAcl", arns.s3_bucket(bucket), account, region, p["logGroupName"]):
        raise _invalid(GET_ACL_DENIED)
    if not await _logs_may(app, "s3:PutObject", arns.s3_object(bucket, f"{prefix}/{WRITE_TEST}"), account, region,
                           p["logGroupName"]):
        raise _invalid(PUT_DENIED)
    await s3.put(app, bucket, f"{prefix}/{WRITE_TEST}", b"Permission Check Successful", content_type="text/plain",
                 principal="AWSService:logs.amazonaws.com")


def create(txn: Txn, account: str, region: str, p: dict[str, Any], now: int) -> str:
    """CreateExportTask (after check_bucket): a PENDING task; returns its id."""
    model.get_group(txn, account, region, p["logGroupName"])
    if p["from"] > p["to"]:
        raise _invalid("The 'from' time must be before the 'to' time.")
    if any(t["status"]["code"] in ACTIVE for _, t in txn.scan(TASKS, f"{account}/{region}/")):
        raise AwsError.modeled("logs", "LimitExceededException", "Resource limit exceeded.")
    task = str(uuid.uuid4())
    doc: dict[str, Any] = {
        "taskId": task, "logGroupName": p["logGroupName"], "from": p["from"], "to": p["to"],
        "destination": p["destination"], "destinationPrefix": _prefix(p),
        "status": {"code": "PENDING", "message": "Pending"}, "executionInfo": {"creationTime": now},
    }
    if p.get("taskName"):
        doc["taskName"] = p["taskName"]
    if p.get("logStreamNamePrefix"):
        doc["logStreamNamePrefix"] = p["logStreamNamePrefix"]
    txn.put(TASKS, _key(account, region, task), doc)
    txn.publish(TOPIC, {"task": task})
    return task


def cancel(txn: Txn, account: str, region: str, task: str, now: int) -> None:
    doc = txn.get(TASKS, _key(account, region, task))
    if doc is None:
        raise AwsError.modeled("logs", "ResourceNotFoundException", "The specified export task does not exist.")
    if doc["status"]["code"] not in ACTIVE:
        raise AwsError.modeled("logs", "InvalidOperationException", "The specified export task has already finished.")
    doc["status"] = {"code": "CANCELLED", "message": "Cancelled by user"}
    doc["executionInfo"]["completionTime"] = now
    txn.put(TASKS, _key(account, region, task), doc)


def describe(txn: Txn, account: str, region: str, p: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    status = p.get("statusCode")
    prefix = _key(account, region, p["taskId"]) if p.get("taskId") else f"{account}/{region}/"
    rows, nxt = paging.page(txn, TASKS, prefix, token=p.get("nextToken"), limit=p.get("limit"), default_limit=50,
                            max_limit=50, keep=(lambda d: d["status"]["code"] == status) if status else None,
                            filters={"statusCode": status}, error=lambda: _invalid("The specified nextToken is invalid."))
    return [{k: v for k, v in d.items() if k != "logStreamNamePrefix"} for _, d in rows], nxt


# --- the worker -------------------------------------------------------------------------------

def _claim(txn: Txn, key: str) -> dict[str, Any] | None:
    doc = txn.get(TASKS, key)
    if doc is None or doc["status"]["code"] != "PENDING":
        return None
    doc["status"] = {"code": "RUNNING", "message": "Started successfully"}
    txn.put(TASKS, key, doc)
    return doc


def _finish(txn: Txn, key: str, code: str, message: str) -> None:
    doc = txn.get(TASKS, key)
    if doc is None or doc["status"]["code"] != "RUNNING":  # cancelled (or reset) meanwhile
        return
    doc["status"] = {"code": code, "message": message}
    doc["executionInfo"]["completionTime"] = model.now_ms()
    txn.put(TASKS, key, doc)


def _line(ts: int, message: str) -> bytes:
    stamp = dt.datetime.fromtimestamp(ts / 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts % 1000:03d}Z"
    return f"{stamp} {message}\n".encode()


def _scan(txn: Txn, prefix: str, start: str, end: str) -> list[tuple[str, dict[str, Any]]]:
    return txn.scan(EVENTS, prefix, start=start, end=end, limit=1000)


async def _still_running(app: App, key: str) -> bool:
    doc = await app.store.read(lambda t: t.get(TASKS, key))
    return doc is not None and doc["status"]["code"] == "RUNNING"


async def export(app: App, key: str, task: dict[str, Any]) -> None:
    """Write the task's files; the task is RUNNING (claimed by this node)."""
    account, region, _ = key.split("/", 2)
    gkey = model.group_key(account, region, task["logGroupName"])
    streams = await app.store.read(lambda t: [s["logStreamName"] for _, s in
                                              t.scan(STREAMS, gkey + SEP + (task.get("logStreamNamePrefix") or ""))])
    lo, hi = int(task["from"]), int(task["to"])
    for stream in streams:
        skey = f"{gkey}{SEP}{stream}{SEP}"
        start, end = f"{skey}{lo:013d}", f"{skey}{hi:013d}"
        part, lines, size = 0, [], 0
        while True:
            rows = await app.store.read(functools.partial(_scan, prefix=skey, start=start, end=end))
            for _, e in rows:
                line = _line(e["t"], masking.masked(e["m"], e.get("k")))
                lines.append(line)
                size += len(line)
                if size >= FILE_BYTES:
                    if not await _still_running(app, key):
                        return
                    await _write(app, task, stream, part, lines)
                    part, lines, size = part + 1, [], 0
            if len(rows) < 1000:
                break
            start = rows[-1][0] + "\x00"
        if lines:
            if not await _still_running(app, key):
                return
            await _write(app, task, stream, part, lines)


async def _write(app: App, task: dict[str, Any], stream: str, part: int, lines: list[bytes]) -> None:
    body = await asyncio.to_thread(gzip.compress, b"".join(lines))
    name = f"{task['destinationPrefix']}/{task['taskId']}/{stream}/{part:06d}.gz"
    await s3.put(app, task["destination"], name, body, content_type="application/octet-stream",
                 content_encoding="gzip", principal="AWSService:logs.amazonaws.com")


async def work(app: App) -> int:
    """Run every PENDING task; returns how many ran."""
    ran = 0
    pending = await app.store.read(lambda t: [k for k, d in t.scan(TASKS, "") if d["status"]["code"] == "PENDING"])
    for key in pending:
        task = await app.store.run(functools.partial(_claim, key=key))
        if task is None:
            continue
        try:
            await export(app, key, task)
        except Exception as e:  # the bucket went away meanwhile, the store is away...
            log.exception("export task %s failed", task["taskId"])
            await app.store.run(functools.partial(_finish, key=key, code="FAILED", message=str(e)))
        else:
            await app.store.run(functools.partial(_finish, key=key, code="COMPLETED", message="Completed successfully"))
        ran += 1
    return ran


async def run(app: App) -> None:
    """The `logs-exports` component: work tasks as they are created (and every few seconds,
    for tasks other nodes created)."""
    wake = asyncio.Event()

    def on_event(_: Event) -> None:
        wake.set()

    unsubscribe = app.store.subscribe(TOPIC, on_event)
    try:
        while True:
            wake.clear()
            try:
                await work(app)
            except Exception:
                log.exception("export pass failed")
            try:
                await asyncio.wait_for(wake.wait(), 5.0)
            except TimeoutError:
                pass
    finally:
        unsubscribe()
