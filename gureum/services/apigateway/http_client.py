"""The HTTP client of HTTP and HTTP_PROXY integrations: one request per connection
(`Connection: close`), the response read with httptools' parser (chunked or sized bodies),
http and https (with the stage's client certificate and the integration's tlsConfig: the
caller's SSL context), a deadline for the whole exchange. Redirects are not followed (API Gateway
passes them on)."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httptools

MAX_RESPONSE = 10 * 1024 * 1024


class HttpFailure(Exception):
    """The endpoint could not be reached, or answered something that is not HTTP."""


@dataclass
class _Collected:
    status: int = 0
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytearray = field(default_factory=bytearray)
    done: bool = False
    parser: httptools.HttpResponseParser | None = None

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_body(self, body: bytes) -> None:
        self.body += body
        if len(self.body) > MAX_RESPONSE:
            raise HttpFailure("response too large")

    def on_headers_complete(self) -> None:
        assert self.parser is not None
        self.status = self.parser.get_status_code()

    def on_message_complete(self) -> None:
        self.done = True


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


async def request(method: str, url: str, headers: list[tuple[str, str]], body: bytes, timeout: float,
                  tls: ssl.SSLContext | None = None, connect: tuple[str, int] | None = None) -> HttpAnswer:
    """`tls`: the context of an https URL (a client certificate, verification skipped), else
    the default one (the backend's certificate verified against the system's CAs). `connect`:
    the (address, port) to dial instead of the URL's (a VPC link's load balancer); the URL
    still gives the path, the Host header and, for https, the TLS name."""
    return await asyncio.wait_for(_request(method, url, headers, body, tls, connect), timeout)


async def _request(method: str, url: str, headers: list[tuple[str, str]], body: bytes,
                   tls: ssl.SSLContext | None, connect: tuple[str, int] | None = None) -> HttpAnswer:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HttpFailure(f"not an HTTP URL: {url}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    context = (tls or ssl.create_default_context()) if parts.scheme == "https" else None
    address, port = connect or (parts.hostname, port)
    try:
        reader, writer = await asyncio.open_connection(
            address, port, ssl=context, server_hostname=parts.hostname if context is not None else None)
    except OSError as e:
        raise HttpFailure(str(e)) from None
    try:
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
        lines = [f"{method} {target} HTTP/1.1", f"Host: {host}", "Connection: close", f"Content-Length: {len(body)}"]
        skip = {"host", "connection", "content-length", "transfer-encoding"}
        lines += [f"{k}: {v}" for k, v in headers if k.lower() not in skip and "\r" not in v and "\n" not in v]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", errors="replace") + body)
        await writer.drain()
        collected = _Collected()
        parser = httptools.HttpResponseParser(collected)
        collected.parser = parser
        while not collected.done:
            chunk = await reader.read(65536)
            if not chunk:
                break
            try:
                parser.feed_data(chunk)
            except httptools.HttpParserError as e:
                raise HttpFailure(f"bad HTTP response: {e}") from None
        if collected.status == 0:
            raise HttpFailure("no HTTP response")
        return HttpAnswer(collected.status, collected.headers, bytes(collected.body))
    except OSError as e:
        raise HttpFailure(str(e)) from None
    finally:
        writer.close()
