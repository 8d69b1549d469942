"""ECR's port for other services that pull images (Lambda container functions, ECS tasks):
`registry_access` gives the credentials and dial address for an image reference — an ECR
token for gureum's own registry, nothing for other registries (pulls.py). `pull_access` says
also whether the image is in gureum's own registry (`OwnImage`), and `manifest_reader` reads
such an image's manifest in-process, for a puller inside this node (ECS tasks) that then
need not make an HTTP round trip through this node's own loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from gureum.services.ecr import pulls
from gureum.services.ecr.engine import registry_of

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.sandbox import images as img

OwnImage = pulls.OwnImage  # an image reference that names gureum's own registry
# Reads a manifest on the caller's thread: (its bytes, its media type), or None.
ManifestReader = Callable[[], "tuple[bytes, str] | None"]
Spawn = Callable[[Coroutine[Any, Any, Any], str], Any]


async def registry_access(app: App, image: str, account: str, region: str) -> tuple[img.Credentials | None, dict[str, str]]:
    """(credentials, registry host -> address to dial) for pulling `image` as `account`/`region`."""
    creds, rewrite, _own = await pulls.access(app, image, account, region)
    return creds, rewrite


async def pull_access(app: App, image: str, account: str, region: str) -> tuple[img.Credentials | None, dict[str, str], OwnImage | None]:
    """As `registry_access`, with where in gureum's registry the image is (None: another
    registry, or a malformed reference)."""
    return await pulls.access(app, image, account, region)


def manifest_reader(app: App, own: OwnImage, spawn: Spawn) -> ManifestReader:
    """A reader of `own`'s manifest as stored, for a puller's thread (it blocks: never call it
    on the event loop). It returns None when the registry cannot serve the manifest (the HTTP
    pull then tells why, in the registry's words); a read records the pull
    (lastRecordedPullTime) in a task given to `spawn` on the calling loop."""
    registry = registry_of(app)
    loop = asyncio.get_running_loop()

    def read() -> tuple[bytes, str] | None:
        try:
            found, doc = registry.read_manifest_sync(own.scope, own.repository, own.reference)
        except Exception:  # noqa: BLE001 - the HTTP pull tells what is wrong, in the registry's words
            return None
        loop.call_soon_threadsafe(lambda: spawn(registry.record_pull(own.scope, own.repository, doc), "ecr-record-pull"))
        return found.data, found.media_type

    return read
