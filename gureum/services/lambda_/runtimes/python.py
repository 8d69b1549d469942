"""python3.x: AWS's own interface client (awslambdaric) on the host's Python."""

from __future__ import annotations

import importlib.util
import os
import sys
import sysconfig
from typing import TYPE_CHECKING

from gureum.sandbox.process import Mount
from gureum.services.lambda_.runtimes.base import OPT_DIR, Launch, under

if TYPE_CHECKING:
    from gureum.services.lambda_.runtimes import Runtime


def launch(rt: Runtime, handler: str, *, isolated: bool, task_root: str, runtime_dir: str) -> Launch:
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
            if not os.path.isdir(real) or under(real, seen) or real.startswith(("/usr/", "/etc/")):
                continue
            seen.append(real)
            mounts.append(Mount("bind", real, real))
        if os.path.realpath(sys.prefix) != sys.prefix:
            mounts.append(Mount("bind", sys.prefix, os.path.realpath(sys.prefix)))
    opt = [f"{OPT_DIR}/python/lib/python{v}/site-packages" for v in dict.fromkeys((want, have))] + [f"{OPT_DIR}/python"]
    env = {"PYTHONPATH": ":".join(opt + site_dirs), "PYTHONDONTWRITEBYTECODE": "1"}
    return Launch([sys.executable, "-S", "-m", "awslambdaric", handler], env, mounts, note)
