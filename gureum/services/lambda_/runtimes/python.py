"""python3.x: AWS's own interface client (awslambdaric) on the host's Python.

Isolated, a function sees a root of its own (gureum/sandbox/sysroot.py), laid out as on
AWS: the interpreter and its standard library at /var/lang (the host's site-packages
hidden), awslambdaric and boto3 with their dependencies — and nothing else of gureum's
virtualenv — at /var/runtime, /usr holding only the libraries these load and /bin/sh, an
/etc of its own. The tree is built once per interpreter and package versions (`prepare`,
blocking, run off the event loop). As plain processes, the host's interpreter runs with
its site-packages on PYTHONPATH.
"""

from __future__ import annotations

import functools
import glob
import importlib.metadata
import importlib.util
import os
import sys
import sysconfig
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from gureum.sandbox import sysroot
from gureum.sandbox.launcher import default_cache_dir
from gureum.sandbox.process import Mount
from gureum.services.lambda_.runtimes.base import OPT_DIR, RUNTIME_DIR, Launch, under

if TYPE_CHECKING:
    from gureum.services.lambda_.runtimes import Runtime

LANG_DIR = "/var/lang"
RUNTIME_PACKAGES = ("awslambdaric", "boto3")  # what AWS's Python runtimes provide
_TREES: dict[str, Path] = {}  # key -> built tree (a cache of what is on disk)


def _closure(names: tuple[str, ...]) -> list[importlib.metadata.Distribution]:
    """The installed distributions `names` need (extras and other platforms' markers off)."""
    seen: dict[str, importlib.metadata.Distribution] = {}
    stack = list(names)
    while stack:
        name = canonicalize_name(stack.pop())
        if name in seen:
            continue
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        seen[name] = dist
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                stack.append(req.name)
    return list(seen.values())


@functools.cache
def _interpreter() -> tuple[str, str, str | None]:
    """(interpreter, standard library dir, libpython or None) on the host."""
    exe = os.path.realpath(sys.executable)
    stdlib = os.path.realpath(os.path.dirname(os.__file__))
    libpython = None
    if sysconfig.get_config_var("Py_ENABLE_SHARED"):
        name = sysconfig.get_config_var("INSTSONAME") or sysconfig.get_config_var("LDLIBRARY")
        path = os.path.join(sysconfig.get_config_var("LIBDIR") or "", name or "")
        libpython = path if name and os.path.exists(path) else None
    return exe, stdlib, libpython


@functools.cache
def _runtime_packages() -> tuple[tuple[importlib.metadata.Distribution, ...], str]:
    """The distributions the runtime provides and the tree's key, found once per process
    (reading package metadata costs milliseconds: not on every cold start)."""
    dists = tuple(sorted(_closure(RUNTIME_PACKAGES), key=lambda d: d.metadata["Name"]))
    parts = [sys.version, os.path.realpath(sys.executable)]
    parts += [f"{d.metadata['Name']}=={d.version}@{d.locate_file('')}" for d in dists]
    return dists, sysroot.tree_key("python", *parts)


def _tree() -> Path:
    dists, key = _runtime_packages()
    tree = _TREES.get(key)
    if tree is not None:
        return tree
    exe, stdlib, libpython = _interpreter()
    dynload = [p for p in glob.glob(os.path.join(stdlib, "lib-dynload", "*.so")) if "_tkinter" not in p]
    programs = [exe, "/bin/sh", *dynload]
    if libpython:
        programs.append(libpython)

    def fill(root: Path) -> None:
        runtime = root / "runtime"
        for dist in dists:
            base = Path(str(dist.locate_file("")))
            for f in dist.files or []:
                if f.parts and f.parts[0] == "..":
                    continue  # scripts and data outside site-packages
                src = base / f
                if src.is_file():
                    sysroot.place(str(src), runtime / f)
        for so in runtime.rglob("*.so"):  # the packages' own native libraries' dependencies
            for lib in sysroot.shared_libraries([str(so)]):
                where = sysroot.usr_path(lib)
                if where.startswith("/usr/"):
                    sysroot.place(lib, root / where.lstrip("/"))

    tree = sysroot.build(default_cache_dir(), key, programs, fill)
    _TREES[key] = tree
    return tree


def prepare(rt: Runtime) -> None:
    """Build the runtime's own root once (blocking)."""
    _tree()


def _isolated_launch(rt: Runtime, handler: str, note: str) -> Launch:
    tree = _tree()
    exe, stdlib, libpython = _interpreter()
    ver = f"{sys.version_info.major}.{sys.version_info.minor}"
    lib = f"{LANG_DIR}/lib/python{ver}"
    system = sysroot.mounts(tree) + [
        Mount("bind", f"{LANG_DIR}/bin/python{ver}", exe),
        Mount("bind", lib, stdlib),
        Mount("bind", f"{lib}/site-packages", sysroot.empty_dir(tree)),
        Mount("bind", RUNTIME_DIR, str(tree / "runtime")),
    ]
    if libpython:
        system.append(Mount("bind", f"{LANG_DIR}/lib/{os.path.basename(libpython)}", libpython))
    want = rt.name.removeprefix("python")
    opt = [f"{OPT_DIR}/python/lib/python{v}/site-packages" for v in dict.fromkeys((want, ver))] + [f"{OPT_DIR}/python"]
    env = {"PYTHONPATH": ":".join([*opt, RUNTIME_DIR]), "PYTHONDONTWRITEBYTECODE": "1", "PATH": f"{LANG_DIR}/bin:/usr/local/bin:/usr/bin:/bin:/opt/bin"}
    return Launch([f"{LANG_DIR}/bin/python{ver}", "-S", "-m", "awslambdaric", handler], env, [], note, system)


def launch(rt: Runtime, handler: str, *, isolated: bool, task_root: str, runtime_dir: str) -> Launch:
    want = rt.name.removeprefix("python")
    have = f"{sys.version_info.major}.{sys.version_info.minor}"
    note = ""
    if want != have:
        note = f"gureum: {rt.name} runs on the host's Python {sys.version.split()[0]}"
    if importlib.util.find_spec("awslambdaric") is None:
        note += ("\n" if note else "") + "gureum: awslambdaric is not installed for the host's Python (pip install awslambdaric)"
    elif isolated:
        return _isolated_launch(rt, handler, note)
    # Site-packages of the host interpreter hold awslambdaric and boto3 (AWS's runtime
    # provides boto3 too). They are put on PYTHONPATH and the interpreter runs with -S:
    # processing the host's .pth files costs tens of ms per cold start and functions
    # don't need them.
    paths = sysconfig.get_paths()
    site_dirs = list(dict.fromkeys(p for p in (paths["purelib"], paths["platlib"]) if os.path.isdir(p)))
    mounts: list[Mount] = []
    if isolated:
        seen: list[str] = []
        for path in (sys.base_prefix, sys.prefix, *site_dirs):
            real = os.path.realpath(path)
            if not os.path.isdir(real) or under(real, seen) or real.startswith(("/usr/", "/etc/")):
                continue
            seen.append(real)
            mounts.append(Mount("bind", real, real))
    opt = [f"{OPT_DIR}/python/lib/python{v}/site-packages" for v in dict.fromkeys((want, have))] + [f"{OPT_DIR}/python"]
    env = {"PYTHONPATH": ":".join(opt + site_dirs), "PYTHONDONTWRITEBYTECODE": "1"}
    return Launch([sys.executable, "-S", "-m", "awslambdaric", handler], env, mounts, note)

