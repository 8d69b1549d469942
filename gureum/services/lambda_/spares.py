"""Pre-initialised sandboxes ("spares"): what a cold start can skip.

A spare is an isolated sandbox started before any function needs it: its namespaces,
cgroup, network namespace with its Runtime API listening, and the runtime's process already
running with the runtime client imported, blocked reading its stdin. Its /var/task is an
empty host directory (the *staging* directory, bound read-only), and its process holds no
function's variables, code or credentials. A cold start that finds a spare of its *key*
takes it out of the pool (a spare becomes one function's environment exactly once, and is
never given back): the function's code is hard-linked into the staging directory (copied
across file systems), the cgroup gets the function's limits, and the function's whole
environment (variables, credentials, handler) is written to the runtime's stdin, which is
closed; the runtime then drops what it imported that read the environment at import time,
imports the handler and polls /next as a freshly started one would.

The key: what the process was started with and cannot change afterwards, i.e. the runtime
and its argv, its system view and mounts (all but /var/task), the working directory, /tmp's
size, the variables read at process start (`STARTUP_NAMES`, `STARTUP_PREFIXES`: the
interpreter's PYTHON*, the dynamic linker's LD_*, the locale), and gureum's endpoint and DNS
forwarded into the namespace. Functions with layers, container images, provisioned
environments and runtimes without a zygote (`zygote_argv` answers None) start as before.

Python's zygote is `ZYGOTE` (AWS's awslambdaric, unchanged, run in-process once the
variables are set); gureum's own Node.js and Ruby clients (runtime_clients/) wait for the
same hand-over themselves when started with `SPARE_VARIABLE` set. Java's client (runtimes/
java.py) is started by its sh bootstrap with `--spare`: the JVM gets java.lang and java.util
opened to the client, which replaces the process environment (System.getenv and
ProcessBuilder's) with the handed-over one before it loads anything of the function. The
JVM's heap, metaspace and code cache are sized from the memory at start, so a Java spare's
key also holds AWS_LAMBDA_FUNCTION_MEMORY_SIZE (`startup_env`). .NET and provided.* have no
zygote yet. The pool itself (scheduler.py) is generic.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

STARTUP_NAMES = frozenset({"LANG", "LANGUAGE", "TZ"})
STARTUP_PREFIXES = ("PYTHON", "LD_", "LC_", "NODE_", "UV_", "RUBY", "GEM_", "BUNDLE_", "JAVA_", "_JAVA_", "JDK_JAVA_")
JAVA_STARTUP_NAMES = frozenset({"AWS_LAMBDA_FUNCTION_MEMORY_SIZE"})  # the bootstrap sizes the JVM from it

# Run by the runtime's interpreter with -c: import the runtime client, wait for the
# function's environment on stdin, then run `python -m awslambdaric <handler>` in-process.
# bootstrap (and __main__) read variables at import time: they are imported again.
ZYGOTE = """\
import json, os, sys
import awslambdaric, awslambdaric.__main__
for _n in ("__main__", "bootstrap"):
    sys.modules.pop("awslambdaric." + _n, None)
    if hasattr(awslambdaric, _n):
        delattr(awslambdaric, _n)
_d = json.loads(sys.stdin.buffer.read() or b"null")
if not isinstance(_d, dict):
    sys.exit(0)
_f = os.open("/dev/null", os.O_RDONLY)
os.dup2(_f, 0)
os.close(_f)
os.environ.clear()
os.environ.update(_d["env"])
import time
time.tzset()
os.chdir(_d["cwd"])
sys.path[0] = os.getcwd()
sys.argv = ["-m", *_d["args"]]
del _d, _f, _n
import runpy
runpy.run_module("awslambdaric", run_name="__main__", alter_sys=True)
"""


# gureum's own clients (runtime_clients/) wait for the hand-over themselves when this is set.
SPARE_VARIABLE = "_GUREUM_SPARE"
_OWN_CLIENTS = ("/node/index.mjs", "/ruby/bootstrap.rb")


def zygote_argv(argv: list[str]) -> list[str] | None:
    """The argv of a spare for a runtime started with `argv`, None when it has no zygote."""
    if len(argv) >= 4 and argv[-3:-1] == ["-m", "awslambdaric"]:
        return [*argv[:-3], "-c", ZYGOTE]
    if len(argv) == 2 and argv[1].endswith(_OWN_CLIENTS):
        return list(argv)
    if len(argv) == 5 and _java(argv) and Path(argv[1]).with_name("libgureumenv.so").exists():
        return [*argv, "--spare"]
    return None


def _java(argv: list[str]) -> bool:
    """Java's launch: /bin/sh <client dir lambda-java-*>/bootstrap <java> <cds> <major>, and
    its spare's (the same and --spare)."""
    return (len(argv) == 5 or (len(argv) == 6 and argv[5] == "--spare")) and argv[0] == "/bin/sh" \
        and Path(argv[1]).name == "bootstrap" and Path(argv[1]).parent.name.startswith("lambda-java-")


def zygote_args(argv: list[str]) -> list[str]:
    """What the Python zygote takes as sys.argv[1:] (the handler); the own clients read
    _HANDLER from the environment."""
    return argv[-1:]


def startup_env(env: Mapping[str, str], argv: list[str]) -> dict[str, str]:
    """The variables the process `argv` starts reads when it starts (they must be the spare's own)."""
    names = STARTUP_NAMES | JAVA_STARTUP_NAMES if _java(argv) else STARTUP_NAMES
    return {k: v for k, v in env.items() if k in names or k.startswith(STARTUP_PREFIXES)}


def payload(env: Mapping[str, str], cwd: str, args: list[str]) -> bytes:
    """What the zygote reads from its stdin."""
    return json.dumps({"env": dict(env), "cwd": cwd, "args": args}).encode()


def link_tree(src: Path, dst: Path) -> None:
    """Fill the (empty) directory `dst` with `src`'s tree: directories made, files
    hard-linked (copied when the link fails), symlinks recreated. Blocking."""
    for root, dirs, files in os.walk(src):
        rel = os.path.relpath(root, src)
        target = dst if rel == "." else dst / rel
        for name in dirs:
            path = os.path.join(root, name)
            if os.path.islink(path):
                os.symlink(os.readlink(path), target / name)
            else:
                os.mkdir(target / name, 0o755)
        for name in files:
            path = os.path.join(root, name)
            if os.path.islink(path):
                os.symlink(os.readlink(path), target / name)
                continue
            try:
                os.link(path, target / name)
            except OSError:
                shutil.copy2(path, target / name)
