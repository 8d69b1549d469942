"""A busybox-static image built locally with umoci and pushed to gureum's ECR with skopeo
(no network pulls): every busybox applet linked in /bin, /etc/passwd with a `nobody` user."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

BUSYBOX = "/bin/busybox"
TOOLS = ("umoci", "skopeo", "runc")


def tools_missing() -> list[str]:
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if not os.path.exists(BUSYBOX):
        missing.append("busybox-static")
    return missing


def containers_skip_reason() -> str | None:
    """Why tests that run containers cannot run here (None: they can)."""
    if os.geteuid() != 0:
        return "running containers needs root"
    missing = tools_missing()
    if missing:
        return f"needs {missing} (Debian packages runc umoci skopeo busybox-static)"
    return None


def run(*cmd: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(list(cmd), check=False, capture_output=True, text=True, timeout=timeout)
    if res.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({res.returncode}):\n{res.stdout}\n{res.stderr}")
    return res


def build_image(layout: Path, tag: str = "latest", *, cmd: list[str] | None = None, env: list[str] | None = None,
                workdir: str | None = None, entrypoint: list[str] | None = None, extra_files: dict[str, str] | None = None,
                copy_files: dict[str, Path] | None = None) -> Path:
    """An OCI layout holding `tag`: busybox with all applets, then a second layer with
    `extra_files` (path -> content) so images have more than one layer."""
    if not layout.exists():
        run("umoci", "init", "--layout", str(layout))
    run("umoci", "new", "--image", f"{layout}:{tag}")
    bundle = layout.parent / f"{layout.name}-{tag}-bundle"
    shutil.rmtree(bundle, ignore_errors=True)
    run("umoci", "unpack", "--image", f"{layout}:{tag}", str(bundle))
    rootfs = bundle / "rootfs"
    for d in ("bin", "etc", "tmp", "var/www", "root"):
        (rootfs / d).mkdir(parents=True, exist_ok=True)
    os.chmod(rootfs / "tmp", 0o1777)
    shutil.copy2(BUSYBOX, rootfs / "bin" / "busybox")
    applets = run(BUSYBOX, "--list").stdout.split()
    for applet in applets:
        if applet != "busybox" and not (rootfs / "bin" / applet).exists():
            os.symlink("busybox", rootfs / "bin" / applet)
    (rootfs / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n")
    (rootfs / "etc/group").write_text("root:x:0:\nnogroup:x:65534:\n")
    (rootfs / "var/www/index.html").write_text("hello from gureum\n")
    run("umoci", "repack", "--image", f"{layout}:{tag}", str(bundle))
    if extra_files or copy_files:
        for path, content in (extra_files or {}).items():
            p = rootfs / path.lstrip("/")
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(content)
        for path, src in (copy_files or {}).items():  # binaries (host path -> image path), mode kept
            p = rootfs / path.lstrip("/")
            p.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, p)
        run("umoci", "repack", "--image", f"{layout}:{tag}", str(bundle))
    args = ["umoci", "config", "--image", f"{layout}:{tag}"]
    for c in cmd or ["/bin/sh"]:
        args += ["--config.cmd", c]
    for e in entrypoint or []:
        args += ["--config.entrypoint", e]
    for e in env or []:
        args += ["--config.env", e]
    if workdir:
        args += ["--config.workingdir", workdir]
    run(*args)
    shutil.rmtree(bundle, ignore_errors=True)
    return layout


def push(layout: Path, tag: str, dest: str) -> None:
    """skopeo copy oci:<layout>:<tag> docker://<dest> (plain HTTP, gureum's registry)."""
    run("skopeo", "copy", "--dest-tls-verify=false", f"oci:{layout}:{tag}", f"docker://{dest}")


def push_with_auth(layout: Path, tag: str, host: str, repo: str, password: str) -> None:
    """Push an OCI layout's image over the OCI API sending `Basic AWS:<password>` on every
    request (skopeo only sends credentials after a 401, which an open gureum never sends)."""
    import base64
    import json
    import urllib.request

    auth = "Basic " + base64.b64encode(f"AWS:{password}".encode()).decode()
    index = json.loads((layout / "index.json").read_text())
    desc = next(m for m in index["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag)

    def blob(digest: str) -> bytes:
        return (layout / "blobs" / "sha256" / digest.split(":", 1)[1]).read_bytes()

    manifest = blob(desc["digest"])
    doc = json.loads(manifest)
    for d in [doc["config"], *doc["layers"]]:
        req = urllib.request.Request(f"http://{host}/v2/{repo}/blobs/uploads/?digest={d['digest']}", data=blob(d["digest"]), method="POST")
        req.add_header("Authorization", auth)
        req.add_header("Content-Type", "application/octet-stream")
        urllib.request.urlopen(req, timeout=30).close()
    req = urllib.request.Request(f"http://{host}/v2/{repo}/manifests/{tag}", data=manifest, method="PUT")
    req.add_header("Authorization", auth)
    req.add_header("Content-Type", desc["mediaType"])
    urllib.request.urlopen(req, timeout=30).close()
