"""The registry engine: uploads, blobs and manifests over the store (state) and the
registry's blob store (bytes). Shared by the OCI HTTP adapter (http.py) and the ECR API
(api.py); it knows neither HTTP nor AWS envelopes.

One engine per node (`registry_of(app)`); the only in-memory state is a cache of open
upload writers (rebuilt from the blob store's persisted partial uploads on a miss) and
per-upload locks.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from gureum.services.ecr import model, oci, registry_policy
from gureum.services.ecr.model import scope_of
from gureum.services.ecr.settings import EcrSettings
from gureum.services.ecr.slots import REGISTRY

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.blobs import BlobStore, BlobWriter

log = logging.getLogger("gureum.ecr")
PIN_RETRY_SECONDS = 30.0


def registry_of(app: App) -> Registry:
    """The node's registry engine (created on first use)."""
    return app.parts.lazy(REGISTRY, lambda: Registry(app))


@dataclass(frozen=True)
class Scope:
    account: str
    region: str

    @property
    def key(self) -> str:
        return scope_of(self.account, self.region)


@dataclass
class ManifestRead:
    digest: str
    media_type: str
    size: int
    data: bytes
    subject: str | None = None


class Registry:
    def __init__(self, app: App) -> None:
        from gureum.blob_stores import open_store

        self.app = app
        self.settings: EcrSettings = app.settings(EcrSettings)
        # The registry's own content-addressed store: its collector may delete a digest
        # without asking other services (S3, Lambda) whether they hold the same bytes.
        self.blobs: BlobStore = open_store(app, "registry")
        self._locks: dict[str, asyncio.Lock] = {}
        self._secret: str | None = None
        # Set by the ECR component once the node runs: starts owned background tasks.
        self.spawn: Any = None

    @property
    def store(self) -> Any:
        return self.app.store

    async def secret(self) -> str:
        """The node-shared secret that signs registry passwords (see auth.py)."""
        if self._secret is None:
            from gureum.services.ecr import auth

            self._secret = await self.store.run(auth.secret_txn)
        return self._secret

    # --- uploads ---------------------------------------------------------------------
    def _lock(self, upload_id: str) -> asyncio.Lock:
        lock = self._locks.get(upload_id)
        if lock is None:
            lock = self._locks[upload_id] = asyncio.Lock()
        return lock

    def _writer(self, upload_id: str) -> BlobWriter:
        try:
            return self.blobs.open_upload(upload_id, md5=False)
        except KeyError:
            raise model.UploadNotFound(f"upload {upload_id} is unknown", {"uuid": upload_id}) from None

    def _new_writer(self) -> BlobWriter:
        return self.blobs.writer(md5=False)

    def _forget(self, upload_id: str) -> None:
        self._locks.pop(upload_id, None)

    async def start_upload(self, scope: Scope, name: str, api: str = "oci") -> str:
        now = model.now()
        writer = self._new_writer()
        upload_id = writer.upload_id

        def begin(txn: Any) -> None:
            model.ensure_repo(txn, scope.key, name, now, self.settings.create_on_push)
            model.start_upload(txn, upload_id, scope.key, name, now, api)

        try:
            await self.store.run(begin)
        except BaseException:
            _quietly(writer.abort)
            raise
        return upload_id

    async def upload_size(self, scope: Scope, name: str, upload_id: str) -> int:
        await self.store.read(lambda txn: model.get_upload(txn, upload_id, scope.key, name))
        return self._writer(upload_id).size

    async def append(
        self,
        scope: Scope,
        name: str,
        upload_id: str,
        chunks: AsyncIterable[bytes],
        start: int | None = None,
        length: int | None = None,
    ) -> int:
        """Append a chunk; `start` (from Content-Range) must equal the bytes received so
        far, else RangeMismatch (416 / InvalidLayerPartException). The session's
        `updatedAt` (what expiry looks at) is written only when an eighth of the upload TTL
        has passed since it was last written, not once per chunk."""
        doc = await self.store.read(lambda txn: model.get_upload(txn, upload_id, scope.key, name))
        async with self._lock(upload_id):
            writer = self._writer(upload_id)
            if start is not None and start != writer.size:
                raise RangeMismatch(writer.size)
            received = await write_stream(writer, chunks, length)
            if length is not None and received != length:
                raise oci.range_invalid("chunk is shorter than its Content-Range")
            size = writer.size
        now = model.now()
        if now - doc.get("updatedAt", 0) > self.settings.upload_ttl_seconds / 8:
            await self.store.run(lambda txn: model.touch_upload(txn, upload_id, now))
        return size

    async def finish(self, scope: Scope, name: str, upload_id: str, digest: str, chunks: AsyncIterable[bytes] | None = None) -> int:
        """Close an upload whose content must hash to `digest`; link the blob into the
        repository. On a mismatch nothing is stored and the session is gone."""
        await self.store.read(lambda txn: model.get_upload(txn, upload_id, scope.key, name))
        async with self._lock(upload_id):
            writer = self._writer(upload_id)
            if chunks is not None:
                await write_stream(writer, chunks)
            try:
                size = await self._commit(scope, name, writer, digest, session=upload_id)
            except oci.RegistryError:  # digest mismatch: the data is discarded, the session ends
                await self.store.run(lambda txn: model.end_upload(txn, upload_id))
                self._forget(upload_id)
                raise
        self._forget(upload_id)
        return size

    async def _commit(self, scope: Scope, name: str, writer: BlobWriter, digest: str, session: str | None = None) -> int:
        """Verify and store the writer's data as `digest` and link it into the repository;
        the upload `session` (if any) ends in the same transaction as the link."""
        from gureum.blobs import DigestMismatch

        pin_id = writer.upload_id
        await self._pin(digest, pin_id)
        try:
            try:
                await asyncio.to_thread(writer.commit, digest)
            except DigestMismatch:
                _quietly(writer.abort)
                raise oci.digest_invalid(digest=digest) from None
            size = writer.size
            now = model.now()

            def link(txn: Any) -> None:
                model.ensure_repo(txn, scope.key, name, now, self.settings.create_on_push)
                model.link_blob(txn, scope.key, name, digest, size, now)
                model.unpin(txn, digest, pin_id)
                if session is not None:
                    model.end_upload(txn, session)

            await self.store.run(link)
            return size
        except BaseException:
            await _unpin_quietly(self.store, digest, pin_id)
            raise

    async def _pin(self, digest: str, pin_id: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + PIN_RETRY_SECONDS
        while True:
            now = model.now()
            try:
                await self.store.run(lambda txn, t=now: model.pin(txn, digest, pin_id, t))
                return
            except model.Busy:
                if loop.time() > deadline:
                    raise
                await asyncio.sleep(0.05)

    async def cancel(self, scope: Scope, name: str, upload_id: str) -> None:
        await self.store.read(lambda txn: model.get_upload(txn, upload_id, scope.key, name))
        async with self._lock(upload_id):
            self.blobs.discard_upload(upload_id)
        await self.store.run(lambda txn: model.end_upload(txn, upload_id))
        self._forget(upload_id)

    async def upload_whole(self, scope: Scope, name: str, digest: str, chunks: AsyncIterable[bytes]) -> int:
        """A monolithic upload (POST ?digest=): stream to a writer, verify, link."""
        now = model.now()
        await self.store.run(lambda txn: model.ensure_repo(txn, scope.key, name, now, self.settings.create_on_push))
        writer = self._new_writer()
        try:
            await write_stream(writer, chunks)
        except BaseException:
            _quietly(writer.abort)
            raise
        return await self._commit(scope, name, writer, digest)

    async def mount(self, scope: Scope, name: str, digest: str, source: str | None) -> int | None:
        """Cross-repository mount within the account; the blob's size, or None (upload instead)."""
        now = model.now()

        def do(txn: Any) -> int | None:
            if registry_policy.setting(txn, scope.key, "BLOB_MOUNTING") == "DISABLED":
                return None  # the account turned blob mounting off: the client uploads instead
            src = source
            if not src:
                src = model.find_link_elsewhere(txn, scope.key, digest)
                if src is None:
                    return None
            if src == name:
                link = model.get_link(txn, scope.key, name, digest)
                return link["size"] if link else None
            found = model.mount_blob(txn, scope.key, name, digest, src, now, self.settings.create_on_push)
            return found["size"] if found else None

        size = await self.store.run(do)
        if size is not None and not self.blobs.exists(digest):
            return None
        return size

    async def expire_uploads(self) -> int:
        cutoff = model.now() - self.settings.upload_ttl_seconds
        stale = await self.store.read(lambda txn: model.stale_uploads(txn, cutoff))
        for upload_id in stale:
            async with self._lock(upload_id):
                _quietly(lambda u=upload_id: self.blobs.discard_upload(u))
                await self.store.run(lambda txn, u=upload_id: model.end_upload(txn, u))
                self._forget(upload_id)
        _quietly(lambda: self.blobs.expire_uploads(self.settings.upload_ttl_seconds))
        return len(stale)

    # --- blobs -------------------------------------------------------------------------
    async def blob_size(self, scope: Scope, name: str, digest: str, *, touch: bool = True) -> int:
        """The size of a blob the repository holds (BlobUnknown / RepositoryNotFound)."""

        def look(txn: Any) -> dict[str, Any] | None:
            model.require_repo(txn, scope.key, name)
            return model.get_link(txn, scope.key, name, digest)

        link = await self.store.read(look)
        now = model.now()
        stale = self.settings.gc_grace_seconds / 4
        if link is not None and touch and now - link.get("touched", 0) > stale:
            # Answer from the same transaction that refreshes the link, so the collector
            # cannot drop a link between telling a client "exists" and its manifest PUT.
            def look_and_touch(txn: Any) -> dict[str, Any] | None:
                model.touch_link(txn, scope.key, name, digest, now, stale)
                return look(txn)

            link = await self.store.run(look_and_touch)
        if link is None or not self.blobs.exists(digest):
            raise model.BlobUnknown("blob unknown to registry", {"digest": digest})
        return link["size"]

    async def open_blob(self, digest: str) -> BinaryIO:
        """The blob's file, open for reading (the HTTP adapter sends it with sendfile);
        BlobUnknown when the bytes are gone (collected since the link was read)."""
        try:
            return await asyncio.to_thread(self.blobs.open, digest)
        except FileNotFoundError:
            raise model.BlobUnknown("blob unknown to registry", {"digest": digest}) from None

    async def delete_blob(self, scope: Scope, name: str, digest: str) -> None:
        await self.store.run(lambda txn: model.delete_blob_link(txn, scope.key, name, digest))

    # --- manifests -------------------------------------------------------------------------
    async def put_manifest(
        self,
        scope: Scope,
        name: str,
        ref: str | None,
        data: bytes,
        content_type: str | None,
        *,
        put_image: bool = False,
        create: bool | None = None,
    ) -> tuple[oci.Manifest, dict[str, Any]]:
        m = oci.parse_manifest(data, content_type)
        tag: str | None = None
        if ref is not None and oci.is_digest(ref):
            if ref != m.digest:
                raise oci.digest_invalid("manifest digest does not match the reference", ref)
        elif ref is not None:
            tag = ref
        pin_id = "m-" + uuid.uuid4().hex
        await self._pin(m.digest, pin_id)
        try:
            if not self.blobs.exists(m.digest):
                await self.blobs.put_bytes(data)
            now = model.now()
            result = await self.store.run(
                lambda txn: model.put_manifest(
                    txn, scope.key, name, m, tag, now,
                    create=self.settings.create_on_push if create is None else create,
                    pin_id=pin_id, put_image=put_image,
                )
            )
        except BaseException:
            await _unpin_quietly(self.store, m.digest, pin_id)
            raise
        return m, result

    async def get_manifest(self, scope: Scope, name: str, ref: str, accept: list[str] | None = None, *,
                           record_pull: bool = True, body: bool = True) -> ManifestRead:
        """The manifest `ref` as the Accept list wants it. With `body=False` (a HEAD) the
        stored bytes are not read unless a conversion needs them (`data` is then b"")."""
        doc = await self.store.read(lambda txn: model.require_pullable(model.resolve(txn, scope.key, name, ref)))
        want = doc["mediaType"]
        if accept and not oci.is_digest(ref):
            chosen = oci.choose_media_type(doc["mediaType"], accept)
            if chosen is None:
                raise model.ImageNotFound(
                    f"manifest of media type {doc['mediaType']} does not match the accepted media types",
                    {"reference": ref},
                )
            want = chosen
        data = await self.read_bytes(doc["digest"]) if body or want != doc["mediaType"] else b""
        read = ManifestRead(doc["digest"], doc["mediaType"], doc["size"], data, doc.get("subject"))
        if want != doc["mediaType"]:
            converted = oci.convert_manifest(data, doc["mediaType"], want)
            if converted is not None:
                read = ManifestRead(oci.sha256_digest(converted), want, len(converted), converted, doc.get("subject"))
        if record_pull:
            await self.record_pull(scope, name, doc)
        return read

    async def manifest_record(self, scope: Scope, name: str, ref: str) -> dict[str, Any]:
        """The stored record of the pullable manifest `ref` (its digest and media type), for a
        puller inside this node (ECS tasks). Raises as get_manifest does."""
        return await self.store.read(lambda txn: model.require_pullable(model.resolve(txn, scope.key, name, ref)))

    def manifest_bytes(self, record: dict[str, Any]) -> tuple[bytes, str]:
        """The bytes and media type of the manifest `record` names (blocking: never on the loop)."""
        return self.blobs.path(record["digest"]).read_bytes(), record["mediaType"]

    async def record_pull(self, scope: Scope, name: str, doc: dict[str, Any]) -> None:
        """Note a pull of the image `doc` (lastRecordedPullTime), at most every few seconds."""
        now = model.now()
        every = self.settings.pull_record_seconds
        if doc.get("lastPull") is None or now - doc["lastPull"] > every:
            write = self.store.run(lambda txn: model.record_pull(txn, scope.key, name, doc["digest"], now, every))
            if self.spawn is not None:  # lastRecordedPullTime is bookkeeping: the pull does not wait
                self.spawn(write, "ecr record pull")
            else:
                await write

    async def read_bytes(self, digest: str) -> bytes:
        """A small blob (a manifest) whole, read in one step off the loop."""
        return await asyncio.to_thread(self._read_whole, digest)

    def _read_whole(self, digest: str) -> bytes:
        with self.blobs.open(digest) as f:
            return f.read()

    async def delete_manifest(self, scope: Scope, name: str, ref: str) -> None:
        if oci.is_digest(ref):
            await self.store.run(lambda txn: model.delete_manifest(txn, scope.key, name, ref))
        else:
            await self.store.run(lambda txn: model.untag(txn, scope.key, name, ref))


_BATCH = 1 << 20


async def write_stream(writer: BlobWriter, chunks: AsyncIterable[bytes], limit: int | None = None) -> int:
    """Append a stream to a writer; at most `limit` bytes (a longer body is a 416). Returns
    bytes written. Hashing and writing run off the event loop in ~1 MiB batches, one batch
    in flight while the next arrives (the sha256 is taken in the same pass as the write, and
    batches are written in order). The writer is flushed at the end (also when the client
    disconnects), so the next chunk can arrive through another node sharing the blob store."""
    received = 0
    buf: list[bytes] = []
    pending = 0
    writing: asyncio.Future[None] | None = None
    try:
        async for chunk in chunks:
            if not chunk:
                continue
            received += len(chunk)
            if limit is not None and received > limit:
                raise oci.range_invalid("chunk is longer than its Content-Range")
            buf.append(chunk)
            pending += len(chunk)
            if pending >= _BATCH:
                if writing is not None:
                    await writing
                writing = asyncio.ensure_future(asyncio.to_thread(_write_all, writer, buf))
                buf, pending = [], 0
    except ConnectionError:
        # Keep what arrived: the client resumes from the upload's Range.
        if writing is not None:
            await writing
        if buf:
            await asyncio.to_thread(_write_all, writer, buf)
        await asyncio.to_thread(writer.flush)
        raise
    except BaseException:
        await _settle(writing)  # the writer is the caller's again only once no thread uses it
        raise
    if writing is not None:
        await writing
    if buf:
        await asyncio.to_thread(_write_all, writer, buf)
    await asyncio.to_thread(writer.flush)
    return received


async def _settle(writing: asyncio.Future[None] | None) -> None:
    """Wait for a batch in flight to end, whatever its outcome (cleanup before a re-raise)."""
    if writing is not None:
        await asyncio.wait([writing])
        if not writing.cancelled():
            writing.exception()  # retrieved: a failed write is reported by the error in hand


def _write_all(writer: BlobWriter, chunks: list[bytes]) -> None:
    for c in chunks:
        writer.write(c)


class RangeMismatch(Exception):
    """A chunk did not start where the upload ends."""

    def __init__(self, size: int) -> None:
        super().__init__(f"upload is at {size} bytes")
        self.size = size


def _quietly(fn: Any) -> None:
    """Cleanup after a failure: must not mask the real error (logged instead)."""
    try:
        fn()
    except Exception:
        log.warning("cleanup failed", exc_info=True)


async def _unpin_quietly(store: Any, digest: str, pin_id: str) -> None:
    """Drop a pin after a failed write (a leftover pin only delays collection of `digest`)."""
    try:
        await store.run(lambda txn: model.unpin(txn, digest, pin_id))
    except Exception:
        log.warning("could not unpin %s", digest, exc_info=True)
