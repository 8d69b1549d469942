"""Content-addressed blob files: image layers, function code, S3 object bodies.

A blob lives at `<root>/sha256/<first 2 hex>/<64 hex>` and is named by its digest
`sha256:<64 hex>`. Data arrives through a `BlobWriter` appending to `<root>/uploads/<id>`
(hashing sha256 and md5 as it goes, never holding the whole blob in memory); `commit()`
fsyncs and atomically renames it into place, so a crash never leaves a partial blob under a
digest. Every WRITEBACK_BYTES written, the writer asks the kernel to start writing them to
disk (gureum/writeback.py), so the fsync at commit has little left to do. Uploads persist across restarts and can be resumed with `open_upload(id)`.

Garbage collection is the caller's job (only the store knows which digests are referenced):
list `digests()`, and delete unreferenced blobs whose `age_seconds()` exceeds a grace period
longer than any upload-to-reference window. Committing content that already exists touches
the blob, so a re-upload restarts its grace period.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import secrets
import time
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from pathlib import Path
from typing import BinaryIO

ALGORITHM = "sha256"
_DIGEST_RE = re.compile(r"sha256:([0-9a-f]{64})")
_HEX_RE = re.compile(r"[0-9a-f]{64}")
_UPLOAD_RE = re.compile(r"[0-9a-f]{32}")
WRITEBACK_BYTES = 4 << 20
_READ_CHUNK = 1 << 20
_STREAM_BATCH = 1 << 20  # put_stream hands the writer thread at most this much at a time


class DigestMismatch(Exception):
    """The data's digest is not the one the client promised (nothing was stored)."""

    def __init__(self, expected: str, actual: str) -> None:
        super().__init__(f"digest mismatch: expected {expected}, got {actual}")
        self.expected = expected
        self.actual = actual


def parse_digest(digest: str) -> str:
    """The hex part of a `sha256:<64 lowercase hex>` digest; ValueError otherwise."""
    m = _DIGEST_RE.fullmatch(digest) if isinstance(digest, str) else None
    if m is None:
        raise ValueError(f"malformed digest {digest!r} (want sha256:<64 lowercase hex>)")
    return m.group(1)


def digest_bytes(data: bytes) -> str:
    return f"{ALGORITHM}:{hashlib.sha256(data).hexdigest()}"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class BlobWriter:
    """One upload in progress: append with write(), then commit() or abort().

    Not thread-safe: one writer at a time per upload (the methods are blocking file I/O:
    on the event loop, run them in a thread)."""

    def __init__(self, store: BlobStore, upload_id: str, path: Path, size: int = 0,
                 sha256: hashlib._Hash | None = None, md5: hashlib._Hash | None = None,
                 want_md5: bool = True) -> None:
        self.store = store
        self.upload_id = upload_id
        self.path = path
        self.size = size
        self._sha256 = sha256 or hashlib.sha256()
        # md5 only where callers need it (S3 ETags): it is the slowest hash on large blobs.
        self._md5 = md5 if md5 is not None else (hashlib.md5(usedforsecurity=False) if want_md5 else None)
        self._file: BinaryIO | None = None
        self._written_back = size  # bytes before this offset have had writeback started
        self.closed = False

    def __repr__(self) -> str:
        return f"BlobWriter({self.upload_id!r}, size={self.size})"

    def _fh(self) -> BinaryIO:
        if self.closed:
            raise ValueError(f"upload {self.upload_id} is already committed or aborted")
        if self._file is None:  # kept open across write()s; closed by flush/commit/abort
            self._file = open(self.path, "ab")  # noqa: SIM115
        return self._file

    def write(self, data: bytes) -> None:
        if not data:
            return
        f = self._fh()
        f.write(data)
        self._sha256.update(data)
        if self._md5 is not None:
            self._md5.update(data)
        self.size += len(data)
        if self.size - self._written_back >= WRITEBACK_BYTES:
            from gureum import writeback

            f.flush()
            writeback.start(f.fileno(), self._written_back, self.size - self._written_back)
            self._written_back = self.size

    def flush(self) -> None:
        """Push written data to the OS (so open_upload() elsewhere sees it) and release the file."""
        if self._file is not None:
            self._file.close()
            self._file = None

    @property
    def digest(self) -> str:
        return f"{ALGORITHM}:{self._sha256.hexdigest()}"

    @property
    def md5_hex(self) -> str:
        if self._md5 is None:
            raise ValueError("this upload was opened without md5")
        return self._md5.hexdigest()

    def commit(self, expected: str | None = None) -> str:
        """Make the data a blob: fsync, verify, rename into place; returns its digest.

        On DigestMismatch the partial data is discarded. Committing content that is already
        stored succeeds (and refreshes the blob's mtime)."""
        if expected is not None:
            parse_digest(expected)
        f = self._fh()
        digest = self.digest
        if expected is not None and expected != digest:
            self.abort()
            raise DigestMismatch(expected, digest)
        dest = self.store.path(digest)
        try:
            os.utime(dest)  # already stored: keep it, refresh its age for the collector
        except FileNotFoundError:
            f.flush()
            os.fsync(f.fileno())
            self.flush()
            if not dest.parent.is_dir():
                dest.parent.mkdir(parents=True, exist_ok=True)
                _fsync_dir(dest.parent.parent)
            os.chmod(self.path, 0o444)
            os.replace(self.path, dest)  # atomic; a concurrent identical commit is harmless
            _fsync_dir(dest.parent)
        else:
            self.flush()
            os.unlink(self.path)
        self.closed = True
        self.store._forget(self)
        return digest

    def abort(self) -> None:
        """Discard the upload (idempotent)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        self.closed = True
        self.store._forget(self)


class BlobStore:
    """Content-addressed files under `root`; see the module docstring."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.blobs_dir = self.root / ALGORITHM
        self.uploads_dir = self.root / "uploads"
        self.blobs_dir.mkdir(parents=True, exist_ok=True)
        self.uploads_dir.mkdir(parents=True, exist_ok=True)
        self._writers: dict[str, BlobWriter] = {}  # uploads open in this process (hash state)

    def __repr__(self) -> str:
        return f"BlobStore({str(self.root)!r})"

    # -- blobs --------------------------------------------------------------------------------

    def path(self, digest: str) -> Path:
        hex_ = parse_digest(digest)
        return self.blobs_dir / hex_[:2] / hex_

    def exists(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def size(self, digest: str) -> int | None:
        try:
            return self.path(digest).stat().st_size
        except FileNotFoundError:
            return None

    def age_seconds(self, digest: str) -> float | None:
        """Seconds since the blob was last written or touched; None when absent."""
        try:
            return max(0.0, time.time() - self.path(digest).stat().st_mtime)
        except FileNotFoundError:
            return None

    def touch(self, digest: str) -> bool:
        """Mark the blob as freshly used (restarts its GC grace period); False when absent."""
        try:
            os.utime(self.path(digest))
            return True
        except FileNotFoundError:
            return False

    def open(self, digest: str) -> BinaryIO:
        return open(self.path(digest), "rb")

    async def read(
        self, digest: str, start: int = 0, end: int | None = None, chunk: int = _READ_CHUNK
    ) -> AsyncIterator[bytes]:
        """Yield bytes [start, end) of the blob (end clamped to the size); file I/O runs off
        the loop. FileNotFoundError (at the first iteration) when absent."""
        if start < 0 or (end is not None and end < 0) or chunk <= 0:
            raise ValueError("start, end and chunk must be non-negative (chunk positive)")
        f = await asyncio.to_thread(self.open, digest)
        try:
            size = os.fstat(f.fileno()).st_size
            stop = size if end is None else min(end, size)
            pos = start
            if pos < stop:
                await asyncio.to_thread(f.seek, pos)
            while pos < stop:
                data = await asyncio.to_thread(f.read, min(chunk, stop - pos))
                if not data:
                    return
                pos += len(data)
                yield data
        finally:
            f.close()

    def delete(self, digest: str, *, older_than: float | None = None) -> bool:
        """Delete the blob; with `older_than`, only if it is at least that many seconds old."""
        p = self.path(digest)
        try:
            if older_than is not None and time.time() - p.stat().st_mtime < older_than:
                return False
            os.unlink(p)
            return True
        except FileNotFoundError:
            return False

    def digests(self) -> Iterator[str]:
        """Every stored blob's digest (for garbage collection), in no particular order."""
        try:
            shards = os.scandir(self.blobs_dir)
        except FileNotFoundError:
            return
        with shards:
            for shard in shards:
                if len(shard.name) != 2 or not shard.is_dir():
                    continue
                with os.scandir(shard.path) as files:
                    for entry in files:
                        if _HEX_RE.fullmatch(entry.name) and entry.name.startswith(shard.name):
                            yield f"{ALGORITHM}:{entry.name}"

    # -- uploads -------------------------------------------------------------------------------

    def writer(self, md5: bool = True) -> BlobWriter:
        """Start a new upload (persisted under uploads/ until committed, aborted or expired);
        `md5=False` skips the md5 hash for callers that need only the sha256 digest."""
        upload_id = secrets.token_hex(16)
        path = self.uploads_dir / upload_id
        path.touch(exist_ok=False)
        w = BlobWriter(self, upload_id, path, want_md5=md5)
        self._writers[upload_id] = w
        return w

    def _upload_path(self, upload_id: str) -> Path:
        if not isinstance(upload_id, str) or not _UPLOAD_RE.fullmatch(upload_id):
            raise KeyError(upload_id)
        return self.uploads_dir / upload_id

    def open_upload(self, upload_id: str, md5: bool = True) -> BlobWriter:
        """Reopen an upload by id; KeyError if unknown. In the process that started it this is
        cheap; after a restart the hash state is rebuilt by re-reading the partial data."""
        path = self._upload_path(upload_id)
        w = self._writers.get(upload_id)
        if w is not None and not w.closed:
            w.flush()
        try:
            on_disk = path.stat().st_size
        except FileNotFoundError:
            self._writers.pop(upload_id, None)
            raise KeyError(upload_id) from None
        if w is not None and not w.closed and w.size == on_disk:
            return w
        sha256 = hashlib.sha256()
        md5_hash = hashlib.md5(usedforsecurity=False) if md5 else None
        size = 0
        with open(path, "rb") as f:
            while data := f.read(_READ_CHUNK):
                sha256.update(data)
                if md5_hash is not None:
                    md5_hash.update(data)
                size += len(data)
        w = BlobWriter(self, upload_id, path, size, sha256, md5_hash, want_md5=md5)
        self._writers[upload_id] = w
        return w

    def discard_upload(self, upload_id: str) -> bool:
        try:
            path = self._upload_path(upload_id)
        except KeyError:
            return False
        w = self._writers.pop(upload_id, None)
        if w is not None:
            w.flush()
            w.closed = True
        try:
            os.unlink(path)
            return True
        except FileNotFoundError:
            return False

    def expire_uploads(self, older_than_seconds: float) -> int:
        """Discard uploads idle (not written to) for at least `older_than_seconds`."""
        cutoff = time.time() - older_than_seconds
        n = 0
        with os.scandir(self.uploads_dir) as entries:
            for entry in entries:
                try:
                    if entry.stat().st_mtime <= cutoff and self.discard_upload(entry.name):
                        n += 1
                except FileNotFoundError:
                    pass
        return n

    def _forget(self, w: BlobWriter) -> None:
        if self._writers.get(w.upload_id) is w:
            del self._writers[w.upload_id]

    # -- whole blobs ---------------------------------------------------------------------------

    async def put_bytes(self, data: bytes, expected: str | None = None) -> str:
        def put() -> str:
            w = self.writer()
            try:
                w.write(data)
                return w.commit(expected)
            except BaseException:
                w.abort()
                raise

        if expected is not None:
            parse_digest(expected)
        return await asyncio.to_thread(put)

    async def put_stream(
        self, chunks: AsyncIterable[bytes], expected: str | None = None
    ) -> tuple[str, int]:
        """Store a stream; returns (digest, size). DigestMismatch (nothing stored) when the
        data does not hash to `expected`. Writes and hashing run off the loop in ~1 MiB steps."""
        if expected is not None:
            parse_digest(expected)
        w = await asyncio.to_thread(self.writer)
        try:
            buf: list[bytes] = []
            pending = 0
            async for data in chunks:
                if not data:
                    continue
                buf.append(bytes(data))
                pending += len(data)
                if pending >= _STREAM_BATCH:
                    await asyncio.to_thread(_write_all, w, buf)
                    buf, pending = [], 0
            if buf:
                await asyncio.to_thread(_write_all, w, buf)
            digest = await asyncio.to_thread(w.commit, expected)
            return digest, w.size
        except BaseException:
            await asyncio.shield(asyncio.to_thread(w.abort))
            raise


def _write_all(w: BlobWriter, chunks: list[bytes]) -> None:
    for c in chunks:
        w.write(c)


__all__ = ["BlobStore", "BlobWriter", "DigestMismatch", "digest_bytes", "parse_digest"]
