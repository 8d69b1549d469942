"""The stream event source mapping poller (Kinesis, DynamoDB Streams), run by the `lambda-esm`
component (esm_poller.py) on every node for every enabled stream mapping.

Shards are handed out through the store: table `lambda.esm_shard_leases`, "{mapping key}/
{shard id}" -> {"node", "until" ms}, taken when free or expired and renewed every pass, so
each shard is read by one node at a time and a dead node's shards move on when their lease
runs out; a node keeps at most its fair share (the readable shards over the nodes the roster
shows up and running `lambda-esm`) and gives back the rest. A shard is read only once every parent it names (resharding lineage) is read to
its end, so a partition key's records reach the function in order across splits and merges.

Table `lambda.esm_checkpoints`, same key -> {"pos": where the next batch starts (a sequence-
number bound), "ended": the shard is closed and read to its end, "window": {"start" ms,
"state"} for tumbling windows}. The checkpoint moves in one store transaction after a batch
is acknowledged (the function succeeded, or the batch went to the on-failure destination),
so a restart or kill -9 neither loses nor replays an acknowledged batch. A new shard's first
position comes from StartingPosition (TRIM_HORIZON, LATEST, AT_TIMESTAMP) when the shard
was open as the mapping started, else from the shard's start (children of a reshard).

A batch is up to BatchSize × ParallelizationFactor records, gathered for up to
MaximumBatchingWindowInSeconds; records FilterCriteria rejects are skipped; each record goes
to the lane of its partition key (`ParallelizationFactor` lanes run at once, each in order).
A lane's batch is retried (with BisectBatchOnFunctionError: split in halves, which spends no
attempt) until it succeeds, MaximumRetryAttempts is spent, or a record is older than
MaximumRecordAgeInSeconds; then the OnFailure destination (SQS, SNS or S3) gets AWS's failure
record and the batch is acknowledged. With ReportBatchItemFailures the lane goes on from the
first failed record. Tumbling windows pass `state` from one invocation to the next within a
window and end each window with an `isFinalInvokeForWindow` invocation. Each batch reports
the IteratorAge metric (ms from its last record's arrival).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from gureum import delivery, roster
from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.node_settings import RosterSettings
from gureum.ports import StreamBatch, StreamShard
from gureum.services.cloudwatch import port as cloudwatch
from gureum.services.lambda_ import esm_streams, event_filters
from gureum.services.lambda_.esm import CHECKPOINTS, ESM, SHARD_LEASES
from gureum.services.lambda_.esm_responses import batch_failures
from gureum.services.lambda_.scheduler import Throttled
from gureum.services.s3 import port as s3

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.services.lambda_.engine import LambdaEngine

log = logging.getLogger("gureum.lambda.esm")

LEASE_TTL_MS = 30_000
PASS_S = 1.0
IDLE_S = 0.25
PAYLOAD_LIMIT = 6 * 1024 * 1024
TOPICS = ("kinesis.records", "dynamodbstreams.records")


def _now_ms() -> int:
    return int(time.time() * 1000)


Record = tuple[str, dict[str, Any], int, str]  # (sequence number, event record, arrival ms, partition key)


# --- pure decisions ------------------------------------------------------------------------------

def lanes(records: list[Record], factor: int, batch_size: int) -> tuple[list[list[Record]], list[Record]]:
    """Split records into `factor` lanes by partition key, each at most `batch_size` long and
    in order; returns the lanes and the records left for the next batch (everything from the
    first record a full lane could not take, so no key is reordered)."""
    out: list[list[Record]] = [[] for _ in range(max(1, factor))]
    for i, rec in enumerate(records):
        lane = out[int.from_bytes(hashlib.md5(rec[3].encode()).digest()[:4], "big") % len(out)]  # noqa: S324
        if len(lane) >= batch_size:
            return [x for x in out if x], records[i:]
        lane.append(rec)
    return [x for x in out if x], []


def filter_view(kind: str, event: dict[str, Any]) -> dict[str, Any]:
    """What FilterCriteria patterns match: a Kinesis record's `kinesis` member with `data`
    decoded (as JSON when it is JSON), a DynamoDB record as it is."""
    if kind != "kinesis":
        return event
    k = dict(event["kinesis"])
    try:
        text = base64.b64decode(k["data"]).decode()
        try:
            k["data"] = json.loads(text)
        except ValueError:
            k["data"] = text
    except (ValueError, UnicodeDecodeError):
        pass
    return k


def window_start(arrival_ms: int, seconds: int) -> int:
    return arrival_ms - arrival_ms % (seconds * 1000)


def failure_record(kind: str, doc: dict[str, Any], shard: str, batch: list[Record], condition: str, attempts: int,
                   function_error: str | None, request_id: str, version: str) -> dict[str, Any]:
    """AWS's on-failure record of a stream batch."""
    def iso(ms: int) -> str:
        return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"

    info = {"shardId": shard, "startSequenceNumber": batch[0][0], "endSequenceNumber": batch[-1][0],
            "approximateArrivalOfFirstRecord": iso(batch[0][2]), "approximateArrivalOfLastRecord": iso(batch[-1][2]),
            "batchSize": len(batch), "streamArn": doc["EventSourceArn"]}
    out: dict[str, Any] = {
        "requestContext": {"requestId": request_id, "functionArn": doc["FunctionArn"], "condition": condition,
                           "approximateInvokeCount": attempts},
        "responseContext": {"statusCode": 200, "executedVersion": version, "functionError": function_error or "Unhandled"},
        "version": "1.0", "timestamp": iso(_now_ms()),
        ("KinesisBatchInfo" if kind == "kinesis" else "DDBStreamBatchInfo"): info,
    }
    return out


def claim_shards(txn: Any, key: str, node: str, shards: list[StreamShard], nodes: int, now: int) -> list[str]:
    """Take or renew this node's leases on the readable shards of the mapping at `key` (not
    read to their end, parents done), up to its fair share of `nodes` nodes: a node holding
    more gives the rest back for the others to take. Returns the shards it holds."""
    known = {s.shard_id for s in shards}
    ended = {s.shard_id for s in shards if (txn.get(CHECKPOINTS, f"{key}/{s.shard_id}") or {}).get("ended")}
    readable = [s.shard_id for s in shards
                if s.shard_id not in ended and not any(p in known and p not in ended for p in s.parents)]
    fair = -(-len(readable) // nodes)
    held: list[str] = []
    free: list[str] = []
    for shard in readable:
        lease = txn.get(SHARD_LEASES, f"{key}/{shard}")
        if lease is None or lease["until"] <= now:
            free.append(shard)
        elif lease["node"] == node:
            held.append(shard)
    mine = (held + free)[:fair]
    for shard in mine:
        txn.put(SHARD_LEASES, f"{key}/{shard}", {"node": node, "until": now + LEASE_TTL_MS})
    for shard in held[fair:]:
        txn.delete(SHARD_LEASES, f"{key}/{shard}")
    for shard in ended:
        lease = txn.get(SHARD_LEASES, f"{key}/{shard}")
        if lease is not None and lease["node"] == node:
            txn.delete(SHARD_LEASES, f"{key}/{shard}")
    return mine


# --- one mapping on this node ----------------------------------------------------------------

@dataclass
class Outcome:
    ok: bool
    function_error: str | None = None
    failed_from: str | None = None  # ReportBatchItemFailures: the first failed record
    state: Any = None
    request_id: str = ""
    version: str = "$LATEST"


class StreamPoller:
    def __init__(self, app: App, key: str, doc: dict[str, Any], node: str) -> None:
        self.app = app
        self.key = key
        self.doc = doc
        self.node = node
        self.kind = esm_streams.kind_of(doc["EventSourceArn"]) or "kinesis"
        self.stream = esm_streams.port_of(doc["EventSourceArn"])
        self.task: asyncio.Task[None] | None = None
        self._stopping = False
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()  # a pass is due (stop asked, a shard ended)
        self._records = asyncio.Event()  # a stream got records: idle shard workers look again
        self._patterns: tuple[int, list[dict[str, Any]]] = (-1, [])
        self._last_result: str | None = doc.get("LastProcessingResult")

    def update(self, doc: dict[str, Any]) -> None:
        self.doc = doc

    def request_stop(self) -> None:
        self._stopping = True
        self._wake.set()
        self._records.set()

    def _stopped(self) -> bool:
        return self._stopping or self.app.stopping

    def patterns(self) -> list[dict[str, Any]]:
        rev = self.doc.get("rev", 0)
        if self._patterns[0] != rev:
            filters = (self.doc.get("FilterCriteria") or {}).get("Filters") or []
            self._patterns = (rev, [event_filters.parse(f["Pattern"]) for f in filters])
        return self._patterns[1]

    async def run(self) -> None:
        unsubscribe = [self.app.store.subscribe(t, lambda _e: self._records.set()) for t in TOPICS]
        try:
            async with asyncio.TaskGroup() as tg:
                while not self._stopped():
                    self._wake.clear()
                    try:
                        await self._pass(tg)
                    except Exception:
                        log.exception("stream mapping %s: pass failed", self.doc["UUID"])
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), PASS_S)
                for task in self._workers.values():
                    task.cancel()
        finally:
            for u in unsubscribe:
                u()
            await asyncio.shield(self._release(list(self._workers)))

    async def _release(self, shards: list[str]) -> None:
        node, key = self.node, self.key

        def release(txn: Any) -> None:
            for shard in shards:
                lease = txn.get(SHARD_LEASES, f"{key}/{shard}")
                if lease is not None and lease.get("node") == node:
                    txn.delete(SHARD_LEASES, f"{key}/{shard}")

        if shards:
            with contextlib.suppress(Exception):
                await self.app.store.run(release)

    async def _pass(self, tg: asyncio.TaskGroup) -> None:
        arn = self.doc["EventSourceArn"]
        key, node, now = self.key, self.node, _now_ms()
        stream = self.stream
        timeout = roster.timeout_of(self.app.settings(RosterSettings))

        def claim(txn: Any) -> list[str] | None:
            shards: list[StreamShard] | None = stream.shards(txn, arn)
            if shards is None:
                return None
            nodes = sum(1 for r in roster.view(txn, now / 1000, timeout)
                        if r["state"] == "up" and "lambda-esm" in (r.get("roles") or []))
            return claim_shards(txn, key, node, shards, max(1, nodes), now)

        mine = await self.app.store.run(claim)
        if mine is None:  # the stream is gone (or not yet there)
            mine = []
        for shard, task in list(self._workers.items()):
            if task.done():
                del self._workers[shard]
            elif shard not in mine:
                task.cancel()  # another node holds it now
                del self._workers[shard]
        for shard in mine:
            if shard not in self._workers:
                self._workers[shard] = tg.create_task(self._shard(shard), name=f"lambda-esm-{self.doc['UUID']}-{shard}")

    # --- one shard -------------------------------------------------------------------------

    async def _start_position(self, shard: str) -> tuple[str, dict[str, Any]]:
        key, doc, arn, stream = self.key, self.doc, self.doc["EventSourceArn"], self.stream

        def first(txn: Any) -> tuple[str, dict[str, Any]]:
            cp = txn.get(CHECKPOINTS, f"{key}/{shard}")
            if cp is not None:
                return str(cp["pos"]), cp
            opened = next((s.opened_ms for s in stream.shards(txn, arn) or [] if s.shard_id == shard), 0)
            kind = doc["StartingPosition"] if opened <= int(doc.get("started") or 0) else "TRIM_HORIZON"
            ts = doc.get("StartingPositionTimestamp")
            at = datetime.fromtimestamp(ts, UTC) if ts is not None else None
            cp = {"pos": stream.start(txn, arn, shard, kind, at), "ended": False}
            txn.put(CHECKPOINTS, f"{key}/{shard}", cp)
            return str(cp["pos"]), cp

        return await self.app.store.run(first)

    async def _checkpoint(self, shard: str, pos: str | None, window: dict[str, Any] | None) -> None:
        key = f"{self.key}/{shard}"

        def write(txn: Any) -> None:
            cp = txn.get(CHECKPOINTS, key) or {}
            if pos is None:
                cp["ended"] = True
            else:
                cp["pos"] = pos
            cp["window"] = window
            txn.put(CHECKPOINTS, key, cp)

        await self.app.store.run(write)

    async def _read(self, shard: str, pos: str, n: int) -> StreamBatch:
        arn, stream = self.doc["EventSourceArn"], self.stream
        return await self.app.store.read(lambda t: stream.read(t, arn, shard, pos, n, _now_ms()))

    async def _shard(self, shard: str) -> None:
        try:
            pos, cp = await self._start_position(shard)
            window: dict[str, Any] | None = cp.get("window")
            while not self._stopped():
                doc = dict(self.doc)
                size, factor = int(doc["BatchSize"]), int(doc.get("ParallelizationFactor") or 1)
                tumbling = int(doc.get("TumblingWindowInSeconds") or 0)
                if tumbling:
                    factor = 1
                batch = await self._gather(shard, pos, size * factor, float(doc.get("MaximumBatchingWindowInSeconds") or 0))
                if not batch.records:
                    if tumbling and window is not None and _now_ms() >= window["start"] + tumbling * 1000:
                        await self._final_window(doc, shard, window)
                        window = None
                        await self._checkpoint(shard, pos, window)
                    if batch.next_position is None:
                        if tumbling and window is not None:
                            await self._final_window(doc, shard, window)
                        await self._checkpoint(shard, None, None)
                        self._wake.set()  # its children may start now
                        return
                    await self._idle()
                    continue
                records = batch.records
                if tumbling:  # one window per batch; the window before ends first
                    w0 = window_start(records[0][2], tumbling)
                    records = [r for r in records if window_start(r[2], tumbling) == w0]
                    if window is not None and window["start"] != w0:
                        await self._final_window(doc, shard, window)
                        window = None
                    if window is None:
                        window = {"start": w0, "state": {}}
                parts, rest = lanes(records, factor, size)
                taken = records[: len(records) - len(rest)] if rest else records
                self._iterator_age(doc, taken[-1][2])
                results = await asyncio.gather(*(self._lane(doc, shard, lane, window) for lane in parts))
                if not all(done for done, _ in results):
                    return  # stopped with records not yet acknowledged: they are read again (here or elsewhere)
                if tumbling and window is not None:
                    state = results[0][1]
                    window = {"start": window["start"], "state": state if state is not None else window["state"]}
                pos = rest[0][0] if rest else taken[-1][0] + "0"  # "0": just past that sequence number
                await self._checkpoint(shard, pos, window)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("stream mapping %s: shard %s failed", self.doc["UUID"], shard)
        finally:
            self._workers.pop(shard, None)

    async def _idle(self) -> None:
        with contextlib.suppress(TimeoutError):
            self._records.clear()
            await asyncio.wait_for(self._records.wait(), IDLE_S)

    async def _gather(self, shard: str, pos: str, n: int, window_s: float) -> StreamBatch:
        batch = await self._read(shard, pos, n)
        if not batch.records or window_s <= 0 or len(batch.records) >= n:
            return batch
        deadline = time.monotonic() + window_s
        while len(batch.records) < n and not self._stopped() and time.monotonic() < deadline:
            await self._idle()
            batch = await self._read(shard, pos, n)
            if sum(len(json.dumps(r[1])) for r in batch.records) >= PAYLOAD_LIMIT:
                break
        return batch

    def _iterator_age(self, doc: dict[str, Any], last_arrival_ms: int) -> None:
        age = float(max(0, _now_ms() - last_arrival_ms))
        name = doc["function"]
        for dims in ({}, {"FunctionName": name}, {"FunctionName": name, "Resource": f"{name}:{doc['qualifier']}" if doc.get("qualifier") else name}):
            cloudwatch.emit(self.app, doc["account"], doc["region"], "AWS/Lambda", "IteratorAge", dims, age, "Milliseconds")

    def _matching(self, records: list[Record]) -> list[Record]:
        patterns = self.patterns()
        if not patterns:
            return records
        return [r for r in records if event_filters.matches_any(patterns, filter_view(self.kind, r[1]))]

    async def _lane(self, doc: dict[str, Any], shard: str, records: list[Record],
                    window: dict[str, Any] | None) -> tuple[bool, Any]:
        """Deliver one lane's records until each is acknowledged; returns whether they all
        were (False: the poller stopped first) and the window's new state (tumbling windows)."""
        pending = [self._matching(records)]
        attempts = 0
        state = window["state"] if window else None
        max_retries = int(doc.get("MaximumRetryAttempts", -1))
        max_age = int(doc.get("MaximumRecordAgeInSeconds", -1))
        delay = 0.1
        while pending and not self._stopped():
            batch = pending[0]
            if not batch:
                pending.pop(0)
                continue
            if max_age != -1 and _now_ms() - batch[0][2] > max_age * 1000:
                old = [r for r in batch if _now_ms() - r[2] > max_age * 1000]
                await self._on_failure(doc, shard, old, "RecordAgeExceeded", attempts, None, "", "$LATEST")
                pending[0] = batch[len(old):]
                continue
            out = await self._invoke(doc, shard, batch, window, state)
            if out is None:  # throttled or not ready: the same batch again, no attempt spent
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)
                continue
            await self._set_result("OK" if out.ok else "PROBLEM: Function call failed")
            if out.ok:
                state = out.state if out.state is not None else state
                pending.pop(0)
                attempts, delay = 0, 0.1
                continue
            if out.failed_from is not None:
                batch = [r for r in batch if r[0] >= out.failed_from]
                pending[0] = batch
            if doc.get("BisectBatchOnFunctionError") and len(batch) > 1 and out.failed_from is None:
                half = len(batch) // 2
                pending[0:1] = [batch[:half], batch[half:]]  # a split spends no attempt
                continue
            attempts += 1
            if max_retries != -1 and attempts > max_retries:
                await self._on_failure(doc, shard, batch, "RetryAttemptsExhausted", attempts, out.function_error,
                                       out.request_id, out.version)
                pending.pop(0)
                attempts = 0
                continue
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)
        return not pending, (state if window is not None else None)

    def _event(self, doc: dict[str, Any], shard: str, batch: list[Record], window: dict[str, Any] | None, state: Any,
               role: str | None, final: bool = False) -> bytes:
        recs = []
        for _, event, _, _ in batch:
            rec = dict(event)
            if self.kind == "kinesis" and role:
                rec["invokeIdentityArn"] = role
            recs.append(rec)
        body: dict[str, Any] = {"Records": recs}
        if window is not None:
            seconds = int(doc.get("TumblingWindowInSeconds") or 0)
            body.update({"window": {"start": _iso(window["start"]), "end": _iso(window["start"] + seconds * 1000)},
                         "state": state or {}, "shardId": shard, "eventSourceARN": doc["EventSourceArn"],
                         "isFinalInvokeForWindow": final, "isWindowTerminatedEarly": False})
        return json.dumps(body).encode()

    async def _invoke(self, doc: dict[str, Any], shard: str, batch: list[Record], window: dict[str, Any] | None,
                      state: Any, final: bool = False) -> Outcome | None:
        from gureum.services.lambda_.engine import engine_of

        lam: LambdaEngine = await engine_of(self.app)
        try:
            target = await lam.resolve(doc["account"], doc["region"], doc["function"], doc["qualifier"])
            payload = self._event(doc, shard, batch, window, state, target.config.get("Role"), final)
            result = await lam.invoke(doc["account"], doc["region"], target, payload)
        except (Throttled, AwsError) as exc:
            log.info("stream mapping %s: %s; retrying the batch", doc["UUID"], exc)
            return None
        version = target.version
        if result.function_error:
            return Outcome(False, result.function_error, request_id=result.request_id, version=version)
        new_state = None
        if window is not None:
            with contextlib.suppress(ValueError, AttributeError):
                new_state = json.loads(result.payload or b"{}").get("state")
        if "ReportBatchItemFailures" in (doc.get("FunctionResponseTypes") or []) and batch:
            failed = batch_failures(result.payload, {r[0] for r in batch})
            if failed is None:
                return Outcome(False, "Unhandled", request_id=result.request_id, version=version)
            if failed:
                return Outcome(False, None, failed_from=min(failed), request_id=result.request_id, version=version)
        return Outcome(True, state=new_state, request_id=result.request_id, version=version)

    async def _final_window(self, doc: dict[str, Any], shard: str, window: dict[str, Any]) -> None:
        for _ in range(10):
            out = await self._invoke(doc, shard, [], window, window.get("state"), final=True)
            if out is not None and out.ok:
                return
            await asyncio.sleep(0.2)

    async def _on_failure(self, doc: dict[str, Any], shard: str, batch: list[Record], condition: str, attempts: int,
                          function_error: str | None, request_id: str, version: str) -> None:
        if not batch:
            return
        target = ((doc.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        log.info("stream mapping %s: %d records of %s dropped (%s)", doc["UUID"], len(batch), shard, condition)
        if not target:
            return
        record = failure_record(self.kind, doc, shard, batch, condition, attempts, function_error,
                                request_id or str(uuid.uuid4()), version)
        try:
            if arns.service_of(target) == "s3":
                bucket = arns.s3_object_parts(target + "/x")[0]
                record["payload"] = json.loads(self._event(doc, shard, batch, None, None, None))
                now = datetime.now(UTC)
                key = (f"aws/lambda/{doc['UUID']}/{shard}/{now:%Y/%m/%d}/{now:%Y-%m-%dT%H.%M.%S}-{uuid.uuid4()}")
                await s3.put(self.app, bucket, key, json.dumps(record).encode(), content_type="application/json")
            else:
                await delivery.deliver(self.app, target, record)
        except Exception:
            log.exception("stream mapping %s: the on-failure destination %s refused the record", doc["UUID"], target)

    async def _set_result(self, text: str) -> None:
        if text == self._last_result:
            return
        self._last_result = text
        key = self.key

        def write(txn: Any) -> None:
            doc = txn.get(ESM, key)
            if doc is not None and doc.get("LastProcessingResult") != text:
                doc["LastProcessingResult"] = text
                txn.put(ESM, key, doc)

        await self.app.store.run(write)


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
