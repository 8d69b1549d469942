"""Service deployments and service revisions (ListServiceDeployments, DescribeServiceDeployments,
DescribeServiceRevisions, StopServiceDeployment): the history of what the service scheduler
(services.py) rolled out, recorded as it happens.

Tables (keys start with the ECS scope "<account>:<region>:" then "<cluster>:<service>:"):
  ecs.svcdeploys    scope+cluster:service:<id>   one service deployment {public fields, "_": {...}}
  ecs.svcrevisions  scope+cluster:service:<id>   one service revision (the public fields)

A service deployment and its target revision are recorded for CreateService and for every
UpdateService that starts a new scheduler deployment (same id as the scheduler's deployment,
without its "ecs-svc/" prefix). Status follows AWS's: IN_PROGRESS while rolling out,
SUCCESSFUL when the scheduler completes the rollout, STOPPED when a newer deployment supersedes
one still in progress (or the circuit breaker fails it without rollback), ROLLBACK_IN_PROGRESS
when the circuit breaker or StopServiceDeployment(ROLLBACK) rolls it back to its source
revision, then ROLLBACK_SUCCESSFUL (or ROLLBACK_FAILED). The service document's
`_["history"]` maps every scheduler deployment id to the service deployment it serves (a
rollback's own scheduler deployment maps to the deployment rolled back).
"""

from __future__ import annotations

from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.ecs import model
from gureum.store import Txn

DEPLOYS = "ecs.svcdeploys"
REVISIONS = "ecs.svcrevisions"
ACTIVE = ("PENDING", "IN_PROGRESS", "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS", "STOP_REQUESTED")
_REVISION_FIELDS = ("taskDefinition", "capacityProviderStrategy", "launchType", "platformVersion", "platformFamily",
                    "loadBalancers", "serviceRegistries", "networkConfiguration", "serviceConnectConfiguration")


def _short(dep_id: str) -> str:
    return dep_id.rsplit("/", 1)[-1]


def _base(doc: dict[str, Any]) -> tuple[str, str, str, str]:
    meta = doc["_"]
    return meta["account"], meta["region"], meta["cluster"], doc["serviceName"]


def _key(doc: dict[str, Any], rid: str) -> str:
    account, region, cluster, name = _base(doc)
    return f"{model.scope(account, region)}{cluster}:{name}:{rid}"


def _revision(txn: Txn, doc: dict[str, Any], dep: dict[str, Any], now: float) -> str:
    account, region, cluster, name = _base(doc)
    rid = _short(dep["id"])
    arn = arns.ecs_service_revision(region, account, cluster, name, rid)
    rev: dict[str, Any] = {"serviceRevisionArn": arn, "serviceArn": doc["serviceArn"], "clusterArn": doc["clusterArn"],
                           "createdAt": now, "guardDutyEnabled": False}
    for k in _REVISION_FIELDS:
        v = dep.get(k) if dep.get(k) is not None else doc.get(k)
        if v not in (None, [], {}):
            rev[k] = v
    rev["taskDefinition"] = dep["taskDefinition"]
    try:
        td = model.get_taskdef(txn, account, region, dep["taskDefinition"])
        rev["containerImages"] = [{"containerName": c["name"], "image": c["image"]} for c in td.get("containerDefinitions") or []]
    except AwsError:
        pass
    txn.put(REVISIONS, _key(doc, rid), rev)
    return arn


def record(txn: Txn, doc: dict[str, Any], dep: dict[str, Any], sources: list[dict[str, Any]]) -> None:
    """A new scheduler deployment `dep` of service `doc` (sources: the deployments it replaces)."""
    now = model.now()
    account, region, cluster, name = _base(doc)
    history = doc["_"].setdefault("history", {})
    for src in sources:  # a deployment still rolling out is superseded
        rec = txn.get(DEPLOYS, _key(doc, history.get(src["id"], _short(src["id"]))))
        if rec is not None and rec["status"] in ACTIVE:
            rec.update(status="STOPPED", statusReason="ECS deployment stopped: a new deployment replaced it.",
                       stoppedAt=now, finishedAt=now, updatedAt=now)
            txn.put(DEPLOYS, _key(doc, _short(rec["serviceDeploymentArn"])), rec)
    rid = _short(dep["id"])
    target = _revision(txn, doc, dep, now)
    source_arns = [arns.ecs_service_revision(region, account, cluster, name, _short(s["id"])) for s in sources]
    cfg = doc.get("deploymentConfiguration") or {}
    rec = {
        "serviceDeploymentArn": arns.ecs_service_deployment(region, account, cluster, name, rid),
        "serviceArn": doc["serviceArn"], "clusterArn": doc["clusterArn"],
        "createdAt": now, "startedAt": now, "updatedAt": now,
        "status": "IN_PROGRESS", "targetServiceRevisionArn": target, "sourceServiceRevisionArns": source_arns,
        "deploymentConfiguration": cfg,
        "_": {"target": dep["id"], "sources": [s["id"] for s in sources]},
    }
    breaker = cfg.get("deploymentCircuitBreaker") or {}
    if breaker.get("enable"):
        rec["deploymentCircuitBreaker"] = {"status": "MONITORING", "failureCount": 0, "threshold": 10}
    txn.put(DEPLOYS, _key(doc, rid), rec)
    history[dep["id"]] = rid


def _rec_for(txn: Txn, doc: dict[str, Any], dep_id: str) -> dict[str, Any] | None:
    rid = (doc["_"].get("history") or {}).get(dep_id)
    return txn.get(DEPLOYS, _key(doc, rid)) if rid else None


def _put(txn: Txn, doc: dict[str, Any], rec: dict[str, Any]) -> None:
    rec["updatedAt"] = model.now()
    txn.put(DEPLOYS, _key(doc, _short(rec["serviceDeploymentArn"])), rec)


def completed(txn: Txn, doc: dict[str, Any], dep_id: str) -> None:
    """The scheduler completed the rollout of `dep_id`."""
    rec = _rec_for(txn, doc, dep_id)
    if rec is None or rec["status"] not in ACTIVE:
        return
    now = model.now()
    if rec["status"].startswith("ROLLBACK"):
        rec.update(status="ROLLBACK_SUCCESSFUL", statusReason="Rollback to the source service revision completed.", finishedAt=now)
    else:
        rec.update(status="SUCCESSFUL", statusReason=f"ECS deployment {dep_id} completed.", finishedAt=now)
    _put(txn, doc, rec)


def failed(txn: Txn, doc: dict[str, Any], dep_id: str, reason: str) -> None:
    """The circuit breaker failed `dep_id` (a rollback, if any, is recorded by rolled_back)."""
    rec = _rec_for(txn, doc, dep_id)
    if rec is None or rec["status"] not in ACTIVE:
        return
    now = model.now()
    if "deploymentCircuitBreaker" in rec:
        rec["deploymentCircuitBreaker"]["status"] = "TRIGGERED"
    if rec["status"].startswith("ROLLBACK"):
        rec.update(status="ROLLBACK_FAILED", statusReason=reason, finishedAt=now)
    else:
        rec.update(status="STOPPED", statusReason=reason, stoppedAt=now, finishedAt=now)
    _put(txn, doc, rec)


def rolled_back(txn: Txn, doc: dict[str, Any], failed_dep: str, new_dep: str, to_dep: str, reason: str) -> None:
    """`failed_dep` is rolled back to `to_dep`'s revision by a new scheduler deployment `new_dep`."""
    rec = _rec_for(txn, doc, failed_dep)
    if rec is None:
        return
    account, region, cluster, name = _base(doc)
    rec.update(status="ROLLBACK_IN_PROGRESS", statusReason=reason, finishedAt=None, stoppedAt=None,
               rollback={"reason": reason, "startedAt": model.now(),
                         "serviceRevisionArn": arns.ecs_service_revision(region, account, cluster, name, _short(to_dep))})
    rec = {k: v for k, v in rec.items() if v is not None}
    _put(txn, doc, rec)
    doc["_"].setdefault("history", {})[new_dep] = _short(rec["serviceDeploymentArn"])


# --- reads ---------------------------------------------------------------------------------
def _counts(doc: dict[str, Any] | None, dep_id: str) -> tuple[int, int, int]:
    for d in (doc or {}).get("deployments") or []:
        if d["id"] == dep_id:
            return d.get("desiredCount", 0), d.get("runningCount", 0), d.get("pendingCount", 0)
    return 0, 0, 0


def public(txn: Txn, rec: dict[str, Any], service: dict[str, Any] | None) -> dict[str, Any]:
    """The ServiceDeployment shape, with live task counts from the service."""
    out = {k: v for k, v in rec.items() if k not in ("_", "targetServiceRevisionArn", "sourceServiceRevisionArns")}
    want, run, pend = _counts(service, rec["_"]["target"])
    out["targetServiceRevision"] = {"arn": rec["targetServiceRevisionArn"], "requestedTaskCount": want,
                                    "runningTaskCount": run, "pendingTaskCount": pend}
    out["sourceServiceRevisions"] = []
    for arn, dep_id in zip(rec["sourceServiceRevisionArns"], rec["_"]["sources"], strict=True):
        want, run, pend = _counts(service, dep_id)
        out["sourceServiceRevisions"].append({"arn": arn, "requestedTaskCount": want, "runningTaskCount": run,
                                              "pendingTaskCount": pend})
    return out


def brief(rec: dict[str, Any]) -> dict[str, Any]:
    keys = ("serviceDeploymentArn", "serviceArn", "clusterArn", "startedAt", "createdAt", "finishedAt",
            "targetServiceRevisionArn", "status", "statusReason")
    return {k: rec[k] for k in keys if rec.get(k) is not None}


def listing(txn: Txn, account: str, region: str, cluster: str, service: str) -> list[dict[str, Any]]:
    """The service's deployments, newest first."""
    rows = [d for _, d in txn.scan(DEPLOYS, f"{model.scope(account, region)}{cluster}:{service}:")]
    return sorted(rows, key=lambda d: (-d["createdAt"], d["serviceDeploymentArn"]))


def _parts(arn: str, kind: str) -> tuple[str, str, str, str, str] | None:
    a = arns.try_parse(arn)
    if a is None or a.service != "ecs":
        return None
    bits = a.resource.split("/")
    if len(bits) != 4 or bits[0] != kind:
        return None
    return a.account, a.region, bits[1], bits[2], bits[3]


def find(txn: Txn, account: str, table: str, kind: str, arn: str) -> dict[str, Any] | None:
    p = _parts(arn, kind)
    if p is None or p[0] != account:
        return None
    acct, region, cluster, service, rid = p
    doc: dict[str, Any] | None = txn.get(table, f"{model.scope(acct, region)}{cluster}:{service}:{rid}")
    return doc


def service_of(txn: Txn, rec: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    p = _parts(rec["serviceDeploymentArn"], "service-deployment")
    if p is None:
        return None
    acct, region, cluster, service, _ = p
    key = f"{model.scope(acct, region)}{cluster}:{service}"
    doc = txn.get(model.SERVICES, key)
    return (key, doc) if doc is not None else None
