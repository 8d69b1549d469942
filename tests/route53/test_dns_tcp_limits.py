"""Hostile DNS-over-TCP clients against a real `gureum up` with small limits (RFC 7766 §6.2):
pipelined queries whose answers are never read (memory bounded, UDP still answering), a
1-byte drip (closed: single bytes do not keep a connection alive), many connections from
one address (capped, other addresses served). States are polled with a deadline."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterator

import dns.message
import dns.query
import psutil
import pytest
from harness import GureumProcess
from waiting import wait_for

LIMITS = {
    "GUREUM_DNS_TCP_IDLE_TIMEOUT": "3",
    "GUREUM_DNS_TCP_MESSAGE_TIMEOUT": "1",
    "GUREUM_DNS_TCP_MAX_LIFETIME": "30",
    "GUREUM_DNS_TCP_WRITE_BUFFER": "16384",
    "GUREUM_DNS_TCP_MAX_CONNECTIONS_PER_CLIENT": "8",
    "GUREUM_DNS_TCP_MAX_CONNECTIONS": "200",
}
ATTACKER = "127.0.0.2"
QUERY = dns.message.make_query("www.example.com", "TXT").to_wire()
FRAMED = struct.pack("!H", len(QUERY)) + QUERY


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path_factory.mktemp("dns-limits") / "data", env=LIMITS)
    proc.start()
    proc.wait_service("route53")
    yield proc
    proc.stop()


def connect(server: GureumProcess, source: str = ATTACKER, rcvbuf: int | None = None) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", server.dns_port))
    return sock


def udp_answers(server: GureumProcess) -> bool:
    reply = dns.query.udp(dns.message.make_query("www.example.com", "A"), "127.0.0.1", port=server.dns_port, timeout=5)
    return reply.id is not None


def is_closed(sock: socket.socket) -> bool:
    """Whether the server closed `sock` (answers pending in it are read and dropped)."""
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
    except BlockingIOError:
        return False
    except OSError:
        return True


def test_pipelined_unread_queries_keep_memory_bounded_and_udp_answers(server: GureumProcess) -> None:
    proc = psutil.Process(server.proc.pid if server.proc else 0)
    rss_before = proc.memory_info().rss
    blob = FRAMED * 5000
    sent = [0] * 4
    stop = time.monotonic() + 10

    def flood(i: int) -> None:
        sock = connect(server, rcvbuf=4096)
        sock.settimeout(2)  # the server pushing back makes send block: then we stop
        try:
            while time.monotonic() < stop:
                sock.sendall(blob)
                sent[i] += 5000
        except OSError:
            pass
        finally:
            holders.append(sock)

    holders: list[socket.socket] = []
    threads = [threading.Thread(target=flood, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        grown = proc.memory_info().rss - rss_before
        assert grown < 100 << 20, f"RSS grew {grown >> 20} MiB after {sum(sent)} unread queries"
        assert udp_answers(server)
    finally:
        for s in holders:
            s.close()


def test_a_one_byte_drip_is_closed(server: GureumProcess) -> None:
    sock = connect(server)
    sock.setblocking(False)
    sent = 0

    def drip_closed() -> bool:  # called every 0.3 s: the attack's pace
        nonlocal sent
        try:
            sock.send(FRAMED[sent % len(FRAMED) : sent % len(FRAMED) + 1])
        except OSError:
            return True
        sent += 1
        return is_closed(sock)

    try:
        wait_for("the server to close a client sending one byte every 0.3 s", drip_closed, timeout=15, interval=0.3)
    finally:
        sock.close()


def test_connections_per_address_are_capped_and_others_served(server: GureumProcess) -> None:
    socks = [connect(server) for _ in range(30)]
    for s in socks:
        s.setblocking(False)
    open_ = list(socks)

    def capped() -> bool:
        nonlocal open_
        for s in open_:  # each keeps itself busy: a whole query at a time
            try:
                s.send(FRAMED)
            except OSError:
                pass
        open_ = [s for s in open_ if not is_closed(s)]
        return len(open_) <= 8

    try:
        try:
            wait_for("the server to close all but 8 TCP connections from one address", capped, timeout=15, interval=0.2)
        except AssertionError:
            raise AssertionError(f"{len(open_)} TCP connections from one address still open (cap 8)") from None
        other = connect(server, source="127.0.0.1")
        other.settimeout(5)
        other.sendall(FRAMED)
        (n,) = struct.unpack("!H", other.recv(2))
        assert dns.message.from_wire(other.recv(n)).id == dns.message.from_wire(QUERY).id
        other.close()
        assert udp_answers(server)
    finally:
        for s in socks:
            s.close()
