"""java17 / java21: gureum's own Java client (runtime_clients/java: the standard
com.amazonaws.services.lambda.runtime interfaces and dev.gureum.lambda.Main) on a host JDK.

The client's sources are compiled once per source digest with the host's javac (for
--release 17) into the cache directory (classes/ to compile handlers against, client.jar
to run), and for each JDK a class-data-sharing archive of the client is recorded once
(`prepare`, off the event loop). The sandbox sees that directory read-only at /var/runtime
and at its host path (a CDS archive only applies on the class path it was recorded with).
The JVM runs with AWS's flags for its memory size (heap 85 %, metaspace 10 %, code cache
5 %, serial GC, C1 only) set by a small sh bootstrap, since only the environment knows the
size. A javaNN function runs on the installed JDK of that major version if there is one,
else on the nearest newer one, else on the default `java`, and says so once in its log.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from gureum.sandbox.launcher import default_cache_dir
from gureum.sandbox.process import Mount
from gureum.services.lambda_.runtimes.base import (
    CLIENTS_DIR,
    RUNTIME_DIR,
    Launch,
    own_system,
    tool_output,
)

if TYPE_CHECKING:
    from gureum.services.lambda_.runtimes import Runtime

SOURCES = CLIENTS_DIR / "java"
JVM_DIR = Path("/usr/lib/jvm")
_VERSIONS: dict[tuple[str, ...], str] = {}
_BUILT: dict[str, Path] = {}
_LOCK = threading.Lock()
JVM_FLAGS = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-XX:-UsePerfData", "-Djava.net.preferIPv4Stack=true"]

BOOTSTRAP = """#!/bin/sh
# gureum's java bootstrap: JVM flags sized from the function's memory as AWS's java runtimes do.
# $1: the java binary; $2: a class-data-sharing archive of the client for that JDK, or "".
m=${AWS_LAMBDA_FUNCTION_MEMORY_SIZE:-128}
java=$1
cds=$2
shift 2
exec "$java" -XX:MaxHeapSize=$((m * 1024 * 85 / 100))k -XX:MaxMetaspaceSize=$((m * 1024 * 10 / 100))k \\
  -XX:ReservedCodeCacheSize=$((m * 1024 * 5 / 100))k JVM_FLAGS ${cds:+-XX:SharedArchiveFile=$cds} \\
  -cp "$(dirname "$0")/client.jar" dev.gureum.lambda.Main "$@"
""".replace("JVM_FLAGS", " ".join(JVM_FLAGS))


@functools.lru_cache(maxsize=1)
def _digest() -> str:
    h = hashlib.sha256(BOOTSTRAP.encode())
    for path in sorted(SOURCES.rglob("*.java")):
        h.update(str(path.relative_to(SOURCES)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def client_dir() -> Path:
    """The compiled client (classes/ and bootstrap), building it if needed."""
    digest = _digest()
    with _LOCK:
        if digest in _BUILT:
            return _BUILT[digest]
        try:
            cache = default_cache_dir()
            cache.mkdir(parents=True, exist_ok=True)
        except OSError:
            cache = Path(tempfile.gettempdir()) / "gureum-cache"
            cache.mkdir(parents=True, exist_ok=True)
        target = cache / f"lambda-java-{digest}"
        if not (target / "bootstrap").exists():
            _build(target)
        _BUILT[digest] = target
        return target


def _build(target: Path) -> None:
    javac = shutil.which("javac")
    if javac is None:
        raise FileNotFoundError("javac is not installed (apt-get install default-jdk-headless)")
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".build-java-"))
    try:
        sources = [str(p) for p in sorted(SOURCES.rglob("*.java"))]
        proc = subprocess.run(
            [javac, "-nowarn", "--release", "17", "-encoding", "UTF-8", "-d", str(tmp / "classes"), *sources],
            capture_output=True, text=True, timeout=300, check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"javac failed: {proc.stderr.strip()}")
        with zipfile.ZipFile(tmp / "client.jar", "w") as jar:  # CDS archives only classes from jars
            jar.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\n\r\n")
            for path in sorted((tmp / "classes").rglob("*.class")):
                jar.write(path, str(path.relative_to(tmp / "classes")))
        (tmp / "bootstrap").write_text(BOOTSTRAP)
        os.chmod(tmp / "bootstrap", 0o755)
        for root, dirs, files in os.walk(tmp):
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o755)
            for f in files:
                os.chmod(os.path.join(root, f), 0o755 if f == "bootstrap" else 0o644)
        os.chmod(tmp, 0o755)
        try:
            os.rename(tmp, target)  # atomic; a concurrent builder may have won
        except OSError:
            if not (target / "bootstrap").exists():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _system(java: str) -> list[Mount]:
    """Isolated: the JDK (and the /etc and certificate directories its conf links into),
    the shell and tools of the bootstrap, their libraries; nothing else of the host's /usr."""
    home = str(Path(os.path.realpath(java)).parent.parent)
    dirs = [home, *glob.glob("/etc/java-*"), "/etc/ssl/certs/java"]
    return own_system("java", ["/bin/sh", "/usr/bin/dirname"], tuple(d for d in dirs if os.path.isdir(d)))


def prepare(rt: Runtime) -> None:
    java, _, version = find_java(int(rt.name.removeprefix("java")))  # runs `java -version` once, off the event loop
    if version:
        _system(java)
    try:
        built = client_dir()
    except (OSError, RuntimeError, subprocess.SubprocessError):
        return  # launch() then reports it: the environment fails to start with its reason
    if version:
        cds_archive(built, java, version, create=True)


def cds_archive(built: Path, java: str, version: str, *, create: bool = False) -> Path | None:
    """A dynamic class-data-sharing archive of the client for this JDK (recorded once by
    running the client's --warmup), which takes a good part of the JVM's start-up off
    every cold start. None when it is not there (yet) or the JDK cannot record one."""
    real = os.path.realpath(java)
    target = built / f"cds-{hashlib.sha256(f'{real} {version}'.encode()).hexdigest()[:12]}.jsa"
    failed = target.with_suffix(".failed")
    if target.exists():
        return target
    if not create or failed.exists():
        return None
    with _LOCK:
        if target.exists():
            return target
        tmp = built / f".{target.name}.{os.getpid()}.tmp"
        try:
            proc = subprocess.run(
                [real, *JVM_FLAGS, f"-XX:ArchiveClassesAtExit={tmp}", "-cp", str(built / "client.jar"), "dev.gureum.lambda.Main", "--warmup"],
                capture_output=True, timeout=120, cwd=str(built), check=False,
            )
            if proc.returncode == 0 and tmp.exists():
                os.chmod(tmp, 0o644)
                os.replace(tmp, target)
                return target
            failed.write_text(proc.stdout.decode(errors="replace") + proc.stderr.decode(errors="replace"))
        except (OSError, subprocess.SubprocessError) as exc:
            with contextlib.suppress(OSError):
                failed.write_text(str(exc))
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
    return None


def _major(java: str) -> tuple[int, str]:
    out = tool_output([java, "-version"], _VERSIONS)
    m = re.search(r'version "([^"]+)"', out)
    if not m:
        return 0, ""
    version = m.group(1)
    first = version.split(".")[0]
    major = int(version.split(".")[1]) if first == "1" else int(re.match(r"\d+", first).group(0))  # type: ignore[union-attr]
    return major, version


def find_java(want: int) -> tuple[str, int, str]:
    """(path, major, version) of the JDK to run a java`want` function on."""
    default = shutil.which("java")
    candidates: list[tuple[int, str, str]] = []
    for home in sorted(JVM_DIR.glob("*")) if JVM_DIR.is_dir() else []:
        java = home / "bin" / "java"
        if home.is_symlink() or not java.exists():
            continue
        major, version = _major(str(java))
        if major:
            candidates.append((major, version, str(java)))
    if default:
        major, version = _major(default)
        if major == want:
            return default, major, version
    exact = [c for c in candidates if c[0] == want]
    newer = sorted(c for c in candidates if c[0] > want)
    for major, version, path in exact or newer:
        return path, major, version
    if default:
        major, version = _major(default)
        return default, major, version
    return "java", 0, ""


def launch(rt: Runtime, handler: str, *, isolated: bool, task_root: str, runtime_dir: str) -> Launch:
    want = int(rt.name.removeprefix("java"))
    java, major, version = find_java(want)
    note = ""
    if major != want:
        shown = f"Java {version}" if version else "no Java (apt-get install default-jdk-headless)"
        note = f"gureum: {rt.name} runs on the host's {shown} ({os.path.realpath(java) if version else java})"
    try:
        built = client_dir()
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        note += ("\n" if note else "") + f"gureum: the Java runtime client could not be built: {exc}"
        return Launch([f"{runtime_dir}/bootstrap"], {}, [], note)
    mounts: list[Mount] = []
    home = str(Path(os.path.realpath(java)).parent.parent)
    if isolated:
        # /var/runtime shows the client, and so does its host path: a CDS archive only
        # applies when the class path is the one it was recorded with.
        mounts.append(Mount("bind", RUNTIME_DIR, str(built)))
        mounts.append(Mount("bind", str(built), str(built)))
        if not home.startswith(("/usr/", "/etc/")):
            mounts.append(Mount("bind", home, home))
    cds = cds_archive(built, java, version) if version else None
    env = {"JAVA_HOME": home}
    system = _system(java) if isolated and version else None
    return Launch(["/bin/sh", f"{built}/bootstrap", os.path.realpath(java), str(cds or "")], env, mounts, note, system)
