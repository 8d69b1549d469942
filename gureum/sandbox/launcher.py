"""Builds and finds `gureum-sandbox`, the small C launcher (launcher.c) that puts a process
tree into fresh namespaces. Built once per source version with the host's C compiler into
a cache directory; None when it cannot be built (no compiler), and callers fall back to
plain subprocesses.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

SOURCE = Path(__file__).with_name("launcher.c")


def default_cache_dir() -> Path:
    """Where built launchers are kept, shared by every gureum of this user."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gureum"


def launcher_path(cache_dir: Path) -> Path | None:
    """The launcher binary for the current launcher.c, building it if needed."""
    source = SOURCE.read_bytes()
    digest = hashlib.sha256(source).hexdigest()[:16]
    target = cache_dir / f"gureum-sandbox-{digest}"
    if target.exists():
        return target
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        return None
    cache_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".build-")
    os.close(fd)
    try:
        proc = subprocess.run(
            [cc, "-O2", "-o", tmp, "-x", "c", "-"], input=source, capture_output=True, timeout=60
        )
        if proc.returncode != 0:
            return None
        os.chmod(tmp, 0o755)
        os.replace(tmp, target)  # atomic: concurrent builders agree on the result
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target
