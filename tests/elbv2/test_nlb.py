"""The Network Load Balancer's data plane with real sockets: TCP connections spliced to a
target (both directions, half-close), UDP datagrams relayed with replies from the listener's
address, round robin over targets, and a connection reset when no target takes it."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from waiting import wait_for

from tests.elbv2.elb_helpers import SUBNETS, VPC, resolve, uniq, wait_listening


class _TcpEcho(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def _tcp_echo(tag: bytes) -> _TcpEcho:
    class H(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            data = b""
            while chunk := self.request.recv(65536):
                data += chunk
            self.request.sendall(tag + data)

    server = _TcpEcho(("127.0.0.1", 0), H)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _udp_echo(tag: bytes) -> socketserver.ThreadingUDPServer:
    class H(socketserver.DatagramRequestHandler):
        def handle(self) -> None:
            self.wfile.write(tag + self.rfile.read())

    server = socketserver.ThreadingUDPServer(("127.0.0.1", 0), H)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def echoes() -> Iterator[list[Any]]:
    made = [_tcp_echo(b"one:"), _tcp_echo(b"two:"), _udp_echo(b"udp:")]
    yield made
    for s in made:
        s.shutdown()
        s.server_close()


def _nlb(elb: Any, gureum: Any, protocol: str, ports: list[int], listen: int) -> str:
    lb = elb.create_load_balancer(Name=uniq("nlb"), Subnets=SUBNETS[:1], Type="network")["LoadBalancers"][0]
    tg = elb.create_target_group(Name=uniq("tg"), Protocol=protocol, Port=ports[0], VpcId=VPC, TargetType="ip")["TargetGroups"][0]
    elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": "127.0.0.1", "Port": p} for p in ports])
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol=protocol, Port=listen,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
    address = wait_for("the NLB's name in DNS", lambda: resolve(gureum.dns_port, lb["DNSName"]), 20)
    wait_for("active", lambda: elb.describe_load_balancers(LoadBalancerArns=[lb["LoadBalancerArn"]])["LoadBalancers"][0]["State"]["Code"] == "active", 20)
    if protocol == "TCP":
        wait_listening(str(address), listen)
    return str(address)


def _tcp_round_trip(address: str, port: int, payload: bytes) -> bytes:
    with socket.create_connection((address, port), timeout=10) as s:
        s.sendall(payload)
        s.shutdown(socket.SHUT_WR)
        out = b""
        while chunk := s.recv(65536):
            out += chunk
        return out


def test_tcp_listener_splices_connections_round_robin(elb, gureum, echoes) -> None:  # type: ignore[no-untyped-def]
    address = _nlb(elb, gureum, "TCP", [echoes[0].server_address[1], echoes[1].server_address[1]], 7000)
    got = {_tcp_round_trip(address, 7000, b"x" * 100000) for _ in range(8)}
    assert got == {b"one:" + b"x" * 100000, b"two:" + b"x" * 100000}


def test_udp_listener_relays_datagrams_and_replies(elb, gureum, echoes) -> None:  # type: ignore[no-untyped-def]
    address = _nlb(elb, gureum, "UDP", [echoes[2].server_address[1]], 5353)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(2)

        def ask() -> bytes | None:
            s.sendto(b"ping", (address, 5353))
            try:
                data, src = s.recvfrom(65536)
            except TimeoutError:
                return None
            assert src == (address, 5353)  # the reply comes from the listener
            return data
        assert wait_for("a UDP reply", ask, 20) == b"udp:ping"


def test_tcp_without_a_live_target_resets(elb, gureum) -> None:  # type: ignore[no-untyped-def]
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    dead_port = s.getsockname()[1]
    s.close()
    address = _nlb(elb, gureum, "TCP", [dead_port], 7001)

    def outcome() -> str | None:
        try:
            with socket.create_connection((address, 7001), timeout=10) as c:
                c.sendall(b"hello")
                return "closed" if c.recv(10) == b"" else "answered"
        except ConnectionRefusedError:
            return None  # the listener is not bound yet
        except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
            return "reset"
    assert wait_for("the listener", outcome, 20) == "reset"
