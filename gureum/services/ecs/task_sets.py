"""Task sets of services under the EXTERNAL deployment controller (CreateTaskSet,
UpdateTaskSet, DeleteTaskSet, DescribeTaskSets, UpdateServicePrimaryTaskSet) and their scheduler.

A task set lives in its service's document (`taskSets`, as DescribeServices shows them): id
`ecs-svc/<19 digits>`, status PRIMARY | ACTIVE | DRAINING, its own task definition, launch
type or capacity provider strategy, network configuration and `scale` (PERCENT of the
service's desiredCount). AWS's rules: `computedDesiredCount` = ceil(desiredCount * scale / 100);
at most 5 task sets per service; UpdateServicePrimaryTaskSet makes one PRIMARY (the former
primary becomes ACTIVE) and the service takes its task definition, launch type and network
configuration; a PRIMARY task set is deleted only with `force`; a deleted task set drains
(DRAINING, its tasks stopped) and leaves the service once its last task stopped.

The scheduler (`reconcile`, run by services.reconcile for EXTERNAL services on every pass):
for each task set, tasks of the service tagged with the task set's id (the tasks' deployment)
are counted; missing ones are started through the service scheduler's task start
(services._start_tasks, passed in: placement, networking, capacity providers as for any service), surplus
ones stopped; running/pending counts and stabilityStatus (STEADY_STATE when running equals
computedDesiredCount and none is pending, else STABILIZING) are written back once.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.ecs import model
from gureum.store import Txn

MAX_TASK_SETS = 5
PUBLIC = ("id", "taskSetArn", "serviceArn", "clusterArn", "startedBy", "externalId", "status", "taskDefinition",
          "computedDesiredCount", "pendingCount", "runningCount", "createdAt", "updatedAt", "launchType",
          "capacityProviderStrategy", "platformVersion", "platformFamily", "networkConfiguration", "loadBalancers",
          "serviceRegistries", "scale", "stabilityStatus", "stabilityStatusAt", "tags")


def is_external(doc: dict[str, Any]) -> bool:
    return (doc.get("deploymentController") or {}).get("type") == "EXTERNAL"


def view(ts: dict[str, Any], include_tags: bool = True) -> dict[str, Any]:
    out = {k: ts[k] for k in PUBLIC if ts.get(k) is not None}
    if not include_tags:
        out.pop("tags", None)
    return out


def computed(desired: int, scale: dict[str, Any]) -> int:
    return int(math.ceil(desired * float(scale.get("value", 0.0)) / 100.0 - 1e-9))


def _scale(given: dict[str, Any] | None) -> dict[str, Any]:
    value = float((given or {}).get("value", 100.0))
    if not 0.0 <= value <= 100.0:
        raise AwsError.modeled("ecs", "InvalidParameterException", "scale value must be between 0 and 100.")
    return {"value": value, "unit": (given or {}).get("unit") or "PERCENT"}


def _service(txn: Txn, account: str, region: str, params: dict[str, Any], *, active: bool = True) -> tuple[str, dict[str, Any]]:
    cluster = model.get_cluster(txn, account, region, params.get("cluster"))
    name = params["service"].rsplit("/", 1)[-1]
    key = f"{model.scope(account, region)}{cluster['clusterName']}:{name}"
    doc = txn.get(model.SERVICES, key)
    if doc is None or doc["status"] == "INACTIVE":
        raise AwsError.modeled("ecs", "ServiceNotFoundException", "Service not found.")
    if active and doc["status"] != "ACTIVE":
        raise AwsError.modeled("ecs", "ServiceNotActiveException", "Service was not ACTIVE.")
    if not is_external(doc):
        raise AwsError.modeled("ecs", "InvalidParameterException",
                               "Task sets are only supported for services that use the EXTERNAL deployment controller.")
    return key, doc


def _find(doc: dict[str, Any], ref: str) -> dict[str, Any]:
    for ts in doc.get("taskSets") or []:
        if ref in (ts["id"], ts["taskSetArn"]) or ref.endswith("/" + ts["id"]):
            found: dict[str, Any] = ts
            return found
    raise AwsError.modeled("ecs", "TaskSetNotFoundException", "The specified task set does not exist.")


def _save(txn: Txn, key: str, doc: dict[str, Any]) -> None:
    txn.put(model.SERVICES, key, doc)
    txn.publish(model.TASK_EVENT, {"service": key})


def create(txn: Txn, account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    key, doc = _service(txn, account, region, params)
    if len(doc.get("taskSets") or []) >= MAX_TASK_SETS:
        raise AwsError.modeled("ecs", "LimitExceededException", f"A service can have at most {MAX_TASK_SETS} task sets.")
    cluster = model.get_cluster(txn, account, region, params.get("cluster"))
    taskdef = model.get_taskdef(txn, account, region, params["taskDefinition"], active_only=True)
    launch, provider = model.resolve_launch(cluster, params)
    network = model.check_network(taskdef, launch, params.get("networkConfiguration"))
    now = model.now()
    ts_id = "ecs-svc/" + "".join(random.choice("0123456789") for _ in range(19))
    ts: dict[str, Any] = {
        "id": ts_id,
        "taskSetArn": arns.ecs_task_set(region, account, cluster["clusterName"], doc["serviceName"], ts_id),
        "serviceArn": doc["serviceArn"], "clusterArn": cluster["clusterArn"],
        "status": "ACTIVE", "taskDefinition": taskdef["taskDefinitionArn"],
        "scale": _scale(params.get("scale")), "pendingCount": 0, "runningCount": 0,
        "createdAt": now, "updatedAt": now, "stabilityStatus": "STABILIZING", "stabilityStatusAt": now,
        "loadBalancers": params.get("loadBalancers") or [], "serviceRegistries": params.get("serviceRegistries") or [],
        "tags": params.get("tags") or [],
        "_": {"provider": provider, "launch": launch},
    }
    if params.get("externalId"):
        ts["externalId"] = ts["startedBy"] = params["externalId"]
    if provider:
        ts["capacityProviderStrategy"] = params.get("capacityProviderStrategy") or cluster.get("defaultCapacityProviderStrategy")
    else:
        ts["launchType"] = launch
    if launch == "FARGATE":
        ts["platformVersion"] = params.get("platformVersion") or "LATEST"
        ts["platformFamily"] = "Linux"
    if network:
        ts["networkConfiguration"] = network
    ts["computedDesiredCount"] = computed(doc["desiredCount"], ts["scale"])
    doc.setdefault("taskSets", []).append(ts)
    _save(txn, key, doc)
    return ts


def update(txn: Txn, account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    key, doc = _service(txn, account, region, params)
    ts = _find(doc, params["taskSet"])
    ts["scale"] = _scale(params["scale"])
    ts["computedDesiredCount"] = computed(doc["desiredCount"], ts["scale"]) if ts["status"] != "DRAINING" else 0
    ts["updatedAt"] = model.now()
    _save(txn, key, doc)
    return ts


def make_primary(txn: Txn, account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    key, doc = _service(txn, account, region, params)
    ts = _find(doc, params["primaryTaskSet"])
    if ts["status"] == "DRAINING":
        raise AwsError.modeled("ecs", "InvalidParameterException", "A DRAINING task set can't become the primary task set.")
    now = model.now()
    for other in doc["taskSets"]:
        if other["status"] == "PRIMARY":
            other.update(status="ACTIVE", updatedAt=now)
    ts.update(status="PRIMARY", updatedAt=now)
    doc["taskDefinition"] = ts["taskDefinition"]
    for k in ("launchType", "capacityProviderStrategy", "platformVersion", "platformFamily", "networkConfiguration"):
        if ts.get(k) is not None:
            doc[k] = ts[k]
    _save(txn, key, doc)
    return ts


def delete(txn: Txn, account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    key, doc = _service(txn, account, region, params, active=False)
    ts = _find(doc, params["taskSet"])
    if ts["status"] == "PRIMARY" and not params.get("force"):
        raise AwsError.modeled("ecs", "InvalidParameterException",
                               "The primary task set can't be deleted unless force is set; make another task set primary first.")
    ts.update(status="DRAINING", computedDesiredCount=0, updatedAt=model.now())
    _save(txn, key, doc)
    return ts


def describe(txn: Txn, account: str, region: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    _, doc = _service(txn, account, region, params, active=False)
    include_tags = "TAGS" in (params.get("include") or [])
    refs = params.get("taskSets")
    if not refs:
        return [view(ts, include_tags) for ts in doc.get("taskSets") or []], []
    found, failures = [], []
    for ref in refs:
        try:
            found.append(view(_find(doc, ref), include_tags))
        except AwsError:
            failures.append({"arn": ref, "reason": "MISSING"})
    return found, failures


def scale_all(doc: dict[str, Any]) -> None:
    """The service's desiredCount changed: every task set's computedDesiredCount follows."""
    for ts in doc.get("taskSets") or []:
        if ts["status"] != "DRAINING":
            ts["computedDesiredCount"] = computed(doc["desiredCount"], ts["scale"])


# --- the scheduler --------------------------------------------------------------------------
StartTasks = Callable[[Txn, dict[str, Any], dict[str, Any], int], tuple[bool, int]]


def reconcile(txn: Txn, key: str, doc: dict[str, Any], start_tasks: StartTasks) -> None:
    """One scheduling pass over an EXTERNAL service (see the module docstring); `start_tasks`
    is the service scheduler's task start (services._start_tasks)."""
    meta = doc["_"]
    now = model.now()
    before = repr((doc.get("taskSets"), doc["runningCount"], doc["pendingCount"], doc["status"], doc.get("events", [])[:1]))
    live: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for k, t in txn.scan(model.TASKS, f"{model.scope(meta['account'], meta['region'])}{meta['cluster']}:"):
        if t["_"].get("service") == doc["serviceName"] and t["desiredStatus"] == "RUNNING" and t["lastStatus"] != "STOPPED":
            live.setdefault(t["_"].get("deployment") or "", []).append((k, t))
    if doc["status"] == "DRAINING":
        for ts in doc.get("taskSets") or []:
            ts.update(status="DRAINING", computedDesiredCount=0)
    running_total = pending_total = 0
    keep = []
    for ts in doc.get("taskSets") or []:
        tasks = live.get(ts["id"], [])
        want = ts["computedDesiredCount"] if ts["status"] != "DRAINING" else 0
        if len(tasks) > want:
            surplus = sorted(tasks, key=lambda kt: kt[1].get("createdAt") or 0)[want:]
            for k, t in surplus:
                model.request_stop(txn, k, t, "Scaling activity initiated by deployment " + ts["id"], "ServiceSchedulerInitiated")
            tasks = [kt for kt in tasks if kt not in surplus]
        started = 0
        if len(tasks) < want:
            view_doc = dict(doc, launchType=ts.get("launchType"), networkConfiguration=ts.get("networkConfiguration"),
                            platformVersion=ts.get("platformVersion"), capacityProviderStrategy=ts.get("capacityProviderStrategy"),
                            propagateTags=doc.get("propagateTags"), serviceRegistries=ts.get("serviceRegistries") or [],
                            _=dict(meta, provider=ts["_"].get("provider"), launch=ts["_"].get("launch")))
            primary = {"id": ts["id"], "taskDefinition": ts["taskDefinition"], "pendingCount": 0}
            _, started = start_tasks(txn, view_doc, primary, want - len(tasks))
            doc["events"] = view_doc["events"]
            if "unplaced_at" in view_doc["_"]:
                meta["unplaced_at"] = view_doc["_"]["unplaced_at"]
        running = sum(1 for _, t in tasks if t["lastStatus"] == "RUNNING")
        pending = len(tasks) - running + started
        stable = "STEADY_STATE" if running == want and pending == 0 else "STABILIZING"
        if (ts["runningCount"], ts["pendingCount"]) != (running, pending):
            ts.update(runningCount=running, pendingCount=pending, updatedAt=now)
        if ts["stabilityStatus"] != stable:
            ts.update(stabilityStatus=stable, stabilityStatusAt=now)
        running_total += running
        pending_total += pending
        if ts["status"] != "DRAINING" or tasks or started:
            keep.append(ts)
    doc["taskSets"] = keep
    doc["runningCount"], doc["pendingCount"] = running_total, pending_total
    if doc["status"] == "DRAINING" and not keep and not any(live.values()):
        doc["status"] = "INACTIVE"
    after = repr((doc.get("taskSets"), doc["runningCount"], doc["pendingCount"], doc["status"], doc.get("events", [])[:1]))
    if before != after:
        txn.put(model.SERVICES, key, doc)
