"""gureum.blobs_pg: blobs in PostgreSQL keep BlobStore's contract, and two stores on one
database with separate local directories (two nodes, no shared file system) see the same
blobs and resume each other's uploads."""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from gureum.blobs import DigestMismatch
from gureum.blobs_pg import PgBlobStore


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


async def collect(it) -> bytes:
    return b"".join([c async for c in it])


@pytest.fixture
def two(pg_database: str, tmp_path: Path) -> Iterator[tuple[PgBlobStore, PgBlobStore]]:
    a = PgBlobStore(pg_database, "t", tmp_path / "a")
    b = PgBlobStore(pg_database, "t", tmp_path / "b")
    yield a, b
    for s in (a, b):
        for d in list(s.digests()):
            s.delete(d)
        s.expire_uploads(-1)
        s.pool.close()


def test_a_blob_put_on_one_node_is_read_on_the_other(two) -> None:
    a, b = two
    data = os.urandom(3 * 1024 * 1024 + 17)  # several chunks and a partial one
    digest = asyncio.run(a.put_bytes(data))
    assert digest == sha(data)
    assert b.exists(digest) and b.size(digest) == len(data)
    assert asyncio.run(collect(b.read(digest))) == data
    assert asyncio.run(collect(b.read(digest, 1024 * 1024 - 5, 2 * 1024 * 1024 + 9, chunk=1000))) == data[1024 * 1024 - 5 : 2 * 1024 * 1024 + 9]
    assert b.path(digest).read_bytes() == data  # a verified copy in b's own directory
    assert b.path(digest).is_relative_to(b.root)


@pytest.mark.parametrize(("start", "end"), [(0, None), (0, 0), (5, 6), (9999, None), (10000, None), (123, 20000)])
def test_ranges_yield_start_to_end_exclusive(two, start: int, end: int | None) -> None:
    a, _ = two
    data = os.urandom(10000)
    digest = asyncio.run(a.put_bytes(data))
    assert asyncio.run(collect(a.read(digest, start, end, chunk=1000))) == data[start:end]


def test_absent_blobs_and_the_empty_blob(two) -> None:
    a, b = two
    missing = sha(b"never stored")
    assert not a.exists(missing) and a.size(missing) is None and a.age_seconds(missing) is None
    with pytest.raises(FileNotFoundError):
        asyncio.run(collect(a.read(missing)))
    assert not a.path(missing).exists()
    empty = asyncio.run(a.put_bytes(b""))
    assert b.size(empty) == 0 and asyncio.run(collect(b.read(empty))) == b""


def test_an_upload_started_on_one_node_resumes_on_the_other(two) -> None:
    a, b = two
    first, second, third = os.urandom(1500 * 1024), os.urandom(700), os.urandom(2 * 1024 * 1024)
    w = a.writer()
    w.write(first)
    w.flush()  # what a request handler does once its chunk is in
    on_b = b.open_upload(w.upload_id)
    assert on_b.size == len(first)
    on_b.write(second)
    on_b.flush()
    back_on_a = a.open_upload(w.upload_id)  # a's writer is stale: rebuilt from the database
    assert back_on_a.size == len(first) + len(second)
    back_on_a.write(third)
    whole = first + second + third
    assert back_on_a.md5_hex == hashlib.md5(whole).hexdigest()
    assert back_on_a.commit(sha(whole)) == sha(whole)
    assert asyncio.run(collect(b.read(sha(whole)))) == whole
    with pytest.raises(KeyError):
        b.open_upload(w.upload_id)


def test_a_digest_mismatch_stores_nothing(two) -> None:
    a, b = two
    w = a.writer()
    w.write(b"some bytes")
    with pytest.raises(DigestMismatch):
        w.commit(sha(b"other bytes"))
    assert list(b.digests()) == []
    with pytest.raises(KeyError):
        b.open_upload(w.upload_id)


def test_concurrent_writers_of_the_same_content_on_two_nodes_store_it_once(two) -> None:
    a, b = two
    data = os.urandom(2 * 1024 * 1024)
    results: list[str] = []
    barrier = threading.Barrier(6)

    def write(store: PgBlobStore) -> None:
        w = store.writer()
        for i in range(0, len(data), 65536):
            w.write(data[i : i + 65536])
        barrier.wait()
        results.append(w.commit(sha(data)))

    threads = [threading.Thread(target=write, args=(s,)) for s in (a, b) * 3]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [sha(data)] * 6
    assert list(a.digests()) == [sha(data)]
    assert asyncio.run(collect(b.read(sha(data)))) == data
    with psycopg.connect(a.pool.url) as c:
        assert c.execute("SELECT count(*) FROM gureum_blob_uploads").fetchone() == (0,)
        assert c.execute("SELECT sum(len) FROM gureum_blob_chunks").fetchone() == (len(data),)


def test_streaming_30_mb_does_not_grow_memory(two) -> None:
    a, b = two
    chunk = 64 * 1024
    total = 30 * 1024 * 1024
    base = os.urandom(chunk)
    expected = hashlib.sha256()

    async def source():
        for i in range(total // chunk):
            data = i.to_bytes(8, "big") + base[8:]
            expected.update(data)
            yield data

    tracemalloc.start()
    try:
        digest, size = asyncio.run(a.put_stream(source()))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size == total and digest == "sha256:" + expected.hexdigest()
    assert peak < 8 * 1024 * 1024, f"peak traced memory {peak / 2**20:.1f} MiB while streaming 30 MiB in"

    async def read_back() -> str:
        h = hashlib.sha256()
        async for c in b.read(digest):
            h.update(c)
        return "sha256:" + h.hexdigest()

    tracemalloc.start()
    try:
        assert asyncio.run(read_back()) == digest
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, f"peak traced memory {peak / 2**20:.1f} MiB while streaming 30 MiB out"


def test_guarded_delete_namespaces_and_expiry(two, pg_database: str, tmp_path: Path) -> None:
    a, b = two
    d = asyncio.run(a.put_bytes(b"layer"))
    other = PgBlobStore(pg_database, "other", tmp_path / "o")
    try:
        assert not other.exists(d) and list(other.digests()) == []  # each namespace its own
    finally:
        other.pool.close()
    assert b.delete(d, older_than=60) is False  # too young to collect
    with psycopg.connect(a.pool.url, autocommit=True) as c:
        c.execute("UPDATE gureum_blobs SET mtime = mtime - 3600")
    assert (b.age_seconds(d) or 0) > 3000
    assert asyncio.run(a.put_bytes(b"layer")) == d  # re-upload refreshes the age
    assert b.delete(d, older_than=60) is False
    with psycopg.connect(a.pool.url, autocommit=True) as c:
        c.execute("UPDATE gureum_blobs SET mtime = mtime - 3600")
    a.path(d)  # a cached copy on a
    assert b.delete(d, older_than=60) is True
    assert not a.exists(d) and list(a.digests()) == []
    w = a.writer()
    w.write(b"abandoned")
    w.flush()
    assert b.expire_uploads(3600) == 0
    assert b.expire_uploads(-1) == 1
    with pytest.raises(KeyError):
        a.open_upload(w.upload_id)


def test_storage_blobs_names_a_backend_and_postgres_needs_a_postgres_store(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from gureum.blob_stores import open_store
    from gureum.blobs import BlobStore
    from gureum.node_settings import StorageSettings
    from gureum.settings import SettingError, SettingsCache

    with pytest.raises(SettingError, match="storage.blobs"):
        StorageSettings(blobs="nfs")

    def app(blobs: str, state: str) -> SimpleNamespace:
        values = {"storage.blobs": blobs}
        return SimpleNamespace(settings=SettingsCache(values.get), blob_dir=tmp_path, config=SimpleNamespace(state=state))

    assert type(open_store(app("dir", "sqlite:///x.db"), "s3")) is BlobStore  # type: ignore[arg-type]
    with pytest.raises(SettingError, match="needs a PostgreSQL store"):
        open_store(app("postgres", f"sqlite:///{tmp_path}/state.db"), "s3")  # type: ignore[arg-type]
