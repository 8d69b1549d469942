"""The ALB's fast path for the common case, without a gureum: a plain forward (one target
group, no stickiness, round robin, no access logs or authenticate actions) is decided without
the cookie jar or the algorithm and sends the same head the general path builds; every other
configuration still takes the general path (its cookies, its Lambda call, its 503); a new
snapshot is seen by the next request. The client side (front.py) reuses the last answer head
only where nothing differs: a HEAD request, an HTTP/1.0 client, a closing connection and a
sticky answer each get their own head, also right after a plain answer with the same head."""

from __future__ import annotations

import asyncio
from typing import Any

from gureum.services.elbv2 import routing
from gureum.services.elbv2.alb import AlbHandler, Answer, CallLambda, Forward, Incoming
from gureum.services.elbv2.front import AlbServer, _Client
from gureum.services.elbv2.meter import Meter
from gureum.services.elbv2.snapshot import GroupView, ListenerView, Snapshot
from gureum.services.elbv2.upstream import Pool, Upstream

Doc = dict[str, Any]
KEY = ("127.0.0.9", 80)
TG = "arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/tg/1"
LB = "arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/lb/1"
T1, T2 = ("10.0.0.1", 8080), ("10.0.0.2", 8080)


def _snap(attrs: Doc | None = None, lb_attrs: dict[str, str] | None = None, kind: str = "ip",
          routable: list[tuple[str, int]] | None = None, forward: Doc | None = None) -> Snapshot:
    snap = Snapshot()
    action = {"Type": "forward", "ForwardConfig": forward or {"TargetGroups": [{"TargetGroupArn": TG, "Weight": 1}]}}
    rule = {"id": "d", "Priority": "default", "RuleArn": "r0", "Conditions": [], "Actions": [action]}
    snap.listeners[KEY] = ListenerView("111122223333/us-east-1/lb", LB, "application", KEY[0], KEY[1], "HTTP", [rule],
                                       lb_attrs or {})
    doc = {"id": "tg1", "TargetType": kind, "TargetGroupArn": TG, "attributes": attrs or {}}
    targets = routable if routable is not None else [T1, T2]
    snap.groups[TG] = GroupView(TG, "111122223333/us-east-1/tg1", doc, [("k", a, p, "healthy") for a, p in targets],
                                list(targets))
    return snap


def _handler(snap: Snapshot) -> tuple[AlbHandler, list[Snapshot]]:
    current = [snap]

    async def never_invoked(_function: str, _payload: bytes) -> tuple[bytes, str | None]:
        raise AssertionError("no Lambda call here")
    return AlbHandler(KEY, lambda: current[0], Pool(), routing.RoundRobin(), Meter(), never_invoked,
                      lambda *_: None), current


def _req(headers: list[tuple[str, str]] | None = None, method: str = "GET", query: str = "") -> Incoming:
    return Incoming(method, "/p", query, headers if headers is not None else [("host", "app.example")],
                    ("192.0.2.7", 5000), False, 0)


def _forward(handler: AlbHandler, req: Incoming) -> Forward:
    plan = handler.decide(req).plan
    assert isinstance(plan, Forward), plan
    return plan


def _lines(head: bytes) -> list[str]:
    """The head's lines, the trace id's random part left out."""
    return [line if not line.startswith("x-amzn-trace-id: Root=1-") else "x-amzn-trace-id: generated"
            for line in head.decode("latin-1").split("\r\n")]


def test_a_plain_forward_sends_the_head_the_general_path_builds() -> None:
    plain, _ = _handler(_snap())
    logged, _ = _handler(_snap(lb_attrs={"access_logs.s3.enabled": "true"}))  # access logs: the general path
    assert plain.table() is not None and plain.table().constant.plain is not None  # type: ignore[union-attr]
    assert logged.table() is not None and logged.table().constant.plain is None  # type: ignore[union-attr]
    cases = [
        _req(),
        _req([("host", "app.example"), ("x-forwarded-for", "198.51.100.1"), ("connection", "keep-alive"),
              ("x-amzn-trace-id", "Root=1-5f000000-000000000000000000000001"), ("accept", "*/*")], query="a=1&b"),
        _req([("accept", "text/html")], method="POST"),  # no host: the load balancer's address is sent
    ]
    for req in cases:
        a, b = _forward(plain, req), _forward(logged, req)
        assert _lines(a.head) == _lines(b.head)
        assert a.set_cookies == b.set_cookies == []
    raw = _forward(plain, cases[1]).head.decode("latin-1").split("\r\n")
    assert raw[0] == "GET /p?a=1&b HTTP/1.1" and raw[-2:] == ["", ""]
    assert "x-forwarded-for: 198.51.100.1, 192.0.2.7" in raw
    assert "x-amzn-trace-id: Root=1-5f000000-000000000000000000000001" in raw  # the client's, kept
    assert "connection: keep-alive" not in raw and "x-forwarded-proto: http" in raw and "x-forwarded-port: 80" in raw
    assert "host: 127.0.0.9" in _lines(_forward(plain, cases[2]).head)


def test_a_plain_forward_takes_turns_and_sees_a_new_snapshot() -> None:
    handler, current = _handler(_snap())
    assert [_forward(handler, _req()).target for _ in range(4)] == [T1, T2, T1, T2]
    current[0] = _snap(routable=[T2])  # T1 turned unhealthy: the next request knows
    assert {_forward(handler, _req()).target for _ in range(3)} == {T2}
    current[0] = _snap(routable=[])
    plan = handler.decide(_req()).plan
    assert isinstance(plan, Answer) and plan.status == 503


def test_what_needs_the_general_path_still_gets_it() -> None:
    sticky, _ = _handler(_snap({"stickiness.enabled": "true", "stickiness.type": "lb_cookie",
                                "stickiness.lb_cookie.duration_seconds": "60"}))
    assert any(c.startswith("AWSALB=") for c in _forward(sticky, _req()).set_cookies)
    app, _ = _handler(_snap({"stickiness.enabled": "true", "stickiness.type": "app_cookie",
                             "stickiness.app_cookie.cookie_name": "sid"}))
    assert _forward(app, _req()).app_group is not None
    group_sticky, _ = _handler(_snap(forward={"TargetGroups": [{"TargetGroupArn": TG, "Weight": 1}],
                                              "TargetGroupStickinessConfig": {"Enabled": True, "DurationSeconds": 60}}))
    assert any(c.startswith("AWSALBTG=") for c in _forward(group_sticky, _req()).set_cookies)
    lor, _ = _handler(_snap({"load_balancing.algorithm.type": "least_outstanding_requests"}))
    lor.started(T1)
    assert _forward(lor, _req()).target == T2  # T1 has a request in flight
    lam, _ = _handler(_snap(kind="lambda", routable=[("arn:aws:lambda:us-east-1:111122223333:function:f", 0)]))
    assert isinstance(lam.decide(_req()).plan, CallLambda)
    for handler in (sticky, app, group_sticky, lor, lam):
        table = handler.table()
        assert table is not None and table.constant is not None and table.constant.plain is None


class _Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.data: list[bytes] = []
        self.closed = False

    def write(self, data: Any) -> None:
        self.data.append(bytes(data))

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("192.0.2.7", 5000) if name == "peername" else default

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        pass

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


ANSWER_HEAD = (b"HTTP/1.1 200 OK\r\nServer: t\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n"
               b"Connection: keep-alive\r\n\r\n")


def _exchange(handler: AlbHandler, server: AlbServer, request: bytes, answer: bytes, closes: bool = False) -> bytes:
    """One request on a new client connection, answered by a pooled target connection (which
    then `closes`, ending a body without framing): what the client got."""
    client = _Client(server, "192.0.2.7")
    to_client = _Transport()
    client.connection_made(to_client)
    up = Upstream(handler.pool, T1)
    up.connection_made(_Transport())
    handler.pool.release(up)
    client.data_received(request)
    up.data_received(answer)
    if closes:
        up.connection_lost(None)
    return b"".join(to_client.data)


def test_the_answer_head_is_reused_only_where_nothing_differs() -> None:
    async def run() -> None:
        plain, _ = _handler(_snap(routable=[T1]))
        server = AlbServer(plain)
        get = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
        first = _exchange(plain, server, get, ANSWER_HEAD + b"hello")
        assert first == _exchange(plain, server, get, ANSWER_HEAD + b"hello")  # the same bytes, from the reused head
        assert first.startswith(b"HTTP/1.1 200 OK\r\n") and first.endswith(b"\r\n\r\nhello")
        assert b"connection" not in first.lower() and b"content-length: 5\r\n" in first.lower()
        head = _exchange(plain, server, b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", ANSWER_HEAD)
        assert head.endswith(b"\r\n\r\n") and b"transfer-encoding" not in head.lower()
        closing = _exchange(plain, server, b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", ANSWER_HEAD + b"hello")
        assert b"connection: close\r\n" in closing
        unframed = _exchange(plain, server, get, b"HTTP/1.1 200 OK\r\nServer: t\r\nConnection: keep-alive\r\n\r\nhello",
                             closes=True)
        assert b"transfer-encoding: chunked\r\n" in unframed and unframed.endswith(b"5\r\nhello\r\n0\r\n\r\n")
        old = _exchange(plain, server, b"GET / HTTP/1.0\r\nHost: a\r\n\r\n",
                        b"HTTP/1.1 200 OK\r\nServer: t\r\nConnection: keep-alive\r\n\r\nhello")
        assert b"transfer-encoding" not in old.lower() and b"connection: close\r\n" in old  # the same head as the last
        sticky, _ = _handler(_snap({"stickiness.enabled": "true", "stickiness.type": "lb_cookie",
                                    "stickiness.lb_cookie.duration_seconds": "60"}, routable=[T1]))
        sticky_server = AlbServer(sticky)
        sticky_server.last_head, sticky_server.last_out = ANSWER_HEAD[:-2], first[:-5]  # as if it had served `first`
        cookie = _exchange(sticky, sticky_server, get, ANSWER_HEAD + b"hello")
        assert b"set-cookie: AWSALB=" in cookie and b"set-cookie: AWSALBCORS=" in cookie
    asyncio.run(run())
