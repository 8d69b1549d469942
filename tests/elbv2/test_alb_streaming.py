"""The ALB's data path on one client connection, byte for byte: pipelined requests answered in
order, a large body streamed to the target and its answer streamed back, a HEAD answered
without a body (the connection still usable after it), and a target's chunked answer relayed
chunked."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.elbv2.elb_helpers import Backend
from tests.elbv2.test_alb import _setup


@pytest.fixture
def backend() -> Iterator[Backend]:
    b = Backend("s")
    yield b
    b.close()


def _read_answer(f: Any) -> tuple[int, dict[str, str], bytes]:
    status = int(f.readline().split()[1])
    headers: dict[str, str] = {}
    while (line := f.readline()) not in (b"\r\n", b""):
        k, _, v = line.decode().partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, b""


def _body(f: Any, headers: dict[str, str]) -> bytes:
    if "content-length" in headers:
        return bytes(f.read(int(headers["content-length"])))
    assert headers.get("transfer-encoding") == "chunked", headers
    out = b""
    while (n := int(f.readline().strip(), 16)) > 0:
        out += f.read(n)
        f.readline()
    f.readline()
    return out


def test_pipelined_requests_large_bodies_and_head(elb, gureum, backend) -> None:  # type: ignore[no-untyped-def]
    _, _, _, address = _setup(elb, gureum, [backend])
    with socket.create_connection((address, 80), timeout=30) as s, s.makefile("rb") as f:
        s.sendall(b"GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\n\r\n")
        paths = []
        for _ in range(2):
            status, headers, _ = _read_answer(f)
            assert status == 200
            paths.append(json.loads(_body(f, headers))["path"])
        assert paths == ["/one", "/two"]
        big = b"z" * (3 << 20)
        sender = threading.Thread(target=s.sendall, args=(b"POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
                                                          % len(big) + big,))
        sender.start()  # the answer is read while the body is still being sent
        status, headers, _ = _read_answer(f)
        doc = json.loads(_body(f, headers))
        sender.join(30)
        assert status == 200 and doc["path"] == "/big" and len(doc["body"]) == len(big)
        s.sendall(b"HEAD /h HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n")
        status, headers, _ = _read_answer(f)
        # the test target has no HEAD handler: its 501 comes through, headers only (the length
        # of the page a GET would have), and the connection goes on
        assert status == 501 and int(headers["content-length"]) > 0
        status, headers, _ = _read_answer(f)
        assert status == 200 and json.loads(_body(f, headers))["path"] == "/after"


def test_a_chunked_answer_is_relayed_chunked(elb, gureum) -> None:  # type: ignore[no-untyped-def]
    import http.server

    class Chunky(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(200)
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            for part in (b"hello ", b"from ", b"chunks"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Chunky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        target = Backend.__new__(Backend)
        target.port = server.server_address[1]
        _, _, _, address = _setup(elb, gureum, [target], port=8080)
        with socket.create_connection((address, 8080), timeout=30) as s, s.makefile("rb") as f:
            for _ in range(2):  # twice on one connection: the answer's end is where the chunks end
                s.sendall(b"GET /c HTTP/1.1\r\nHost: x\r\n\r\n")
                status, headers, _ = _read_answer(f)
                assert status == 200 and headers["transfer-encoding"] == "chunked"
                assert _body(f, headers) == b"hello from chunks"
    finally:
        server.shutdown()
        server.server_close()
