"""Helpers shared by the ELBv2 tests: unique names and the subnets/VPC a load balancer takes."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

SUBNETS = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
VPC = "vpc-0123456789abcdef0"


def uniq(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def code_of(call) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as e:
        call()
    return str(e.value.response["Error"]["Code"])


class Backend:
    """A real HTTP target on 127.0.0.1: answers JSON naming itself, the path, the method, the
    headers and the body it got (Content-Length or chunked); `/health` answers `health_status`;
    `/slow` waits until `release` is set; `/blob?n=N` answers N bytes (a repeating pattern,
    `big_pattern`) in 64 KiB writes, `/blob-chunked?n=N` the same chunked."""

    def __init__(self, name: str) -> None:
        import http.server
        import threading

        self.name = name
        self.health_status = 200
        self.set_cookie: str | None = None  # a Set-Cookie value its answers carry (application stickiness)
        self.release = threading.Event()
        self.slow_arrived = threading.Event()
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
                    body = b""
                    while True:
                        size = int(self.rfile.readline().split(b";")[0], 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            break
                        body += self.rfile.read(size)
                        self.rfile.readline()
                else:
                    n = int(self.headers.get("content-length") or 0)
                    body = self.rfile.read(n) if n else b""
                if self.path.startswith("/blob"):
                    self._big(int(self.path.split("n=", 1)[1]), self.path.startswith("/blob-chunked"))
                    return
                if self.path.startswith("/health"):
                    status, out = outer.health_status, b"ok"
                else:
                    if self.path.startswith("/slow"):
                        outer.slow_arrived.set()
                        outer.release.wait(30)
                    status = 200
                    out = json.dumps({"backend": outer.name, "path": self.path, "method": self.command,
                                      "headers": {k.lower(): v for k, v in self.headers.items()},
                                      "body": body.decode()}).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(out)))
                if outer.set_cookie and not self.path.startswith("/health"):
                    self.send_header("set-cookie", outer.set_cookie)
                self.end_headers()
                self.wfile.write(out)

            def _big(self, n: int, chunked: bool) -> None:
                self.send_response(200)
                self.send_header("content-type", "application/octet-stream")
                self.send_header("transfer-encoding" if chunked else "content-length", "chunked" if chunked else str(n))
                self.end_headers()
                sent = 0
                while sent < n:
                    piece = big_pattern(sent, min(65536, n - sent))
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                    sent += len(piece)
                if chunked:
                    self.wfile.write(b"0\r\n\r\n")

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def big_pattern(offset: int, n: int) -> bytes:
    """Bytes offset..offset+n of the Backend's big answers (each position's own byte)."""
    return bytes((i * 7 + i // 251) & 0xFF for i in range(offset, offset + n))


def native_counts(gureum_pid: int) -> tuple[int, int]:
    """(requests the native ALB workers of this gureum decided, connections they handed to
    Python), summed over its workers: read from their shared counters (elbv2/native_alb.py's
    layout) through /proc, as any process of the same user may."""
    import os
    import struct
    from pathlib import Path

    served = handed = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            args = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid != gureum_pid or not os.path.basename(args[0]).startswith(b"gureum-alb-"):
            continue
        try:
            with open(proc / "fd" / args[3].decode(), "rb") as f:
                words = struct.unpack("=4Q", f.read(32))
        except OSError:
            continue
        served += words[1]
        handed += words[2]
    return served, handed


def resolve(dns_port: int, name: str) -> str | None:
    """The A record gureum's DNS answers for `name` (None: no address)."""
    import dns.message
    import dns.query
    import dns.rdatatype

    q = dns.message.make_query(name, "A")
    r = dns.query.udp(q, "127.0.0.1", port=dns_port, timeout=5)
    for rrset in r.answer:
        if rrset.rdtype == dns.rdatatype.A:
            return str(next(iter(rrset)))
    return None


def wait_listening(address: str, port: int, timeout: float = 20) -> None:
    """Until the load balancer's listener accepts TCP connections (the data plane binds a new
    listener within its reconcile interval)."""
    import socket

    from waiting import wait_for

    def up() -> bool:
        try:
            with socket.create_connection((address, port), timeout=2):
                return True
        except ConnectionRefusedError:
            return False
        except OSError:  # accepted, then reset (an NLB without a live target): listening
            return True
    wait_for(f"a listener on {address}:{port}", up, timeout)
