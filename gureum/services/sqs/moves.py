"""Dead-letter queue redrive: StartMessageMoveTask / ListMessageMoveTasks /
CancelMessageMoveTask. A task moves a DLQ's visible messages back to their source queues
(or to a given destination) at the requested rate, as a background task of the node."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.sqs.engine import Engine, Message, Queue, move_visible

DEFAULT_RATE = 500


@dataclass
class MoveTask:
    handle: str
    source: str
    destination: str | None
    rate: int
    to_move: int
    started: int
    moved: int = 0
    status: str = "RUNNING"
    failure: str | None = None

    def entry(self) -> dict[str, Any]:
        out: dict[str, Any] = {"TaskHandle": self.handle, "Status": self.status, "SourceArn": self.source,
                               "MaxNumberOfMessagesPerSecond": self.rate,
                               "ApproximateNumberOfMessagesMoved": self.moved,
                               "ApproximateNumberOfMessagesToMove": self.to_move,
                               "StartedTimestamp": self.started}
        if self.destination:
            out["DestinationArn"] = self.destination
        if self.failure:
            out["FailureReason"] = self.failure
        return out


def _tasks(eng: Engine) -> dict[str, MoveTask]:
    return eng.move_tasks


async def _run(eng: Engine, src: Queue, task: MoveTask) -> None:
    def dest_of(m: Message) -> Queue | None:
        arn = task.destination or m.dlq_source
        return eng.by_arn(arn) if arn else None

    try:
        while task.status == "RUNNING" and task.moved < task.to_move:
            t0 = time.monotonic()
            n = await move_visible(eng, src, dest_of, min(10, task.to_move - task.moved))
            if n == 0:
                break
            task.moved += n
            await asyncio.sleep(max(0.0, n / task.rate - (time.monotonic() - t0)))
        if task.status == "CANCELLING":
            task.status = "CANCELLED"
        elif task.status == "RUNNING":
            task.status = "COMPLETED"
    except Exception as exc:  # noqa: BLE001 - reported through ListMessageMoveTasks
        task.status = "FAILED"
        task.failure = f"{type(exc).__name__}: {exc}"


@operation("sqs", "StartMessageMoveTask")
async def start_message_move_task(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    eng = await Engine.of(ctx.app)
    src = eng.by_arn(params["SourceArn"])
    if src is None:
        raise AwsError.modeled(
            "sqs",
            "ResourceNotFoundException",
            "The resource that you specified for the SourceArn parameter doesn't exist.",
        )
    if not eng.dead_letter_sources(src):
        raise AwsError.modeled(
            "sqs", "InvalidParameterValue", "Source queue must be configured as a Dead Letter Queue."
        )
    dest = params.get("DestinationArn")
    if dest and eng.by_arn(dest) is None:
        raise AwsError.modeled(
            "sqs",
            "ResourceNotFoundException",
            "The resource that you specified for the DestinationArn parameter doesn't exist.",
        )
    rate = params.get("MaxNumberOfMessagesPerSecond") or DEFAULT_RATE
    if not 1 <= rate <= 500:
        raise AwsError.modeled(
            "sqs", "InvalidParameterValue", "MaxNumberOfMessagesPerSecond must be between 1 and 500."
        )
    tasks = _tasks(eng)
    if any(t.source == src.arn and t.status == "RUNNING" for t in tasks.values()):
        raise AwsError.modeled(
            "sqs",
            "UnsupportedOperation",
            "There is already a task running. Only one active task is allowed for a source queue arn at a given time.",
        )
    visible, _, _ = await eng.counts(src)
    handle = base64.b64encode(json.dumps({"taskId": str(uuid.uuid4()), "sourceArn": src.arn}).encode()).decode()
    task = MoveTask(handle, src.arn, dest, rate, visible, int(time.time() * 1000))
    tasks[handle] = task
    ctx.app.spawn(_run(eng, src, task), f"sqs move {src.name}")
    return {"TaskHandle": handle}


@operation("sqs", "ListMessageMoveTasks")
async def list_message_move_tasks(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    eng = await Engine.of(ctx.app)
    if eng.by_arn(params["SourceArn"]) is None:
        raise AwsError.modeled(
            "sqs",
            "ResourceNotFoundException",
            "The resource that you specified for the SourceArn parameter doesn't exist.",
        )
    found = [t for t in _tasks(eng).values() if t.source == params["SourceArn"]]
    found.sort(key=lambda t: t.started, reverse=True)
    limit = params.get("MaxResults") or 1
    return {"Results": [t.entry() for t in found[:limit]]}


@operation("sqs", "CancelMessageMoveTask")
async def cancel_message_move_task(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    eng = await Engine.of(ctx.app)
    task = _tasks(eng).get(params["TaskHandle"])
    if task is None:
        raise AwsError.modeled("sqs", "ResourceNotFoundException", "Task does not exist.")
    if task.status != "RUNNING":
        raise AwsError.modeled("sqs", "UnsupportedOperation", "Only active tasks can be cancelled.")
    task.status = "CANCELLING"
    return {"ApproximateNumberOfMessagesMoved": task.moved}



