"""The native worker (native_alb.c) and Python's front (front.py + alb.py) send a target the
same request head and give the client the same answer, byte for byte: the same raw requests go
through both to one recording target (the trace id's random part is the only difference), and
what the worker does not serve itself reaches Python with every byte it read; the worker keeps
the listener's HTTP limits (connections per client, header bytes: Python's 431)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from waiting import wait_for

from gureum.http.limits import HttpLimits
from gureum.services.elbv2 import native_alb, routing
from gureum.services.elbv2.alb import AlbHandler
from gureum.services.elbv2.cw_metrics import Tally
from gureum.services.elbv2.front import AlbServer
from gureum.services.elbv2.meter import Meter
from gureum.services.elbv2.snapshot import GroupView, ListenerView, Snapshot
from gureum.services.elbv2.upstream import Pool

pytestmark = pytest.mark.skipif(native_alb.worker_binary() is None, reason="no C compiler: no native worker")

KEY = ("127.0.0.9", 80)
TG = "arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/tg/1"
LB = "arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/lb/1"
# answers the target gives, by request path: hop-by-hop lines to drop, a chunked body to re-frame
ANSWERS = {
    b"/len": b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n"
             b"Content-Length: 5\r\n\r\nhello",
    b"/chunked": b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nX-A:  spaced \r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n",
    b"/empty": b"HTTP/1.1 204 No Content\r\nTE: x\r\nKeep-Alive: 3\r\nProxy-Connection: x\r\n\r\n",
}
REQUESTS = [
    b"GET /len HTTP/1.1\r\nHost: App.Example:80\r\nAccept: */*\r\n\r\n",
    b"GET /len?a=1&b HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 198.51.100.1\r\nx-forwarded-for: 10.0.0.1\r\n"
    b"Connection: keep-alive\r\nX-Amzn-Trace-Id: Root=1-5f000000-000000000000000000000001\r\nX-Forwarded-Proto: https\r\n"
    b"Keep-Alive: 5\r\nTE: trailers\r\nUser-Agent:   spaced value \t\r\n\r\n",
    b"GET /len? HTTP/1.1\r\nX-Amzn-Trace-Id: Self=1\r\nx-empty:\r\n\r\n",
    b"POST /chunked HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nbody",
    b"DELETE /empty HTTP/1.1\r\nHost: h\r\n\r\n",
    b"HEAD /len HTTP/1.1\r\nHost: h\r\n\r\n",
    b"PUT /len HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbody\r\n0\r\n\r\n",
]
_TRACE = re.compile(rb"(x-amzn-trace-id: Root=1-[0-9a-f]{8}-)[0-9a-f]{24}")


def _snap(port: int) -> Snapshot:
    snap = Snapshot()
    rule = {"id": "d", "Priority": "default", "RuleArn": "r0", "Conditions": [],
            "Actions": [{"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": TG, "Weight": 1}]}}]}
    snap.listeners[KEY] = ListenerView("111122223333/us-east-1/lb", LB, "application", KEY[0], KEY[1], "HTTP", [rule], {})
    doc = {"id": "tg1", "TargetType": "ip", "TargetGroupArn": TG, "attributes": {}}
    snap.groups[TG] = GroupView(TG, "111122223333/us-east-1/tg1", doc, [("k", "127.0.0.1", port, "healthy")],
                                [("127.0.0.1", port)])
    return snap


async def _target(seen: list[bytes]) -> asyncio.Server:
    async def serve(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await r.readuntil(b"\r\n\r\n")
                body = b""
                m = re.search(rb"\r\ncontent-length: (\d+)", head)
                if m:
                    body = await r.readexactly(int(m.group(1)))
                elif b"\r\ntransfer-encoding: chunked" in head:
                    while True:
                        line = await r.readuntil(b"\r\n")
                        n = int(line.split(b";")[0], 16)
                        body += line + await r.readexactly(n + 2)
                        if n == 0:
                            break
                seen.append(head + body)
                answer = ANSWERS[head.split(b" ", 2)[1].split(b"?")[0]]
                w.write(answer[:answer.index(b"\r\n\r\n") + 4] if head.startswith(b"HEAD ") else answer)
                await w.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            w.close()
    return await asyncio.start_server(serve, "127.0.0.1", 0)


async def _exchange(port: int, raw: bytes) -> bytes:
    """Send `raw`, read one answer (by its framing), close."""
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(raw)
    head = await r.readuntil(b"\r\n\r\n")
    if head.startswith(b"HTTP/1.1 100 "):
        head += await r.readuntil(b"\r\n\r\n")
    body = b""
    if raw.startswith(b"HEAD ") or head.startswith(b"HTTP/1.1 204"):
        pass
    elif m := re.search(rb"(?i)\r\ncontent-length: (\d+)", head):
        body = await r.readexactly(int(m.group(1)))
    else:
        while True:
            line = await r.readuntil(b"\r\n")
            n = int(line, 16)
            body += line + await r.readexactly(n + 2)
            if n == 0:
                break
    w.close()
    return head + body


def _handler(snap: Snapshot) -> AlbHandler:
    async def never(_f: str, _p: bytes) -> tuple[bytes, str | None]:
        raise AssertionError("no Lambda here")
    return AlbHandler(KEY, lambda: snap, Pool(), routing.RoundRobin(), Meter(), never, lambda *_: None)


async def _both() -> tuple[list[bytes], list[bytes], list[bytes], list[bytes], Any]:
    py_seen: list[bytes] = []
    nat_seen: list[bytes] = []
    py_target, nat_target = await _target(py_seen), await _target(nat_seen)
    py_port = py_target.sockets[0].getsockname()[1]
    nat_port = nat_target.sockets[0].getsockname()[1]
    python = AlbServer(_handler(_snap(py_port)))
    _, python_port = await python.start("127.0.0.1", 0)
    handler = _handler(_snap(nat_port))
    native_server = AlbServer(handler)
    lsock = AlbServer.bind("127.0.0.1", 0)
    native_port = lsock.getsockname()[1]
    binary = native_alb.worker_binary()
    assert binary is not None
    native = native_alb.NativeListener(binary, handler, native_server, Meter(), Tally())
    native.start(lsock)
    lsock.close()
    native_server.serve_handed()
    try:
        await asyncio.to_thread(wait_for, "the worker took its table", lambda: native.table_version >= 1, 10)
        py_answers = [await _exchange(python_port, raw) for raw in REQUESTS]
        nat_answers = [await _exchange(native_port, raw) for raw in REQUESTS]
        counts = (native.served, native.handed)
        # HTTP/1.0 and Expect: handed to Python with the bytes read, answered there
        handed = [await _exchange(native_port, b"GET /len HTTP/1.0\r\nHost: h\r\n\r\n"),
                  await _exchange(native_port, b"POST /len HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
                                               b"Content-Length: 2\r\n\r\nhi")]
        return py_seen, nat_seen, py_answers, nat_answers, (counts, (native.served, native.handed), handed)
    finally:
        native.close_nowait()
        await native_server.stop(grace=0.5)
        await python.stop(grace=0.5)
        py_target.close()
        nat_target.close()


def test_the_worker_sends_and_answers_byte_for_byte_what_python_does() -> None:
    py_seen, nat_seen, py_answers, nat_answers, (counts, later, handed) = asyncio.run(_both())
    assert counts == (len(REQUESTS), 0)  # every one of them decided natively
    assert len(py_seen) == len(REQUESTS) and len(nat_seen) == len(REQUESTS) + 2  # (+ the two Python forwarded)
    for py, nat in zip(py_seen, nat_seen[:len(REQUESTS)], strict=True):
        assert _TRACE.sub(rb"\1<random>", nat) == _TRACE.sub(rb"\1<random>", py)
    assert b"x-amzn-trace-id: Root=1-5f000000-000000000000000000000001\r\n" in nat_seen[1]
    assert b"x-forwarded-for: 198.51.100.1, 10.0.0.1, 127.0.0.1\r\n" in nat_seen[1]
    assert b"user-agent: spaced value \t\r\n" in nat_seen[1]
    assert nat_seen[2].startswith(b"GET /len HTTP/1.1\r\n") and b"\r\nhost: 127.0.0.9\r\n" in nat_seen[2]
    assert nat_answers == py_answers
    assert nat_answers[3] == b"HTTP/1.1 201 Created\r\nX-A:  spaced \r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    assert later == (len(REQUESTS), 2)
    assert handed[0].startswith(b"HTTP/1.1 200 ") and handed[0].endswith(b"hello")
    assert handed[1].startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 ")


async def _limited() -> tuple[list[bytes], bytes, bytes, tuple[int, int]]:
    seen: list[bytes] = []
    target = await _target(seen)
    handler = _handler(_snap(target.sockets[0].getsockname()[1]))
    server = AlbServer(handler, limits=HttpLimits(max_connections_per_client=2, max_header_bytes=200))
    lsock = AlbServer.bind("127.0.0.1", 0)
    port = lsock.getsockname()[1]
    binary = native_alb.worker_binary()
    assert binary is not None
    native = native_alb.NativeListener(binary, handler, server, Meter(), Tally())
    native.start(lsock)
    lsock.close()
    server.serve_handed()
    try:
        await asyncio.to_thread(wait_for, "the worker took its table", lambda: native.table_version >= 1, 10)
        held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(2)]
        r, w = await asyncio.open_connection("127.0.0.1", port)  # a third from the same address: refused
        w.write(b"GET /len HTTP/1.1\r\nHost: h\r\n\r\n")
        try:
            refused = await r.read()
        except ConnectionError:
            refused = b""
        w.close()
        for _, hw in held:
            hw.close()
        await asyncio.to_thread(wait_for, "the held connections closed", lambda: not server._conns, 10)
        # a header section past max_header_bytes: Python's 431; one within it: the worker's answer
        big = await _exchange(port, b"GET /len HTTP/1.1\r\nHost: h\r\nX-Big: " + b"y" * 300 + b"\r\n\r\n")
        return seen, refused, big, (native.served, native.handed)
    finally:
        native.close_nowait()
        await server.stop(grace=0.5)
        target.close()


def test_the_worker_keeps_the_listeners_limits() -> None:
    seen, refused, big, counts = asyncio.run(_limited())
    assert refused == b"" and seen == []  # the third connection got nothing and sent nothing on
    assert big.startswith(b"HTTP/1.1 431 ")
    assert counts == (0, 1)
