"""gureum.blobs: content-addressed files, streamed, verified, atomic, resumable."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
import threading
import time
import tracemalloc
from pathlib import Path

import pytest

from gureum.blobs import BlobStore, DigestMismatch, digest_bytes


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@pytest.fixture
def blobs(tmp_path: Path) -> BlobStore:
    return BlobStore(tmp_path / "blobs")


def uploads(blobs: BlobStore) -> list[str]:
    return sorted(os.listdir(blobs.root / "uploads"))


async def collect(it) -> bytes:
    return b"".join([c async for c in it])


def test_put_bytes_stores_the_blob_under_its_digest(blobs: BlobStore) -> None:
    data = b"hello blobs"
    digest = asyncio.run(blobs.put_bytes(data))
    assert digest == sha(data) == digest_bytes(data)
    hex_ = digest.split(":")[1]
    assert blobs.path(digest) == blobs.root / "sha256" / hex_[:2] / hex_
    assert blobs.exists(digest) and blobs.size(digest) == len(data)
    with blobs.open(digest) as f:
        assert f.read() == data
    assert list(blobs.digests()) == [digest]
    assert uploads(blobs) == []


def test_the_empty_blob_is_a_blob(blobs: BlobStore) -> None:
    digest = asyncio.run(blobs.put_bytes(b""))
    assert digest == sha(b"") and blobs.size(digest) == 0


@pytest.mark.parametrize(
    "bad",
    ["", "sha256:", "sha256:abc", "sha512:" + "0" * 128, "sha256:" + "A" * 64, "sha256:" + "g" * 64,
     "sha256:" + "0" * 64 + "\n", "sha256:../../" + "0" * 58, "0" * 64],
)
def test_a_malformed_digest_is_a_value_error(blobs: BlobStore, bad: str) -> None:
    with pytest.raises(ValueError):
        blobs.path(bad)
    with pytest.raises(ValueError):
        blobs.exists(bad)


def test_absent_blobs(blobs: BlobStore) -> None:
    d = sha(b"nope")
    assert not blobs.exists(d) and blobs.size(d) is None and blobs.age_seconds(d) is None
    assert blobs.delete(d) is False and blobs.touch(d) is False
    with pytest.raises(FileNotFoundError):
        blobs.open(d)
    with pytest.raises(FileNotFoundError):
        asyncio.run(collect(blobs.read(d)))


def test_streaming_50_mb_does_not_grow_memory(blobs: BlobStore) -> None:
    chunk = 64 * 1024
    total = 50 * 1024 * 1024
    base = os.urandom(chunk)
    expected = hashlib.sha256()

    async def source():
        for i in range(total // chunk):
            data = i.to_bytes(8, "big") + base[8:]
            expected.update(data)
            yield data
            await asyncio.sleep(0)  # real time: a source that gives the loop a turn per chunk, as a socket does

    async def main():
        return await blobs.put_stream(source())

    tracemalloc.start()
    try:
        digest, size = asyncio.run(main())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size == total and digest == "sha256:" + expected.hexdigest()
    assert blobs.size(digest) == total
    assert peak < 8 * 1024 * 1024, f"peak traced memory {peak / 2**20:.1f} MiB while streaming 50 MiB"

    tracemalloc.start()
    try:
        async def read_back() -> str:
            h = hashlib.sha256()
            async for c in blobs.read(digest):
                h.update(c)
            return "sha256:" + h.hexdigest()

        assert asyncio.run(read_back()) == digest
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024


def test_a_digest_mismatch_stores_nothing(blobs: BlobStore) -> None:
    data = b"x" * 100_000
    wrong = sha(b"something else")

    async def source():
        for i in range(0, len(data), 4096):
            yield data[i : i + 4096]

    with pytest.raises(DigestMismatch) as e:
        asyncio.run(blobs.put_stream(source(), expected=wrong))
    assert e.value.expected == wrong and e.value.actual == sha(data)
    assert not blobs.exists(wrong) and not blobs.exists(sha(data))
    assert list(blobs.digests()) == [] and uploads(blobs) == []

    with pytest.raises(DigestMismatch):
        asyncio.run(blobs.put_bytes(data, expected=wrong))
    w = blobs.writer()
    w.write(data)
    with pytest.raises(DigestMismatch):
        w.commit(wrong)
    assert list(blobs.digests()) == [] and uploads(blobs) == []
    with pytest.raises(KeyError):
        blobs.open_upload(w.upload_id)


def test_a_failing_source_stores_nothing(blobs: BlobStore) -> None:
    async def source():
        yield b"a" * 1000
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        asyncio.run(blobs.put_stream(source()))
    assert list(blobs.digests()) == [] and uploads(blobs) == []


def test_put_stream_with_the_right_expected_digest(blobs: BlobStore) -> None:
    async def source():
        yield b"abc"
        yield bytearray(b"def")
        yield memoryview(b"ghi")

    assert asyncio.run(blobs.put_stream(source(), expected=sha(b"abcdefghi"))) == (sha(b"abcdefghi"), 9)


def test_a_writer_hashes_sha256_and_md5_incrementally(blobs: BlobStore) -> None:
    w = blobs.writer()
    parts = [b"part one,", b"", b"part two", os.urandom(3000)]
    for p in parts:
        w.write(p)
    data = b"".join(parts)
    assert w.size == len(data) and w.digest == sha(data)
    assert w.md5_hex == hashlib.md5(data).hexdigest()
    assert w.commit() == sha(data)
    assert blobs.open(sha(data)).read() == data
    w.abort()  # after commit: harmless
    assert blobs.exists(sha(data))


def test_an_upload_resumes_after_a_restart(tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    first = BlobStore(tmp_path / "b")
    w = first.writer()
    w.write(data[:1_000_000])
    w.flush()
    upload_id = w.upload_id
    assert (tmp_path / "b" / "uploads" / upload_id).stat().st_size == 1_000_000

    again = BlobStore(tmp_path / "b")  # a new process: hash state rebuilt from the file
    w2 = again.open_upload(upload_id)
    assert w2.upload_id == upload_id and w2.size == 1_000_000
    assert w2.digest == sha(data[:1_000_000])
    w2.write(data[1_000_000:2_000_000])
    same = again.open_upload(upload_id)  # same process: no re-read needed, same state
    assert same.size == 2_000_000
    same.write(data[2_000_000:])
    assert same.md5_hex == hashlib.md5(data).hexdigest()
    assert same.commit(sha(data)) == sha(data)
    assert again.open(sha(data)).read() == data
    with pytest.raises(KeyError):
        again.open_upload(upload_id)


@pytest.mark.parametrize("bad", ["nope", "../sha256", "0" * 31, "", "0" * 32])
def test_unknown_uploads_are_key_errors(blobs: BlobStore, bad: str) -> None:
    with pytest.raises(KeyError):
        blobs.open_upload(bad)
    assert blobs.discard_upload(bad) is False


def test_discard_and_expire_uploads(blobs: BlobStore) -> None:
    a, b, c = blobs.writer(), blobs.writer(), blobs.writer()
    a.write(b"a")
    b.write(b"b")
    assert blobs.discard_upload(a.upload_id) is True
    assert blobs.discard_upload(a.upload_id) is False
    old = time.time() - 3600
    os.utime(blobs.uploads_dir / b.upload_id, (old, old))
    assert blobs.expire_uploads(600) == 1
    assert uploads(blobs) == [c.upload_id]
    with pytest.raises(KeyError):
        blobs.open_upload(b.upload_id)
    with pytest.raises(ValueError):
        b.write(b"more")  # the expired writer is closed


@pytest.mark.parametrize(
    "start,end", [(0, None), (0, 0), (5, 6), (0, 10), (1000, 5000), (9999, None), (10000, None), (12345, None),
                  (0, 10**9), (4096, 8192), (4095, 8193), (3, 2)]
)
def test_ranges_yield_start_to_end_exclusive(blobs: BlobStore, start: int, end: int | None) -> None:
    data = os.urandom(10000)
    digest = asyncio.run(blobs.put_bytes(data))
    assert asyncio.run(collect(blobs.read(digest, start, end, chunk=1000))) == data[start:end]


def test_concurrent_writers_of_the_same_content_store_it_once(blobs: BlobStore) -> None:
    data = os.urandom(2 * 1024 * 1024)
    results: list[str] = []
    barrier = threading.Barrier(8)

    def write() -> None:
        w = blobs.writer()
        for i in range(0, len(data), 65536):
            w.write(data[i : i + 65536])
        barrier.wait()
        results.append(w.commit(sha(data)))

    threads = [threading.Thread(target=write) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    async def many_streams():
        async def source():
            for i in range(0, len(data), 100_000):
                yield data[i : i + 100_000]
                await asyncio.sleep(0)  # real time: the eight streams interleave chunk by chunk

        return await asyncio.gather(*(blobs.put_stream(source()) for _ in range(8)))

    streamed = asyncio.run(many_streams())
    assert results == [sha(data)] * 8
    assert streamed == [(sha(data), len(data))] * 8
    assert list(blobs.digests()) == [sha(data)]
    assert blobs.open(sha(data)).read() == data
    assert uploads(blobs) == []


def test_age_touch_and_guarded_delete_for_garbage_collection(blobs: BlobStore) -> None:
    put_at = time.time()
    d = asyncio.run(blobs.put_bytes(b"layer"))

    def written_since_put() -> bool:  # an order check: written no earlier than put_at (1 s of file-time slack)
        age = blobs.age_seconds(d)
        return age is not None and age <= time.time() - put_at + 1

    assert written_since_put()
    assert blobs.delete(d, older_than=60) is False  # too young to collect
    old = time.time() - 3600
    os.utime(blobs.path(d), (old, old))
    assert blobs.age_seconds(d) > 3000
    put_at = time.time()
    assert asyncio.run(blobs.put_bytes(b"layer")) == d  # re-upload refreshes the age
    assert written_since_put()
    os.utime(blobs.path(d), (old, old))
    put_at = time.time()
    assert blobs.touch(d) and written_since_put()
    os.utime(blobs.path(d), (old, old))
    assert blobs.delete(d, older_than=60) is True
    assert not blobs.exists(d) and list(blobs.digests()) == []


def test_digests_ignores_stray_files(blobs: BlobStore) -> None:
    d = asyncio.run(blobs.put_bytes(b"x"))
    (blobs.root / "sha256" / "zz").mkdir()
    (blobs.path(d).parent / "junk").write_text("?")
    (blobs.root / "sha256" / "README").write_text("?")
    assert list(blobs.digests()) == [d]


def test_writeback_starts_on_a_written_file(tmp_path: Path) -> None:
    from gureum import writeback

    path = tmp_path / "f"
    with open(path, "wb") as f:
        f.write(b"x" * 8192)
        f.flush()
        started = writeback.start(f.fileno(), 0, 8192)
        empty = writeback.start(f.fileno(), 8192, 0)
    assert started == sys.platform.startswith("linux")
    assert empty is False  # nothing to write


def test_a_large_upload_resumed_across_writeback_points_keeps_every_byte(tmp_path: Path) -> None:
    """Writes past several writeback points, in odd-sized pieces, through a restart (the
    writer reopened from disk): the committed blob is exactly the bytes written."""
    from gureum.blobs import WRITEBACK_BYTES

    data = os.urandom(2 * WRITEBACK_BYTES + 12345)
    store = BlobStore(tmp_path / "blobs")
    w = store.writer(md5=False)
    cut = WRITEBACK_BYTES + 777
    for i in range(0, cut, 300_001):
        w.write(data[i:min(i + 300_001, cut)])
    w.flush()
    again = BlobStore(tmp_path / "blobs").open_upload(w.upload_id, md5=False)
    for i in range(cut, len(data), 1_000_003):
        again.write(data[i:i + 1_000_003])
    digest = again.commit(sha(data))
    assert again.path.exists() is False
    assert store.path(digest).read_bytes() == data
