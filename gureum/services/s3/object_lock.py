"""S3 Object Lock: a bucket's lock configuration, each object version's retention and legal
hold, and the rules that enforce them (write once, read many).

Layout, inside the documents of model.py's tables:
- bucket (`s3_buckets`): `"lock": {"ObjectLockEnabled": "Enabled", "Rule"?: {"DefaultRetention":
  {"Mode", "Days"|"Years"}}}`, present once Object Lock is on (at CreateBucket with
  ObjectLockEnabledForBucket, or PutObjectLockConfiguration on a bucket with versioning Enabled).
- object version (`s3_versions`, and `s3_objects` for the current one): `"lock": {"mode":
  "GOVERNANCE"|"COMPLIANCE", "until": <epoch seconds>}` and `"hold": "ON"|"OFF"`.

Invariants (as AWS documents them): Object Lock, once on, stays on and keeps versioning Enabled;
a version under unexpired retention or a legal hold cannot be deleted by version id
(AccessDenied) — GOVERNANCE gives way to `x-amz-bypass-governance-retention`, COMPLIANCE and
legal holds to nobody; a COMPLIANCE retention can only be lengthened; delete markers and new
versions are never held back. The functions here are sans-IO rules and Txn updates.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from gureum.aws.errors import AwsError
from gureum.services.s3 import model

if TYPE_CHECKING:
    from gureum.store.base import Txn

MODES = ("GOVERNANCE", "COMPLIANCE")
PROTECTED = "Access Denied because object protected by object lock."
NO_LOCK = "Bucket is missing Object Lock Configuration"
_DAY = 86400.0


def _malformed() -> AwsError:
    return AwsError.modeled("s3", "MalformedXML", "The XML you provided was not well-formed or did not validate "
                            "against our published schema")


def enabled(b: dict[str, Any]) -> bool:
    return bool((b.get("lock") or {}).get("ObjectLockEnabled") == "Enabled")


def require_enabled(b: dict[str, Any]) -> None:
    if not enabled(b):
        raise AwsError.modeled("s3", "InvalidRequest", NO_LOCK)


def check_versioning(b: dict[str, Any], status: str) -> None:
    """PutBucketVersioning: a bucket with Object Lock keeps versioning Enabled."""
    if enabled(b) and status != "Enabled":
        raise AwsError.modeled("s3", "InvalidBucketState", "An Object Lock configuration is present on this "
                               "bucket, so the versioning state cannot be changed.")


def _check_rule(rule: dict[str, Any] | None) -> dict[str, Any] | None:
    if not rule:
        return None
    ret = rule.get("DefaultRetention")
    if not ret:
        raise _malformed()
    if ret.get("Mode") not in MODES or (("Days" in ret) == ("Years" in ret)):
        raise _malformed()
    period = ret.get("Days", ret.get("Years"))
    if not isinstance(period, int) or period <= 0:
        raise AwsError.modeled("s3", "InvalidArgument", "Default retention period must be a positive integer value",
                               ArgumentName="Days" if "Days" in ret else "Years", ArgumentValue=str(period))
    if ("Days" in ret and period > 36500) or ("Years" in ret and period > 100):
        raise AwsError.modeled("s3", "InvalidArgument", "Default retention period is too large.",
                               ArgumentName="Days" if "Days" in ret else "Years", ArgumentValue=str(period))
    return {"DefaultRetention": {k: ret[k] for k in ("Mode", "Days", "Years") if k in ret}}


def put_configuration(t: Txn, name: str, account: str, config: dict[str, Any]) -> None:
    """PutObjectLockConfiguration: turns Object Lock on (a bucket with versioning Enabled) and
    sets or clears the default retention."""
    b = model.bucket(t, name, account)
    if config.get("ObjectLockEnabled") != "Enabled":
        raise _malformed()
    rule = _check_rule(config.get("Rule"))
    if not enabled(b) and b.get("versioning") != "Enabled":
        raise AwsError.modeled("s3", "InvalidBucketState", "Versioning must be 'Enabled' on the bucket to apply a "
                               "Object Lock configuration")
    lock: dict[str, Any] = {"ObjectLockEnabled": "Enabled"}
    if rule:
        lock["Rule"] = rule
    model.update_bucket(t, name, account, lock=lock)


def get_configuration(b: dict[str, Any]) -> dict[str, Any]:
    if not enabled(b):
        raise AwsError.modeled("s3", "ObjectLockConfigurationNotFoundError",
                               "Object Lock configuration does not exist for this bucket", BucketName=b["name"])
    return dict(b["lock"])


def _epoch(value: Any) -> float:
    if not isinstance(value, dt.datetime):
        raise _malformed()
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return float(value.timestamp())


def _future(until: float, now: float) -> None:
    if until <= now:
        raise AwsError.modeled("s3", "InvalidArgument", "The retain until date must be in the future!",
                               ArgumentName="x-amz-object-lock-retain-until-date")


def for_new_version(b: dict[str, Any], params: dict[str, Any], now: float) -> dict[str, Any]:
    """The lock fields of a version PutObject (or CreateMultipartUpload) writes: its own
    x-amz-object-lock-* headers, else the bucket's default retention."""
    mode, until, hold = (params.get("ObjectLockMode"), params.get("ObjectLockRetainUntilDate"),
                         params.get("ObjectLockLegalHoldStatus"))
    if (mode or until or hold) and not enabled(b):
        raise AwsError.modeled("s3", "InvalidRequest", NO_LOCK)
    if bool(mode) != bool(until):
        raise AwsError.modeled("s3", "InvalidArgument", "x-amz-object-lock-retain-until-date and "
                               "x-amz-object-lock-mode must both be supplied",
                               ArgumentName="x-amz-object-lock-retain-until-date")
    out: dict[str, Any] = {}
    if mode:
        if mode not in MODES:
            raise AwsError.modeled("s3", "InvalidArgument", "Unknown wormMode directive.",
                                   ArgumentName="x-amz-object-lock-mode", ArgumentValue=mode)
        out["lock"] = {"mode": mode, "until": _epoch(until)}
        _future(out["lock"]["until"], now)
    else:
        ret = ((b.get("lock") or {}).get("Rule") or {}).get("DefaultRetention")
        if ret:
            days = ret["Days"] if "Days" in ret else ret["Years"] * 365
            out["lock"] = {"mode": ret["Mode"], "until": now + days * _DAY}
    if hold:
        out["hold"] = hold
    return out


def needs_digest(b: dict[str, Any], params: dict[str, Any]) -> bool:
    """Whether an upload sets a retention period or legal hold, which AWS accepts only with
    Content-MD5 or an x-amz-checksum / x-amz-sdk-checksum-algorithm header."""
    if params.get("ObjectLockMode") or params.get("ObjectLockLegalHoldStatus"):
        return True
    return bool(((b.get("lock") or {}).get("Rule") or {}).get("DefaultRetention"))


def digest_missing() -> AwsError:
    return AwsError.modeled("s3", "InvalidRequest", "Content-MD5 OR x-amz-checksum- HTTP header is required for "
                            "Put Object requests with Object Lock parameters")


def is_protected(version: dict[str, Any], bypass: bool, now: float) -> bool:
    if version.get("dm"):
        return False
    if version.get("hold") == "ON":
        return True
    lock = version.get("lock")
    if not lock or lock["until"] <= now:
        return False
    return not (lock["mode"] == "GOVERNANCE" and bypass)


def guard_delete(bypass: bool, now: float) -> Any:
    """A check model.delete_object runs on the version a delete by version id removes."""
    def check(version: dict[str, Any]) -> None:
        if is_protected(version, bypass, now):
            raise AwsError.modeled("s3", "AccessDenied", PROTECTED)
    return check


def _version(t: Txn, name: str, account: str, key: str, vid: str | None) -> dict[str, Any]:
    b = model.bucket(t, name, account)
    require_enabled(b)
    v = model.get_object(t, name, account, key, vid)
    if v.get("dm"):
        raise AwsError.modeled("s3", "MethodNotAllowed", "The specified method is not allowed against this resource.",
                               Method="PUT", ResourceType="DeleteMarker")
    return v


def _save(t: Txn, name: str, v: dict[str, Any]) -> None:
    t.put(model.VERSIONS, f"{name}/{v['key']}\x01{v['seqkey']}", v)
    current = t.get(model.OBJECTS, f"{name}/{v['key']}")
    if current is not None and current.get("vid") == v.get("vid"):
        t.put(model.OBJECTS, f"{name}/{v['key']}", v)


def put_retention(t: Txn, name: str, account: str, key: str, vid: str | None, retention: dict[str, Any],
                  bypass: bool, now: float) -> dict[str, Any]:
    """PutObjectRetention: set, lengthen, or (GOVERNANCE with bypass only) shorten or remove."""
    v = _version(t, name, account, key, vid)
    mode, until = retention.get("Mode"), retention.get("RetainUntilDate")
    if bool(mode) != bool(until):
        raise _malformed()
    new = {"mode": mode, "until": _epoch(until)} if mode else None
    if new is not None:
        _future(new["until"], now)
    old = v.get("lock")
    if old and old["until"] > now:
        weaker = new is None or new["until"] < old["until"] or (old["mode"] == "COMPLIANCE" and new["mode"] != "COMPLIANCE")
        if weaker and (old["mode"] == "COMPLIANCE" or not bypass):
            raise AwsError.modeled("s3", "AccessDenied", PROTECTED)
    if new is None:
        v.pop("lock", None)
    else:
        v["lock"] = new
    _save(t, name, v)
    return v


def put_legal_hold(t: Txn, name: str, account: str, key: str, vid: str | None, status: str) -> dict[str, Any]:
    v = _version(t, name, account, key, vid)
    if status not in ("ON", "OFF"):
        raise _malformed()
    v["hold"] = status
    _save(t, name, v)
    return v


def retention_of(t: Txn, name: str, account: str, key: str, vid: str | None) -> dict[str, Any]:
    v = _version(t, name, account, key, vid)
    if not v.get("lock"):
        raise AwsError.modeled("s3", "NoSuchObjectLockConfiguration",
                               "The specified object does not have a ObjectLock configuration")
    return {"Mode": v["lock"]["mode"], "RetainUntilDate": dt.datetime.fromtimestamp(v["lock"]["until"], dt.UTC)}


def legal_hold_of(t: Txn, name: str, account: str, key: str, vid: str | None) -> dict[str, Any]:
    v = _version(t, name, account, key, vid)
    if not v.get("hold"):
        raise AwsError.modeled("s3", "NoSuchObjectLockConfiguration",
                               "The specified object does not have a ObjectLock configuration")
    return {"Status": v["hold"]}


def headers(obj: dict[str, Any]) -> dict[str, Any]:
    """The x-amz-object-lock-* members of GetObject and HeadObject."""
    out: dict[str, Any] = {}
    if obj.get("lock"):
        out["ObjectLockMode"] = obj["lock"]["mode"]
        out["ObjectLockRetainUntilDate"] = dt.datetime.fromtimestamp(obj["lock"]["until"], dt.UTC)
    if obj.get("hold"):
        out["ObjectLockLegalHoldStatus"] = obj["hold"]
    return out
