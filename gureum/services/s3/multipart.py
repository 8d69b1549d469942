"""S3 multipart uploads: create, upload part (and part copy), list parts and uploads,
complete (5 MiB minimum for all but the last part, `md5-of-md5s-N` ETag, composite
checksums), abort. A completed object keeps its parts' blobs as its pieces: no copying."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from typing import Any

from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.public import public_url
from gureum.services.s3 import bodies, checksums, encryption, listing, model, notify, object_lock
from gureum.services.s3.api import owner, refuse_foreign_acl
from gureum.services.s3.objects import (
    _event_ctx,
    check_copy_conditions,
    load_copy_source,
    object_doc,
)

UTC = dt.UTC
MIN_PART = 5 * 1024 * 1024
MAX_PARTS = 10_000


def _ts(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(epoch), UTC)


@operation("s3", "CreateMultipartUpload")
async def create_multipart_upload(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name, key = params["Bucket"], params["Key"]
    bucket = await ctx.app.store.read(lambda t: model.bucket(t, name, ctx.account_id))
    refuse_foreign_acl(bucket, params)
    upload = object_doc(key, None, params, sse=encryption.for_object(bucket, params),
                        **object_lock.for_new_version(bucket, params, time.time()))
    algo = (params.get("ChecksumAlgorithm") or "").upper() or None
    upload["algo"] = algo
    upload["ckt"] = params.get("ChecksumType") or ("COMPOSITE" if algo else None)
    upload_id = await ctx.app.store.run(lambda t: model.create_upload(t, name, ctx.account_id, upload))
    out: dict[str, Any] = {"Bucket": name, "Key": key, "UploadId": upload_id,
                           **encryption.response_fields(upload["sse"])}
    if algo:
        out["ChecksumAlgorithm"] = algo
        out["ChecksumType"] = upload["ckt"]
    return out


def _check_part_number(n: int) -> None:
    if not 1 <= n <= MAX_PARTS:
        raise AwsError.modeled(
            "s3",
            "InvalidArgument",
            "Part number must be an integer between 1 and 10000, inclusive",
            ArgumentName="partNumber",
            ArgumentValue=str(n),
        )


@operation("s3", "UploadPart")
async def upload_part(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name, key, upload_id, n = params["Bucket"], params["Key"], params["UploadId"], params["PartNumber"]
    _check_part_number(n)
    up = await ctx.app.store.read(lambda t: model.get_upload(t, name, ctx.account_id, key, upload_id))
    if up.get("algo") and not params.get("ChecksumAlgorithm"):
        params = {**params, "ChecksumAlgorithm": up["algo"]}
    stored = await bodies.receive(ctx, params)
    part = {"n": n, "etag": stored.etag, "size": stored.size, "digest": stored.digest, "mtime": time.time(),
            "cks": stored.checksums}
    await ctx.app.store.run(lambda t: model.put_part(t, name, ctx.account_id, key, upload_id, n, part))
    out: dict[str, Any] = {"ETag": stored.etag, **encryption.response_fields(up.get("sse"))}
    for alg, v in stored.checksums.items():
        out["Checksum" + alg] = v
    return out


@operation("s3", "UploadPartCopy")
async def upload_part_copy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name, key, upload_id, n = params["Bucket"], params["Key"], params["UploadId"], params["PartNumber"]
    _check_part_number(n)
    up = await ctx.app.store.read(lambda t: model.get_upload(t, name, ctx.account_id, key, upload_id))
    src = await load_copy_source(ctx, params["CopySource"])
    check_copy_conditions(src, params)
    start, end = 0, src["size"]
    if params.get("CopySourceRange"):
        rng = bodies.parse_range(params["CopySourceRange"], src["size"])
        if rng is None:
            raise AwsError.modeled(
                "s3",
                "InvalidArgument",
                "The x-amz-copy-source-range value must be of the form "
                "bytes=first-last where first and last are the zero-based offsets of the first "
                "and last bytes to copy",
            )
        start, end = rng
    stored = await bodies.receive(ctx, {}, source=bodies.read(ctx.app, src.get("blobs") or [], start, end))
    part = {"n": n, "etag": stored.etag, "size": stored.size, "digest": stored.digest, "mtime": time.time(),
            "cks": stored.checksums}
    await ctx.app.store.run(lambda t: model.put_part(t, name, ctx.account_id, key, upload_id, n, part))
    out: dict[str, Any] = {"CopyPartResult": {"ETag": stored.etag, "LastModified": _ts(part["mtime"])},
                           **encryption.response_fields(up.get("sse"))}
    if src.get("vid") and src["vid"] != "null":
        out["CopySourceVersionId"] = src["vid"]
    return out


@operation("s3", "CompleteMultipartUpload")
async def complete_multipart_upload(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name, key, upload_id = params["Bucket"], params["Key"], params["UploadId"]
    wanted = (params.get("MultipartUpload") or {}).get("Parts") or []
    if not wanted:
        raise AwsError.modeled(
            "s3",
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our published schema",
        )

    def load(t: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        return model.get_upload(t, name, ctx.account_id, key, upload_id), model.list_parts(t, upload_id)

    up, stored_parts = await ctx.app.store.read(load)
    by_n = {p["n"]: p for p in stored_parts}
    last = 0
    chosen: list[dict[str, Any]] = []
    for w in wanted:
        n = w["PartNumber"]
        if n <= last:
            raise AwsError.modeled(
                "s3",
                "InvalidPartOrder",
                "The list of parts was not in ascending order. Parts must be ordered by part number.",
                UploadId=upload_id,
            )
        last = n
        p = by_n.get(n)
        etag = (w.get("ETag") or "").strip()
        if p is None or (etag.strip('"') != p["etag"].strip('"')):
            raise AwsError.modeled(
                "s3",
                "InvalidPart",
                "One or more of the specified parts could not be found.  The part may "
                "not have been uploaded, or the specified entity tag may not match the part's entity "
                "tag.",
                UploadId=upload_id,
                PartNumber=str(n),
                ETag=etag,
            )
        chosen.append(p)
    for p in chosen[:-1]:
        if p["size"] < MIN_PART:
            raise AwsError.modeled(
                "s3",
                "EntityTooSmall",
                "Your proposed upload is smaller than the minimum allowed object size.",
                ProposedSize=str(p["size"]),
                MinSizeAllowed=str(MIN_PART),
                PartNumber=str(p["n"]),
                ETag=p["etag"],
            )
    md5s = b"".join(bytes.fromhex(p["etag"].strip('"')) for p in chosen)
    etag = f'"{hashlib.md5(md5s, usedforsecurity=False).hexdigest()}-{len(chosen)}"'
    obj = {k: v for k, v in up.items() if k in ("key", "ctype", "meta", "hdrs", "sc", "tags", "sse", "lock", "hold")}
    obj.update({"mtime": time.time(), "size": sum(p["size"] for p in chosen), "etag": etag,
                "blobs": [[p["digest"], p["size"]] for p in chosen], "parts": len(chosen),
                "pcks": [p.get("cks") or {} for p in chosen]})
    algo = up.get("algo")
    if algo and all(p.get("cks", {}).get(algo) for p in chosen) and algo in checksums.ALGORITHMS:
        for w, p in zip(wanted, chosen, strict=False):
            given = w.get("Checksum" + algo)
            if given and given != p["cks"][algo]:
                raise AwsError.modeled(
                    "s3",
                    "InvalidPart",
                    "One or more of the specified parts could not be found.  The part "
                    "may not have been uploaded, or the specified entity tag may not match the part's "
                    "entity tag.",
                    UploadId=upload_id,
                    PartNumber=str(p["n"]),
                )
        if up.get("ckt") == "FULL_OBJECT" and algo in ("CRC32", "CRC32C"):
            obj["cks"] = {algo: checksums.full_object_crc(algo, [(p["cks"][algo], p["size"]) for p in chosen])}
            obj["ckt"] = "FULL_OBJECT"
        else:
            obj["cks"] = {algo: checksums.composite(algo, [p["cks"][algo] for p in chosen])}
            obj["ckt"] = "COMPOSITE"

    def commit(t: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        model.get_upload(t, name, ctx.account_id, key, upload_id)
        res = model.put_object(t, name, ctx.account_id, obj, params.get("IfNoneMatch"), params.get("IfMatch"))
        model.finish_upload(t, name, key, upload_id)
        return res

    obj, b = await ctx.app.store.run(commit)
    notify.emit(ctx.app, b, "ObjectCreated:CompleteMultipartUpload", key, obj=obj, version_id=obj["vid"],
                **_event_ctx(ctx))
    out: dict[str, Any] = {"Location": public_url(ctx.app, ctx.request, f"/{name}/{key}"), "Bucket": name, "Key": key, "ETag": etag,
                           **encryption.response_fields(obj.get("sse"))}
    if obj.get("cks"):
        out.update({"Checksum" + a: v for a, v in obj["cks"].items()})
        out["ChecksumType"] = obj["ckt"]
    if obj["vid"] != "null":
        out["VersionId"] = obj["vid"]
    return out


@operation("s3", "AbortMultipartUpload")
async def abort_multipart_upload(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name, key, upload_id = params["Bucket"], params["Key"], params["UploadId"]

    def abort(t: Any) -> None:
        model.get_upload(t, name, ctx.account_id, key, upload_id)
        model.finish_upload(t, name, key, upload_id)

    await ctx.app.store.run(abort)
    return {}


@operation("s3", "ListParts")
async def list_parts(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name, key, upload_id = params["Bucket"], params["Key"], params["UploadId"]

    def load(t: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        return model.get_upload(t, name, ctx.account_id, key, upload_id), model.list_parts(t, upload_id)

    up, parts = await ctx.app.store.read(load)
    marker = params.get("PartNumberMarker") or 0
    max_parts = params.get("MaxParts") or 1000
    parts = [p for p in parts if p["n"] > marker]
    truncated = len(parts) > max_parts
    parts = parts[:max_parts]
    out: dict[str, Any] = {
        "Bucket": name, "Key": key, "UploadId": upload_id, "PartNumberMarker": marker, "MaxParts": max_parts,
        "IsTruncated": truncated, "StorageClass": up.get("sc") or "STANDARD",
        "Initiator": {"ID": owner(ctx.account_id)["ID"], "DisplayName": ctx.account_id},
        "Owner": owner(ctx.account_id),
        "Parts": [{"PartNumber": p["n"], "LastModified": _ts(p["mtime"]), "ETag": p["etag"], "Size": p["size"],
                   **{"Checksum" + a: v for a, v in (p.get("cks") or {}).items()}} for p in parts],
    }
    if parts:
        out["NextPartNumberMarker"] = parts[-1]["n"]
    if up.get("algo"):
        out["ChecksumAlgorithm"] = up["algo"]
        out["ChecksumType"] = up.get("ckt")
    return out


@operation("s3", "ListMultipartUploads")
async def list_multipart_uploads(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["Bucket"]
    prefix = params.get("Prefix") or ""
    delim = params.get("Delimiter") or ""
    max_uploads = params.get("MaxUploads") or 1000

    def load(t: Any) -> listing.Page:
        model.bucket(t, name, ctx.account_id)
        return listing.scan_keys(t, model.UPLOADS, name, prefix, delim, params.get("KeyMarker") or None,
                                 max_uploads, key_of=lambda k: k.rsplit("\x01", 1)[0])

    page = await ctx.app.store.read(load)
    out: dict[str, Any] = {"Bucket": name, "KeyMarker": params.get("KeyMarker") or "",
                           "UploadIdMarker": params.get("UploadIdMarker") or "", "MaxUploads": max_uploads,
                           "IsTruncated": page.truncated, "Prefix": prefix}
    if delim:
        out["Delimiter"] = delim
    uploads = [{"UploadId": d["id"], "Key": k, "Initiated": _ts(d["initiated"]),
                "StorageClass": d.get("sc") or "STANDARD", "Owner": owner(ctx.account_id),
                "Initiator": {"ID": owner(ctx.account_id)["ID"], "DisplayName": ctx.account_id}}
               for k, d in page.items]
    if uploads:
        out["Uploads"] = uploads
        out["NextKeyMarker"] = uploads[-1]["Key"]
        out["NextUploadIdMarker"] = uploads[-1]["UploadId"]
    if page.prefixes:
        out["CommonPrefixes"] = [{"Prefix": p} for p in page.prefixes]
    return out
