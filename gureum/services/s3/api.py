"""S3 bucket operations (rest-xml): create/head/list/delete, location, versioning, tagging,
CORS, policy, ACL and notification configuration. Object operations are in objects.py,
multipart uploads in multipart.py."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import replace
from typing import Any

from gureum.aws import tags as tags_kit
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.http.server import Response
from gureum.policy import resource_policies
from gureum.services.s3 import acls as acls_kit
from gureum.services.s3 import bucket_access, bucket_cache, directory, model, notify, object_lock, public, replication

UTC = dt.UTC
S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"


def owner(account: str) -> dict[str, str]:
    return {"ID": hashlib.sha256(f"gureum-owner-{account}".encode()).hexdigest(), "DisplayName": account}


def _ts(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, UTC)


async def get_bucket(ctx: RequestContext, name: str) -> dict[str, Any]:
    return await ctx.app.store.read(lambda t: model.bucket(t, name, ctx.account_id))


async def _update(ctx: RequestContext, name: str, **changes: Any) -> dict[str, Any]:
    return await ctx.app.store.run(lambda t: model.update_bucket(t, name, ctx.account_id, **changes))


@operation("s3", "CreateBucket")
async def create_bucket(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["Bucket"]
    model.check_bucket_name(name)
    config = params.get("CreateBucketConfiguration") or {}
    if directory.is_directory_name(name) or (config.get("Bucket") or {}).get("Type") == "Directory":
        fields = directory.check_create(name, ctx.region, config)
        await ctx.app.store.run(lambda t: directory.create(t, name, ctx.account_id, ctx.region, fields))
        return {"Location": f"/{name}"}
    constraint = (params.get("CreateBucketConfiguration") or {}).get("LocationConstraint")
    region = ctx.region
    if region == "us-east-1":
        if constraint == "us-east-1":
            raise AwsError.modeled(
                "s3",
                "InvalidLocationConstraint",
                "The specified location-constraint is not valid",
                LocationConstraint=constraint,
            )
        if constraint:
            region = "eu-west-1" if constraint == "EU" else constraint  # "EU" is the legacy name
    else:
        if not constraint:
            raise AwsError.modeled(
                "s3",
                "IllegalLocationConstraintException",
                "The unspecified location constraint is "
                "incompatible for the region specific endpoint this request was sent to.",
            )
        if constraint != region:
            raise AwsError.modeled(
                "s3",
                "IllegalLocationConstraintException",
                f"The {constraint} location constraint is "
                "incompatible for the region specific endpoint this request was sent to.",
            )
    acls = params.get("ObjectOwnership") in ("ObjectWriter", "BucketOwnerPreferred")
    if not acls and sets_foreign_acl({k: v for k, v in params.items() if k != "ACL" or v != "private"}):
        raise AwsError.modeled("s3", "InvalidBucketAclWithObjectOwnership",
                               "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
    if acls and public.acl_is_public(params):  # new buckets block public access (bucket_access.py)
        raise AwsError.modeled("s3", "InvalidBucketAclWithBlockPublicAccessError",
                               "Bucket cannot have public ACLs set with BlockPublicAccess enabled")
    grants = acls_kit.grants_from(params, owner(ctx.account_id)) if acls else None

    lock = bool(params.get("ObjectLockEnabledForBucket"))

    def create(t: Any) -> None:
        model.create_bucket(t, name, ctx.account_id, region, acls=acls, lock=lock,
                            ownership=params.get("ObjectOwnership") or bucket_access.ENFORCED)
        if grants is not None:
            model.update_bucket(t, name, ctx.account_id, acl=grants, acl_public=sets_foreign_acl(params))

    await ctx.app.store.run(create)
    return {"Location": f"/{name}"}


@operation("s3", "HeadBucket")
async def head_bucket(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    b = await get_bucket(ctx, params["Bucket"])
    return {"BucketRegion": b["region"]}


@operation("s3", "ListBuckets")
async def list_buckets(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if directory.signed_as_express(ctx):  # GET / is ListDirectoryBuckets too
        return await directory.list_directory(ctx, directory.listing_params(ctx))
    buckets = await ctx.app.store.read(lambda t: model.list_buckets(t, ctx.account_id))
    prefix = params.get("Prefix") or ""
    region = params.get("BucketRegion")
    buckets = [b for b in buckets if b["name"].startswith(prefix) and (not region or b["region"] == region)
               and not b.get("directory")]  # directory buckets: ListDirectoryBuckets
    token = params.get("ContinuationToken")
    if token:
        buckets = [b for b in buckets if b["name"] > token]
    out: dict[str, Any] = {"Owner": owner(ctx.account_id)}
    limit = params.get("MaxBuckets")
    if limit and len(buckets) > limit:
        buckets = buckets[:limit]
        out["ContinuationToken"] = buckets[-1]["name"]
    out["Buckets"] = [{"Name": b["name"], "CreationDate": _ts(b["created"]), "BucketRegion": b["region"]}
                      for b in buckets]
    if prefix:
        out["Prefix"] = prefix
    return out


@operation("s3", "DeleteBucket")
async def delete_bucket(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: model.delete_bucket(t, params["Bucket"], ctx.account_id))
    return {}


@operation("s3", "GetBucketLocation")
async def get_bucket_location(ctx: RequestContext, params: dict[str, Any]) -> Response:
    b = await get_bucket(ctx, params["Bucket"])
    region = "" if b["region"] == "us-east-1" else b["region"]
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="{S3_NS}">{region}</LocationConstraint>'
    return Response(200, [("content-type", "application/xml"), ("x-amz-request-id", ctx.request_id)],
                    body.encode())


# -- versioning ------------------------------------------------------------------------------

@operation("s3", "PutBucketVersioning")
async def put_bucket_versioning(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    status = (params.get("VersioningConfiguration") or {}).get("Status")
    if status not in ("Enabled", "Suspended"):
        raise AwsError.modeled(
            "s3",
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our published schema",
        )
    bucket = await get_bucket(ctx, params["Bucket"])
    object_lock.check_versioning(bucket, status)
    replication.refuse_versioning_change(bucket, status)
    await _update(ctx, params["Bucket"], versioning=status)
    return {}


@operation("s3", "GetBucketVersioning")
async def get_bucket_versioning(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    b = await get_bucket(ctx, params["Bucket"])
    return {"Status": b["versioning"]} if b.get("versioning") else {}


# -- tagging, CORS, policy, ACL ------------------------------------------------------------

@operation("s3", "PutBucketTagging")
async def put_bucket_tagging(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    tags = (params.get("Tagging") or {}).get("TagSet") or []
    check_tag_set(tags, bucket=True)
    await _update(ctx, params["Bucket"], tags=tags)
    return {}


def _invalid_tag(message: str) -> AwsError:
    return AwsError.modeled("s3", "InvalidTag", message)


# S3's tag sets replace the whole set; a bucket holds 50 tags, an object 10 (BadRequest).
_S3_TAG_WORDS = (("key_length", "The TagKey you have provided is too long, max 128"),
                 ("value_length", "The TagValue you have provided is too long, max 256"),
                 ("characters", "The TagKey you have provided is invalid"),
                 ("reserved", "System tags cannot be added/updated by requester"))
BUCKET_TAG_RULES = tags_kit.Rules(invalid=_invalid_tag, too_many_message="TagSet cannot exceed {max} tags", messages=_S3_TAG_WORDS,
                                  duplicate=lambda _k: _invalid_tag("Cannot provide multiple Tags with the same key"))
OBJECT_TAG_RULES = replace(BUCKET_TAG_RULES, max_tags=10, too_many=lambda m: AwsError.modeled("s3", "BadRequest", m),
                           too_many_message="Object tags cannot be greater than {max}")


def check_tag_set(tags: list[dict[str, str]], bucket: bool = False) -> None:
    """A whole tag set checked against S3's rules (gureum.aws.tags), in S3's order of checks."""
    rules = BUCKET_TAG_RULES if bucket else OBJECT_TAG_RULES
    keys = [t["Key"] for t in tags]
    if len(keys) != len(set(keys)) and rules.duplicate is not None:
        raise rules.duplicate(keys[0])
    if len(tags) > rules.max_tags:
        raise rules.over_limit()
    tags_kit.check([(t["Key"], t.get("Value", "")) for t in tags], rules)


@operation("s3", "GetBucketTagging")
async def get_bucket_tagging(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    b = await get_bucket(ctx, params["Bucket"])
    if not b.get("tags"):
        raise AwsError.modeled("s3", "NoSuchTagSet", "The TagSet does not exist", BucketName=b["name"])
    return {"TagSet": b["tags"]}


@operation("s3", "DeleteBucketTagging")
async def delete_bucket_tagging(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await _update(ctx, params["Bucket"], tags=None)
    return {}


@operation("s3", "PutBucketCors")
async def put_bucket_cors(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    rules = (params.get("CORSConfiguration") or {}).get("CORSRules") or []
    if not rules or len(rules) > 100:
        raise AwsError.modeled(
            "s3",
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our published schema",
        )
    for r in rules:
        for m in r.get("AllowedMethods") or []:
            if m not in ("GET", "PUT", "POST", "DELETE", "HEAD"):
                raise AwsError.modeled(
                    "s3", "InvalidRequest", f"Found unsupported HTTP method in CORS config. Unsupported method is {m}"
                )
    await _update(ctx, params["Bucket"], cors=rules)
    bucket_cache.forget(ctx.app, params["Bucket"])
    return {}


@operation("s3", "GetBucketCors")
async def get_bucket_cors(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    b = await get_bucket(ctx, params["Bucket"])
    if not b.get("cors"):
        raise AwsError.modeled(
            "s3", "NoSuchCORSConfiguration", "The CORS configuration does not exist", BucketName=b["name"]
        )
    return {"CORSRules": b["cors"]}


@operation("s3", "DeleteBucketCors")
async def delete_bucket_cors(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await _update(ctx, params["Bucket"], cors=None)
    bucket_cache.forget(ctx.app, params["Bucket"])
    return {}


# S3's MalformedPolicy messages for what the policy language refuses (the rest: "Invalid policy syntax.")
_S3_POLICY_WORDS = {"Missing required field Principal.": "Missing required field Principal",
                    "Invalid principal in policy": "Invalid principal in policy"}


@operation("s3", "PutBucketPolicy")
async def put_bucket_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    text = params.get("Policy") or ""
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get("Statement"), (list, dict)):
        raise AwsError.modeled("s3", "MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'")
    reason = resource_policies.unreadable(text)  # the gate would skip it, a Deny with it
    if reason is not None:
        raise AwsError.modeled("s3", "MalformedPolicy", _S3_POLICY_WORDS.get(reason.split(":")[0], "Invalid policy syntax."))
    bucket_access.refuse_public_policy(await get_bucket(ctx, params["Bucket"]), text, ctx.principal_arn)
    await _update(ctx, params["Bucket"], policy=text)
    return {}


@operation("s3", "GetBucketPolicy")
async def get_bucket_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    b = await get_bucket(ctx, params["Bucket"])
    if not b.get("policy"):
        raise AwsError.modeled("s3", "NoSuchBucketPolicy", "The bucket policy does not exist", BucketName=b["name"])
    return {"Policy": b["policy"]}


@operation("s3", "DeleteBucketPolicy")
async def delete_bucket_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await _update(ctx, params["Bucket"], policy=None)
    return {}


def _acl(account: str) -> dict[str, Any]:
    o = owner(account)
    return {"Owner": o, "Grants": [{"Grantee": {"Type": "CanonicalUser", **o}, "Permission": "FULL_CONTROL"}]}


@operation("s3", "GetBucketAcl")
async def get_bucket_acl(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    b = await get_bucket(ctx, params["Bucket"])
    return acls_kit.bucket_acl(b, owner(b["account"]))


# Buckets have ACLs disabled (Object Ownership BucketOwnerEnforced), AWS's default for new buckets
# since April 2023: a request may name no ACL, or one that gives the bucket owner full control.
_OWNER_ONLY_ACLS = {"private", "bucket-owner-full-control"}
_GRANTS = ("GrantFullControl", "GrantRead", "GrantReadACP", "GrantWrite", "GrantWriteACP")


def sets_foreign_acl(params: dict[str, Any]) -> bool:
    """Whether a request sets an ACL that grants anyone but the bucket owner (a canned ACL
    other than private or bucket-owner-full-control, a grant header, or an
    AccessControlPolicy with such a grant)."""
    if params.get("ACL") and params["ACL"] not in _OWNER_ONLY_ACLS:
        return True
    if any(params.get(g) for g in _GRANTS):
        return True
    policy = params.get("AccessControlPolicy") or {}
    owner_id = (policy.get("Owner") or {}).get("ID")
    return any(g.get("Permission") != "FULL_CONTROL" or (g.get("Grantee") or {}).get("ID") != owner_id
               for g in policy.get("Grants") or [])


def refuse_foreign_acl(bucket: dict[str, Any], params: dict[str, Any]) -> None:
    """AccessControlListNotSupported for an ACL that grants others, unless the bucket has ACLs;
    AccessDenied for a public one when the bucket blocks public ACLs (bucket_access.py)."""
    if not bucket.get("acls") and sets_foreign_acl(params):
        raise AwsError.modeled("s3", "AccessControlListNotSupported", "The bucket does not allow ACLs")
    bucket_access.refuse_public_acl(bucket, params)


@operation("s3", "PutBucketAcl")
async def put_bucket_acl(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    b = await get_bucket(ctx, params["Bucket"])
    refuse_foreign_acl(b, params)
    grants = acls_kit.grants_from(params, owner(b["account"]))
    await _update(ctx, params["Bucket"], acl_public=sets_foreign_acl(params), acl=grants)
    return {}


# -- notifications ---------------------------------------------------------------------------

@operation("s3", "PutBucketNotificationConfiguration")
async def put_bucket_notification_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    b = await get_bucket(ctx, params["Bucket"])
    config = await notify.validate(ctx.app, b, params.get("NotificationConfiguration") or {},
                                   bool(params.get("SkipDestinationValidation")))
    b = await _update(ctx, params["Bucket"], notification=config or None)
    notify.send_test_events(ctx.app, b, config, ctx.request_id)
    return {}


@operation("s3", "GetBucketNotificationConfiguration")
async def get_bucket_notification_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    b = await get_bucket(ctx, params["Bucket"])
    return dict(b.get("notification") or {})
