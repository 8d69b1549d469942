"""`make up` tells a newcomer what it is doing while it builds the venv (issue: a silent minute)."""

from __future__ import annotations

import subprocess

from harness import ROOT


def test_make_install_announces_each_step_and_shows_pip_progress(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = subprocess.run(
        ["make", "-n", "-B", "install", f"VENV={tmp_path}/venv"], cwd=ROOT, capture_output=True, text=True, timeout=60,
    ).stdout
    steps = [line for line in out.splitlines() if "==>" in line]
    assert any("creating the virtual environment" in s for s in steps), out
    assert any("installing gureum and its dependencies" in s for s in steps), out
    pip = [line for line in out.splitlines() if "pip install" in line and "-e ." in line]
    assert pip and all(" -q " not in line for line in pip), pip  # pip's own progress is shown
