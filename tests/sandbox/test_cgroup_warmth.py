"""MigrationWarmth (sandbox/cgroups.py): while held, our own pid is moved into our own cgroup
again and again (so the kernel's cgroup migration lock stays paid for); the thread ends once
nothing holds it, and a cgroup that cannot be written turns it off."""

from __future__ import annotations

import os
from pathlib import Path

from waiting import wait_for

from gureum.sandbox import cgroups


def _own_procs(root: Path) -> Path:
    """A stand-in cgroup tree under `root` with our own cgroup in the pids hierarchy."""
    own = cgroups.own_paths()
    path = root / "pids" / own.get("pids", "/").lstrip("/") / "cgroup.procs"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")
    return path


def test_a_held_warmth_moves_our_own_pid_into_our_own_cgroup_until_released(tmp_path: Path) -> None:
    procs = _own_procs(tmp_path)
    warmth = cgroups.MigrationWarmth(interval=0.001, root=tmp_path)
    assert warmth.own_procs() == procs
    warmth.hold()
    warmth.hold()
    wait_for("our pid written to our own cgroup.procs", lambda: procs.read_bytes().count(str(os.getpid()).encode()) >= 2,
             interval=0.01)
    warmth.release()
    assert warmth._thread is not None  # (one holder left)
    warmth.release()
    wait_for("the warmth thread to end once nothing holds it", lambda: warmth._thread is None, interval=0.01)
    written = procs.read_bytes()
    warmth.close()
    assert procs.read_bytes() == written
    assert set(written.decode().replace(str(os.getpid()), "")) == set()  # only our pid, over and over


def test_an_unwritable_cgroup_turns_the_warmth_off(tmp_path: Path) -> None:
    procs = _own_procs(tmp_path)
    procs.unlink()
    procs.mkdir()  # (a directory where cgroup.procs should be: opening it to write fails)
    warmth = cgroups.MigrationWarmth(interval=0.001, root=tmp_path)
    warmth.hold()
    wait_for("the warmth thread to give up", lambda: warmth._thread is None, interval=0.01)
    warmth.hold()  # (no new thread: it stays off)
    assert warmth._thread is None
    warmth.close()
