"""A setting whose value does not fit its type stops `gureum up` before it listens, with a
message naming the setting (one boolean rule for every switch)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.e2e
@pytest.mark.parametrize("args,env,named", [
    (["--set", "lambda.task_network=maybe"], {}, "lambda.task_network"),
    (["--set", "ecr.create_on_push=nope"], {}, "ecr.create_on_push"),
    ([], {"GUREUM_S3_GC_INTERVAL_SECONDS": "often"}, "s3.gc_interval_seconds"),
    (["--set", "dns.enabled=disabled"], {}, "dns.enabled"),
    (["--set", "http.max_connections=lots"], {}, "http.max_connections"),
])
def test_a_bad_value_stops_the_start_naming_the_setting(tmp_path: Path, args: list[str], env: dict[str, str], named: str):
    proc = subprocess.run(
        [sys.executable, "-m", "gureum", "up", "--port", "0", "--dns-port", "0", "--data-dir", str(tmp_path / "d"), *args],
        capture_output=True, text=True, timeout=60, cwd=str(ROOT), check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
    )
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert named in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "d" / "state.db").exists()  # stopped before opening anything
