"""CloudWatch Logs operations (json protocol): thin handlers over model.py."""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from gureum.aws import arn as arns
from gureum.aws import paging, tags
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.logs import (
    destinations,
    ingest,
    masking,
    metric_filters,
    model,
    policies,
    resource_tags,
    subscriptions,
)
from gureum.services.logs.model import EVENTS, GROUPS, SEP, STREAMS
from gureum.services.logs.patterns import PatternError, compile_pattern

DEFAULT_LIMIT = 10000
PAGE_GROUPS = 50


def _bad_token() -> AwsError:
    return AwsError.modeled("logs", "InvalidParameterException", "The specified nextToken is invalid.")


def _invalid(message: str) -> AwsError:
    return AwsError.modeled("logs", "InvalidParameterException", message)


# Tags: a bad key or value is InvalidParameterException, more than 50 TooManyTagsException
# (TagResource; the older TagLogGroup answers InvalidParameterException for both).
TAG_RULES = tags.Rules(invalid=_invalid, too_many=lambda m: AwsError.modeled("logs", "TooManyTagsException", m),
                       too_many_message="A resource can have no more than {max} tags.")
OLD_TAG_RULES = replace(TAG_RULES, too_many=None)


def _group_name(params: dict[str, Any]) -> str:
    if params.get("logGroupName") and params.get("logGroupIdentifier"):
        raise AwsError.modeled("logs", "ValidationException", "LogGroup name and LogGroup ARN are mutually exclusive parameters.")
    name = params.get("logGroupName") or params.get("logGroupIdentifier")
    if not name:
        raise AwsError.modeled(
            "logs", "InvalidParameterException", "Either logGroupName or logGroupIdentifier must be specified."
        )
    if arns.looks_like_arn(name):
        name = _group_from_arn(name)
    return name


@operation("logs", "CreateLogGroup")
async def create_log_group(ctx: RequestContext, params: dict[str, Any]) -> None:
    new_tags = tags.apply({}, tags.check(params.get("tags") or {}, TAG_RULES), (), TAG_RULES) if params.get("tags") else None
    protect = bool(params.get("deletionProtectionEnabled"))
    await ctx.app.store.run(lambda t: model.create_group(t, ctx.account_id, ctx.region, params["logGroupName"], new_tags,
                                                         deletion_protection=protect))


@operation("logs", "PutLogGroupDeletionProtection")
async def put_log_group_deletion_protection(ctx: RequestContext, params: dict[str, Any]) -> None:
    group = _group_name(params)
    enabled = bool(params["deletionProtectionEnabled"])
    await ctx.app.store.run(lambda t: model.set_deletion_protection(t, ctx.account_id, ctx.region, group, enabled))


@operation("logs", "DeleteLogGroup")
async def delete_log_group(ctx: RequestContext, params: dict[str, Any]) -> None:
    def delete(txn: model.Txn) -> None:
        model.delete_group(txn, ctx.account_id, ctx.region, params["logGroupName"])
        metric_filters.drop_group(txn, ctx.account_id, ctx.region, params["logGroupName"])
        subscriptions.drop_group(txn, ctx.account_id, ctx.region, params["logGroupName"])
        masking.drop_group(txn, ctx.account_id, ctx.region, params["logGroupName"])
        policies.drop_group(txn, ctx.account_id, ctx.region, params["logGroupName"])

    await ctx.app.store.run(delete)


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
        raise AwsError.modeled(
            "logs",
            "InvalidParameterException",
            f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: {sorted(model.RETENTION_DAYS)}",
        )

    def put(txn: model.Txn) -> None:
        g = model.get_group(txn, ctx.account_id, ctx.region, params["logGroupName"])
        g["retentionInDays"] = days
        txn.put(GROUPS, model.group_key(ctx.account_id, ctx.region, params["logGroupName"]), g)
        model.expire(txn, model.group_key(ctx.account_id, ctx.region, params["logGroupName"]), retention=policies.retention_of)

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
    if prefix and pattern:
        raise _invalid("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")

    def read(txn: model.Txn) -> tuple[list[dict[str, Any]], str | None]:
        rows, token = paging.page(
            txn, GROUPS, base + prefix, token=params.get("nextToken"), limit=params.get("limit"), default_limit=PAGE_GROUPS,
            max_limit=PAGE_GROUPS, keep=(lambda g: pattern.lower() in g["logGroupName"].lower()) if pattern else None,
            filters={"logGroupNamePattern": pattern}, error=_bad_token)
        # an account retention policy shows in its groups (policies.py)
        return [policies.with_account_retention(txn, k, model.group_view(g, by_pattern=pattern is not None))
                for k, g in rows], token

    views, token = await ctx.app.store.read(read)
    out: dict[str, Any] = {"logGroups": views}
    if token:
        out["nextToken"] = token
    return out


@operation("logs", "DescribeLogStreams")
async def describe_log_streams(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    group = _group_name(params)
    gkey = model.group_key(ctx.account_id, ctx.region, group)
    order = params.get("orderBy") or "LogStreamName"
    if order == "LastEventTime" and params.get("logStreamNamePrefix"):
        raise AwsError.modeled(
            "logs", "InvalidParameterException", "Cannot order by LastEventTime with a logStreamNamePrefix."
        )
    prefix = gkey + SEP + (params.get("logStreamNamePrefix") or "")
    descending = bool(params.get("descending"))
    by_name = order != "LastEventTime"

    def read(txn: model.Txn) -> tuple[list[dict[str, Any]], str | None]:
        model.get_group(txn, ctx.account_id, ctx.region, group)
        if by_name and not descending:  # the store's own order: a range scan from the token's key
            rows, nxt = paging.page(txn, STREAMS, prefix, token=params.get("nextToken"), limit=params.get("limit"),
                                    default_limit=50, max_limit=50, filters={"orderBy": order}, error=_bad_token)
            return [s for _, s in rows], nxt
        # by last event time, or names high to low: sorted in memory, paged by a key token
        streams = [s for _, s in txn.scan(STREAMS, prefix)]
        key: Callable[[dict[str, Any]], paging.Sortable] = (
            (lambda s: s["logStreamName"]) if by_name else (lambda s: (s.get("lastEventTimestamp", 0), s["logStreamName"])))
        streams.sort(key=key, reverse=descending)
        return paging.page_items(streams, key, listing=f"{STREAMS}/{prefix}", token=params.get("nextToken"), limit=params.get("limit"),
                                 default_limit=50, max_limit=50, descending=descending, filters={"orderBy": order},
                                 error=_bad_token)

    page, token = await ctx.app.store.read(read)
    out: dict[str, Any] = {"logStreams": [model.stream_view(s) for s in page]}
    if token:
        out["nextToken"] = token
    return out


@operation("logs", "PutLogEvents")
async def put_log_events(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    events = params["logEvents"]
    if len(events) > model.MAX_BATCH_EVENTS:
        raise AwsError.modeled(
            "logs",
            "InvalidParameterException",
            "1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to 10000",
        )
    size = sum(len(e["message"].encode()) + 26 for e in events)
    if size > model.MAX_BATCH_BYTES:
        raise AwsError.modeled(
            "logs",
            "InvalidParameterException",
            "Log events in a single PutLogEvents request must be smaller than 1048576 bytes",
        )
    now = model.now_ms()
    stamps = [int(e["timestamp"]) for e in events]
    if stamps != sorted(stamps):
        raise AwsError.modeled(
            "logs",
            "InvalidParameterException",
            "Log events in a single PutLogEvents request must be in chronological order.",
        )
    too_new = [i for i, ts in enumerate(stamps) if ts > now + 2 * 3600 * 1000]
    too_old = [i for i, ts in enumerate(stamps) if ts < now - 14 * 86400 * 1000]
    accepted = [(ts, e["message"]) for i, (ts, e) in enumerate(zip(stamps, events, strict=True)) if i not in too_new and i not in too_old]

    def put(txn: model.Txn) -> dict[str, Any]:
        g = model.get_group(txn, ctx.account_id, ctx.region, params["logGroupName"])
        days = policies.retention_of(txn, model.group_key(ctx.account_id, ctx.region, params["logGroupName"]), g)
        keep = accepted
        expired: list[int] = []
        if days:
            cutoff = now - int(days) * 86400 * 1000
            expired = [i for i, ts in enumerate(stamps) if ts < cutoff]
            keep = [(ts, m) for ts, m in accepted if ts >= cutoff]
        doc = ingest.put_events(txn, ctx.account_id, ctx.region, params["logGroupName"], params["logStreamName"], keep)
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
    # AWS's sequence tokens: "f/" or "b/" and a key token of gureum.aws.paging (the event key
    # the next page starts after, or before, in this stream's range of EVENTS)
    binding = paging.bind(EVENTS, skey + SEP)
    pos = None
    if tok:
        if not tok.startswith(("f/", "b/")):
            raise _bad_token()
        try:
            pos = paging.decode(binding, tok[2:])
        except paging.BadToken:
            raise _bad_token() from None
        if not pos.startswith(skey + SEP):
            raise _bad_token()
    start, end = params.get("startTime"), params.get("endTime")

    def read(txn: model.Txn) -> list[tuple[str, dict[str, Any]]]:
        model.get_group(txn, ctx.account_id, ctx.region, group)
        if txn.get(STREAMS, skey) is None:
            raise AwsError.modeled("logs", "ResourceNotFoundException", "The specified log stream does not exist.")
        lo = skey + SEP + (f"{start:013d}" if start is not None else "")
        hi = skey + SEP + (f"{end:013d}" if end is not None else "\x7f")
        if forward:
            rows = txn.scan(EVENTS, skey + SEP, start=(pos + "\x00") if pos else lo, end=hi, limit=limit)
        else:
            rows = txn.scan(EVENTS, skey + SEP, start=lo, end=pos if pos else hi, limit=limit, reverse=True)
            rows.reverse()
        return rows

    unmask = bool(params.get("unmask"))
    if unmask:
        await masking.authorize_unmask(ctx, group)
    rows = await ctx.app.store.read(read)
    events = [{"timestamp": e["t"], "message": e["m"] if unmask else masking.masked(e["m"], e.get("k")),
               "ingestionTime": e["i"]} for _, e in rows]
    first = rows[0][0] if rows else pos
    last = rows[-1][0] if rows else pos
    return {
        "events": events,
        "nextForwardToken": "f/" + paging.encode(binding, last or skey + SEP),
        "nextBackwardToken": "b/" + paging.encode(binding, first or skey + SEP + "\x7f"),
    }


def compile_filter(pattern: str | None) -> Callable[[str], bool]:
    """The predicate for a CloudWatch filter pattern (gureum.services.logs.patterns)."""
    try:
        return compile_pattern(pattern)
    except (PatternError, re.error):
        raise AwsError.modeled("logs", "InvalidParameterException", "Invalid filter pattern") from None


@operation("logs", "FilterLogEvents")
async def filter_log_events(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    group = _group_name(params)
    gkey = model.group_key(ctx.account_id, ctx.region, group)
    names = params.get("logStreamNames")
    prefix = params.get("logStreamNamePrefix")
    if names and prefix:
        raise AwsError.modeled(
            "logs", "InvalidParameterException", "logStreamNames and logStreamNamePrefix are mutually exclusive"
        )
    limit = min(params.get("limit") or DEFAULT_LIMIT, DEFAULT_LIMIT)
    start, end = params.get("startTime"), params.get("endTime")
    match = compile_filter(params.get("filterPattern"))
    unmask = bool(params.get("unmask"))
    if unmask:
        await masking.authorize_unmask(ctx, group)

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
                message = e["m"] if unmask else masking.masked(e["m"], e.get("k"))  # matched as shown
                if _in_range(e["t"], start, end) and match(message):
                    eid = f"{e['t']:013d}{ekey.rsplit('.', 1)[1]}{zlib.crc32(name.encode()) % 10**6:06d}"
                    out.append({"logStreamName": name, "timestamp": e["t"], "message": message, "ingestionTime": e["i"], "eventId": eid})
        out.sort(key=lambda e: (e["timestamp"], e["eventId"]))
        return out

    # events merged from several streams in time order: the documented in-memory fallback of
    # gureum.aws.paging, resuming after the (timestamp, eventId) the token carries
    events = await ctx.app.store.read(read)
    filters = {k: params.get(k) for k in ("logStreamNames", "logStreamNamePrefix", "startTime", "endTime", "filterPattern")}
    page, token = paging.page_items(events, lambda e: (e["timestamp"], e["eventId"]), listing=f"{EVENTS}/{gkey}",
                                    token=params.get("nextToken"), limit=limit, default_limit=DEFAULT_LIMIT, filters=filters,
                                    error=_bad_token)
    out: dict[str, Any] = {"events": page, "searchedLogStreams": []}
    if token:
        out["nextToken"] = token
    return out


class _GroupTags:
    """Logs keeps a group's tags as a {key: value} dict in its GROUPS doc ("tags")."""

    def __init__(self, ctx: RequestContext, group: str) -> None:
        self.account, self.region, self.group = ctx.account_id, ctx.region, group

    def read(self, txn: model.Txn) -> dict[str, str]:
        return dict(model.get_group(txn, self.account, self.region, self.group).get("tags") or {})

    def write(self, txn: model.Txn, new: dict[str, str]) -> None:
        g = model.get_group(txn, self.account, self.region, self.group)
        g["tags"] = new
        txn.put(GROUPS, model.group_key(self.account, self.region, self.group), g)


@operation("logs", "TagLogGroup")
async def tag_log_group(ctx: RequestContext, params: dict[str, Any]) -> None:
    await ctx.app.store.run(lambda t: tags.tag(t, _GroupTags(ctx, params["logGroupName"]), params["tags"], OLD_TAG_RULES))


@operation("logs", "UntagLogGroup")
async def untag_log_group(ctx: RequestContext, params: dict[str, Any]) -> None:
    await ctx.app.store.run(lambda t: tags.untag(t, _GroupTags(ctx, params["logGroupName"]), params["tags"], OLD_TAG_RULES))


@operation("logs", "ListTagsLogGroup")
async def list_tags_log_group(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"tags": await ctx.app.store.read(lambda t: tags.list_tags(t, _GroupTags(ctx, params["logGroupName"])))}


def _group_from_arn(arn: str) -> str:
    try:
        return arns.logs_group_parts(arn)[2]
    except arns.BadArn:
        return arn  # names no group: the lookup answers ResourceNotFoundException


def _place(ctx: RequestContext, arn: str) -> tags.Place:
    """Where the tags of the resource `arn` names live (a log group or a destination)."""
    if destinations.is_destination_arn(arn):
        return destinations.Tags(arn, ctx.account_id, ctx.region)
    return resource_tags.place_for(ctx.account_id, ctx.region, arn) or _GroupTags(ctx, _group_from_arn(arn))


@operation("logs", "TagResource")
async def tag_resource(ctx: RequestContext, params: dict[str, Any]) -> None:
    place = _place(ctx, params["resourceArn"])
    await ctx.app.store.run(lambda t: tags.tag(t, place, params["tags"], TAG_RULES))


@operation("logs", "UntagResource")
async def untag_resource(ctx: RequestContext, params: dict[str, Any]) -> None:
    place = _place(ctx, params["resourceArn"])
    await ctx.app.store.run(lambda t: tags.untag(t, place, params["tagKeys"], TAG_RULES))


@operation("logs", "ListTagsForResource")
async def list_tags_for_resource(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    place = _place(ctx, params["resourceArn"])
    return {"tags": await ctx.app.store.read(lambda t: tags.list_tags(t, place))}
