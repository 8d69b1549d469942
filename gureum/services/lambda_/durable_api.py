"""Durable executions: the operations and the runner that drives each execution (durable.py
holds the state and its rules).

`DurableRunner` (one per node, slot DURABLE) drives an execution in one task from its start
to its end: it fires due timers, invokes the function through the engine whenever
something changed since its last invocation (or at the start), records the invocation's
outcome, runs chained invokes, and otherwise sleeps until the next timer or a kick (a
callback sent, the execution stopped or resumed). One node drives an execution ("node" in
its document, taken over from a node the roster reports gone); `sweep()` (every 5 s) picks
up executions whose driver is gone, e.g. after a restart; `expire()` (hourly) deletes ended
ones past their retention. A synchronous Invoke of a durable
function waits for the execution's end and answers its result (FunctionError "Unhandled"
and the error for a failed one); InvocationType Event answers 202 at once. Both answer the
DurableExecutionArn.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from typing import TYPE_CHECKING, Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.lambda_ import durable, model
from gureum.services.lambda_.slots import DURABLE
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.services.lambda_.engine import LambdaEngine, Target

log = logging.getLogger("gureum.lambda.durable")
IDLE_POLL = 5.0  # seconds between looks at an execution with nothing due (kicks wake it at once)


def _claim(txn: Txn, key: str, node: str, now: float, dead_after: float) -> dict[str, Any] | None:
    """The execution for `node` to drive (None: gone, finished, or another live node drives it)."""
    from gureum import roster

    doc = txn.get(durable.EXECUTIONS, key)
    if doc is None or doc["status"] not in ("RUNNING", "PAUSED"):
        return None
    holder = doc.get("node")
    if holder and holder != node and not roster.is_gone(txn, holder, now, dead_after):
        return None
    if holder != node:
        doc["node"] = node
        durable.save(txn, key, doc)
    return doc


def _step(txn: Txn, key: str, request_id: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None, list[str]]:
    """Fire due timers; (the document, the invocation event when the function is to be
    invoked now, the chained invokes to start)."""
    doc = txn.get(durable.EXECUTIONS, key)
    if doc is None:
        return None, None, []
    go = durable.due(doc, durable.now_ms())
    event = None
    if go:
        doc["invocation_start"] = durable.now_ms()
        doc["request_id"] = request_id
        event = durable.begin_invocation(doc)
    chained, doc["chained"] = list(doc.get("chained") or []), []
    durable.save(txn, key, doc)
    return doc, event, chained


def _ended(txn: Txn, key: str, output: dict[str, Any] | None, failure: dict[str, Any] | None) -> dict[str, Any] | None:
    doc = txn.get(durable.EXECUTIONS, key)
    if doc is None:
        return None
    durable.end_invocation(doc, output, failure)
    durable.save(txn, key, doc)
    return doc


class DurableRunner:
    def __init__(self, app: App, engine: LambdaEngine) -> None:
        from gureum import roster
        from gureum.node_settings import RosterSettings

        self.app = app
        self.engine = engine
        self.dead_after = roster.timeout_of(app.settings(RosterSettings))
        self._wake: dict[str, asyncio.Event] = {}
        self._tasks: dict[str, asyncio.Task[Any]] = {}

    def kick(self, key: str) -> None:
        """Something happened to execution `key`: drive it (now, or at once if it runs here)."""
        wake = self._wake.get(key)
        if wake is not None:
            wake.set()
        else:
            self._tasks[key] = self.app.spawn(self._drive(key), name=f"lambda-durable-{key}")

    async def wait_done(self, key: str) -> dict[str, Any] | None:
        """The execution's document once it has ended."""
        task = self._tasks.get(key)
        if task is not None:
            with contextlib.suppress(Exception):
                await asyncio.shield(task)
        while True:
            doc = await self.app.store.read(lambda t: t.get(durable.EXECUTIONS, key))
            if doc is None or doc["status"] not in ("RUNNING", "PAUSED"):
                return doc
            if key not in self._tasks:
                self.kick(key)
            await asyncio.sleep(0.2)

    async def sweep(self) -> None:
        """Executions no live node drives (after a restart, or their node died): drive them."""
        for key in await self.app.store.read(durable.live):
            if key not in self._tasks:
                self.kick(key)

    async def expire(self) -> None:
        """Ended executions past their function's RetentionPeriodInDays are deleted, as on AWS."""
        now = durable.now_ms()
        gone = await self.app.store.read(lambda t: durable.expired(t, now))
        if gone:
            await self.app.store.run(lambda t: durable.delete_expired(t, gone))

    async def _drive(self, key: str) -> None:
        wake = self._wake[key] = asyncio.Event()
        try:
            doc = await self.app.store.run(functools.partial(_claim, key=key, node=self.app.node_id, now=durable.now_ms() / 1000,
                                                             dead_after=self.dead_after))
            while doc is not None and not self.app.stopping:
                wake.clear()
                request_id = model.new_revision()
                doc, event, chained = await self.app.store.run(functools.partial(_step, key=key, request_id=request_id))
                if doc is None:
                    return
                for op_id in chained:
                    self.app.spawn(self._chained(key, doc, op_id), name=f"lambda-durable-chained-{op_id}")
                if event is not None:
                    doc = await self._invoke(key, doc, event, request_id)
                    continue
                if doc["status"] not in ("RUNNING", "PAUSED"):
                    return
                nxt = durable.next_wake(doc) if doc["status"] == "RUNNING" else None
                delay = IDLE_POLL if nxt is None else max(0.0, min(IDLE_POLL, (nxt - durable.now_ms()) / 1000))
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(wake.wait(), timeout=delay)
        except Exception:
            log.exception("durable execution %s", key)
        finally:
            self._wake.pop(key, None)
            self._tasks.pop(key, None)

    async def _target(self, doc: dict[str, Any]) -> Target:
        account, region, name = doc["function"].split("/", 2)
        return await self.engine.resolve(account, region, name, doc["version"])

    async def _invoke(self, key: str, doc: dict[str, Any], event: dict[str, Any], request_id: str) -> dict[str, Any] | None:
        account, region, _ = doc["function"].split("/", 2)
        output: dict[str, Any] | None = None
        failure: dict[str, Any] | None = None
        try:
            target = await self._target(doc)
            result = await self.engine.invoke(account, region, target, json.dumps(event).encode(), request_id=request_id)
            try:
                body = json.loads(result.payload) if result.payload else None
            except ValueError:
                body = None
            if result.function_error:
                failure = {"ErrorType": (body or {}).get("errorType") or result.error_type or "Unhandled",
                           "ErrorMessage": str((body or {}).get("errorMessage") or "")}
            elif isinstance(body, dict):
                output = body
        except Exception as exc:  # throttled, or the function is gone: the execution fails
            failure = {"ErrorType": type(exc).__name__, "ErrorMessage": str(getattr(exc, "message", exc))}
        return await self.app.store.run(functools.partial(_ended, key=key, output=output, failure=failure))

    async def _chained(self, key: str, doc: dict[str, Any], op_id: str) -> None:
        op = doc["ops"].get(op_id) or {}
        account, region, _ = doc["function"].split("/", 2)
        result: str | None = None
        error: dict[str, Any] | None = None
        try:
            target = await self.engine.resolve(account, region, op.get("_target") or "", None)
            payload = (op.get("_payload") or "{}").encode()
            if target.config.get("DurableConfig") is not None:  # a durable function: its own execution, to its end
                child_key, _ = await start(self.app, account, region, target, payload)
                child = await self.wait_done(child_key) or {}
                if child.get("status") == "SUCCEEDED":
                    result = child.get("result") or "null"
                else:
                    error = child.get("error") or {"ErrorType": str(child.get("status")), "ErrorMessage": ""}
                await self.app.store.run(lambda t: durable.chained_done(t, key, op_id, result, error))
                self.kick(key)
                return
            out = await self.engine.invoke(account, region, target, payload)
            if out.function_error:
                body = json.loads(out.payload) if out.payload else {}
                error = {"ErrorType": body.get("errorType") or out.error_type or "Unhandled", "ErrorMessage": body.get("errorMessage", "")}
            else:
                result = out.payload.decode("utf-8", errors="replace")
        except AwsError as exc:
            error = {"ErrorType": exc.code, "ErrorMessage": exc.message}
        except Exception as exc:
            error = {"ErrorType": type(exc).__name__, "ErrorMessage": str(exc)}
        await self.app.store.run(lambda t: durable.chained_done(t, key, op_id, result, error))
        self.kick(key)


def runner_of(app: App) -> DurableRunner:
    runner = app.parts.get(DURABLE)
    if runner is None:
        raise AwsError.modeled("lambda", "ServiceException", "The Lambda engine is not running.")
    return runner


# --- starting from Invoke ------------------------------------------------------------------
async def start(app: App, account: str, region: str, target: Target, payload: bytes, name: str | None = None) -> tuple[str, str]:
    """A new durable execution of `target` (or the one `name` already started), driven from
    now on: (its store key, its ARN). Invoke starts one; so does an asynchronous event
    (async_queue.py) for a durable function."""
    fn_key = target.state.key
    function_arn = model.function_arn(account, region, target.config["FunctionName"], target.version)
    text = (payload or b"{}").decode("utf-8", errors="replace")
    doc, _ = await app.store.run(lambda t: durable.start(t, account, region, fn_key, function_arn, target.version, name,
                                                         text, target.config))
    key = durable.key_of(account, region, doc["id"])
    runner_of(app).kick(key)
    return key, str(doc["arn"])


async def invoke(ctx: RequestContext, engine: LambdaEngine, account: str, target: Target, payload: bytes, kind: str,
                 name: str | None) -> dict[str, Any]:
    """Invoke of a durable function: a new execution (or the one `name` already started)."""
    key, arn = await start(ctx.app, account, ctx.region, target, payload, name)
    runner = runner_of(ctx.app)
    if kind == "Event":
        return {"StatusCode": 202, "DurableExecutionArn": arn}
    done = await runner.wait_done(key)
    out: dict[str, Any] = {"StatusCode": 200, "ExecutedVersion": target.version, "DurableExecutionArn": arn}
    if done is None or done["status"] == "SUCCEEDED":
        out["Payload"] = ((done or {}).get("result") or "null").encode()
    else:
        error = done.get("error") or {}
        out["FunctionError"] = "Unhandled"
        out["Payload"] = json.dumps({"errorType": error.get("ErrorType") or done["status"],
                                     "errorMessage": error.get("ErrorMessage") or ""}).encode()
    return out


# --- handlers ------------------------------------------------------------------------------
def _key(ctx: RequestContext, params: dict[str, Any]) -> tuple[str, str]:
    arn = params["DurableExecutionArn"]
    return durable.parse_arn(arn, ctx.account_id, ctx.region), arn


async def _doc(ctx: RequestContext, key: str, arn: str) -> dict[str, Any]:
    doc = await ctx.app.store.read(lambda t: t.get(durable.EXECUTIONS, key))
    if doc is None:
        raise durable.not_found(arn)
    return doc


def _page(items: list[Any], params: dict[str, Any], listing: str, default: int = 100) -> tuple[list[Any], str | None]:
    indexed = list(enumerate(items))
    page, nxt = model.page(indexed, lambda pair: pair[0], listing, params, default)
    return [item for _, item in page], nxt


@operation("lambda", "GetDurableExecution")
async def get_durable_execution(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, arn = _key(ctx, params)
    doc = await _doc(ctx, key, arn)
    out = durable.summary(doc)
    out.pop("KMSKeyArn", None)
    out["Version"] = doc["version"]
    out["ExpectedExecutionTimeoutTimestamp"] = durable.as_time(doc["timeout_at"])
    include = params.get("IncludeExecutionData", True) is not False
    out["ExecutionDataIncluded"] = include
    if include:
        out["InputPayload"] = doc["input"]
        if doc.get("result") is not None:
            out["Result"] = doc["result"]
        if doc.get("error"):
            out["Error"] = doc["error"]
    if doc.get("pause"):
        out["PauseDetails"] = {**doc["pause"], "PauseRequestTimestamp": durable.as_time(doc["pause"]["PauseRequestTimestamp"])}
    return out


@operation("lambda", "GetDurableExecutionHistory")
async def get_durable_execution_history(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, arn = _key(ctx, params)
    doc = await _doc(ctx, key, arn)
    events = [durable.event_view(e) for e in doc["events"]]
    if params.get("ReverseOrder"):
        events.reverse()
    page, nxt = _page(events, params, f"durable-history/{key}/{bool(params.get('ReverseOrder'))}")
    out: dict[str, Any] = {"Events": page}
    if nxt:
        out["NextMarker"] = nxt
    return out


@operation("lambda", "GetDurableExecutionState")
async def get_durable_execution_state(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, arn = _key(ctx, params)
    doc = await _doc(ctx, key, arn)
    if not doc.get("token") or doc["token"] != params["CheckpointToken"]:
        raise durable.bad_token()
    ops = [durable.api_operation(doc["ops"][i]) for i in doc["order"]]
    page, nxt = _page(ops, params, f"durable-state/{key}", 1000)
    out: dict[str, Any] = {"Operations": page}
    if nxt:
        out["NextMarker"] = nxt
    return out


@operation("lambda", "CheckpointDurableExecution")
async def checkpoint_durable_execution(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, arn = _key(ctx, params)
    updates = list(params.get("Updates") or [])
    token, ops = await ctx.app.store.run(lambda t: durable.checkpoint(t, key, arn, params["CheckpointToken"], updates))
    return {"CheckpointToken": token, "NewExecutionState": {"Operations": [durable.api_operation(o) for o in ops]}}


@operation("lambda", "ListDurableExecutionsByFunction")
async def list_durable_executions_by_function(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name, qualifier = model.parse_name(params["FunctionName"], ctx.account_id, ctx.region, params.get("Qualifier"))
    fn_key = model.fn_key(ctx.account_id, ctx.region, name)
    fn_arn = model.function_arn(ctx.account_id, ctx.region, name)
    statuses = set(params.get("Statuses") or [])
    after, before = params.get("StartedAfter"), params.get("StartedBefore")

    def read(t: Txn) -> list[dict[str, Any]]:
        model.get_function(t, fn_key, fn_arn)
        out = []
        for _, d in t.scan(durable.EXECUTIONS, f"{ctx.account_id}/{ctx.region}/"):
            if d["function"] != fn_key or (qualifier and d["version"] != qualifier):
                continue
            if (statuses and d["status"] not in statuses) or (params.get("DurableExecutionName") and d["name"] != params["DurableExecutionName"]):
                continue
            started = durable.as_time(d["start"])
            if (after is not None and started is not None and started < after) or (before is not None and started is not None and started > before):
                continue
            out.append(d)
        return out

    docs = sorted(await ctx.app.store.read(read), key=lambda d: (d["start"], d["id"]), reverse=bool(params.get("ReverseOrder")))
    page, nxt = _page([durable.summary(d) for d in docs], params, f"durable-list/{fn_key}/{sorted(statuses)}/{params.get('ReverseOrder')}")
    out: dict[str, Any] = {"DurableExecutions": page}
    if nxt:
        out["NextMarker"] = nxt
    return out


@operation("lambda", "StopDurableExecution")
async def stop_durable_execution(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, arn = _key(ctx, params)
    ended = await ctx.app.store.run(lambda t: durable.stop(t, key, arn, params.get("Error")))
    runner_of(ctx.app).kick(key)
    return {"StopTimestamp": durable.as_time(ended)}


@operation("lambda", "DeleteDurableExecution")
async def delete_durable_execution(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key, arn = _key(ctx, params)

    def delete(t: Txn) -> None:
        doc = t.get(durable.EXECUTIONS, key)
        if doc is None:
            raise durable.not_found(arn)
        if doc["status"] in ("RUNNING", "PAUSED"):
            raise AwsError.modeled("lambda", "ResourceConflictException", f"Durable execution {arn} is still running.", Type="User")
        t.delete(durable.EXECUTIONS, key)
        t.delete(durable.LIVE, key)
        t.delete(durable.NAMES, f"{doc['function']}/{doc['name']}")
        for callback_id in doc.get("callbacks") or {}:
            t.delete(durable.CALLBACKS, callback_id)

    await ctx.app.store.run(delete)
    return {"DeletionRequestTimestamp": durable.as_time(durable.now_ms())}


@operation("lambda", "PauseDurableExecution")
async def pause_durable_execution(ctx: RequestContext, params: dict[str, Any]) -> None:
    key, arn = _key(ctx, params)

    def pause(t: Txn) -> None:
        doc = t.get(durable.EXECUTIONS, key)
        if doc is None:
            raise durable.not_found(arn)
        if doc["status"] != "RUNNING":
            raise AwsError.modeled("lambda", "ResourceConflictException", f"Durable execution {arn} is not running.", Type="User")
        doc["status"] = "PAUSED"
        doc["pause"] = {"PauseRequestTimestamp": durable.now_ms(), "Reason": params.get("Reason") or "",
                        "ExecutionTimeoutPaused": bool(params.get("ExecutionTimeoutPaused"))}
        durable.record_event(doc, "ExecutionPaused", doc["ops"][doc["id"]], {"ExecutionPausedDetails": {
            "PauseRequestTimestamp": doc["pause"]["PauseRequestTimestamp"], "ExecutionTimeoutPaused": doc["pause"]["ExecutionTimeoutPaused"],
            **({"Reason": {"Payload": doc["pause"]["Reason"]}} if doc["pause"]["Reason"] else {})}})
        durable.save(t, key, doc)

    await ctx.app.store.run(pause)
    runner_of(ctx.app).kick(key)


@operation("lambda", "ResumeDurableExecution")
async def resume_durable_execution(ctx: RequestContext, params: dict[str, Any]) -> None:
    key, arn = _key(ctx, params)

    def resume(t: Txn) -> None:
        doc = t.get(durable.EXECUTIONS, key)
        if doc is None:
            raise durable.not_found(arn)
        if doc["status"] != "PAUSED":
            raise AwsError.modeled("lambda", "ResourceConflictException", f"Durable execution {arn} is not paused.", Type="User")
        pause = doc.pop("pause", None) or {}
        if pause.get("ExecutionTimeoutPaused"):
            doc["timeout_at"] += durable.now_ms() - int(pause.get("PauseRequestTimestamp") or durable.now_ms())
        doc["status"] = "RUNNING"
        durable.record_event(doc, "ExecutionResumed", doc["ops"][doc["id"]], {"ExecutionResumedDetails": {
            "ResumeRequestTimestamp": durable.now_ms(), **({"Reason": {"Payload": params["Reason"]}} if params.get("Reason") else {})}})
        durable.save(t, key, doc)

    await ctx.app.store.run(resume)
    runner_of(ctx.app).kick(key)


async def _callback(ctx: RequestContext, callback_id: str, outcome: str, payload: dict[str, Any]) -> None:
    key = await ctx.app.store.run(lambda t: durable.complete_callback(t, callback_id, outcome, payload))
    if outcome != "heartbeat":
        runner_of(ctx.app).kick(key)


@operation("lambda", "SendDurableExecutionCallbackSuccess")
async def send_durable_execution_callback_success(ctx: RequestContext, params: dict[str, Any]) -> None:
    result = params.get("Result") or b""
    text = result.decode("utf-8", errors="replace") if isinstance(result, (bytes, bytearray)) else str(result)
    await _callback(ctx, params["CallbackId"], "success", {"Result": text})


@operation("lambda", "SendDurableExecutionCallbackFailure")
async def send_durable_execution_callback_failure(ctx: RequestContext, params: dict[str, Any]) -> None:
    await _callback(ctx, params["CallbackId"], "failure", {"Error": params.get("Error") or {}})


@operation("lambda", "SendDurableExecutionCallbackHeartbeat")
async def send_durable_execution_callback_heartbeat(ctx: RequestContext, params: dict[str, Any]) -> None:
    await _callback(ctx, params["CallbackId"], "heartbeat", {})
