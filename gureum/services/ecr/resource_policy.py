"""ECR's resource policy for the authorization gate: the repository policy
(SetRepositoryPolicy's `policyText`) and, with the account's REGISTRY_POLICY_SCOPE V2 (AWS's
default), the registry policy's statements too (registry_policy.merged), as AWS evaluates a
V2 registry policy for every ECR action on the registry's repositories."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.services.ecr import model, registry_policy
from gureum.services.ecr.engine import Scope, registry_of

if TYPE_CHECKING:
    from gureum.app import App


async def read(app: App, arn: str) -> str | None:
    """The policy of repository `arn` (arn:aws:ecr:<region>:<account>:repository/<name>),
    or None (no policy, no such repository, or a wildcard ARN)."""
    a = arns.try_parse(arn)
    if a is None or not a.resource.startswith("repository/"):
        return None
    name = a.resource.removeprefix("repository/")
    if not name or "*" in name:
        return None
    scope = Scope(a.account, a.region)
    reg = registry_of(app)

    def get(t: Any) -> str | None:
        doc = model.get_repo(t, scope.key, name)
        if doc is None:
            return None
        return registry_policy.effective(t, scope.key, doc.get("policyText") or None)

    result: str | None = await reg.store.read(get)
    return result
