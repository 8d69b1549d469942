"""The lifecycle sweep (the `s3-lifecycle` component): every `s3.lifecycle_interval_seconds`,
each bucket with a lifecycle configuration is swept once — its versions and multipart uploads
read in one snapshot, lifecycle_plan.plan_* decide, and each action is applied in its own
transaction that first re-checks the state the plan saw (the version is still current, still
there, the upload still open), so a sweep racing a client or another node's sweep does
nothing twice. Expirations and transitions send the s3:LifecycleExpiration:* and
s3:LifecycleTransition notifications.

Several nodes on one store: table `s3_lifecycle_runs` (key: bucket name -> {"node", "at"})
is the claim. A node sweeps a bucket only after moving its `at` to now in one transaction,
and only when the last sweep (by any node) is an interval old, so each bucket is swept by
one node per interval; a node that dies mid-sweep leaves nothing behind but its `at`, and
the next interval's sweep (any node's) does the rest.

Settings (S3Settings): `lifecycle_interval_seconds` between sweeps, `lifecycle_day_seconds`
the length of a lifecycle "day" (86,400; tests and development shorten it).
"""

from __future__ import annotations

import functools
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

from gureum.services.s3 import lifecycle_plan, model, notify, object_lock
from gureum.services.s3.lifecycle_plan import Action

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store.base import Txn

log = logging.getLogger("gureum.s3.lifecycle")
RUNS = "s3_lifecycle_runs"
_EVENT_SOURCE = {"principal": "AWS:s3.amazonaws.com", "source_ip": "s3.amazonaws.com"}


def claim(t: Txn, bucket: str, node: str, now: float, interval: float) -> bool:
    """Take this interval's sweep of `bucket`; False when a sweep ran less than an interval ago."""
    last = t.get(RUNS, bucket)
    if last is not None and now - float(last["at"]) < interval * 0.9:
        return False
    t.put(RUNS, bucket, {"node": node, "at": now})
    return True


def snapshot(t: Txn, bucket: str) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    """The bucket's versions by key (newest first) and its open multipart uploads."""
    by_key: dict[str, list[dict[str, Any]]] = {}
    for _, v in t.scan(model.VERSIONS, bucket + "/"):
        by_key.setdefault(v["key"], []).append(v)  # the key layout sorts each key's newest first
    uploads = [u for _, u in t.scan(model.UPLOADS, bucket + "/")]
    return by_key, uploads


def _versions(t: Txn, bucket: str, key: str) -> list[tuple[str, dict[str, Any]]]:
    return list(t.scan(model.VERSIONS, f"{bucket}/{key}\x01"))


def apply(t: Txn, bucket_name: str, action: Action) -> tuple[dict[str, Any], str, dict[str, Any]] | None:
    """Apply one action if the state still calls for it; (bucket, event, object) or None."""
    b = t.get(model.BUCKETS, bucket_name)
    if b is None:
        return None
    versions = _versions(t, bucket_name, action.key)
    found = [(i, k, v) for i, (k, v) in enumerate(versions) if v.get("vid") == action.vid]
    if action.kind == "abort_upload":
        if t.get(model.UPLOADS, f"{bucket_name}/{action.key}\x01{action.vid}") is None:
            return None
        model.finish_upload(t, bucket_name, action.key, action.vid)
        return None
    if not found:
        return None
    index, vkey, v = found[0]
    if action.kind == "expire":
        if index != 0 or v.get("dm"):
            return None
        result, b = model.delete_object(t, bucket_name, b["account"], action.key)
        event = "LifecycleExpiration:DeleteMarkerCreated" if result.get("dm") else "LifecycleExpiration:Delete"
        return b, event, {**v, "vid": result.get("vid") or v["vid"]}
    if action.kind == "delete_version":
        if index == 0 or object_lock.is_protected(v, False, time.time()):  # AWS: lifecycle keeps locked versions
            return None
        _, b = model.delete_object(t, bucket_name, b["account"], action.key, action.vid)
        return b, "LifecycleExpiration:Delete", v
    if action.kind == "remove_marker":
        if index != 0 or len(versions) != 1 or not v.get("dm"):
            return None
        _, b = model.delete_object(t, bucket_name, b["account"], action.key, action.vid)
        return b, "LifecycleExpiration:Delete", v
    if action.kind == "transition":
        if v.get("dm") or v.get("sc") == action.storage_class:
            return None
        v["sc"] = action.storage_class
        t.put(model.VERSIONS, vkey, v)
        current = t.get(model.OBJECTS, f"{bucket_name}/{action.key}")
        if current is not None and current.get("vid") == action.vid:
            t.put(model.OBJECTS, f"{bucket_name}/{action.key}", v)
        return b, "LifecycleTransition", v
    return None


async def sweep_bucket(app: App, bucket: dict[str, Any], now: float, day: float) -> int:
    """Plan and apply one bucket's lifecycle; returns the number of actions applied."""
    config = bucket.get("lifecycle") or {}
    rules = config.get("Rules") or []
    name = bucket["name"]
    by_key, uploads = await app.store.read(lambda t: snapshot(t, name))
    actions: list[Action] = []
    for key, versions in by_key.items():
        actions += lifecycle_plan.plan_key(rules, key, versions, now, day, config.get("MinSize") or "")
    actions += lifecycle_plan.plan_uploads(rules, uploads, now, day)
    done = 0
    for action in actions:
        result = await app.store.run(functools.partial(apply, bucket_name=name, action=action))
        if action.kind == "abort_upload" or result is not None:
            done += 1
        if result is not None:
            b, event, obj = result
            notify.emit(app, b, event, action.key, obj=obj, version_id=obj.get("vid"),
                        request_id=uuid.uuid4().hex.upper()[:16], **_EVENT_SOURCE)
    return done


async def sweep(app: App, interval: float, day: float) -> int:
    """One pass over every bucket with a lifecycle configuration this node claims."""
    now = time.time()
    buckets = await app.store.read(lambda t: [d for _, d in app.store.iter_scan(t, model.BUCKETS) if d.get("lifecycle")])
    done = 0
    for b in buckets:
        if await app.store.run(functools.partial(claim, bucket=b["name"], node=app.node_id, now=now, interval=interval)):
            try:
                done += await sweep_bucket(app, b, now, day)
            except Exception:  # one bucket's failure must not starve the others; the next interval retries it
                log.exception("s3: lifecycle sweep of bucket %s failed", b["name"])
    return done


async def run(app: App) -> None:
    """The `s3-lifecycle` component: a sweep every s3.lifecycle_interval_seconds (app.every)."""
    from gureum.services.s3.settings import S3Settings

    settings = app.settings(S3Settings)

    async def once() -> None:
        n = await sweep(app, settings.lifecycle_interval_seconds, settings.lifecycle_day_seconds)
        if n:
            log.info("s3: lifecycle applied %d actions", n)

    app.every(settings.lifecycle_interval_seconds, once, name="s3-lifecycle")
