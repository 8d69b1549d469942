"""Container-image functions: resolving an ImageUri, pulling and unpacking the image once
per manifest digest, and the function state that follows (Pending -> Active or Failed).

The pull goes through the node's OCI client (gureum/sandbox/images.py); gureum's own
registry (`localhost:<port>/<repo>`, `127.0.0.1:<port>/...` or an ECR host name) is dialled
directly with an ECR token for the function's account, as the Lambda service principal
would. Layers are unpacked once per layer digest (overlayfs form) and then flattened once
per manifest digest into `<data>/lambda/images/rootfs/<hex>/`: an isolated sandbox sees that
tree (read-only) as its root, plus /dev, /proc and a private /tmp.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import shutil
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gureum.aws.errors import AwsError
from gureum.sandbox import images as img
from gureum.services.ecr import port as ecr
from gureum.services.lambda_ import functions
from gureum.services.lambda_.settings import LambdaSettings
from gureum.services.lambda_.slots import ENGINE

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.services.lambda_.engine import LambdaEngine

log = logging.getLogger("gureum.lambda")


# --- where an image lives ------------------------------------------------------------------
async def registry_access(app: App, image: str, account: str, region: str) -> tuple[img.Credentials | None, dict[str, str]]:
    """Credentials and dial address: gureum's own registry gets an ECR token for `account`."""
    return await ecr.registry_access(app, image, account, region)


def _resolve_sync(image: str, creds: img.Credentials | None, rewrite: dict[str, str]) -> str:
    """The manifest digest `image` names now (a GET of its manifest)."""
    ref = img.parse_reference(image)
    host = rewrite.get(ref.registry, ref.registry)
    scheme = "http" if img._is_loopback(host) else "https"
    s = img._Session(f"{scheme}://{host}", creds, timeout=15.0)
    with s.open(f"/v2/{ref.repository}/manifests/{ref.ref}", img.MANIFEST_TYPES) as resp:
        body = resp.read(8 << 20)
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    if ref.digest and ref.digest != digest:
        raise img.PullError(f"manifest digest mismatch: wanted {ref.digest}, got {digest}")
    try:
        json.loads(body)
    except ValueError:
        raise img.PullError("registry returned an invalid manifest") from None
    return digest


async def resolve(app: App, uri: str, account: str, region: str) -> dict[str, str]:
    """Check an ImageUri at CreateFunction/UpdateFunctionCode: {uri, resolved, digest}.
    Raises AWS's InvalidParameterValueException when the image is not there."""
    try:
        ref = img.parse_reference(uri)
    except img.PullError:
        raise AwsError.modeled(
            "lambda",
            "InvalidParameterValueException",
            f"Source image {uri} is not valid. Provide a valid source image.",
            Type="User",
        ) from None
    creds, rewrite = await registry_access(app, uri, account, region)
    try:
        digest = await asyncio.to_thread(_resolve_sync, uri, creds, rewrite)
    except img.PullError as exc:
        text = str(exc)
        if text.startswith("pull access denied"):
            raise AwsError.modeled(
                "lambda",
                "InvalidParameterValueException",
                "Lambda does not have permission to access the ECR image. Check the ECR permissions.",
                Type="User",
            ) from None
        if text.startswith("not found"):
            raise AwsError.modeled(
                "lambda",
                "InvalidParameterValueException",
                f"Source image {uri} does not exist. Provide a valid source image.",
                Type="User",
            ) from None
        raise AwsError.modeled(
            "lambda",
            "InvalidParameterValueException",
            f"Source image {uri} is not valid. Provide a valid source image. ({text})",
            Type="User",
        ) from None
    resolved = f"{ref.registry}/{ref.repository}@{digest}"
    return {"uri": uri, "resolved": resolved, "digest": digest}


def state_failure(exc: Exception) -> tuple[str, str]:
    """(StateReasonCode, StateReason) for a failed image preparation."""
    text = str(exc)
    if text.startswith("pull access denied"):
        return "ImageAccessDenied", "Lambda does not have permission to access the ECR image. Check the ECR permissions."
    if text.startswith("not found"):
        return "ImageDeleted", "The image used by the function has been deleted."
    return "InvalidImage", f"The image could not be prepared: {text}"


# --- the node's image cache ----------------------------------------------------------------------
class ImageStore:
    """Pulled images and flattened root file systems of one node (one per manifest digest)."""

    def __init__(self, app: App) -> None:
        self.app = app
        root = app.data_dir / "lambda" / "images"
        insecure = app.settings(LambdaSettings).insecure_registries
        self.cache = img.ImageCache(root, app.blobs, insecure=insecure)
        self.rootfs_dir = root / "rootfs"
        self._ready: dict[str, tuple[Path, dict[str, Any]]] = {}
        self._busy: dict[str, asyncio.Future[tuple[Path, dict[str, Any]]]] = {}

    def close(self) -> None:
        self.cache.close()

    async def rootfs(self, resolved: str, account: str, region: str) -> tuple[Path, dict[str, Any]]:
        """(root directory, image config) of `resolved` (`host/repo@sha256:...`), pulled and
        unpacked once; concurrent callers wait for one preparation."""
        found = self._ready.get(resolved)
        if found is not None:
            return found
        fut = self._busy.get(resolved)
        if fut is not None:
            return await asyncio.shield(fut)
        fut = asyncio.get_running_loop().create_future()
        self._busy[resolved] = fut
        try:
            creds, rewrite = await registry_access(self.app, resolved, account, region)
            image = await self.cache.pull(resolved, creds, rewrite=rewrite)
            target = self.rootfs_dir / image.manifest_digest.split(":", 1)[1]
            meta = target.with_name(target.name + ".json")
            if not target.is_dir():
                self.rootfs_dir.mkdir(parents=True, exist_ok=True)
                await asyncio.to_thread(flatten, image.layers, target)
            meta.write_text(json.dumps(image.config))
            result = (target, dict(image.config))
            self._ready[resolved] = result
            fut.set_result(result)
        except BaseException as exc:
            fut.set_exception(exc)
            fut.exception()
            raise
        finally:
            del self._busy[resolved]
        return result


def flatten(layers: list[Path], target: Path) -> None:
    """Apply unpacked layers (overlayfs form, lowest first) into one directory, atomically.
    Regular files are hard-linked from the layer directories (copied across devices)."""
    tmp = target.with_name(target.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    os.chmod(tmp, 0o755)
    for layer in layers:
        for dirpath, dirnames, filenames in os.walk(layer):
            rel = os.path.relpath(dirpath, layer)
            dest_dir = tmp if rel == "." else tmp / rel
            for name in list(dirnames) + filenames:
                src = os.path.join(dirpath, name)
                dst = dest_dir / name
                st = os.lstat(src)
                if stat.S_ISCHR(st.st_mode) and st.st_rdev == 0:  # whiteout
                    _remove(dst)
                    continue
                if stat.S_ISDIR(st.st_mode):
                    opaque = False
                    with contextlib.suppress(OSError):
                        opaque = os.getxattr(src, "trusted.overlay.opaque") == b"y"
                    if opaque or (os.path.lexists(dst) and not (dst.is_dir() and not dst.is_symlink())):
                        _remove(dst)
                    dst.mkdir(exist_ok=True)
                    os.chmod(dst, stat.S_IMODE(st.st_mode))
                    with contextlib.suppress(OSError):
                        os.chown(dst, st.st_uid, st.st_gid)
                    continue
                _remove(dst)
                if stat.S_ISLNK(st.st_mode):
                    os.symlink(os.readlink(src), dst)
                elif stat.S_ISREG(st.st_mode):
                    try:
                        os.link(src, dst)
                    except OSError:
                        shutil.copy2(src, dst)
                # devices, fifos and sockets from an image are not carried over
    os.replace(tmp, target)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif os.path.lexists(path):
        path.unlink()


def launch_spec(config: dict[str, Any], image_config: dict[str, Any]) -> tuple[list[str], str, str, dict[str, str]]:
    """(argv, handler, working directory, image environment) for an image function:
    ImageConfig's EntryPoint, Command and WorkingDirectory override the image's own."""
    override = (config.get("ImageConfigResponse") or {}).get("ImageConfig") or {}
    entry = list(override["EntryPoint"]) if override.get("EntryPoint") else list(image_config.get("Entrypoint") or [])
    cmd = list(override["Command"]) if override.get("Command") else list(image_config.get("Cmd") or [])
    cwd = override.get("WorkingDirectory") or image_config.get("WorkingDir") or "/"
    env: dict[str, str] = {}
    for item in image_config.get("Env") or []:
        k, _, v = str(item).partition("=")
        if k:
            env[k] = v
    return entry + cmd, (cmd[0] if cmd else ""), cwd, env


# --- preparation in the background ----------------------------------------------------------------
async def prepare(app: App, key: str, account: str, region: str, resolved: str, creating: bool) -> None:
    """Pull and unpack the function's image, then mark it Active (or Failed)."""
    failure: tuple[str, str] | None = None
    try:
        engine: LambdaEngine = await app.parts.wait(ENGINE, 30.0)
        await engine.images.rootfs(resolved, account, region)
    except Exception as exc:  # noqa: BLE001 - reported through the function's state
        log.info("image %s for %s failed: %s", resolved, key, exc)
        failure = state_failure(exc)

    await app.store.run(lambda t: functions.settle_image(t, key, resolved, failure, creating))
