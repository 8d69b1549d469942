"""Jars to compile Java functions against, offline: `gureum runtimes java-core` (the
com.amazonaws.services.lambda.runtime interfaces: Context, RequestHandler,
RequestStreamHandler, LambdaLogger, ...) and `gureum runtimes java-events` (classes shaped like
aws-lambda-java-events' for the events gureum sends: SQSEvent and SQSBatchResponse, SNSEvent,
S3Event, APIGatewayV2HTTPEvent/Response for function URLs).

Maven Central is out of reach here, so these stand in for `aws-lambda-java-core` and
`aws-lambda-java-events` at compile time. As on AWS, the runtime provides the core interfaces
and a function bundles the events classes in its own zip. Built once per source digest with the
host's javac (--release 8, so functions for every Java runtime can use them) into the cache directory; each command prints the jar's path.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from gureum.sandbox.launcher import default_cache_dir
from gureum.services.lambda_.runtimes.base import CLIENTS_DIR

CORE_SOURCES = CLIENTS_DIR / "java" / "src" / "com"
EVENTS_SOURCES = CLIENTS_DIR / "java-events" / "src"


def _sources(root: Path) -> list[Path]:
    return sorted(root.rglob("*.java"))


def _digest(*roots: Path) -> str:
    h = hashlib.sha256()
    for root in roots:
        for path in _sources(root):
            h.update(str(path.relative_to(root)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _cache() -> Path:
    try:
        cache = default_cache_dir()
        cache.mkdir(parents=True, exist_ok=True)
        return cache
    except OSError:
        cache = Path(tempfile.gettempdir()) / "gureum-cache"
        cache.mkdir(parents=True, exist_ok=True)
        return cache


def _compile(sources: list[Path], out: Path, classpath: Path | None, jar: Path) -> None:
    javac = shutil.which("javac")
    if javac is None:
        raise FileNotFoundError("javac is not installed (apt-get install default-jdk-headless)")
    cmd = [javac, "-nowarn", "-Xlint:-options", "--release", "8", "-encoding", "UTF-8", "-d", str(out)]
    if classpath is not None:
        cmd += ["-cp", str(classpath)]
    proc = subprocess.run([*cmd, *map(str, sources)], capture_output=True, text=True, timeout=300, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"javac failed: {proc.stderr.strip()}")
    tmp_jar = jar.with_name(f".{jar.name}.{os.getpid()}")
    with zipfile.ZipFile(tmp_jar, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nCreated-By: gureum\r\n\r\n")
        for path in sorted(out.rglob("*.class")):
            zf.write(path, str(path.relative_to(out)))
    os.replace(tmp_jar, jar)  # atomic: a concurrent builder writes the same bytes


def core_jar() -> Path:
    """aws-lambda-java-core's interfaces as a jar, building it if needed."""
    jar = _cache() / f"gureum-lambda-java-core-{_digest(CORE_SOURCES)}.jar"
    if not jar.exists():
        with tempfile.TemporaryDirectory(dir=jar.parent) as tmp:
            _compile(_sources(CORE_SOURCES), Path(tmp), None, jar)
    return jar


def events_jar() -> Path:
    """The event classes as a jar (compiled against the core jar), building it if needed."""
    core = core_jar()
    jar = _cache() / f"gureum-lambda-java-events-{_digest(CORE_SOURCES, EVENTS_SOURCES)}.jar"
    if not jar.exists():
        with tempfile.TemporaryDirectory(dir=jar.parent) as tmp:
            _compile(_sources(EVENTS_SOURCES), Path(tmp), core, jar)
    return jar


JARS = {"java-core": core_jar, "java-events": events_jar}


def main(argv: list[str]) -> int:
    """`gureum runtimes java-core|java-events`: print the jar's path (built on first use)."""
    if len(argv) != 1 or argv[0] not in JARS:
        print("usage: gureum runtimes java-core | java-events\n"
              "  java-core    prints the path of a jar with com.amazonaws.services.lambda.runtime.*\n"
              "  java-events  prints the path of a jar with the event classes gureum sends "
              "(SQSEvent, SNSEvent, S3Event, APIGatewayV2HTTPEvent, ...)", file=sys.stderr)
        return 2
    try:
        print(JARS[argv[0]]())
    except (OSError, RuntimeError, subprocess.SubprocessError) as exc:
        print(f"gureum runtimes {argv[0]}: {exc}", file=sys.stderr)
        return 1
    return 0
