"""Online garbage collection of registry blobs: no read-only mode, no downtime, and a push
racing the collector never loses a blob.

Two kinds of garbage, two phases per sweep:

1. Links. A repository's link to a blob (uploaded or mounted, the blob a HEAD/GET answers
   for) is removed when no manifest of that repository references it (refcount 0), it is
   not itself a manifest of the repository, and it was neither linked nor seen by a client
   (HEAD/GET "touch" the link) within the grace period. The check and the delete happen
   in one transaction, and a manifest PUT checks its blobs' links in one transaction, so
   either the manifest lands first (the link is then referenced) or the link is gone first
   (the PUT answers MANIFEST_BLOB_UNKNOWN and the client uploads again — it cannot have
   been told the blob exists within the grace period, since a HEAD touches the link in
   the same transaction that answers it).

2. Bytes. A digest in the registry's blob store is deleted only when, in one transaction,
   no repository links it and no writer has pinned it; the collector then writes a
   tombstone, deletes the file, and removes the tombstone. Every writer (upload commit,
   manifest PUT) pins the digest before it writes the file and unpins in the transaction
   that creates the link; a pin waits while a tombstone exists. So a writer either pins
   first (the collector skips the digest) or waits until the file is gone and writes it
   again. In addition a digest must be older than the grace period on disk and must have
   been found unreferenced by the previous sweep too (a mark), so a sweep never acts on a
   single observation.

All of this relies on the store running write transactions one at a time (SQLite BEGIN
IMMEDIATE, PostgreSQL's global advisory lock): a check and the write that depends on it
see no interleaved commit. A HEAD refreshes a link older than a quarter of the grace
period, so a manifest PUT within three quarters of the grace period after its HEADs always
finds its blobs.

One collector at a time: a sweep holds a lease row (owner = host and data directory, so
a node restarted after a crash takes its own lease back at once and finishes the deletions
its tombstones record; another node waits for the lease to expire).

Mounts link only from an existing link (no tombstone can exist while a link exists), and
partial uploads are not digests yet (they expire separately, see engine.expire_uploads).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gureum.services.ecr import model
from gureum.services.ecr.model import BLOBIDX, GC, LINKS, PINS, REFCOUNT

if TYPE_CHECKING:
    from gureum.services.ecr.engine import Registry

log = logging.getLogger("gureum.ecr.gc")
BATCH = 200
LEASE_SECONDS = 600.0


@dataclass
class SweepReport:
    skipped: bool = False  # another node holds the collector lease
    links_removed: int = 0
    marked: int = 0
    blobs_deleted: list[str] = field(default_factory=list)
    bytes_freed: int = 0


def _stale_links(txn: Any, scope: str, name: str, cutoff: float) -> list[str]:
    prefix = model.sub_key(scope, name, "")
    out = []
    for key, link in txn.scan(LINKS, prefix):
        digest = key[len(prefix):]
        if link.get("kind") == "manifest":
            continue
        if max(link.get("at", 0), link.get("touched", 0)) >= cutoff:
            continue
        if txn.get(REFCOUNT, key) is not None:
            continue
        out.append(digest)
    return out


def _remove_links(txn: Any, scope: str, name: str, digests: list[str], cutoff: float) -> int:
    """Re-check each candidate inside the deleting transaction."""
    removed = 0
    for digest in digests:
        key = model.sub_key(scope, name, digest)
        link = txn.get(LINKS, key)
        if link is None or link.get("kind") == "manifest":
            continue
        if max(link.get("at", 0), link.get("touched", 0)) >= cutoff or txn.get(REFCOUNT, key) is not None:
            continue
        model.unlink_blob(txn, scope, name, digest)
        removed += 1
    return removed


def _referenced(txn: Any, digest: str) -> bool:
    return bool(txn.scan(BLOBIDX, digest + "|", limit=1)) or bool(txn.scan(PINS, digest + "|", limit=1))


def _mark_phase(txn: Any, candidates: list[str], now: float) -> tuple[list[str], int]:
    """Digests to delete now (unreferenced, and marked by an earlier sweep); marks new ones."""
    due, marked = [], 0
    for digest in candidates:
        if _referenced(txn, digest):
            txn.delete(GC, "mark|" + digest)
            continue
        mark = txn.get(GC, "mark|" + digest)
        if mark is not None and mark["since"] < now:
            due.append(digest)
        elif mark is None:
            txn.put(GC, "mark|" + digest, {"since": now})
            marked += 1
    return due, marked


def _tombstone(txn: Any, digests: list[str], now: float) -> list[str]:
    doomed = []
    for digest in digests:
        if _referenced(txn, digest):
            txn.delete(GC, "mark|" + digest)
            continue
        txn.put(GC, "tomb|" + digest, {"at": now})
        doomed.append(digest)
    return doomed


def _clear_tombs(txn: Any, digests: list[str]) -> None:
    for digest in digests:
        txn.delete(GC, "tomb|" + digest)
        txn.delete(GC, "mark|" + digest)


async def sweep(reg: Registry, now: float | None = None) -> SweepReport:
    """One collection pass (safe to run while clients push and pull); skipped while
    another node holds the collector lease."""
    store = reg.store
    now = model.now() if now is None else now
    grace = reg.settings.gc_grace_seconds
    cutoff = now - grace
    report = SweepReport()
    owner = _owner(reg)
    if not await store.run(lambda txn: _acquire(txn, owner, now)):
        report.skipped = True
        return report
    try:
        return await _sweep(reg, now, cutoff, grace, report)
    finally:
        await store.run(lambda txn: _release(txn, owner))


async def _sweep(reg: Registry, now: float, cutoff: float, grace: float, report: SweepReport) -> SweepReport:
    store, blobs = reg.store, reg.blobs
    await finish_interrupted(reg, report)

    # Phase 1: stale, unreferenced links, repository by repository.
    repos = await store.read(model.all_scopes_with_repos)
    for scope, name in repos:
        stale = await store.read(lambda txn, s=scope, n=name: _stale_links(txn, s, n, cutoff))
        for i in range(0, len(stale), BATCH):
            part = stale[i : i + BATCH]
            report.links_removed += await store.run(lambda txn, s=scope, n=name, p=part: _remove_links(txn, s, n, p, cutoff))

    # Phase 2: bytes nobody links or pins, old enough, seen unreferenced twice.
    digests = await asyncio.to_thread(_old_digests, blobs, grace)
    for i in range(0, len(digests), BATCH):
        part = digests[i : i + BATCH]
        due, marked = await store.run(lambda txn, p=part: _mark_phase(txn, p, now))
        report.marked += marked
        if not due:
            continue
        doomed = await store.run(lambda txn, d=due: _tombstone(txn, d, now))
        if doomed:
            await _delete_files(blobs, doomed, report)
            await store.run(lambda txn, d=doomed: _clear_tombs(txn, d))
    if report.links_removed or report.blobs_deleted:
        log.info("registry gc: %d stale link(s) removed, %d blob(s) deleted, %d bytes freed",
                 report.links_removed, len(report.blobs_deleted), report.bytes_freed)
    return report


def _owner(reg: Registry) -> str:
    import socket

    return f"{socket.gethostname()}:{reg.app.data_dir}"


def _acquire(txn: Any, owner: str, now: float) -> bool:
    lease = txn.get(GC, "lease")
    if lease is not None and lease["owner"] != owner and lease["until"] > now:
        return False
    txn.put(GC, "lease", {"owner": owner, "until": now + LEASE_SECONDS})
    return True


def _release(txn: Any, owner: str) -> None:
    lease = txn.get(GC, "lease")
    if lease is not None and lease["owner"] == owner:
        txn.delete(GC, "lease")


async def recover(reg: Registry) -> None:
    """At start-up: finish deletions a crashed sweep of this node left tombstoned."""
    owner = _owner(reg)
    if not await reg.store.run(lambda txn: _acquire(txn, owner, model.now())):
        return
    try:
        await finish_interrupted(reg)
    finally:
        await reg.store.run(lambda txn: _release(txn, owner))


async def finish_interrupted(reg: Registry, report: SweepReport | None = None) -> None:
    """Complete tombstoned deletions (call only while holding the lease)."""
    report = report or SweepReport()
    tombs = await reg.store.read(lambda txn: [k[5:] for k, _ in txn.scan(GC, "tomb|")])
    if tombs:
        await _delete_files(reg.blobs, tombs, report)
        await reg.store.run(lambda txn: _clear_tombs(txn, tombs))


def _old_digests(blobs: Any, grace: float) -> list[str]:
    out = []
    for digest in blobs.digests():
        age = blobs.age_seconds(digest)
        if age is not None and age >= grace:
            out.append(digest)
    return out


async def _delete_files(blobs: Any, digests: list[str], report: SweepReport) -> None:
    def work() -> None:
        for digest in digests:
            size = blobs.size(digest) or 0
            if blobs.delete(digest):
                report.blobs_deleted.append(digest)
                report.bytes_freed += size

    await asyncio.to_thread(work)
