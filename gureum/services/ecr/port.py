"""ECR's port for other services that pull images (Lambda container functions, ECS tasks):
`registry_access` gives the credentials and dial address for an image reference — an ECR
token for gureum's own registry, nothing for other registries (pulls.py). `pull_access` says
also whether the image is in gureum's own registry (`OwnImage`), and `manifest_locator`
finds such an image's manifest in-process, for a puller inside this node (ECS tasks) that then
need not make an HTTP round trip through this node's own loop."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any

from gureum.services.ecr import pulls
from gureum.services.ecr.engine import registry_of

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.sandbox import images as img

OwnImage = pulls.OwnImage  # an image reference that names gureum's own registry
# Finds a manifest on the loop: its digest and a blocking reader of its bytes, or None.
ManifestLocator = Callable[[], Awaitable["img.LocalManifest | None"]]
Spawn = Callable[[Coroutine[Any, Any, Any], str], Any]


async def registry_access(app: App, image: str, account: str, region: str) -> tuple[img.Credentials | None, dict[str, str]]:
    """(credentials, registry host -> address to dial) for pulling `image` as `account`/`region`."""
    creds, rewrite, _own = await pulls.access(app, image, account, region)
    return creds, rewrite


async def pull_access(app: App, image: str, account: str, region: str) -> tuple[img.Credentials | None, dict[str, str], OwnImage | None]:
    """As `registry_access`, with where in gureum's registry the image is (None: another
    registry, or a malformed reference)."""
    return await pulls.access(app, image, account, region)


def manifest_locator(app: App, own: OwnImage, spawn: Spawn) -> ManifestLocator:
    """A locator of `own`'s manifest as stored, awaited on the loop: (its digest, a reader of
    its bytes and media type for the puller's thread), or None when the registry cannot serve
    it (the HTTP pull then tells why, in the registry's words). Each locate records the pull
    (lastRecordedPullTime) in a task given to `spawn`."""
    registry = registry_of(app)

    async def locate() -> img.LocalManifest | None:
        try:
            record = await registry.manifest_record(own.scope, own.repository, own.reference)
        except Exception:  # noqa: BLE001 - the HTTP pull tells what is wrong, in the registry's words
            return None
        spawn(registry.record_pull(own.scope, own.repository, record), "ecr-record-pull")

        def read() -> tuple[bytes, str] | None:
            try:
                return registry.manifest_bytes(record)
            except OSError:  # (deleted meanwhile): the HTTP pull tells why
                return None

        return record["digest"], read

    return locate
