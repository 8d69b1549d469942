"""The role's trust policy, read by the authorization gate as the resource policy of
sts:AssumeRole on that role."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gureum.services.iam.model import Iam

if TYPE_CHECKING:
    from gureum.app import App


async def read(app: App, arn: str) -> str | None:
    """The trust policy of role `arn` (arn:aws:iam::<account>:role/<path><name>), or None."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or not parts[5].startswith("role/"):
        return None

    def get(t: Any) -> str | None:
        role = Iam(t, parts[4]).find_role_by_arn(arn)
        return role.get("AssumeRolePolicyDocument") if role is not None else None

    result: str | None = await app.store.read(get)
    return result
