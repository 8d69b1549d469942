"""Archived storage classes (GLACIER, DEEP_ARCHIVE): objects in them refuse GetObject until a
RestoreObject has made a temporary copy readable, as AWS does.

Layout: an object version (`s3_versions`, and `s3_objects` when current) in an archived class
may carry `"restore": {"tier", "requested", "ready", "expiry"}` (epoch seconds). The restore is
ongoing until `ready` (now + the tier's setting), readable from then until `expiry` (`ready` +
Days, rounded up to the next midnight UTC as AWS rounds it), archived again after. State is
derived from those times on every read: no background job, the same answer on every node.
"""

from __future__ import annotations

import datetime as dt
import math
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

from gureum.aws.errors import AwsError
from gureum.services.s3 import model

if TYPE_CHECKING:
    from gureum.store.base import Txn

ARCHIVED = ("GLACIER", "DEEP_ARCHIVE")
TIERS = ("Expedited", "Standard", "Bulk")
_DAY = 86400


def is_archived(obj: dict[str, Any]) -> bool:
    return (obj.get("sc") or "STANDARD") in ARCHIVED


def readable(obj: dict[str, Any], now: float) -> bool:
    """Whether GetObject may read the object's bytes."""
    if not is_archived(obj):
        return True
    r = obj.get("restore")
    return bool(r and r["ready"] <= now < r["expiry"])


def check_readable(obj: dict[str, Any], now: float) -> None:
    if not readable(obj, now):
        raise AwsError.modeled("s3", "InvalidObjectState", "The operation is not valid for the object's storage class",
                               StorageClass=obj.get("sc"))


def _http_date(epoch: float) -> str:
    return format_datetime(dt.datetime.fromtimestamp(epoch, dt.UTC), usegmt=True)


def header(obj: dict[str, Any], now: float) -> str | None:
    """The x-amz-restore value of HeadObject and GetObject, if a restore was asked for."""
    r = obj.get("restore")
    if not is_archived(obj) or not r or now >= r["expiry"]:
        return None
    if now < r["ready"]:
        return 'ongoing-request="true"'
    return f'ongoing-request="false", expiry-date="{_http_date(r["expiry"])}"'


def status(obj: dict[str, Any], now: float) -> dict[str, Any] | None:
    """ListObjectsV2's RestoreStatus (OptionalObjectAttributes RestoreStatus), if restored or restoring."""
    r = obj.get("restore")
    if not is_archived(obj) or not r or now >= r["expiry"]:
        return None
    if now < r["ready"]:
        return {"IsRestoreInProgress": True}
    return {"IsRestoreInProgress": False, "RestoreExpiryDate": dt.datetime.fromtimestamp(r["expiry"], dt.UTC)}


def _expiry(ready: float, days: int) -> float:
    return float(math.ceil((ready + days * _DAY) / _DAY) * _DAY)


def restore(t: Txn, name: str, account: str, key: str, vid: str | None, request: dict[str, Any],
            seconds: dict[str, float], now: float) -> int:
    """RestoreObject: start a restore (202), or lengthen a finished one's expiry (200).
    `seconds`: how long each tier takes."""
    obj = model.get_object(t, name, account, key, vid)
    if obj.get("dm"):
        raise AwsError.modeled("s3", "NoSuchKey", model.NO_SUCH_KEY, Key=key)
    if not is_archived(obj):
        raise AwsError.modeled("s3", "InvalidObjectState", "Restore is not allowed for the object's current "
                               "storage class", StorageClass=obj.get("sc") or "STANDARD")
    if request.get("Type") == "SELECT" or request.get("OutputLocation"):
        raise AwsError.modeled("s3", "InvalidArgument", "SELECT type restore requests are no longer supported",
                               ArgumentName="Type")
    days = request.get("Days")
    if not isinstance(days, int) or days < 1:
        raise AwsError.modeled("s3", "MalformedXML", "The XML you provided was not well-formed or did not validate "
                               "against our published schema")
    tier = (request.get("GlacierJobParameters") or {}).get("Tier") or request.get("Tier") or "Standard"
    if tier not in TIERS:
        raise AwsError.modeled("s3", "MalformedXML", "The XML you provided was not well-formed or did not validate "
                               "against our published schema")
    if tier == "Expedited" and obj.get("sc") == "DEEP_ARCHIVE":
        raise AwsError.modeled("s3", "InvalidArgument", "Expedited retrieval is not supported for DEEP_ARCHIVE",
                               ArgumentName="Tier", ArgumentValue=tier)
    r = obj.get("restore")
    status = 202
    if r and now < r["ready"]:
        raise AwsError.modeled("s3", "RestoreAlreadyInProgress", "Object restore is already in progress")
    if r and now < r["expiry"]:
        r = {**r, "expiry": _expiry(now, days)}  # a restored copy: only its expiry moves
        status = 200
    else:
        ready = now + seconds[tier]
        r = {"tier": tier, "requested": now, "ready": ready, "expiry": _expiry(ready, days)}
    obj["restore"] = r
    t.put(model.VERSIONS, f"{name}/{key}\x01{obj['seqkey']}", obj)
    current = t.get(model.OBJECTS, f"{name}/{key}")
    if current is not None and current.get("vid") == obj.get("vid"):
        t.put(model.OBJECTS, f"{name}/{key}", obj)
    return status
