"""Replication between regions (and accounts) of this registry, as ECR's
PutReplicationConfiguration describes it: after each push, every rule whose repository
filters (PREFIX_MATCH) match sends the image to each destination — a real copy of the
image's manifests, tags and blob links into the destination's repository (the bytes are
content-addressed and shared on the node). Replicated images are not replicated again.
Another account's registry takes an image only when its registry policy allows the source
account ecr:ReplicateImage (and ecr:CreateRepository for a missing repository), as in AWS; a
repository replication creates takes the REPLICATION repository creation template that applies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.services.ecr import model, registry_policy

if TYPE_CHECKING:
    from gureum.services.ecr.engine import Registry


def destinations(config: dict[str, Any], scope: str, name: str) -> list[tuple[str, str]]:
    """(registryId, region) pairs an image pushed to `name` in `scope` goes to."""
    out: list[tuple[str, str]] = []
    for rule in config.get("rules") or []:
        filters = rule.get("repositoryFilters") or []
        if filters and not any(name.startswith(f.get("filter", "")) for f in filters):
            continue
        for d in rule.get("destinations") or []:
            pair = (d["registryId"], d["region"])
            if model.scope_of(*pair) != scope and pair not in out:
                out.append(pair)
    return out


def permitted(txn: Any, src: str, name: str, dst: str) -> bool:
    """Cross-account replication needs the destination registry's policy to allow the source
    account ecr:ReplicateImage (and ecr:CreateRepository when the repository is missing)."""
    src_account, _ = model.split_scope(src)
    dst_account, dst_region = model.split_scope(dst)
    if src_account == dst_account:
        return True
    resource = arns.ecr_repository(dst_region, dst_account, name)
    if not registry_policy.allows(txn, dst, src_account, "ecr:ReplicateImage", resource):
        return False
    return model.get_repo(txn, dst, name) is not None or registry_policy.allows(
        txn, dst, src_account, "ecr:CreateRepository", resource)


def copy(txn: Any, src: str, name: str, digest: str, dst: str, now: float) -> str:
    if not permitted(txn, src, name, dst):
        return "FAILED"
    return model.copy_image(txn, src, name, digest, dst, now)


async def replicate(reg: Registry, scope: str, name: str, digest: str) -> list[dict[str, str]]:
    config = (await reg.store.read(lambda txn: model.registry_settings(txn, scope))).get("replicationConfiguration") or {}
    statuses = []
    for account, region in destinations(config, scope, name):
        dst = model.scope_of(account, region)
        now = model.now()
        try:
            status = await reg.store.run(lambda txn, d=dst, t=now: copy(txn, scope, name, digest, d, t))
        except model.EcrError:
            status = "FAILED"
        statuses.append({"region": region, "registryId": account, "status": status})
    if statuses:
        def record(txn: Any) -> None:
            doc = model.get_manifest(txn, scope, name, digest)
            if doc is not None:
                doc["replication"] = statuses
                txn.put(model.MANIFESTS, model.sub_key(scope, name, digest), doc)

        await reg.store.run(record)
    return statuses
