"""CloudWatch Logs state: log groups, streams and events, and the rules around them.

Store tables (keys start with "<account>/<region>/"; \\x1f separates names):
  logs.groups   "<acct>/<region>/<group>"                     -> group doc
  logs.streams  "<acct>/<region>/<group>\\x1f<stream>"          -> stream doc
  logs.events   "<acct>/<region>/<group>\\x1f<stream>\\x1f<ts:013d>.<seq>" -> {t, m, i}
Everything here is synchronous and runs inside one store transaction.
A group doc carries "deletionProtectionEnabled" (false unless CreateLogGroup or
PutLogGroupDeletionProtection set it); DeleteLogGroup is refused while it is true.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError, clip
from gureum.services.logs import group_extras, transformers
from gureum.store import Txn

GROUPS = "logs.groups"
STREAMS = "logs.streams"
EVENTS = "logs.events"
SEP = "\x1f"
RETENTION_DAYS = {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
GROUP_PATTERN = r"[\.\-_/#A-Za-z0-9]+"  # the model's LogGroupName and LogStreamName patterns
STREAM_PATTERN = r"[^:*]*"
_GROUP_RE = re.compile(r"^[\.\-_/#A-Za-z0-9]{1,512}$")
MAX_BATCH_EVENTS = 10000
MAX_BATCH_BYTES = 1048576


def _invalid_name(value: str, member: str, pattern: str) -> AwsError:
    """A name that reached the model without the wire layer's check (the awslogs driver's
    group, Lambda's log agent) refused in the words the wire layer uses for CreateLogGroup."""
    if not value:
        rule = "Member must have length greater than or equal to 1"
    elif len(value) > 512:
        rule = "Member must have length less than or equal to 512"
    else:
        rule = f"Member must satisfy regular expression pattern: {pattern}"
    return AwsError.modeled("logs", "InvalidParameterException", f"1 validation error detected: Value '{clip(value)}' at "
                            f"'{member}' failed to satisfy constraint: {rule}")


def group_key(account: str, region: str, group: str) -> str:
    return f"{account}/{region}/{group}"


def stream_key(account: str, region: str, group: str, stream: str) -> str:
    return f"{account}/{region}/{group}{SEP}{stream}"


def group_arn(account: str, region: str, group: str) -> str:
    return arns.logs_group(region, account, group)


def now_ms() -> int:
    return int(time.time() * 1000)


def create_group(txn: Txn, account: str, region: str, group: str, tags: dict[str, str] | None = None, *, exist_ok: bool = False,
                 deletion_protection: bool = False) -> dict[str, Any]:
    if not _GROUP_RE.match(group):
        raise _invalid_name(group, "logGroupName", GROUP_PATTERN)
    key = group_key(account, region, group)
    doc = txn.get(GROUPS, key)
    if doc is not None:
        if exist_ok:
            return doc
        raise AwsError.modeled("logs", "ResourceAlreadyExistsException", "The specified log group already exists")
    arn = group_arn(account, region, group)
    doc = {
        "logGroupName": group,
        "creationTime": now_ms(),
        "metricFilterCount": 0,
        "arn": arn + ":*",
        "logGroupArn": arn,
        "storedBytes": 0,
        "logGroupClass": "STANDARD",
        "deletionProtectionEnabled": deletion_protection,
        "tags": dict(tags or {}),
    }
    txn.put(GROUPS, key, doc)
    return doc


def get_group(txn: Txn, account: str, region: str, group: str) -> dict[str, Any]:
    doc = txn.get(GROUPS, group_key(account, region, group))
    if doc is None:
        raise AwsError.modeled("logs", "ResourceNotFoundException", "The specified log group does not exist.")
    return doc


def create_stream(txn: Txn, account: str, region: str, group: str, stream: str, *, exist_ok: bool = False) -> dict[str, Any]:
    g = get_group(txn, account, region, group)
    if not stream or ":" in stream or "*" in stream or len(stream) > 512:
        raise _invalid_name(stream, "logStreamName", STREAM_PATTERN)
    key = stream_key(account, region, group, stream)
    doc = txn.get(STREAMS, key)
    if doc is not None:
        if exist_ok:
            return doc
        raise AwsError.modeled("logs", "ResourceAlreadyExistsException", "The specified log stream already exists")
    doc = {
        "logStreamName": stream,
        "creationTime": now_ms(),
        "arn": f"{g['logGroupArn']}:log-stream:{stream}",
        "storedBytes": 0,
        "seq": 0,
    }
    txn.put(STREAMS, key, doc)
    return doc


def put_events(
    txn: Txn, account: str, region: str, group: str, stream: str, events: list[tuple[int, str]], *, create: bool = False
) -> dict[str, Any]:
    """Append events (timestamp ms, message) to a stream; `create` makes group and stream
    if missing (what Lambda's log agent does). Returns the stream doc."""
    if create:
        create_group(txn, account, region, group, exist_ok=True)
        doc = create_stream(txn, account, region, group, stream, exist_ok=True)
    else:
        get_group(txn, account, region, group)
        found = txn.get(STREAMS, stream_key(account, region, group, stream))
        if found is None:
            raise AwsError.modeled("logs", "ResourceNotFoundException", "The specified log stream does not exist.")
        doc = found
    skey = stream_key(account, region, group, stream)
    ingest = now_ms()
    seq = int(doc.get("seq", 0))
    size = 0
    config = transformers.config_of(txn, account, region, group)
    for ts, message in events:
        seq += 1
        ev: dict[str, Any] = {"t": ts, "m": message, "i": ingest}
        if config and (x := transformers.transform_event(config, message, account, region, group, stream)) is not None:
            ev["x"] = x  # the transformed version (transformers.py)
        txn.put(EVENTS, f"{skey}{SEP}{ts:013d}.{seq:010d}", ev)
        size += len(message.encode()) + 26
    if events:
        first = min(ts for ts, _ in events)
        last = max(ts for ts, _ in events)
        doc["firstEventTimestamp"] = min(doc.get("firstEventTimestamp", first), first)
        doc["lastEventTimestamp"] = max(doc.get("lastEventTimestamp", last), last)
        doc["lastIngestionTime"] = ingest
        doc["bytes"] = int(doc.get("bytes", 0)) + size  # AWS reports a stream's storedBytes as 0 (deprecated)
    doc["seq"] = seq
    doc["uploadSequenceToken"] = f"{seq:056d}"
    txn.put(STREAMS, skey, doc)
    return doc


def stream_view(doc: dict[str, Any]) -> dict[str, Any]:
    """A stream as DescribeLogStreams shows it: storedBytes is always 0, as AWS has reported
    it for streams since it deprecated the member (the stream's bytes are kept as "bytes")."""
    out = {k: v for k, v in doc.items() if k not in ("seq", "bytes")}
    out["storedBytes"] = 0
    return out


# What DescribeLogGroups leaves out when it matches by logGroupNamePattern (as AWS does).
PATTERN_OMITS = ("storedBytes", "deletionProtectionEnabled")


def group_view(doc: dict[str, Any], *, by_pattern: bool = False) -> dict[str, Any]:
    """A group as DescribeLogGroups shows it (deletionProtectionEnabled false on groups
    stored before it was kept)."""
    out = {k: v for k, v in doc.items() if k != "tags"}
    out.setdefault("deletionProtectionEnabled", False)
    if by_pattern:
        for k in PATTERN_OMITS:
            out.pop(k, None)
    return out


def set_deletion_protection(txn: Txn, account: str, region: str, group: str, enabled: bool) -> None:
    """PutLogGroupDeletionProtection."""
    doc = get_group(txn, account, region, group)
    doc["deletionProtectionEnabled"] = enabled
    txn.put(GROUPS, group_key(account, region, group), doc)


def delete_group(txn: Txn, account: str, region: str, group: str) -> None:
    """DeleteLogGroup: refused while the group's deletion protection is on."""
    if get_group(txn, account, region, group).get("deletionProtectionEnabled"):
        raise AwsError.modeled("logs", "ValidationException",
                               "Cannot delete log group with deletion protection enabled. Disable deletion protection first.")
    key = group_key(account, region, group)
    txn.delete(GROUPS, key)
    txn.delete_prefix(STREAMS, key + SEP)
    txn.delete_prefix(EVENTS, key + SEP)
    group_extras.drop(txn, key)


def delete_stream(txn: Txn, account: str, region: str, group: str, stream: str) -> None:
    get_group(txn, account, region, group)
    key = stream_key(account, region, group, stream)
    if not txn.delete(STREAMS, key):
        raise AwsError.modeled("logs", "ResourceNotFoundException", "The specified log stream does not exist.")
    txn.delete_prefix(EVENTS, key + SEP)


def expire(txn: Txn, account_region_prefix: str = "", retention: Callable[[Txn, str, dict[str, Any]], int | None] | None = None) -> int:
    """Delete events older than their group's retention (`retention(txn, group key, group
    doc)` when given: an account retention policy may override the group's); returns how many."""
    removed = 0
    now = now_ms()
    for gkey, g in txn.scan(GROUPS, account_region_prefix):
        days = retention(txn, gkey, g) if retention is not None else g.get("retentionInDays")
        if not days:
            continue
        cutoff = now - int(days) * 86400 * 1000
        for skey, _ in txn.scan(STREAMS, gkey + SEP):
            for ekey, ev in txn.scan(EVENTS, skey + SEP, limit=10000):
                if ev["t"] >= cutoff:
                    break
                txn.delete(EVENTS, ekey)
                removed += 1
    return removed
