"""Drift detection: a stack's resources compared with their template (drift_compare.py), each
read back through its own service (drift_readers.py); the detections and their results.

Tables:
- cfn_drift_detections: "{account}/{region}/{detection id}" -> {"StackId",
  "StackDriftDetectionId", "DetectionStatus" (DETECTION_IN_PROGRESS | DETECTION_COMPLETE |
  DETECTION_FAILED), "DetectionStatusReason", "StackDriftStatus" (DRIFTED | IN_SYNC |
  UNKNOWN while in progress), "DriftedStackResourceCount", "Timestamp", "node", "run"
  (model.RUN: the process running it)}.
- cfn_stack_drift: "{account}/{region}/{stack uuid}" -> {"StackDriftStatus",
  "LastCheckTimestamp"}: the stack's DriftInformation after its last finished detection.
- cfn_resource_drift: "{account}/{region}/{stack uuid}/{logical}" -> one StackResourceDrift
  (the latest check of that resource; a type without a reader keeps none and shows
  NOT_CHECKED).

Invariants: detection runs only on a stack in a stable state (DETECTABLE); a detection started
on a node runs as that node's task (app.spawn) and writes its results in one transaction at
the end; one the node was running when it stopped is DETECTION_FAILED at its next start
(`fail_interrupted`, from the engine's resume); a stack never checked shows NOT_CHECKED. Deleting the stack (its DELETE_COMPLETE)
leaves the rows until reset, as AWS keeps drift results for a while.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from gureum.aws.errors import AwsError
from gureum.aws.internal_call import Caller
from gureum.services.cloudformation import model
from gureum.services.cloudformation.drift_compare import actual_view, compare
from gureum.services.cloudformation.drift_readers import READERS, gone_is_none
from gureum.services.cloudformation.providers.base import ResourceContext

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Txn

log = logging.getLogger("gureum.cloudformation")
Doc = dict[str, Any]

DETECTIONS = "cfn_drift_detections"
STACK_DRIFT = "cfn_stack_drift"
RESOURCE_DRIFT = "cfn_resource_drift"
TABLES = (DETECTIONS, STACK_DRIFT, RESOURCE_DRIFT)
DETECTABLE = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_FAILED")
# resource states whose resource exists and can be checked
CHECKABLE = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_FAILED", "IMPORT_COMPLETE")


class CheckFailed(Exception):
    """A resource whose check could not finish (its service refused the read): the reason."""


def supported(resource_type: str) -> bool:
    return resource_type in READERS


def _stack_key(account: str, region: str, stack_id: str) -> str:
    return model.stack_key(account, region, model.uuid_of(stack_id))


def stable_stack(txn: Txn, account: str, region: str, name: str) -> Doc:
    """The live stack `name` names, refused unless its state allows drift detection."""
    stack = model.must_find(txn, account, region, name, deleted=False)
    if stack["StackStatus"] not in DETECTABLE:
        raise model.validation(f"Stack {stack['StackId']} is in {stack['StackStatus']} state and cannot be drift detected")
    return stack


async def check_resource(app: App, caller: Caller, stack: Doc, row: Doc, now: float) -> Doc:
    """One resource's StackResourceDrift (raises CheckFailed when its service refuses the read)."""
    logical, rtype = row["LogicalResourceId"], row["ResourceType"]
    out: Doc = {"StackId": stack["StackId"], "LogicalResourceId": logical, "ResourceType": rtype, "Timestamp": now}
    if row.get("PhysicalResourceId"):
        out["PhysicalResourceId"] = row["PhysicalResourceId"]
    reader = READERS.get(rtype)
    if reader is None:
        return {**out, "StackResourceDriftStatus": "NOT_CHECKED"}
    expected = dict(row.get("props") or {})
    ctx = ResourceContext(app, caller, stack["StackName"], stack["StackId"], logical, resource_type=rtype)
    try:
        actual = await gone_is_none(reader.read(ctx, str(row.get("PhysicalResourceId") or ""), row.get("attrs") or {}))
    except AwsError as e:
        raise CheckFailed(e.message or e.code) from None
    if actual is None:
        return {**out, "StackResourceDriftStatus": "DELETED"}
    stack_tags = {str(t["Key"]): str(t["Value"]) for t in stack.get("Tags") or ()}
    diffs = compare(expected, actual, reader.compared, stack_tags)
    out.update({"ExpectedProperties": json.dumps(expected, sort_keys=True, default=str),
                "ActualProperties": json.dumps(actual_view(expected, actual, reader.compared), sort_keys=True, default=str),
                "PropertyDifferences": [d.shown() for d in diffs],
                "StackResourceDriftStatus": "MODIFIED" if diffs else "IN_SYNC"})
    return out


def _checked_rows(txn: Txn, account: str, region: str, stack: Doc, only: set[str] | None) -> list[Doc]:
    return [r for n, r in model.resources(txn, account, region, stack["StackId"])
            if r.get("ResourceStatus") in CHECKABLE and (only is None or n in only)]


def begin(txn: Txn, account: str, region: str, name: str, only: list[str] | None, node: str, now: float) -> tuple[str, Doc]:
    """A new detection of stack `name` (DETECTION_IN_PROGRESS): its id and the stack."""
    stack = stable_stack(txn, account, region, name)
    if only:
        known = {n for n, _ in model.resources(txn, account, region, stack["StackId"])}
        missing = sorted(set(only) - known)
        if missing:
            raise model.validation(f"Resources [{', '.join(missing)}] do not exist in stack {stack['StackName']}")
    detection = str(uuid.uuid4())
    txn.put(DETECTIONS, f"{account}/{region}/{detection}", {
        "StackId": stack["StackId"], "StackDriftDetectionId": detection, "DetectionStatus": "DETECTION_IN_PROGRESS",
        "StackDriftStatus": "UNKNOWN", "Timestamp": now, "node": node, "run": model.RUN, "only": list(only or ())})
    return detection, stack


async def run(app: App, caller: Caller, account: str, region: str, detection: str, stack: Doc, only: list[str] | None) -> None:
    """Check every supported resource of the stack (the task DetectStackDrift spawns) and
    record the results and the detection's outcome in one transaction."""
    try:
        rows = await app.store.read(lambda t: _checked_rows(t, account, region, stack, set(only) if only else None))
        results: list[Doc] = []
        failures: list[Doc] = []
        for row in rows:
            now = time.time()
            try:
                results.append(await check_resource(app, caller, stack, row, now))
            except CheckFailed as e:
                failures.append({"Resource": row["LogicalResourceId"], "FailureReason": str(e)})
    except Exception as e:  # a bug must not leave the detection in progress forever
        log.exception("drift detection %s failed", detection)
        results, failures = [], [{"Resource": stack["StackName"], "FailureReason": f"Internal failure: {type(e).__name__}"}]
    now = time.time()
    await app.store.run(lambda t: finish(t, account, region, detection, stack, results, failures, now))


def finish(txn: Txn, account: str, region: str, detection: str, stack: Doc, results: list[Doc],
           failures: list[Doc], now: float) -> None:
    base = _stack_key(account, region, stack["StackId"])
    for r in results:
        if r["StackResourceDriftStatus"] == "NOT_CHECKED":
            continue  # a type without drift support keeps no result (AWS lists none)
        txn.put(RESOURCE_DRIFT, f"{base}/{r['LogicalResourceId']}", r)
    drifted = sum(1 for r in results if r["StackResourceDriftStatus"] in ("MODIFIED", "DELETED"))
    status = "DRIFTED" if drifted else "IN_SYNC"
    doc = txn.get(DETECTIONS, f"{account}/{region}/{detection}") or {}
    doc.update({"StackDriftStatus": status, "DriftedStackResourceCount": drifted, "Timestamp": now})
    if failures:
        names = ",".join(f["Resource"] for f in failures)
        doc["DetectionStatus"] = "DETECTION_FAILED"
        doc["DetectionStatusReason"] = (f"Stack ({stack['StackId']}) failed with message: "
                                        + json.dumps({"Summary": f"Failed to detect drift on resources [{names}]",
                                                      "Failures": failures}, separators=(",", ":")))
    else:
        doc["DetectionStatus"] = "DETECTION_COMPLETE"
        doc["DetectionStatusReason"] = "Stack drift detection completed successfully"
    txn.put(DETECTIONS, f"{account}/{region}/{detection}", doc)
    txn.put(STACK_DRIFT, base, {"StackDriftStatus": status, "LastCheckTimestamp": now})


def fail_interrupted(txn: Txn, node: str, now: float) -> int:
    """At start-up: the detections this node was running when it stopped, DETECTION_FAILED
    (their task is gone; nothing else would finish them), not those this process began while
    the component woke (their "run" is this process's). How many."""
    n = 0
    for key, doc in list(txn.scan(DETECTIONS, "")):
        if doc.get("DetectionStatus") == "DETECTION_IN_PROGRESS" and doc.get("node") == node and doc.get("run") != model.RUN:
            txn.put(DETECTIONS, key, {**doc, "DetectionStatus": "DETECTION_FAILED", "Timestamp": now,
                                      "DetectionStatusReason": "Drift detection was interrupted"})
            n += 1
    return n


def save_resource(txn: Txn, account: str, region: str, result: Doc) -> None:
    """DetectStackResourceDrift's result kept as the resource's latest."""
    txn.put(RESOURCE_DRIFT, f"{_stack_key(account, region, result['StackId'])}/{result['LogicalResourceId']}", result)


def detection(txn: Txn, account: str, region: str, detection_id: str) -> Doc:
    doc = txn.get(DETECTIONS, f"{account}/{region}/{detection_id}")
    if doc is None:
        raise model.validation(f"Drift detection with id {detection_id} does not exist")
    return doc


def stack_info(txn: Txn, account: str, region: str, stack_id: str) -> Doc:
    """The stack's DriftInformation (NOT_CHECKED until a detection finishes)."""
    doc = txn.get(STACK_DRIFT, _stack_key(account, region, stack_id))
    return dict(doc) if doc is not None else {"StackDriftStatus": "NOT_CHECKED"}


def resource_infos(txn: Txn, account: str, region: str, stack_id: str) -> dict[str, Doc]:
    """Each checked resource's DriftInformation by logical id."""
    prefix = _stack_key(account, region, stack_id) + "/"
    out: dict[str, Doc] = {}
    for key, r in txn.scan(RESOURCE_DRIFT, prefix):
        out[key[len(prefix):]] = {"StackResourceDriftStatus": r["StackResourceDriftStatus"], "LastCheckTimestamp": r["Timestamp"]}
    return out


def resource_drifts(txn: Txn, account: str, region: str, stack_id: str) -> Iterator[Doc]:
    """The latest result of each checked resource (supported types only, as AWS lists them)."""
    for _, r in txn.scan(RESOURCE_DRIFT, _stack_key(account, region, stack_id) + "/"):
        yield r
