"""Runtimes: how an execution environment starts for each `Runtime` identifier.

A runtime contributes the command that speaks the Runtime API inside the sandbox, the
extra mounts it needs (the host interpreter, gureum's own runtime clients under
/var/runtime) and a few environment variables. Each family has one small launcher module
here (python, node, provided, java, ruby) with `launch(rt, handler, ...) -> Launch` and,
where something must be built once on the host first (the Java client's classes),
`prepare(rt)`, which blocks and is run off the event loop.

Every family module also answers `toolchain(rt) -> Toolchain` (what runs the runtime here:
cheap, cached, never installs) and `install(rt) -> Toolchain` (blocking: fetches the
declared version from the registries this machine reaches when it is missing; used by
`make runtimes`, `gureum runtimes --install` and on first use; a family whose install builds
for minutes answers `background(rt)` True and its first use on the nearest version queues the
install in background.py instead of waiting for it).

`RUNTIMES` is the catalogue: every identifier AWS lists as supported or deprecated
(lifecycle.py holds the family and the dates of each); what AWS lists as neither is not in
it and is refused. `Runtime.lifecycle` answers whether a runtime may be created or updated
on a given date; a function already on a runtime runs whatever its state.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from gureum.services.lambda_.runtimes.base import (
    CLIENTS_DIR,
    OPT_DIR,
    RUNTIME_DIR,
    TASK_ROOT,
    Launch,
    Toolchain,
)
from gureum.services.lambda_.runtimes.lifecycle import LIFECYCLE, Lifecycle

__all__ = ["CLIENTS_DIR", "OPT_DIR", "RUNTIMES", "RUNTIME_DIR", "TASK_ROOT", "Launch", "Runtime", "Toolchain"]

_MODULES = {"python": "python", "nodejs": "node", "provided": "provided", "java": "java", "ruby": "ruby", "dotnet": "dotnet"}


@dataclass(frozen=True)
class Runtime:
    name: str  # e.g. "python3.12"
    family: str  # python | nodejs | provided | java | ruby | dotnet
    lifecycle: Lifecycle = field(default_factory=lambda: Lifecycle("provided"), compare=False)

    @property
    def _module(self):
        return importlib.import_module(f"{__name__}.{_MODULES[self.family]}")

    @property
    def needs_prepare(self) -> bool:
        return hasattr(self._module, "prepare")

    def prepare(self) -> None:
        """Build what the runtime needs on the host, once (blocking: call it in a thread)."""
        prepare = getattr(self._module, "prepare", None)
        if prepare is not None:
            prepare(self)

    def toolchain(self) -> Toolchain:
        """What runs this runtime on this host (never installs)."""
        result: Toolchain = self._module.toolchain(self)
        return result

    def background(self) -> bool:
        """Whether a first use on the nearest version should start installing the declared one
        in the background (background.py): families whose install builds for minutes."""
        check = getattr(self._module, "background", None)
        return bool(check(self)) if check is not None else False

    def install(self) -> Toolchain:
        """Install the declared version when missing (blocking: call it in a thread)."""
        result: Toolchain = self._module.install(self)
        return result

    def launch(self, handler: str, *, isolated: bool, task_root: str, runtime_dir: str) -> Launch:
        """What to run. Paths are the sandbox's view when `isolated`, else the host's."""
        return self._module.launch(self, handler, isolated=isolated, task_root=task_root, runtime_dir=runtime_dir)


RUNTIMES: dict[str, Runtime] = {name: Runtime(name, lc.family, lc) for name, lc in LIFECYCLE.items()}
