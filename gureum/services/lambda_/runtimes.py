"""Runtimes: how an execution environment starts for each `Runtime` identifier.

A runtime contributes the command that speaks the Runtime API inside the sandbox, the
extra mounts it needs (the host interpreter, gureum's own runtime clients under
/var/runtime) and a few environment variables. Adding a runtime (java, ruby, ...) is one
more `Runtime` entry and, where AWS ships no interface client we can use, a small client
under `runtime_clients/`.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from gureum.sandbox.process import Mount

CLIENTS_DIR = Path(__file__).with_name("runtime_clients")
TASK_ROOT = "/var/task"
RUNTIME_DIR = "/var/runtime"
OPT_DIR = "/opt"


@dataclass(frozen=True)
class Launch:
    argv: list[str]
    env: dict[str, str]
    mounts: list[Mount]
    note: str = ""  # a line for the environment's log, once (e.g. which interpreter runs)


@dataclass(frozen=True)
class Runtime:
    name: str  # e.g. "python3.12"
    family: str  # python | nodejs | provided
    deprecated: bool = False

    def launch(self, handler: str, *, isolated: bool, task_root: str, runtime_dir: str) -> Launch:
        """What to run. Paths are the sandbox's view when `isolated`, else the host's."""
        if self.family == "python":
            return _python(self, handler, isolated=isolated)
        if self.family == "nodejs":
            node = shutil.which("node") or shutil.which("nodejs") or "/usr/bin/node"
            client = f"{runtime_dir}/node/index.mjs"
            version = _node_version(node)
            note = f"gureum: {self.name} runs on the host's Node.js {version}" if version else ""
            mounts = [Mount("bind", RUNTIME_DIR, str(CLIENTS_DIR))]
            if isolated and not node.startswith(("/usr/", "/bin/")):
                prefix = os.path.dirname(os.path.dirname(os.path.realpath(node)))
                mounts.append(Mount("bind", prefix, prefix))
            return Launch([node, client], {"NODE_PATH": f"{OPT_DIR}/nodejs/node_modules:{OPT_DIR}/nodejs/node20/node_modules"}, mounts, note)
        # provided.*: the function's own `bootstrap` (or a layer's /opt/bootstrap)
        return Launch([f"{task_root}/bootstrap"], {}, [])


def _python(rt: Runtime, handler: str, *, isolated: bool) -> Launch:
    want = rt.name.removeprefix("python")
    have = f"{sys.version_info.major}.{sys.version_info.minor}"
    note = ""
    if want != have:
        note = f"gureum: {rt.name} runs on the host's Python {sys.version.split()[0]} ({sys.executable})"
    if importlib.util.find_spec("awslambdaric") is None:
        note += ("\n" if note else "") + "gureum: awslambdaric is not installed for the host's Python (pip install awslambdaric)"
    # Site-packages of the host interpreter hold awslambdaric and boto3 (AWS's runtime
    # provides boto3 too). They are put on PYTHONPATH and the interpreter runs with -S:
    # processing the host's .pth files costs tens of ms per cold start and functions
    # don't need them.
    paths = sysconfig.get_paths()
    site_dirs = list(dict.fromkeys(p for p in (paths["purelib"], paths["platlib"]) if os.path.isdir(p)))
    mounts: list[Mount] = []
    if isolated:
        # The interpreter, its standard library and site-packages, read-only, at the same
        # paths as on the host.
        seen: list[str] = []
        for path in (sys.base_prefix, sys.prefix, *site_dirs):
            real = os.path.realpath(path)
            if not os.path.isdir(real) or _under(real, seen) or real.startswith(("/usr/", "/etc/")):
                continue
            seen.append(real)
            mounts.append(Mount("bind", real, real))
        if os.path.realpath(sys.prefix) != sys.prefix:
            mounts.append(Mount("bind", sys.prefix, os.path.realpath(sys.prefix)))
    opt = [f"{OPT_DIR}/python/lib/python{v}/site-packages" for v in dict.fromkeys((want, have))] + [f"{OPT_DIR}/python"]
    env = {"PYTHONPATH": ":".join(opt + site_dirs), "PYTHONDONTWRITEBYTECODE": "1"}
    return Launch([sys.executable, "-S", "-m", "awslambdaric", handler], env, mounts, note)


def _under(path: str, roots: list[str]) -> bool:
    return any(path == r or path.startswith(r + "/") for r in roots)


_NODE_VERSIONS: dict[str, str] = {}


def _node_version(node: str) -> str:
    if node not in _NODE_VERSIONS:
        import subprocess

        try:
            out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        _NODE_VERSIONS[node] = out.lstrip("v")
    return _NODE_VERSIONS[node]


RUNTIMES: dict[str, Runtime] = {
    r.name: r
    for r in [
        Runtime("python3.9", "python"),
        Runtime("python3.10", "python"),
        Runtime("python3.11", "python"),
        Runtime("python3.12", "python"),
        Runtime("python3.13", "python"),
        Runtime("nodejs18.x", "nodejs"),
        Runtime("nodejs20.x", "nodejs"),
        Runtime("nodejs22.x", "nodejs"),
        Runtime("provided.al2", "provided"),
        Runtime("provided.al2023", "provided"),
        Runtime("provided", "provided", deprecated=True),
    ]
}
