"""S3 Object Lock handlers (rest-xml): the bucket's lock configuration, each version's
retention and legal hold. The rules are in object_lock.py; PutObject, CopyObject, multipart
uploads and deletes apply them where they write or remove versions."""

from __future__ import annotations

import time
from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.s3 import model, object_lock


def has_digest(ctx: RequestContext) -> bool:
    """Whether the request carries Content-MD5 or an x-amz-checksum-* value (sent or trailing)."""
    if ctx.request is None:
        return False
    for name, _ in ctx.request.headers.items():
        n = name.lower()
        if n in ("content-md5", "x-amz-sdk-checksum-algorithm", "x-amz-trailer") or n.startswith("x-amz-checksum-"):
            return True
    return False


def _require_digest(ctx: RequestContext) -> None:
    if not has_digest(ctx):
        raise AwsError.modeled("s3", "InvalidRequest", "Missing required header for this request: Content-MD5")




@operation("s3", "PutObjectLockConfiguration")
async def put_object_lock_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _require_digest(ctx)
    config = params.get("ObjectLockConfiguration") or {}
    await ctx.app.store.run(lambda t: object_lock.put_configuration(t, params["Bucket"], ctx.account_id, config))
    return {}


@operation("s3", "GetObjectLockConfiguration")
async def get_object_lock_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    b = await ctx.app.store.read(lambda t: model.bucket(t, params["Bucket"], ctx.account_id))
    return {"ObjectLockConfiguration": object_lock.get_configuration(b)}


@operation("s3", "PutObjectRetention")
async def put_object_retention(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _require_digest(ctx)
    now = time.time()
    await ctx.app.store.run(lambda t: object_lock.put_retention(
        t, params["Bucket"], ctx.account_id, params["Key"], params.get("VersionId"), params.get("Retention") or {},
        bool(params.get("BypassGovernanceRetention")), now))
    return {}


@operation("s3", "GetObjectRetention")
async def get_object_retention(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    ret = await ctx.app.store.read(lambda t: object_lock.retention_of(
        t, params["Bucket"], ctx.account_id, params["Key"], params.get("VersionId")))
    return {"Retention": ret}


@operation("s3", "PutObjectLegalHold")
async def put_object_legal_hold(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _require_digest(ctx)
    status = (params.get("LegalHold") or {}).get("Status") or ""
    await ctx.app.store.run(lambda t: object_lock.put_legal_hold(
        t, params["Bucket"], ctx.account_id, params["Key"], params.get("VersionId"), status))
    return {}


@operation("s3", "GetObjectLegalHold")
async def get_object_legal_hold(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    hold = await ctx.app.store.read(lambda t: object_lock.legal_hold_of(
        t, params["Bucket"], ctx.account_id, params["Key"], params.get("VersionId")))
    return {"LegalHold": hold}
