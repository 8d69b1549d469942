"""Log anomaly detectors and the anomalies they find.

Store table: logs.anomaly_detectors "<acct>/<region>/<detectorId>" -> the detector as
GetLogAnomalyDetector shows it, plus "enabled", "baseline" (pattern ids of the group's
behaviour before the detector started, and those UpdateAnomaly marked baseline),
"evaluatedUntil" (the ingestion time read so far) and "anomalies" ({patternId: anomaly}).

Detection, sans-IO in `pattern_of` and `evaluate`: a log message's pattern is its
whitespace tokens with every token holding a digit (numbers, ids, addresses, times) made a
variable `<*>`. The events ingested before the detector was created are its training set
(their patterns are the baseline); an event ingested after, whose pattern is new, is an
anomaly of that pattern (first/last seen, an hourly histogram, up to five samples). A
detector evaluates when its anomalies are asked for (ListAnomalies) or it is read, at most
`SCAN_LIMIT` events a pass; a paused detector (`enabled` false) does not. Suppressed
anomalies (UpdateAnomaly) stay listed with state Suppressed until their suppression ends.
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from typing import Any

from gureum.aws import arn as arns
from gureum.aws import paging, tags
from gureum.aws.errors import AwsError
from gureum.services.logs import model
from gureum.services.logs.patterns import PatternError, compile_pattern
from gureum.store import Txn

TABLE = "logs.anomaly_detectors"
SCAN_LIMIT = 100_000
MAX_SAMPLES = 5
HOUR_MS = 3_600_000
_VARIABLE = re.compile(r"\d")
TAG_RULES = tags.Rules(invalid=lambda m: AwsError.modeled("logs", "InvalidParameterException", m),
                       too_many=lambda m: AwsError.modeled("logs", "InvalidParameterException", m))
VIEW_KEYS = ("anomalyDetectorArn", "detectorName", "logGroupArnList", "evaluationFrequency", "filterPattern",
             "anomalyDetectorStatus", "kmsKeyId", "creationTimeStamp", "lastModifiedTimeStamp", "anomalyVisibilityTime")


def _invalid(message: str) -> AwsError:
    return AwsError.modeled("logs", "InvalidParameterException", message)


def _not_found() -> AwsError:
    return AwsError.modeled("logs", "ResourceNotFoundException", "The specified anomaly detector does not exist.")


def _key(account: str, region: str, detector_id: str) -> str:
    return f"{account}/{region}/{detector_id}"


def _now() -> int:
    return int(time.time() * 1000)


def pattern_of(message: str) -> list[str]:
    return ["<*>" if _VARIABLE.search(tok) else tok for tok in message.split()]


def pattern_id(tokens: list[str]) -> str:
    return hashlib.md5(" ".join(tokens).encode(), usedforsecurity=False).hexdigest()


def _check_pattern(pattern: str | None) -> None:
    try:
        compile_pattern(pattern)
    except (PatternError, ValueError):
        raise _invalid("Invalid filter pattern") from None


def create(txn: Txn, account: str, region: str, params: dict[str, Any]) -> str:
    groups = list(params["logGroupArnList"])
    if len(groups) != 1:
        raise _invalid("logGroupArnList must contain exactly one log group ARN.")
    for g in groups:
        try:
            g_region, g_account, name = arns.logs_group_parts(g)
        except arns.BadArn:
            raise _invalid(f"Invalid log group ARN: {g}") from None
        if (g_region, g_account) != (region, account) or txn.get(model.GROUPS, model.group_key(account, region, name)) is None:
            raise AwsError.modeled("logs", "ResourceNotFoundException", f"Log group {g} does not exist.")
    _check_pattern(params.get("filterPattern"))
    did = str(uuid.uuid4())
    now = _now()
    doc: dict[str, Any] = {
        "anomalyDetectorArn": arns.logs_resource(region, account, "anomaly-detector", did),
        "detectorName": params.get("detectorName") or did, "logGroupArnList": groups,
        "evaluationFrequency": params.get("evaluationFrequency") or "FIVE_MIN",
        "anomalyDetectorStatus": "INITIALIZING", "creationTimeStamp": now, "lastModifiedTimeStamp": now,
        "anomalyVisibilityTime": params.get("anomalyVisibilityTime") or 21, "enabled": True,
        "baseline": [], "evaluatedUntil": None, "anomalies": {},
        "tags": tags.check(dict(params.get("tags") or {}), TAG_RULES) if params.get("tags") else {},
    }
    if params.get("filterPattern") is not None:
        doc["filterPattern"] = params["filterPattern"]
    if params.get("kmsKeyId"):
        doc["kmsKeyId"] = params["kmsKeyId"]
    txn.put(TABLE, _key(account, region, did), doc)
    return str(doc["anomalyDetectorArn"])


def _find(txn: Txn, account: str, region: str, arn: str) -> tuple[str, dict[str, Any]]:
    parsed = arns.try_parse(arn)
    if parsed is None or not parsed.resource.startswith("anomaly-detector:"):
        raise _invalid(f"Invalid anomaly detector ARN: {arn}")
    k = _key(account, region, parsed.resource.split(":", 1)[1])
    doc = txn.get(TABLE, k) if (parsed.account, parsed.region) == (account, region) else None
    if doc is None:
        raise _not_found()
    return k, doc


def view(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: doc[k] for k in VIEW_KEYS if doc.get(k) is not None}


def get(txn: Txn, account: str, region: str, arn: str) -> dict[str, Any]:
    k, doc = _find(txn, account, region, arn)
    doc = evaluate(txn, account, region, doc)
    txn.put(TABLE, k, doc)
    return view(doc)


def list_detectors(txn: Txn, account: str, region: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    group = params.get("filterLogGroupArn")
    rows = [view(d) for _, d in txn.scan(TABLE, f"{account}/{region}/") if group is None or group in d["logGroupArnList"]]
    rows.sort(key=lambda d: d["anomalyDetectorArn"])
    return paging.page_items(rows, lambda d: d["anomalyDetectorArn"], listing=f"{TABLE}/{account}/{region}/",
                             token=params.get("nextToken"), limit=params.get("limit"), default_limit=50, max_limit=50,
                             filters={"g": group}, error=lambda: _invalid("The specified nextToken is invalid."))


def update(txn: Txn, account: str, region: str, params: dict[str, Any]) -> None:
    k, doc = _find(txn, account, region, params["anomalyDetectorArn"])
    if "filterPattern" in params:
        _check_pattern(params["filterPattern"])
        doc["filterPattern"] = params["filterPattern"]
    for opt in ("evaluationFrequency", "anomalyVisibilityTime"):
        if params.get(opt) is not None:
            doc[opt] = params[opt]
    doc["enabled"] = bool(params["enabled"])
    doc["anomalyDetectorStatus"] = "PAUSED" if not doc["enabled"] else (
        "ANALYZING" if doc.get("evaluatedUntil") is not None else "INITIALIZING")
    doc["lastModifiedTimeStamp"] = _now()
    txn.put(TABLE, k, doc)


def delete(txn: Txn, account: str, region: str, arn: str) -> None:
    k, _ = _find(txn, account, region, arn)
    txn.delete(TABLE, k)


# --- detection ------------------------------------------------------------------------------------


def evaluate(txn: Txn, account: str, region: str, doc: dict[str, Any]) -> dict[str, Any]:
    """Read the events ingested since the last pass and record new-pattern anomalies."""
    if not doc.get("enabled", True):
        return doc
    match = compile_pattern(doc.get("filterPattern"))
    created = int(doc["creationTimeStamp"])
    since = doc.get("evaluatedUntil")
    baseline = set(doc.get("baseline") or [])
    found: dict[str, Any] = dict(doc.get("anomalies") or {})
    newest = since or created
    for g in doc["logGroupArnList"]:
        _, _, name = arns.logs_group_parts(g)
        for _, ev in txn.scan(model.EVENTS, model.group_key(account, region, name) + model.SEP, limit=SCAN_LIMIT):
            ingested = int(ev["i"])
            if since is not None and ingested <= since or not match(ev["m"]):
                continue
            tokens = pattern_of(ev["m"])
            pid = pattern_id(tokens)
            if ingested < created:
                baseline.add(pid)  # the training set
                continue
            newest = max(newest, ingested)
            if pid in baseline and pid not in found:
                continue
            found[pid] = _observe(found.get(pid), doc, pid, tokens, ev)
    doc["baseline"] = sorted(baseline)
    doc["anomalies"] = found
    doc["evaluatedUntil"] = newest
    doc["anomalyDetectorStatus"] = "ANALYZING"
    return doc


def _observe(anomaly: dict[str, Any] | None, doc: dict[str, Any], pid: str, tokens: list[str], ev: dict[str, Any]) -> dict[str, Any]:
    t = int(ev["t"])
    if anomaly is None:
        text = " ".join(tokens)
        anomaly = {
            "anomalyId": str(uuid.uuid4()), "patternId": pid, "anomalyDetectorArn": doc["anomalyDetectorArn"],
            "patternString": text, "patternRegex": " ".join(r"\S+" if tok == "<*>" else re.escape(tok) for tok in tokens),
            "priority": "MEDIUM", "firstSeen": t, "lastSeen": t,
            "description": f"New log pattern seen: {text[:200]}", "active": True, "state": "Active",
            "histogram": {}, "logSamples": [],
            "patternTokens": [{"dynamicTokenPosition": i, "isDynamic": tok == "<*>", "tokenString": tok}
                              for i, tok in enumerate(tokens)],
            "logGroupArnList": list(doc["logGroupArnList"]), "suppressed": False,
        }
    anomaly["firstSeen"] = min(anomaly["firstSeen"], t)
    anomaly["lastSeen"] = max(anomaly["lastSeen"], t)
    bucket = str(t - t % HOUR_MS)
    anomaly["histogram"][bucket] = anomaly["histogram"].get(bucket, 0) + 1
    if len(anomaly["logSamples"]) < MAX_SAMPLES:
        anomaly["logSamples"].append({"timestamp": t, "message": ev["m"]})
    return anomaly


def _current(anomaly: dict[str, Any], now: int) -> dict[str, Any]:
    until = anomaly.get("suppressedUntil")
    if anomaly.get("suppressed") and until is not None and until <= now:
        anomaly = {**anomaly, "suppressed": False, "state": "Active"}
        anomaly.pop("suppressedUntil", None)
        anomaly.pop("suppressedDate", None)
    return anomaly


def list_anomalies(txn: Txn, account: str, region: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    arn = params.get("anomalyDetectorArn")
    detectors = [_find(txn, account, region, arn)] if arn else list(txn.scan(TABLE, f"{account}/{region}/"))
    state = params.get("suppressionState")
    now = _now()
    rows: list[dict[str, Any]] = []
    for k, doc in detectors:
        doc = evaluate(txn, account, region, doc)
        txn.put(TABLE, k, doc)
        for a in doc["anomalies"].values():
            a = _current(a, now)
            if state == "SUPPRESSED" and not a.get("suppressed") or state == "UNSUPPRESSED" and a.get("suppressed"):
                continue
            rows.append(a)
    rows.sort(key=lambda a: a["anomalyId"])
    return paging.page_items(rows, lambda a: a["anomalyId"], listing=f"{TABLE}/anomalies/{account}/{region}/{arn or ''}",
                             token=params.get("nextToken"), limit=params.get("limit"), default_limit=50, max_limit=50,
                             filters={"s": state}, error=lambda: _invalid("The specified nextToken is invalid."))


def update_anomaly(txn: Txn, account: str, region: str, params: dict[str, Any]) -> None:
    k, doc = _find(txn, account, region, params["anomalyDetectorArn"])
    aid, pid = params.get("anomalyId"), params.get("patternId")
    if not aid and not pid:
        raise _invalid("You must specify either anomalyId or patternId.")
    hits = [a for a in doc["anomalies"].values() if (aid and a["anomalyId"] == aid) or (pid and a["patternId"] == pid)]
    if not hits:
        raise AwsError.modeled("logs", "ResourceNotFoundException", "The specified anomaly does not exist.")
    now = _now()
    kind = params.get("suppressionType")
    for a in hits:
        if params.get("baseline"):
            a["state"] = "Baseline"
            a["active"] = False
            doc["baseline"] = sorted(set(doc["baseline"]) | {a["patternId"]})
        if kind:
            a["suppressed"] = True
            a["state"] = "Suppressed"
            a["suppressedDate"] = now
            a["isPatternLevelSuppression"] = bool(pid and not aid)
            if kind == "LIMITED":
                period = params.get("suppressionPeriod") or {}
                unit = {"SECONDS": 1000, "MINUTES": 60_000, "HOURS": HOUR_MS}[period.get("suppressionUnit") or "HOURS"]
                if not period.get("value"):
                    raise _invalid("suppressionPeriod is required when suppressionType is LIMITED.")
                a["suppressedUntil"] = now + int(period["value"]) * unit
            else:
                a.pop("suppressedUntil", None)
        elif not params.get("baseline"):
            a["suppressed"] = False
            a["state"] = "Active"
            a.pop("suppressedUntil", None)
            a.pop("suppressedDate", None)
    txn.put(TABLE, k, doc)
