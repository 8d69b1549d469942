"""Secrets Manager secrets: the store layout and AWS's rules for them.

Tables:
- sm_secrets: "{account}/{region}/{name}" -> {"Name", "ARN", "Description", "KmsKeyId",
  "CreatedDate", "LastChangedDate", "LastAccessedDate", "DeletedDate", "DeletionDate",
  "RotationEnabled", "RotationLambdaARN", "RotationRules", "LastRotatedDate",
  "NextRotationDate", "tags": {k: v}, "policy": text or None,
  "versions": {version id: {"stages": [...], "CreatedDate", "LastAccessedDate", "value": bool}}}
  (dates as epoch seconds).
- sm_secret_values: "{account}/{region}/{name}#{version id}" -> {"sealed": the value sealed
  with gureum/sealing.py (context the secret's ARN and version), "binary": bool}.

Invariants: a staging label is attached to at most one version of a secret; AWSCURRENT
moving away from a version puts AWSPREVIOUS on it; a version without labels is deprecated
and at most 100 versions are kept (the oldest deprecated dropped first); a version's value
never changes once written (a version created by RotateSecret holds none until its
createSecret step puts one). A secret whose DeletionDate has passed is gone: reads treat it
as absent and `sweep` removes its rows. Writes publish "secretsmanager.secret" {"key": ...}.
"""

from __future__ import annotations

import json
import re
import secrets as pyrandom
import string
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from gureum import sealing
from gureum.aws import arn as arns
from gureum.aws import paging, tags
from gureum.aws.errors import AwsError
from gureum.store import Txn

SECRETS = "sm_secrets"
VALUES = "sm_secret_values"
TOPIC = "secretsmanager.secret"
DAY = 86400.0
MAX_VERSIONS = 100
MAX_STAGES = 20
CURRENT, PREVIOUS, PENDING = "AWSCURRENT", "AWSPREVIOUS", "AWSPENDING"
_NAME = re.compile(r"^[a-zA-Z0-9/_+=.@\-]{1,512}$")

Doc = dict[str, Any]


def err(code: str, message: str) -> AwsError:
    return AwsError.modeled("secretsmanager", code, message)


def not_found() -> AwsError:
    return err("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")


def _marked() -> AwsError:
    return err("InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion.")


TAG_RULES = tags.Rules(invalid=lambda m: err("InvalidParameterException", m), too_many=lambda m: err("InvalidParameterException", m))


def key(account: str, region: str, name: str) -> str:
    return f"{account}/{region}/{name}"


def _gone(doc: Doc | None, now: float) -> bool:
    return doc is None or (doc.get("DeletionDate") is not None and doc["DeletionDate"] <= now)


def find(txn: Txn, account: str, region: str, ref: str, now: float) -> tuple[str, Doc]:
    """(store key, secret) that `ref` (a name, full ARN or partial ARN) names; a full or
    partial ARN may name another account's secret (the policy gate let the caller this far)."""
    candidates: list[tuple[str, str, str | None]] = []  # (account, name, full ARN wanted)
    if arns.looks_like_arn(ref):
        a = arns.try_parse(ref)
        if a is None or a.service != "secretsmanager" or not a.resource.startswith("secret:"):
            raise not_found()
        account, region = a.account or account, a.region or region
        rest = a.resource[len("secret:"):]
        if len(rest) > 7 and rest[-7] == "-":
            candidates.append((account, rest[:-7], ref))
        candidates.append((account, rest, None))
    else:
        candidates.append((account, ref, None))
    for acct, name, full in candidates:
        k = key(acct, region, name)
        doc = txn.get(SECRETS, k)
        if not _gone(doc, now) and doc is not None and (full is None or doc["ARN"] == full):
            return k, doc
    raise not_found()


def _check_name(name: str) -> None:
    if not _NAME.match(name):
        raise AwsError.common("ValidationException", "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!")


def _value_of(p: Doc) -> tuple[bytes, bool] | None:
    if p.get("SecretString") is not None and p.get("SecretBinary") is not None:
        raise err("InvalidParameterException", "You can't specify both a binary secret value and a string secret value in the same secret.")
    if p.get("SecretString") is not None:
        return str(p["SecretString"]).encode(), False
    if p.get("SecretBinary") is not None:
        return bytes(p["SecretBinary"]), True
    return None


def _context(doc: Doc, vid: str) -> str:
    return f"{doc['ARN']}#{vid}"


def _write_version(txn: Txn, k: str, doc: Doc, vid: str, value: tuple[bytes, bool] | None, stages: list[str], now: float) -> bool:
    """Add version `vid` with `stages` (moving them from other versions); False if it exists
    with the same value (an idempotent retry). AWSCURRENT moving puts AWSPREVIOUS on the old one."""
    versions: dict[str, Doc] = doc["versions"]
    vkey = f"{k}#{vid}"
    old = versions.get(vid)
    if old is not None and value is not None:
        if old.get("value"):
            stored = txn.get(VALUES, vkey)
            same = value is not None and stored is not None and sealing.unseal(txn, stored["sealed"], _context(doc, vid)) == value[0] \
                and bool(stored["binary"]) == value[1]
            if not same:
                raise err("ResourceExistsException", "You can't modify an existing version, you can only create a new version.")
            return False
    if len(stages) > MAX_STAGES:
        raise err("LimitExceededException", f"A version can have at most {MAX_STAGES} staging labels.")
    for other_id, other in versions.items():
        if other_id == vid:
            continue
        moved = [s for s in other["stages"] if s in stages]
        if moved:
            other["stages"] = [s for s in other["stages"] if s not in stages]
            if CURRENT in moved:
                for v in versions.values():
                    v["stages"] = [s for s in v["stages"] if s != PREVIOUS]
                other["stages"].append(PREVIOUS)
    entry = old or {"CreatedDate": now, "stages": []}
    entry["stages"] = list(dict.fromkeys(entry["stages"] + stages))
    if value is not None:
        txn.put(VALUES, vkey, {"sealed": sealing.seal(txn, value[0], _context(doc, vid)), "binary": value[1]})
        entry["value"] = True
    versions[vid] = entry
    _trim(txn, k, versions)
    doc["LastChangedDate"] = now
    return True


def _trim(txn: Txn, k: str, versions: dict[str, Doc]) -> None:
    if len(versions) <= MAX_VERSIONS:
        return
    deprecated = sorted((v["CreatedDate"], vid) for vid, v in versions.items() if not v["stages"])
    for _, vid in deprecated[: len(versions) - MAX_VERSIONS]:
        del versions[vid]
        txn.delete(VALUES, f"{k}#{vid}")


def _save(txn: Txn, k: str, doc: Doc) -> None:
    txn.put(SECRETS, k, doc)
    txn.publish(TOPIC, {"key": k})


def create(txn: Txn, account: str, region: str, p: Doc, now: float) -> Doc:
    name: str = p["Name"]
    _check_name(name)
    k = key(account, region, name)
    old = txn.get(SECRETS, k)
    if old is not None and not _gone(old, now):
        if old.get("DeletionDate") is not None:
            raise err("InvalidRequestException", "You can't create this secret because a secret with this name is already scheduled for deletion.")
        raise err("ResourceExistsException", f"The operation failed because the secret {name} already exists.")
    if old is not None:
        _purge(txn, k)
    if p.get("AddReplicaRegions"):
        raise err("InvalidRequestException", "Replicating secrets to other Regions is not supported by gureum.")
    value = _value_of(p)
    suffix = "".join(pyrandom.choice(string.ascii_letters) for _ in range(6))
    doc: Doc = {"Name": name, "ARN": arns.secretsmanager_secret(region, account, name, suffix),
                "Description": p.get("Description"), "KmsKeyId": p.get("KmsKeyId"), "CreatedDate": now,
                "LastChangedDate": now, "RotationEnabled": False, "versions": {}, "policy": None,
                "tags": tags.check(tags.from_pairs(p.get("Tags")), TAG_RULES)}
    out: Doc = {"ARN": doc["ARN"], "Name": name}
    if value is not None:
        vid = p["ClientRequestToken"]
        _write_version(txn, k, doc, vid, value, [CURRENT], now)
        out["VersionId"] = vid
    _save(txn, k, doc)
    return out


def put_value(txn: Txn, account: str, region: str, p: Doc, now: float) -> Doc:
    k, doc = find(txn, account, region, p["SecretId"], now)
    if doc.get("DeletionDate") is not None:
        raise _marked()
    value = _value_of(p)
    if value is None:
        raise err("InvalidRequestException", "You must provide either SecretString or SecretBinary.")
    vid = p["ClientRequestToken"]
    stages = list(p.get("VersionStages") or [CURRENT])
    _write_version(txn, k, doc, vid, value, stages, now)
    _save(txn, k, doc)
    return {"ARN": doc["ARN"], "Name": doc["Name"], "VersionId": vid, "VersionStages": doc["versions"][vid]["stages"]}


def update(txn: Txn, account: str, region: str, p: Doc, now: float) -> Doc:
    k, doc = find(txn, account, region, p["SecretId"], now)
    if doc.get("DeletionDate") is not None:
        raise _marked()
    for f in ("Description", "KmsKeyId"):
        if f in p:
            doc[f] = p[f]
    out: Doc = {"ARN": doc["ARN"], "Name": doc["Name"]}
    value = _value_of(p)
    if value is not None:
        vid = p["ClientRequestToken"]
        _write_version(txn, k, doc, vid, value, [CURRENT], now)
        out["VersionId"] = vid
    doc["LastChangedDate"] = now
    _save(txn, k, doc)
    return out


def _pick_version(doc: Doc, vid: str | None, stage: str | None) -> str:
    versions: dict[str, Doc] = doc["versions"]
    if vid is not None:
        v = versions.get(vid)
        if v is None or not v.get("value"):
            raise err("ResourceNotFoundException", f"Secrets Manager can't find the specified secret value for VersionId: {vid}")
        if stage is not None and stage not in v["stages"]:
            raise err("InvalidRequestException", "You provided a VersionStage that is not associated to the provided VersionId.")
        return vid
    stage = stage or CURRENT
    for version_id, v in versions.items():
        if stage in v["stages"] and v.get("value"):
            return version_id
    raise err("ResourceNotFoundException", f"Secrets Manager can't find the specified secret value for staging label: {stage}")


def get_value(txn: Txn, account: str, region: str, ref: str, vid: str | None, stage: str | None, now: float) -> Doc:
    """GetSecretValue (records LastAccessedDate, to the day as AWS keeps it)."""
    k, doc = find(txn, account, region, ref, now)
    if doc.get("DeletionDate") is not None:
        raise _marked()
    version = _pick_version(doc, vid, stage)
    stored = txn.get(VALUES, f"{k}#{version}")
    if stored is None:
        raise err("ResourceNotFoundException", f"Secrets Manager can't find the specified secret value for VersionId: {version}")
    try:
        plain = sealing.unseal(txn, stored["sealed"], _context(doc, version))
    except sealing.Unsealable:
        raise err("DecryptionFailure", "Secrets Manager can't decrypt the protected secret text using the provided KMS key.") from None
    out: Doc = {"ARN": doc["ARN"], "Name": doc["Name"], "VersionId": version,
                "VersionStages": list(doc["versions"][version]["stages"]),
                "CreatedDate": datetime.fromtimestamp(doc["versions"][version]["CreatedDate"]).astimezone()}
    if stored["binary"]:
        out["SecretBinary"] = plain
    else:
        out["SecretString"] = plain.decode()
    day = now - now % DAY
    if doc.get("LastAccessedDate") != day:
        doc["LastAccessedDate"] = day
        doc["versions"][version]["LastAccessedDate"] = day
        _save(txn, k, doc)
    return out


def _date(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts).astimezone()


def describe_doc(doc: Doc) -> Doc:
    """DescribeSecret's answer (and ListSecrets' entry, with SecretVersionsToStages)."""
    out: Doc = {"ARN": doc["ARN"], "Name": doc["Name"], "RotationEnabled": bool(doc.get("RotationEnabled")),
                "CreatedDate": _date(doc["CreatedDate"]), "LastChangedDate": _date(doc.get("LastChangedDate"))}
    for f in ("Description", "KmsKeyId", "RotationLambdaARN", "RotationRules"):
        if doc.get(f) is not None:
            out[f] = doc[f]
    for f in ("LastAccessedDate", "LastRotatedDate", "NextRotationDate"):
        if doc.get(f) is not None:
            out[f] = _date(doc[f])
    if doc.get("DeletionDate") is not None:
        out["DeletedDate"] = _date(doc.get("DeletedDate"))
    if doc.get("tags"):
        out["Tags"] = tags.to_pairs(doc["tags"])
    out["VersionIdsToStages"] = {vid: list(v["stages"]) for vid, v in doc["versions"].items() if v["stages"]}
    return out


def describe(txn: Txn, account: str, region: str, ref: str, now: float) -> Doc:
    _, doc = find(txn, account, region, ref, now)
    return describe_doc(doc)


_FILTER_KEYS = ("description", "name", "tag-key", "tag-value", "primary-region", "owning-service", "all")


def _filter(filters: list[Doc]) -> Callable[[Doc], bool]:
    tests: list[Callable[[Doc], bool]] = []
    for f in filters:
        fkey = f.get("Key")
        if fkey not in _FILTER_KEYS:
            raise err("InvalidParameterException", f"Invalid filter key: {fkey}")
        values = [str(v) for v in f.get("Values") or []]

        def fields(d: Doc, fkey: str = str(fkey)) -> list[str]:
            t = d.get("tags") or {}
            return {"name": [d["Name"]], "description": [d.get("Description") or ""], "tag-key": list(t),
                    "tag-value": list(t.values()), "primary-region": [], "owning-service": [],
                    "all": [d["Name"], d.get("Description") or "", *t, *t.values()]}[fkey]

        def ok(d: Doc, values: list[str] = values, fields: Callable[[Doc], list[str]] = fields) -> bool:
            have = fields(d)
            plain = [v for v in values if not v.startswith("!")]
            negated = [v[1:] for v in values if v.startswith("!")]
            if any(h.startswith(v) for h in have for v in negated):
                return False
            return not plain or any(h.lower().startswith(v.lower()) for h in have for v in plain)

        tests.append(ok)
    return lambda d: all(t(d) for t in tests)


def _bad_token() -> AwsError:
    return err("InvalidNextTokenException", "The NextToken value is invalid.")


def listing(txn: Txn, account: str, region: str, p: Doc, now: float) -> tuple[list[Doc], str | None]:
    keep = _filter(p.get("Filters") or [])
    planned = bool(p.get("IncludePlannedDeletion"))
    docs = [d for _, d in txn.scan(SECRETS, key(account, region, ""))
            if not _gone(d, now) and (planned or d.get("DeletionDate") is None) and keep(d)]
    desc = p.get("SortOrder") == "desc"
    shown, token = paging.page_items(docs, lambda d: (d["CreatedDate"], d["Name"]), listing=f"sm.secrets/{account}/{region}",
                                     token=p.get("NextToken"), limit=p.get("MaxResults"), default_limit=100, max_limit=100,
                                     descending=desc, filters={"f": p.get("Filters"), "p": planned, "d": desc}, error=_bad_token)
    out = []
    for d in shown:
        entry = describe_doc(d)
        entry["SecretVersionsToStages"] = entry.pop("VersionIdsToStages")
        out.append(entry)
    return out, token


def version_ids(txn: Txn, account: str, region: str, p: Doc, now: float) -> tuple[Doc, list[Doc], str | None]:
    _, doc = find(txn, account, region, p["SecretId"], now)
    items = [{"VersionId": vid, "VersionStages": list(v["stages"]), "CreatedDate": _date(v["CreatedDate"]),
              **({"LastAccessedDate": _date(v["LastAccessedDate"])} if v.get("LastAccessedDate") else {})}
             for vid, v in doc["versions"].items() if v["stages"] or p.get("IncludeDeprecated")]
    shown, token = paging.page_items(items, lambda i: (i["CreatedDate"].timestamp(), i["VersionId"]),
                                     listing=f"sm.versions/{doc['ARN']}", token=p.get("NextToken"), limit=p.get("MaxResults"),
                                     default_limit=100, max_limit=100, descending=True,
                                     filters={"d": bool(p.get("IncludeDeprecated"))}, error=_bad_token)
    return doc, shown, token


def update_stage(txn: Txn, account: str, region: str, p: Doc, now: float) -> Doc:
    k, doc = find(txn, account, region, p["SecretId"], now)
    if doc.get("DeletionDate") is not None:
        raise _marked()
    stage: str = p["VersionStage"]
    versions: dict[str, Doc] = doc["versions"]
    move, remove = p.get("MoveToVersionId"), p.get("RemoveFromVersionId")
    for vid in (move, remove):
        if vid is not None and vid not in versions:
            raise err("ResourceNotFoundException", f"Secrets Manager can't find the specified secret version: {vid}")
    holder = next((vid for vid, v in versions.items() if stage in v["stages"]), None)
    if remove is not None and holder != remove:
        raise err("InvalidParameterException", f"The staging label {stage} is not attached to version {remove}.")
    if move is not None and holder not in (None, move) and remove is None:
        raise err("InvalidParameterException", f"The parameter RemoveFromVersionId can't be empty. Staging label {stage} is currently attached to version {holder}, so you must explicitly reference that version in RemoveFromVersionId.")
    if move is None and stage == CURRENT:
        raise err("InvalidParameterException", "You can only move staging label AWSCURRENT to a different secret version. It can't be completely removed.")
    if move is not None:
        _write_version(txn, k, doc, move, None, [stage], now)
    elif remove is not None:
        versions[remove]["stages"] = [s for s in versions[remove]["stages"] if s != stage]
    _save(txn, k, doc)
    return {"ARN": doc["ARN"], "Name": doc["Name"]}


def delete(txn: Txn, account: str, region: str, p: Doc, now: float) -> Doc:
    k, doc = find(txn, account, region, p["SecretId"], now)
    force = bool(p.get("ForceDeleteWithoutRecovery"))
    window = p.get("RecoveryWindowInDays")
    if force and window is not None:
        raise err("InvalidParameterException", "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
    if window is not None and not 7 <= int(window) <= 30:
        raise err("InvalidParameterException", "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
    if doc.get("DeletionDate") is not None and not force:
        raise _marked()
    if force:
        _purge(txn, k)
        return {"ARN": doc["ARN"], "Name": doc["Name"], "DeletionDate": _date(now)}
    doc["DeletedDate"] = now
    doc["DeletionDate"] = now + int(window or 30) * DAY
    _save(txn, k, doc)
    return {"ARN": doc["ARN"], "Name": doc["Name"], "DeletionDate": _date(doc["DeletionDate"])}


def restore(txn: Txn, account: str, region: str, ref: str, now: float) -> Doc:
    k, doc = find(txn, account, region, ref, now)
    doc.pop("DeletionDate", None)
    doc.pop("DeletedDate", None)
    _save(txn, k, doc)
    return {"ARN": doc["ARN"], "Name": doc["Name"]}


def _purge(txn: Txn, k: str) -> None:
    txn.delete(SECRETS, k)
    txn.delete_prefix(VALUES, k + "#")
    txn.publish(TOPIC, {"key": k})


def sweep(txn: Txn, now: float) -> int:
    """Really delete every secret whose recovery window has ended; how many went."""
    gone = [k for k, d in txn.scan(SECRETS) if d.get("DeletionDate") is not None and d["DeletionDate"] <= now]
    for k in gone:
        _purge(txn, k)
    return len(gone)


class _TagPlace:
    def __init__(self, k: str, doc: Doc) -> None:
        self.k, self.doc = k, doc

    def read(self, txn: Txn) -> dict[str, str]:
        return dict(self.doc.get("tags") or {})

    def write(self, txn: Txn, tag_set: dict[str, str]) -> None:
        self.doc["tags"] = tag_set
        _save(txn, self.k, self.doc)


def tag_place(txn: Txn, account: str, region: str, ref: str, now: float) -> _TagPlace:
    k, doc = find(txn, account, region, ref, now)
    if doc.get("DeletionDate") is not None:
        raise _marked()
    return _TagPlace(k, doc)


def set_policy(txn: Txn, account: str, region: str, ref: str, text: str | None, now: float) -> Doc:
    k, doc = find(txn, account, region, ref, now)
    if doc.get("DeletionDate") is not None:
        raise _marked()
    doc["policy"] = text
    _save(txn, k, doc)
    return {"ARN": doc["ARN"], "Name": doc["Name"]}


def get_policy(txn: Txn, account: str, region: str, ref: str, now: float) -> Doc:
    _, doc = find(txn, account, region, ref, now)
    out: Doc = {"ARN": doc["ARN"], "Name": doc["Name"]}
    if doc.get("policy"):
        out["ResourcePolicy"] = doc["policy"]
    return out


def policy_of_arn(txn: Txn, arn: str, now: float) -> str | None:
    """The resource policy of the secret `arn` (for the policy gate), or None."""
    a = arns.try_parse(arn)
    if a is None:
        return None
    try:
        _, doc = find(txn, a.account, a.region, arn, now)
    except AwsError:
        return None
    return str(doc["policy"]) if doc.get("policy") else None


# --- rotation -------------------------------------------------------------------------------

def start_rotation(txn: Txn, account: str, region: str, p: Doc, now: float) -> tuple[Doc, str, str]:
    """RotateSecret's bookkeeping: rotation settings stored, the new version created with
    AWSPENDING and no value (the function's createSecret step puts it). Returns (answer,
    secret ARN, function ARN)."""
    k, doc = find(txn, account, region, p["SecretId"], now)
    if doc.get("DeletionDate") is not None:
        raise _marked()
    fn = p.get("RotationLambdaARN") or doc.get("RotationLambdaARN")
    if not fn:
        raise err("InvalidRequestException", "No Lambda rotation function ARN is associated with this secret.")
    pending = [vid for vid, v in doc["versions"].items() if PENDING in v["stages"] and CURRENT not in v["stages"]]
    token = p["ClientRequestToken"]
    if pending and pending != [token]:
        raise err("InvalidRequestException", "A previous rotation isn't complete. That rotation will be reattempted.")
    rules = p.get("RotationRules") or doc.get("RotationRules")
    doc["RotationLambdaARN"] = fn
    doc["RotationEnabled"] = True
    if rules:
        doc["RotationRules"] = rules
        days = rules.get("AutomaticallyAfterDays")
        doc["NextRotationDate"] = now + int(days) * DAY if days else None
    if token not in doc["versions"]:
        _write_version(txn, k, doc, token, None, [PENDING], now)
    _save(txn, k, doc)
    return {"ARN": doc["ARN"], "Name": doc["Name"], "VersionId": token}, str(doc["ARN"]), str(fn)


def finish_rotation(txn: Txn, arn: str, token: str, ok: bool, now: float) -> None:
    """After the four steps: the token's version loses AWSPENDING once it is AWSCURRENT
    (success), and LastRotatedDate is recorded."""
    a = arns.parse(arn)
    try:
        k, doc = find(txn, a.account, a.region, arn, now)
    except AwsError:
        return
    v = doc["versions"].get(token)
    if ok and v is not None and CURRENT in v["stages"]:
        v["stages"] = [s for s in v["stages"] if s != PENDING]
        doc["LastRotatedDate"] = now
    _save(txn, k, doc)


def cancel_rotation(txn: Txn, account: str, region: str, ref: str, now: float) -> Doc:
    k, doc = find(txn, account, region, ref, now)
    doc["RotationEnabled"] = False
    doc["NextRotationDate"] = None
    pending = [vid for vid, v in doc["versions"].items() if PENDING in v["stages"]]
    for vid in pending:
        doc["versions"][vid]["stages"] = [s for s in doc["versions"][vid]["stages"] if s != PENDING]
    _save(txn, k, doc)
    return {"ARN": doc["ARN"], "Name": doc["Name"], **({"VersionId": pending[0]} if pending else {})}


def json_key(value: str, field: str) -> str:
    """The `field` of a JSON secret (ECS's `:json-key:` selector)."""
    got = json.loads(value).get(field)
    if got is None:
        raise KeyError(field)
    return got if isinstance(got, str) else json.dumps(got)


def due_rotations(txn: Txn, now: float) -> list[tuple[str, str, str]]:
    """The scheduled rotations due now, each started (its AWSPENDING version created, the
    next date moved on): [(secret ARN, function ARN, token)]."""
    out: list[tuple[str, str, str]] = []
    for k, doc in list(txn.scan(SECRETS)):
        due = doc.get("NextRotationDate")
        if not doc.get("RotationEnabled") or due is None or due > now or doc.get("DeletionDate") is not None:
            continue
        acct, region, _ = k.split("/", 2)
        try:
            _, arn, fn = start_rotation(txn, acct, region, {"SecretId": doc["ARN"], "ClientRequestToken": str(uuid.uuid4())}, now)
        except AwsError:
            continue
        token = next(vid for vid, v in txn.get(SECRETS, k)["versions"].items() if PENDING in v["stages"])  # type: ignore[index]
        out.append((arn, fn, token))
    return out
