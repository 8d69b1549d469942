"""Build small OCI images locally (no network): a busybox-static rootfs packed by umoci."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

BUSYBOX = "/bin/busybox"


def tools_missing(*tools: str) -> list[str]:
    return [t for t in tools if shutil.which(t) is None]


def run(*cmd: str, timeout: float = 300, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(list(cmd), check=False, capture_output=True, text=True, timeout=timeout, env=env)
    if res.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({res.returncode}):\n{res.stdout}\n{res.stderr}")
    return res


def build_busybox_image(layout: Path, tag: str = "latest", extra_bytes: int = 0, extra_name: str = "payload.bin") -> Path:
    """An OCI layout at `layout` holding image `tag`: busybox at /bin with sh/echo/cat links,
    CMD /bin/sh; with `extra_bytes` of random data in /<extra_name> (incompressible)."""
    if not layout.exists():
        run("umoci", "init", "--layout", str(layout))
    run("umoci", "new", "--image", f"{layout}:{tag}")
    bundle = layout.parent / f"{layout.name}-{tag}-bundle"
    shutil.rmtree(bundle, ignore_errors=True)
    run("umoci", "unpack", "--image", f"{layout}:{tag}", str(bundle))
    rootfs = bundle / "rootfs"
    (rootfs / "bin").mkdir(parents=True, exist_ok=True)
    shutil.copy2(BUSYBOX, rootfs / "bin" / "busybox")
    for applet in ("sh", "echo", "cat", "ls"):
        os.symlink("busybox", rootfs / "bin" / applet)
    if extra_bytes:
        with open(rootfs / extra_name, "wb") as f:
            left = extra_bytes
            while left:
                n = min(left, 1 << 20)
                f.write(os.urandom(n))
                left -= n
    run("umoci", "repack", "--image", f"{layout}:{tag}", str(bundle))
    run("umoci", "config", "--image", f"{layout}:{tag}", "--config.cmd", "/bin/sh")
    shutil.rmtree(bundle, ignore_errors=True)
    return layout
