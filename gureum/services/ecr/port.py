"""ECR's port for other services that pull images (Lambda container functions, ECS tasks):
`registry_access` gives the credentials and dial address for an image reference — an ECR
token for gureum's own registry, nothing for other registries (pulls.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.services.ecr import pulls

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.sandbox import images as img


async def registry_access(app: App, image: str, account: str, region: str) -> tuple[img.Credentials | None, dict[str, str]]:
    """(credentials, registry host -> address to dial) for pulling `image` as `account`/`region`."""
    creds, rewrite, _own = await pulls.access(app, image, account, region)
    return creds, rewrite
