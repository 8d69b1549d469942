"""Content-addressed blobs kept in PostgreSQL (`--set storage.blobs=postgres`), so nodes that
share one PostgreSQL store but no file system serve the same S3 objects, image layers and
function code. Same contract as `gureum.blobs.BlobStore` (it is one, by subclassing).

Tables (in the store's database, created on first use under an advisory lock):
- `gureum_blobs (ns, digest) -> size, mtime`: one row per committed blob; `ns` keeps each
  store apart (`blobs`, `s3`, `registry`) so each collector judges only its own digests.
- `gureum_blob_uploads (ns, id) -> size, mtime`: uploads in progress (resumable on any node).
- `gureum_blob_chunks (ns, owner, off) -> len, data`: the bytes, in chunks of at most 1 MiB,
  `owner` = `sha256:<hex>` for a blob, `upload:<id>` for an upload; `off` is the chunk's
  first byte, so a range read seeks by index, and `data` is stored uncompressed (EXTERNAL).

Invariants: a writer never holds more than one chunk in memory, hashing as it goes (sha256,
and md5 for S3 ETags); `flush()` writes its partial chunk, so another node's
`open_upload(id)` sees every byte written before it (and rebuilds the hashes by reading the
chunks back); `commit()` re-owns the upload's chunks to the digest in one transaction (no
copy), and a digest that already exists only gets its mtime refreshed, so a collector's
`delete(older_than=...)` never removes content committed inside its grace period.

`path(digest)` (for callers that need a file: Lambda code unpacking, image layers) writes the
blob, verified, into a local cache under `root` (the node's own directory) and returns it.
"""

from __future__ import annotations

import asyncio
import hashlib
import queue
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import psycopg

from gureum.blobs import ALGORITHM, BlobStore, BlobWriter, DigestMismatch, _fsync_dir, parse_digest

CHUNK = 1 << 20
SCHEMA_LOCK = 0x67757265756D + 2  # pg_advisory_xact_lock key for creating the blob tables

_SCHEMA = """
CREATE TABLE IF NOT EXISTS gureum_blobs (
  ns text COLLATE "C" NOT NULL, digest text COLLATE "C" NOT NULL,
  size bigint NOT NULL, mtime double precision NOT NULL, PRIMARY KEY (ns, digest));
CREATE TABLE IF NOT EXISTS gureum_blob_uploads (
  ns text COLLATE "C" NOT NULL, id text COLLATE "C" NOT NULL,
  size bigint NOT NULL, mtime double precision NOT NULL, PRIMARY KEY (ns, id));
CREATE TABLE IF NOT EXISTS gureum_blob_chunks (
  ns text COLLATE "C" NOT NULL, owner text COLLATE "C" NOT NULL, off bigint NOT NULL,
  len integer NOT NULL, data bytea NOT NULL, PRIMARY KEY (ns, owner, off));
ALTER TABLE gureum_blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL
"""


class _Pool:
    """A few autocommit connections, one borrowed per operation (any thread)."""

    def __init__(self, url: str, keep: int = 4) -> None:
        self.url = url
        self._idle: queue.LifoQueue[psycopg.Connection[Any]] = queue.LifoQueue()
        self._keep = keep
        self._ready = False

    @contextmanager
    def conn(self) -> Iterator[psycopg.Connection[Any]]:
        try:
            c = self._idle.get_nowait()
        except queue.Empty:
            c = psycopg.connect(self.url, autocommit=True, application_name="gureum-blobs")
        if not self._ready:
            with c.transaction():
                c.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
                for stmt in _SCHEMA.split(";"):
                    if stmt.strip():
                        c.execute(stmt)
            self._ready = True
        try:
            yield c
        except BaseException:
            c.close()
            raise
        if c.closed or c.broken or self._idle.qsize() >= self._keep:
            c.close()
        else:
            self._idle.put(c)

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


def _upload_owner(upload_id: str) -> str:
    return f"upload:{upload_id}"


class PgBlobWriter(BlobWriter):
    """One upload in progress, its bytes in `gureum_blob_chunks` (see the module docstring)."""

    store: PgBlobStore

    def __init__(self, store: PgBlobStore, upload_id: str, size: int = 0,
                 sha256: hashlib._Hash | None = None, md5: hashlib._Hash | None = None,
                 want_md5: bool = True) -> None:
        super().__init__(store, upload_id, Path(upload_id), size, sha256, md5, want_md5)
        self.stored = size  # bytes already in the database
        self._buf = bytearray()

    def __repr__(self) -> str:
        return f"PgBlobWriter({self.upload_id!r}, size={self.size})"

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError(f"upload {self.upload_id} is already committed or aborted")

    def write(self, data: bytes) -> None:
        self._check_open()
        if not data:
            return
        self._sha256.update(data)
        if self._md5 is not None:
            self._md5.update(data)
        self.size += len(data)
        view = memoryview(data)
        while view:
            take = min(CHUNK - len(self._buf), len(view))
            self._buf += view[:take]
            view = view[take:]
            if len(self._buf) >= CHUNK:
                self._write_chunk()

    def _write_chunk(self) -> None:
        if not self._buf:
            return
        s = self.store
        with s.pool.conn() as c, c.transaction():
            # An upload in progress need not wait for the WAL flush: commit()'s transaction
            # is synchronous and, the WAL being sequential, makes every chunk before it durable.
            c.execute("SET LOCAL synchronous_commit = off")
            cur = c.execute(
                "UPDATE gureum_blob_uploads SET size=%s, mtime=%s WHERE ns=%s AND id=%s AND size=%s",
                (self.stored + len(self._buf), time.time(), s.ns, self.upload_id, self.stored),
            )
            if cur.rowcount != 1:  # discarded, or written to by another node meanwhile
                raise KeyError(self.upload_id)
            c.execute(
                "INSERT INTO gureum_blob_chunks (ns, owner, off, len, data) VALUES (%s,%s,%s,%s,%b)",
                (s.ns, _upload_owner(self.upload_id), self.stored, len(self._buf), bytes(self._buf)),
            )
        self.stored += len(self._buf)
        self._buf.clear()

    def flush(self) -> None:
        """Write the partial chunk, so every node's open_upload() sees all bytes so far."""
        if not self.closed:
            self._write_chunk()

    def commit(self, expected: str | None = None) -> str:
        if expected is not None:
            parse_digest(expected)
        self._check_open()
        digest = self.digest
        if expected is not None and expected != digest:
            self.abort()
            raise DigestMismatch(expected, digest)
        self._write_chunk()
        s = self.store
        now = time.time()
        with s.pool.conn() as c, c.transaction():
            cur = c.execute(
                "INSERT INTO gureum_blobs (ns, digest, size, mtime) VALUES (%s,%s,%s,%s) ON CONFLICT DO NOTHING",
                (s.ns, digest, self.size, now),
            )
            owner = _upload_owner(self.upload_id)
            if cur.rowcount == 1:
                c.execute("UPDATE gureum_blob_chunks SET owner=%s WHERE ns=%s AND owner=%s", (digest, s.ns, owner))
            else:  # already stored: keep it, refresh its age for the collector
                c.execute("UPDATE gureum_blobs SET mtime=%s WHERE ns=%s AND digest=%s", (now, s.ns, digest))
                c.execute("DELETE FROM gureum_blob_chunks WHERE ns=%s AND owner=%s", (s.ns, owner))
            c.execute("DELETE FROM gureum_blob_uploads WHERE ns=%s AND id=%s", (s.ns, self.upload_id))
        self.closed = True
        self.store._forget(self)
        return digest

    def abort(self) -> None:
        self._buf.clear()
        self.closed = True
        self.store.discard_upload(self.upload_id)


class PgBlobStore(BlobStore):
    """Blobs in PostgreSQL under namespace `ns`; `root` is this node's cache for path()."""

    def __init__(self, url: str, ns: str, root: str | Path) -> None:
        super().__init__(root)
        self.ns = ns
        self.pool = _Pool(url)

    def __repr__(self) -> str:
        return f"PgBlobStore(ns={self.ns!r})"  # the URL may hold a password

    def _one(self, sql: str, args: tuple[Any, ...]) -> tuple[Any, ...] | None:
        with self.pool.conn() as c:
            return c.execute(sql, args).fetchone()

    # -- blobs --------------------------------------------------------------------------------

    def exists(self, digest: str) -> bool:
        return self.size(digest) is not None

    def size(self, digest: str) -> int | None:
        parse_digest(digest)
        row = self._one("SELECT size FROM gureum_blobs WHERE ns=%s AND digest=%s", (self.ns, digest))
        return None if row is None else int(row[0])

    def age_seconds(self, digest: str) -> float | None:
        parse_digest(digest)
        row = self._one("SELECT mtime FROM gureum_blobs WHERE ns=%s AND digest=%s", (self.ns, digest))
        return None if row is None else max(0.0, time.time() - float(row[0]))

    def touch(self, digest: str) -> bool:
        parse_digest(digest)
        with self.pool.conn() as c:
            cur = c.execute("UPDATE gureum_blobs SET mtime=%s WHERE ns=%s AND digest=%s", (time.time(), self.ns, digest))
            return cur.rowcount == 1

    def _chunks(self, owner: str, start: int, stop: int) -> Iterator[bytes]:
        """Bytes [start, stop) of `owner`'s chunks, one chunk per query (bounded memory)."""
        with self.pool.conn() as c:
            row = c.execute(
                "SELECT off FROM gureum_blob_chunks WHERE ns=%s AND owner=%s AND off<=%s ORDER BY off DESC LIMIT 1",
                (self.ns, owner, start),
            ).fetchone()
        off = 0 if row is None else int(row[0])
        while off < stop:
            with self.pool.conn() as c:
                row = c.execute(
                    "SELECT len, data FROM gureum_blob_chunks WHERE ns=%s AND owner=%s AND off=%s",
                    (self.ns, owner, off),
                    binary=True,  # bytea as bytes on the wire, not hex text
                ).fetchone()
            if row is None:
                return
            n, data = int(row[0]), bytes(row[1])
            lo, hi = max(start - off, 0), min(stop - off, n)
            if lo < hi:
                yield data[lo:hi]
            off += n

    def path(self, digest: str) -> Path:
        """A local file holding the blob (written, verified, into this node's cache on first
        use); a path that does not exist when the blob is absent."""
        dest = super().path(digest)
        size = self.size(digest)
        if size is None:  # absent (or collected since this node cached it)
            dest.unlink(missing_ok=True)
            return dest
        if dest.is_file():
            return dest
        tmp = self.uploads_dir / f"cache-{secrets.token_hex(8)}"
        h = hashlib.sha256()
        try:
            with open(tmp, "wb") as f:
                for data in self._chunks(digest, 0, size):
                    h.update(data)
                    f.write(data)
            if f"{ALGORITHM}:{h.hexdigest()}" != digest:
                raise DigestMismatch(digest, f"{ALGORITHM}:{h.hexdigest()}")
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp.replace(dest)
            _fsync_dir(dest.parent)
        finally:
            tmp.unlink(missing_ok=True)
        return dest

    def open(self, digest: str) -> BinaryIO:
        return open(self.path(digest), "rb")

    async def read(
        self, digest: str, start: int = 0, end: int | None = None, chunk: int = CHUNK
    ) -> AsyncIterator[bytes]:
        if start < 0 or (end is not None and end < 0) or chunk <= 0:
            raise ValueError("start, end and chunk must be non-negative (chunk positive)")
        size = await asyncio.to_thread(self.size, digest)
        if size is None:
            raise FileNotFoundError(digest)
        stop = size if end is None else min(end, size)
        if start >= stop:
            return
        it = self._chunks(digest, start, stop)
        while (data := await asyncio.to_thread(next, it, None)) is not None:
            for i in range(0, len(data), chunk):
                yield data[i : i + chunk]

    def delete(self, digest: str, *, older_than: float | None = None) -> bool:
        parse_digest(digest)
        cutoff = time.time() - older_than if older_than is not None else float("inf")
        with self.pool.conn() as c, c.transaction():
            cur = c.execute(
                "DELETE FROM gureum_blobs WHERE ns=%s AND digest=%s AND mtime<=%s", (self.ns, digest, cutoff)
            )
            if cur.rowcount != 1:
                return False
            c.execute("DELETE FROM gureum_blob_chunks WHERE ns=%s AND owner=%s", (self.ns, digest))
        super().path(digest).unlink(missing_ok=True)  # this node's cached copy
        return True

    def digests(self) -> Iterator[str]:
        with self.pool.conn() as c:
            rows = c.execute("SELECT digest FROM gureum_blobs WHERE ns=%s", (self.ns,)).fetchall()
        for (d,) in rows:
            yield str(d)

    # -- uploads -------------------------------------------------------------------------------

    def writer(self, md5: bool = True) -> PgBlobWriter:
        upload_id = secrets.token_hex(16)
        with self.pool.conn() as c:
            c.execute("INSERT INTO gureum_blob_uploads (ns, id, size, mtime) VALUES (%s,%s,0,%s)",
                      (self.ns, upload_id, time.time()))
        w = PgBlobWriter(self, upload_id, want_md5=md5)
        self._writers[upload_id] = w
        return w

    def open_upload(self, upload_id: str, md5: bool = True) -> PgBlobWriter:
        self._upload_path(upload_id)  # KeyError when malformed
        w = self._writers.get(upload_id)
        if w is not None and not w.closed:
            w.flush()
        row = self._one("SELECT size FROM gureum_blob_uploads WHERE ns=%s AND id=%s", (self.ns, upload_id))
        if row is None:
            self._writers.pop(upload_id, None)
            raise KeyError(upload_id)
        stored = int(row[0])
        if isinstance(w, PgBlobWriter) and not w.closed and w.size == stored:
            return w
        sha256 = hashlib.sha256()
        md5_hash = hashlib.md5(usedforsecurity=False) if md5 else None
        for data in self._chunks(_upload_owner(upload_id), 0, stored):
            sha256.update(data)
            if md5_hash is not None:
                md5_hash.update(data)
        pw = PgBlobWriter(self, upload_id, stored, sha256, md5_hash, want_md5=md5)
        self._writers[upload_id] = pw
        return pw

    def discard_upload(self, upload_id: str) -> bool:
        try:
            self._upload_path(upload_id)
        except KeyError:
            return False
        w = self._writers.pop(upload_id, None)
        if w is not None:
            w.closed = True
        with self.pool.conn() as c, c.transaction():
            cur = c.execute("DELETE FROM gureum_blob_uploads WHERE ns=%s AND id=%s", (self.ns, upload_id))
            c.execute("DELETE FROM gureum_blob_chunks WHERE ns=%s AND owner=%s", (self.ns, _upload_owner(upload_id)))
            return cur.rowcount == 1

    def expire_uploads(self, older_than_seconds: float) -> int:
        with self.pool.conn() as c:
            rows = c.execute("SELECT id FROM gureum_blob_uploads WHERE ns=%s AND mtime<=%s",
                             (self.ns, time.time() - older_than_seconds)).fetchall()
        return sum(1 for (upload_id,) in rows if self.discard_upload(str(upload_id)))


__all__ = ["PgBlobStore", "PgBlobWriter"]
