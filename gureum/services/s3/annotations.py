"""S3 object annotations: named payloads (1 byte to 1 MiB of UTF-8 text, names of 1 to 512
bytes, at most 1,000 per object version) attached to an object version without touching it.

Table `s3_annotations`: `<bucket>/<key>\\x01<version seqkey>\\x01<name>` -> {"name", "mtime",
"etag", "size", "cks" (algorithm -> base64), "data" (the payload, base64)}. The version's
seqkey (model.py: unique per written version, a null version rewritten gets a new one) ties
annotations to exactly one version; model.py drops them with their version (overwritten null
version, delete by version id, delete in an unversioned bucket). Directory buckets have none (AWS: not supported); a version under Object
Lock retention or legal hold refuses changes (object_lock.is_protected, no bypass).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import time
from typing import TYPE_CHECKING, Any

from gureum.aws import paging
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.services.s3 import bodies, encryption, model, object_lock

if TYPE_CHECKING:
    from gureum.store.base import Txn

ANNOTATIONS = model.ANNOTATIONS
MAX_NAME = 512
MAX_PAYLOAD = 1024 * 1024
MAX_PER_VERSION = 1000


def _prefix(bucket: str, obj: dict[str, Any]) -> str:
    return f"{bucket}/{obj['key']}\x01{obj['seqkey']}\x01"


def _check_name(name: str) -> None:
    if len(name.encode()) > MAX_NAME:
        raise AwsError.modeled("s3", "AnnotationNameTooLong", "The annotation name exceeds 512 bytes.")
    if not name or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise AwsError.modeled("s3", "InvalidAnnotationName", "The annotation name is not valid.")


def _version(t: Txn, bucket: str, account: str, key: str, vid: str | None) -> dict[str, Any]:
    b = model.bucket(t, bucket, account)
    if b.get("directory"):
        raise AwsError.modeled("s3", "InvalidRequest", "Annotations are not supported for directory buckets")
    obj = model.get_object(t, bucket, account, key, vid)
    if obj.get("dm"):
        raise AwsError.modeled("s3", "NoSuchKey", model.NO_SUCH_KEY, Key=key)
    return obj


def _if_match(obj: dict[str, Any], header: str | None) -> None:
    if header is not None and header.strip() not in ("*", obj["etag"], obj["etag"].strip('"')):
        raise AwsError.modeled("s3", "PreconditionFailed", model.PRECONDITION_FAILED, Condition="x-amz-object-if-match")


def _unchangeable(obj: dict[str, Any]) -> None:
    if object_lock.is_protected(obj, False, time.time()):
        raise AwsError.modeled("s3", "AccessDenied", object_lock.PROTECTED)


def put(t: Txn, bucket: str, account: str, key: str, vid: str | None, name: str, doc: dict[str, Any],
        if_match: str | None) -> dict[str, Any]:
    obj = _version(t, bucket, account, key, vid)
    _if_match(obj, if_match)
    _unchangeable(obj)
    prefix = _prefix(bucket, obj)
    if t.get(ANNOTATIONS, prefix + name) is None and len(t.scan(ANNOTATIONS, prefix, limit=MAX_PER_VERSION)) \
            >= MAX_PER_VERSION:
        raise AwsError.modeled("s3", "AnnotationLimitExceeded", "The object already has 1,000 annotations.")
    t.put(ANNOTATIONS, prefix + name, doc)
    return obj


def get(t: Txn, bucket: str, account: str, key: str, vid: str | None, name: str) -> tuple[dict[str, Any],
                                                                                          dict[str, Any]]:
    obj = _version(t, bucket, account, key, vid)
    doc = t.get(ANNOTATIONS, _prefix(bucket, obj) + name)
    if doc is None:
        raise AwsError.modeled("s3", "NoSuchAnnotation", "The specified annotation does not exist.")
    return obj, doc


def delete(t: Txn, bucket: str, account: str, key: str, vid: str | None, name: str,
           if_match: str | None) -> dict[str, Any]:
    obj = _version(t, bucket, account, key, vid)
    _if_match(obj, if_match)
    _unchangeable(obj)
    t.delete(ANNOTATIONS, _prefix(bucket, obj) + name)
    return obj


def _vid_out(obj: dict[str, Any]) -> dict[str, Any]:
    return {"ObjectVersionId": obj["vid"]} if obj.get("vid") and obj["vid"] != "null" else {}


async def _payload(ctx: RequestContext, params: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    """The request body (aws-chunked decoded, its checksums verified), at most 1 MiB."""
    length = params.get("ContentLength")
    if length is not None and length > MAX_PAYLOAD:
        raise AwsError.modeled("s3", "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size",
                               ProposedSize=str(length), MaxSizeAllowed=str(MAX_PAYLOAD))
    stored = await bodies.receive(ctx, params)
    if stored.size > MAX_PAYLOAD:
        raise AwsError.modeled("s3", "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size",
                               ProposedSize=str(stored.size), MaxSizeAllowed=str(MAX_PAYLOAD))
    if stored.size == 0:
        raise AwsError.modeled("s3", "InvalidRequest", "The annotation payload must be at least 1 byte.")
    data = b"".join([chunk async for chunk in bodies.read(ctx.app, stored.pieces, 0, stored.size)])
    # the blob stays unreferenced: S3's collector (gc.py) drops it after its grace period
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise AwsError.modeled("s3", "UnsupportedMediaType", "Annotation payloads must be UTF-8 text.") from None
    return data, stored.checksums


@operation("s3", "PutObjectAnnotation")
async def put_object_annotation(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params.get("AnnotationName") or ""
    _check_name(name)
    data, sums = await _payload(ctx, params)
    etag = f'"{hashlib.md5(data, usedforsecurity=False).hexdigest()}"'
    doc = {"name": name, "mtime": time.time(), "etag": etag, "size": len(data), "cks": sums,
           "data": base64.b64encode(data).decode()}
    obj = await ctx.app.store.run(lambda t: put(t, params["Bucket"], ctx.account_id, params["Key"],
                                                params.get("VersionId"), name, doc, params.get("ObjectIfMatch")))
    out: dict[str, Any] = {"Key": params["Key"], "AnnotationName": name, "ETag": etag,
                           "ServerSideEncryption": encryption.response_fields(obj.get("sse"))["ServerSideEncryption"], **_vid_out(obj)}
    out.update({"Checksum" + a: v for a, v in sums.items()})
    if sums:
        out["ChecksumType"] = "FULL_OBJECT"
    return out


@operation("s3", "GetObjectAnnotation")
async def get_object_annotation(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    obj, doc = await ctx.app.store.read(lambda t: get(t, params["Bucket"], ctx.account_id, params["Key"],
                                                      params.get("VersionId"), params.get("AnnotationName") or ""))
    out: dict[str, Any] = {"AnnotationPayload": base64.b64decode(doc["data"]), "ContentLength": doc["size"],
                           "ETag": doc["etag"], "LastModified": dt.datetime.fromtimestamp(int(doc["mtime"]), dt.UTC),
                           "ServerSideEncryption": encryption.response_fields(obj.get("sse"))["ServerSideEncryption"], **_vid_out(obj)}
    if params.get("ChecksumMode") == "ENABLED" and doc.get("cks"):
        out.update({"Checksum" + a: v for a, v in doc["cks"].items()})
        out["ChecksumType"] = "FULL_OBJECT"
    return out


@operation("s3", "DeleteObjectAnnotation")
async def delete_object_annotation(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    obj = await ctx.app.store.run(lambda t: delete(t, params["Bucket"], ctx.account_id, params["Key"],
                                                   params.get("VersionId"), params.get("AnnotationName") or "",
                                                   params.get("ObjectIfMatch")))
    return _vid_out(obj)


@operation("s3", "ListObjectAnnotations")
async def list_object_annotations(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    bucket, key = params["Bucket"], params["Key"]
    prefix = params.get("AnnotationPrefix") or ""
    limit = params.get("MaxAnnotationResults")
    limit = 1000 if limit is None else max(0, min(limit, 1000))
    token = params.get("ContinuationToken")

    def run(t: Txn) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]], str | None]:
        obj = _version(t, bucket, ctx.account_id, key, params.get("VersionId"))
        base = _prefix(bucket, obj)
        rows, nxt = paging.page(t, ANNOTATIONS, base + prefix, token=token, limit=limit or None,
                                default_limit=1000, max_limit=1000,
                                error=lambda: AwsError.modeled("s3", "InvalidArgument",
                                                               "The continuation token provided is incorrect",
                                                               ArgumentName="continuation-token"))
        return obj, rows, nxt

    obj, rows, nxt = await ctx.app.store.read(run)
    items = [{"AnnotationName": d["name"], "LastModified": dt.datetime.fromtimestamp(int(d["mtime"]), dt.UTC),
              "ETag": d["etag"], "Size": d["size"], **({"ChecksumAlgorithm": sorted(d["cks"])} if d.get("cks") else {})}
             for _, d in rows] if limit else []
    out: dict[str, Any] = {"Bucket": bucket, "Key": key, "MaxAnnotationResults": limit, "AnnotationCount": len(items),
                           "Annotations": items, **_vid_out(obj)}
    if prefix:
        out["AnnotationPrefix"] = prefix
    if token:
        out["ContinuationToken"] = token
    if nxt and limit:
        out["NextContinuationToken"] = nxt
    return out
