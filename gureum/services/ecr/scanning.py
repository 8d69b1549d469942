"""Image scanning, answered honestly: gureum has no vulnerability database offline, so a
scan reports no findings and says so; what it really does is read the image's layers
(streamed, tar / gzip) and take the package inventory (dpkg status, apk installed, and a
busybox binary), which the scan status description reports.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import tarfile
from typing import TYPE_CHECKING, Any

from gureum.services.ecr import model

if TYPE_CHECKING:
    from gureum.services.ecr.engine import Registry

log = logging.getLogger("gureum.ecr.scan")
NO_DATABASE = "gureum has no vulnerability database offline: no vulnerability findings are reported"
_DB_PATHS = {"var/lib/dpkg/status": "dpkg", "lib/apk/db/installed": "apk"}


def _parse_dpkg(text: str) -> list[tuple[str, str]]:
    out = []
    for para in text.split("\n\n"):
        fields = {}
        for line in para.splitlines():
            if ":" in line and not line.startswith(" "):
                k, _, v = line.partition(":")
                fields[k.strip()] = v.strip()
        if "Package" in fields and "installed" in fields.get("Status", "installed"):
            out.append((fields["Package"], fields.get("Version", "")))
    return out


def _parse_apk(text: str) -> list[tuple[str, str]]:
    out, name, ver = [], None, ""
    for line in text.splitlines() + [""]:
        if line.startswith("P:"):
            name = line[2:]
        elif line.startswith("V:"):
            ver = line[2:]
        elif not line and name:
            out.append((name, ver))
            name, ver = None, ""
    return out


def inventory(layer_paths: list[str]) -> list[dict[str, str]]:
    """Package inventory of an image from its layer files (lowest first)."""
    dbs: dict[str, str] = {}
    busybox = False
    for path in layer_paths:
        with open(path, "rb") as raw:
            magic = raw.read(4)
            raw.seek(0)
            if magic[:2] == b"\x1f\x8b":
                stream: Any = gzip.GzipFile(fileobj=raw)
            elif magic == b"\x28\xb5\x2f\xfd":
                continue  # zstd: not readable without an extra module; skipped
            else:
                stream = raw
            try:
                with tarfile.open(fileobj=stream, mode="r|") as tar:
                    for member in tar:
                        p = member.name.lstrip("./")
                        if p in _DB_PATHS and member.isfile():
                            f = tar.extractfile(member)
                            if f is not None:
                                dbs[p] = f.read(64 << 20).decode(errors="replace")
                        elif p.rsplit("/", 1)[-1].startswith(".wh.") and p.replace(".wh.", "", 1) in _DB_PATHS:
                            dbs.pop(p.replace(".wh.", "", 1), None)
                        elif p in ("bin/busybox", "usr/bin/busybox") and member.isfile():
                            busybox = True
            except (tarfile.TarError, OSError, EOFError):
                continue
    out = []
    for p, text in dbs.items():
        kind = _DB_PATHS[p]
        for name, ver in (_parse_dpkg(text) if kind == "dpkg" else _parse_apk(text)):
            out.append({"name": name, "version": ver, "source": kind})
    if busybox and not any(x["name"] == "busybox" for x in out):
        out.append({"name": "busybox", "version": "", "source": "binary"})
    return out


async def scan(reg: Registry, scope: str, name: str, digest: str) -> dict[str, Any]:
    doc = await reg.store.read(lambda txn: model.resolve(txn, scope, name, digest))
    now = model.now()
    if doc.get("children") or doc["mediaType"] not in (
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ):
        result = {"status": "UNSUPPORTED_IMAGE", "description": "The operation is not supported for this image (not a single-platform image manifest).", "completedAt": now}
    else:
        manifest = json.loads(await reg.read_bytes(doc["digest"]))
        layers = [layer["digest"] for layer in manifest.get("layers", [])]
        paths = await asyncio.to_thread(lambda: [str(reg.blobs.path(d)) for d in layers if reg.blobs.exists(d)])
        try:
            packages = await asyncio.to_thread(inventory, paths)
            kinds = sorted({p["source"] for p in packages})
            desc = f"{NO_DATABASE}. Package inventory: {len(packages)} package(s)" + (f" ({', '.join(kinds)})" if kinds else "") + "."
            result = {"status": "COMPLETE", "description": desc, "completedAt": now, "packages": packages[:2000]}
        except Exception as exc:  # noqa: BLE001 - a broken layer fails the scan, not the node
            log.warning("scan of %s@%s failed: %s", name, digest, exc)
            result = {"status": "FAILED", "description": f"scan failed: {exc}", "completedAt": now}

    def store(txn: Any) -> None:
        d = model.get_manifest(txn, scope, name, doc["digest"])
        if d is not None:
            d["scan"] = result
            txn.put(model.MANIFESTS, model.sub_key(scope, name, doc["digest"]), d)

    await reg.store.run(store)
    return result


async def scan_if_pending(reg: Registry, scope: str, name: str, digest: str) -> None:
    doc = await reg.store.read(lambda txn: model.get_manifest(txn, scope, name, digest))
    if doc is not None and (doc.get("scan") or {}).get("status") == "PENDING":
        await scan(reg, scope, name, digest)
