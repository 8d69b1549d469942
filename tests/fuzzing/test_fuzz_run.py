"""`make fuzz` in brief: every fuzzer in fuzz/ against one gureum for ~20 s in total must
find no server error, hang or crash. The suite runs a fixed seed (FUZZ_SEED, default 1), so
its inputs are the same on every run; `make fuzz` draws a new seed each time to explore."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.fuzz
def test_the_fuzzers_find_no_server_error_hang_or_crash() -> None:
    env = dict(os.environ, FUZZ_SECONDS=os.environ.get("FUZZ_SECONDS", "20"), FUZZ_SEED=os.environ.get("FUZZ_SEED", "1"))
    res = subprocess.run([sys.executable, str(ROOT / "fuzz" / "run.py")], env=env, cwd=str(ROOT),
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-20000:] + res.stderr[-5000:]
    assert "fuzz: ok: 0 findings" in res.stdout
