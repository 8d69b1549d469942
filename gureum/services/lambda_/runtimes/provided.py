"""provided.al2 / provided.al2023: the function's own `bootstrap` (Go, C, Rust, shell...)
speaks the Runtime API itself; nothing of gureum's runs inside the sandbox.

Isolated, the system view is a small one of its own, like the provided images' minimal OS:
a shell and a few tools, the C and C++ runtime libraries (dynamically linked C, C++ and
Rust bootstraps; Go's are static), an own /etc."""

from __future__ import annotations

import functools
import glob
from typing import TYPE_CHECKING

from gureum.sandbox.process import Mount
from gureum.services.lambda_.runtimes.base import Launch, own_system

if TYPE_CHECKING:
    from gureum.services.lambda_.runtimes import Runtime


_TOOLS = tuple(
    f"/usr/bin/{t}"
    for t in (
        "sh bash dash env cat ls dirname basename mktemp rm cp mv mkdir grep sed tr cut head tail sort uniq wc "
        "date sleep echo printf tee xargs find true false test expr id uname curl tar gzip"
    ).split()
)
_LIBS = ("libc.so.6", "libm.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1", "libstdc++.so.6", "libgcc_s.so.1", "libz.so.1", "libcrypt.so.1")


@functools.cache
def _libs() -> tuple[str, ...]:
    return tuple(p for name in _LIBS for p in glob.glob(f"/usr/lib/*-linux-gnu/{name}"))


def _system() -> list[Mount]:
    return own_system("provided", [*_TOOLS, *_libs()])


def prepare(rt: Runtime) -> None:
    _system()


def launch(rt: Runtime, handler: str, *, isolated: bool, task_root: str, runtime_dir: str) -> Launch:
    return Launch([f"{task_root}/bootstrap"], {}, [], "", _system() if isolated else None)
