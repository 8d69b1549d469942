"""S3 handlers that describe or prepare one object without reading it as GetObject does:
GetObjectAttributes, RestoreObject (archived storage classes, rules in archive.py) and
GetObjectTorrent (a metainfo file built by torrent.py)."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

from gureum.aws.dispatch import RequestContext, operation
from gureum.aws.errors import AwsError
from gureum.http.server import Response
from gureum.public import public_url
from gureum.services.s3 import archive, bodies, torrent
from gureum.services.s3.objects import _load_object, _respond, _ts
from gureum.services.s3.settings import S3Settings

TORRENT_MAX = 5 * 1024**3


def _parts(obj: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    pieces = obj.get("blobs") or []
    sums = obj.get("pcks") or [{} for _ in pieces]
    marker = params.get("PartNumberMarker") or 0
    max_parts = params.get("MaxParts")
    max_parts = 1000 if max_parts is None else max(0, min(max_parts, 1000))
    numbered = [(n, p, c) for n, (p, c) in enumerate(zip(pieces, sums, strict=False), start=1) if n > marker]
    page = numbered[:max_parts]
    out: dict[str, Any] = {"TotalPartsCount": obj["parts"], "PartNumberMarker": marker, "MaxParts": max_parts,
                           "IsTruncated": len(numbered) > len(page)}
    if page:
        out["NextPartNumberMarker"] = page[-1][0]
        out["Parts"] = [{"PartNumber": n, "Size": p[1], **{"Checksum" + a: v for a, v in c.items()}}
                        for n, p, c in page]
    return out


@operation("s3", "GetObjectAttributes")
async def get_object_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    wanted = set(params.get("ObjectAttributes") or [])
    obj = await _load_object(ctx, params)
    out: dict[str, Any] = {"LastModified": _ts(obj["mtime"])}
    if obj.get("vid") and obj["vid"] != "null":
        out["VersionId"] = obj["vid"]
    if "ETag" in wanted:
        out["ETag"] = obj["etag"].strip('"')
    if "Checksum" in wanted and obj.get("cks"):
        out["Checksum"] = {"Checksum" + a: v for a, v in obj["cks"].items()}
        if obj.get("ckt"):
            out["Checksum"]["ChecksumType"] = obj["ckt"]
    if "ObjectParts" in wanted and obj.get("parts"):
        out["ObjectParts"] = _parts(obj, params)
    if "StorageClass" in wanted:
        out["StorageClass"] = obj.get("sc") or "STANDARD"
    if "ObjectSize" in wanted:
        out["ObjectSize"] = obj["size"]
    return out


@operation("s3", "RestoreObject")
async def restore_object(ctx: RequestContext, params: dict[str, Any]) -> Response:
    s = ctx.app.settings(S3Settings)
    seconds = {"Expedited": s.restore_expedited_seconds, "Standard": s.restore_standard_seconds,
               "Bulk": s.restore_bulk_seconds}
    now = time.time()
    status = await ctx.app.store.run(lambda t: archive.restore(
        t, params["Bucket"], ctx.account_id, params["Key"], params.get("VersionId"),
        params.get("RestoreRequest") or {}, seconds, now))
    return _respond(ctx, {}, status)


@operation("s3", "GetObjectTorrent")
async def get_object_torrent(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name, key = params["Bucket"], params["Key"]
    obj = await _load_object(ctx, params)
    if obj["size"] >= TORRENT_MAX:
        raise AwsError.modeled("s3", "InvalidRequest", "Torrents are available only for objects smaller than 5 GB")
    archive.check_readable(obj, time.time())
    pieces = torrent.Pieces()
    async for chunk in bodies.read(ctx.app, obj.get("blobs") or [], 0, obj["size"]):
        pieces.feed(chunk)
    url = public_url(ctx.app, ctx.request, f"/{quote(name)}/{quote(key)}")
    return {"Body": torrent.metainfo(key.rsplit("/", 1)[-1] or key, obj["size"], pieces.finish(), url, name, key)}
