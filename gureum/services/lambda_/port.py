"""Lambda's port for other services (gureum/ports.py `FunctionPort`): invoking a function by
ARN, synchronously through this node's engine (engine.py) or as an Event through the durable
event queue (async_queue.py), whose retries, destinations and dead-letter target apply."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.ports import Invoked
from gureum.services.lambda_ import model
from gureum.services.lambda_.async_queue import enqueue
from gureum.services.lambda_.engine import COMPONENT, engine_of
from gureum.services.lambda_.scheduler import Throttled

if TYPE_CHECKING:
    from gureum.app import App


def parse_function_arn(arn: str) -> tuple[str, str, str, str | None]:
    """(account, region, name, qualifier) of arn:aws:lambda:<region>:<account>:function:<name>[:<q>];
    ResourceNotFoundException for anything else."""
    parts = arn.split(":")
    if len(parts) not in (7, 8) or parts[0] != "arn" or parts[2] != "lambda" or parts[5] != "function" or not parts[6]:
        raise model.not_found(arn)
    return parts[4], parts[3], parts[6], parts[7] if len(parts) == 8 else None


class Functions:
    """`FunctionPort` on `app`'s Lambda engine and event queue."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def invoke(self, arn: str, payload: bytes) -> Invoked:
        account, region, name, qualifier = parse_function_arn(arn)
        engine = await engine_of(self.app)
        target = await engine.resolve(account, region, name, qualifier)
        try:
            result = await engine.invoke(account, region, target, payload)
        except Throttled as exc:
            raise model.err("TooManyRequestsException", "Rate Exceeded.", 429, Reason=exc.reason) from None
        return Invoked(result.payload, result.function_error, target.version, result.request_id)

    async def invoke_async(self, arn: str, payload: bytes) -> str:
        account, region, name, qualifier = parse_function_arn(arn)
        key = model.fn_key(account, region, name)
        if await self.app.store.read(lambda t: t.get(model.FUNCTIONS, key)) is None:
            raise model.not_found(arn)
        request_id = await enqueue(self.app, account, region, name, qualifier, payload)
        engine = self.app.components.get(COMPONENT)
        queue = getattr(engine, "queue", None)
        if queue is not None:  # the engine runs on this node: it need not wait for its next poll
            queue.wake()
        return request_id
