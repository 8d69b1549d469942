"""python3.x: AWS's own interface client (awslambdaric) on the CPython the runtime declares.

Which interpreter runs python3.X (`toolchain`): gureum's own when it is 3.X, else a CPython
3.X found on this host — pyenv's (`$PYENV_ROOT/versions/3.X.*`, highest patch), then
`python3.X` on PATH. AWS's runtime ships awslambdaric and boto3: for gureum's own
interpreter they are those of gureum's environment; for another, they are installed once
per version as wheels for that CPython (`install`: pip, from PyPI, into
`<cache>/lambda-python/python3.X/`; the network is needed once, then the cache serves).
Where no CPython 3.X can be had (3.14: none of PyPI, npm or Debian 12 serves a build this
host can run), the nearest installed version runs it and says so (INIT_START, `gureum
runtimes`) unless `lambda.runtime_fallback=refuse`.

Isolated, a function sees a root of its own (gureum/sandbox/sysroot.py), laid out as on
AWS: the interpreter and its standard library at /var/lang (the host's site-packages
hidden), awslambdaric and boto3 with their dependencies — and nothing else — at
/var/runtime, /usr holding only the libraries these load and /bin/sh, an /etc of its own.
The tree is built once per interpreter and package versions (`prepare`, blocking, run off
the event loop). As plain processes, the interpreter runs with the packages on PYTHONPATH.
"""

from __future__ import annotations

import functools
import glob
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from gureum.sandbox import sysroot
from gureum.sandbox.launcher import default_cache_dir
from gureum.sandbox.process import Mount
from gureum.services.lambda_.runtimes.base import OPT_DIR, RUNTIME_DIR, Launch, Toolchain, under

if TYPE_CHECKING:
    from gureum.services.lambda_.runtimes import Runtime

LANG_DIR = "/var/lang"
RUNTIME_PACKAGES = ("awslambdaric", "boto3")  # what AWS's Python runtimes provide
UNAVAILABLE = "no CPython {want} here (none of PyPI, npm or Debian serves a build for this host)"
_TREES: dict[str, Path] = {}  # key -> built tree (a cache of what is on disk)
_LOCK = threading.Lock()  # one install at a time


@dataclass(frozen=True)
class Interpreter:
    exe: str
    version: str  # "3.12.1"
    stdlib: str
    libpython: str | None
    source: str  # "gureum's own", "pyenv", "PATH"

    @property
    def minor(self) -> str:
        return ".".join(self.version.split(".")[:2])

    @property
    def own(self) -> bool:
        return self.source == "gureum's own"


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


# --- which interpreters this host has ----------------------------------------------------
@functools.cache
def _own() -> Interpreter:
    """gureum's own interpreter (no subprocess: it is this process)."""
    exe = os.path.realpath(sys.executable)
    stdlib = os.path.realpath(os.path.dirname(os.__file__))
    libpython = None
    if sysconfig.get_config_var("Py_ENABLE_SHARED"):
        name = sysconfig.get_config_var("INSTSONAME") or sysconfig.get_config_var("LDLIBRARY")
        path = os.path.join(sysconfig.get_config_var("LIBDIR") or "", name or "")
        libpython = path if name and os.path.exists(path) else None
    return Interpreter(exe, sys.version.split()[0], stdlib, libpython, "gureum's own")


_PROBE = (
    "import json, os, sys, sysconfig\n"
    "v = sysconfig.get_config_var\n"
    "name = (v('INSTSONAME') or v('LDLIBRARY')) if v('Py_ENABLE_SHARED') else None\n"
    "lib = os.path.join(v('LIBDIR') or '', name) if name else None\n"
    "print(json.dumps([os.path.realpath(sys.executable), sys.version.split()[0], os.path.realpath(os.path.dirname(os.__file__)),"
    " lib if lib and os.path.exists(lib) else None]))\n"
)


@functools.cache
def _probe(exe: str, source: str) -> Interpreter | None:
    """What an interpreter on disk is (run once per process)."""
    try:
        proc = subprocess.run([exe, "-S", "-c", _PROBE], capture_output=True, text=True, timeout=30, check=False)
        real, version, stdlib, libpython = json.loads(proc.stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None
    return Interpreter(real, version, stdlib, libpython, source)


def _patch(path: str) -> tuple[int, ...]:
    m = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", os.path.basename(path.rstrip("/")))
    return tuple(int(x) for x in m.groups()) if m else (-1,)


def _pyenv_root() -> Path:
    return Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")


@functools.cache
def find(minor: str) -> Interpreter | None:
    """The CPython `minor` ("3.12") this host runs python3.12 on, or None."""
    own = _own()
    if own.minor == minor:
        return own
    versions = sorted((d for d in glob.glob(str(_pyenv_root() / "versions" / f"{minor}.*")) if _patch(d) != (-1,)), key=_patch)
    for d in reversed(versions):
        exe = os.path.join(d, "bin", f"python{minor}")
        found = _probe(exe, "pyenv") if os.access(exe, os.X_OK) else None
        if found is not None and found.minor == minor:
            return found
    on_path = shutil.which(f"python{minor}")
    if on_path and "/shims/" not in on_path:
        found = _probe(on_path, "PATH")
        if found is not None and found.minor == minor:
            return found
    return None


def _minors() -> list[str]:
    from gureum.services.lambda_.runtimes import RUNTIMES

    return [r.name.removeprefix("python") for r in RUNTIMES.values() if r.family == "python" and r.name.startswith("python3.")]


def _key(minor: str) -> tuple[int, ...]:
    return tuple(int(x) for x in minor.split("."))


# --- awslambdaric and boto3 for each version ---------------------------------------------
def packages_dir(minor: str) -> Path:
    return default_cache_dir() / "lambda-python" / f"python{minor}"


def _packages_ready(interp: Interpreter) -> bool:
    if interp.own:
        return importlib.util.find_spec("awslambdaric") is not None
    return (packages_dir(interp.minor) / ".complete").exists()


def _install_packages(interp: Interpreter) -> None:
    """Wheels of awslambdaric and boto3 (and what they need) for this CPython, from PyPI,
    into the cache (blocking; once per version)."""
    target = packages_dir(interp.minor)
    if (target / ".complete").exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".python{interp.minor}-"))
    try:
        argv = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
                "--target", str(tmp), "--python-version", interp.minor, "--implementation", "cp", "--only-binary=:all:",
                "--platform", "manylinux2014_x86_64", *RUNTIME_PACKAGES]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["pip failed"]
            raise RuntimeError(f"installing {', '.join(RUNTIME_PACKAGES)} for Python {interp.minor}: {tail[0]}")
        (tmp / ".complete").write_text(json.dumps({"python": interp.minor}))
        os.chmod(tmp, 0o755)
        try:
            os.rename(tmp, target)
        except OSError:  # another installer won
            if not (target / ".complete").exists():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _package_versions(interp: Interpreter) -> str:
    if interp.own:
        return ", ".join(f"{n} {importlib.metadata.version(n)}" for n in RUNTIME_PACKAGES if importlib.util.find_spec(n))
    out = []
    for name in RUNTIME_PACKAGES:
        found = glob.glob(str(packages_dir(interp.minor) / f"{name}-*.dist-info"))
        if found:
            out.append(f"{name} {os.path.basename(found[0]).removesuffix('.dist-info').split('-', 1)[1]}")
    return ", ".join(out)


# --- the contract: toolchain / install ---------------------------------------------------
@dataclass(frozen=True)
class _Choice:
    interp: Interpreter | None  # what runs it (None: nothing can)
    exact: bool
    ready: bool  # interpreter and packages on disk
    missing: str  # what the declared version lacks ("" when it runs as declared)


@functools.cache
def _choose(want: str) -> _Choice:
    exact = find(want)
    if exact is not None:
        ready = _packages_ready(exact)
        return _Choice(exact, True, ready, "" if ready else f"awslambdaric and boto3 for Python {want} are not installed")
    nearest = _nearest(want, ready_only=False)
    return _Choice(nearest, False, nearest is not None and _packages_ready(nearest), UNAVAILABLE.format(want=want))


def _nearest(want: str, *, ready_only: bool) -> Interpreter | None:
    """The installed CPython closest to `want` (the newer of two as close), or None."""
    found = [i for i in (find(m) for m in _minors() if m != want) if i is not None and (_packages_ready(i) or not ready_only)]
    found.sort(key=lambda i: (abs(_key(i.minor)[1] - _key(want)[1]), -_key(i.minor)[1]))
    return found[0] if found else None


def _forget() -> None:
    _toolchain.cache_clear()
    _choose.cache_clear()
    find.cache_clear()
    _probe.cache_clear()


def toolchain(rt: Runtime) -> Toolchain:
    return _toolchain(rt.name)


@functools.cache
def _toolchain(name: str) -> Toolchain:
    want = name.removeprefix("python")
    c = _choose(want)
    if c.interp is None:
        return Toolchain(name, "", "", False, False, c.missing)
    source = c.interp.source
    versions = _package_versions(c.interp)
    if versions:
        source += f" + {versions}" + ("" if c.interp.own else " (PyPI wheels)")
    if not c.exact:
        source += f"; {c.missing}"
    return Toolchain(name, c.interp.version, c.interp.exe, c.exact, c.ready, source)


def install(rt: Runtime) -> Toolchain:
    """Fetch what python3.X lacks: its awslambdaric and boto3 wheels (blocking). A missing
    CPython cannot be fetched here: the answer then stays inexact (nearest installed)."""
    want = rt.name.removeprefix("python")
    with _LOCK:
        c = _choose(want)
        if c.interp is not None and not c.ready:
            _install_packages(c.interp)
            _forget()
    return toolchain(rt)


def unavailable(rt: Runtime) -> str:
    """What keeps python3.X from running as declared ("" when nothing does)."""
    return _choose(rt.name.removeprefix("python")).missing


# --- the isolated root and the launch ----------------------------------------------------
@functools.cache
def _own_packages() -> tuple[tuple[importlib.metadata.Distribution, ...], str]:
    """The distributions the runtime provides in gureum's environment and the tree's key,
    found once per process (reading package metadata costs milliseconds: not on every
    cold start)."""
    dists = tuple(sorted(_closure(RUNTIME_PACKAGES), key=lambda d: d.metadata["Name"]))
    parts = [sys.version, os.path.realpath(sys.executable)]
    parts += [f"{d.metadata['Name']}=={d.version}@{d.locate_file('')}" for d in dists]
    return dists, sysroot.tree_key("python", *parts)


def _tree(interp: Interpreter) -> Path:
    if interp.own:
        dists, key = _own_packages()
    else:
        dists = ()
        stamp = (packages_dir(interp.minor) / ".complete").stat().st_mtime_ns
        key = sysroot.tree_key("python", interp.version, interp.exe, str(packages_dir(interp.minor)), str(stamp))
    tree = _TREES.get(key)
    if tree is not None:
        return tree
    dynload = [p for p in glob.glob(os.path.join(interp.stdlib, "lib-dynload", "*.so")) if "_tkinter" not in p]
    programs = [interp.exe, "/bin/sh", *dynload]
    if interp.libpython:
        programs.append(interp.libpython)

    def fill(root: Path) -> None:
        runtime = root / "runtime"
        if interp.own:
            for dist in dists:
                base = Path(str(dist.locate_file("")))
                for f in dist.files or []:
                    if f.parts and f.parts[0] == "..":
                        continue  # scripts and data outside site-packages
                    src = base / f
                    if src.is_file():
                        sysroot.place(str(src), runtime / f)
        else:
            src_dir = packages_dir(interp.minor)
            for src in src_dir.rglob("*"):
                rel = src.relative_to(src_dir)
                if src.is_file() and rel.parts[0] not in ("bin", ".complete") and "__pycache__" not in rel.parts:
                    sysroot.place(str(src), runtime / rel)
        for so in runtime.rglob("*.so"):  # the packages' own native libraries' dependencies
            for lib in sysroot.shared_libraries([str(so)]):
                where = sysroot.usr_path(lib)
                if where.startswith("/usr/"):
                    sysroot.place(lib, root / where.lstrip("/"))

    tree = sysroot.build(default_cache_dir(), key, programs, fill)
    _TREES[key] = tree
    return tree


def _chosen(rt: Runtime) -> Interpreter | None:
    want = rt.name.removeprefix("python")
    c = _choose(want)
    if c.interp is not None and c.ready:
        return c.interp
    return _nearest(want, ready_only=True)  # what it would run on lacks its packages (no network): the nearest ready one


def prepare(rt: Runtime) -> None:
    """Build the runtime's own root once (blocking)."""
    interp = _chosen(rt)
    if interp is not None:
        _tree(interp)


def _opt(want: str, have: str) -> list[str]:
    return [f"{OPT_DIR}/python/lib/python{v}/site-packages" for v in dict.fromkeys((want, have))] + [f"{OPT_DIR}/python"]


def _isolated_launch(interp: Interpreter, want: str, handler: str, note: str) -> Launch:
    tree = _tree(interp)
    ver = interp.minor
    lib = f"{LANG_DIR}/lib/python{ver}"
    system = sysroot.mounts(tree) + [
        Mount("bind", f"{LANG_DIR}/bin/python{ver}", interp.exe),
        Mount("bind", lib, interp.stdlib),
        Mount("bind", f"{lib}/site-packages", sysroot.empty_dir(tree)),
        Mount("bind", RUNTIME_DIR, str(tree / "runtime")),
    ]
    if interp.libpython:
        system.append(Mount("bind", f"{LANG_DIR}/lib/{os.path.basename(interp.libpython)}", interp.libpython))
    env = {"PYTHONPATH": ":".join([*_opt(want, ver), RUNTIME_DIR]), "PYTHONDONTWRITEBYTECODE": "1", "PATH": f"{LANG_DIR}/bin:/usr/local/bin:/usr/bin:/bin:/opt/bin"}
    return Launch([f"{LANG_DIR}/bin/python{ver}", "-S", "-m", "awslambdaric", handler], env, [], note, system)


def launch(rt: Runtime, handler: str, *, isolated: bool, task_root: str, runtime_dir: str) -> Launch:
    want = rt.name.removeprefix("python")
    interp = _chosen(rt) or _own()
    note = ""
    if interp.minor != want:
        note = f"gureum: {rt.name} runs on Python {interp.version} ({interp.source}): {unavailable(rt) or 'nearest installed'}"
    if not _packages_ready(interp):
        note += ("\n" if note else "") + "gureum: awslambdaric is not installed for the host's Python (pip install awslambdaric)"
    elif isolated:
        return _isolated_launch(interp, want, handler, note)
    if not interp.own:
        site = str(packages_dir(interp.minor))
        binds = [Mount("bind", d, d) for d in (os.path.dirname(os.path.dirname(interp.exe)), site)] if isolated else []
        env = {"PYTHONPATH": ":".join([*_opt(want, interp.minor), site]), "PYTHONDONTWRITEBYTECODE": "1"}
        return Launch([interp.exe, "-S", "-m", "awslambdaric", handler], env, binds, note)
    # Site-packages of gureum's interpreter hold awslambdaric and boto3 (AWS's runtime
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
    env = {"PYTHONPATH": ":".join(_opt(want, interp.minor) + site_dirs), "PYTHONDONTWRITEBYTECODE": "1"}
    return Launch([sys.executable, "-S", "-m", "awslambdaric", handler], env, mounts, note)
