"""Online garbage collection: unreferenced blobs are reclaimed while clients push and pull,
and a push racing the collector never loses a blob."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import random
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from harness import GureumProcess
from waiting import wait_for

from ecr.ocihttp import Registry, sha

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def stored_digests(data_dir: Path) -> set[str]:
    root = data_dir / "registry" / "sha256"
    return {f"sha256:{p.name}" for p in root.glob("*/*")} if root.exists() else set()


def referenced(reg: Registry, repo: str) -> set[str]:
    out = set()
    for tag in reg.req("GET", f"/v2/{repo}/tags/list").json()["tags"]:
        r = reg.req("GET", f"/v2/{repo}/manifests/{tag}")
        out.add(r.header("Docker-Content-Digest"))
        m = r.json()
        out.add(m["config"]["digest"])
        out.update(layer["digest"] for layer in m["layers"])
    return out


@pytest.mark.slow
def test_pushes_racing_the_collector_never_lose_a_blob(tmp_path):
    g = GureumProcess(tmp_path / "data", extra_args=[
        "--set", "ecr.gc_grace_seconds=0.4", "--set", "ecr.gc_interval_seconds=0.02"])
    g.start()
    try:
        reg = Registry(g.endpoint)
        repo = "gc/race"
        pool = [os.urandom(150_000) for _ in range(5)]  # shared layers: deleted and re-pushed
        kept: dict[str, set[str]] = {}  # tag -> digests the image needs
        lock = threading.Lock()
        stats = {"pushes": 0, "retries": 0, "deleted": 0, "skipped_uploads": 0}
        enough = {"pushes": 60, "deleted": 15}  # the race runs until this much happened, however long it takes

        def racing() -> bool:
            with lock:
                return any(stats[k] < n for k, n in enough.items())

        def push_once(rng: random.Random, tag: str) -> tuple[str, set[str]] | None:
            layers = rng.sample(pool, 2)
            cfg = json.dumps({"tag": tag, "n": rng.random()}).encode()
            descs = []
            for blob in [cfg, *layers]:
                d = sha(blob)
                if reg.req("HEAD", f"/v2/{repo}/blobs/{d}").status == 200:
                    with lock:
                        stats["skipped_uploads"] += 1
                else:
                    reg.push_blob(repo, blob)
                descs.append({"digest": d, "size": len(blob)})
            m = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **descs[0]},
                            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **x} for x in descs[1:]]}).encode()
            r = reg.push_manifest(repo, tag, m, OCI_MANIFEST)
            if r.status == 400 and r.error_code == "MANIFEST_BLOB_UNKNOWN":
                return None  # the collector got there first: the client pushes again
            assert r.status == 201, (r.status, r.body)
            return sha(m), {sha(m), *(x["digest"] for x in descs)}

        def worker(seed: int) -> None:
            rng = random.Random(seed)
            i = 0
            while racing():
                tag = f"w{seed}-{i}"
                i += 1
                result = None
                for _ in range(5):
                    result = push_once(rng, tag)
                    if result:
                        break
                    with lock:
                        stats["retries"] += 1
                assert result, "push kept failing"
                digest, needs = result
                with lock:
                    stats["pushes"] += 1
                if rng.random() < 0.6:
                    assert reg.req("DELETE", f"/v2/{repo}/manifests/{digest}").status == 202
                    with lock:
                        stats["deleted"] += 1
                else:
                    with lock:
                        kept[tag] = needs
                time.sleep(rng.random() * 0.05)  # real time: the clients' random pace, interleaving with the collector's sweeps

        threads = [threading.Thread(target=worker, args=(s,)) for s in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print("race stats", stats)
        assert all(stats[k] >= n for k, n in enough.items()), stats  # no worker died on the way
        # every image we kept is whole, byte for byte
        for tag, needs in kept.items():
            r = reg.req("GET", f"/v2/{repo}/manifests/{tag}")
            assert r.status == 200, tag
            for d in needs - {r.header("Docker-Content-Digest")}:
                b = reg.req("GET", f"/v2/{repo}/blobs/{d}")
                assert b.status == 200 and sha(b.body) == d, (tag, d, b.status)
        # and the collector converges to exactly what is referenced
        want = referenced(reg, repo)
        wait_for(f"the stored blobs to be exactly the {len(want)} referenced ({stats})", lambda: stored_digests(g.data_dir) == want, timeout=30, interval=0.1)
    finally:
        g.stop()


# --- the protocol, step by step, in process ------------------------------------------------------------
class _Config:
    def __init__(self, settings: dict[str, str]) -> None:
        self.settings = settings
        self.auth = "open"

    def setting(self, key: str, default: str | None = None) -> str | None:
        return self.settings.get(key, default)


def _app(tmp_path: Path, **settings: str):
    from gureum.settings import SettingsCache
    from gureum.slots import Parts
    from gureum.store.memory import MemoryStore

    config = _Config({"ecr.gc_grace_seconds": "0", **settings})
    return SimpleNamespace(store=MemoryStore(), data_dir=tmp_path, blob_dir=tmp_path, parts=Parts(),
                           settings=SettingsCache(config.setting), config=config, http_address=("127.0.0.1", 1))


async def _agen(data: bytes):
    yield data


def test_collector_needs_two_sweeps_and_spares_linked_blobs(tmp_path):
    from gureum.services.ecr import gc
    from gureum.services.ecr.engine import Scope, registry_of

    async def main() -> None:
        reg = registry_of(_app(tmp_path))
        s = Scope("000000000000", "us-east-1")
        keep = os.urandom(100)
        drop = os.urandom(100)
        await reg.upload_whole(s, "r", sha(keep), _agen(keep))
        await reg.upload_whole(s, "r", sha(drop), _agen(drop))
        await reg.delete_blob(s, "r", sha(drop))  # unlinked: garbage
        await reg.store.run(lambda txn: None)
        now = time.time() + 1
        r1 = await gc.sweep(reg, now)
        # the kept blob's link is unreferenced by any manifest and older than grace 0: removed too
        assert r1.blobs_deleted == [] and r1.marked >= 1
        r2 = await gc.sweep(reg, now + 1)
        assert sha(drop) in r2.blobs_deleted
        assert not reg.blobs.exists(sha(drop))

    asyncio.run(main())


def test_a_pin_waits_out_a_tombstone_and_rewrites_the_blob(tmp_path):
    """The dangerous interleaving: the collector has decided to delete digest D (tombstone
    written, file not yet deleted) when a client uploads the same content again."""
    from gureum.services.ecr import gc, model
    from gureum.services.ecr.engine import Scope, registry_of

    async def main() -> None:
        reg = registry_of(_app(tmp_path))
        s = Scope("000000000000", "us-east-1")
        data = os.urandom(1000)
        d = sha(data)
        await reg.upload_whole(s, "r", d, _agen(data))
        await reg.delete_blob(s, "r", d)
        await reg.store.run(lambda txn: gc._tombstone(txn, [d], time.time()))  # collector: decided
        upload = asyncio.create_task(reg.upload_whole(s, "r", d, _agen(data)))  # client: same bytes
        await asyncio.sleep(0.2)  # real time: a window in which the upload must not finish
        assert not upload.done()  # waiting for the tombstone
        reg.blobs.delete(d)  # collector: deletes the file ...
        await reg.store.run(lambda txn: gc._clear_tombs(txn, [d]))  # ... and clears the tombstone
        await upload
        assert reg.blobs.exists(d) and await reg.read_bytes(d) == data
        assert await reg.store.read(lambda txn: model.get_link(txn, s.key, "r", d)) is not None
        # and the next sweep leaves it alone while the link is fresh
        reg.settings = dataclasses.replace(reg.settings, gc_grace_seconds=60)
        report = await gc.sweep(reg)
        assert d not in report.blobs_deleted and reg.blobs.exists(d)

    asyncio.run(main())


def test_head_refreshes_a_stale_link_so_a_following_manifest_put_succeeds(tmp_path):
    from gureum.services.ecr import gc, model, oci
    from gureum.services.ecr.engine import Scope, registry_of

    async def main() -> None:
        reg = registry_of(_app(tmp_path, **{"ecr.gc_grace_seconds": "100"}))
        s = Scope("000000000000", "us-east-1")
        cfg = b"{}"
        await reg.upload_whole(s, "r", sha(cfg), _agen(cfg))
        # age the link past the grace period
        def age(txn):
            key = model.sub_key(s.key, "r", sha(cfg))
            link = txn.get(model.LINKS, key)
            link["at"] = link["touched"] = time.time() - 1000
            txn.put(model.LINKS, key, link)
        await reg.store.run(age)
        assert await reg.blob_size(s, "r", sha(cfg)) == 2  # the client's HEAD: touches
        await gc.sweep(reg)  # a sweep between the HEAD and the manifest PUT
        m = json.dumps({"schemaVersion": 2, "mediaType": oci.OCI_MANIFEST, "layers": [],
                        "config": {"mediaType": oci.OCI_EMPTY, "digest": sha(cfg), "size": 2}}).encode()
        await reg.put_manifest(s, "r", "v1", m, oci.OCI_MANIFEST)

    asyncio.run(main())


def test_only_one_node_collects_at_a_time(tmp_path):
    from gureum.services.ecr import gc
    from gureum.services.ecr.engine import registry_of

    async def main() -> None:
        reg = registry_of(_app(tmp_path))
        now = time.time()
        assert await reg.store.run(lambda txn: gc._acquire(txn, "other-node:/data", now))
        assert (await gc.sweep(reg, now)).skipped
        assert not (await gc.sweep(reg, now + gc.LEASE_SECONDS + 1)).skipped  # lease expired

    asyncio.run(main())
