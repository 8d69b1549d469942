"""Which new object versions a bucket's replication configuration replicates, decided inside the
transaction that writes the version (model._write_version calls `mark`): a matching version
is written with ReplicationStatus PENDING (`rs`) and a row is queued for
replication_worker.py. Pure rules on a `Txn`; imports nothing of the package, so model.py may
import it.

Table `s3_replication`, key `<due ms:013d>/<id>` -> {"bucket", "key", "vid"}: versions waiting
to be copied (a worker moves a row to a lease key while it works on it).

Rules (AWS's "Replication configuration" schema): the enabled rule of highest Priority whose
Filter matches (Prefix, Tag, And of prefix and tags, Not of a prefix, a tag or an Or of
prefixes and tags; the V1 schema's rule Prefix) applies. Replicas (`rs` REPLICA) are not
replicated again. A delete marker is replicated under a V1 rule (no Filter), or a V2 rule whose
DeleteMarkerReplication is Enabled; deletions of a version by id are never replicated.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gureum.store.base import Txn

QUEUE = "s3_replication"


def _tag_match(tags: dict[str, str], tag: dict[str, Any]) -> bool:
    return bool(tags.get(tag["Key"]) == tag["Value"])


def _negated(not_filter: dict[str, Any], key: str, tags: dict[str, str]) -> bool:
    """Whether a Not filter excludes the version."""
    if not_filter.get("Prefix") is not None and key.startswith(not_filter["Prefix"]):
        return True
    if not_filter.get("Tag") and _tag_match(tags, not_filter["Tag"]):
        return True
    alt = not_filter.get("Or") or {}
    return (any(key.startswith(p) for p in alt.get("Prefixes") or [])
            or any(_tag_match(tags, t) for t in alt.get("Tags") or []))


def matches(rule: dict[str, Any], key: str, tags: dict[str, str]) -> bool:
    f = rule.get("Filter")
    if f is None:
        return key.startswith(rule.get("Prefix") or "")
    conds = f.get("And") or f
    if not key.startswith(conds.get("Prefix") or ""):
        return False
    wanted = list(conds.get("Tags") or []) + ([f["Tag"]] if f.get("Tag") else [])
    if not all(_tag_match(tags, t) for t in wanted):
        return False
    not_filter = conds.get("Not") or f.get("Not")
    return not (not_filter and _negated(not_filter, key, tags))


def rule_for(config: dict[str, Any], key: str, tags: dict[str, str]) -> dict[str, Any] | None:
    """The enabled rule that applies to a version (the highest Priority among those matching)."""
    live = [r for r in config.get("Rules") or [] if r.get("Status") == "Enabled" and matches(r, key, tags)]
    if not live:
        return None
    best: dict[str, Any] = max(live, key=lambda r: r.get("Priority") or 0)
    return best


def replicates_delete_markers(rule: dict[str, Any]) -> bool:
    if rule.get("Filter") is None:
        return True
    return (rule.get("DeleteMarkerReplication") or {}).get("Status") == "Enabled"


def mark(t: Txn, bucket: dict[str, Any], obj: dict[str, Any]) -> None:
    """Called with each version a bucket writes, before it is stored: PENDING and queued when
    the bucket's replication configuration covers it."""
    config = bucket.get("replication")
    if not config or obj.get("rs") == "REPLICA":
        return
    rule = rule_for(config, obj["key"], obj.get("tags") or {})
    if rule is None or (obj.get("dm") and not replicates_delete_markers(rule)):
        return
    obj["rs"] = "PENDING"
    t.put(QUEUE, f"{int(time.time() * 1000):013d}/{uuid.uuid4().hex}",
          {"bucket": bucket["name"], "key": obj["key"], "vid": obj["vid"]})
