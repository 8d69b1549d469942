"""S3 object operations: put/get/head (ranges, conditionals, metadata, checksums), delete
(versions and delete markers), copy, listings, object tagging."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

from gureum.aws import paging, specs
from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.aws.protocols import rest
from gureum.http.server import Response
from gureum.services.s3 import archive, bodies, encryption, listing, model, notify, object_lock
from gureum.services.s3.api import _acl, check_tag_set, owner, refuse_foreign_acl
from gureum.services.s3.object_lock_api import has_digest

UTC = dt.UTC
MAX_PUT = 5 * 1024**3  # a single PUT; larger objects need multipart uploads
_HEADER_FIELDS = ("CacheControl", "ContentDisposition", "ContentEncoding", "ContentLanguage",
                  "WebsiteRedirectLocation")
# Each version's encryption (x-amz-server-side-encryption...) is encryption.py's: the request's
# headers, else the bucket's default (SSE-S3 unless PutBucketEncryption says otherwise).
_RESPONSE_OVERRIDES = {"ResponseCacheControl": "CacheControl", "ResponseContentDisposition": "ContentDisposition",
                       "ResponseContentEncoding": "ContentEncoding", "ResponseContentLanguage": "ContentLanguage",
                       "ResponseContentType": "ContentType", "ResponseExpires": "Expires"}


def _ts(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(epoch), UTC)


def _parse_tagging(text: str | None) -> dict[str, str]:
    """The x-amz-tagging header (URL query form) as tags, held to PutObjectTagging's rules."""
    if not text:
        return {}
    pairs = parse_qsl(text, keep_blank_values=True)
    check_tag_set([{"Key": k, "Value": v} for k, v in pairs])
    return dict(pairs)


def _event_ctx(ctx: RequestContext) -> dict[str, Any]:
    ip = ctx.request.client[0] if ctx.request is not None else "127.0.0.1"
    return {"request_id": ctx.request_id, "principal": f"AWS:{ctx.access_key_id or ctx.account_id}",
            "source_ip": ip}


def object_doc(key: str, stored: bodies.Stored | None, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
    hdrs = {f: params[f] for f in _HEADER_FIELDS if params.get(f)}
    if params.get("Expires") is not None:
        hdrs["Expires"] = params["Expires"].timestamp()
    doc: dict[str, Any] = {
        "key": key,
        "mtime": time.time(),
        "ctype": params.get("ContentType") or "binary/octet-stream",
        "meta": params.get("Metadata") or {},
        "hdrs": hdrs,
        "sc": params.get("StorageClass") or "STANDARD",
        "tags": _parse_tagging(params.get("Tagging")),
    }
    if stored is not None:
        doc.update({"size": stored.size, "etag": stored.etag, "blobs": stored.pieces, "cks": stored.checksums,
                    "ckt": "FULL_OBJECT" if stored.checksums else None})
    doc.update(extra)
    return doc


def _checksum_fields(obj: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for alg, value in (obj.get("cks") or {}).items():
        out["Checksum" + alg] = value
    if out and obj.get("ckt"):
        out["ChecksumType"] = obj["ckt"]
    return out


# -- put / get / head ------------------------------------------------------------------------

@operation("s3", "PutObject")
async def put_object(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name, key = params["Bucket"], params["Key"]
    bucket = await ctx.app.store.read(lambda t: model.bucket(t, name, ctx.account_id))
    refuse_foreign_acl(bucket, params)
    locks = object_lock.for_new_version(bucket, params, time.time())
    if object_lock.needs_digest(bucket, params) and not has_digest(ctx):
        raise object_lock.digest_missing()
    if len(key.encode()) > 1024:
        raise AwsError.modeled("s3", "KeyTooLongError", "Your key is too long")
    if (params.get("ContentLength") or 0) > MAX_PUT:
        raise AwsError.modeled(
            "s3",
            "EntityTooLarge",
            "Your proposed upload exceeds the maximum allowed size",
            ProposedSize=str(params["ContentLength"]),
            MaxSizeAllowed=str(MAX_PUT),
        )
    stored = await bodies.receive(ctx, params)
    obj = object_doc(key, stored, params, sse=encryption.for_object(bucket, params), **locks)
    obj, b = await ctx.app.store.run(lambda t: model.put_object(
        t, name, ctx.account_id, obj, params.get("IfNoneMatch"), params.get("IfMatch")))
    notify.emit(ctx.app, b, "ObjectCreated:Put", key, obj=obj, version_id=obj["vid"], **_event_ctx(ctx))
    out: dict[str, Any] = {"ETag": stored.etag, **encryption.response_fields(obj["sse"]), **_checksum_fields(obj)}
    if obj["vid"] != "null":
        out["VersionId"] = obj["vid"]
    return out


def _check_conditions(obj: dict[str, Any], params: dict[str, Any]) -> bool:
    """Raise 412 for failed If-Match/If-Unmodified-Since; False when the answer is 304."""
    etag = obj["etag"]
    mtime = int(obj["mtime"])
    if_match = params.get("IfMatch")
    if if_match is not None and not _etag_in(etag, if_match):
        raise AwsError.modeled(
            "s3",
            "PreconditionFailed",
            model.PRECONDITION_FAILED,
            Condition="If-Match",
        )
    ius = params.get("IfUnmodifiedSince")
    if ius is not None and if_match is None and mtime > ius.timestamp():
        raise AwsError.modeled(
            "s3",
            "PreconditionFailed",
            model.PRECONDITION_FAILED,
            Condition="If-Unmodified-Since",
        )
    inm = params.get("IfNoneMatch")
    if inm is not None and _etag_in(etag, inm):
        return False
    ims = params.get("IfModifiedSince")
    return not (ims is not None and inm is None and mtime <= ims.timestamp())


def _etag_in(etag: str, header: str) -> bool:
    for v in header.split(","):
        v = v.strip()
        if v == "*" or v == etag or f'"{v}"' == etag or v.removeprefix("W/") == etag:
            return True
    return False


async def _load_object(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name, key, vid = params["Bucket"], params["Key"], params.get("VersionId")
    obj = await ctx.app.store.read(lambda t: model.get_object(t, name, ctx.account_id, key, vid))
    if obj.get("dm"):
        if vid:
            raise AwsError.modeled(
                "s3",
                "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
                Method=ctx.request.method if ctx.request else "GET",
                ResourceType="DeleteMarker",
                headers=[("x-amz-delete-marker", "true")],
            )
        raise AwsError.modeled("s3", "NoSuchKey", model.NO_SUCH_KEY, Key=key)
    return obj


def _object_headers(obj: dict[str, Any], params: dict[str, Any], with_checksums: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "LastModified": _ts(obj["mtime"]),
        "ContentLength": obj["size"],
        "ETag": obj["etag"],
        "ContentType": obj.get("ctype") or "binary/octet-stream",
        "AcceptRanges": "bytes",
        **encryption.response_fields(obj.get("sse")),
    }
    if obj.get("meta"):
        out["Metadata"] = obj["meta"]
    for k, v in (obj.get("hdrs") or {}).items():
        out[k] = _ts(v) if k == "Expires" else v
    if obj.get("vid") and obj["vid"] != "null":
        out["VersionId"] = obj["vid"]
    if obj.get("sc") and obj["sc"] != "STANDARD":
        out["StorageClass"] = obj["sc"]
    if obj.get("tags"):
        out["TagCount"] = len(obj["tags"])
    if obj.get("rs"):  # replication.py: PENDING, COMPLETED, FAILED, or REPLICA on a copy
        out["ReplicationStatus"] = obj["rs"]
    if obj.get("parts"):
        out["PartsCount"] = obj["parts"]
    if with_checksums:
        out.update(_checksum_fields(obj))
    out.update(object_lock.headers(obj))
    restore = archive.header(obj, time.time())
    if restore:
        out["Restore"] = restore
    for p, member in _RESPONSE_OVERRIDES.items():
        if params.get(p) is not None:
            out[member] = params[p]
    return out


def _part_range(obj: dict[str, Any], number: int) -> tuple[int, int]:
    pieces = obj.get("blobs") or []
    if not obj.get("parts"):
        if number == 1:
            return 0, obj["size"]
        raise AwsError.modeled("s3", "InvalidPartNumber", "The requested partnumber is not satisfiable")
    if not 1 <= number <= len(pieces):
        raise AwsError.modeled("s3", "InvalidPartNumber", "The requested partnumber is not satisfiable")
    start = sum(p[1] for p in pieces[: number - 1])
    return start, start + pieces[number - 1][1]


def _respond(ctx: RequestContext, result: dict[str, Any], status: int) -> Response:
    spec = specs.load("s3")
    resp = rest.serialize(spec, spec.operation(ctx.operation), result, ctx.request_id)
    resp.status = status
    return resp


async def _get_or_head(ctx: RequestContext, params: dict[str, Any], head: bool) -> Response:
    obj = await _load_object(ctx, params)
    if not _check_conditions(obj, params):
        head_shape = specs.load("s3").operation("HeadObject").output
        assert head_shape is not None  # HeadObject's model has an output shape
        hdrs = [("ETag", obj["etag"]), ("Last-Modified", rest._header_text(head_shape.members["LastModified"], _ts(obj["mtime"]))),
                ("x-amz-request-id", ctx.request_id)]
        return Response(304, hdrs, b"")
    size = obj["size"]
    rng: tuple[int, int] | None = None
    if params.get("PartNumber"):
        rng = _part_range(obj, params["PartNumber"])
    elif params.get("Range"):
        rng = bodies.parse_range(params["Range"], size)
    full = rng is None or (rng[0] == 0 and rng[1] == size and not params.get("PartNumber"))
    want_checksums = full and (params.get("ChecksumMode") == "ENABLED")
    result = _object_headers(obj, params, want_checksums)
    status = 200
    start, end = 0, size
    if rng is not None:
        start, end = rng
        result["ContentLength"] = end - start
        if params.get("Range") or params.get("PartNumber"):
            status = 206
            result["ContentRange"] = f"bytes {start}-{end - 1}/{size}" if end > start else f"bytes */{size}"
    if not head:
        archive.check_readable(obj, time.time())
        result["Body"] = bodies.read(ctx.app, obj.get("blobs") or [], start, end)
    return _respond(ctx, result, status)


@operation("s3", "GetObject")
async def get_object(ctx: RequestContext, params: dict[str, Any]) -> Response:
    return await _get_or_head(ctx, params, head=False)


@operation("s3", "HeadObject")
async def head_object(ctx: RequestContext, params: dict[str, Any]) -> Response:
    try:
        return await _get_or_head(ctx, params, head=True)
    except AwsError as err:
        if err.code == "NoSuchKey":  # HEAD carries no body: AWS answers a bare 404
            raise AwsError.modeled("s3", "NoSuchKey", err.message) from None
        raise


# -- delete ----------------------------------------------------------------------------------

async def _delete_one(ctx: RequestContext, name: str, key: str, vid: str | None, bypass: bool) -> dict[str, Any]:
    guard = object_lock.guard_delete(bypass, time.time())
    res, b = await ctx.app.store.run(lambda t: model.delete_object(t, name, ctx.account_id, key, vid, guard))
    if res.get("deleted"):
        event = "ObjectRemoved:DeleteMarkerCreated" if res.get("dm") and not vid else "ObjectRemoved:Delete"
        notify.emit(ctx.app, b, event, key, obj=res.get("obj"), version_id=res.get("vid"), **_event_ctx(ctx))
    return res


@operation("s3", "DeleteObject")
async def delete_object(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    res = await _delete_one(ctx, params["Bucket"], params["Key"], params.get("VersionId"),
                            bool(params.get("BypassGovernanceRetention")))
    out: dict[str, Any] = {}
    if res.get("dm"):
        out["DeleteMarker"] = True
    if res.get("vid"):
        out["VersionId"] = res["vid"]
    return out


@operation("s3", "DeleteObjects")
async def delete_objects(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    spec = params.get("Delete") or {}
    items = spec.get("Objects") or []
    if len(items) > 1000:
        raise AwsError.modeled(
            "s3",
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our published schema",
        )
    name = params["Bucket"]
    await ctx.app.store.read(lambda t: model.bucket(t, name, ctx.account_id))
    deleted, errors = [], []
    for item in items:
        key, vid = item["Key"], item.get("VersionId")
        try:
            res = await _delete_one(ctx, name, key, vid, bool(params.get("BypassGovernanceRetention")))
        except AwsError as err:
            errors.append({"Key": key, "VersionId": vid, "Code": err.code, "Message": err.message})
            continue
        entry: dict[str, Any] = {"Key": key}
        if vid:
            entry["VersionId"] = vid
        if res.get("dm"):
            entry["DeleteMarker"] = True
            if not vid:
                entry["DeleteMarkerVersionId"] = res["vid"]
        if not spec.get("Quiet"):
            deleted.append(entry)
    out: dict[str, Any] = {}
    if deleted:
        out["Deleted"] = deleted
    if errors:
        out["Errors"] = errors
    return out


# -- copy ------------------------------------------------------------------------------------

def parse_copy_source(source: str) -> tuple[str, str, str | None]:
    path, _, query = source.partition("?")
    path = unquote(path).lstrip("/")
    bucket, _, key = path.partition("/")
    if not bucket or not key:
        raise AwsError.modeled(
            "s3",
            "InvalidArgument",
            "Copy Source must mention the source bucket and key: sourcebucket/sourcekey",
            ArgumentName="x-amz-copy-source",
            ArgumentValue=source,
        )
    vid = dict(parse_qsl(query)).get("versionId") if query else None
    return bucket, key, vid


def check_copy_conditions(obj: dict[str, Any], params: dict[str, Any]) -> None:
    etag, mtime = obj["etag"], int(obj["mtime"])
    if params.get("CopySourceIfMatch") and not _etag_in(etag, params["CopySourceIfMatch"]):
        raise AwsError.modeled(
            "s3",
            "PreconditionFailed",
            model.PRECONDITION_FAILED,
            Condition="x-amz-copy-source-If-Match",
        )
    if params.get("CopySourceIfNoneMatch") and _etag_in(etag, params["CopySourceIfNoneMatch"]):
        raise AwsError.modeled(
            "s3",
            "PreconditionFailed",
            model.PRECONDITION_FAILED,
            Condition="x-amz-copy-source-If-None-Match",
        )
    if params.get("CopySourceIfUnmodifiedSince") and mtime > params["CopySourceIfUnmodifiedSince"].timestamp():
        raise AwsError.modeled(
            "s3",
            "PreconditionFailed",
            model.PRECONDITION_FAILED,
            Condition="x-amz-copy-source-If-Unmodified-Since",
        )
    if params.get("CopySourceIfModifiedSince") and mtime <= params["CopySourceIfModifiedSince"].timestamp():
        raise AwsError.modeled(
            "s3",
            "PreconditionFailed",
            model.PRECONDITION_FAILED,
            Condition="x-amz-copy-source-If-Modified-Since",
        )


async def load_copy_source(ctx: RequestContext, source: str) -> dict[str, Any]:
    sb, sk, svid = parse_copy_source(source)
    obj = await ctx.app.store.read(lambda t: model.get_object(t, sb, ctx.account_id, sk, svid))
    if obj.get("dm"):
        raise AwsError.modeled("s3", "NoSuchKey", model.NO_SUCH_KEY, Key=sk)
    archive.check_readable(obj, time.time())
    obj["_source"] = (sb, sk)
    return obj


@operation("s3", "CopyObject")
async def copy_object(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name, key = params["Bucket"], params["Key"]
    bucket = await ctx.app.store.read(lambda t: model.bucket(t, name, ctx.account_id))
    refuse_foreign_acl(bucket, params)
    locks = object_lock.for_new_version(bucket, params, time.time())
    src = await load_copy_source(ctx, params["CopySource"])
    check_copy_conditions(src, params)
    directive = params.get("MetadataDirective") or "COPY"
    if src["_source"] == (name, key) and directive == "COPY" and not params.get("StorageClass") \
            and not params.get("WebsiteRedirectLocation") and not params.get("ServerSideEncryption"):
        raise AwsError.modeled(
            "s3",
            "InvalidRequest",
            "This copy request is illegal because it is trying to copy an object to "
            "itself without changing the object's metadata, storage class, website redirect location "
            "or encryption attributes.",
        )
    if directive == "REPLACE":
        obj = object_doc(key, None, params)
    else:
        obj = {k: v for k, v in src.items() if k in ("ctype", "meta", "hdrs")}
        obj.update({"key": key, "mtime": time.time(), "sc": params.get("StorageClass") or src.get("sc", "STANDARD")})
    obj["tags"] = (_parse_tagging(params.get("Tagging")) if params.get("TaggingDirective") == "REPLACE"
                   else dict(src.get("tags") or {}))
    for f in ("size", "etag", "blobs", "cks", "ckt", "parts"):
        if src.get(f) is not None:
            obj[f] = src[f]
    obj.update(locks)
    obj["sse"] = encryption.for_object(bucket, params)
    obj, b = await ctx.app.store.run(lambda t: model.put_object(
        t, name, ctx.account_id, obj, params.get("IfNoneMatch"), params.get("IfMatch")))
    notify.emit(ctx.app, b, "ObjectCreated:Copy", key, obj=obj, version_id=obj["vid"], **_event_ctx(ctx))
    out: dict[str, Any] = {"CopyObjectResult": {"ETag": obj["etag"], "LastModified": _ts(obj["mtime"]),
                                                **_checksum_fields(obj)},
                           **encryption.response_fields(obj["sse"])}
    if obj["vid"] != "null":
        out["VersionId"] = obj["vid"]
    if src.get("vid") and src["vid"] != "null":
        out["CopySourceVersionId"] = src["vid"]
    return out


# -- listings --------------------------------------------------------------------------------

def _enc(value: str, encoding: str | None) -> str:
    return quote(value, safe="/") if encoding == "url" else value


def _content(key: str, d: dict[str, Any], encoding: str | None, fetch_owner: bool, account: str,
             restore_status: bool = False) -> dict[str, Any]:
    item: dict[str, Any] = {"Key": _enc(key, encoding), "LastModified": _ts(d["mtime"]), "ETag": d["etag"],
                            "Size": d["size"], "StorageClass": d.get("sc") or "STANDARD"}
    if restore_status:
        status = archive.status(d, time.time())
        if status is not None:
            item["RestoreStatus"] = status
    if d.get("cks"):
        item["ChecksumAlgorithm"] = sorted(d["cks"])
        if d.get("ckt"):
            item["ChecksumType"] = d["ckt"]
    if fetch_owner:
        item["Owner"] = owner(account)
    return item


def _max_keys(params: dict[str, Any]) -> int:
    mk = params.get("MaxKeys")
    return 1000 if mk is None else max(0, min(mk, 1000))


@operation("s3", "ListObjectsV2")
async def list_objects_v2(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["Bucket"]
    prefix = params.get("Prefix") or ""
    delim = params.get("Delimiter") or ""
    token = params.get("ContinuationToken")
    after = params.get("StartAfter")
    # ContinuationToken: a key token of gureum.aws.paging (the last key listed), bound to the
    # bucket, prefix and delimiter; StartAfter and ListObjects' Marker are plain keys, as in AWS
    binding = paging.bind(model.OBJECTS, f"{name}/{prefix}", {"Delimiter": delim})
    if token:
        try:
            after = paging.decode(binding, token)
        except paging.BadToken:
            after = None
        if after is None or not after.startswith(prefix):
            raise AwsError.modeled(
                "s3",
                "InvalidArgument",
                "The continuation token provided is incorrect",
                ArgumentName="continuation-token",
            )
    mk = _max_keys(params)

    def run(t: Any) -> tuple[dict[str, Any], listing.Page]:
        b = model.bucket(t, name, ctx.account_id)
        return b, listing.scan_keys(t, model.OBJECTS, name, prefix, delim, after, mk,
                                    keep=lambda d: not d.get("dm"))

    b, page = await ctx.app.store.read(run)
    enc = params.get("EncodingType")
    out: dict[str, Any] = {
        "Name": name, "Prefix": _enc(prefix, enc), "MaxKeys": mk, "IsTruncated": page.truncated,
        "KeyCount": len(page.items) + len(page.prefixes),
    }
    if delim:
        out["Delimiter"] = _enc(delim, enc)
    if enc:
        out["EncodingType"] = enc
    if token:
        out["ContinuationToken"] = token
    if params.get("StartAfter"):
        out["StartAfter"] = _enc(params["StartAfter"], enc)
    if page.items:
        restore = "RestoreStatus" in (params.get("OptionalObjectAttributes") or [])
        out["Contents"] = [_content(k, d, enc, bool(params.get("FetchOwner")), b["account"], restore)
                           for k, d in page.items]
    if page.prefixes:
        out["CommonPrefixes"] = [{"Prefix": _enc(p, enc)} for p in page.prefixes]
    if page.truncated and page.last is not None:
        out["NextContinuationToken"] = paging.encode(binding, page.last)
    return out


@operation("s3", "ListObjects")
async def list_objects(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["Bucket"]
    prefix = params.get("Prefix") or ""
    delim = params.get("Delimiter") or ""
    marker = params.get("Marker") or None
    mk = _max_keys(params)

    def run(t: Any) -> tuple[dict[str, Any], listing.Page]:
        b = model.bucket(t, name, ctx.account_id)
        return b, listing.scan_keys(t, model.OBJECTS, name, prefix, delim, marker, mk,
                                    keep=lambda d: not d.get("dm"))

    b, page = await ctx.app.store.read(run)
    enc = params.get("EncodingType")
    out: dict[str, Any] = {"Name": name, "Prefix": _enc(prefix, enc), "Marker": _enc(marker or "", enc),
                           "MaxKeys": mk, "IsTruncated": page.truncated}
    if delim:
        out["Delimiter"] = _enc(delim, enc)
        if page.truncated and page.last is not None:
            out["NextMarker"] = _enc(page.last, enc)
    if enc:
        out["EncodingType"] = enc
    if page.items:
        out["Contents"] = [_content(k, d, enc, True, b["account"]) for k, d in page.items]
    if page.prefixes:
        out["CommonPrefixes"] = [{"Prefix": _enc(p, enc)} for p in page.prefixes]
    return out


@operation("s3", "ListObjectVersions")
async def list_object_versions(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["Bucket"]
    prefix = params.get("Prefix") or ""
    delim = params.get("Delimiter") or ""
    key_marker = params.get("KeyMarker") or None
    vid_marker = params.get("VersionIdMarker") or None
    mk = _max_keys(params)

    def run(t: Any) -> tuple[dict[str, Any], listing.Page, dict[str, str]]:
        b = model.bucket(t, name, ctx.account_id)
        after_row = None
        if key_marker and vid_marker:
            for rk, v in t.scan(model.VERSIONS, f"{name}/{key_marker}\x01"):
                if v.get("vid") == vid_marker:
                    after_row = rk
                    break
        page = listing.scan_keys(t, model.VERSIONS, name, prefix, delim, key_marker, mk,
                                 key_of=lambda k: k.rsplit("\x01", 1)[0], after_row=after_row)
        latest = {}
        for k, _ in page.items:
            cur = t.get(model.OBJECTS, f"{name}/{k}")
            if cur is not None:
                latest[k] = cur.get("vid")
        return b, page, latest

    b, page, latest = await ctx.app.store.read(run)
    enc = params.get("EncodingType")
    versions, markers = [], []
    for k, d in page.items:
        base = {"Key": _enc(k, enc), "VersionId": d.get("vid", "null"), "IsLatest": latest.get(k) == d.get("vid"),
                "LastModified": _ts(d["mtime"]), "Owner": owner(b["account"])}
        if d.get("dm"):
            markers.append(base)
        else:
            versions.append({**base, "ETag": d["etag"], "Size": d["size"], "StorageClass": d.get("sc") or "STANDARD"})
    out: dict[str, Any] = {"Name": name, "Prefix": _enc(prefix, enc), "MaxKeys": mk, "IsTruncated": page.truncated,
                           "KeyMarker": key_marker or "", "VersionIdMarker": vid_marker or ""}
    if delim:
        out["Delimiter"] = delim
    if versions:
        out["Versions"] = versions
    if markers:
        out["DeleteMarkers"] = markers
    if page.prefixes:
        out["CommonPrefixes"] = [{"Prefix": _enc(p, enc)} for p in page.prefixes]
    if page.truncated and page.last is not None:
        out["NextKeyMarker"] = page.last
        if page.last_doc is not None:
            out["NextVersionIdMarker"] = page.last_doc.get("vid", "null")
    return out


# -- tagging and ACLs ------------------------------------------------------------------------

@operation("s3", "PutObjectTagging")
async def put_object_tagging(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    tags = (params.get("Tagging") or {}).get("TagSet") or []
    check_tag_set(tags)
    obj = await ctx.app.store.run(lambda t: model.set_object_tags(
        t, params["Bucket"], ctx.account_id, params["Key"], params.get("VersionId"),
        {x["Key"]: x.get("Value", "") for x in tags}))
    await _tagging_event(ctx, params, obj, "ObjectTagging:Put")
    return {"VersionId": obj["vid"]} if obj.get("vid") != "null" else {}


async def _tagging_event(ctx: RequestContext, params: dict[str, Any], obj: dict[str, Any], event: str) -> None:
    b = await ctx.app.store.read(lambda t: model.bucket(t, params["Bucket"], ctx.account_id))
    notify.emit(ctx.app, b, event, params["Key"], obj=obj, version_id=obj.get("vid"), **_event_ctx(ctx))


@operation("s3", "GetObjectTagging")
async def get_object_tagging(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    obj = await _load_object(ctx, params)
    out: dict[str, Any] = {"TagSet": [{"Key": k, "Value": v} for k, v in (obj.get("tags") or {}).items()]}
    if obj.get("vid") != "null":
        out["VersionId"] = obj["vid"]
    return out


@operation("s3", "DeleteObjectTagging")
async def delete_object_tagging(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    obj = await ctx.app.store.run(lambda t: model.set_object_tags(
        t, params["Bucket"], ctx.account_id, params["Key"], params.get("VersionId"), {}))
    await _tagging_event(ctx, params, obj, "ObjectTagging:Delete")
    return {"VersionId": obj["vid"]} if obj.get("vid") != "null" else {}


@operation("s3", "GetObjectAcl")
async def get_object_acl(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await _load_object(ctx, params)
    b = await ctx.app.store.read(lambda t: model.bucket(t, params["Bucket"], ctx.account_id))
    return _acl(b["account"])


@operation("s3", "PutObjectAcl")
async def put_object_acl(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    await _load_object(ctx, params)
    refuse_foreign_acl(await ctx.app.store.read(lambda t: model.bucket(t, params["Bucket"], ctx.account_id)), params)
    return {}
