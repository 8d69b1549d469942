"""How a task's image is pulled: the credentials and address for each image reference
(ECR's port: gureum's own registry gets an ECR token for the task's account; another registry,
for an EC2 task, the container instance's private registry credentials, registry_auth.py),
and, on a node that serves the registry, an in-process reader of the image's manifest.
Owns no state."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from gureum.sandbox import images as img
from gureum.services.ecr import port as ecr
from gureum.services.ecs import registry_auth

if TYPE_CHECKING:
    from gureum.app import App

# (credentials, registry host → address dialled, in-process manifest locator or None)
Access = tuple[img.Credentials | None, dict[str, str], ecr.ManifestLocator | None]


async def registry_access(
    app: App,
    engine_auth: dict[str, img.Credentials],
    spawn: Callable[[Coroutine[Any, Any, Any], str], Any],
    image: str,
    account: str,
    region: str,
    *,
    ec2: bool = False,
) -> Access:
    """Credentials and address for an image (ECR's port: gureum's own registry gets an ECR
    token for the task's account); another registry, for an EC2 task, the container
    instance's private registry credentials (registry_auth). On a node that serves the
    registry, also a locator of the image's manifest in-process, which spares the pull an
    HTTP round trip through this node's own loop (and, for an image this node has, the
    pull's thread); the pull is recorded by a background task given to `spawn`."""
    creds, rewrite, own = await ecr.pull_access(app, image, account, region)
    if own is None:
        if creds is None and not rewrite and ec2:
            with contextlib.suppress(img.PullError):
                creds = engine_auth.get(registry_auth.host_of(img.parse_reference(image).registry))
        return creds, rewrite, None
    if app.is_agent:
        return creds, rewrite, None
    return creds, rewrite, ecr.manifest_locator(app, own, spawn)
