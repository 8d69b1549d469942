"""Durable executions: the state of a durable function's execution and its rules, without
I/O (durable_api.py drives executions and serves the API).

A function whose configuration has DurableConfig runs as a durable execution: Invoke starts
one (ARN "<function ARN>:<version>/durable-execution/<name>/<invocation id>"), and Lambda
invokes the function with {DurableExecutionArn, CheckpointToken, InitialExecutionState:
{Operations, NextMarker}, UpdatedOperationIds}. The function (AWS's durable execution SDK)
records its progress with CheckpointDurableExecution (operation updates: STEP, WAIT,
CALLBACK, CONTEXT, CHAINED_INVOKE, EXECUTION × START/SUCCEED/FAIL/RETRY/CANCEL) and answers
{Status: SUCCEEDED | FAILED | PENDING, Result, Error}. PENDING means it waits for something:
a wait's end, a step's next attempt, a callback, a chained invoke; when that happens, Lambda
invokes it again (the SDK replays what the operations record). Each invocation gets a new
checkpoint token; a checkpoint consumes it and answers the next one; the invocation's end
revokes it.

Table lambda.durable "<account>/<region>/<invocation id>" -> {"arn", "name", "id",
"function" (function key), "function_arn" (qualified), "version", "status" (RUNNING,
SUCCEEDED, FAILED, TIMED_OUT, STOPPED), "start"/"end" (ms), "input", "result", "error",
"timeout_at" (ms), "ops": {id: operation as the invocation event shows it (timestamps in
ms)}, "order": [ids], "updated": [ids changed since the last invocation], "token": the live
checkpoint token or None, "events": [history events], "callbacks": {callback id: op id},
"chained": [op ids whose invocation is to run], "retention_days", "node"}; an ended execution
is deleted RetentionPeriodInDays after its end (durable_api.py's sweep). lambda.durable_names
"<function key>/<name>" -> {"id": invocation id} (execution names are unique per function),
and lambda.durable_callbacks "<callback id>" -> {"key": durable key}
(SendDurableExecutionCallback*); lambda.durable_live "<durable key>" -> {} while an execution
runs or is paused (`save` keeps it in step).
Operation statuses move only forward: STARTED/PENDING/READY to SUCCEEDED, FAILED,
CANCELLED, TIMED_OUT or STOPPED.
"""

from __future__ import annotations

import base64
import secrets
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from gureum.aws.errors import AwsError
from gureum.store import Txn

EXECUTIONS = "lambda.durable"
LIVE = "lambda.durable_live"  # "<durable key>" -> {} while the execution runs or is paused (what the sweep reads)
NAMES = "lambda.durable_names"
CALLBACKS = "lambda.durable_callbacks"
DEFAULT_TIMEOUT = 86400  # DurableConfig.ExecutionTimeout's default (seconds)
TERMINAL = ("SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT", "STOPPED")
_EVENT_NAMES = {"EXECUTION": "Execution", "CONTEXT": "Context", "STEP": "Step", "WAIT": "Wait", "CALLBACK": "Callback",
                "CHAINED_INVOKE": "ChainedInvoke"}
_STATUS_EVENTS = {"STARTED": "Started", "SUCCEEDED": "Succeeded", "FAILED": "Failed", "CANCELLED": "Cancelled",
                  "TIMED_OUT": "TimedOut", "STOPPED": "Stopped"}


def new_token() -> str:
    """A checkpoint token (base64, as the model's pattern wants it)."""
    return base64.b64encode(secrets.token_bytes(24)).decode()


def now_ms() -> int:
    return int(time.time() * 1000)


def as_time(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, timezone.utc)


def not_found(arn: str) -> AwsError:
    return AwsError.modeled("lambda", "ResourceNotFoundException", f"Durable execution not found: {arn}", Type="User")


def bad_token() -> AwsError:
    return AwsError.modeled("lambda", "InvalidParameterValueException", "Invalid checkpoint token.", Type="User")


def key_of(account: str, region: str, invocation_id: str) -> str:
    return f"{account}/{region}/{invocation_id}"


def parse_arn(arn: str, account: str, region: str) -> str:
    """The store key a durable execution ARN names (its account and region must be the caller's)."""
    head, sep, rest = arn.partition("/durable-execution/")
    parts = head.split(":")
    ids = rest.split("/")
    if not sep or len(parts) < 8 or len(ids) != 2 or parts[4] != account or parts[3] != region:
        raise not_found(arn)
    return key_of(account, region, ids[1])


# --- starting ------------------------------------------------------------------------------
def start(txn: Txn, account: str, region: str, fn_key: str, function_arn: str, version: str, name: str | None,
          payload: str, config: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """A new execution (or, for a name already used with the same input, that one: (doc,
    False)). A name used with another input is a conflict, as on AWS."""
    if name:
        existing = txn.get(NAMES, f"{fn_key}/{name}")
        found = txn.get(EXECUTIONS, key_of(account, region, existing["id"])) if existing is not None else None
        if found is not None:
            if found["input"] != payload:
                raise AwsError.modeled("lambda", "ResourceConflictException",
                                       f"Durable execution with name {name} already exists.", Type="User")
            return found, False
    invocation_id = uuid.uuid4().hex
    name = name or uuid.uuid4().hex
    now = now_ms()
    timeout = int((config.get("DurableConfig") or {}).get("ExecutionTimeout") or DEFAULT_TIMEOUT)
    execution_op = {"Id": invocation_id, "Type": "EXECUTION", "StartTimestamp": now, "Status": "STARTED",
                    "ExecutionDetails": {"InputPayload": payload}}
    doc: dict[str, Any] = {
        "arn": f"{function_arn}/durable-execution/{name}/{invocation_id}",
        "name": name, "id": invocation_id, "function": fn_key, "function_arn": function_arn, "version": version,
        "status": "RUNNING", "start": now, "end": None, "input": payload, "result": None, "error": None,
        "timeout_at": now + timeout * 1000, "ops": {invocation_id: execution_op}, "order": [invocation_id],
        "updated": [], "token": None, "events": [], "callbacks": {}, "chained": [], "invoke_now": True,
        "retention_days": int((config.get("DurableConfig") or {}).get("RetentionPeriodInDays") or 14),
    }
    record_event(doc, "ExecutionStarted", execution_op, {"ExecutionStartedDetails": {"Input": {"Payload": payload}, "ExecutionTimeout": timeout}})
    save(txn, key_of(account, region, invocation_id), doc)
    txn.put(NAMES, f"{fn_key}/{name}", {"id": invocation_id})
    return doc, True


def record_event(doc: dict[str, Any], kind: str, op: dict[str, Any], details: dict[str, Any] | None = None) -> None:
    event: dict[str, Any] = {"EventType": kind, "EventId": len(doc["events"]) + 1, "Id": op["Id"], "EventTimestamp": now_ms()}
    for field in ("Name", "ParentId", "SubType"):
        if op.get(field):
            event[field] = op[field]
    event.update(details or {})
    doc["events"].append(event)


def _changed(doc: dict[str, Any], op: dict[str, Any], status: str, details: dict[str, Any] | None = None) -> None:
    """`op` moved to `status` (with the history event that says so)."""
    op["Status"] = status
    if status in TERMINAL:
        op["EndTimestamp"] = now_ms()
    if op["Id"] not in doc["updated"]:
        doc["updated"].append(op["Id"])
    suffix = _STATUS_EVENTS.get(status)
    if suffix and op["Type"] != "EXECUTION":
        record_event(doc, _EVENT_NAMES[op["Type"]] + suffix, op, details)


# --- invocations ---------------------------------------------------------------------------
def begin_invocation(doc: dict[str, Any]) -> dict[str, Any]:
    """The event the function is invoked with now; a new checkpoint token."""
    doc["token"] = new_token()
    updated, doc["updated"] = doc["updated"], []
    doc["invoke_now"] = False
    return {
        "DurableExecutionArn": doc["arn"],
        "CheckpointToken": doc["token"],
        "InitialExecutionState": {"Operations": [event_operation(doc["ops"][i]) for i in doc["order"]], "NextMarker": ""},
        "UpdatedOperationIds": updated,
    }


def end_invocation(doc: dict[str, Any], output: dict[str, Any] | None, failure: dict[str, Any] | None) -> None:
    """The invocation ended: its token is revoked; SUCCEEDED/FAILED end the execution (a
    function error fails it, as does an answer that is no durable invocation output)."""
    doc["token"] = None
    record_event(doc, "InvocationCompleted", doc["ops"][doc["id"]], {"InvocationCompletedDetails": {
        "StartTimestamp": doc.get("invocation_start"), "EndTimestamp": now_ms(), "RequestId": doc.get("request_id", "")}})
    if doc["status"] != "RUNNING":
        return
    status = (output or {}).get("Status")
    if failure is not None or status not in ("SUCCEEDED", "FAILED", "PENDING"):
        finish(doc, "FAILED", error=failure or {"ErrorType": "InvalidDurableExecutionOutput",
                                                 "ErrorMessage": "The function's answer is no durable execution output."})
    elif status == "SUCCEEDED":
        result = (output or {}).get("Result")
        finish(doc, "SUCCEEDED", result=result if result else doc.get("checkpointed_result"))
    elif status == "FAILED":
        finish(doc, "FAILED", error=(output or {}).get("Error") or doc.get("checkpointed_error"))


def finish(doc: dict[str, Any], status: str, *, result: str | None = None, error: dict[str, Any] | None = None) -> None:
    doc["status"] = status
    doc["end"] = now_ms()
    doc["result"], doc["error"] = result, error
    op = doc["ops"][doc["id"]]
    op["Status"] = status
    op["EndTimestamp"] = doc["end"]
    for other in doc["ops"].values():  # what was still waiting ends with it
        if other["Status"] not in TERMINAL and other is not op:
            other["Status"] = "STOPPED" if status != "TIMED_OUT" else "TIMED_OUT"
            other["EndTimestamp"] = doc["end"]
    kind = {"SUCCEEDED": "ExecutionSucceeded", "FAILED": "ExecutionFailed", "TIMED_OUT": "ExecutionTimedOut",
            "STOPPED": "ExecutionStopped"}[status]
    details: dict[str, Any] = {}
    if status == "SUCCEEDED":
        details = {"ExecutionSucceededDetails": {"Result": {"Payload": result or ""}}}
    elif error is not None:
        details = {f"{kind}Details": {"Error": {"Payload": error}}}
    record_event(doc, kind, op, details)


def due(doc: dict[str, Any], now: int) -> bool:
    """Fire the timers that are due (waits ending, steps' next attempts, callback timeouts,
    the execution's timeout); whether the function is to be invoked now."""
    if doc["status"] != "RUNNING":
        return False
    if now >= doc["timeout_at"]:
        finish(doc, "TIMED_OUT", error={"ErrorType": "ExecutionTimedOut", "ErrorMessage": "The execution timed out."})
        return False
    for op in doc["ops"].values():
        if op["Type"] == "WAIT" and op["Status"] == "STARTED" and (op.get("WaitDetails") or {}).get("ScheduledEndTimestamp", now + 1) <= now:
            _changed(doc, op, "SUCCEEDED")
        elif op["Type"] == "STEP" and op["Status"] == "PENDING" and (op.get("StepDetails") or {}).get("NextAttemptTimestamp", now + 1) <= now:
            op["Status"] = "READY"
            if op["Id"] not in doc["updated"]:
                doc["updated"].append(op["Id"])
        elif op["Type"] == "CALLBACK" and op["Status"] == "STARTED":
            deadline = op.get("_deadline")
            beat = op.get("_heartbeat_deadline")
            if (deadline and deadline <= now) or (beat and beat <= now):
                kind = "Callback.Timeout" if deadline and deadline <= now else "Callback.Heartbeat"
                details = op.setdefault("CallbackDetails", {})
                details["Error"] = {"ErrorType": kind, "ErrorMessage": "Callback timed out"}
                _changed(doc, op, "TIMED_OUT", {"CallbackTimedOutDetails": {"Error": {"Payload": details["Error"]}}})
    return bool(doc["updated"]) or doc.get("invoke_now", False)


def next_wake(doc: dict[str, Any]) -> int | None:
    """When something is next due (ms), or None."""
    if doc["status"] != "RUNNING":
        return None
    times = [doc["timeout_at"]]
    for op in doc["ops"].values():
        if op["Type"] == "WAIT" and op["Status"] == "STARTED":
            times.append((op.get("WaitDetails") or {}).get("ScheduledEndTimestamp", doc["timeout_at"]))
        elif op["Type"] == "STEP" and op["Status"] == "PENDING":
            times.append((op.get("StepDetails") or {}).get("NextAttemptTimestamp", doc["timeout_at"]))
        elif op["Type"] == "CALLBACK" and op["Status"] == "STARTED":
            times += [t for t in (op.get("_deadline"), op.get("_heartbeat_deadline")) if t]
    return int(min(times))


# --- checkpoints ---------------------------------------------------------------------------
def checkpoint(txn: Txn, key: str, arn: str, token: str, updates: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """CheckpointDurableExecution: apply `updates` in order; (the next token, the operations
    they changed)."""
    doc = txn.get(EXECUTIONS, key)
    if doc is None:
        raise not_found(arn)
    if doc["status"] != "RUNNING" or not doc.get("token") or token != doc["token"]:
        raise bad_token()
    touched: list[str] = []
    now = now_ms()
    for update in updates:
        op_id = update["Id"]
        kind, action = update["Type"], update["Action"]
        op = doc["ops"].get(op_id)
        if kind == "EXECUTION":
            if action == "SUCCEED":
                doc["checkpointed_result"] = update.get("Payload")
            elif action == "FAIL":
                doc["checkpointed_error"] = update.get("Error")
            continue
        if op is None:
            if action != "START" and not (kind == "STEP" and action in ("SUCCEED", "FAIL", "RETRY")):
                raise AwsError.modeled("lambda", "InvalidParameterValueException",
                                       f"Operation {op_id} does not exist; it must be started first.", Type="User")
            op = {"Id": op_id, "Type": kind, "StartTimestamp": now, "Status": "STARTED"}
            for field in ("ParentId", "Name", "SubType"):
                if update.get(field):
                    op[field] = update[field]
            doc["ops"][op_id] = op
            doc["order"].append(op_id)
            if action == "START":
                _start(txn, doc, key, op, update, now)
                touched.append(op_id)
                continue
        elif op["Status"] in TERMINAL:
            raise AwsError.modeled("lambda", "InvalidParameterValueException",
                                   f"Operation {op_id} has already completed ({op['Status']}).", Type="User")
        _apply(doc, op, update, now)
        touched.append(op_id)
    # what this invocation recorded itself is no news for its next one
    doc["updated"] = [i for i in doc["updated"] if i not in touched or doc["ops"][i]["Status"] in ("READY",)]
    doc["token"] = new_token()
    save(txn, key, doc)
    return doc["token"], [doc["ops"][i] for i in dict.fromkeys(touched)]


def _start(txn: Txn, doc: dict[str, Any], key: str, op: dict[str, Any], update: dict[str, Any], now: int) -> None:
    kind = op["Type"]
    if kind == "STEP":
        op["StepDetails"] = {"Attempt": 0}
        record_event(doc, "StepStarted", op)
    elif kind == "WAIT":
        seconds = int((update.get("WaitOptions") or {}).get("WaitSeconds") or 0)
        op["WaitDetails"] = {"ScheduledEndTimestamp": now + seconds * 1000}
        record_event(doc, "WaitStarted", op, {"WaitStartedDetails": {"Duration": seconds,
                                                               "ScheduledEndTimestamp": now + seconds * 1000}})
    elif kind == "CALLBACK":
        callback_id = base64.b64encode(secrets.token_bytes(24)).decode()
        op["CallbackDetails"] = {"CallbackId": callback_id}
        options = update.get("CallbackOptions") or {}
        if options.get("TimeoutSeconds"):
            op["_deadline"] = now + int(options["TimeoutSeconds"]) * 1000
        if options.get("HeartbeatTimeoutSeconds"):
            op["_heartbeat_seconds"] = int(options["HeartbeatTimeoutSeconds"])
            op["_heartbeat_deadline"] = now + int(options["HeartbeatTimeoutSeconds"]) * 1000
        doc["callbacks"][callback_id] = op["Id"]
        txn.put(CALLBACKS, callback_id, {"key": key})
        record_event(doc, "CallbackStarted", op, {"CallbackStartedDetails": {"CallbackId": callback_id}})
    elif kind == "CONTEXT":
        op["ContextDetails"] = {"ReplayChildren": bool((update.get("ContextOptions") or {}).get("ReplayChildren"))}
        record_event(doc, "ContextStarted", op)
    elif kind == "CHAINED_INVOKE":
        options = update.get("ChainedInvokeOptions") or {}
        op["_target"] = options.get("FunctionName")
        op["_payload"] = update.get("Payload") or ""
        op["ChainedInvokeDetails"] = {}
        doc["chained"].append(op["Id"])
        record_event(doc, "ChainedInvokeStarted", op, {"ChainedInvokeStartedDetails": {"FunctionName": options.get("FunctionName", "")}})


def _apply(doc: dict[str, Any], op: dict[str, Any], update: dict[str, Any], now: int) -> None:
    kind, action = op["Type"], update["Action"]
    details_name = {"STEP": "StepDetails", "CONTEXT": "ContextDetails", "CALLBACK": "CallbackDetails",
                    "CHAINED_INVOKE": "ChainedInvokeDetails", "WAIT": "WaitDetails"}[kind]
    details = op.setdefault(details_name, {})
    if action == "START":
        if kind == "STEP" and op["Status"] == "READY":  # the next attempt of a step that is to be retried
            op["Status"] = "STARTED"
            details.pop("NextAttemptTimestamp", None)
            record_event(doc, "StepStarted", op)
        return
    if action == "SUCCEED":
        if kind == "WAIT":
            raise AwsError.modeled("lambda", "InvalidParameterValueException", "A wait cannot be succeeded.", Type="User")
        details["Result"] = update.get("Payload") or ""
        succeeded: dict[str, Any] = {"Result": {"Payload": details["Result"]}}
        if kind == "STEP":
            succeeded["RetryDetails"] = {"CurrentAttempt": int(details.get("Attempt") or 0) + 1}
        _changed(doc, op, "SUCCEEDED", {f"{_EVENT_NAMES[kind]}SucceededDetails": succeeded})
    elif action == "FAIL":
        details["Error"] = update.get("Error") or {}
        failed: dict[str, Any] = {"Error": {"Payload": details["Error"]}}
        if kind == "STEP":
            details["Attempt"] = int(details.get("Attempt") or 0) + 1
            failed["RetryDetails"] = {"CurrentAttempt": details["Attempt"]}
        _changed(doc, op, "FAILED", {f"{_EVENT_NAMES[kind]}FailedDetails": failed})
    elif action == "RETRY":
        if kind != "STEP":
            raise AwsError.modeled("lambda", "InvalidParameterValueException", "Only a step can be retried.", Type="User")
        details["Attempt"] = int(details.get("Attempt") or 0) + 1
        if update.get("Error"):
            details["Error"] = update["Error"]
        if update.get("Payload") is not None:
            details["Result"] = update["Payload"]
        delay = int((update.get("StepOptions") or {}).get("NextAttemptDelaySeconds") or 0)
        details["NextAttemptTimestamp"] = now + delay * 1000
        op["Status"] = "PENDING"
        record_event(doc, "StepFailed", op, {"StepFailedDetails": {
            "Error": {"Payload": details.get("Error") or {}},
            "RetryDetails": {"CurrentAttempt": details["Attempt"], "NextAttemptDelaySeconds": delay}}})
    elif action == "CANCEL":
        if kind not in ("WAIT", "CALLBACK", "CHAINED_INVOKE"):
            raise AwsError.modeled("lambda", "InvalidParameterValueException", f"A {kind} cannot be cancelled.", Type="User")
        _changed(doc, op, "CANCELLED")


# --- from outside the function -------------------------------------------------------------
def complete_callback(txn: Txn, callback_id: str, outcome: str, payload: dict[str, Any]) -> str:
    """SendDurableExecutionCallbackSuccess/Failure/Heartbeat; the execution's key."""
    row = txn.get(CALLBACKS, callback_id)
    key = str(row["key"]) if row else ""
    doc = txn.get(EXECUTIONS, key) if key else None
    op = doc["ops"].get(doc["callbacks"].get(callback_id, "")) if doc else None
    if doc is None or op is None:
        raise AwsError.modeled("lambda", "ResourceNotFoundException", f"Callback not found: {callback_id}", Type="User")
    if op["Status"] == "TIMED_OUT":
        raise AwsError.modeled("lambda", "CallbackTimeoutException", f"Callback {callback_id} has timed out.", Type="User")
    if op["Status"] != "STARTED" or doc["status"] != "RUNNING":
        raise AwsError.modeled("lambda", "InvalidParameterValueException", f"Callback {callback_id} has already completed.",
                               Type="User")
    details = op.setdefault("CallbackDetails", {})
    if outcome == "heartbeat":
        if op.get("_heartbeat_seconds"):
            op["_heartbeat_deadline"] = now_ms() + int(op["_heartbeat_seconds"]) * 1000
    elif outcome == "success":
        details["Result"] = payload.get("Result") or ""
        _changed(doc, op, "SUCCEEDED", {"CallbackSucceededDetails": {"Result": {"Payload": details["Result"]}}})
    else:
        details["Error"] = payload.get("Error") or {}
        _changed(doc, op, "FAILED", {"CallbackFailedDetails": {"Error": {"Payload": details["Error"]}}})
    save(txn, str(key), doc)
    return str(key)


def chained_done(txn: Txn, key: str, op_id: str, result: str | None, error: dict[str, Any] | None) -> None:
    doc = txn.get(EXECUTIONS, key)
    op = (doc or {}).get("ops", {}).get(op_id)
    if doc is None or op is None or op["Status"] in TERMINAL:
        return
    details = op.setdefault("ChainedInvokeDetails", {})
    if error is None:
        details["Result"] = result or ""
        _changed(doc, op, "SUCCEEDED", {"ChainedInvokeSucceededDetails": {"Result": {"Payload": details["Result"]}}})
    else:
        details["Error"] = error
        _changed(doc, op, "FAILED", {"ChainedInvokeFailedDetails": {"Error": {"Payload": error}}})
    save(txn, key, doc)


def stop(txn: Txn, key: str, arn: str, error: dict[str, Any] | None) -> int:
    doc = txn.get(EXECUTIONS, key)
    if doc is None:
        raise not_found(arn)
    if doc["status"] != "RUNNING":
        raise AwsError.modeled("lambda", "InvalidParameterValueException", f"Durable execution {arn} is not running.", Type="User")
    finish(doc, "STOPPED", error=error or {"ErrorType": "ExecutionStopped", "ErrorMessage": "The execution was stopped."})
    doc["token"] = None
    save(txn, key, doc)
    return int(doc["end"])


def save(txn: Txn, key: str, doc: dict[str, Any]) -> None:
    """Write an execution, keeping the index of live ones (LIVE) in step."""
    txn.put(EXECUTIONS, key, doc)
    if doc["status"] in ("RUNNING", "PAUSED"):
        txn.put(LIVE, key, {})
    else:
        txn.delete(LIVE, key)


def live(txn: Txn) -> list[str]:
    """The executions still running or paused."""
    return [k for k, _ in txn.scan(LIVE)]


def expired(txn: Txn, now: int) -> list[str]:
    """The ended executions past their retention."""
    return [key for key, doc in txn.scan(EXECUTIONS) if doc["status"] not in ("RUNNING", "PAUSED") and doc.get("end")
            and now - int(doc["end"]) > int(doc.get("retention_days") or 14) * 86_400_000]


def delete_expired(txn: Txn, keys: list[str]) -> None:
    for key in keys:
        doc = txn.get(EXECUTIONS, key)
        if doc is None:
            continue
        txn.delete(EXECUTIONS, key)
        txn.delete(LIVE, key)
        txn.delete(NAMES, f"{doc['function']}/{doc['name']}")
        for callback_id in doc.get("callbacks") or {}:
            txn.delete(CALLBACKS, callback_id)


# --- views ---------------------------------------------------------------------------------
def api_operation(op: dict[str, Any]) -> dict[str, Any]:
    """An operation as the API answers it (timestamps as datetimes, internal fields left out)."""
    out: dict[str, Any] = {}
    for k, v in op.items():
        if k.startswith("_"):
            continue
        if k in ("StartTimestamp", "EndTimestamp"):
            out[k] = as_time(v)
        elif isinstance(v, dict):
            out[k] = {dk: as_time(dv) if dk.endswith("Timestamp") else dv for dk, dv in v.items()}
        else:
            out[k] = v
    return out


def event_operation(op: dict[str, Any]) -> dict[str, Any]:
    """An operation as the invocation event carries it (timestamps in ms)."""
    return {k: v for k, v in op.items() if not k.startswith("_")}


def summary(doc: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"DurableExecutionArn": doc["arn"], "DurableExecutionName": doc["name"], "FunctionArn": doc["function_arn"],
                           "Status": doc["status"], "StartTimestamp": as_time(doc["start"])}
    if doc.get("end"):
        out["EndTimestamp"] = as_time(doc["end"])
    return out


def event_view(event: dict[str, Any]) -> dict[str, Any]:
    out = dict(event)
    out["EventTimestamp"] = as_time(event["EventTimestamp"])
    details = event.get("InvocationCompletedDetails")
    if details:
        out["InvocationCompletedDetails"] = {**details, "StartTimestamp": as_time(details.get("StartTimestamp")),
                                             "EndTimestamp": as_time(details.get("EndTimestamp"))}
    for name, field in (("ExecutionPausedDetails", "PauseRequestTimestamp"), ("ExecutionResumedDetails", "ResumeRequestTimestamp")):
        if event.get(name):
            out[name] = {**event[name], field: as_time(event[name][field])}
    wait = event.get("WaitStartedDetails")
    if wait:
        out["WaitStartedDetails"] = {**wait, "ScheduledEndTimestamp": as_time(wait["ScheduledEndTimestamp"])}
    return out
