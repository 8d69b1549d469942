"""The ALB's Python cost per request without sockets: one client connection (front.py's
protocol) and one pooled target connection (upstream.py's), both on transports that only
keep what is written, driven by hand: a keep-alive GET in, the target's small answer back,
again and again. What it measures is the proxy's own work per request (parsing both heads,
deciding, building the forwarded head, metering), not the kernel's or the event loop's, so it
is steady on a loaded machine where bench/elb/run.py is not.

    python bench/elb/micro.py [--requests 200000] [--rounds 5]

Prints the best round's microseconds per request."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from gureum.services.elbv2 import routing  # noqa: E402
from gureum.services.elbv2.alb import AlbHandler  # noqa: E402
from gureum.services.elbv2.front import AlbServer, _Client  # noqa: E402
from gureum.services.elbv2.meter import Meter  # noqa: E402
from gureum.services.elbv2.snapshot import GroupView, ListenerView, Snapshot  # noqa: E402
from gureum.services.elbv2.upstream import Pool, Upstream  # noqa: E402

ADDRESS, PORT, TARGET = "127.0.0.9", 80, ("127.0.0.1", 8080)
TG_ARN = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/bench/0123456789abcdef"
LB_ARN = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/bench/0123456789abcdef"
REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.9\r\n\r\n"
ANSWER = (b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Fri, 04 Dec 2026 03:00:00 GMT\r\n"
          b"Content-Type: application/octet-stream\r\nContent-Length: 22\r\nConnection: keep-alive\r\n\r\n"
          b"hello from the target\n")


class _Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written = 0
        self.last = b""

    def write(self, data: Any) -> None:
        self.written += 1
        self.last = bytes(data)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 40000) if name == "peername" else default

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        pass

    def is_closing(self) -> bool:
        return False

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def snapshot() -> Snapshot:
    snap = Snapshot()
    rule = {"id": "default", "Priority": "default", "Conditions": [],
            "Actions": [{"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": TG_ARN, "Weight": 1}]}}]}
    snap.listeners[(ADDRESS, PORT)] = ListenerView("000000000000/us-east-1/bench", LB_ARN, "application", ADDRESS, PORT,
                                                   "HTTP", [rule], {"idle_timeout.timeout_seconds": "60"})
    doc = {"id": "tg", "TargetType": "ip", "TargetGroupArn": TG_ARN,
           "attributes": {"stickiness.enabled": "false", "load_balancing.algorithm.type": "round_robin"}}
    snap.groups[TG_ARN] = GroupView(TG_ARN, "000000000000/us-east-1/tg", doc, [("t", TARGET[0], TARGET[1], "healthy")],
                                    [TARGET])
    return snap


async def measure(requests: int, rounds: int) -> float:
    snap = snapshot()
    seen: list[int] = [0]

    def observe(*_: object) -> None:
        seen[0] += 1

    async def invoke(function: str, payload: bytes) -> tuple[bytes, str | None]:
        raise AssertionError("no Lambda here")
    pool = Pool()
    handler = AlbHandler((ADDRESS, PORT), lambda: snap, pool, routing.RoundRobin(), Meter(), invoke, observe)
    server = AlbServer(handler)
    client = _Client(server, "127.0.0.1")
    to_client = _Transport()
    client.connection_made(to_client)
    up = Upstream(pool, TARGET)
    to_target = _Transport()
    up.connection_made(to_target)
    pool.release(up)
    best = float("inf")
    for _ in range(rounds):
        start = time.thread_time()
        for _ in range(requests):
            client.data_received(REQUEST)
            up.data_received(ANSWER)
        best = min(best, (time.thread_time() - start) / requests)
    assert to_client.last.endswith(b"hello from the target\n"), to_client.last
    assert seen[0] == requests * rounds and to_target.written == requests * rounds
    return best * 1e6


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--requests", type=int, default=200_000)
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args()
    us = asyncio.run(measure(args.requests, args.rounds))
    print(f"{us:.2f} us/request of Python (best of {args.rounds} rounds of {args.requests})")


if __name__ == "__main__":
    main()
