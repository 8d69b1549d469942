"""Who may make a bucket public: Object Ownership controls (Put/Get/DeleteBucketOwnershipControls),
Block Public Access (Put/Get/DeletePublicAccessBlock) and GetBucketPolicyStatus.

State, on the bucket document:
- `ownership`: "BucketOwnerEnforced" | "BucketOwnerPreferred" | "ObjectWriter", or None once
  the controls are deleted (ACLs then work as ObjectWriter's); `acls` (bool) follows it: False
  exactly when the setting is BucketOwnerEnforced (ACLs disabled: api.refuse_foreign_acl). A
  document written before ownership was stored has no `ownership` key: it reads as
  BucketOwnerEnforced when `acls` is False, else ObjectWriter.
- `pab`: the PublicAccessBlockConfiguration (all four flags, False when not given), or None.
  New buckets get all four True, as AWS gives every new bucket since April 2023.

Enforced at write: BlockPublicPolicy refuses a public bucket policy (public.py's definition)
with AccessDenied; BlockPublicAcls refuses a public ACL on PutObject, CopyObject,
CreateMultipartUpload, PutObjectAcl and PutBucketAcl with AccessDenied.
"""

from __future__ import annotations

from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.s3 import model, public

ENFORCED = "BucketOwnerEnforced"
ALL_BLOCKED = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
               "RestrictPublicBuckets": True}
_FLAGS = tuple(ALL_BLOCKED)


def ownership(bucket: dict[str, Any]) -> str | None:
    if "ownership" in bucket:
        value: str | None = bucket["ownership"]
        return value
    return "ObjectWriter" if bucket.get("acls") else ENFORCED


def block(bucket: dict[str, Any], flag: str) -> bool:
    return bool((bucket.get("pab") or {}).get(flag))


def refuse_public_policy(bucket: dict[str, Any], policy: str, principal_arn: str) -> None:
    """AccessDenied for a public policy on a bucket whose BlockPublicPolicy is on."""
    if block(bucket, "BlockPublicPolicy") and public.policy_is_public(policy):
        raise AwsError.modeled(
            "s3", "AccessDenied",
            f"User: {principal_arn} is not authorized to perform: s3:PutBucketPolicy on resource: "
            f"\"arn:aws:s3:::{bucket['name']}\" because public policies are blocked by the BlockPublicPolicy "
            "block public access setting.")


def refuse_public_acl(bucket: dict[str, Any], params: dict[str, Any]) -> None:
    """AccessDenied for a public ACL on a bucket whose BlockPublicAcls is on."""
    if block(bucket, "BlockPublicAcls") and public.acl_is_public(params):
        raise AwsError.modeled("s3", "AccessDenied", "Access Denied")


def _malformed() -> AwsError:
    return AwsError.modeled("s3", "MalformedXML", "The XML you provided was not well-formed or did not validate "
                                                  "against our published schema")


def set_ownership(t: Any, name: str, account: str, value: str | None) -> dict[str, Any]:
    b = model.bucket(t, name, account)
    if value == ENFORCED and b.get("acl_public"):
        raise AwsError.modeled("s3", "InvalidBucketAclWithObjectOwnership",
                               "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
    changes: dict[str, Any] = {"ownership": value, "acls": value != ENFORCED}
    if value == ENFORCED:  # ACLs disabled: the owner's full control from now on (acls.py)
        changes.update(acl=None, acl_public=False)
    return model.update_bucket(t, name, account, **changes)


@operation("s3", "PutBucketOwnershipControls")
async def put_bucket_ownership_controls(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    rules = (params.get("OwnershipControls") or {}).get("Rules") or []
    if len(rules) != 1 or not rules[0].get("ObjectOwnership"):
        raise _malformed()
    value = rules[0]["ObjectOwnership"]
    await ctx.app.store.run(lambda t: set_ownership(t, params["Bucket"], ctx.account_id, value))
    return {}


@operation("s3", "GetBucketOwnershipControls")
async def get_bucket_ownership_controls(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    b = await ctx.app.store.read(lambda t: model.bucket(t, params["Bucket"], ctx.account_id))
    value = ownership(b)
    if value is None:
        raise AwsError.modeled("s3", "OwnershipControlsNotFoundError", "The bucket ownership controls were not found",
                               BucketName=b["name"])
    return {"OwnershipControls": {"Rules": [{"ObjectOwnership": value}]}}


@operation("s3", "DeleteBucketOwnershipControls")
async def delete_bucket_ownership_controls(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: set_ownership(t, params["Bucket"], ctx.account_id, None))
    return {}


@operation("s3", "PutPublicAccessBlock")
async def put_public_access_block(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    given = params.get("PublicAccessBlockConfiguration") or {}
    if not any(f in given for f in _FLAGS):
        raise AwsError.modeled("s3", "InvalidRequest", "Must specify at least one configuration.")
    config = {f: bool(given.get(f)) for f in _FLAGS}
    await ctx.app.store.run(lambda t: model.update_bucket(t, params["Bucket"], ctx.account_id, pab=config))
    return {}


@operation("s3", "GetPublicAccessBlock")
async def get_public_access_block(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    b = await ctx.app.store.read(lambda t: model.bucket(t, params["Bucket"], ctx.account_id))
    if not b.get("pab"):
        raise AwsError.modeled("s3", "NoSuchPublicAccessBlockConfiguration",
                               "The public access block configuration was not found", BucketName=b["name"])
    return {"PublicAccessBlockConfiguration": dict(b["pab"])}


@operation("s3", "DeletePublicAccessBlock")
async def delete_public_access_block(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: model.update_bucket(t, params["Bucket"], ctx.account_id, pab=None))
    return {}


@operation("s3", "GetBucketPolicyStatus")
async def get_bucket_policy_status(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    b = await ctx.app.store.read(lambda t: model.bucket(t, params["Bucket"], ctx.account_id))
    if not b.get("policy"):
        raise AwsError.modeled("s3", "NoSuchBucketPolicy", "The bucket policy does not exist", BucketName=b["name"])
    return {"PolicyStatus": {"IsPublic": public.policy_is_public(b["policy"])}}
