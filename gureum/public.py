"""How clients and local processes reach this node's API port: the one rule every URL gureum
hands out follows (queue URLs, SNS confirmation and unsubscribe links, registry hosts and
challenges, S3 Locations, Lambda code and function URLs, the health report's endpoints).

The rule, `public_address(app, request)`:
1. The request's Host header, when there is a request and its Host is one of ours: a
   well-formed `host[:port]` (a DNS name, an IPv4 address or a bracketed IPv6 address, an
   optional port; no user info, path, spaces or other characters). The client reached this
   node under that name, possibly through a proxy or a port mapping gureum cannot see, so it
   can again: a queue URL made for it works when it calls back.
2. Else the advertised address: the API listener (`app.api_address`: this node's, or for a
   `gureum agent` the node named by --endpoint), an unspecified or loopback bind shown as
   "localhost" (`shown_host`), the name AWS SDKs and container tools accept everywhere.

Callers that must not depend on the caller's Host (a registry URI stored for later pulls, a
link given to another service) pass no request and get rule 2.

`local_address(app)` is the other direction: where a process on this machine (a function's
runtime, the image puller) connects to reach the API listener: a wildcard bind is dialled on
127.0.0.1.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.http.server import Request

LOOPBACK_OR_ANY: frozenset[str] = frozenset({"", "127.0.0.1", "0.0.0.0", "::", "::1", "localhost"})
WILDCARD: frozenset[str] = frozenset({"", "0.0.0.0", "::", "localhost"})
_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_-]{1,63})*\.?|\[[0-9A-Fa-f:.]{2,45}\])(?::(\d{1,5}))?$")


def shown_host(host: str) -> str:
    """A listener's bind address as a client should write it: "localhost" for a wildcard
    or loopback bind, else the address itself (IPv6 in brackets)."""
    if host in LOOPBACK_OR_ANY:
        return "localhost"
    return f"[{host}]" if ":" in host else host


def ours(host: str) -> str | None:
    """`host` (a Host header) when it is one of ours (rule 1 in the module docstring)."""
    host = host.strip()
    m = _HOST.match(host) if len(host) <= 260 else None
    if m is None or (m.group(1) is not None and not 0 < int(m.group(1)) < 65536):
        return None
    return host


def request_host(request: Request | None) -> str | None:
    """The request's Host header when it is one of ours."""
    return None if request is None else ours(request.host)


def public_netloc(app: App, request: Request | None = None) -> str:
    """`host:port` as a client should write it (the request's Host as it was sent)."""
    host = request_host(request)
    if host is not None:
        return host
    h, port = app.api_address
    return f"{shown_host(h)}:{port}"


def public_address(app: App, request: Request | None = None) -> tuple[str, int]:
    """(host, port) a client should use to reach the API port (see the module docstring)."""
    netloc = public_netloc(app, request)
    host, sep, port = netloc.rpartition(":")
    if not sep or host.endswith(":") or (host.startswith("[") and not host.endswith("]")) or not port.isdigit():
        return netloc, 80  # a Host without a port: the default one of plain http
    return host, int(port)


def public_url(app: App, request: Request | None = None, path: str = "") -> str:
    """`http://<public_netloc><path>`."""
    return f"http://{public_netloc(app, request)}{path}"


def local_address(app: App) -> tuple[str, int]:
    """(host, port) a process on this machine connects to for the API listener."""
    host, port = app.api_address
    return ("127.0.0.1" if host in WILDCARD else host), port


def local_url(app: App) -> str:
    host, port = local_address(app)
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"
