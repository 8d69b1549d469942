"""Raw HTTP fuzzer: mutated request lines, headers, chunked bodies, pipelines, truncations
and random bytes, each on its own connection to the main listener.

Every connection must end in answers or a close: an HTTP 5xx other than 501/503 is a server
error, a connection neither answered nor closed within `TIMEOUT` is a hang (the runner
starts gureum with short header/body deadlines, so a truncated request is closed, not kept).
"""

from __future__ import annotations

import random
import re
import socket
import time
from urllib.parse import urlsplit

from fuzz.report import Report, rng, short

TIMEOUT = 10.0
_STATUS = re.compile(rb"HTTP/1\.[01] (\d{3})")

SEEDS: list[bytes] = [
    b"GET /_gureum/health HTTP/1.1\r\nHost: localhost\r\n\r\n",
    b"HEAD /_gureum/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    b"PUT /fuzz-bucket HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n",
    b"PUT /fuzz-bucket/key%20one?x-id=PutObject HTTP/1.1\r\nHost: localhost\r\nContent-Length: 11\r\n"
    b"Content-Type: text/plain\r\n\r\nhello world",
    b"PUT /fuzz-bucket/chunked HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    b"Content-Length: 43\r\n\r\nAction=ListQueues&Version=2012-11-05&x=1234",
    b"POST / HTTP/1.1\r\nHost: localhost\r\nX-Amz-Target: AmazonSQS.ListQueues\r\n"
    b"Content-Type: application/x-amz-json-1.0\r\nContent-Length: 2\r\n\r\n{}",
    b"GET /v2/ HTTP/1.1\r\nHost: localhost\r\n\r\n",
    b"POST /2015-03-31/functions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
    b"Content-Length: 17\r\n\r\n{\"FunctionName\":1}",
    b"GET /2013-04-01/hostedzone HTTP/1.1\r\nHost: localhost\r\n"
    b"Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/route53/aws4_request, "
    b"SignedHeaders=host, Signature=00\r\n\r\n",
]

TOKENS = [
    b"\r\n", b"\r\n\r\n", b"\n", b" ", b"\x00", b"\xff", b":", b"%", b"%zz", b"?", b"#", b"/../",
    b"HTTP/1.1", b"HTTP/2.0", b"HTTP/9", b"Content-Length: ", b"Transfer-Encoding: chunked\r\n",
    b"Content-Length: -1\r\n", b"Content-Length: 99999999999999999999\r\n", b"Expect: 100-continue\r\n",
    b"Connection: close\r\n", b"Connection: upgrade\r\nUpgrade: websocket\r\n", b"ffffffff\r\n",
    b"0\r\n\r\n", b"-1\r\n", b"x-amz-target: \r\n", b"Host: \r\n", b"Content-Type: application/json\r\n",
    b"Authorization: AWS4-HMAC-SHA256 Credential=\r\n", b"\xc3\x28", b"{", b"<", b"A" * 300,
]


def mutate(r: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(r.randint(1, 4)):
        op = r.randrange(9)
        pos = r.randint(0, len(buf))
        if op == 0 and buf:  # flip a bit
            i = r.randrange(len(buf))
            buf[i] ^= 1 << r.randrange(8)
        elif op == 1:  # insert a token
            buf[pos:pos] = r.choice(TOKENS)
        elif op == 2 and buf:  # delete a run
            del buf[pos : pos + r.randint(1, 16)]
        elif op == 3:  # truncate
            del buf[pos:]
        elif op == 4:  # duplicate a run
            end = min(len(buf), pos + r.randint(1, 64))
            buf[pos:pos] = buf[pos:end] * r.randint(1, 8)
        elif op == 5:  # random bytes
            buf[pos:pos] = r.randbytes(r.randint(1, 64))
        elif op == 6:  # a header line
            buf[pos:pos] = b"X-F%d: %s\r\n" % (r.randrange(1000), r.choice(TOKENS))
        elif op == 7:  # pipeline another request after it
            buf += r.choice(SEEDS)
        else:  # replace a number (lengths, chunk sizes)
            text = bytes(buf)
            nums = list(re.finditer(rb"\d+", text))
            if nums:
                m = r.choice(nums)
                buf[m.start() : m.end()] = str(r.choice([0, 1, 7, 65535, 2**31, 2**64, r.randrange(100)])).encode()
    return bytes(buf)


def generate(r: random.Random) -> bytes:
    kind = r.random()
    if kind < 0.05:
        return r.randbytes(r.randint(1, 512))
    data = r.choice(SEEDS)
    if kind < 0.1:
        return data * r.randint(2, 20)  # a clean pipeline
    return mutate(r, data)


def exchange(host: str, port: int, data: bytes, half_close: bool) -> tuple[bytes, bool]:
    """Send `data` (then half-close, if asked: the server must answer what arrived whole and
    close); the bytes answered and whether the server ended the exchange (closed, or
    answered and then waited for more from us)."""
    with socket.create_connection((host, port), timeout=TIMEOUT) as sock:
        try:
            sock.sendall(data)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except OSError:
            return b"", True
        got = b""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            sock.settimeout(0.5 if got else max(0.05, deadline - time.monotonic()))
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                if got:
                    return got, True  # answered, and now waiting for more from us
                continue
            except OSError:
                return got, True
            if not chunk:
                return got, True
            got += chunk
        return got, False


def main(endpoint: str, dns_port: int, seconds: float) -> Report:
    report = Report("http_raw")
    r = rng("http_raw")
    url = urlsplit(endpoint)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        data = generate(r)
        report.sent += 1
        try:
            # Mostly half-closed (fast); the rest wait for the server's deadlines.
            got, ended = exchange(host, port, data, half_close=r.random() < 0.95)
        except OSError as exc:
            report.hang(f"connect failed ({exc}) after {report.sent} requests")
            time.sleep(1)
            continue
        if not ended:
            report.hang(f"neither answered nor closed in {TIMEOUT:.0f} s: {short(data)}")
        for m in _STATUS.finditer(got):
            status = int(m.group(1))
            if status >= 500 and status not in (501, 503):
                report.server_error(f"{status} for {short(data)} -> {short(got[m.start():], 200)}")
    return report
