"""CloudWatch Logs subscription filters: matching events delivered to a Lambda function.

Tables (keys start with "<account>/<region>/"; \\x1f separates names, as in model.py):
  logs.subscription_filters  "<acct>/<region>/<group>\\x1f<filterName>" -> the filter as
                             DescribeSubscriptionFilters shows it
  logs.subscription_outbox   "<ms:013d>\\x1f<id:012d>" -> {"arn": function ARN, "payload": the
                             JSON invoke payload}: deliveries not yet handed to Lambda

Invariants: a group has at most MAX_PER_GROUP filters (AWS's quota); the account's
SUBSCRIPTION_FILTER_POLICY (policies.py) adds one more to every group its selectionCriteria
selects, as AWS's are additive. `apply` runs inside the
transaction that stores the events (ingest.py): a stored batch of a stream that a filter
matches leaves one outbox row per CHUNK_BYTES of matching events, in AWS's shape: `{"awslogs": {"data":
base64(gzip(json))}}`, the JSON a DATA_MESSAGE with owner, logGroup, logStream,
subscriptionFilters, logEvents (id, timestamp, message, and extractedFields for a
space-delimited pattern). The `logs-subscriptions` component (`run`) drains the outbox: a row is
claimed by deleting it in a transaction (on a shared store only the node whose delete
removed it delivers it) and then queued as an Event invocation through Lambda's port, whose
retries and destinations apply. A claim that dies before the invocation is queued loses that
batch (the window is one store write).

Destinations: a Lambda function whose resource policy lets logs.amazonaws.com (or the
regional logs.<region>.amazonaws.com) invoke it
(checked at PutSubscriptionFilter, with aws:SourceArn the group's ARN and aws:SourceAccount, as
AWS checks it; a CONTROL_MESSAGE is sent at creation as AWS sends one). Kinesis streams,
Firehose streams and logs destinations (destinations.py) whose target is one of them: gureum
serves neither (issue 18), so PutSubscriptionFilter answers as AWS does for a destination it
cannot deliver to.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import gzip
import json
import logging
import zlib
from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.aws import paging
from gureum.aws.errors import AwsError
from gureum.ports import FUNCTIONS, port
from gureum.services.logs import destinations, model, policies
from gureum.services.logs.model import SEP
from gureum.services.logs.patterns import PatternError, compile_matcher
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store.base import Event

log = logging.getLogger("gureum.logs")

FILTERS = "logs.subscription_filters"
OUTBOX = "logs.subscription_outbox"
TOPIC = "logs.subscription"
MAX_PER_GROUP = 2
CHUNK_BYTES = 150 * 1024  # JSON of one delivery's events: under 256 KB even gzipped badly and base64-encoded
LOGS_PRINCIPAL = "logs.amazonaws.com"
NO_PERMISSION = ("Could not execute the lambda function. Make sure you have given CloudWatch Logs permission to "
                 "execute your function.")
UNDELIVERABLE = "Could not deliver test message to specified destination. Check if the destination is valid."
CONTROL_TEXT = "CWL CONTROL MESSAGE: Checking health of destination Lambda function."


def _invalid(message: str) -> AwsError:
    return AwsError.modeled("logs", "InvalidParameterException", message)


def event_id(ts: int, seq: int, stream: str) -> str:
    """An event's id, as FilterLogEvents gives it (timestamp, stream sequence, stream hash)."""
    return f"{ts:013d}{seq:010d}{zlib.crc32(stream.encode()) % 10**6:06d}"


def encode(message: dict[str, Any]) -> bytes:
    """The invoke payload AWS sends a function: {"awslogs": {"data": base64(gzip(json))}}."""
    data = base64.b64encode(gzip.compress(json.dumps(message, separators=(",", ":")).encode())).decode()
    return json.dumps({"awslogs": {"data": data}}).encode()


async def function_allows_logs(app: App, function_arn: str, account: str, group_arn: str) -> bool:
    """Whether the function's resource policy lets CloudWatch Logs invoke it for this group."""
    from gureum.policy import resource_policies
    from gureum.policy.engine import AuthRequest, Decision, Principal, statement_decision
    from gureum.policy.gate import parsed

    text = await resource_policies.read(app, "lambda", "lambda:InvokeFunction", function_arn)
    policy = parsed(app, text, "resource")
    if policy is None:
        return False
    region = arns.logs_group_parts(group_arn)[0]
    for service in (LOGS_PRINCIPAL, f"logs.{region}.amazonaws.com"):  # AWS's docs use both names
        principal = Principal(arn=service, account="", kind="service", service=service)
        req = AuthRequest(principal, "lambda:InvokeFunction", function_arn,
                          {"aws:SourceArn": group_arn, "aws:SourceAccount": account})
        if statement_decision(policy, req) is Decision.ALLOW:
            return True
    return False


async def check_destination(app: App, account: str, region: str, group: str, arn: str) -> str:
    """The Lambda function ARN events go to, or AWS's error for a destination it cannot use."""
    service = arns.service_of(arn)
    if service == "lambda":
        if not await function_allows_logs(app, arn, account, model.group_arn(account, region, group) + ":*"):
            raise _invalid(NO_PERMISSION)
        return arn
    if service == "logs":
        await app.store.read(lambda t: destinations.usable_by(t, arn, account))
        raise _invalid(UNDELIVERABLE)  # a destination's target is a Kinesis or Firehose stream (issue 18)
    raise _invalid(UNDELIVERABLE)  # Kinesis, Firehose: not served (issue 18); anything else: no destination


def put(txn: Txn, account: str, region: str, p: dict[str, Any], now: int) -> None:
    """PutSubscriptionFilter (after check_destination): create or replace the filter."""
    group = p["logGroupName"]
    model.get_group(txn, account, region, group)
    try:
        compile_matcher(p["filterPattern"])
    except (PatternError, ValueError):
        raise _invalid("Invalid subscription filter pattern") from None
    gkey = model.group_key(account, region, group)
    key = gkey + SEP + p["filterName"]
    old = txn.get(FILTERS, key)
    if old is None and txn.count(FILTERS, gkey + SEP) >= MAX_PER_GROUP:
        raise AwsError.modeled("logs", "LimitExceededException", "Resource limit exceeded.")
    doc: dict[str, Any] = {
        "filterName": p["filterName"],
        "logGroupName": group,
        "filterPattern": p["filterPattern"],
        "destinationArn": p["destinationArn"],
        "distribution": p.get("distribution") or "ByLogStream",
        "applyOnTransformedLogs": bool(p.get("applyOnTransformedLogs")),
        "creationTime": old["creationTime"] if old else now,
    }
    if p.get("roleArn"):
        doc["roleArn"] = p["roleArn"]
    if p.get("fieldSelectionCriteria"):
        doc["fieldSelectionCriteria"] = p["fieldSelectionCriteria"]
    if p.get("emitSystemFields"):
        doc["emitSystemFields"] = list(p["emitSystemFields"])
    txn.put(FILTERS, key, doc)


def control_message(account: str) -> bytes:
    """The CONTROL_MESSAGE AWS sends a destination when a subscription filter is created."""
    now = model.now_ms()
    return encode({"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "", "logStream": "",
                   "subscriptionFilters": [], "logEvents": [{"id": "", "timestamp": now, "message": CONTROL_TEXT}]})


def delete(txn: Txn, account: str, region: str, group: str, name: str) -> None:
    """DeleteSubscriptionFilter."""
    model.get_group(txn, account, region, group)
    if not txn.delete(FILTERS, model.group_key(account, region, group) + SEP + name):
        raise AwsError.modeled("logs", "ResourceNotFoundException", "The specified subscription filter does not exist.")


def drop_group(txn: Txn, account: str, region: str, group: str) -> None:
    txn.delete_prefix(FILTERS, model.group_key(account, region, group) + SEP)


def describe(txn: Txn, account: str, region: str, p: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    """DescribeSubscriptionFilters of a group (by filter name prefix)."""
    group = p["logGroupName"]
    model.get_group(txn, account, region, group)
    prefix = model.group_key(account, region, group) + SEP + (p.get("filterNamePrefix") or "")
    rows, nxt = paging.page(txn, FILTERS, prefix, token=p.get("nextToken"), limit=p.get("limit"), default_limit=50,
                            max_limit=50, error=lambda: _invalid("The specified nextToken is invalid."))
    return [d for _, d in rows], nxt


def apply(txn: Txn, account: str, region: str, group: str, stream: str, events: list[tuple[int, str]],
          first_seq: int) -> int:
    """Queue the deliveries of `events` (one stream's stored batch, sequence numbers from
    `first_seq`) for every filter of the group they match; returns how many rows it queued."""
    filters = [f for _, f in txn.scan(FILTERS, model.group_key(account, region, group) + SEP)]
    filters += policies.account_subscriptions(txn, account, region, group)  # additive, as AWS's are
    queued = 0
    for f in filters:
        if arns.service_of(f["destinationArn"]) != "lambda":
            continue  # an account policy's Kinesis or Firehose target: not served (issue 18)
        try:
            match = compile_matcher(f["filterPattern"])
        except (PatternError, ValueError):
            continue
        out = []
        for n, (ts, message) in enumerate(events):
            m = match(message)
            if m is None:
                continue
            ev: dict[str, Any] = {"id": event_id(ts, first_seq + n, stream), "timestamp": ts, "message": message}
            if m.fields:
                ev["extractedFields"] = dict(m.fields)
            out.append(ev)
        for chunk in _chunks(out):
            payload = encode({"messageType": "DATA_MESSAGE", "owner": account, "logGroup": group, "logStream": stream,
                              "subscriptionFilters": [f["filterName"]], "logEvents": chunk})
            txn.put(OUTBOX, f"{model.now_ms():013d}{SEP}{txn.next_id(OUTBOX):012d}",
                    {"arn": f["destinationArn"], "payload": payload.decode()})
            queued += 1
    if queued:
        txn.publish(TOPIC, {"queued": queued})
    return queued


def _chunks(events: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Events in runs whose JSON stays under CHUNK_BYTES, so that each payload, gzipped and
    base64-encoded, fits Lambda's 256 KB limit for an Event invocation (AWS splits too)."""
    out: list[list[dict[str, Any]]] = []
    size = 0
    for ev in events:
        n = len(json.dumps(ev, separators=(",", ":")).encode())
        if not out or size + n > CHUNK_BYTES:
            out.append([])
            size = 0
        out[-1].append(ev)
        size += n
    return out


def _claim(txn: Txn, key: str) -> dict[str, Any] | None:
    row = txn.get(OUTBOX, key)
    if row is None or not txn.delete(OUTBOX, key):
        return None
    return row


async def drain(app: App) -> int:
    """Hand every queued delivery to Lambda; returns how many were handed over."""
    handed = 0
    while True:
        rows = await app.store.read(lambda t: t.scan(OUTBOX, "", limit=100))
        if not rows:
            return handed
        for key, _ in rows:
            row = await app.store.run(functools.partial(_claim, key=key))
            if row is None:
                continue
            try:
                await port(app, FUNCTIONS).invoke_async(row["arn"], row["payload"].encode())
                handed += 1
            except AwsError as e:  # the function was deleted since: AWS drops the batch too
                log.warning("subscription delivery to %s dropped: %s", row["arn"], e)


async def run(app: App) -> None:
    """The `logs-subscriptions` component: drain the outbox when a batch is queued (and every
    few seconds, for batches other nodes queued)."""
    wake = asyncio.Event()

    def on_event(_: Event) -> None:
        wake.set()

    unsubscribe = app.store.subscribe(TOPIC, on_event)
    app.set_status("logs", "running")
    try:
        while True:
            wake.clear()
            try:
                await drain(app)
            except Exception:
                log.exception("subscription delivery pass failed")
            try:
                await asyncio.wait_for(wake.wait(), 5.0)
            except TimeoutError:
                pass
    finally:
        unsubscribe()
