"""The event source mapping pollers: the `lambda-esm` component (SQS here; Kinesis and
DynamoDB streams in esm_stream_poller.py, whose mappings run on every node with their shards
leased one node each, instead of the mapping lease below).

Each node runs one `EsmRunner`. It follows the mappings in the store (change events on
"lambda.esm", and a rescan every few seconds), moves their State on as AWS does
(Creating → Enabled/Disabled, Enabling → Enabled, Disabling → Disabled, Updating → Enabled,
Deleting → gone) and polls the enabled ones it holds the lease of (`lambda.esm_leases`,
"<mapping key>" -> {node, until ms}; renewed on every rescan, so several nodes sharing a
store split the mappings between them and take over those of a node that died). The node id
is kept in the data dir, so a restarted node takes its own leases back at once.

A `Poller` long-polls its queue through SQS's port (gureum/ports.py `QueuePort`) in-process, gathers up to BatchSize
messages (within MaximumBatchingWindowInSeconds, under 6 MB), drops the ones FilterCriteria
rejects (deleting them, as AWS does), invokes the function synchronously with AWS's SQS
event, deletes what succeeded (everything, or all but the `batchItemFailures` with
ReportBatchItemFailures) and leaves the rest to reappear after the queue's visibility
timeout, so the queue's redrive policy moves a poison message to its dead-letter queue.
Concurrent batches start at 5 and grow by up to 5 a second while batches come full, up to
ScalingConfig.MaximumConcurrency (default 1,000); a FIFO queue hands out a message group
only while none of its messages is in flight, which keeps each group in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.ports import QUEUES, port
from gureum.services.lambda_ import event_filters, recursion
from gureum.services.lambda_.esm import CHECKPOINTS, ESM, LEASES, SHARD_LEASES, TOPIC
from gureum.services.lambda_.esm_responses import batch_failures
from gureum.services.lambda_.esm_stream_poller import StreamPoller
from gureum.services.lambda_.scheduler import Throttled

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.ports import QueueFacts, QueuePort

log = logging.getLogger("gureum.lambda.esm")

LEASE_TTL_MS = 30_000
RESCAN_S = 5.0
POLL_WAIT_S = 1.0  # one long-poll slice; the poller checks whether to stop between slices
PAYLOAD_LIMIT = 6 * 1024 * 1024
INITIAL_CONCURRENCY = 5
DEFAULT_MAX_CONCURRENCY = 1000
SCALE_INTERVAL_S = 0.2  # +1 concurrent batch at most this often (≈ +300 a minute)


def _now_ms() -> int:
    return int(time.time() * 1000)


# --- one mapping ------------------------------------------------------------------------
class Poller:
    def __init__(self, app: App, key: str, doc: dict[str, Any]) -> None:
        self.app = app
        self.key = key
        self.doc = doc
        self.task: asyncio.Task[None] | None = None
        self._stopping = False
        self._inflight = 0
        self._scale = INITIAL_CONCURRENCY
        self._last_scale = 0.0
        self._cond = asyncio.Condition()
        self._patterns: tuple[int, list[dict[str, Any]]] = (-1, [])

    def update(self, doc: dict[str, Any]) -> None:
        self.doc = doc

    def _limit(self) -> int:
        cap = int((self.doc.get("ScalingConfig") or {}).get("MaximumConcurrency") or DEFAULT_MAX_CONCURRENCY)
        return max(1, min(cap, self._scale))

    def patterns(self) -> list[dict[str, Any]]:
        rev = self.doc.get("rev", 0)
        if self._patterns[0] != rev:
            filters = (self.doc.get("FilterCriteria") or {}).get("Filters") or []
            self._patterns = (rev, [event_filters.parse(f["Pattern"]) for f in filters])
        return self._patterns[1]

    def request_stop(self) -> None:
        """Stop polling; batches in flight finish first (then the task ends)."""
        self._stopping = True
        self.app.spawn(self._notify(), name=f"lambda-esm-stop-{self.doc['UUID']}")

    async def _notify(self) -> None:
        async with self._cond:
            self._cond.notify_all()

    async def run(self) -> None:
        queues = port(self.app, QUEUES)
        async with asyncio.TaskGroup() as tg:
            while not self._stopping and not self.app.stopping:
                q = await queues.describe(self.doc["EventSourceArn"])
                if q is None:  # the queue is gone (or not yet back): look again later
                    await asyncio.sleep(RESCAN_S)
                    continue
                async with self._cond:
                    await self._cond.wait_for(lambda: self._stopping or self._inflight < self._limit())
                    if self._stopping:
                        break
                    self._inflight += 1
                try:
                    batch = await self._gather(queues, q)
                except Exception:
                    log.exception("polling %s for mapping %s failed", q.arn, self.doc["UUID"])
                    batch = []
                    await asyncio.sleep(1.0)
                if not batch:  # the queue is empty: scale back down
                    self._scale = max(INITIAL_CONCURRENCY, self._scale - 1)
                    await self._free()
                    continue
                if len(batch) >= self.doc["BatchSize"] and self._inflight >= self._limit():
                    now = time.monotonic()
                    if now - self._last_scale >= SCALE_INTERVAL_S:
                        self._scale += 1
                        self._last_scale = now
                tg.create_task(self._process(queues, q, dict(self.doc), batch), name=f"lambda-esm-batch-{self.doc['UUID']}")

    async def _unlooped(self, lam: Any, doc: dict[str, Any], records: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str | None]:
        """The records whose invocation continues no recursive loop (recursion.py), and the
        trace header to invoke them with (the one furthest down its chain). The others are
        neither invoked nor deleted: they return after the visibility timeout, and the queue's
        redrive policy takes them to its dead-letter queue."""
        try:
            target = await lam.resolve(doc["account"], doc["region"], doc["function"], doc["qualifier"])
        except AwsError:
            return records, None
        fn_arn = arns.lambda_function(doc["region"], doc["account"], target.config["FunctionName"])
        kept: list[tuple[int, dict[str, Any]]] = []
        for rec in records:
            header = (rec.get("attributes") or {}).get("AWSTraceHeader")
            count = recursion.count_in(header, fn_arn) + 1
            try:
                recursion.check(target.state.doc, fn_arn, count)
            except recursion.RecursionStopped:
                log.warning("mapping %s: message %s stopped: %s is in a recursive loop (RecursiveLoop=Terminate)",
                            doc["UUID"], rec.get("messageId"), fn_arn)
                continue
            kept.append((count, rec))
        if not kept:
            return [], None
        deepest = max(kept, key=lambda item: item[0])[1]
        return [rec for _, rec in kept], (deepest.get("attributes") or {}).get("AWSTraceHeader")

    async def _free(self) -> None:
        async with self._cond:
            self._inflight -= 1
            self._cond.notify_all()

    async def _gather(self, queues: QueuePort, q: QueueFacts) -> list[dict[str, Any]]:
        size = self.doc["BatchSize"]
        batch = await queues.receive_records(q.arn, size, POLL_WAIT_S)
        window = self.doc.get("MaximumBatchingWindowInSeconds") or 0
        if not batch or window <= 0:
            return batch
        deadline = time.monotonic() + window
        nbytes = sum(len(r["body"]) for r in batch)
        while len(batch) < size and nbytes < PAYLOAD_LIMIT and not self._stopping and not self.app.stopping:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            more = await queues.receive_records(q.arn, size - len(batch), min(remaining, POLL_WAIT_S))
            batch += more
            nbytes += sum(len(r["body"]) for r in more)
        return batch

    async def _process(self, queues: QueuePort, q: QueueFacts, doc: dict[str, Any], batch: list[dict[str, Any]]) -> None:
        try:
            await self._handle(queues, q, doc, batch)
        except Exception:
            log.exception("batch of mapping %s failed", doc["UUID"])
        finally:
            await self._free()

    async def _handle(self, queues: QueuePort, q: QueueFacts, doc: dict[str, Any], records: list[dict[str, Any]]) -> None:
        patterns = self.patterns()
        if patterns:  # AWS deletes the messages no filter matches
            dropped = [rec["receiptHandle"] for rec in records if not event_filters.matches_any(patterns, rec)]
            if dropped:
                await queues.delete(q.arn, dropped)
                gone = set(dropped)
                records = [rec for rec in records if rec["receiptHandle"] not in gone]
        if not records:
            return
        # Stay under the synchronous payload limit; the rest is handed back at once.
        total = 20
        kept: list[dict[str, Any]] = []
        for rec in records:
            total += len(json.dumps(rec)) + 1
            if total > PAYLOAD_LIMIT and kept:
                break
            kept.append(rec)
        if len(kept) < len(records):
            await queues.release(q.arn, [rec["receiptHandle"] for rec in records[len(kept):]])
            records = kept
        from gureum.services.lambda_.engine import engine_of

        lam = await engine_of(self.app)
        account, region = doc["account"], doc["region"]
        records, trace = await self._unlooped(lam, doc, records)
        if not records:
            return
        payload = json.dumps({"Records": records}).encode()
        give_up = time.monotonic() + max(1.0, q.visibility_timeout / 2)
        delay = 0.1
        while True:
            try:
                target = await lam.resolve(account, region, doc["function"], doc["qualifier"])
                result = await lam.invoke(account, region, target, payload, trace=trace)
                break
            except (Throttled, AwsError) as exc:  # throttled, or the function is not ready/gone
                if time.monotonic() + delay > give_up or self.app.stopping:
                    log.info("mapping %s: %s; the batch returns after the visibility timeout", doc["UUID"], exc)
                    return
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        if result.function_error:
            return  # the whole batch comes back after the visibility timeout
        ids = {rec["messageId"] for rec in records}
        failed: set[str] | None = set()
        if "ReportBatchItemFailures" in (doc.get("FunctionResponseTypes") or []):
            failed = batch_failures(result.payload, ids)
            if failed is None:
                log.info("mapping %s: invalid partial batch response; the whole batch failed", doc["UUID"])
                return
        done = [rec["receiptHandle"] for rec in records if not failed or rec["messageId"] not in failed]
        if done:
            await queues.delete(q.arn, done)


# --- every mapping of this node -----------------------------------------------------------
class EsmRunner:
    def __init__(self, app: App, node: str) -> None:
        self.app = app
        self.node = node
        self.pollers: dict[str, Poller | StreamPoller] = {}
        self.draining: dict[str, Poller | StreamPoller] = {}  # stopped, with batches still in flight
        self._wake = asyncio.Event()
        self._tg: asyncio.TaskGroup | None = None

    async def run(self) -> None:
        unsubscribe = self.app.store.subscribe(TOPIC, lambda _event: self._wake.set())
        try:
            async with asyncio.TaskGroup() as tg:
                self._tg = tg
                while True:
                    self._wake.clear()
                    try:
                        await self.reconcile()
                    except Exception:
                        log.exception("event source mappings: reconcile failed")
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), RESCAN_S)
        finally:
            unsubscribe()
            keys = list(self.pollers) + list(self.draining)
            self.pollers.clear()
            self.draining.clear()
            with contextlib.suppress(Exception):
                await asyncio.shield(self._release(keys))

    async def _release(self, keys: list[str]) -> None:
        node = self.node

        def release(txn: Any) -> None:
            for key in keys:
                lease = txn.get(LEASES, key)
                if lease is not None and lease.get("node") == node:
                    txn.delete(LEASES, key)

        if keys:
            await self.app.store.run(release)

    async def reconcile(self) -> None:
        now = _now_ms()
        node = self.node

        def read(txn: Any) -> tuple[list[tuple[str, dict[str, Any]]], dict[str, dict[str, Any]]]:
            return list(self.app.store.iter_scan(txn, ESM)), dict(self.app.store.iter_scan(txn, LEASES))

        docs, leases = await self.app.store.read(read)

        by_key = dict(docs)

        def foreign(key: str) -> bool:
            if (by_key.get(key) or {}).get("StartingPosition"):
                return False  # a stream mapping runs on every node: its shards are leased (esm_stream_poller.py)
            lease = leases.get(key)
            return lease is not None and lease["node"] != node and lease["until"] > now

        def wanted(doc: dict[str, Any]) -> bool:
            return bool(doc["Enabled"]) and doc["State"] not in ("Deleting", "Disabling", "Disabled")

        # 1. stop what must not run here; its State moves on once its batches have finished
        for key in list(self.pollers):
            doc = by_key.get(key)
            if doc is None or foreign(key) or not wanted(doc):
                poller = self.pollers.pop(key)
                poller.request_stop()
                self.draining[key] = poller
        # 2. leases and state transitions, atomically
        mine = [(k, d) for k, d in docs if not foreign(k) and k not in self.draining]
        if not mine:
            return

        def write(txn: Any) -> list[tuple[str, dict[str, Any]]]:
            running: list[tuple[str, dict[str, Any]]] = []
            for key, seen in mine:
                doc = txn.get(ESM, key)
                lease = txn.get(LEASES, key)
                stream = bool(doc and doc.get("StartingPosition"))
                if doc is None or (not stream and lease is not None and lease["node"] != node and lease["until"] > now):
                    continue
                if doc.get("rev") != seen.get("rev"):
                    continue  # changed meanwhile: the next pass sees it
                if doc["State"] == "Deleting":
                    txn.delete(ESM, key)
                    txn.delete(LEASES, key)
                    txn.delete_prefix(SHARD_LEASES, key + "/")
                    txn.delete_prefix(CHECKPOINTS, key + "/")
                    txn.publish(TOPIC, {"key": key})
                    continue
                final = "Enabled" if wanted(doc) else "Disabled"
                if doc["State"] != final:
                    doc["State"] = final
                    doc["StateTransitionReason"] = "USER_INITIATED"
                    txn.put(ESM, key, doc)
                if final == "Enabled":
                    if not stream:
                        txn.put(LEASES, key, {"node": node, "until": now + LEASE_TTL_MS})
                    running.append((key, doc))
                elif lease is not None and lease["node"] == node:
                    txn.delete(LEASES, key)
            return running

        running = await self.app.store.run(write)
        # 3. poll what this node holds
        assert self._tg is not None
        for key, doc in running:
            existing = self.pollers.get(key)
            if existing is None:
                started: Poller | StreamPoller = (StreamPoller(self.app, key, doc, self.node) if doc.get("StartingPosition")
                                                  else Poller(self.app, key, doc))
                self.pollers[key] = started
                started.task = self._tg.create_task(self._guarded(started), name=f"lambda-esm-{doc['UUID']}")
            else:
                existing.update(doc)

    async def _guarded(self, poller: Poller | StreamPoller) -> None:
        try:
            await poller.run()
        except Exception:
            log.exception("poller of mapping %s failed", poller.doc.get("UUID"))
            await asyncio.sleep(1.0)
        finally:
            if self.pollers.get(poller.key) is poller:
                del self.pollers[poller.key]  # restarted on the next pass
            if self.draining.get(poller.key) is poller:
                del self.draining[poller.key]
            self._wake.set()  # its mapping's State can move on now


def node_id(app: App) -> str:
    """This node's id, kept in the data dir (a restart keeps its leases)."""
    path = app.data_dir / "lambda" / "node-id"
    try:
        text = path.read_text().strip()
        if text:
            return text
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    text = uuid.uuid4().hex
    path.write_text(text)
    return text


async def run(app: App) -> None:
    """The `lambda-esm` component: polls SQS for this node's event source mappings."""
    runner = EsmRunner(app, await asyncio.to_thread(node_id, app))
    from gureum.services.lambda_.slots import ESM

    app.parts.put(ESM, runner)
    await runner.run()
