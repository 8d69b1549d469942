"""CloudWatch Logs operations (json protocol): thin handlers over model.py."""

from __future__ import annotations

import base64
import json
import re
import zlib
from collections.abc import Callable
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.dispatch import RequestContext, operation
from gureum.services.logs import model
from gureum.services.logs.model import EVENTS, GROUPS, SEP, STREAMS
from gureum.services.logs.patterns import PatternError, compile_pattern

DEFAULT_LIMIT = 10000
PAGE_GROUPS = 50


def _token(doc: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode()


def _untoken(token: str | None) -> dict[str, Any] | None:
    if not token:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(token.split("/", 1)[-1].encode()))
    except ValueError:
        raise model.invalid("The specified nextToken is invalid.") from None


def _group_name(params: dict[str, Any]) -> str:
    name = params.get("logGroupName") or params.get("logGroupIdentifier")
    if not name:
        raise model.invalid("Either logGroupName or logGroupIdentifier must be specified.")
    if arns.looks_like_arn(name):
        name = _group_from_arn(name)
    return name


@operation("logs", "CreateLogGroup")
async def create_log_group(ctx: RequestContext, params: dict[str, Any]) -> None:
    await ctx.app.store.run(lambda t: model.create_group(t, ctx.account_id, ctx.region, params["logGroupName"], params.get("tags")))


@operation("logs", "DeleteLogGroup")
async def delete_log_group(ctx: RequestContext, params: dict[str, Any]) -> None:
    await ctx.app.store.run(lambda t: model.delete_group(t, ctx.account_id, ctx.region, params["logGroupName"]))


@operation("logs", "CreateLogStream")
async def create_log_stream(ctx: RequestContext, params: dict[str, Any]) -> None:
    await ctx.app.store.run(
        lambda t: model.create_stream(t, ctx.account_id, ctx.region, params["logGroupName"], params["logStreamName"])
    )


@operation("logs", "DeleteLogStream")
async def delete_log_stream(ctx: RequestContext, params: dict[str, Any]) -> None:
    await ctx.app.store.run(
        lambda t: model.delete_stream(t, ctx.account_id, ctx.region, params["logGroupName"], params["logStreamName"])
    )


@operation("logs", "PutRetentionPolicy")
async def put_retention_policy(ctx: RequestContext, params: dict[str, Any]) -> None:
    days = params["retentionInDays"]
    if days not in model.RETENTION_DAYS:
        raise model.invalid(f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: {sorted(model.RETENTION_DAYS)}")

    def put(txn: model.Txn) -> None:
        g = model.get_group(txn, ctx.account_id, ctx.region, params["logGroupName"])
        g["retentionInDays"] = days
        txn.put(GROUPS, model.group_key(ctx.account_id, ctx.region, params["logGroupName"]), g)
        model.expire(txn, model.group_key(ctx.account_id, ctx.region, params["logGroupName"]))

    await ctx.app.store.run(put)


@operation("logs", "DeleteRetentionPolicy")
async def delete_retention_policy(ctx: RequestContext, params: dict[str, Any]) -> None:
    def delete(txn: model.Txn) -> None:
        g = model.get_group(txn, ctx.account_id, ctx.region, params["logGroupName"])
        g.pop("retentionInDays", None)
        txn.put(GROUPS, model.group_key(ctx.account_id, ctx.region, params["logGroupName"]), g)

    await ctx.app.store.run(delete)


@operation("logs", "DescribeLogGroups")
async def describe_log_groups(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    base = f"{ctx.account_id}/{ctx.region}/"
    prefix = params.get("logGroupNamePrefix") or ""
    pattern = params.get("logGroupNamePattern")
    limit = min(params.get("limit") or PAGE_GROUPS, PAGE_GROUPS)
    tok = _untoken(params.get("nextToken"))
    start = tok["after"] + "\x00" if tok else None

    def read(txn: model.Txn) -> list[tuple[str, dict[str, Any]]]:
        rows = txn.scan(GROUPS, base + prefix, start=start, limit=limit + 1 if not pattern else None)
        if pattern:
            rows = [(k, g) for k, g in rows if pattern.lower() in g["logGroupName"].lower()][: limit + 1]
        return rows

    rows = await ctx.app.store.read(read)
    out: dict[str, Any] = {"logGroups": [model.group_view(g) for _, g in rows[:limit]]}
    if len(rows) > limit:
        out["nextToken"] = _token({"after": rows[limit - 1][0]})
    return out


@operation("logs", "DescribeLogStreams")
async def describe_log_streams(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    group = _group_name(params)
    gkey = model.group_key(ctx.account_id, ctx.region, group)
    order = params.get("orderBy") or "LogStreamName"
    if order == "LastEventTime" and params.get("logStreamNamePrefix"):
        raise model.invalid("Cannot order by LastEventTime with a logStreamNamePrefix.")
    limit = min(params.get("limit") or 50, 50)
    offset = int((_untoken(params.get("nextToken")) or {}).get("offset", 0))

    def read(txn: model.Txn) -> list[dict[str, Any]]:
        model.get_group(txn, ctx.account_id, ctx.region, group)
        return [s for _, s in txn.scan(STREAMS, gkey + SEP + (params.get("logStreamNamePrefix") or ""))]

    streams = await ctx.app.store.read(read)
    if order == "LastEventTime":
        streams.sort(key=lambda s: s.get("lastEventTimestamp", 0))
    if params.get("descending"):
        streams.reverse()
    page = streams[offset : offset + limit]
    out: dict[str, Any] = {"logStreams": [model.stream_view(s) for s in page]}
    if offset + limit < len(streams):
        out["nextToken"] = _token({"offset": offset + limit})
    return out


@operation("logs", "PutLogEvents")
async def put_log_events(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    events = params["logEvents"]
    if len(events) > model.MAX_BATCH_EVENTS:
        raise model.invalid("1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to 10000")
    size = sum(len(e["message"].encode()) + 26 for e in events)
    if size > model.MAX_BATCH_BYTES:
        raise model.invalid("Log events in a single PutLogEvents request must be smaller than 1048576 bytes")
    now = model.now_ms()
    stamps = [int(e["timestamp"]) for e in events]
    if stamps != sorted(stamps):
        raise model.invalid("Log events in a single PutLogEvents request must be in chronological order.")
    too_new = [i for i, ts in enumerate(stamps) if ts > now + 2 * 3600 * 1000]
    too_old = [i for i, ts in enumerate(stamps) if ts < now - 14 * 86400 * 1000]
    accepted = [(ts, e["message"]) for i, (ts, e) in enumerate(zip(stamps, events, strict=True)) if i not in too_new and i not in too_old]

    def put(txn: model.Txn) -> dict[str, Any]:
        g = model.get_group(txn, ctx.account_id, ctx.region, params["logGroupName"])
        days = g.get("retentionInDays")
        keep = accepted
        expired: list[int] = []
        if days:
            cutoff = now - int(days) * 86400 * 1000
            expired = [i for i, ts in enumerate(stamps) if ts < cutoff]
            keep = [(ts, m) for ts, m in accepted if ts >= cutoff]
        doc = model.put_events(txn, ctx.account_id, ctx.region, params["logGroupName"], params["logStreamName"], keep)
        out: dict[str, Any] = {"nextSequenceToken": doc["uploadSequenceToken"]}
        info: dict[str, Any] = {}
        if too_new:
            info["tooNewLogEventStartIndex"] = too_new[0]
        if too_old:
            info["tooOldLogEventEndIndex"] = too_old[-1]
        if expired:
            info["expiredLogEventEndIndex"] = expired[-1]
        if info:
            out["rejectedLogEventsInfo"] = info
        return out

    return await ctx.app.store.run(put)


def _in_range(ts: int, start: int | None, end: int | None) -> bool:
    return (start is None or ts >= start) and (end is None or ts < end)


@operation("logs", "GetLogEvents")
async def get_log_events(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    group = _group_name(params)
    skey = model.stream_key(ctx.account_id, ctx.region, group, params["logStreamName"])
    limit = min(params.get("limit") or DEFAULT_LIMIT, DEFAULT_LIMIT)
    tok = params.get("nextToken") or ""
    forward = tok.startswith("f/") or (not tok and bool(params.get("startFromHead")))
    pos = (_untoken(tok) or {}).get("k") if tok else None
    start, end = params.get("startTime"), params.get("endTime")

    def read(txn: model.Txn) -> list[tuple[str, dict[str, Any]]]:
        model.get_group(txn, ctx.account_id, ctx.region, group)
        if txn.get(STREAMS, skey) is None:
            raise model.not_found("The specified log stream does not exist.")
        lo = skey + SEP + (f"{start:013d}" if start is not None else "")
        hi = skey + SEP + (f"{end:013d}" if end is not None else "\x7f")
        if forward:
            rows = txn.scan(EVENTS, skey + SEP, start=(pos + "\x00") if pos else lo, end=hi, limit=limit)
        else:
            rows = txn.scan(EVENTS, skey + SEP, start=lo, end=pos if pos else hi, limit=limit, reverse=True)
            rows.reverse()
        return rows

    rows = await ctx.app.store.read(read)
    events = [{"timestamp": e["t"], "message": e["m"], "ingestionTime": e["i"]} for _, e in rows]
    first = rows[0][0] if rows else pos
    last = rows[-1][0] if rows else pos
    return {
        "events": events,
        "nextForwardToken": "f/" + _token({"k": last or skey + SEP}),
        "nextBackwardToken": "b/" + _token({"k": first or skey + SEP + "\x7f"}),
    }


def compile_filter(pattern: str | None) -> Callable[[str], bool]:
    """The predicate for a CloudWatch filter pattern (gureum.services.logs.patterns)."""
    try:
        return compile_pattern(pattern)
    except (PatternError, re.error):
        raise model.invalid("Invalid filter pattern") from None


@operation("logs", "FilterLogEvents")
async def filter_log_events(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    group = _group_name(params)
    gkey = model.group_key(ctx.account_id, ctx.region, group)
    names = params.get("logStreamNames")
    prefix = params.get("logStreamNamePrefix")
    if names and prefix:
        raise model.invalid("logStreamNames and logStreamNamePrefix are mutually exclusive")
    limit = min(params.get("limit") or DEFAULT_LIMIT, DEFAULT_LIMIT)
    start, end = params.get("startTime"), params.get("endTime")
    match = compile_filter(params.get("filterPattern"))
    after = (_untoken(params.get("nextToken")) or {}).get("after")

    def read(txn: model.Txn) -> list[dict[str, Any]]:
        model.get_group(txn, ctx.account_id, ctx.region, group)
        out = []
        for skey, s in txn.scan(STREAMS, gkey + SEP + (prefix or "")):
            name = s["logStreamName"]
            if names and name not in names:
                continue
            if start is not None and s.get("lastEventTimestamp", 0) < start:
                continue
            for ekey, e in txn.scan(EVENTS, skey + SEP):
                if _in_range(e["t"], start, end) and match(e["m"]):
                    eid = f"{e['t']:013d}{ekey.rsplit('.', 1)[1]}{zlib.crc32(name.encode()) % 10**6:06d}"
                    out.append({"logStreamName": name, "timestamp": e["t"], "message": e["m"], "ingestionTime": e["i"], "eventId": eid})
        out.sort(key=lambda e: (e["timestamp"], e["eventId"]))
        return out

    events = await ctx.app.store.read(read)
    if after:
        events = [e for e in events if (e["timestamp"], e["eventId"]) > (after[0], after[1])]
    page = events[:limit]
    out: dict[str, Any] = {"events": page, "searchedLogStreams": []}
    if len(events) > limit:
        out["nextToken"] = _token({"after": [page[-1]["timestamp"], page[-1]["eventId"]]})
    return out


@operation("logs", "TagLogGroup")
async def tag_log_group(ctx: RequestContext, params: dict[str, Any]) -> None:
    await _tag(ctx, params["logGroupName"], params["tags"], [])


@operation("logs", "UntagLogGroup")
async def untag_log_group(ctx: RequestContext, params: dict[str, Any]) -> None:
    await _tag(ctx, params["logGroupName"], {}, params["tags"])


@operation("logs", "ListTagsLogGroup")
async def list_tags_log_group(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    g = await ctx.app.store.read(lambda t: model.get_group(t, ctx.account_id, ctx.region, params["logGroupName"]))
    return {"tags": g.get("tags") or {}}


def _group_from_arn(arn: str) -> str:
    try:
        return arns.logs_group_parts(arn)[2]
    except arns.BadArn:
        return arn  # names no group: the lookup answers ResourceNotFoundException


@operation("logs", "TagResource")
async def tag_resource(ctx: RequestContext, params: dict[str, Any]) -> None:
    await _tag(ctx, _group_from_arn(params["resourceArn"]), params["tags"], [])


@operation("logs", "UntagResource")
async def untag_resource(ctx: RequestContext, params: dict[str, Any]) -> None:
    await _tag(ctx, _group_from_arn(params["resourceArn"]), {}, params["tagKeys"])


@operation("logs", "ListTagsForResource")
async def list_tags_for_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = _group_from_arn(params["resourceArn"])
    g = await ctx.app.store.read(lambda t: model.get_group(t, ctx.account_id, ctx.region, name))
    return {"tags": g.get("tags") or {}}


async def _tag(ctx: RequestContext, group: str, add: dict[str, str], remove: list[str]) -> None:
    def tag(txn: model.Txn) -> None:
        g = model.get_group(txn, ctx.account_id, ctx.region, group)
        tags = g.setdefault("tags", {})
        tags.update(add)
        for k in remove:
            tags.pop(k, None)
        txn.put(GROUPS, model.group_key(ctx.account_id, ctx.region, group), g)

    await ctx.app.store.run(tag)
