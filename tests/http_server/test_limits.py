"""Hostile HTTP clients against a real `gureum up` with small limits: slow bodies and
headers, huge request lines and header sections, a connection flood from one address,
pipelined requests whose answers are never read. Each asserts on states (closed, answered,
memory bounded), polled with a deadline."""

from __future__ import annotations

import json
import socket
import time
import urllib.request
from collections.abc import Iterator

import psutil
import pytest
from harness import GureumProcess
from waiting import wait_for

LIMITS = {
    "GUREUM_HTTP_HEADER_TIMEOUT": "1",
    "GUREUM_HTTP_BODY_MIN_RATE": "1000",
    "GUREUM_HTTP_BODY_RATE_WINDOW": "1",
    "GUREUM_HTTP_REQUEST_TIMEOUT": "20",
    "GUREUM_HTTP_MAX_REQUEST_LINE": "8192",
    "GUREUM_HTTP_MAX_HEADER_BYTES": "8192",
    "GUREUM_HTTP_MAX_CONNECTIONS_PER_CLIENT": "40",
    "GUREUM_HTTP_MAX_CONNECTIONS": "400",
}
ATTACKER = "127.0.0.2"  # loopback, but another client address than the health checks'


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path_factory.mktemp("http-limits") / "data", env=LIMITS)
    proc.start()
    yield proc
    proc.stop()


def connect(server: GureumProcess, source: str = ATTACKER, rcvbuf: int | None = None) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", server.port))
    return sock


def closed_by_server(sock: socket.socket, feed: bytes = b"", every: float = 0.2, timeout: float = 15.0) -> bytes | None:
    """Send `feed` one byte at a time (if given) until the server closes; everything it
    answered, or None if it was still open at the deadline. Each read waits up to `every`
    seconds: that is the drip's pace (a hostile client's, part of the test)."""
    sock.settimeout(every)
    got = b""
    sent = 0

    def closed() -> bool:
        nonlocal got, sent
        if feed:
            try:
                sock.send(feed[sent % len(feed) : sent % len(feed) + 1])
            except OSError:
                return True
            sent += 1
        try:
            data = sock.recv(65536)
        except socket.timeout:
            return False
        except OSError:
            return True
        got += data
        return not data

    try:
        wait_for("the server to close the connection", closed, timeout, interval=0)
    except AssertionError:
        return None
    return got


def health_answers(server: GureumProcess) -> bool:
    with urllib.request.urlopen(server.endpoint + "/_gureum/health", timeout=5) as resp:
        return resp.status == 200 and "services" in json.load(resp)


def test_a_body_slower_than_the_minimum_rate_is_closed(server: GureumProcess) -> None:
    sock = connect(server)
    sock.sendall(b"PUT /slow-bucket/key HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n0123456789")
    assert closed_by_server(sock, feed=b"x") is not None, "a 1-byte-every-0.2-s body kept its connection"
    sock.close()
    assert health_answers(server)


def test_headers_that_never_finish_are_closed(server: GureumProcess) -> None:
    sock = connect(server)
    sock.sendall(b"GET /_gureum/health HTTP/1.1\r\nHost: x\r\n")
    got = closed_by_server(sock, feed=b"X-Drip: 1\r\n")
    assert got is not None, "slowloris headers kept their connection"
    assert got == b"" or got.startswith(b"HTTP/1.1 408")
    sock.close()


def test_a_huge_request_line_gets_414_and_close(server: GureumProcess) -> None:
    sock = connect(server)
    sock.settimeout(5)
    sent = 0
    try:
        sock.sendall(b"GET /")
        while sent < 64 << 20:  # the server must stop us long before 64 MiB
            sock.sendall(b"a" * 65536)
            sent += 65536
    except OSError:
        pass
    got = closed_by_server(sock)
    assert got is not None and got.startswith(b"HTTP/1.1 414"), (sent, got)
    assert sent < 16 << 20
    sock.close()


def test_a_huge_header_section_gets_431_and_close(server: GureumProcess) -> None:
    sock = connect(server)
    sock.settimeout(5)
    try:
        sock.sendall(b"GET /_gureum/health HTTP/1.1\r\nHost: x\r\n")
        for i in range(5000):
            sock.sendall(b"X-Pad-%d: %s\r\n" % (i, b"v" * 100))
    except OSError:
        pass
    got = closed_by_server(sock)
    assert got is not None and got.startswith(b"HTTP/1.1 431"), got


def test_a_connection_flood_from_one_address_is_capped_and_health_answers(server: GureumProcess) -> None:
    pid = server.proc.pid if server.proc else 0
    fds_before = psutil.Process(pid).num_fds()
    socks = []
    try:
        for _ in range(400):
            try:
                socks.append(connect(server))
            except OSError:
                break
        for s in socks:
            s.setblocking(False)
        open_ = socks

        def capped() -> bool:
            nonlocal open_
            still = []
            for s in open_:
                try:
                    if s.recv(1) == b"":
                        continue  # closed by the server
                except BlockingIOError:
                    pass
                except OSError:
                    continue
                still.append(s)
            open_ = still
            return len(open_) <= 40

        try:
            wait_for("the server to close all but 40 connections from one address", capped, timeout=15, interval=0.1)
        except AssertionError:
            raise AssertionError(f"{len(open_)} connections from one address still open (cap 40)") from None
        assert psutil.Process(pid).num_fds() < fds_before + 40 + 20
        assert health_answers(server)
    finally:
        for s in socks:
            s.close()


def test_pipelined_requests_whose_answers_are_not_read_keep_memory_bounded(server: GureumProcess) -> None:
    """Each request's 404 echoes its 7 KB path; 20,000 of them unread would be ~150 MB of
    answers queued in the server before the limits."""
    pid = server.proc.pid if server.proc else 0
    proc = psutil.Process(pid)
    rss_before = proc.memory_info().rss
    request = b"GET /_gureum/" + b"p" * 7000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    sock = connect(server, rcvbuf=4096)
    sock.settimeout(3)  # the server pushing back makes send block: then we stop
    sent = 0
    try:
        for _ in range(20000):
            sock.sendall(request)
            sent += 1
    except OSError:
        pass
    grown = proc.memory_info().rss - rss_before
    sock.close()
    assert grown < 64 << 20, f"RSS grew by {grown >> 20} MiB after {sent} unread pipelined requests"
    assert health_answers(server)


def test_a_steady_upload_above_the_minimum_rate_completes(server: GureumProcess) -> None:
    """20 KB/s for 3 s (the limit here is 1000 B/s over 1 s windows): answered, not cut."""
    s3 = server.client("s3")
    s3.create_bucket(Bucket="steady")
    body = b"s" * 60_000
    sock = connect(server, source="127.0.0.1")
    sock.sendall(b"PUT /steady/obj HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n" % len(body))
    for i in range(0, len(body), 2000):
        sock.sendall(body[i : i + 2000])
        time.sleep(0.1)  # real time: the client's pace (20 KB/s), not synchronisation
    sock.settimeout(10)
    head = sock.recv(65536)
    sock.close()
    assert head.startswith(b"HTTP/1.1 200"), head[:200]
    assert s3.get_object(Bucket="steady", Key="obj")["Body"].read() == body


def test_a_handler_slower_than_the_inbound_deadlines_is_answered(server: GureumProcess) -> None:
    """SQS long polling for 3 s, past the 1 s header and body windows: inbound deadlines do
    not apply to a handler that takes long."""
    sqs = server.client("sqs")
    url = sqs.create_queue(QueueName="long-poll")["QueueUrl"]
    out = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=3)
    assert out.get("Messages", []) == []
