"""S3 replication configuration: Put/Get/DeleteBucketReplication held to AWS's rules (the
source and every destination bucket exist with versioning Enabled, rule IDs and priorities
unique, the V2 schema's DeleteMarkerReplication present). replication_rules.py marks and
queues new versions; replication_worker.py copies them.

State: the bucket document's `replication` (the ReplicationConfiguration as given, rules given
an ID when they have none) or None. Destinations are gureum buckets named by ARN
(arn:aws:s3:::name), in this gureum, of any account (AWS's cross-account replication; the
destination's owner is not asked here, as AWS leaves that to the destination bucket policy).
"""

from __future__ import annotations

import uuid
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.s3 import model

MAX_RULES = 1000


def _invalid_request(message: str) -> AwsError:
    return AwsError.modeled("s3", "InvalidRequest", message)


def _invalid(message: str, name: str = "", value: str = "") -> AwsError:
    return AwsError.modeled("s3", "InvalidArgument", message, ArgumentName=name, ArgumentValue=value)


def destination_bucket(rule: dict[str, Any]) -> str:
    text = rule["Destination"]["Bucket"]
    parsed = arns.try_parse(text)
    if parsed is None or parsed.service != "s3" or not parsed.resource or "/" in parsed.resource:
        raise _invalid("Invalid bucket ARN.", "Bucket", text)
    return parsed.resource


def check(t: Any, source: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """A ReplicationConfiguration held to S3's rules against the store; returns what is kept."""
    if source.get("versioning") != "Enabled":
        raise _invalid_request("Versioning must be 'Enabled' on the bucket to apply a replication configuration")
    role = config.get("Role") or ""
    parsed = arns.try_parse(role)
    if parsed is None or parsed.service != "iam" or not parsed.resource.startswith("role/"):
        raise _invalid("Invalid Role specified in replication configuration", "Role", role)
    rules = config.get("Rules") or []
    if not rules or len(rules) > MAX_RULES:
        raise AwsError.modeled("s3", "MalformedXML", "The XML you provided was not well-formed or did not validate "
                                                     "against our published schema")
    ids = [r["ID"] for r in rules if r.get("ID")]
    if len(ids) != len(set(ids)):
        raise _invalid("Rule Id must be unique", "ID")
    v2 = [r for r in rules if r.get("Filter") is not None]
    if v2 and len(v2) != len(rules):
        raise _invalid("Replication configuration cannot mix rules with and without Filter", "Filter")
    if v2:
        priorities = [r.get("Priority") for r in rules]
        if any(p is None for p in priorities) or len(priorities) != len(set(priorities)):
            raise _invalid("Found duplicate or missing priority values in the replication configuration", "Priority")
        if any(r.get("DeleteMarkerReplication") is None for r in rules):
            raise _invalid("DeleteMarkerReplication must be specified for this version of Cross Region Replication "
                           "configuration schema.", "DeleteMarkerReplication")
    out_rules = []
    for r in rules:
        if r.get("Filter") is not None and r.get("Prefix") is not None:
            raise AwsError.modeled("s3", "MalformedXML", "The XML you provided was not well-formed or did not "
                                                         "validate against our published schema")
        name = destination_bucket(r)
        dest = t.get(model.BUCKETS, name)
        if dest is None:
            raise _invalid_request("Destination bucket must exist.")
        if dest.get("versioning") != "Enabled":
            raise _invalid_request("Destination bucket must have versioning enabled.")
        if name == source["name"]:
            raise _invalid_request("Destination bucket cannot be the same as the source bucket.")
        out_rules.append({**r, "ID": r.get("ID") or uuid.uuid4().hex})
    return {"Role": role, "Rules": out_rules}


def refuse_versioning_change(bucket: dict[str, Any], status: str) -> None:
    """InvalidBucketState for suspending versioning on a bucket that replicates."""
    if bucket.get("replication") and status != "Enabled":
        raise AwsError.modeled("s3", "InvalidBucketState",
                               "A replication configuration is present on this bucket, so you cannot change the "
                               "versioning state. To change the versioning state, first delete the replication "
                               "configuration.", BucketName=bucket["name"])


def _put(t: Any, name: str, account: str, config: dict[str, Any]) -> None:
    b = model.bucket(t, name, account)
    model.update_bucket(t, name, account, replication=check(t, b, config))


@operation("s3", "PutBucketReplication")
async def put_bucket_replication(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    config = params.get("ReplicationConfiguration") or {}
    await ctx.app.store.run(lambda t: _put(t, params["Bucket"], ctx.account_id, config))
    return {}


@operation("s3", "GetBucketReplication")
async def get_bucket_replication(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    b = await ctx.app.store.read(lambda t: model.bucket(t, params["Bucket"], ctx.account_id))
    if not b.get("replication"):
        raise AwsError.modeled("s3", "ReplicationConfigurationNotFoundError",
                               "The replication configuration was not found", BucketName=b["name"])
    return {"ReplicationConfiguration": b["replication"]}


@operation("s3", "DeleteBucketReplication")
async def delete_bucket_replication(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: model.update_bucket(t, params["Bucket"], ctx.account_id, replication=None))
    return {}
