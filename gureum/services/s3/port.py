"""S3's port for other services that read objects in-process (Lambda code packages named by
S3Bucket/S3Key, ECS environment files): `await get(app, account, bucket, key, version=None)`
finds the object as GetObject by `account` would (model.py's rules: the bucket must be
`account`'s) and gives an `S3Object` whose body streams from S3's blob pieces (bodies.py)
only when read.

Errors are S3's own AwsErrors, as GetObject answers them: NoSuchBucket, NoSuchKey (also
when the current version is a delete marker), NoSuchVersion, AccessDenied (another
account's bucket), and MethodNotAllowed for a version id that names a delete marker.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gureum.aws.errors import AwsError
from gureum.services.s3 import bodies, model

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
