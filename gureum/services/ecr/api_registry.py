"""ECR API handlers for registry-level features: the registry policy and account settings
(registry_policy.py), pull through cache rules (pull_through.py, upstream.py), repository
creation templates (templates.py), managed signing (signing.py), pull-time update exclusions
(pull_time.py), replication backfill (backfill.py) and image storage classes (model.py)."""

from __future__ import annotations

from typing import Any

from gureum.aws.dispatch import RequestContext
from gureum.services.ecr import backfill, model, pull_through, pull_time, registry_policy, signing, templates, upstream
from gureum.services.ecr.api import _ctx, _find, _page_items, ecr


def _some(doc: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: doc[k] for k in keys if doc.get(k) is not None}


# --- registry policy -----------------------------------------------------------------------
@ecr("PutRegistryPolicy")
async def put_registry_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    await reg.store.run(lambda txn: registry_policy.put_policy(txn, scope.key, params["policyText"]))
    return {"registryId": account, "policyText": params["policyText"]}


@ecr("GetRegistryPolicy")
async def get_registry_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    text = await reg.store.read(lambda txn: registry_policy.get_policy(txn, scope.key, account))
    return {"registryId": account, "policyText": text}


@ecr("DeleteRegistryPolicy")
async def delete_registry_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    text = await reg.store.run(lambda txn: registry_policy.delete_policy(txn, scope.key, account))
    return {"registryId": account, "policyText": text}


@ecr("GetAccountSetting")
async def get_account_setting(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, _ = _ctx(ctx, params)
    value = await reg.store.read(lambda txn: registry_policy.setting(txn, scope.key, params["name"]))
    return {"name": params["name"], "value": value}


@ecr("PutAccountSetting")
async def put_account_setting(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, _ = _ctx(ctx, params)
    value = await reg.store.run(lambda txn: registry_policy.put_setting(txn, scope.key, params["name"], params["value"]))
    return {"name": params["name"], "value": value}


# --- pull through cache rules ----------------------------------------------------------------
_RULE_KEYS = ("ecrRepositoryPrefix", "upstreamRegistryUrl", "createdAt", "registryId", "credentialArn", "customRoleArn",
              "upstreamRepositoryPrefix", "upstreamRegistry", "updatedAt")


@ecr("CreatePullThroughCacheRule")
async def create_pull_through_cache_rule(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    now = model.now()
    doc = await reg.store.run(lambda txn: pull_through.create(txn, scope.key, account, scope.region, params, now))
    return _some(doc, *_RULE_KEYS[:-1])


@ecr("DescribePullThroughCacheRules")
async def describe_pull_through_cache_rules(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    prefixes = params.get("ecrRepositoryPrefixes")
    docs = await reg.store.read(lambda txn: pull_through.listing(txn, scope.key, account, prefixes))
    page, token = _page_items(docs, lambda d: d["ecrRepositoryPrefix"], "ecr.ptc/" + scope.key, params, 100,
                              {"prefixes": sorted(prefixes or [])})
    return {"pullThroughCacheRules": [_some(d, *_RULE_KEYS) for d in page], **({"nextToken": token} if token else {})}


@ecr("UpdatePullThroughCacheRule")
async def update_pull_through_cache_rule(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    now = model.now()
    doc = await reg.store.run(lambda txn: pull_through.update(txn, scope.key, account, scope.region, params, now))
    return _some(doc, "ecrRepositoryPrefix", "registryId", "updatedAt", "credentialArn", "customRoleArn", "upstreamRepositoryPrefix")


@ecr("DeletePullThroughCacheRule")
async def delete_pull_through_cache_rule(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    doc = await reg.store.run(lambda txn: pull_through.delete(txn, scope.key, account, params["ecrRepositoryPrefix"]))
    return _some(doc, "ecrRepositoryPrefix", "upstreamRegistryUrl", "createdAt", "registryId", "credentialArn",
                 "customRoleArn", "upstreamRepositoryPrefix")


@ecr("ValidatePullThroughCacheRule")
async def validate_pull_through_cache_rule(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    doc = await reg.store.read(lambda txn: pull_through.get(txn, scope.key, account, params["ecrRepositoryPrefix"]))
    failure = await upstream.validate(reg, scope, doc)
    out = _some(doc, "ecrRepositoryPrefix", "registryId", "upstreamRegistryUrl", "credentialArn", "customRoleArn",
                "upstreamRepositoryPrefix")
    out["isValid"] = failure is None
    if failure is not None:
        out["failure"] = failure
    return out


# --- repository creation templates ---------------------------------------------------------
def _template_out(doc: dict[str, Any]) -> dict[str, Any]:
    return _some(doc, "prefix", "description", "encryptionConfiguration", "resourceTags", "imageTagMutability",
                 "imageTagMutabilityExclusionFilters", "repositoryPolicy", "lifecyclePolicy", "appliedFor",
                 "customRoleArn", "createdAt", "updatedAt")


@ecr("CreateRepositoryCreationTemplate")
async def create_repository_creation_template(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    now = model.now()
    doc = await reg.store.run(lambda txn: templates.create(txn, scope.key, account, params, now))
    return {"registryId": account, "repositoryCreationTemplate": _template_out(doc)}


@ecr("DescribeRepositoryCreationTemplates")
async def describe_repository_creation_templates(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    prefixes = params.get("prefixes")
    docs = await reg.store.read(lambda txn: templates.listing(txn, scope.key, prefixes))
    page, token = _page_items(docs, lambda d: d["prefix"], "ecr.templates/" + scope.key, params, 100,
                              {"prefixes": sorted(prefixes or [])})
    return {"registryId": account, "repositoryCreationTemplates": [_template_out(d) for d in page],
            **({"nextToken": token} if token else {})}


@ecr("UpdateRepositoryCreationTemplate")
async def update_repository_creation_template(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    now = model.now()
    doc = await reg.store.run(lambda txn: templates.update(txn, scope.key, account, params, now))
    return {"registryId": account, "repositoryCreationTemplate": _template_out(doc)}


@ecr("DeleteRepositoryCreationTemplate")
async def delete_repository_creation_template(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    doc = await reg.store.run(lambda txn: templates.delete(txn, scope.key, account, params["prefix"]))
    return {"registryId": account, "repositoryCreationTemplate": _template_out(doc)}


# --- signing ---------------------------------------------------------------------------------------
@ecr("PutSigningConfiguration")
async def put_signing_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, _ = _ctx(ctx, params)
    config = await reg.store.run(lambda txn: signing.put(txn, scope.key, params["signingConfiguration"]))
    return {"signingConfiguration": config}


@ecr("GetSigningConfiguration")
async def get_signing_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    config = await reg.store.read(lambda txn: signing.get(txn, scope.key, account))
    return {"registryId": account, "signingConfiguration": config}


@ecr("DeleteSigningConfiguration")
async def delete_signing_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    config = await reg.store.run(lambda txn: signing.delete(txn, scope.key, account))
    return {"registryId": account, "signingConfiguration": config}


@ecr("DescribeImageSigningStatus")
async def describe_image_signing_status(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    name = params["repositoryName"]

    def look(txn: Any) -> list[dict[str, Any]]:
        model.require_repo(txn, scope.key, name)
        _find(txn, scope.key, name, params["imageId"])
        return signing.statuses(txn, scope.key, name)

    statuses = await reg.store.read(look)
    return {"repositoryName": name, "imageId": params["imageId"], "registryId": account, "signingStatuses": statuses}


# --- pull-time update exclusions ---------------------------------------------------------------
@ecr("RegisterPullTimeUpdateExclusion")
async def register_pull_time_update_exclusion(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, _ = _ctx(ctx, params)
    now = model.now()
    doc: dict[str, Any] = await reg.store.run(lambda txn: pull_time.register(txn, scope.key, params["principalArn"], now))
    return doc


@ecr("DeregisterPullTimeUpdateExclusion")
async def deregister_pull_time_update_exclusion(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, _ = _ctx(ctx, params)
    await reg.store.run(lambda txn: pull_time.deregister(txn, scope.key, params["principalArn"]))
    return {"principalArn": params["principalArn"]}


@ecr("ListPullTimeUpdateExclusions")
async def list_pull_time_update_exclusions(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, _ = _ctx(ctx, params)
    names = sorted(await reg.store.read(lambda txn: pull_time.principals(txn, scope.key)))
    page, token = _page_items(names, lambda n: n, "ecr.pullexcl/" + scope.key, params, 100)
    return {"pullTimeUpdateExclusions": page, **({"nextToken": token} if token else {})}


# --- replication backfill --------------------------------------------------------------------------
_BACKFILL_KEYS = ("replicationBackfillId", "destination", "status", "failureCode", "progress", "startedAt", "endedAt")


@ecr("StartReplicationBackfill")
async def start_replication_backfill(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    now = model.now()
    doc = await reg.store.run(lambda txn: backfill.start(txn, scope.key, params["destination"], now))
    work = backfill.run(reg, scope.key, doc["replicationBackfillId"])
    if reg.spawn is not None:
        reg.spawn(work, "ecr replication backfill")
    else:
        await work
    return {"registryId": account, **_some(doc, "replicationBackfillId", "destination", "status", "startedAt")}


@ecr("StopReplicationBackfill")
async def stop_replication_backfill(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    doc = await reg.store.run(lambda txn: backfill.stop(txn, scope.key, params["replicationBackfillId"]))
    return {"registryId": account, **_some(doc, "replicationBackfillId", "destination", "status", "startedAt")}


@ecr("ListReplicationBackfills")
async def list_replication_backfills(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    docs = await reg.store.read(lambda txn: backfill.listing(txn, scope.key))
    page, token = _page_items(docs, lambda d: (d["startedAt"], d["replicationBackfillId"]), "ecr.backfills/" + scope.key, params, 50)
    return {"registryId": account, "backfills": [_some(d, *_BACKFILL_KEYS) for d in page], **({"nextToken": token} if token else {})}


@ecr("DescribeReplicationBackfillResults")
async def describe_replication_backfill_results(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    doc = await reg.store.read(lambda txn: backfill.get(txn, scope.key, params["replicationBackfillId"]))
    wanted = params.get("resultStatusFilter")
    results = [r for r in doc.get("results") or [] if wanted is None or r["status"] == wanted]
    page, token = _page_items(results, lambda r: (r["repositoryName"], r["imageId"]["imageDigest"]),
                              "ecr.backfill/" + scope.key + doc["replicationBackfillId"], params, 100, {"status": wanted})
    return {"registryId": account, **_some(doc, *_BACKFILL_KEYS), "results": page, **({"nextToken": token} if token else {})}


# --- storage classes -------------------------------------------------------------------------------
@ecr("UpdateImageStorageClass")
async def update_image_storage_class(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reg, scope, account = _ctx(ctx, params)
    name = params["repositoryName"]
    now = model.now()

    def move(txn: Any) -> tuple[str, str]:
        model.require_repo(txn, scope.key, name)
        doc = _find(txn, scope.key, name, params["imageId"])
        return doc["digest"], model.set_storage_class(txn, scope.key, name, doc["digest"], params["targetStorageClass"], now)

    digest, status = await reg.store.run(move)
    image_id = {"imageDigest": digest, **({"imageTag": params["imageId"]["imageTag"]} if params["imageId"].get("imageTag") else {})}
    return {"registryId": account, "repositoryName": name, "imageId": image_id, "imageStatus": status}
