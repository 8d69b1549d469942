"""provided.al2 / provided.al2023: the function's own `bootstrap` (Go, C, Rust, shell...)
speaks the Runtime API itself; nothing of gureum's runs inside the sandbox.

Isolated, the system view is a small one of its own, like the provided images' minimal OS:
a shell and a few tools, the C and C++ runtime libraries (dynamically linked C, C++ and
Rust bootstraps; Go's are static), an own /etc.

`toolchain()` has nothing to install: what runs is the function's bootstrap, started as AWS
starts it (`$LAMBDA_TASK_ROOT/bootstrap`, with `_HANDLER` the function's Handler setting,
`LAMBDA_TASK_ROOT` /var/task and `AWS_LAMBDA_RUNTIME_API` in its environment); the version is
the Amazon Linux generation the identifier stands for, whose role the host's C library plays
(named in `source`)."""

from __future__ import annotations

import functools
import glob
import os
from typing import TYPE_CHECKING

from gureum.sandbox.process import Mount
from gureum.services.lambda_.runtimes.base import Launch, Toolchain, own_system

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


GENERATIONS = {"provided": "Amazon Linux 2018.03", "provided.al2": "Amazon Linux 2", "provided.al2023": "Amazon Linux 2023"}


@functools.cache
def _libc() -> str:
    """The host's C library, as the provided images' minimal OS would carry it ("glibc 2.36")."""
    version = os.confstr("CS_GNU_LIBC_VERSION") if "CS_GNU_LIBC_VERSION" in os.confstr_names else None
    return version or "the host's C library"


def toolchain(rt: Runtime) -> Toolchain:
    generation = GENERATIONS.get(rt.name, rt.name)
    source = f"the function's bootstrap; {_libc()} and the host's C/C++ runtime libraries stand in for {generation}"
    return Toolchain(rt.name, generation, "", True, True, source)


def install(rt: Runtime) -> Toolchain:
    """Nothing to install: the function brings its bootstrap."""
    return toolchain(rt)


def _system() -> list[Mount]:
    return own_system("provided", [*_TOOLS, *_libs()])


def prepare(rt: Runtime) -> None:
    _system()


def launch(rt: Runtime, handler: str, *, isolated: bool, task_root: str, runtime_dir: str) -> Launch:
    return Launch([f"{task_root}/bootstrap"], {}, [], "", _system() if isolated else None)
