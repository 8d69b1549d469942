"""The lifecycle decision, sans-IO: which object versions and multipart uploads a bucket's
lifecycle rules expire, transition or abort at a given instant (`plan`). lifecycle_sweep.py
applies the actions, re-checking each in its own transaction.

Rules are stored as lifecycle.py normalizes them (dates as epoch seconds). Time is counted
in lifecycle "days" of `day` seconds (86,400 in production; shorter for tests): an action
due N days after an instant is due at that instant plus N days, rounded up to the next day
boundary (AWS rounds to the next midnight UTC). A rule's Date is an absolute instant.

- Expiration (Days/Date): the current version, not a delete marker, is expired (a delete
  marker in a versioned bucket, removed outright otherwise). ExpiredObjectDeleteMarker: a
  current delete marker with no other version is removed.
- NoncurrentVersionExpiration: a noncurrent version NoncurrentDays after it became
  noncurrent (the time its successor was written) is deleted, keeping the
  NewerNoncurrentVersions newest noncurrent versions.
- Transitions / NoncurrentVersionTransitions: the storage class changes; objects smaller
  than 128 KiB are not transitioned (TransitionDefaultMinimumObjectSize
  all_storage_classes_128K, AWS's default; varies_by_storage_class keeps the limit for
  STANDARD_IA and ONEZONE_IA only); a version never moves back to a "warmer" class.
- AbortIncompleteMultipartUpload: an upload DaysAfterInitiation after it began is aborted.
Filters: prefix, tags (all must match), ObjectSizeGreaterThan/LessThan (strict).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

SMALL = 128 * 1024
_ORDER = ("STANDARD", "INTELLIGENT_TIERING", "STANDARD_IA", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE")


@dataclass(frozen=True)
class Action:
    kind: str  # "expire" | "delete_version" | "remove_marker" | "transition" | "abort_upload"
    key: str
    vid: str = ""  # the version (or the upload id for abort_upload)
    storage_class: str = ""


def due(start: float, days: int, day: float) -> float:
    """The instant `days` lifecycle days after `start`, rounded up to a day boundary."""
    return math.ceil((start + days * day) / day) * day


def _matches(rule: dict[str, Any], key: str, obj: dict[str, Any]) -> bool:
    f = rule.get("Filter")
    if f is None:
        return key.startswith(rule.get("Prefix") or "")
    conds = f.get("And") or f
    if not key.startswith(conds.get("Prefix") or ""):
        return False
    tags = list(conds.get("Tags") or []) + ([f["Tag"]] if f.get("Tag") else [])
    obj_tags = obj.get("tags") or {}
    if any(obj_tags.get(t["Key"]) != t["Value"] for t in tags):
        return False
    size = obj.get("size") or 0
    if conds.get("ObjectSizeGreaterThan") is not None and not size > conds["ObjectSizeGreaterThan"]:
        return False
    return not (conds.get("ObjectSizeLessThan") is not None and not size < conds["ObjectSizeLessThan"])


def _when(action: dict[str, Any], start: float, day: float, days_member: str = "Days") -> float | None:
    if action.get("Date") is not None:
        return float(action["Date"])
    if action.get(days_member) is not None:
        return due(start, int(action[days_member]), day)
    return None


def _colder(target: str, current: str) -> bool:
    order = {c: i for i, c in enumerate(_ORDER)}
    return order.get(target, 0) > order.get(current or "STANDARD", 0)


def _too_small(size: int, target: str, min_policy: str) -> bool:
    if size >= SMALL:
        return False
    return min_policy != "varies_by_storage_class" or target in ("STANDARD_IA", "ONEZONE_IA")


def _transition(rules_transitions: list[tuple[dict[str, Any], float | None]], obj: dict[str, Any], now: float,
                min_policy: str) -> str | None:
    """The coldest storage class among the transitions due for `obj`, if it moves."""
    best: str | None = None
    for t, when in rules_transitions:
        if when is None or when > now:
            continue
        target = t["StorageClass"]
        if _too_small(obj.get("size") or 0, target, min_policy) or not _colder(target, obj.get("sc") or "STANDARD"):
            continue
        if best is None or _colder(target, best):
            best = target
    return best


def plan_key(rules: list[dict[str, Any]], key: str, versions: list[dict[str, Any]], now: float, day: float,
             min_policy: str = "all_storage_classes_128K") -> list[Action]:
    """Actions for one key; `versions` newest first (versions[0] is the current one)."""
    if not versions:
        return []
    live = [r for r in rules if r.get("Status") == "Enabled"]
    out: list[Action] = []
    current = versions[0]
    if current.get("dm"):
        if len(versions) == 1 and any((r.get("Expiration") or {}).get("ExpiredObjectDeleteMarker")
                                      and _matches(r, key, current) for r in live):
            out.append(Action("remove_marker", key, current["vid"]))
    else:
        expired = False
        for r in live:
            exp = r.get("Expiration") or {}
            when = _when(exp, current["mtime"], day)
            if when is not None and when <= now and _matches(r, key, current):
                out.append(Action("expire", key, current["vid"]))
                expired = True
                break
        if not expired:
            pairs = [(t, _when(t, current["mtime"], day)) for r in live if _matches(r, key, current)
                     for t in r.get("Transitions") or []]
            target = _transition(pairs, current, now, min_policy)
            if target:
                out.append(Action("transition", key, current["vid"], target))
    # noncurrent versions: versions[i] became noncurrent when versions[i-1] was written
    for i in range(1, len(versions)):
        v = versions[i]
        since = versions[i - 1]["mtime"]
        newer_noncurrent = i - 1  # noncurrent versions newer than this one
        deleted = False
        for r in live:
            nve = r.get("NoncurrentVersionExpiration")
            if not nve or not _matches(r, key, v):
                continue
            keep = nve.get("NewerNoncurrentVersions") or 0
            when = _when(nve, since, day, "NoncurrentDays")
            if when is not None and when <= now and newer_noncurrent >= keep:
                out.append(Action("delete_version", key, v["vid"]))
                deleted = True
                break
        if deleted or v.get("dm"):
            continue
        pairs = [(t, _when(t, since, day, "NoncurrentDays")) for r in live if _matches(r, key, v)
                 for t in r.get("NoncurrentVersionTransitions") or []
                 if newer_noncurrent >= (t.get("NewerNoncurrentVersions") or 0)]
        target = _transition(pairs, v, now, min_policy)
        if target:
            out.append(Action("transition", key, v["vid"], target))
    return out


def plan_uploads(rules: list[dict[str, Any]], uploads: list[dict[str, Any]], now: float, day: float) -> list[Action]:
    """AbortIncompleteMultipartUpload: the uploads due to be aborted."""
    out: list[Action] = []
    for up in uploads:
        for r in rules:
            abort = r.get("AbortIncompleteMultipartUpload")
            if r.get("Status") != "Enabled" or not abort or not _matches(r, up["key"], {"size": 0}):
                continue
            if due(up["initiated"], int(abort["DaysAfterInitiation"]), day) <= now:
                out.append(Action("abort_upload", up["key"], up["id"]))
                break
    return out
