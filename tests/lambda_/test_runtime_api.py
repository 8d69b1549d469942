"""The Runtime API state machine and its HTTP adapter, fed values and raw bytes."""

from __future__ import annotations

import asyncio
import json

import pytest
from waiting import wait_for_async

from gureum.services.lambda_.runtime_api import InitError, Invocation, Outcome, RuntimeApi, RuntimeApiServer


def _inv(request_id: str = "r1", **kw) -> Invocation:
    return Invocation(request_id=request_id, payload=b'{"a":1}', deadline_ms=123, function_arn="arn:aws:lambda:us-east-1:000000000000:function:f", **kw)


def test_next_waits_for_a_submitted_invocation_and_response_finishes_it():
    async def scenario() -> Outcome:
        api = RuntimeApi()
        poll = asyncio.ensure_future(api.next())
        await wait_for_async("the runtime's first poll", api.ready.done, timeout=10)
        assert not poll.done()
        inv = _inv()
        api.submit(inv)
        assert (await poll) is inv
        api.respond("r1", b'"ok"')
        return await inv.done

    assert asyncio.run(scenario()) == Outcome(b'"ok"')


def test_submitted_before_poll_is_handed_out_on_the_next_poll():
    async def scenario() -> None:
        api = RuntimeApi()
        inv = _inv()
        api.submit(inv)
        assert (await api.next()) is inv
        api.fail("r1", b'{"errorType":"E"}', "E")
        assert (await inv.done).error_type == "E"
        with pytest.raises(KeyError):
            api.respond("other", b"")

    asyncio.run(scenario())


def test_init_error_fails_ready():
    async def scenario() -> None:
        api = RuntimeApi()
        api.init_failed(b'{"errorType":"Runtime.ImportModuleError"}', "Runtime.ImportModuleError")
        with pytest.raises(InitError) as exc:
            await api.ready
        assert exc.value.error_type == "Runtime.ImportModuleError"

    asyncio.run(scenario())


async def _exchange(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    length = int([h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length:")][0].split(b":")[1])
    body = await reader.readexactly(length)
    writer.close()
    return head + body


def test_http_adapter_sends_aws_headers_and_accepts_answers():
    async def scenario() -> tuple[bytes, bytes, Outcome]:
        api = RuntimeApi()
        server = RuntimeApiServer(api)
        address = await server.start()
        port = int(address.rsplit(":", 1)[1])
        inv = _inv(client_context='{"custom":{}}', trace_id="Root=1-x")
        api.submit(inv)
        nxt = await _exchange(port, b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n")
        body = b'{"answer": 42}'
        posted = await _exchange(
            port,
            b"POST /2018-06-01/runtime/invocation/r1/response HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body),
        )
        outcome = await inv.done
        await server.stop()
        return nxt, posted, outcome

    nxt, posted, outcome = asyncio.run(scenario())
    head, _, body = nxt.partition(b"\r\n\r\n")
    headers = {k.lower(): v for k, _, v in (line.decode().partition(": ") for line in head.split(b"\r\n")[1:])}
    assert nxt.startswith(b"HTTP/1.1 200")
    assert headers["lambda-runtime-aws-request-id"] == "r1"
    assert headers["lambda-runtime-deadline-ms"] == "123"
    assert headers["lambda-runtime-invoked-function-arn"].endswith(":function:f")
    assert headers["lambda-runtime-trace-id"] == "Root=1-x"
    assert headers["lambda-runtime-client-context"] == '{"custom":{}}'
    assert body == b'{"a":1}'
    assert posted.startswith(b"HTTP/1.1 202")
    assert outcome == Outcome(b'{"answer": 42}')


def test_unknown_request_id_is_rejected():
    async def scenario() -> bytes:
        api = RuntimeApi()
        server = RuntimeApiServer(api)
        port = int((await server.start()).rsplit(":", 1)[1])
        out = await _exchange(port, b"POST /2018-06-01/runtime/invocation/nope/response HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
        await server.stop()
        return out

    out = asyncio.run(scenario())
    assert out.startswith(b"HTTP/1.1 400")
    assert json.loads(out.partition(b"\r\n\r\n")[2])["errorType"] == "InvalidRequestID"


def test_connection_close_is_honoured_and_bodies_may_arrive_late():
    async def scenario() -> tuple[bytes, Outcome]:
        api = RuntimeApi()
        server = RuntimeApiServer(api)
        port = int((await server.start()).rsplit(":", 1)[1])
        inv = _inv()
        api.submit(inv)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        whole = await asyncio.wait_for(reader.read(), 5)  # EOF: the server closed
        writer.close()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST /2018-06-01/runtime/invocation/r1/response HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n")
        await writer.drain()
        await asyncio.sleep(0.05)  # real time: the body comes later, in a segment of its own
        writer.write(b"true")
        outcome = await asyncio.wait_for(inv.done, 5)
        writer.close()
        await server.stop()
        return whole, outcome

    whole, outcome = asyncio.run(scenario())
    assert whole.startswith(b"HTTP/1.1 200") and b"connection: close" in whole and whole.endswith(b'{"a":1}')
    assert outcome == Outcome(b"true")


def test_pipelined_answer_and_poll_are_answered_in_order():
    """The 202 accepting a response is written after the waiting invoke resumes, yet
    before anything else on that connection (here: the next invocation)."""

    async def scenario() -> tuple[bytes, Outcome]:
        api = RuntimeApi()
        server = RuntimeApiServer(api)
        port = int((await server.start()).rsplit(":", 1)[1])
        first = _inv("r1")
        api.submit(first)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n")
        await reader.readuntil(b'{"a":1}')
        second = _inv("r2")

        def on_done(_fut: asyncio.Future[Outcome]) -> None:  # as the environment does: next work at once
            api.finish_current()
            api.submit(second)

        first.done.add_done_callback(on_done)
        writer.write(
            b"POST /2018-06-01/runtime/invocation/r1/response HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"
            b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        data = b""
        while data.count(b"HTTP/1.1") < 2 or not data.endswith(b'{"a":1}'):
            data += await asyncio.wait_for(reader.read(65536), 5)
        outcome = await first.done
        writer.close()
        await server.stop()
        return data, outcome

    data, outcome = asyncio.run(scenario())
    assert outcome == Outcome(b"{}")
    assert data.startswith(b"HTTP/1.1 202") and data.index(b"HTTP/1.1 200") > 0
    assert b"Lambda-Runtime-Aws-Request-Id: r2" in data
