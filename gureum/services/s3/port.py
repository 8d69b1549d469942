"""S3's port for other services that read objects in-process (Lambda code packages named by
S3Bucket/S3Key, ECS environment files): `await get(app, account, bucket, key, version=None)`
finds the object as GetObject by `account` would (model.py's rules: the bucket must be
`account`'s) and gives an `S3Object` whose body streams from S3's blob pieces (bodies.py)
only when read. `await put(app, bucket, key, data, ...)` writes an object as a service
principal AWS lets deliver into a bucket (CloudWatch Logs export tasks): the caller checks
the bucket policy first; the object belongs to the bucket's owner and its ObjectCreated:Put
notifications go out as PutObject's do. `await keys(app, account, bucket, prefix)` lists the
current (not deleted) object keys under a prefix as ListObjectsV2 by `account` would (DynamoDB's
ImportTable).

Errors are S3's own AwsErrors, as GetObject answers them: NoSuchBucket, NoSuchKey (also
when the current version is a delete marker), NoSuchVersion, AccessDenied (another
account's bucket), and MethodNotAllowed for a version id that names a delete marker.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gureum.aws.errors import AwsError
from gureum.services.s3 import bodies, listing, model, notify, storage

if TYPE_CHECKING:
    from gureum.app import App


@dataclass(frozen=True)
class S3Object:
    """One object version as found; its bytes are read from the blob store on demand."""

    bucket: str
    key: str
    size: int
    etag: str
    version_id: str | None  # None in a bucket that was never versioned ("null" version)
    _app: App = field(repr=False, compare=False)
    _pieces: list[list[Any]] = field(repr=False, compare=False)

    def chunks(self) -> AsyncIterator[bytes]:
        """The body, streamed piece by piece."""
        return bodies.read(self._app, self._pieces)

    async def read(self) -> bytes:
        """The whole body (for small objects: code packages, environment files)."""
        return b"".join([chunk async for chunk in self.chunks()])


async def get(app: App, account: str, bucket: str, key: str, version: str | None = None) -> S3Object:
    """The object `key` of `bucket` (its version `version`, else the current one), as
    GetObject by `account` finds it; S3's errors as the module docstring lists them."""
    doc = await app.store.read(lambda t: model.get_object(t, bucket, account, key, version))
    if doc.get("dm"):
        if version:
            raise AwsError.modeled("s3", "MethodNotAllowed", "The specified method is not allowed against this resource.",
                                   Method="GET", ResourceType="DeleteMarker")
        raise AwsError.modeled("s3", "NoSuchKey", model.NO_SUCH_KEY, Key=key)
    vid = doc.get("vid")
    return S3Object(bucket, key, int(doc.get("size") or 0), str(doc.get("etag") or ""),
                    None if vid in (None, "null") else str(vid), app, list(doc.get("blobs") or []))


async def bucket_facts(app: App, bucket: str) -> tuple[str, str]:
    """(owner account, region) of `bucket`; NoSuchBucket when it does not exist."""
    doc = await app.store.read(lambda t: model.bucket(t, bucket))
    return str(doc["account"]), str(doc["region"])


async def put(app: App, bucket: str, key: str, data: bytes, *, content_type: str = "binary/octet-stream",
              content_encoding: str | None = None, principal: str = "") -> str:
    """Store `data` as the current version of `key` in `bucket` (for its owner); returns the
    ETag. NoSuchBucket when the bucket does not exist."""
    writer = await asyncio.to_thread(storage.blobs(app).writer)
    try:
        await asyncio.to_thread(writer.write, data)
        digest = await asyncio.to_thread(writer.commit)
    except BaseException:
        await asyncio.shield(asyncio.to_thread(writer.abort))
        raise
    stored = bodies.Stored(digest, writer.size, writer.md5_hex)
    obj: dict[str, Any] = {"key": key, "mtime": time.time(), "ctype": content_type, "meta": {},
                           "hdrs": {"ContentEncoding": content_encoding} if content_encoding else {}, "sc": "STANDARD",
                           "tags": {}, "size": stored.size, "etag": stored.etag, "blobs": stored.pieces, "cks": {},
                           "ckt": None}
    obj, b = await app.store.run(lambda t: model.put_object(t, bucket, str(model.bucket(t, bucket)["account"]), obj))
    notify.emit(app, b, "ObjectCreated:Put", key, obj=obj, version_id=obj["vid"], request_id="", principal=principal,
                source_ip="127.0.0.1")
    return stored.etag


async def keys(app: App, account: str, bucket: str, prefix: str, limit: int = 10000) -> list[str]:
    """The keys of `bucket`'s current objects under `prefix` (at most `limit`), in key order;
    NoSuchBucket, or AccessDenied for another account's bucket."""
    def run(t: Any) -> list[str]:
        model.bucket(t, bucket, account)
        page = listing.scan_keys(t, model.OBJECTS, bucket, prefix, "", None, limit, keep=lambda d: not d.get("dm"))
        return [k for k, _ in page.items]

    return await app.store.read(run)
