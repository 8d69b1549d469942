"""InvokeWithResponseStream and InvokeAsync.

InvokeWithResponseStream answers 200 with an AWS event stream
(gureum/aws/eventstream.py framing: prelude with lengths and CRC32, string
headers :event-type / :content-type / :message-type, payload, message CRC32): one
`PayloadChunk` event per piece the runtime streams (a function in streaming response mode,
runtime_api.py `ResponseStream`), or one with the whole response of a function that
answers buffered, then one `InvokeComplete` event ({ErrorCode, ErrorDetails, LogResult}:
ErrorCode is the function error's type (its payload's errorType), ErrorDetails the error
payload, LogResult the base64 log
tail with LogType=Tail). The HTTP Content-Type header is the stream's own content type
(ResponseStreamContentType). The answer's headers go out once the function has started
streaming or has finished, so a refusal (throttling, a missing function) is still an
ordinary AWS error.

InvokeAsync (deprecated by AWS, still served): the body is the event; queued like an Invoke
with InvocationType=Event, answered 202.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from gureum.aws import eventstream
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.http.server import Response
from gureum.services.lambda_ import recursion
from gureum.services.lambda_.api import ASYNC_PAYLOAD_LIMIT, check_invoke_input, invoked_account, trace_header
from gureum.services.lambda_.engine import encode_tail, engine_of
from gureum.services.lambda_.environment import InvokeResult
from gureum.services.lambda_.runtime_api import ResponseStream
from gureum.services.lambda_.scheduler import Throttled


def _error_type(result: InvokeResult) -> str:
    """The function error's type as its payload names it (else as the runtime's header did)."""
    try:
        named = json.loads(result.payload).get("errorType")
    except (ValueError, AttributeError):
        named = None
    return str(named or result.error_type or result.function_error)


def complete_event(result: InvokeResult, tail: bool) -> bytes:
    record: dict[str, str] = {}
    if result.function_error:
        record["ErrorCode"] = _error_type(result)
        record["ErrorDetails"] = result.payload.decode("utf-8", errors="replace")
    if tail:
        record["LogResult"] = encode_tail(result.log_tail)
    return eventstream.raw_event("InvokeComplete", json.dumps(record).encode(), "application/json")


def _throttled(exc: Throttled) -> AwsError:
    return AwsError.modeled("lambda", "TooManyRequestsException", "Rate Exceeded.", Type="User", Reason=exc.reason, retryAfterSeconds="1")


@operation("lambda", "InvokeWithResponseStream")
async def invoke_with_response_stream(ctx: RequestContext, params: dict[str, Any]) -> Response:
    engine = await engine_of(ctx.app)
    kind = params.get("InvocationType") or "RequestResponse"
    payload: bytes = params.get("Payload") or b""
    client_context = check_invoke_input(kind, payload, params.get("ClientContext"))
    account = invoked_account(ctx, params["FunctionName"])
    target = await engine.resolve(account, ctx.region, params["FunctionName"], params.get("Qualifier"))
    base_headers = [("x-amzn-RequestId", ctx.request_id), ("X-Amz-Executed-Version", target.version)]
    if kind == "DryRun":
        return Response(204, base_headers)
    tail = params.get("LogType") == "Tail"
    stream = ResponseStream()

    async def run() -> InvokeResult | BaseException:
        try:
            return await engine.invoke(account, ctx.region, target, payload, request_id=ctx.request_id,
                                       client_context=client_context, tail=tail, stream=stream, trace=trace_header(ctx))
        except Exception as exc:  # answered by the handler below
            return exc
        finally:
            stream.close()

    task = ctx.app.spawn(run(), name=f"lambda-stream-{ctx.request_id}")
    await asyncio.wait({stream.started, task}, return_when=asyncio.FIRST_COMPLETED)
    if not stream.started.done():
        outcome = task.result()
        if isinstance(outcome, Throttled):
            raise _throttled(outcome)
        if isinstance(outcome, recursion.RecursionStopped):
            raise recursion.stopped_error()
        if isinstance(outcome, BaseException):
            raise outcome
    content_type = stream.started.result() if stream.started.done() else "application/octet-stream"

    async def body() -> AsyncIterator[bytes]:
        async for chunk in stream.chunks():
            if chunk:
                yield eventstream.raw_event("PayloadChunk", chunk, "application/octet-stream")
        outcome = await task
        if not isinstance(outcome, InvokeResult):  # failed after streaming began: end the stream as AWS does
            failed = InvokeResult(payload=json.dumps({"errorType": "ServiceException", "errorMessage": str(outcome)}).encode(),
                                  function_error="Unhandled", error_type="ServiceException")
            yield complete_event(failed, False)
            return
        if not stream.started.done() and outcome.payload and not outcome.function_error:
            yield eventstream.raw_event("PayloadChunk", outcome.payload, "application/octet-stream")
        yield complete_event(outcome, tail)

    return Response(200, [*base_headers, ("Content-Type", content_type)], body())


@operation("lambda", "InvokeAsync")
async def invoke_async(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    engine = await engine_of(ctx.app)
    payload = params.get("InvokeArgs") or b""
    if not isinstance(payload, (bytes, bytearray)):
        payload = b""
    if ctx.body_stream is not None:
        parts: list[bytes] = []
        size = 0
        async for data in ctx.body_stream:
            size += len(data)
            if size > ASYNC_PAYLOAD_LIMIT:
                raise AwsError.modeled("lambda", "InvalidRequestContentException",
                                       f"Request must be smaller than {ASYNC_PAYLOAD_LIMIT} bytes for the InvokeAsync operation",
                                       Type="User")
            parts.append(data)
        payload = b"".join(parts)
    if len(payload) > ASYNC_PAYLOAD_LIMIT:
        raise AwsError.modeled("lambda", "InvalidRequestContentException",
                               f"Request must be smaller than {ASYNC_PAYLOAD_LIMIT} bytes for the InvokeAsync operation", Type="User")
    check_invoke_input("Event", bytes(payload), None)
    account = invoked_account(ctx, params["FunctionName"])
    target = await engine.resolve(account, ctx.region, params["FunctionName"], None)
    await engine.queue.enqueue(account, ctx.region, target, bytes(payload) or b"{}", request_id=ctx.request_id,
                               trace=trace_header(ctx))
    return {"Status": 202}
