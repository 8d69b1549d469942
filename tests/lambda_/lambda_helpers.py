"""Helpers shared by the Lambda tests: zips, JSON invokes, the function's log, the trust
policy, whether environments run isolated."""
from __future__ import annotations

import io
import json
import os
import shutil
import zipfile
from typing import Any

from waiting import wait_for

# Functions run in isolated sandboxes when gureum is root and can build its launcher.
ISOLATED = os.geteuid() == 0 and bool(shutil.which("cc") or shutil.which("gcc"))

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def zip_of(files: dict[str, str | bytes], modes: dict[str, int] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = ((modes or {}).get(name, 0o644) | 0o100000) << 16
            zf.writestr(info, data)
    return buf.getvalue()


def invoke_json(lam: Any, name: str, event: Any = None, **kwargs: Any) -> tuple[dict[str, Any], Any]:
    resp = lam.invoke(FunctionName=name, Payload=json.dumps(event if event is not None else {}).encode(), **kwargs)
    body = resp["Payload"].read()
    return resp, json.loads(body) if body else None


def log_lines(gureum: Any, name: str, until: str, timeout: float = 30.0) -> list[str]:
    """Every event of the function's log group, once one contains `until` (logs arrive
    asynchronously)."""
    logs = gureum.client("logs")
    found: list[str] = []

    def seen() -> bool:
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
        except logs.exceptions.ResourceNotFoundException:
            return False
        found[:] = [e["message"] for e in events]
        return any(until in line for line in found)

    wait_for(f"{until!r} in {name}'s log", seen, timeout=timeout)
    return found
