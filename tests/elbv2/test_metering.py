"""Load balancer hours and LCU-hours in Cost Explorer: the usage rows the data plane writes
(meter.py, flushed every second here) priced from the price table, read back through boto3; the
(N)LCU arithmetic of a row (line_items.py) with figures computed by hand."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from waiting import wait_for

from gureum.billing.line_items import of_row
from gureum.billing.pricing import load
from tests.elbv2.elb_helpers import SUBNETS, VPC, Backend, resolve, uniq, wait_listening
from tests.harness import SUITE_RUNTIME_DATE, GureumProcess

LB_HOUR = 0.0225  # price_list.json "ALB-LoadBalancerUsage", us-east-1
LCU_HOUR = 0.008  # ... "ALB-LCUUsage"
NLCU_HOUR = 0.006  # ... "NLB-LCUUsage"


@pytest.fixture
def metered_gureum(tmp_path: Path) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path / "data", extra_args=["--set", "elbv2.meter_seconds=1"], env=SUITE_RUNTIME_DATE)
    proc.start()
    yield proc
    proc.stop()


def _groups(g: GureumProcess) -> dict[str, dict[str, Any]]:
    now = datetime.now(UTC)
    period = {"Start": now.strftime("%Y-%m-%d"), "End": (now + timedelta(days=1)).strftime("%Y-%m-%d")}
    out = g.client("ce").get_cost_and_usage(
        TimePeriod=period, Granularity="DAILY", Metrics=["UsageQuantity", "UnblendedCost"],
        Filter={"Dimensions": {"Key": "SERVICE", "Values": ["Elastic Load Balancing"]}},
        GroupBy=[{"Type": "DIMENSION", "Key": "USAGE_TYPE"}])
    return {k["Keys"][0]: k["Metrics"] for k in out["ResultsByTime"][0]["Groups"]}


def test_alb_hours_are_billed_per_the_price_list(metered_gureum: GureumProcess) -> None:
    g = metered_gureum
    elb = g.client("elbv2")
    elb.create_load_balancer(Name=uniq("alb"), Subnets=SUBNETS)
    found: dict[str, dict[str, Any]] = {}

    def billed() -> bool:
        found.clear()
        found.update(_groups(g))
        return "USE1-LoadBalancerUsage" in found
    wait_for("load balancer hours in Cost Explorer", billed, 30)
    hours = float(found["USE1-LoadBalancerUsage"]["UsageQuantity"]["Amount"])
    assert 0 < hours < 1
    assert float(found["USE1-LoadBalancerUsage"]["UnblendedCost"]["Amount"]) == pytest.approx(hours * LB_HOUR, rel=1e-4)  # CE rounds amounts
    assert "USE1-LCUUsage" not in found  # no traffic, no capacity units


def test_alb_traffic_is_billed_in_lcu_hours(metered_gureum: GureumProcess) -> None:
    g = metered_gureum
    elb = g.client("elbv2")
    backend = Backend("a")
    try:
        lb = elb.create_load_balancer(Name=uniq("alb"), Subnets=SUBNETS)["LoadBalancers"][0]
        tg = elb.create_target_group(Name=uniq("tg"), Protocol="HTTP", Port=80, VpcId=VPC, TargetType="ip")["TargetGroups"][0]
        elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "127.0.0.1", "Port": backend.port}])
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
        address = wait_for("the load balancer's name in DNS", lambda: resolve(g.dns_port, lb["DNSName"]), 20)
        wait_listening(address, 80)
        for _ in range(3):
            conn = http.client.HTTPConnection(address, 80, timeout=30)
            conn.request("GET", "/")
            assert conn.getresponse().status in (200, 503)  # 503 while the target's first health check is pending
            conn.close()
        # wait_listening's connection and the three above: the largest dimension is the new
        # connections (an LCU-hour gives 25 a second), far above the few KB of the 1 GB an
        # LCU-hour gives (one default rule is under the 10 free)
        least = 4 / (25 * 3600)
        found: dict[str, dict[str, Any]] = {}

        def billed() -> bool:
            found.clear()
            found.update(_groups(g))
            return "USE1-LCUUsage" in found and float(found["USE1-LCUUsage"]["UsageQuantity"]["Amount"]) >= least * 0.999
        wait_for("LCU-hours of four new connections in Cost Explorer", billed, 30)
    finally:
        backend.close()
    lcu = float(found["USE1-LCUUsage"]["UsageQuantity"]["Amount"])
    assert least * 0.999 <= lcu < 20 / (25 * 3600)
    assert float(found["USE1-LCUUsage"]["UnblendedCost"]["Amount"]) == pytest.approx(lcu * LCU_HOUR, rel=1e-2)


def test_lcu_hours_of_a_usage_row_as_aws_prices_them() -> None:
    """The ledger rows' (N)LCU-hours: the largest dimension's share of what one (N)LCU-hour gives."""
    table = load()
    t = 1_700_000_000_000
    alb = {"region": "us-east-1", "resource": "arn", "type": "application", "seconds": 60.0, "ts": t, "service": "elb",
           "requests": 100, "new_connections": 9000, "bytes": 2 * 1024**3, "rule_evaluations": 100 * 12}
    items = {i.usage_type: i for i in of_row(table, "123456789012/elb/x", alb)}
    assert items["USE1-LoadBalancerUsage"].quantity == pytest.approx(60 / 3600)
    assert items["USE1-LoadBalancerUsage"].cost == pytest.approx(60 / 3600 * LB_HOUR)
    # bytes: 2 GB of 1 GB an LCU-hour > 9000 connections of 90,000 > 200 billed rule evaluations of 3.6 M
    assert items["USE1-LCUUsage"].quantity == pytest.approx(2.0)
    assert items["USE1-LCUUsage"].cost == pytest.approx(2.0 * LCU_HOUR)
    assert items["USE1-LCUUsage"].operation == "LoadBalancing:Application"
    nlb = alb | {"type": "network", "bytes": 0, "new_connections": 800 * 3600 * 3, "seconds": 0.0}
    items = {i.usage_type: i for i in of_row(table, "123456789012/elb/y", nlb)}
    assert set(items) == {"USE1-NLCUUsage"}  # a non-lead node's row: no hours
    assert items["USE1-NLCUUsage"].quantity == pytest.approx(3.0)
    assert items["USE1-NLCUUsage"].cost == pytest.approx(3.0 * NLCU_HOUR)


def test_each_accepted_connection_is_one_new_connection_of_its_load_balancer() -> None:
    """The accept-site hook of gureum's HTTP server (HttpServer's on_connection) with
    Meter.accepted: counted in memory per load balancer, whatever the requests on the
    connection, and written with the flush."""
    import asyncio
    import socket

    from gureum.http.server import HttpServer, Response
    from gureum.services.elbv2.meter import Meter
    from gureum.services.elbv2.snapshot import Snapshot

    class View:
        lb_key = "111122223333/us-east-1/app-lb"

    meter = Meter()

    async def scenario() -> int:
        async def answer(_request: object) -> Response:
            return Response(200, [("content-type", "text/plain")], b"ok")

        server = HttpServer(answer)  # type: ignore[arg-type]
        snap = Snapshot()
        host, port = await server.start("127.0.0.1", 0)
        snap.listeners[(host, port)] = View()  # type: ignore[assignment]
        server.on_connection = lambda: meter.accepted(snap, (host, port))

        def three_connections_two_requests_each() -> None:
            for _ in range(3):
                with socket.create_connection((host, port), timeout=10) as c:
                    for last in (False, True):
                        c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n" + (b"Connection: close\r\n" if last else b"") + b"\r\n")
                        assert c.recv(4096).startswith(b"HTTP/1.1 200")
        await asyncio.to_thread(three_connections_two_requests_each)
        await server.stop(grace=1.0)
        return meter.counts[View.lb_key].new_connections

    assert asyncio.run(scenario()) == 3
    assert meter.counts[View.lb_key].requests == 0  # the hook counts connections, not requests


def test_the_alb_front_counts_each_accepted_connection_once() -> None:
    """The data plane's accept site (front.AlbServer's on_connection, the HTTP listener's and the
    HTTPS relay's inner server): three connections of two requests each are three new
    connections of the load balancer and six requests, counted in memory."""
    import asyncio
    import socket

    from gureum.services.elbv2 import routing
    from gureum.services.elbv2.alb import AlbHandler
    from gureum.services.elbv2.front import AlbServer
    from gureum.services.elbv2.meter import Meter
    from gureum.services.elbv2.snapshot import ListenerView, Snapshot
    from gureum.services.elbv2.upstream import Pool

    lb_key = "111122223333/us-east-1/front-lb"
    meter = Meter()
    snap = Snapshot()

    async def never_invoked(_function: str, _payload: bytes) -> tuple[bytes, str | None]:
        raise AssertionError("no Lambda target here")

    async def scenario() -> None:
        key = ("127.0.0.1", 0)
        handler = AlbHandler(key, lambda: snap, Pool(), routing.RoundRobin(), meter, never_invoked,
                             lambda *_: None)
        server = AlbServer(handler)
        host, port = await server.start("127.0.0.1", 0)
        handler.key = (host, port)
        snap.listeners[(host, port)] = ListenerView(
            lb_key, "arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/front-lb/1", "application",
            host, port, "HTTP", [{"id": "r", "Priority": "default", "Conditions": [], "Actions": [
                {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200", "MessageBody": "ok"}}]}], {})
        server.on_connection = lambda: meter.accepted(snap, (host, port))

        def three_connections_two_requests_each() -> None:
            for _ in range(3):
                with socket.create_connection((host, port), timeout=10) as c:
                    for last in (False, True):
                        c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n" + (b"Connection: close\r\n" if last else b"") + b"\r\n")
                        assert c.recv(4096).startswith(b"HTTP/1.1 200")
        await asyncio.to_thread(three_connections_two_requests_each)
        await server.stop(grace=1.0)

    asyncio.run(scenario())
    assert meter.counts[lb_key].new_connections == 3
    assert meter.counts[lb_key].requests == 6  # the hook counts connections, the handler requests
