"""The replication worker (the `s3-replication` component): copies the versions
replication_rules.py queued to their destination buckets, asynchronously as AWS does.

For each due row of `s3_replication`, a node first claims it (one transaction moves it to a
lease key `<now + LEASE_MS>/<id>`; a row another node took is gone: skipped), then copies in
one transaction: the source version (same version id, metadata, tags and body pieces — the
blobs are content-addressed and shared, so nothing is re-read) is written into the
destination as its newest version with ReplicationStatus REPLICA (the rule's
Destination.StorageClass, if any, applied), the source version becomes COMPLETED (FAILED when
the destination is gone or no longer versioned, or the configuration no longer covers it),
and the lease row is deleted. Copies of one key may land out of order (two nodes, a retry): the
destination's current version is the copy written last at the source (by mtime). A node that dies mid-copy leaves its lease row, which falls due
again after the lease: the copy is retried (a version already copied is not copied twice).
"""

from __future__ import annotations

import functools
import logging
import time
from typing import TYPE_CHECKING, Any

from gureum.aws.errors import AwsError
from gureum.services.s3 import model, replication, replication_rules

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store.base import Txn

log = logging.getLogger("gureum.s3.replication")
QUEUE = replication_rules.QUEUE
LEASE_MS = 60_000
BATCH = 100
_SEQ_TOP = 10**19


def _now_ms() -> int:
    return int(time.time() * 1000)


def due(t: Txn, now_ms: int) -> list[str]:
    return [k for k, _ in t.scan(QUEUE, "", end=f"{now_ms + 1:013d}", limit=BATCH)]


def claim(t: Txn, key: str, now_ms: int) -> tuple[str, dict[str, Any]] | None:
    row = t.get(QUEUE, key)
    if row is None:
        return None
    t.delete(QUEUE, key)
    lease = f"{now_ms + LEASE_MS:013d}/{key.split('/', 1)[1]}"
    t.put(QUEUE, lease, row)
    return lease, row


def _set_status(t: Txn, bucket: str, key: str, vkey: str, version: dict[str, Any], status: str) -> None:
    version["rs"] = status
    t.put(model.VERSIONS, vkey, version)
    current = t.get(model.OBJECTS, f"{bucket}/{key}")
    if current is not None and current.get("vid") == version["vid"]:
        t.put(model.OBJECTS, f"{bucket}/{key}", version)


def copy(t: Txn, lease: str, row: dict[str, Any]) -> str | None:
    """Copy one queued version; returns the status the source version got (None: gone)."""
    t.delete(QUEUE, lease)
    name, key, vid = row["bucket"], row["key"], row["vid"]
    found = next(((k, v) for k, v in t.scan(model.VERSIONS, f"{name}/{key}\x01") if v.get("vid") == vid), None)
    source = t.get(model.BUCKETS, name)
    if found is None or source is None:
        return None
    vkey, version = found
    rule = replication_rules.rule_for(source.get("replication") or {}, key, version.get("tags") or {})
    dest = None
    if rule is not None:
        try:
            dest = t.get(model.BUCKETS, replication.destination_bucket(rule))
        except AwsError:
            dest = None
    if rule is None or dest is None or dest.get("versioning") != "Enabled":
        _set_status(t, name, key, vkey, version, "FAILED")
        return "FAILED"
    dest_name = dest["name"]
    already = any(v.get("vid") == vid for _, v in t.scan(model.VERSIONS, f"{dest_name}/{key}\x01"))
    if not already:
        replica = {k: v for k, v in version.items() if k not in ("seq", "seqkey")}
        replica["rs"] = "REPLICA"
        storage_class = rule["Destination"].get("StorageClass")
        if storage_class and not replica.get("dm"):
            replica["sc"] = storage_class
        dest["seq"] = dest.get("seq", 0) + 1
        t.put(model.BUCKETS, dest_name, dest)
        replica["seq"] = dest["seq"]
        replica["seqkey"] = f"{_SEQ_TOP - dest['seq']:020d}"
        t.put(model.VERSIONS, f"{dest_name}/{key}\x01{replica['seqkey']}", replica)
        current = t.get(model.OBJECTS, f"{dest_name}/{key}")
        if current is None or float(current.get("mtime") or 0) <= float(replica.get("mtime") or 0):
            t.put(model.OBJECTS, f"{dest_name}/{key}", replica)  # a copy that arrives late stays noncurrent
    _set_status(t, name, key, vkey, version, "COMPLETED")
    return "COMPLETED"


async def drain(app: App) -> int:
    """Copy every due queued version this node can claim; returns how many were handled."""
    done = 0
    while True:
        now = _now_ms()
        keys = await app.store.read(functools.partial(due, now_ms=now))
        if not keys:
            return done
        for key in keys:
            claimed = await app.store.run(functools.partial(claim, key=key, now_ms=now))
            if claimed is None:  # another node took it
                continue
            lease, row = claimed
            try:
                await app.store.run(functools.partial(copy, lease=lease, row=row))
            except Exception:  # the row stays leased and is retried after LEASE_MS; the others go on
                log.exception("s3: replication of %s/%s (%s) failed", row.get("bucket"), row.get("key"), row.get("vid"))
                continue
            done += 1


async def run(app: App) -> None:
    """The `s3-replication` component: drain the queue every s3.replication_poll_seconds."""
    from gureum.services.s3.settings import S3Settings

    settings = app.settings(S3Settings)
    app.every(settings.replication_poll_seconds, lambda: drain(app), name="s3-replication", first=0.0)
