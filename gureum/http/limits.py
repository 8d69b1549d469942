"""The HTTP listener's limits against hostile clients, each a setting (`http.*`).

| setting                          | default          | what happens past it                         |
|----------------------------------|------------------|----------------------------------------------|
| http.max_request_line            | 65536 bytes      | 414 and close                                |
| http.max_header_bytes            | 65536 bytes      | 431 and close (names+values, 4 bytes/header) |
| http.header_timeout              | 30 s             | 408 and close: headers must arrive whole     |
| http.body_min_rate               | 1024 bytes/s     | close: a body slower than this over a window |
| http.body_rate_window            | 10 s             | the window the rate is measured over         |
| http.request_timeout             | 3600 s           | close: inbound time of one request, in total |
| http.keepalive_timeout           | 75 s             | an idle keep-alive connection is closed      |
| http.max_pipelined               | 16               | reading pauses while this many wait          |
| http.write_buffer                | 262144 bytes     | reading pauses while unsent output exceeds it|
| http.max_connections             | half of nofile   | new connections refused (or an idle closed)  |
| http.max_connections_per_client  | max_conn / 4     | the same, per client address                 |

Deadlines count only time the server waits for the client: time while reading is paused by
the server (a handler not yet reading a body, unread responses) does not count, and a
handler that takes long (SQS long polling, a 15-minute Lambda invoke) is not inbound time.
"""

from __future__ import annotations

import resource
from dataclasses import dataclass

from gureum.node_settings import HttpSettings


def raise_nofile() -> int:
    """Raise the soft descriptor limit to the hard one (as Go's runtime does); the new soft."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    return soft if soft != resource.RLIM_INFINITY else 1 << 20


@dataclass(frozen=True)
class HttpLimits:
    """The resolved limits one listener enforces; defaults are the `http.*` settings' own."""

    max_request_line: int = HttpSettings.max_request_line
    max_header_bytes: int = HttpSettings.max_header_bytes
    header_timeout: float = HttpSettings.header_timeout
    body_min_rate: float = HttpSettings.body_min_rate
    body_rate_window: float = HttpSettings.body_rate_window
    request_timeout: float = HttpSettings.request_timeout
    keepalive_timeout: float = HttpSettings.keepalive_timeout
    max_pipelined: int = HttpSettings.max_pipelined
    write_buffer: int = HttpSettings.write_buffer
    max_connections: int = 1024
    max_connections_per_client: int = 256

    @property
    def tick(self) -> float:
        """How often a connection receiving a request checks its deadlines."""
        return max(0.05, min(self.header_timeout, self.body_rate_window) / 4)

    @classmethod
    def from_settings(cls, s: HttpSettings, nofile: int | None = None) -> HttpLimits:
        """The limits the node's `http.*` settings ask for (gureum/node_settings.py)."""
        if nofile is None:
            nofile = raise_nofile()
        total = s.max_connections or max(64, nofile // 2)
        return cls(
            max_request_line=s.max_request_line,
            max_header_bytes=s.max_header_bytes,
            header_timeout=s.header_timeout,
            body_min_rate=s.body_min_rate,
            body_rate_window=s.body_rate_window,
            request_timeout=s.request_timeout,
            keepalive_timeout=s.keepalive_timeout,
            max_pipelined=s.max_pipelined,
            write_buffer=s.write_buffer,
            max_connections=total,
            max_connections_per_client=s.max_connections_per_client or max(16, total // 4),
        )
