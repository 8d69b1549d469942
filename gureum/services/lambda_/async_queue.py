"""Asynchronous (Event) invocations: a durable queue in the store, worked by one loop per
node, with AWS's retry rules and destinations.

Table lambda.events, key "<due ms:013d>/<event id>" (so a scan from the start yields what is
due): {account, region, function, qualifier, payload (base64), request_id, created (ms),
attempts, throttles}. A row is removed only after its invocation has finished (at least once
delivery; a restart re-runs what was in flight). Nodes sharing a store claim each due event in
a transaction before invoking it (`claim`), so one node runs it; a claim held by a node that
left (it gives its claims back as it leaves: `release`) or that the node roster reports dead
(gureum/roster.py) is taken at once. Function errors are retried
MaximumRetryAttempts times (default 2) after ≈1 then ≈2 minutes (setting
`lambda.async_retry_delays`); throttles and service errors back off from 1 s to 5 min until
MaximumEventAgeInSeconds (default 6 h). Then the OnSuccess / OnFailure destination gets
AWS's record (another function asynchronously, an SQS queue, an SNS topic) and a failed
event's body goes to the function's DeadLetterConfig target, both through
gureum/delivery.py's `deliver`.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from gureum import roster
from gureum.aws.errors import AwsError
from gureum.delivery import Source, deliver
from gureum.node_settings import RosterSettings
from gureum.services.lambda_ import model
from gureum.services.lambda_.recursion import RecursionStopped
from gureum.services.lambda_.scheduler import Throttled

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.services.lambda_.engine import LambdaEngine, Target

log = logging.getLogger("gureum.lambda.events")
EVENTS = "lambda.events"
DEFAULT_RETRIES = 2
DEFAULT_MAX_AGE = 21600
MAX_THROTTLE_BACKOFF = 300.0
PARALLEL = 32
CLAIM_LEASE_MS = (900 + 60) * 1000  # the longest function timeout, and a minute
DESTINATION = Source(group="destination")  # how destinations and dead-letter targets see Lambda


def _now_ms() -> int:
    return int(time.time() * 1000)


class EventQueue:
    def __init__(self, app: App, engine: LambdaEngine) -> None:
        self.app = app
        self.engine = engine
        from gureum.services.lambda_.settings import LambdaSettings

        self.retry_delays = list(app.settings(LambdaSettings).async_retry_delays)
        self.dead_after = roster.timeout_of(app.settings(RosterSettings))  # an owner silent this long is dead
        self._wake = asyncio.Event()
        self._inflight: set[str] = set()
        self._ended: set[str] = set()  # events that ended since the current pass read the queue
        self._slots = asyncio.Semaphore(PARALLEL)

    async def enqueue(self, account: str, region: str, target: Target, payload: bytes, *, request_id: str | None = None,
                      trace: str | None = None) -> str:
        name = target.config["FunctionName"]
        return await self.enqueue_raw(account, region, name, target.qualifier, payload, request_id=request_id, trace=trace)

    async def enqueue_raw(
        self, account: str, region: str, function: str, qualifier: str | None, payload: bytes, *, request_id: str | None = None,
        trace: str | None = None,
    ) -> str:
        event_id = await enqueue(self.app, account, region, function, qualifier, payload, request_id=request_id, trace=trace)
        self._wake.set()
        return event_id

    def wake(self) -> None:
        self._wake.set()

    @property
    def inflight(self) -> frozenset[str]:
        """The events this node is invoking now."""
        return frozenset(self._inflight)

    async def run(self) -> None:
        async with asyncio.TaskGroup() as tg:
            while True:
                try:
                    wait = await self._pass(tg)
                except Exception:  # the store away (e.g. PostgreSQL restarting): the loop goes on
                    log.exception("lambda async events: reading the queue failed; trying again in 1 s")
                    wait = 1.0
                if wait is None:
                    continue
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=max(wait, 0.01))
                except asyncio.TimeoutError:
                    pass

    async def _pass(self, tg: asyncio.TaskGroup) -> float | None:
        """Start the due events this node may run; how long to wait before the next pass
        (None: at once, a full page was started)."""
        now = _now_ms()
        self._ended.clear()
        rows, gone = await self.app.store.read(functools.partial(_due_and_gone, end=f"{now + 1:013d}", now=now, dead_after=self.dead_after))
        started = 0
        for key, row in rows:
            # (an event that ended after this pass read the queue is in `rows` still: not again)
            if key in self._inflight or key in self._ended or (self._foreign(row, now) and row["owner"] not in gone):
                continue
            await self._slots.acquire()
            if key in self._ended or key in self._inflight:  # it ended (or started) while this waited for a slot
                self._slots.release()
                continue
            if self.app.store.shared:  # other nodes work this queue too: claim it first
                try:
                    claimed = await self.app.store.run(functools.partial(claim, key=key, node=self.app.node_id, now=_now_ms(), dead_after=self.dead_after))
                except BaseException:
                    self._slots.release()
                    raise
                if claimed is None:
                    self._slots.release()
                    continue
                row = claimed
            self._inflight.add(key)
            tg.create_task(self._process(key, row), name=f"lambda-event-{row['request_id']}")
            started += 1
        if started and len(rows) == 200:
            return None
        nxt = await self.app.store.read(functools.partial(_next_due, start=f"{now + 1:013d}"))
        wait = 1.0
        if nxt:
            wait = min(wait, max(0.0, int(nxt[0][0].split("/", 1)[0]) / 1000 - time.time()))
        return wait

    def _foreign(self, row: dict[str, Any], now: int) -> bool:
        """Claimed by another node whose lease still runs."""
        return bool(row.get("owner")) and row["owner"] != self.app.node_id and row.get("lease", 0) > now

    async def _process(self, key: str, row: dict[str, Any]) -> None:
        try:
            await self._attempt(key, row)
        except Exception:
            log.exception("async event %s failed", row.get("request_id"))
            await self._reschedule(key, row, 5.0)
        finally:
            self._ended.add(key)
            self._inflight.discard(key)
            self._slots.release()

    async def _config(self, row: dict[str, Any], target: Target) -> dict[str, Any]:
        key = model.fn_key(row["account"], row["region"], row["function"])
        slot = f"{key}/{row['qualifier'] or '$LATEST'}"
        return await self.app.store.read(lambda t: t.get(model.EIC, slot)) or {}

    async def _attempt(self, key: str, row: dict[str, Any]) -> None:
        account, region = row["account"], row["region"]
        try:
            target = await self.engine.resolve(account, region, row["function"], row["qualifier"])
        except AwsError:  # the function is gone: AWS drops its queued events
            await self.app.store.run(lambda t: t.delete(EVENTS, key))
            return
        eic = await self._config(row, target)
        max_age = int(eic.get("MaximumEventAgeInSeconds") or DEFAULT_MAX_AGE)
        max_retries = eic.get("MaximumRetryAttempts")
        max_retries = DEFAULT_RETRIES if max_retries is None else int(max_retries)
        payload = base64.b64decode(row["payload"])
        age = (_now_ms() - row["created"]) / 1000
        if age > max_age:
            await self._finish(key, row, target, eic, None, "EventAgeExceeded")
            return
        if target.state.doc.get("reserved") == 0:
            await self._finish(key, row, target, eic, None, "EventAgeExceeded")
            return
        if target.config.get("DurableConfig") is not None:  # a durable function: the event starts a durable execution
            from gureum.services.lambda_ import durable_api

            await durable_api.start(self.app, account, region, target, payload)
            await self.app.store.run(lambda t: t.delete(EVENTS, key))
            return
        try:
            result = await self.engine.invoke(account, region, target, payload, request_id=row["request_id"], trace=row.get("trace"))
        except RecursionStopped:  # a recursive loop: no retries, to the dead-letter queue and on-failure destination
            await self._finish(key, row, target, eic, None, "RecursiveInvocationException")
            return
        except (Throttled, AwsError):
            row["throttles"] += 1
            delay = min(MAX_THROTTLE_BACKOFF, 2 ** (row["throttles"] - 1))
            if age + delay > max_age:
                await self._finish(key, row, target, eic, None, "EventAgeExceeded")
            else:
                await self._reschedule(key, row, delay)
            return
        row["attempts"] += 1
        if result.function_error and row["attempts"] <= max_retries:
            delays = self.retry_delays or [60.0, 120.0]
            delay = delays[min(row["attempts"] - 1, len(delays) - 1)]
            if age + delay <= max_age:
                await self._reschedule(key, row, delay)
                return
        condition = "RetriesExhausted" if result.function_error else "Success"
        await self._finish(key, row, target, eic, result, condition)

    async def _reschedule(self, key: str, row: dict[str, Any], delay: float) -> None:
        due = int((time.time() + delay) * 1000)

        row.pop("owner", None)  # due again later: for whichever node comes first
        row.pop("lease", None)

        def move(txn: model.Txn) -> None:
            txn.delete(EVENTS, key)
            txn.put(EVENTS, f"{due:013d}/{row['request_id']}", row)

        await self.app.store.run(move)
        self._wake.set()

    async def _finish(self, key: str, row: dict[str, Any], target: Target, eic: dict[str, Any], result: Any, condition: str) -> None:
        await self.app.store.run(lambda t: t.delete(EVENTS, key))
        payload = base64.b64decode(row["payload"])
        dlq = (target.config.get("DeadLetterConfig") or {}).get("TargetArn")
        if dlq and condition != "Success":  # a dead-letter queue gets the event body only
            await send_to_destination(self.app, dlq, payload.decode("utf-8", errors="replace"))
        dests = eic.get("DestinationConfig") or {}
        dest = ((dests.get("OnSuccess") if condition == "Success" else dests.get("OnFailure")) or {}).get("Destination")
        if not dest:
            return
        record: dict[str, Any] = {
            "version": "1.0",
            "timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "requestContext": {
                "requestId": row["request_id"],
                "functionArn": f"{model.function_arn(row['account'], row['region'], row['function'])}:{target.version}",
                "condition": condition,
                "approximateInvokeCount": max(1, row["attempts"]),
            },
            "requestPayload": _json_or_text(payload),
        }
        if result is not None:
            record["responseContext"] = {"statusCode": 200, "executedVersion": target.version}
            if result.function_error:
                record["responseContext"]["functionError"] = result.function_error
            record["responsePayload"] = _json_or_text(result.payload)
        await send_to_destination(self.app, dest, json.dumps(record))


def _due(txn: model.Txn, end: str) -> list[tuple[str, dict[str, Any]]]:
    """The first 200 events due before `end` (a time key)."""
    return txn.scan(EVENTS, "", end=end, limit=200)


def _due_and_gone(txn: model.Txn, end: str, now: int, dead_after: float) -> tuple[list[tuple[str, dict[str, Any]]], set[str]]:
    """The due events, and which of their owners the roster reports left or dead."""
    rows = _due(txn, end)
    owners = {row["owner"] for _, row in rows if row.get("owner")}
    return rows, {o for o in owners if roster.is_gone(txn, o, now / 1000, dead_after)}


def _next_due(txn: model.Txn, start: str) -> list[tuple[str, dict[str, Any]]]:
    """The first event due at or after `start`, if any."""
    return txn.scan(EVENTS, "", start=start, limit=1)


def claim(txn: model.Txn, key: str, node: str, now: int, dead_after: float | None = None) -> dict[str, Any] | None:
    """Take a due event for `node` (several nodes sharing the store work one queue): None when
    it is gone or another node holds it. The lease outlasts the longest invocation (900 s);
    a node that dies holding it leaves the event to the others once the node roster reports it
    dead (silent for `dead_after` seconds, gureum/roster.py) or the lease ends, and its own
    restart takes it back at once (at-least-once delivery, as AWS's); a node that leaves
    cleanly gives it back at once (`release`)."""
    row = txn.get(EVENTS, key)
    if row is None:
        return None
    if row.get("owner") and row["owner"] != node and row.get("lease", 0) > now and not (
        dead_after is not None and roster.is_gone(txn, row["owner"], now / 1000, dead_after)
    ):
        return None
    row["owner"] = node
    row["lease"] = now + CLAIM_LEASE_MS
    txn.put(EVENTS, key, row)
    return row


def release(txn: model.Txn, node: str) -> int:
    """A node leaving cleanly gives back the events it holds (their invocations ended with
    it): each is due again at once for whichever node claims it first, rather than when its
    lease ends (the roster's handover, gureum/roster.py). Returns how many it gave back."""
    released = 0
    for key, row in txn.scan(EVENTS):
        if row.get("owner") != node:
            continue
        row.pop("owner", None)
        row.pop("lease", None)
        txn.put(EVENTS, key, row)
        released += 1
    return released


async def enqueue(
    app: App, account: str, region: str, function: str, qualifier: str | None, payload: bytes, *, request_id: str | None = None,
    missing: Callable[[], AwsError] | None = None, trace: str | None = None,
) -> str:
    """Queue an Event invocation durably (works before the Lambda component runs). With
    `missing`, the function must exist, checked in the same transaction: else `missing()`."""
    event_id = request_id or str(uuid.uuid4())
    now = _now_ms()
    row = {
        "account": account,
        "region": region,
        "function": function,
        "qualifier": qualifier,
        "payload": base64.b64encode(payload).decode(),
        "request_id": event_id,
        "created": now,
        "attempts": 0,
        "throttles": 0,
    }
    if trace:  # the sender's X-Ray trace header (recursion.py counts the chain's invocations with it)
        row["trace"] = trace
    key = model.fn_key(account, region, function)

    def put(t: model.Txn) -> None:
        if missing is not None and t.get(model.FUNCTIONS, key) is None:
            raise missing()
        t.put(EVENTS, f"{now:013d}/{event_id}", row)

    await app.store.run(put)
    return event_id


async def send_to_destination(app: App, arn: str, body: str) -> bool:
    """Deliver `body` to a destination or dead-letter target; False (logged) when it cannot
    be delivered: AWS drops the record then."""
    try:
        await deliver(app, arn, body, source=DESTINATION)
    except AwsError as exc:
        log.warning("record for %s dropped: %s", arn, exc.message)
        return False
    except Exception:
        log.exception("delivery to %s failed", arn)
        return False
    return True


def _json_or_text(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return data.decode("utf-8", errors="replace")
