"""S3's state rules as store transactions: buckets (a global namespace, each owned by an
account and placed in a region), object versions, multipart uploads. Object bytes are blobs
(a list of [digest, size] pieces: one for a plain upload, one per part after multipart).

Tables: `s3_buckets` (key: bucket name), `s3_objects` (`<bucket>/<key>`: the current
version), `s3_versions` (`<bucket>/<key>\\x01<20-digit descending seq>`: every version and
delete marker), `s3_uploads` (`<bucket>/<key>\\x01<upload id>`), `s3_parts`
(`<upload id>/<part number:05d>`), `s3_annotations` (annotations.py: `<version key>\\x01<name>`,
dropped here with the version they annotate).
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gureum.aws.errors import AwsError
from gureum.services.s3 import replication_rules

if TYPE_CHECKING:
    from gureum.store.base import Txn

BUCKETS = "s3_buckets"
OBJECTS = "s3_objects"
VERSIONS = "s3_versions"
UPLOADS = "s3_uploads"
PARTS = "s3_parts"
ANNOTATIONS = "s3_annotations"
_SEQ_TOP = 10**19
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_IP = re.compile(r"\d+\.\d+\.\d+\.\d+")


# Messages raised from several places (objects.py, other packages reading S3 in-process).
PRECONDITION_FAILED = "At least one of the pre-conditions you specified did not hold"
NO_SUCH_KEY = "The specified key does not exist."


# -- buckets -----------------------------------------------------------------------------------

def check_bucket_name(name: str) -> None:
    if (not _BUCKET_NAME.fullmatch(name) or ".." in name or _IP.fullmatch(name)
            or name.startswith("xn--") or name.endswith("-s3alias")):
        raise AwsError.modeled("s3", "InvalidBucketName", "The specified bucket is not valid.", BucketName=name)


def create_bucket(t: Txn, name: str, account: str, region: str, *, acls: bool = False,
                  lock: bool = False, ownership: str = "BucketOwnerEnforced") -> dict[str, Any]:
    """CreateBucket; `acls`: the bucket keeps ACLs (ObjectOwnership ObjectWriter or
    BucketOwnerPreferred), else they are disabled (BucketOwnerEnforced, AWS's default);
    `lock`: Object Lock on (ObjectLockEnabledForBucket), which turns versioning on. A new
    bucket blocks all public access (bucket_access.py), as AWS's do since April 2023."""
    existing = t.get(BUCKETS, name)
    if existing is not None:
        if existing["account"] == account:
            if existing["region"] == "us-east-1" and region == "us-east-1":
                return existing  # us-east-1 keeps the legacy idempotent create
            raise AwsError.modeled(
                "s3",
                "BucketAlreadyOwnedByYou",
                "Your previous request to create the named bucket succeeded and you already own it.",
                BucketName=name,
            )
        raise AwsError.modeled(
            "s3",
            "BucketAlreadyExists",
            "The requested bucket name is not available. The bucket "
            "namespace is shared by all users of the system. Please select a different name and "
            "try again.",
            BucketName=name,
        )
    doc = {"name": name, "account": account, "region": region, "created": time.time(), "versioning": "",
           "tags": None, "cors": None, "policy": None, "notification": None, "seq": 0, "acls": acls,
           "ownership": ownership, "pab": {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                                           "BlockPublicPolicy": True, "RestrictPublicBuckets": True}}
    if lock:
        doc.update(versioning="Enabled", lock={"ObjectLockEnabled": "Enabled"})
    t.put(BUCKETS, name, doc)
    return doc


def bucket(t: Txn, name: str, account: str | None = None) -> dict[str, Any]:
    if "\x00" in name:  # no bucket can have it (and the store cannot key it)
        raise AwsError.modeled("s3", "InvalidBucketName", "The specified bucket is not valid.", BucketName=name)
    doc = t.get(BUCKETS, name)
    if doc is None:
        raise AwsError.modeled("s3", "NoSuchBucket", "The specified bucket does not exist", BucketName=name)
    if account is not None and doc["account"] != account:
        raise AwsError.modeled("s3", "AccessDenied", "Access Denied")
    return doc


def update_bucket(t: Txn, name: str, account: str, **changes: Any) -> dict[str, Any]:
    doc = bucket(t, name, account)
    doc.update(changes)
    t.put(BUCKETS, name, doc)
    return doc


def delete_bucket(t: Txn, name: str, account: str) -> None:
    bucket(t, name, account)
    if t.scan(VERSIONS, name + "/", limit=1) or t.scan(OBJECTS, name + "/", limit=1):
        raise AwsError.modeled("s3", "BucketNotEmpty", "The bucket you tried to delete is not empty", BucketName=name)
    t.delete_prefix(UPLOADS, name + "/")
    t.delete(BUCKETS, name)


def list_buckets(t: Txn, account: str) -> list[dict[str, Any]]:
    return [d for _, d in t.scan(BUCKETS) if d["account"] == account]


# -- objects -----------------------------------------------------------------------------------

def _okey(bucket_name: str, key: str) -> str:
    return f"{bucket_name}/{key}"


def new_version_id() -> str:
    return secrets.token_urlsafe(24)[:32]


def put_object(t: Txn, bucket_name: str, account: str, obj: dict[str, Any],
               if_none_match: str | None = None, if_match: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Make `obj` the current version of its key; returns (object, bucket)."""
    b = bucket(t, bucket_name, account)
    key = obj["key"]
    current = t.get(OBJECTS, _okey(bucket_name, key))
    live = current if current is not None and not current.get("dm") else None
    if if_none_match is not None and live is not None:
        raise AwsError.modeled(
            "s3",
            "PreconditionFailed",
            PRECONDITION_FAILED,
            Condition="If-None-Match",
        )
    if if_match is not None:
        if live is None:
            raise AwsError.modeled("s3", "NoSuchKey", NO_SUCH_KEY, Key=key)
        if if_match.strip() not in ("*", live["etag"]) and f'"{if_match.strip()}"' != live["etag"]:
            raise AwsError.modeled(
                "s3",
                "PreconditionFailed",
                PRECONDITION_FAILED,
                Condition="If-Match",
            )
    _write_version(t, b, obj)
    return obj, b


def _write_version(t: Txn, b: dict[str, Any], obj: dict[str, Any]) -> None:
    name = b["name"]
    key = obj["key"]
    versioned = b.get("versioning") == "Enabled"
    obj["vid"] = new_version_id() if versioned else "null"
    b["seq"] = b.get("seq", 0) + 1
    t.put(BUCKETS, name, b)
    obj["seq"] = b["seq"]
    obj["seqkey"] = f"{_SEQ_TOP - b['seq']:020d}"
    replication_rules.mark(t, b, obj)  # ReplicationStatus PENDING and queued, when replicated
    if not versioned:  # the null version is replaced
        for vkey, v in t.scan(VERSIONS, f"{name}/{key}\x01"):
            if v.get("vid") == "null":
                t.delete(VERSIONS, vkey)
                t.delete_prefix(ANNOTATIONS, vkey + "\x01")
    t.put(VERSIONS, f"{name}/{key}\x01{obj['seqkey']}", obj)
    t.put(OBJECTS, _okey(name, key), obj)


def get_object(t: Txn, bucket_name: str, account: str, key: str, version_id: str | None = None) -> dict[str, Any]:
    bucket(t, bucket_name, account)
    if version_id:
        v = _find_version(t, bucket_name, key, version_id)
        if v is None:
            if version_id != "null" and not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", version_id):
                raise AwsError.modeled(
                    "s3",
                    "InvalidArgument",
                    "Invalid version id specified",
                    ArgumentName="versionId",
                    ArgumentValue=version_id,
                )
            raise AwsError.modeled(
                "s3", "NoSuchVersion", "The specified version does not exist.", Key=key, VersionId=version_id
            )
        return v
    obj = t.get(OBJECTS, _okey(bucket_name, key))
    if obj is None:
        raise AwsError.modeled("s3", "NoSuchKey", NO_SUCH_KEY, Key=key)
    return obj


def _find_version(t: Txn, bucket_name: str, key: str, vid: str) -> dict[str, Any] | None:
    for _, v in t.scan(VERSIONS, f"{bucket_name}/{key}\x01"):
        if v.get("vid") == vid:
            return v
    return None


def delete_object(t: Txn, bucket_name: str, account: str, key: str, version_id: str | None = None,
                  guard: Callable[[dict[str, Any]], None] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Delete as S3 does: a delete marker in versioned buckets, the version itself when a
    version id is given (after `guard` has seen it: Object Lock's check). Returns (result,
    bucket); result has vid/dm/deleted."""
    b = bucket(t, bucket_name, account)
    okey = _okey(bucket_name, key)
    b["seq"] = b.get("seq", 0) + 1  # orders the removal event (its sequencer)
    t.put(BUCKETS, bucket_name, b)
    event = {"seq": b["seq"], "mtime": time.time()}
    if version_id:
        found = None
        for vkey, v in t.scan(VERSIONS, f"{bucket_name}/{key}\x01"):
            if v.get("vid") == version_id:
                found = (vkey, v)
                break
        if found is None:
            return {"vid": version_id, "deleted": False}, b
        if guard is not None:
            guard(found[1])
        t.delete(VERSIONS, found[0])
        t.delete_prefix(ANNOTATIONS, found[0] + "\x01")
        current = t.get(OBJECTS, okey)
        if current is not None and current.get("vid") == version_id:
            rest = t.scan(VERSIONS, f"{bucket_name}/{key}\x01", limit=1)
            if rest:
                t.put(OBJECTS, okey, rest[0][1])
            else:
                t.delete(OBJECTS, okey)
        return {"vid": version_id, "dm": bool(found[1].get("dm")), "deleted": True, "obj": event}, b
    if b.get("versioning") in ("Enabled", "Suspended"):
        marker = {"key": key, "dm": True, "mtime": time.time(), "size": 0, "etag": ""}
        _write_version(t, b, marker)
        return {"vid": marker["vid"], "dm": True, "deleted": True, "obj": marker}, b
    current = t.get(OBJECTS, okey)
    t.delete(OBJECTS, okey)
    t.delete_prefix(VERSIONS, f"{bucket_name}/{key}\x01")
    t.delete_prefix(ANNOTATIONS, f"{bucket_name}/{key}\x01")
    return {"vid": None, "deleted": current is not None, "obj": event}, b


def set_object_tags(t: Txn, bucket_name: str, account: str, key: str, version_id: str | None,
                    tags: dict[str, str] | None) -> dict[str, Any]:
    obj = get_object(t, bucket_name, account, key, version_id)
    if obj.get("dm"):
        raise AwsError.modeled("s3", "MethodNotAllowed", "The specified method is not allowed against this resource.")
    obj["tags"] = tags or {}
    vkey = f"{bucket_name}/{key}\x01{obj['seqkey']}"
    t.put(VERSIONS, vkey, obj)
    current = t.get(OBJECTS, _okey(bucket_name, key))
    if current is not None and current.get("vid") == obj.get("vid"):
        t.put(OBJECTS, _okey(bucket_name, key), obj)
    return obj


# -- multipart ---------------------------------------------------------------------------------

def create_upload(t: Txn, bucket_name: str, account: str, upload: dict[str, Any]) -> str:
    bucket(t, bucket_name, account)
    upload_id = secrets.token_urlsafe(48)
    upload["id"] = upload_id
    upload["initiated"] = time.time()
    t.put(UPLOADS, f"{bucket_name}/{upload['key']}\x01{upload_id}", upload)
    return upload_id


def get_upload(t: Txn, bucket_name: str, account: str, key: str, upload_id: str) -> dict[str, Any]:
    bucket(t, bucket_name, account)
    up = t.get(UPLOADS, f"{bucket_name}/{key}\x01{upload_id}")
    if up is None:
        raise AwsError.modeled(
            "s3",
            "NoSuchUpload",
            "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
            UploadId=upload_id,
        )
    return up


def put_part(t: Txn, bucket_name: str, account: str, key: str, upload_id: str, number: int,
             part: dict[str, Any]) -> None:
    get_upload(t, bucket_name, account, key, upload_id)
    t.put(PARTS, f"{upload_id}/{number:05d}", part)


def list_parts(t: Txn, upload_id: str) -> list[dict[str, Any]]:
    return [d for _, d in t.scan(PARTS, upload_id + "/")]


def finish_upload(t: Txn, bucket_name: str, key: str, upload_id: str) -> None:
    t.delete(UPLOADS, f"{bucket_name}/{key}\x01{upload_id}")
    t.delete_prefix(PARTS, upload_id + "/")
