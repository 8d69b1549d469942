"""What a fuzzer reports to the runner, and the seeded randomness every fuzzer uses.

A `Report` counts what was sent and lists what went wrong, one line per finding (enough to
reproduce: the input, abbreviated, and what came back):
- `server_errors`: an HTTP 5xx other than a legitimate 501/503, a DNS SERVFAIL on a
  malformed query, an answer that is not a well-formed message;
- `hangs`: no answer (and no close) within the fuzzer's timeout where one was due.
The runner adds crashes (the process died) and tracebacks in gureum's log.
"""

from __future__ import annotations

import os
import random
import zlib
from dataclasses import dataclass, field

MAX_FINDINGS = 50  # kept per list: the counts stay exact, the examples are capped


@dataclass
class Report:
    name: str
    sent: int = 0
    server_errors: list[str] = field(default_factory=list)
    hangs: list[str] = field(default_factory=list)
    server_error_count: int = 0
    hang_count: int = 0
    notes: list[str] = field(default_factory=list)

    def server_error(self, what: str) -> None:
        self.server_error_count += 1
        if len(self.server_errors) < MAX_FINDINGS:
            self.server_errors.append(what)

    def hang(self, what: str) -> None:
        self.hang_count += 1
        if len(self.hangs) < MAX_FINDINGS:
            self.hangs.append(what)

    @property
    def failed(self) -> bool:
        return bool(self.server_error_count or self.hang_count)


def seed() -> int:
    """The run's seed (FUZZ_SEED; the runner always sets it)."""
    return int(os.environ.get("FUZZ_SEED", "0"))


def rng(name: str) -> random.Random:
    """A generator for one fuzzer: the run's seed mixed with the fuzzer's name, so adding a
    fuzzer does not change another's inputs."""
    return random.Random(seed() * 1_000_003 + zlib.crc32(name.encode()))


def short(data: bytes, limit: int = 120) -> str:
    """An input, abbreviated for a finding line."""
    text = repr(data[:limit])
    return text + (f"...(+{len(data) - limit} bytes)" if len(data) > limit else "")
