"""HTTP_PROXY integrations: one HTTP/1.1 request to the integration's URL over asyncio
(httptools parses the answer), with the integration's timeout. A backend that cannot be
reached or answers late is AWS's 503 Service Unavailable / 504 Gateway Timeout."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httptools

# hop-by-hop headers a proxy never forwards (RFC 9110 7.6.1), and the ones we set ourselves
_HOP = {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
        "host", "content-length", "expect"}
MAX_RESPONSE = 10 * 1024 * 1024  # API Gateway's payload limit


class BackendError(Exception):
    """The backend could not be reached, or answered something unreadable."""


@dataclass
class _Parsed:
    status: int = 0
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytearray = field(default_factory=bytearray)
    done: bool = False

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.decode("latin-1").lower(), value.decode("latin-1")))

    def on_body(self, body: bytes) -> None:
        self.body += body
        if len(self.body) > MAX_RESPONSE:
            raise BackendError("response too large")

    def on_message_complete(self) -> None:
        self.done = True


async def request(method: str, url: str, headers: list[tuple[str, str]], body: bytes,
                  timeout: float) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) of `method url`; raises BackendError or TimeoutError."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BackendError(f"bad URL {url}")
    tls = ssl.create_default_context() if parts.scheme == "https" else None
    port = parts.port or (443 if tls else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    async with asyncio.timeout(timeout):
        try:
            reader, writer = await asyncio.open_connection(parts.hostname, port, ssl=tls)
        except OSError as e:
            raise BackendError(str(e)) from None
        try:
            host = parts.netloc.rpartition("@")[2]
            lines = [f"{method} {target} HTTP/1.1", f"host: {host}", f"content-length: {len(body)}",
                     "connection: close"]
            lines += [f"{k}: {v}" for k, v in headers if k.lower() not in _HOP]
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
            await writer.drain()
            parsed = _Parsed()
            parser = httptools.HttpResponseParser(parsed)
            while not parsed.done:
                chunk = await reader.read(65536)
                if not chunk:
                    try:
                        parser.feed_data(b"")
                    except httptools.HttpParserError:
                        pass
                    if parsed.done or parser.get_status_code():
                        break
                    raise BackendError("connection closed before a response")
                try:
                    parser.feed_data(chunk)
                except httptools.HttpParserError as e:
                    raise BackendError(f"malformed response: {e}") from None
            return parser.get_status_code(), parsed.headers, bytes(parsed.body)
        except OSError as e:
            raise BackendError(str(e)) from None
        finally:
            writer.close()
