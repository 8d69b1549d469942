"""S3 directory buckets (S3 Express One Zone) as far as gureum serves them: their names
(`<base>--<zone id>--x-s3`, the zone one of the bucket region's, e.g. `use1-az4` in us-east-1),
CreateBucket's directory configuration, ListDirectoryBuckets, CreateSession (five-minute
session credentials carrying the caller's identity, issued through IAM's port; ReadOnly
sessions narrowed to reads by a session policy) and RenameObject (directory buckets only).

Layout: a directory bucket is a `s3_buckets` document like any other (model.py) with
`"directory": {"zone": <zone id>, "type": "AvailabilityZone"|"LocalZone", "redundancy":
"SingleAvailabilityZone"|"SingleLocalZone"}`; ListBuckets leaves such buckets out and
ListDirectoryBuckets lists only them. RenameObject moves the current version of a key to
another key of the same bucket in one transaction (directory buckets keep no versions);
a ClientToken is remembered on the renamed object (`"rename_token"`), so a retry with the
same token succeeds and a different request with that token is IdempotencyParameterMismatch.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from gureum.aws import routing
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.iam import port as iam_port
from gureum.services.s3 import model

if TYPE_CHECKING:
    from gureum.store.base import Txn

SUFFIX = "--x-s3"
SESSION_SECONDS = 300
_NAME = re.compile(r"^(?P<base>[a-z0-9][a-z0-9-]*[a-z0-9])--(?P<zone>[a-z0-9]+-(?:[a-z0-9]+-)?az\d+)--x-s3$")
_DIRECTIONS = {"north": "n", "south": "s", "east": "e", "west": "w", "central": "c", "northeast": "ne",
               "southeast": "se", "northwest": "nw", "southwest": "sw"}
# A ReadOnly session may read and list, nothing else.
READ_ONLY_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": ["s3:Get*", "s3:List*", "s3express:Get*", "s3express:List*"], "Resource": "*"}]})


def is_directory_name(name: str) -> bool:
    return name.endswith(SUFFIX)


def zone_prefix(region: str) -> str:
    """The zone id prefix of a region: us-east-1 -> use1, ap-northeast-2 -> apne2."""
    parts = region.split("-")
    if len(parts) < 3:
        return region
    return parts[0] + "".join(_DIRECTIONS.get(p, p[:1]) for p in parts[1:-1]) + parts[-1]


def _invalid_name(name: str) -> AwsError:
    return AwsError.modeled("s3", "InvalidBucketName", "The specified bucket is not valid.", BucketName=name)


def check_create(name: str, region: str, config: dict[str, Any]) -> dict[str, Any]:
    """The `directory` fields of a CreateBucket for a directory bucket, after AWS's checks."""
    location, kind = config.get("Location") or {}, config.get("Bucket") or {}
    m = _NAME.match(name)
    if m is None or len(name) > 63:
        raise _invalid_name(name)
    if kind.get("Type") != "Directory" or not location.get("Name"):
        raise AwsError.modeled("s3", "InvalidRequest", "Directory buckets need a CreateBucketConfiguration with "
                               "Location (Type, Name) and Bucket (Type Directory, DataRedundancy)")
    zone = location["Name"]
    if m.group("zone") != zone:
        raise AwsError.modeled("s3", "InvalidBucketName", "The bucket name must end with --" + zone + "--x-s3",
                               BucketName=name)
    if not zone.startswith(zone_prefix(region) + "-"):
        raise AwsError.modeled("s3", "InvalidLocationConstraint", "The specified location-constraint is not valid",
                               LocationConstraint=zone)
    ltype = location.get("Type") or "AvailabilityZone"
    redundancy = kind.get("DataRedundancy") or ("SingleAvailabilityZone" if ltype == "AvailabilityZone"
                                                else "SingleLocalZone")
    if (ltype == "AvailabilityZone") != (redundancy == "SingleAvailabilityZone"):
        raise AwsError.modeled("s3", "InvalidRequest", f"DataRedundancy {redundancy} does not match the location "
                               f"type {ltype}")
    return {"zone": zone, "type": ltype, "redundancy": redundancy}


def create(t: Txn, name: str, account: str, region: str, directory: dict[str, Any]) -> dict[str, Any]:
    doc = model.create_bucket(t, name, account, region)
    doc["directory"] = directory
    t.put(model.BUCKETS, name, doc)
    return doc


def _directory_bucket(t: Txn, name: str, account: str) -> dict[str, Any]:
    b = model.bucket(t, name, account)
    if not b.get("directory"):
        raise AwsError.modeled("s3", "NoSuchBucket", "The specified bucket does not exist", BucketName=name)
    return b


def signed_as_express(ctx: RequestContext) -> bool:
    """Whether the request is signed for s3express: `GET /` so signed is ListDirectoryBuckets
    (AWS tells them apart by host, its Zonal/control endpoints; gureum has one)."""
    scope = routing.credential_scope(ctx.request) if ctx.request is not None else None
    return scope is not None and scope.service == "s3express"


def listing_params(ctx: RequestContext) -> dict[str, Any]:
    """ListDirectoryBuckets' parameters of a request routed as ListBuckets."""
    q = ctx.request.query_dict() if ctx.request is not None else {}
    out: dict[str, Any] = {}
    if q.get("continuation-token"):
        out["ContinuationToken"] = q["continuation-token"]
    if q.get("max-directory-buckets"):
        try:
            out["MaxDirectoryBuckets"] = int(q["max-directory-buckets"])
        except ValueError:
            raise AwsError.modeled("s3", "InvalidArgument", "Invalid max-directory-buckets",
                                   ArgumentName="max-directory-buckets") from None
        if not 0 <= out["MaxDirectoryBuckets"] <= 1000:
            raise AwsError.modeled("s3", "InvalidArgument", "max-directory-buckets must be between 0 and 1000",
                                   ArgumentName="max-directory-buckets")
    return out


@operation("s3", "ListDirectoryBuckets")
async def list_directory_buckets(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return await list_directory(ctx, params)


async def list_directory(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """ListDirectoryBuckets' answer (also for `GET /` signed for s3express, see signed_as_express)."""
    buckets = await ctx.app.store.read(lambda t: model.list_buckets(t, ctx.account_id))
    buckets = sorted((b for b in buckets if b.get("directory")), key=lambda b: b["name"])
    token = params.get("ContinuationToken")
    if token:
        buckets = [b for b in buckets if b["name"] > token]
    limit = params.get("MaxDirectoryBuckets") or 1000
    out: dict[str, Any] = {}
    if len(buckets) > limit:
        buckets = buckets[:limit]
        out["ContinuationToken"] = buckets[-1]["name"]
    out["Buckets"] = [{"Name": b["name"], "CreationDate": dt.datetime.fromtimestamp(b["created"], dt.UTC),
                       "BucketRegion": b["region"]} for b in buckets]
    return out


@operation("s3", "CreateSession")
async def create_session(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["Bucket"]
    mode = params.get("SessionMode") or "ReadWrite"
    if mode not in ("ReadWrite", "ReadOnly"):
        raise AwsError.modeled("s3", "InvalidArgument", "Invalid session mode", ArgumentName="x-amz-create-session-mode",
                               ArgumentValue=mode)
    sse = params.get("ServerSideEncryption")
    if sse not in (None, "AES256"):
        raise AwsError.modeled("s3", "InvalidArgument", "Server-side encryption with AWS KMS keys is not available "
                               "on this endpoint", ArgumentName="x-amz-server-side-encryption", ArgumentValue=sse)
    policy = READ_ONLY_POLICY if mode == "ReadOnly" else None

    def issue(t: Txn) -> dict[str, Any]:
        if t.get(model.BUCKETS, name) is not None or not _NAME.match(name):
            _directory_bucket(t, name, ctx.account_id)
        # else a directory bucket about to be created: boto3 given an endpoint_url signs even
        # CreateBucket with a session (AWS routes CreateBucket to its control endpoint instead)
        return iam_port.caller_session_credentials(t, ctx.account_id, ctx.principal_arn, SESSION_SECONDS,
                                                   f"s3express:{name}", policy)

    creds = await ctx.app.store.run(issue)
    return {"Credentials": creds, "ServerSideEncryption": "AES256"}


def _rename_source(value: str, bucket: str) -> str:
    path = unquote(value).lstrip("/")
    src_bucket, _, key = path.partition("/")
    if src_bucket != bucket or not key:
        raise AwsError.modeled("s3", "InvalidArgument", "The rename source must name an object of the same bucket",
                               ArgumentName="x-amz-rename-source", ArgumentValue=value)
    return key


def _etag_ok(etag: str, header: str) -> bool:
    return any(v.strip() in ("*", etag, etag.strip('"')) for v in header.split(","))


def _conditions(obj: dict[str, Any] | None, params: dict[str, Any], prefix: str, what: str) -> None:
    failed = AwsError.modeled("s3", "PreconditionFailed", model.PRECONDITION_FAILED, Condition=what)
    im, inm = params.get(prefix + "IfMatch"), params.get(prefix + "IfNoneMatch")
    ims, ius = params.get(prefix + "IfModifiedSince"), params.get(prefix + "IfUnmodifiedSince")
    if obj is None:
        if im is not None:
            raise failed
        return
    if im is not None and not _etag_ok(obj["etag"], im):
        raise failed
    if inm is not None and _etag_ok(obj["etag"], inm):
        raise failed
    if ims is not None and int(obj["mtime"]) <= ims.timestamp():
        raise failed
    if ius is not None and int(obj["mtime"]) > ius.timestamp():
        raise failed


def rename(t: Txn, name: str, account: str, key: str, params: dict[str, Any]) -> None:
    b = model.bucket(t, name, account)
    if not b.get("directory"):
        raise AwsError.modeled("s3", "InvalidRequest", "RenameObject is only supported for directory buckets")
    source = _rename_source(params.get("RenameSource") or "", name)
    token = params.get("ClientToken")
    current = t.get(model.OBJECTS, f"{name}/{key}")
    if token and current is not None and current.get("rename_token") == token:
        if current.get("renamed_from") == source:
            return  # a retry of a rename that went through
        raise AwsError.modeled("s3", "IdempotencyParameterMismatch", "The ClientToken was used with a different "
                               "request")
    src = t.get(model.OBJECTS, f"{name}/{source}")
    if src is None or src.get("dm"):
        raise AwsError.modeled("s3", "NoSuchKey", model.NO_SUCH_KEY, Key=source)
    _conditions(src, params, "Source", "x-amz-rename-source-If-Match")
    _conditions(current, params, "Destination", "If-Match")
    if len(key.encode()) > 1024:
        raise AwsError.modeled("s3", "KeyTooLongError", "Your key is too long")
    moved = {k: v for k, v in src.items() if k not in ("vid", "seq", "seqkey", "rename_token", "renamed_from")}
    moved.update(key=key, mtime=time.time(), renamed_from=source)
    if token:
        moved["rename_token"] = token
    model.delete_object(t, name, account, source)
    model.put_object(t, name, account, moved)


@operation("s3", "RenameObject")
async def rename_object(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await ctx.app.store.run(lambda t: rename(t, params["Bucket"], ctx.account_id, params["Key"], params))
    return {}
