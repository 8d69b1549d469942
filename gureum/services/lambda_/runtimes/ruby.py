"""ruby3.2 / ruby3.3 / ruby3.4: gureum's own Ruby client (runtime_clients/ruby) on a Ruby of
the declared line.

Where the Rubies come from: Debian 12 carries Ruby 3.1 only. Debian's newer suites carry the
sources of the newer lines (`ruby3.3` in trixie and sid, `ruby3.4` in experimental), so
`install(rt)` fetches the upstream release tarball of the declared line with apt-get (a
private sources list and state under the cache dir: the host's apt configuration is left
alone; apt checks the files against the suite's signed index), builds it once
(`configure --enable-load-relative`, a few minutes on 2 cores) and keeps it at

    <cache>/runtimes/ruby/ruby-<X.Y.Z>/      (bin/ruby, lib/ruby/...; renamed into place whole)

No registry this machine reaches serves Ruby 3.2 (no Debian suite has it any more; PyPI and
npm have no native Ruby 3.2 build; npm's @ruby/3.2-wasm-wasi is WebAssembly without sockets,
which cannot speak the Runtime API): ruby3.2 runs on the nearest installed Ruby (the nearest
newer line first, as java does) and says so in its log; `toolchain()` answers exact=False.

Isolated, a built Ruby's prefix is bound at /var/lang (as AWS lays its runtimes out; the
build finds its libraries relative to its binary), with a system view of the libraries its
extensions load; the host's Ruby keeps its Debian paths.

Candidates, in order: the built Rubies above, then the host's `ruby` (Debian's). `toolchain`
looks at the disk only (cached version queries); `install` blocks (fetch + build) and is
serialised per line by a lock file, so concurrent first uses build once. A function's first
use on the nearest Ruby starts that install in the background (`background(rt)`, for the
lines in BUILT_LINES; runtimes/background.py): the invoke runs on the nearest at once, and
environments started after the build run the declared line.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from gureum.sandbox import sysroot
from gureum.sandbox.launcher import default_cache_dir
from gureum.sandbox.process import Mount
from gureum.services.lambda_.runtimes.base import (
    CLIENTS_DIR,
    OPT_DIR,
    RUNTIME_DIR,
    Launch,
    RuntimeUnavailable,
    Toolchain,
    own_system,
    tool_output,
)

if TYPE_CHECKING:
    from gureum.services.lambda_.runtimes import Runtime

_VERSIONS: dict[tuple[str, ...], str] = {}
_VERSION_QUERY = "print RUBY_VERSION, ' ', RbConfig::CONFIG['ruby_version']"
_DIRS_QUERY = "print RbConfig::CONFIG.values_at('rubylibprefix', 'rubyarchprefix').join(' ')"
# Debian suites whose source packages carry newer Ruby lines (deb-src, main)
SOURCE_SUITES = ("trixie", "sid", "experimental")
BUILT_LINES = ("3.3", "3.4")  # the lines those suites carry (ruby3.3: trixie, sid; ruby3.4: experimental)
DEBIAN_MIRROR = "http://deb.debian.org/debian"
BUILD_TIMEOUT = 3600  # seconds, per step (2 shared cores build a Ruby in a few minutes)
LANG_DIR = "/var/lang"  # where a built Ruby shows inside an isolated sandbox, as on AWS
_VIEWS: dict[str, list[Mount]] = {}  # built prefix -> its system view (per process)
_UNAVAILABLE: dict[str, str] = {}  # line -> why it could not be installed (once per process)
_BUILT_DIR = re.compile(r"^ruby-(\d+\.\d+\.\d+)$")
_STEPS: set[subprocess.Popen[str]] = set()  # fetch/build steps running now (killed at exit)
# Held from a step's start until it is in _STEPS, and by the exit hook: a step started by a
# background thread just as the process exits is either seen and killed, or never started.
_STEPS_LOCK = threading.Lock()
_STOPPING = False


class InstallError(RuntimeUnavailable):
    """A Ruby of the declared line could not be fetched or built (the reason says which); with
    no Ruby at all on the host, an invoke's init fails with it."""


def rubies_dir() -> Path:
    return default_cache_dir() / "runtimes" / "ruby"


def _line(rt: Runtime) -> str:
    return rt.name.removeprefix("ruby")


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version)[:3])


def _built() -> list[tuple[str, str]]:
    """(version, ruby) of the Rubies built under the cache dir."""
    out = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(rubies_dir()):
            m = _BUILT_DIR.match(entry.name)
            ruby = os.path.join(entry.path, "bin", "ruby")
            if m and os.access(ruby, os.X_OK):
                out.append((m.group(1), ruby))
    return out


def _host() -> list[tuple[str, str]]:
    """(version, ruby) of the host's Ruby, if any."""
    ruby = shutil.which("ruby")
    if ruby is None:
        return []
    out = tool_output([ruby, "-e", _VERSION_QUERY], _VERSIONS).split()
    return [(out[0], ruby)] if len(out) == 2 else []


def _candidates() -> list[tuple[str, str, str]]:
    """(version, ruby, source) of every Ruby that can run a function here."""
    built = [(v, r, f"Debian ruby{'.'.join(v.split('.')[:2])} source {v}, built here") for v, r in _built()]
    host = [(v, r, f"Debian ruby (host) {v}") for v, r in _host()]
    return built + host


def _nearest(line: str, found: list[tuple[str, str, str]]) -> tuple[str, str, str] | None:
    """The Ruby of `line` (newest patch), else the nearest newer line, else the newest older."""
    want = _key(line)
    same = [c for c in found if _key(c[0])[:2] == want]
    if same:
        return max(same, key=lambda c: _key(c[0]))
    newer = [c for c in found if _key(c[0])[:2] > want]
    if newer:
        return min(newer, key=lambda c: _key(c[0]))
    older = [c for c in found if _key(c[0])[:2] < want]
    return max(older, key=lambda c: _key(c[0])) if older else None


def source_package(rt: Runtime) -> str:
    """Debian's source package of the runtime's Ruby line ("ruby3.3")."""
    return f"ruby{_line(rt)}"


def background(rt: Runtime) -> bool:
    """A line Debian's sources carry (BUILT_LINES), not built here and not found unbuildable by
    this process: its first use starts the build in the background (background.py)."""
    line = _line(rt)
    return line in BUILT_LINES and line not in _UNAVAILABLE and not toolchain(rt).exact


def toolchain(rt: Runtime) -> Toolchain:
    line = _line(rt)
    best = _nearest(line, _candidates())
    if best is None:
        return Toolchain(rt.name, "", "", False, False, f"none: no Ruby here ({source_package(rt)} from Debian's sources on install)")
    version, ruby, source = best
    exact = _key(version)[:2] == _key(line)
    if not exact:
        source += f" ({line} requested: nearest installed)"
    return Toolchain(rt.name, version, ruby, exact, True, source)


def install(rt: Runtime) -> Toolchain:
    """The declared line's Ruby, fetched and built when missing (blocking: minutes the
    first time). Where no registry here serves the line, the nearest installed one
    (exact=False); InstallError when nothing can run the runtime at all."""
    have = toolchain(rt)
    if have.exact:
        return have
    line = _line(rt)
    failed = _UNAVAILABLE.get(line)
    if failed is not None:  # looked for once in this process (apt-get update costs seconds)
        if have.installed:
            return have
        raise InstallError(failed)
    base = rubies_dir()
    base.mkdir(parents=True, exist_ok=True)
    with open(base / f".install-{line}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build per line; the others wait, then find it
        have = toolchain(rt)
        if have.exact:
            return have
        try:
            _fetch_and_build(source_package(rt), base)
        except InstallError as exc:
            _UNAVAILABLE[line] = f"{rt.name}: {exc}"
            if have.installed:
                return have  # nearest installed (toolchain says so)
            raise InstallError(f"{rt.name}: {exc}") from None
    return toolchain(rt)


def _apt(base: Path) -> list[str]:
    """apt-get options for a private sources list and state (the host's apt is untouched)."""
    root = base / "apt"
    for d in ("lists/partial", "cache/archives/partial"):
        (root / d).mkdir(parents=True, exist_ok=True)
    sources = root / "sources.list"
    text = "".join(f"deb-src {DEBIAN_MIRROR} {suite} main\n" for suite in SOURCE_SUITES)
    if not sources.exists() or sources.read_text() != text:
        sources.write_text(text)
    return [
        "-o", f"Dir::Etc::SourceList={sources}",
        "-o", "Dir::Etc::SourceParts=-",
        "-o", f"Dir::State::Lists={root / 'lists'}",
        "-o", f"Dir::Cache={root / 'cache'}",
        "-o", "APT::Sandbox::User=root",
        "-o", "Debug::NoLocking=1",
    ]


def _run(argv: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """Run one fetch/build step in its own process group, ended with the process that started
    it (a build started in gureum's background is not left running after gureum stops)."""
    with _STEPS_LOCK:
        if _STOPPING:
            raise InstallError(f"{argv[0]} not started: the process is exiting")
        try:
            proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    start_new_session=True)
        except OSError as exc:
            raise InstallError(f"{argv[0]} failed: {exc}") from None
        _STEPS.add(proc)
    try:
        out, err = proc.communicate(timeout=BUILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        _kill(proc)
        proc.communicate()
        raise InstallError(f"{argv[0]} did not finish in {BUILD_TIMEOUT} s") from None
    finally:
        _STEPS.discard(proc)
    if proc.returncode != 0:
        tail = "\n".join((out + err).strip().splitlines()[-15:])
        raise InstallError(f"{' '.join(argv[:3])} exited {proc.returncode}: {tail}")
    return out


def _kill(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(OSError):
        os.killpg(proc.pid, signal.SIGKILL)


@atexit.register
def _stop_steps() -> None:
    global _STOPPING
    with _STEPS_LOCK:
        _STOPPING = True
        running = list(_STEPS)
    for proc in running:
        _kill(proc)


def source_versions(package: str, base: Path) -> list[str]:
    """The versions of Debian source `package` the configured suites list, newest first."""
    if shutil.which("apt-get") is None:
        raise InstallError("apt-get is not available (Debian's sources are fetched with it)")
    opts = _apt(base)
    _run(["apt-get", *opts, "-q", "update"])
    out = _run(["apt-cache", *opts, "showsrc", package])
    versions = re.findall(r"^Version: (\S+)$", out, flags=re.MULTILINE)
    if not versions:
        raise InstallError(f"no Debian suite here ({', '.join(SOURCE_SUITES)}) has the source package {package}")
    return sorted(set(versions), key=_debian_version_key, reverse=True)


def _debian_version_key(v: str) -> tuple[tuple[int, ...], str]:
    upstream = v.split(":")[-1].rsplit("-", 1)[0]
    return _key(upstream), v


def _fetch(package: str, base: Path, work: Path) -> Path:
    """The upstream tarball of the newest version the mirror serves (a listed version's
    files can be gone from a mirror that lags its index: the next one is tried)."""
    opts = _apt(base)
    errors = []
    for version in source_versions(package, base):
        try:
            _run(["apt-get", *opts, "-q", "source", "--download-only", f"{package}={version}"], cwd=work)
        except InstallError as exc:
            errors.append(str(exc).splitlines()[-1])
            continue
        tarballs = sorted(work.glob(f"{package}_*.orig.tar.*"))
        if tarballs:
            return tarballs[-1]
    raise InstallError(f"the source of {package} could not be fetched: {'; '.join(errors) or 'no tarball'}")


def _fetch_and_build(package: str, base: Path) -> Path:
    for tool in ("cc", "make"):
        if shutil.which(tool) is None:
            raise InstallError(f"building Ruby needs {tool} (apt-get install gcc make libssl-dev libyaml-dev zlib1g-dev libffi-dev)")
    work = Path(tempfile.mkdtemp(dir=base, prefix=".build-"))
    try:
        tarball = _fetch(package, base, work)
        _run(["tar", "-xf", str(tarball), "-C", str(work)])
        srcs = [p for p in work.iterdir() if p.is_dir() and (p / "configure").exists()]
        if not srcs:
            raise InstallError(f"{tarball.name} holds no configure script")
        src = srcs[0]
        version = src.name.removeprefix("ruby-")
        if not re.fullmatch(r"\d+\.\d+\.\d+", version):
            raise InstallError(f"unexpected source directory {src.name} in {tarball.name}")
        final = base / f"ruby-{version}"
        stage = work / "stage"
        _run(["./configure", f"--prefix={final}", "--enable-load-relative", "--disable-install-doc", "--disable-install-rdoc"], cwd=src)
        _run(["make", f"-j{os.cpu_count() or 1}"], cwd=src)
        # HAVE_BASERUBY=no: install the bundled gems the tarball carries, without fetching them again from rubygems.org
        _run(["make", "install", f"DESTDIR={stage}", "HAVE_BASERUBY=no"], cwd=src)
        built = stage / str(final).lstrip("/")
        if not os.access(built / "bin" / "ruby", os.X_OK):
            raise InstallError(f"make install left no bin/ruby for {version}")
        for root, dirs, _files in os.walk(built):  # readable by the sandbox user
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o755)
        os.chmod(built, 0o755)
        try:
            os.rename(built, final)
        except OSError:
            if not (final / "bin" / "ruby").exists():
                raise
        return final
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _built_prefix(ruby: str) -> str | None:
    """The install prefix of a Ruby built under the cache dir (None for the host's)."""
    real = os.path.realpath(ruby)
    base = os.path.realpath(rubies_dir())
    return os.path.dirname(os.path.dirname(real)) if real.startswith(base + "/") else None


def _system(ruby: str) -> list[Mount]:
    """Isolated: ruby, its libraries and library directories (and Debian's rubygems
    integration), nothing else of the host's /usr. A built Ruby's whole prefix is bound at
    /var/lang, where AWS keeps a runtime's language (it finds its libraries relative to its
    binary), so no host path shows."""
    prefix = _built_prefix(ruby)
    if prefix is None:
        dirs = tool_output([ruby, "-e", _DIRS_QUERY], _VERSIONS).split()
        return own_system("ruby", [ruby], (*dirs, "/usr/share/rubygems-integration"))
    view = _VIEWS.get(prefix)
    if view is None:
        stamp = f"{prefix}:{os.stat(ruby).st_mtime_ns}"
        tree = sysroot.build(default_cache_dir(), sysroot.tree_key("ruby", stamp), [ruby], dirs=[prefix])
        view = _VIEWS[prefix] = [*sysroot.mounts(tree), Mount("bind", LANG_DIR, prefix)]
    return list(view)


def prepare(rt: Runtime) -> None:
    have = toolchain(rt)
    if have.installed:
        tool_output([have.path, "-e", _VERSION_QUERY], _VERSIONS)
        _system(have.path)


def launch(rt: Runtime, handler: str, *, isolated: bool, task_root: str, runtime_dir: str) -> Launch:
    have = toolchain(rt)
    ruby = have.path or shutil.which("ruby") or "/usr/bin/ruby"
    out = tool_output([ruby, "-e", _VERSION_QUERY], _VERSIONS).split()
    version, abi = (out[0], out[1]) if len(out) == 2 else ("", "")
    want = _line(rt)
    note = ""
    if not version:
        note = f"gureum: {rt.name} needs Ruby {want} (gureum runtimes --install {rt.name})"
    elif not have.exact:
        note = f"gureum: {rt.name} runs on Ruby {version} ({ruby}): {want} requested, nearest installed"
    gem_dirs = [f"{task_root}/vendor/bundle/ruby/{v}" for v in dict.fromkeys((f"{want}.0", abi)) if v]
    gem_dirs += [f"{OPT_DIR}/ruby/gems/{v}" for v in dict.fromkeys((f"{want}.0", abi)) if v]
    env = {
        "GEM_PATH": ":".join(gem_dirs),
        "GEM_HOME": gem_dirs[0],
        "RUBYLIB": f"{task_root}:{runtime_dir}/ruby/lib:{OPT_DIR}/ruby/lib",
    }
    mounts = [Mount("bind", RUNTIME_DIR, str(CLIENTS_DIR))]
    system = _system(ruby) if isolated and version else None
    exe = f"{LANG_DIR}/bin/ruby" if isolated and version and _built_prefix(ruby) else ruby
    return Launch([exe, f"{runtime_dir}/ruby/bootstrap.rb"], env, mounts, note, system)
