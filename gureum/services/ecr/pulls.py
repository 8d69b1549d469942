"""Pulling from gureum's own registry inside gureum (ECS tasks, Lambda image functions): which
image references are ours, the address to dial, and the ECR token a pull sends, as an
execution role's would be."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gureum.public import local_address
from gureum.sandbox import images as img

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.services.ecr.engine import Scope

TOKEN_SECONDS = 3600


@dataclass(frozen=True)
class OwnImage:
    """An image reference that names gureum's own registry."""

    scope: Scope  # the account and region whose repository it is
    repository: str
    reference: str  # a tag or a digest


async def access(app: App, image: str, account: str, region: str) -> tuple[img.Credentials | None, dict[str, str], OwnImage | None]:
    """For `image` pulled on behalf of `account`/`region`: credentials, the registry hosts to
    dial elsewhere (an ECR host name → gureum's listener), and, when the image is in
    gureum's registry (by its address or an `<account>.dkr.ecr.<region>.amazonaws.com`
    name), where. Other registries get (None, {}, None); so does a malformed reference."""
    try:
        ref = img.parse_reference(image)
    except img.PullError:
        return None, {}, None
    host, port = app.api_address
    reach = local_address(app)[0]
    is_ecr = ".dkr.ecr." in ref.registry and ref.registry.endswith((".amazonaws.com", ".amazonaws.com.cn"))
    if ref.registry not in {f"localhost:{port}", f"127.0.0.1:{port}", f"{host}:{port}"} and not is_ecr:
        return None, {}, None
    rewrite = {ref.registry: f"{reach}:{port}"} if is_ecr or ref.registry != f"{reach}:{port}" else {}
    target_account = ref.registry.split(".", 1)[0] if is_ecr else account
    target_region = ref.registry.split(".")[3] if is_ecr else region
    try:
        from gureum.services.ecr import auth
        from gureum.services.ecr.engine import Scope, registry_of

        secret = await registry_of(app).secret()
    except Exception:  # noqa: BLE001 - ECR not in this build: anonymous pulls
        return None, rewrite, None
    password = auth.make_password(secret, target_account, target_region, time.time() + TOKEN_SECONDS)
    return img.Credentials("AWS", password), rewrite, OwnImage(Scope(target_account, target_region), ref.repository, ref.ref)
