"""Replication backfill (StartReplicationBackfill...): replicate the images a registry
already holds to one destination of its replication configuration, as AWS documents.

Table `ecr.backfills`: "<account>|<region>|<backfill id>" -> {"replicationBackfillId",
"destination", "status", "startedAt", "endedAt", "progress", "results", "failureCode"}.

Life: PREPARING (images chosen: those the current replication rules send to the destination)
-> IN_PROGRESS (each image copied as a push's replication copies it, replication.py) ->
COMPLETE, or FAILED when at least half of 100 or more copies failed; StopReplicationBackfill
turns PREPARING/IN_PROGRESS into STOPPING, and the runner ends it STOPPED before its next
image. One backfill in progress per destination region, ten per registry (AWS's limits).
The runner is a task of the node that took the request; a node that dies mid-run leaves its
backfill IN_PROGRESS.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from gureum.aws.errors import AwsError
from gureum.services.ecr import model, replication
from gureum.store.base import Txn

if TYPE_CHECKING:
    from gureum.services.ecr.engine import Registry

BACKFILLS = "ecr.backfills"
RUNNING = ("PREPARING", "IN_PROGRESS", "STOPPING")
MAX_RUNNING = 10


def _not_found(backfill_id: str) -> AwsError:
    return AwsError.modeled("ecr", "ReplicationBackfillNotFoundException",
                            f"The replication backfill with id '{backfill_id}' does not exist")


def start(txn: Txn, scope: str, destination: dict[str, str], now: float) -> dict[str, Any]:
    config = model.registry_settings(txn, scope).get("replicationConfiguration") or {}
    configured = any(d["region"] == destination["region"] and d["registryId"] == destination["registryId"]
                     for r in config.get("rules") or [] for d in r.get("destinations") or [])
    if not configured:
        raise AwsError.modeled("ecr", "InvalidParameterException",
                               "The destination is not in the registry's replication configuration")
    running = [d for _, d in txn.scan(BACKFILLS, prefix=scope) if d["status"] in RUNNING]
    if any(d["destination"]["region"] == destination["region"] for d in running):
        raise AwsError.modeled("ecr", "ReplicationBackfillInProgressException",
                               f"A replication backfill to {destination['region']} is already in progress")
    if len(running) >= MAX_RUNNING:
        raise AwsError.modeled("ecr", "LimitExceededException",
                               f"At most {MAX_RUNNING} replication backfills may be in progress at once")
    backfill_id = str(uuid.uuid4())
    doc: dict[str, Any] = {"replicationBackfillId": backfill_id, "destination": dict(destination), "status": "PREPARING",
                           "startedAt": now, "results": [],
                           "progress": {"totalReplicationCount": 0, "completedReplicationCount": 0,
                                        "failedReplicationCount": 0, "failureCodes": []}}
    txn.put(BACKFILLS, scope + backfill_id, doc)
    return doc


def get(txn: Txn, scope: str, backfill_id: str) -> dict[str, Any]:
    doc = txn.get(BACKFILLS, scope + backfill_id)
    if doc is None:
        raise _not_found(backfill_id)
    return doc


def listing(txn: Txn, scope: str) -> list[dict[str, Any]]:
    return sorted((d for _, d in txn.scan(BACKFILLS, prefix=scope)), key=lambda d: (d["startedAt"], d["replicationBackfillId"]))


def stop(txn: Txn, scope: str, backfill_id: str) -> dict[str, Any]:
    doc = get(txn, scope, backfill_id)
    if doc["status"] not in ("PREPARING", "IN_PROGRESS"):
        raise AwsError.modeled("ecr", "ReplicationBackfillInvalidStatusException",
                               f"A replication backfill in status {doc['status']} cannot be stopped")
    doc["status"] = "STOPPING"
    txn.put(BACKFILLS, scope + backfill_id, doc)
    return doc


def _images(txn: Txn, scope: str, destination: dict[str, str]) -> list[tuple[str, str, list[str]]]:
    """(repository, digest, tags) of every top-level image the rules send to `destination`."""
    config = model.registry_settings(txn, scope).get("replicationConfiguration") or {}
    pair = (destination["registryId"], destination["region"])
    out = []
    for repo in model.list_repos(txn, scope):
        name = repo["repositoryName"]
        if pair not in replication.destinations(config, scope, name):
            continue
        for doc in model.list_manifests(txn, scope, name):
            if not model.referenced_by_index(txn, scope, name, doc["digest"]) and doc.get("imageStatus") != "ARCHIVED":
                out.append((name, doc["digest"], list(doc.get("tags") or [])))
    return out


async def run(reg: Registry, scope: str, backfill_id: str) -> None:
    """Carry a backfill from PREPARING to its end (see the module docstring)."""
    doc = await reg.store.read(lambda txn: get(txn, scope, backfill_id))
    dst = model.scope_of(doc["destination"]["registryId"], doc["destination"]["region"])
    images = await reg.store.read(lambda txn: _images(txn, scope, doc["destination"]))

    def update(txn: Txn, **changes: Any) -> str:
        cur = get(txn, scope, backfill_id)
        if cur["status"] == "STOPPING":
            cur.update(status="STOPPED", endedAt=model.now())
        else:
            cur.update(changes)
        txn.put(BACKFILLS, scope + backfill_id, cur)
        return str(cur["status"])

    progress: dict[str, Any] = {"totalReplicationCount": len(images), "completedReplicationCount": 0, "failedReplicationCount": 0, "failureCodes": []}
    results: list[dict[str, Any]] = []
    if await reg.store.run(lambda txn: update(txn, status="IN_PROGRESS", progress=dict(progress))) != "IN_PROGRESS":
        return
    for name, digest, tags in images:
        now = model.now()
        try:
            status = await reg.store.run(lambda txn, n=name, d=digest, t=now: replication.copy(txn, scope, n, d, dst, t))
        except model.EcrError:
            status = "FAILED"
        image_id = {"imageDigest": digest, **({"imageTag": tags[0]} if tags else {})}
        result: dict[str, Any] = {"repositoryName": name, "imageId": image_id, "status": status}
        if status == "FAILED":
            result["failureCode"] = "REPLICATION_FAILED"
            progress["failedReplicationCount"] += 1
            if "REPLICATION_FAILED" not in progress["failureCodes"]:
                progress["failureCodes"].append("REPLICATION_FAILED")
        else:
            progress["completedReplicationCount"] += 1
        results.append(result)
        snapshot = dict(progress)
        if await reg.store.run(lambda txn, p=snapshot, r=list(results): update(txn, progress=p, results=r)) != "IN_PROGRESS":
            return
    done = progress["completedReplicationCount"] + progress["failedReplicationCount"]
    failed = done >= 100 and progress["failedReplicationCount"] * 2 >= done
    final = "FAILED" if failed else "COMPLETE"
    await reg.store.run(lambda txn: update(txn, status=final, endedAt=model.now(),
                                           **({"failureCode": "REPLICATION_FAILED"} if final == "FAILED" else {})))
