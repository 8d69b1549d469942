"""Fields Logs Insights discovers in AWS services' own log lines (beyond JSON messages):
Lambda's platform lines in `/aws/lambda/...` groups. `START`, `END` and `REPORT` lines give
`@type` and `@requestId`; a `REPORT` line also `@duration`, `@billedDuration` and
`@initDuration` (milliseconds) and `@memorySize`, `@maxMemoryUsed` (bytes, as AWS counts
them: MB x 1,000,000)."""

from __future__ import annotations

import re
from typing import Any

LAMBDA_PREFIX = "/aws/lambda/"
_LINE = re.compile(r"^(START|END|REPORT) RequestId: ([0-9A-Za-z-]+)")
_METRICS = {
    "Duration": ("@duration", 1.0),
    "Billed Duration": ("@billedDuration", 1.0),
    "Init Duration": ("@initDuration", 1.0),
    "Memory Size": ("@memorySize", 1_000_000.0),
    "Max Memory Used": ("@maxMemoryUsed", 1_000_000.0),
}
_METRIC = re.compile(r"(Duration|Billed Duration|Init Duration|Memory Size|Max Memory Used): ([0-9.]+) (?:ms|MB)")


def lambda_fields(message: str) -> dict[str, Any]:
    m = _LINE.match(message)
    if m is None:
        return {}
    out: dict[str, Any] = {"@type": m.group(1), "@requestId": m.group(2)}
    if m.group(1) == "REPORT":
        for name, value in _METRIC.findall(message):
            field, scale = _METRICS[name]
            number = float(value) * scale
            out[field] = int(number) if number == int(number) else number
    return out


def service_fields(group: str, message: str) -> dict[str, Any]:
    """The fields AWS discovers in `message` because of the group it is in."""
    if group.startswith(LAMBDA_PREFIX):
        return lambda_fields(message)
    return {}
