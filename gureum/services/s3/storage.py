"""S3's own blob store (`<data dir>/s3`): object bodies and multipart parts, content-addressed,
kept apart from other services' blobs so S3's collector (gc.py) only ever judges its own."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.blobs import BlobStore


def blobs(app: App) -> BlobStore:
    from gureum.blob_stores import open_store
    from gureum.services.s3.slots import BLOBS

    return app.parts.lazy(BLOBS, lambda: open_store(app, "s3"))
