"""The lines Lambda itself writes to a function's log (its "system logs"), in the function's
`LoggingConfig.LogFormat`.

Text: AWS's tab-separated lines (INIT_START, START, END, REPORT, INIT_REPORT). JSON: one object
per event, as AWS writes them to CloudWatch Logs (the Telemetry API's platform events):

    {"time": "<ISO 8601, ms, Z>", "type": "platform.<event>", "record": {...}}

    platform.initStart     INFO   initializationType, phase, runtimeVersion, runtimeVersionArn,
                                  functionName, functionVersion
    platform.initReport    INFO   initializationType, phase, status, errorType, metrics.durationMs
                                  (written where the text format writes INIT_REPORT: a failed init)
    platform.start         INFO   requestId, version
    platform.runtimeDone   DEBUG  requestId, status, errorType?, metrics.durationMs (in place of END)
    platform.report        INFO   requestId, status, errorType?, metrics: durationMs,
                                  billedDurationMs, memorySizeMB, maxMemoryUsedMB, initDurationMs?

JSON events are filtered by `LoggingConfig.SystemLogLevel` (DEBUG < INFO < WARN; default INFO):
an event is written when its level is at least the configured one. The text format has no
filter. `status` is success, error or timeout, as in AWS's records; `errorType` accompanies
error only (a timeout's record says timeout, as the text REPORT line says "Status: timeout"
without an error type).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

LEVELS = {"DEBUG": 0, "INFO": 1, "WARN": 2}


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass(frozen=True)
class PlatformLog:
    """Formats a function's system log lines; a method answers None when the line is filtered out."""

    log_format: str = "Text"  # LoggingConfig.LogFormat
    system_level: str = "INFO"  # LoggingConfig.SystemLogLevel (JSON only)
    init_type: str = "on-demand"  # initializationType: "provisioned-concurrency" for provisioned environments

    @property
    def json(self) -> bool:
        return self.log_format == "JSON"

    def _event(self, now: float, kind: str, level: str, record: dict[str, Any]) -> str | None:
        if LEVELS[level] < LEVELS.get(self.system_level or "INFO", 1):
            return None
        return json.dumps({"time": _iso(now), "type": f"platform.{kind}", "record": record})

    def init_start(self, now: float, label: str, arn: str, function_name: str, version: str) -> str | None:
        if not self.json:
            return f"INIT_START Runtime Version: {label}\tRuntime Version ARN: {arn}"
        return self._event(now, "initStart", "INFO", {
            "initializationType": self.init_type, "phase": "init", "runtimeVersion": label, "runtimeVersionArn": arn,
            "functionName": function_name, "functionVersion": version,
        })

    def init_report(self, now: float, init_ms: float, error_type: str | None, *, status: str = "error",
                    phase: str = "init") -> str | None:
        """A failed init's report: `status` error (with `error_type`) or timeout; `phase` init,
        or invoke for an init retried within the first invocation."""
        if not self.json:
            line = f"INIT_REPORT Init Duration: {init_ms:.2f} ms\tPhase: {phase}\tStatus: {status}"
            return line + (f"\tError Type: {error_type}" if error_type else "")
        record: dict[str, Any] = {"initializationType": self.init_type, "phase": phase, "status": status}
        if error_type:
            record["errorType"] = error_type
        record["metrics"] = {"durationMs": round(init_ms, 3)}
        return self._event(now, "initReport", "INFO", record)

    def start(self, now: float, request_id: str, version: str) -> str | None:
        if not self.json:
            return f"START RequestId: {request_id} Version: {version}"
        return self._event(now, "start", "INFO", {"requestId": request_id, "version": version})

    def end(self, now: float, request_id: str, status: str, error_type: str | None, duration_ms: float) -> str | None:
        if not self.json:
            return f"END RequestId: {request_id}"
        record: dict[str, Any] = {"requestId": request_id, "status": status}
        if error_type and status == "error":
            record["errorType"] = error_type
        record["metrics"] = {"durationMs": round(duration_ms, 3)}
        return self._event(now, "runtimeDone", "DEBUG", record)

    def report(self, now: float, request_id: str, *, duration_ms: float, billed_ms: int, memory_mb: int, used_mb: int,
               init_ms: float | None, status: str, error_type: str | None, text_status: str) -> str | None:
        """`status` is the record's (success/error/timeout); `text_status` what the text line
        shows (only failures that ended the environment)."""
        if not self.json:
            line = (f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\tBilled Duration: {billed_ms} ms\t"
                    f"Memory Size: {memory_mb} MB\tMax Memory Used: {used_mb} MB\t")
            if init_ms is not None:
                line += f"Init Duration: {init_ms:.2f} ms\t"
            if text_status:
                line += f"Status: {text_status}\t"
                if error_type and text_status == "error":
                    line += f"Error Type: {error_type}\t"
            return line
        metrics: dict[str, Any] = {"durationMs": round(duration_ms, 3), "billedDurationMs": billed_ms, "memorySizeMB": memory_mb,
                                   "maxMemoryUsedMB": used_mb}
        if init_ms is not None:
            metrics["initDurationMs"] = round(init_ms, 3)
        record: dict[str, Any] = {"requestId": request_id, "metrics": metrics, "status": status}
        if error_type and status == "error":
            record["errorType"] = error_type
        return self._event(now, "report", "INFO", record)
