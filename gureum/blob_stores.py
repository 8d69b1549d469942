"""Which blob store a node opens (`open_store(app, name)`): files under `<blob_dir>/<name>`
(gureum/blobs.py), or with `storage.blobs=postgres` chunks in the PostgreSQL store
(gureum/blobs_pg.py). Kept apart from both so neither imports the other's choice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gureum.blobs import BlobStore

if TYPE_CHECKING:
    from gureum.app import App


def open_store(app: App, name: str) -> BlobStore:
    """The node's content-addressed store `name` (blobs, s3, registry): files under
    `<blob_dir>/<name>`, or with `storage.blobs=postgres` rows in the PostgreSQL store
    (namespace `name`; `<blob_dir>/<name>` a local cache, gureum/blobs_pg.py)."""
    from gureum.node_settings import StorageSettings

    if app.settings(StorageSettings).blobs == "postgres":
        url = app.config.state
        if not url.startswith(("postgresql:", "postgres:")):
            from gureum.settings import SettingError

            raise SettingError("setting storage.blobs=postgres needs a PostgreSQL store (--state postgresql://...)")
        from gureum.blobs_pg import PgBlobStore

        return PgBlobStore(url, name, app.blob_dir / name)
    return BlobStore(app.blob_dir / name)
