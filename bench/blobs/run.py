"""Blob store throughput, same run: put_stream and read of one blob, the local directory
(gureum.blobs.BlobStore) against PostgreSQL (gureum.blobs_pg.PgBlobStore, storage.blobs=postgres).

    python bench/blobs/run.py [--mb 256] [--runs 3] [--pg-url URL]

Without --pg-url a throwaway PostgreSQL cluster is started here with its default (durable)
settings (tests/pg.py). Prints the median MB/s of each side for put (hashing sha256 and md5
as S3 does) and get (the whole blob, streamed).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from gureum.blobs import BlobStore  # noqa: E402
from gureum.blobs_pg import PgBlobStore  # noqa: E402


async def _source(mb: int, block: bytes) -> AsyncIterator[bytes]:
    for i in range(mb * 16):  # 64 KiB pieces, as an HTTP body arrives
        yield i.to_bytes(8, "big") + block[8:]


def _measure(store: BlobStore, mb: int) -> tuple[float, float]:
    block = os.urandom(64 * 1024)
    t0 = time.perf_counter()
    digest, size = asyncio.run(store.put_stream(_source(mb, block)))
    put = time.perf_counter() - t0

    async def read() -> int:
        n = 0
        async for c in store.read(digest):
            n += len(c)
        return n

    t0 = time.perf_counter()
    assert asyncio.run(read()) == size
    get = time.perf_counter() - t0
    store.delete(digest)
    return mb / put, mb / get


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--mb", type=int, default=256)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--pg-url")
    args = p.parse_args()
    cluster = None
    url = args.pg_url
    if url is None:
        from pg import PgCluster

        cluster = PgCluster(durable=True)
        url = cluster.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            sides = {"dir": BlobStore(Path(tmp) / "dir"), "postgres": PgBlobStore(url, f"bench-{uuid.uuid4().hex[:6]}", Path(tmp) / "pg")}
            results: dict[str, list[tuple[float, float]]] = {k: [] for k in sides}
            for _ in range(args.runs):
                for name, store in sides.items():
                    results[name].append(_measure(store, args.mb))
            for name, rs in results.items():
                print(f"{name:9s} put {statistics.median(r[0] for r in rs):7.1f} MB/s   get {statistics.median(r[1] for r in rs):7.1f} MB/s   ({args.runs} runs of {args.mb} MB)")
    finally:
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    main()
