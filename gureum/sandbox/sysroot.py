"""Minimal system trees for sandboxes: instead of the host's whole /usr and /etc, a tree
holding only given programs and the shared libraries they load (the ldd closure), and an
/etc of its own (passwd/group with the sandbox user, hosts, resolv.conf, nsswitch.conf,
the CA bundle, ld.so.cache).

A tree is built once per content key under a cache directory (`<cache>/sysroot-<key>/`),
from hard links of the host's files where the file system allows (copies otherwise), in a
temporary directory renamed into place (concurrent builders agree on the result). `mounts()`
gives the read-only view: `/usr` and `/etc` from the tree, the usual top-level symlinks
(`/bin`, `/lib`, `/lib64`, `/sbin` into /usr), then `dirs` — host directories a runtime
needs whole (its standard library, a JDK) — bound read-only at their own paths, their
shared objects' libraries in the tree too.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from gureum.sandbox.process import SANDBOX_GID, SANDBOX_UID, Mount

_SOURCE_DIGEST = hashlib.sha256(Path(__file__).read_bytes()).digest()  # the code that builds, as imported
_LDD_PATH = re.compile(r"(?:=>\s*)?(/\S+)\s+\(0x")
_ETC_FILES = {
    "passwd": f"root:x:0:0:root:/root:/sbin/nologin\nsbx_user1051:x:{SANDBOX_UID}:{SANDBOX_GID}::/tmp:/sbin/nologin\n",
    "group": f"root:x:0:\nsbx_user1051:x:{SANDBOX_GID}:\n",
    "hosts": "127.0.0.1\tlocalhost\n::1\tlocalhost\n",
    "resolv.conf": "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
    "nsswitch.conf": "passwd: files\ngroup: files\nhosts: files dns\n",
}
_ETC_COPIES = ("ssl/certs/ca-certificates.crt", "ssl/openssl.cnf", "ld.so.cache", "localtime")
# OpenSSL's directory on Debian points into /etc/ssl: the same links in the tree
_SSL_LINKS = {"certs": "/etc/ssl/certs", "cert.pem": "/etc/ssl/certs/ca-certificates.crt", "openssl.cnf": "/etc/ssl/openssl.cnf"}


def shared_libraries(paths: Iterable[str]) -> set[str]:
    """Every library `paths` (executables or shared objects) load, as ldd resolves them."""
    out: set[str] = set()
    for path in paths:
        try:
            res = subprocess.run(["ldd", path], capture_output=True, text=True, timeout=30, check=False)
        except (OSError, subprocess.SubprocessError):
            continue
        for line in res.stdout.splitlines():
            m = _LDD_PATH.search(line)
            if m:
                out.add(m.group(1))
    return out


def place(src: str, dst: Path) -> None:
    """`dst` gets the content of `src` (followed through symlinks): a hard link or a copy."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    real = os.path.realpath(src)
    if dst.exists():
        return
    try:
        os.link(real, dst)
    except OSError:
        shutil.copy2(real, dst)


def usr_path(path: str) -> str:
    """Where a host file sits in the tree: its directory resolved (merged /usr), its own
    name kept (the name the loader asks for)."""
    return os.path.join(os.path.realpath(os.path.dirname(path)), os.path.basename(path))


def _shared_objects(d: str) -> list[str]:
    out = []
    for dirpath, _dirs, files in os.walk(d):
        out += [os.path.join(dirpath, f) for f in files if f.endswith(".so") or ".so." in f]
    return out


def build(
    cache_dir: Path, key: str, programs: Iterable[str], fill: Callable[[Path], None] | None = None, dirs: Iterable[str] = ()
) -> Path:
    """The tree for `key` (built now if missing): `programs` and their libraries under
    usr/, an own etc/, mount points (and libraries) for `dirs`, then `fill(tree)` for what
    else belongs to it."""
    target = cache_dir / f"sysroot-{key}"
    if (target / ".complete").exists():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=cache_dir, prefix=".sysroot-"))
    try:
        programs = [p for p in programs if os.path.exists(p)]
        dirs = [d for d in dirs if os.path.isdir(d)]
        objects = [so for d in dirs for so in _shared_objects(d)]
        for path in [*programs, *shared_libraries([*programs, *objects])]:
            where = usr_path(path)
            if not where.startswith("/usr/") or any(where.startswith(d + "/") for d in dirs):
                continue  # programs outside /usr are mounted by their runtime; dirs are bound whole
            place(path, tmp / where.lstrip("/"))
        for d in ("usr/bin", "usr/lib", "usr/lib64", "usr/sbin"):
            (tmp / d).mkdir(parents=True, exist_ok=True)
        etc = tmp / "etc"
        etc.mkdir()
        for name, text in _ETC_FILES.items():
            (etc / name).write_text(text)
        for rel in _ETC_COPIES:
            src = Path("/etc") / rel
            if src.exists():
                (etc / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, etc / rel)
        if os.path.isdir("/usr/lib/ssl"):
            (tmp / "usr/lib/ssl").mkdir(parents=True, exist_ok=True)
            for name, link in _SSL_LINKS.items():
                os.symlink(link, tmp / "usr/lib/ssl" / name)
        (tmp / "empty").mkdir()
        for d in dirs:  # mount points
            (tmp / d.lstrip("/")).mkdir(parents=True, exist_ok=True)
        if fill is not None:
            fill(tmp)
        (tmp / ".complete").write_text("")
        os.chmod(tmp, 0o755)
        try:
            os.rename(tmp, target)
        except OSError:  # another builder won
            if not (target / ".complete").exists():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def mounts(tree: Path, dirs: Iterable[str] = ()) -> list[Mount]:
    """The system view of a sandbox whose /usr and /etc come from `tree`, with `dirs`
    (as given to build) bound at their own paths."""
    out = [Mount("bind", "/usr", str(tree / "usr")), Mount("bind", "/etc", str(tree / "etc"))]
    for name in ("bin", "lib", "lib64", "sbin"):
        out.append(Mount("symlink", "/" + name, f"usr/{name}"))
    for d in dirs:
        if os.path.isdir(d) and (tree / d.lstrip("/")).is_dir():
            out.append(Mount("bind", d, d))
    return out


def tree_key(name: str, *parts: str) -> str:
    """A tree's key: `name` and a digest of what it is built from, of this module and of
the host's package database (an upgrade rebuilds the trees with the new libraries)."""
    h = hashlib.sha256(_SOURCE_DIGEST)
    with contextlib.suppress(OSError):  # packages upgraded: libraries may have changed
        h.update(str(os.stat("/var/lib/dpkg/status").st_mtime_ns).encode())
    for p in parts:
        h.update(p.encode() + b"\0")
    return f"{name}-{h.hexdigest()[:16]}"


_VIEWS: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], list[Mount]] = {}  # per process: derived from the host's files


def system_view(cache_dir: Path, name: str, programs: list[str], dirs: tuple[str, ...] = ()) -> list[Mount]:
    """build + mounts for a runtime made of host `programs` and whole `dirs`; worked out
    once per process (the first call may build: blocking), then answered from memory."""
    memo = (str(cache_dir), name, tuple(programs), tuple(dirs))
    view = _VIEWS.get(memo)
    if view is None:
        real = [os.path.realpath(p) for p in programs]
        stamps = [f"{p}:{os.stat(p).st_mtime_ns}" for p in real if os.path.exists(p)]
        tree = build(cache_dir, tree_key(name, *stamps, *dirs), programs, dirs=dirs)
        view = _VIEWS[memo] = mounts(tree, dirs)
    return list(view)


def empty_dir(tree: Path) -> str:
    """An empty directory of the tree, to hide a directory below another mount."""
    with contextlib.suppress(FileExistsError):
        (tree / "empty").mkdir()
    return str(tree / "empty")
