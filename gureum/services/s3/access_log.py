"""S3 server access logging: each answered request on a bucket whose logging is enabled
(bucket_config.py's `logging`) becomes one line in AWS's access log format, and the lines are
delivered as objects to the target bucket under TargetPrefix, named
`<prefix>YYYY-mm-DD-HH-MM-SS-<unique>` (AWS's SimplePrefix key format; PartitionedPrefix:
`<prefix><account>/<region>/<bucket>/YYYY/mm/DD/YYYY-mm-DD-HH-MM-SS-<unique>`).

Like AWS's, delivery is best effort and delayed: lines wait in this node's memory (slot
ACCESS_LOGS) and the `s3-access-logs` component writes them every
`s3.access_log_flush_seconds`; lines of a node that dies before a flush are lost (AWS:
"server logs are delivered on a best-effort basis"). A bucket's logging configuration is read
through bucket_cache.py (AWS: a change takes effect within an hour), so requests on buckets
without logging cost no store read after the first.

A log object's own delivery is not logged. The line's fields: bucket owner (canonical id),
bucket, [time], remote IP, requester (ARN, or "-"), request id, operation
(REST.<METHOD>.<OBJECT|BUCKET|subresource>), key, "request URI", status, error code, bytes
sent, object size, total time (ms), turn-around time, "referer", "user agent", version id,
host id, signature version, cipher suite, auth type, host header, TLS version, access point
ARN, ACL required.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gureum.services.s3 import bucket_cache, model, storage
from gureum.services.s3.slots import ACCESS_LOGS

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.aws.dispatch import RequestContext
    from gureum.http.server import Response

log = logging.getLogger("gureum.s3.access_log")
_SUBRESOURCES = ("acl", "cors", "encryption", "lifecycle", "logging", "notification", "ownershipControls",
                 "policy", "policyStatus", "publicAccessBlock", "replication", "requestPayment", "tagging",
                 "versioning", "versions", "website", "uploads", "uploadId", "accelerate", "analytics",
                 "inventory", "metrics", "intelligent-tiering", "location", "delete", "abac")


@dataclass
class Buffer:
    """This node's undelivered lines by (target bucket, key prefix)."""

    lines: dict[tuple[str, str], list[str]] = field(default_factory=dict)


def _owner_id(account: str) -> str:
    return hashlib.sha256(f"gureum-owner-{account}".encode()).hexdigest()


def operation_name(method: str, key: str, query: list[tuple[str, str]]) -> str:
    names = [k for k, _ in query]
    sub = next((s for s in _SUBRESOURCES if s in names), None)
    if sub is not None:
        return f"REST.{method}.{sub.upper().replace('-', '_')}"
    return f"REST.{method}.{'OBJECT' if key else 'BUCKET'}"


def line(ctx: RequestContext, bucket: dict[str, Any], key: str, response: Response, error_code: str | None,
         now: float) -> str:
    request = ctx.request
    assert request is not None
    when = dt.datetime.fromtimestamp(now, dt.UTC).strftime("[%d/%b/%Y:%H:%M:%S +0000]")
    uri = request.raw_path + (f"?{request.query_string}" if request.query_string else "")
    length = response.content_length if response.content_length is not None else (
        len(response.body) if isinstance(response.body, bytes) else 0)
    headers = request.headers
    fields = [
        _owner_id(bucket["account"]), bucket["name"], when, request.client[0], ctx.principal_arn or "-",
        ctx.request_id, operation_name(request.method, key, request.query), key or "-",
        f'"{request.method} {uri} HTTP/1.1"', str(response.status), error_code or "-", str(length or "-"), "-",
        "-", "-", f'"{headers.get("referer") or "-"}"', f'"{headers.get("user-agent") or "-"}"', "-",
        ctx.request_id, "SigV4" if ctx.access_key_id else "-", "-",
        "AuthHeader" if headers.get("authorization") else "QueryString", request.host or "-", "-", "-", "-",
    ]
    return " ".join(fields)


async def record(ctx: RequestContext, name: str, key: str, response: Response, error_code: str | None) -> None:
    """Buffer the log line of a request on bucket `name` (object `key`, or "") when the bucket
    logs (its configuration cached a while)."""
    app = ctx.app
    bucket = await bucket_cache.bucket(app, name)
    if not bucket or not bucket.get("logging"):
        return
    buf = app.parts.lazy(ACCESS_LOGS, Buffer)
    now = time.time()
    target = bucket["logging"]
    prefix = target.get("TargetPrefix") or ""
    partitioned = (target.get("TargetObjectKeyFormat") or {}).get("PartitionedPrefix") is not None
    if partitioned:
        prefix += f"{bucket['account']}/{bucket['region']}/{name}/{{date}}/"
    buf.lines.setdefault((target["TargetBucket"], prefix), []).append(line(ctx, bucket, key, response,
                                                                          error_code, now))


async def flush(app: App) -> int:
    """Write every buffered line to its target bucket; returns how many objects were written."""
    buf = app.parts.lazy(ACCESS_LOGS, Buffer)
    pending, buf.lines = buf.lines, {}
    written = 0
    for (target, prefix), lines in pending.items():
        data = ("\n".join(lines) + "\n").encode()
        now = dt.datetime.now(dt.UTC)
        stamp = now.strftime("%Y-%m-%d-%H-%M-%S")
        key = prefix.replace("{date}", now.strftime("%Y/%m/%d")) + f"{stamp}-{secrets.token_hex(8).upper()}"
        digest = await storage.blobs(app).put_bytes(data)
        obj = {"key": key, "mtime": time.time(), "ctype": "text/plain", "meta": {}, "hdrs": {}, "sc": "STANDARD",
               "tags": {}, "size": len(data), "etag": f'"{hashlib.md5(data).hexdigest()}"',  # noqa: S324
               "blobs": [[digest, len(data)]], "cks": {}, "ckt": None}

        def write(t: Any, target: str = target, obj: dict[str, Any] = obj) -> bool:
            b = t.get(model.BUCKETS, target)
            if b is None:
                return False
            model.put_object(t, target, b["account"], obj)
            return True

        if await app.store.run(write):
            written += 1
        else:
            log.info("s3: access log target bucket %s is gone; %d lines dropped", target, len(lines))
    return written


async def run(app: App) -> None:
    """The `s3-access-logs` component: deliver buffered lines every s3.access_log_flush_seconds."""
    from gureum.services.s3.settings import S3Settings

    settings = app.settings(S3Settings)
    app.every(settings.access_log_flush_seconds, lambda: flush(app), name="s3-access-logs")
