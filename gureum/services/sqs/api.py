"""SQS operations (json protocol; form-encoded query requests are translated by
gureum.services.sqs.query). Thin: find the queue, call the engine, shape the output."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any
from urllib.parse import urlparse

from gureum.aws import arn as arns
from gureum.aws import paging, tags
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.public import public_url
from gureum.services.sqs import attributes as qattrs
from gureum.services.sqs import checksums, cw_metrics
from gureum.services.sqs.engine import Engine, Queue, attrs_for_output

_BATCH_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")
MAX_BATCH_BYTES = 1_048_576
# SQS answers every tag rule violation with InvalidParameterValue.
TAG_RULES = tags.Rules(invalid=lambda m: AwsError.modeled("sqs", "InvalidParameterValue", m))


def queue_url(ctx: RequestContext, q: Queue) -> str:
    return public_url(ctx.app, ctx.request, f"/{q.account}/{q.name}")


def _is_query(ctx: RequestContext) -> bool:
    """Did the request come in the query protocol (form or GET `Action=`), not json?"""
    return ctx.request is not None and not ctx.request.headers.get("x-amz-target")


def _no_queue(ctx: RequestContext) -> AwsError:
    """QueueDoesNotExist in the words of the protocol the request came in."""
    suffix = " for this wsdl version." if _is_query(ctx) else "."
    return AwsError.modeled("sqs", "QueueDoesNotExist", "The specified queue does not exist" + suffix)


async def _get(ctx: RequestContext, eng: Engine, account: str, name: str) -> Queue:
    try:
        return await eng.lookup(account, ctx.region, name)
    except AwsError as err:
        if err.code == "QueueDoesNotExist":
            raise _no_queue(ctx) from None
        raise


async def _queue(ctx: RequestContext, url: str) -> tuple[Engine, Queue]:
    eng = await Engine.of(ctx.app)
    parts = [p for p in urlparse(url).path.split("/") if p] if "/" in url else [url]
    if not parts:
        raise _no_queue(ctx)
    name = parts[-1]
    account = parts[-2] if len(parts) >= 2 and parts[-2].isdigit() else ctx.account_id
    return eng, await _get(ctx, eng, account, name)


# -- queues ----------------------------------------------------------------------------------

@operation("sqs", "CreateQueue")
async def create_queue(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    eng = await Engine.of(ctx.app)
    new_tags = tags.apply({}, tags.check(params.get("tags") or {}, TAG_RULES), (), TAG_RULES)
    q = await eng.create(ctx.account_id, ctx.region, params["QueueName"], params.get("Attributes") or {}, new_tags)
    return {"QueueUrl": queue_url(ctx, q)}


@operation("sqs", "GetQueueUrl")
async def get_queue_url(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    eng = await Engine.of(ctx.app)
    account = params.get("QueueOwnerAWSAccountId") or ctx.account_id
    q = await _get(ctx, eng, account, params["QueueName"])
    return {"QueueUrl": queue_url(ctx, q)}


@operation("sqs", "ListQueues")
async def list_queues(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    eng = await Engine.of(ctx.app)
    name_prefix = params.get("QueueNamePrefix") or ""
    queues = eng.list(ctx.account_id, ctx.region, name_prefix)  # the engine's in-memory index, by name
    limit = params.get("MaxResults")
    out: dict[str, Any] = {}
    if limit is not None and not 1 <= limit <= 1000:
        raise AwsError.modeled(
            "sqs",
            "InvalidParameterValue",
            f"Value {limit} for parameter MaxResults is invalid. Reason: MaxResults must be an "
            "integer between 1 and 1000.",
        )
    queues, token = paging.page_items(queues, lambda q: q.name, listing=f"sqs.queues/{ctx.account_id}/{ctx.region}/",
                                      token=params.get("NextToken"), limit=limit, default_limit=1000,
                                      filters={"QueueNamePrefix": name_prefix},
                                      error=lambda: AwsError.modeled("sqs", "InvalidParameterValue", "Invalid NextToken value."))
    if token and limit is not None:  # without MaxResults SQS returns at most 1,000 and no token
        out["NextToken"] = token
    if queues:
        out["QueueUrls"] = [queue_url(ctx, q) for q in queues]
    return out


@operation("sqs", "DeleteQueue")
async def delete_queue(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    eng, q = await _queue(ctx, params["QueueUrl"])
    await eng.delete(q)
    return {}


@operation("sqs", "PurgeQueue")
async def purge_queue(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    eng, q = await _queue(ctx, params["QueueUrl"])
    await eng.purge(q)
    return {}


@operation("sqs", "GetQueueAttributes")
async def get_queue_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _eng, q = await _queue(ctx, params["QueueUrl"])
    names = params.get("AttributeNames") or []
    for n in names:
        if n != "All" and n not in qattrs.ALL:
            raise AwsError.modeled("sqs", "InvalidAttributeName", f"Unknown Attribute {n}.")
    if not names:
        return {}
    everything = dict(q.attrs)
    visible, inflight, delayed = await _eng.counts(q)
    everything.update({
        "ApproximateNumberOfMessages": str(visible),
        "ApproximateNumberOfMessagesNotVisible": str(inflight),
        "ApproximateNumberOfMessagesDelayed": str(delayed),
        "CreatedTimestamp": str(q.created),
        "LastModifiedTimestamp": str(q.modified),
        "QueueArn": q.arn,
    })
    if q.fifo:
        everything["FifoQueue"] = "true"
    if "All" in names:
        return {"Attributes": everything}
    return {"Attributes": {n: everything[n] for n in names if n in everything}}


@operation("sqs", "SetQueueAttributes")
async def set_queue_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    eng, q = await _queue(ctx, params["QueueUrl"])
    attrs = dict(params.get("Attributes") or {})
    if q.fifo and "FifoQueue" in attrs:  # a standard queue knows no FifoQueue (the engine says so)
        if attrs.pop("FifoQueue").lower() != "true":
            raise AwsError.modeled(
                "sqs",
                "InvalidAttributeValue",
                "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.",
            )
    await eng.set_attributes(q, attrs)
    return {}


@operation("sqs", "TagQueue")
async def tag_queue(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    eng, q = await _queue(ctx, params["QueueUrl"])
    rules = replace(TAG_RULES, too_many_message="Too many tags added for queue " + q.name + ".")
    new = tags.apply(q.tags, tags.check(params.get("Tags") or {}, rules), (), rules)
    await eng.set_tags(q, new, [])
    return {}


@operation("sqs", "UntagQueue")
async def untag_queue(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    eng, q = await _queue(ctx, params["QueueUrl"])
    tags.refuse_system_removal(q.tags, params.get("TagKeys") or [], TAG_RULES)
    await eng.set_tags(q, {}, params.get("TagKeys") or [])
    return {}


@operation("sqs", "ListQueueTags")
async def list_queue_tags(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _, q = await _queue(ctx, params["QueueUrl"])
    return {"Tags": dict(q.tags)} if q.tags else {}


@operation("sqs", "ListDeadLetterSourceQueues")
async def list_dead_letter_source_queues(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    eng, q = await _queue(ctx, params["QueueUrl"])
    return {"queueUrls": [queue_url(ctx, s) for s in eng.dead_letter_sources(q)]}


@operation("sqs", "AddPermission")
async def add_permission(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    import json

    eng, q = await _queue(ctx, params["QueueUrl"])
    policy = json.loads(q.attrs.get("Policy") or '{"Version":"2012-10-17","Statement":[]}')
    label = params["Label"]
    if any(s.get("Sid") == label for s in policy.get("Statement", [])):
        raise AwsError.modeled(
            "sqs", "InvalidParameterValue", f"Value {label} for parameter Label is invalid. Reason: Already exists."
        )
    policy.setdefault("Id", q.arn + "/SQSDefaultPolicy")
    policy["Statement"].append({
        "Sid": label,
        "Effect": "Allow",
        "Principal": {"AWS": [arns.iam_root(a) for a in params["AWSAccountIds"]]},
        "Action": [f"SQS:{a}" for a in params["Actions"]],
        "Resource": q.arn,
    })
    await eng.set_attributes(q, {"Policy": json.dumps(policy, separators=(",", ":"))})
    return {}


@operation("sqs", "RemovePermission")
async def remove_permission(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    import json

    eng, q = await _queue(ctx, params["QueueUrl"])
    policy = json.loads(q.attrs.get("Policy") or '{"Statement":[]}')
    before = len(policy.get("Statement", []))
    policy["Statement"] = [s for s in policy.get("Statement", []) if s.get("Sid") != params["Label"]]
    if len(policy["Statement"]) == before:
        raise AwsError.modeled(
            "sqs",
            "InvalidParameterValue",
            f"Value {params['Label']} for parameter Label is invalid. Reason: can't find label.",
        )
    value = json.dumps(policy, separators=(",", ":")) if policy["Statement"] else ""
    await eng.set_attributes(q, {"Policy": value})
    return {}


# -- messages --------------------------------------------------------------------------------

def _sent(m: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"MessageId": m.id, "MD5OfMessageBody": m.md5_body}
    if m.md5_attrs:
        out["MD5OfMessageAttributes"] = m.md5_attrs
    if m.md5_sys:
        out["MD5OfMessageSystemAttributes"] = m.md5_sys
    if m.seqnum:
        out["SequenceNumber"] = m.seqnum
    return out


@operation("sqs", "SendMessage")
async def send_message(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    eng, q = await _queue(ctx, params["QueueUrl"])
    msg = eng.build(q, params["MessageBody"], params.get("MessageAttributes"),
                    _with_trace(ctx, params.get("MessageSystemAttributes")), params.get("DelaySeconds"),
                    params.get("MessageGroupId"), params.get("MessageDeduplicationId"),
                    _sender(ctx))
    sent = await eng.send(q, [msg])
    cw_metrics.sent(ctx.app, q, [len(params["MessageBody"].encode())])
    return _sent(sent[0])


def _with_trace(ctx: RequestContext, sys_attrs: dict[str, Any] | None) -> dict[str, Any] | None:
    """The message's system attributes with AWSTraceHeader taken from the request's
    X-Amzn-Trace-Id header when the sender gave none (as SQS does: AWS SDKs send the header
    from a Lambda function's _X_AMZN_TRACE_ID, which Lambda's recursive loop detection reads)."""
    header = ctx.request.headers.get("x-amzn-trace-id") if ctx.request is not None else None
    if not header or (sys_attrs and "AWSTraceHeader" in sys_attrs):
        return sys_attrs
    return {**(sys_attrs or {}), "AWSTraceHeader": {"DataType": "String", "StringValue": header}}


def _sender(ctx: RequestContext) -> str:
    return ctx.access_key_id or ctx.account_id


def _check_batch(entries: list[dict[str, Any]]) -> None:
    if not entries:
        raise AwsError.modeled(
            "sqs", "EmptyBatchRequest", "There should be at least one SendMessageBatchRequestEntry in the request."
        )
    if len(entries) > 10:
        raise AwsError.modeled(
            "sqs",
            "TooManyEntriesInBatchRequest",
            f"Maximum number of entries per request are 10. You have sent {len(entries)}.",
        )
    ids = [e["Id"] for e in entries]
    for i in ids:
        if not _BATCH_ID.fullmatch(i):
            raise AwsError.modeled(
                "sqs",
                "InvalidBatchEntryId",
                "A batch entry id can only contain alphanumeric characters, hyphens and "
                "underscores. It can be at most 80 letters long.",
            )
    if len(set(ids)) != len(ids):
        raise AwsError.modeled("sqs", "BatchEntryIdsNotDistinct", "Id " + next(i for i in ids if ids.count(i) > 1)
                           + " repeated.")


def _failure(entry_id: str, exc: Exception) -> dict[str, Any]:
    code = getattr(exc, "code", "InternalError")
    fields = getattr(exc, "fields", {}) or {}
    return {"Id": entry_id, "SenderFault": bool(getattr(exc, "sender_fault", False)),
            "Code": fields.get("QueryCode", code), "Message": getattr(exc, "message", str(exc))}


@operation("sqs", "SendMessageBatch")
async def send_message_batch(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    eng, q = await _queue(ctx, params["QueueUrl"])
    entries = params.get("Entries") or []
    _check_batch(entries)
    if q.fifo:  # SendMessage answers these per message, SendMessageBatch for the whole request
        for e in entries:
            if not e.get("MessageGroupId"):
                raise AwsError.modeled(
                    "sqs", "InvalidParameterValue", "The request must contain the parameter MessageGroupId."
                )
            if not e.get("MessageDeduplicationId") and q.attrs.get("ContentBasedDeduplication") != "true":
                raise AwsError.modeled(
                    "sqs",
                    "InvalidParameterValue",
                    "The queue should either have ContentBasedDeduplication enabled or "
                    "MessageDeduplicationId provided explicitly",
                )
    total = sum(len(e["MessageBody"].encode()) for e in entries)
    if total > MAX_BATCH_BYTES:
        raise AwsError.modeled(
            "sqs",
            "BatchRequestTooLong",
            f"Batch requests cannot be longer than {MAX_BATCH_BYTES} bytes. You have sent {total} bytes.",
        )
    failed: list[dict[str, Any]] = []
    built: list[tuple[str, Any]] = []
    for e in entries:
        try:
            built.append((e["Id"], eng.build(q, e["MessageBody"], e.get("MessageAttributes"),
                                             _with_trace(ctx, e.get("MessageSystemAttributes")), e.get("DelaySeconds"),
                                             e.get("MessageGroupId"), e.get("MessageDeduplicationId"),
                                             _sender(ctx))))
        except Exception as exc:
            if not hasattr(exc, "code"):
                raise
            failed.append(_failure(e["Id"], exc))
    sent = await eng.send(q, [m for _, m in built]) if built else []
    ok = [{"Id": i, **_sent(m)} for (i, _), m in zip(built, sent, strict=False)]
    cw_metrics.sent(ctx.app, q, [len(m.body.encode()) for _, m in built])
    return {"Successful": ok, "Failed": failed}


_SYSTEM_NAMES = ("SenderId", "SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp",
                 "SequenceNumber", "MessageDeduplicationId", "MessageGroupId", "AWSTraceHeader",
                 "DeadLetterQueueSourceArn")


def _wanted_attrs(params: dict[str, Any]) -> set[str]:
    names = set(params.get("AttributeNames") or []) | set(params.get("MessageSystemAttributeNames") or [])
    if "All" in names:
        return set(_SYSTEM_NAMES)
    return names


def _select_user_attrs(stored: dict[str, dict[str, Any]], names: list[str]) -> dict[str, dict[str, Any]]:
    if not names or not stored:
        return {}
    if "All" in names or ".*" in names:
        return stored
    out = {}
    for n in names:
        if n.endswith(".*"):
            prefix = n[:-1]
            out.update({k: v for k, v in stored.items() if k.startswith(prefix)})
        elif n in stored:
            out[n] = stored[n]
    return out


@operation("sqs", "ReceiveMessage")
async def receive_message(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    eng, q = await _queue(ctx, params["QueueUrl"])
    n = params.get("MaxNumberOfMessages")
    n = 1 if n is None else n
    if not 1 <= n <= 10:
        raise AwsError.modeled(
            "sqs",
            "InvalidParameterValue",
            f"Value {n} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.",
        )
    wait = params.get("WaitTimeSeconds")
    if wait is None:
        wait = q.attr_int("ReceiveMessageWaitTimeSeconds")
    if not 0 <= wait <= 20:
        raise AwsError.modeled(
            "sqs",
            "InvalidParameterValue",
            f"Value {wait} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.",
        )
    vis = params.get("VisibilityTimeout")
    if vis is not None and not 0 <= vis <= 43200:
        raise AwsError.modeled(
            "sqs",
            "InvalidParameterValue",
            f"Value {vis} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.",
        )
    got = await eng.receive(q, n, vis, wait)
    cw_metrics.received(ctx.app, q, len(got))
    wanted = _wanted_attrs(params)
    user_names = params.get("MessageAttributeNames") or []
    out = []
    for r in got:
        m = r.message
        item: dict[str, Any] = {"MessageId": m.id, "ReceiptHandle": r.receipt_handle,
                                "MD5OfBody": m.md5_body, "Body": m.body}
        if wanted:
            sysvals = {
                "SenderId": m.sender,
                "SentTimestamp": str(m.sent_ms),
                "ApproximateReceiveCount": str(m.receive_count),
                "ApproximateFirstReceiveTimestamp": str(m.first_receive_ms),
            }
            if m.group is not None:
                sysvals["MessageGroupId"] = m.group
            if q.fifo:
                if m.dedup is not None:
                    sysvals["MessageDeduplicationId"] = m.dedup
                if m.seqnum:
                    sysvals["SequenceNumber"] = m.seqnum
            trace = m.sys_attrs.get("AWSTraceHeader")
            if trace:
                sysvals["AWSTraceHeader"] = trace.get("StringValue", "")
            if m.dlq_source:
                sysvals["DeadLetterQueueSourceArn"] = m.dlq_source
            item["Attributes"] = {k: v for k, v in sysvals.items() if k in wanted}
        selected = _select_user_attrs(m.attrs, user_names)
        if selected:
            item["MessageAttributes"] = attrs_for_output(selected)
            item["MD5OfMessageAttributes"] = checksums.md5_attributes(selected)
        out.append(item)
    return {"Messages": out} if out else {}


@operation("sqs", "DeleteMessage")
async def delete_message(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    eng, q = await _queue(ctx, params["QueueUrl"])
    (err,) = await eng.delete_messages(q, [params["ReceiptHandle"]])
    if err is not None:
        raise err
    cw_metrics.deleted(ctx.app, q, 1)
    return {}


@operation("sqs", "DeleteMessageBatch")
async def delete_message_batch(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    eng, q = await _queue(ctx, params["QueueUrl"])
    entries = params.get("Entries") or []
    _check_batch(entries)
    results = await eng.delete_messages(q, [e["ReceiptHandle"] for e in entries])
    cw_metrics.deleted(ctx.app, q, sum(1 for err in results if err is None))
    ok, failed = [], []
    for e, err in zip(entries, results, strict=False):
        if err is None:
            ok.append({"Id": e["Id"]})
        else:
            failed.append(_failure(e["Id"], err))
    return {"Successful": ok, "Failed": failed}


@operation("sqs", "ChangeMessageVisibility")
async def change_message_visibility(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    eng, q = await _queue(ctx, params["QueueUrl"])
    (err,) = await eng.change_visibility(q, [(params["ReceiptHandle"], params["VisibilityTimeout"])])
    if err is not None:
        raise err
    return {}


@operation("sqs", "ChangeMessageVisibilityBatch")
async def change_message_visibility_batch(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    eng, q = await _queue(ctx, params["QueueUrl"])
    entries = params.get("Entries") or []
    _check_batch(entries)
    results = await eng.change_visibility(
        q, [(e["ReceiptHandle"], e.get("VisibilityTimeout", 0)) for e in entries])
    ok, failed = [], []
    for e, err in zip(entries, results, strict=False):
        if err is None:
            ok.append({"Id": e["Id"]})
        else:
            failed.append(_failure(e["Id"], err))
    return {"Successful": ok, "Failed": failed}

