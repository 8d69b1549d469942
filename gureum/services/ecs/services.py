"""ECS services: the API's rules (Create/Update/Delete/Describe) and the service scheduler.

The scheduler (`reconcile`) is a plain function of one service and its tasks, run in one
store transaction: it counts each deployment's tasks, records failed ones, trips the
deployment circuit breaker (rolling back when asked), starts tasks up to desiredCount within
maximumPercent, stops old deployments' tasks while minimumHealthyPercent stays running, and
marks the rollout COMPLETED once only the primary deployment is left at its desired count.
The agent runs it for every active service every half second and on every task change.
"""

from __future__ import annotations

import math
import random
import re
import uuid
from typing import Any

from gureum.aws.errors import AwsError
from gureum.services.ecs import model
from gureum.store import Store, Txn

MAX_EVENTS = 100


def service_arn(account: str, region: str, cluster: str, name: str) -> str:
    return f"arn:aws:ecs:{region}:{account}:service/{cluster}/{name}"


def not_found() -> AwsError:
    return AwsError("ServiceNotFoundException", "Service not found.", 400)


def not_active() -> AwsError:
    return AwsError("ServiceNotActiveException", "Service was not ACTIVE.", 400)


def _deployment_id() -> str:
    return "ecs-svc/" + "".join(random.choice("0123456789") for _ in range(19))


def service_view(doc: dict[str, Any], include_tags: bool) -> dict[str, Any]:
    out = model.view(doc)
    out["deployments"] = [{k: v for k, v in d.items() if not k.startswith("_")} for d in out["deployments"]]
    if not include_tags:
        out.pop("tags", None)
    return out


def find_service(txn: Txn, account: str, region: str, cluster: str, ref: str) -> dict[str, Any] | None:
    name = ref.rsplit("/", 1)[-1]
    return txn.get(model.SERVICES, f"{model.scope(account, region)}{cluster}:{name}")


def _event(doc: dict[str, Any], message: str) -> None:
    doc["events"].insert(0, {"id": str(uuid.uuid4()), "createdAt": model.now(), "message": f"(service {doc['serviceName']}) {message}"})
    del doc["events"][MAX_EVENTS:]


def _new_deployment(doc: dict[str, Any], taskdef_arn: str, desired: int) -> dict[str, Any]:
    t = model.now()
    dep_id = _deployment_id()
    dep = {
        "id": dep_id,
        "status": "PRIMARY",
        "taskDefinition": taskdef_arn,
        "desiredCount": desired,
        "pendingCount": 0,
        "runningCount": 0,
        "failedTasks": 0,
        "createdAt": t,
        "updatedAt": t,
        "launchType": doc.get("launchType"),
        "rolloutState": "IN_PROGRESS",
        "rolloutStateReason": f"ECS deployment {dep_id} in progress.",
    }
    if doc.get("capacityProviderStrategy"):
        dep.pop("launchType")
        dep["capacityProviderStrategy"] = doc["capacityProviderStrategy"]
    if doc.get("platformVersion"):
        dep["platformVersion"] = doc["platformVersion"]
        dep["platformFamily"] = "Linux"
    if doc.get("networkConfiguration"):
        dep["networkConfiguration"] = doc["networkConfiguration"]
    return dep


# DAEMON services: minimumHealthyPercent 0 and maximumPercent 100 unless given
DAEMON_DEPLOYMENT = {"deploymentCircuitBreaker": {"enable": False, "rollback": False}, "maximumPercent": 100, "minimumHealthyPercent": 0}


def _deployment_config(given: dict[str, Any] | None, current: dict[str, Any] | None = None) -> dict[str, Any]:
    cfg = dict(current or {"deploymentCircuitBreaker": {"enable": False, "rollback": False}, "maximumPercent": 200, "minimumHealthyPercent": 100})
    for k, v in (given or {}).items():
        cfg[k] = v
    if cfg.get("maximumPercent", 200) < 100 and cfg.get("minimumHealthyPercent", 100) >= 100:
        raise model.invalid("maximumPercent must be at least 100 when minimumHealthyPercent is 100.")
    if cfg.get("minimumHealthyPercent", 100) > cfg.get("maximumPercent", 200):
        raise model.invalid("minimumHealthyPercent must be less than or equal to maximumPercent.")
    return cfg


def create_service(txn: Txn, account: str, region: str, params: dict[str, Any], created_by: str) -> dict[str, Any]:
    cluster = model.get_cluster(txn, account, region, params.get("cluster"))
    name = params["serviceName"]
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,255}", name):
        raise model.invalid("Service name can be up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens.")
    key = f"{model.scope(account, region)}{cluster['clusterName']}:{name}"
    existing = txn.get(model.SERVICES, key)
    if existing is not None and existing["status"] in ("ACTIVE", "DRAINING"):
        raise model.invalid("Creation of service was not idempotent.")
    strategy = params.get("schedulingStrategy") or "REPLICA"
    if strategy not in ("REPLICA", "DAEMON"):
        raise model.invalid("schedulingStrategy must be one of REPLICA, DAEMON.")
    if strategy == "DAEMON" and params.get("launchType") == "FARGATE":
        raise model.invalid("The daemon scheduling strategy does not support the FARGATE launch type.")
    if strategy == "DAEMON" and params.get("placementStrategy"):
        raise model.invalid("The daemon scheduling strategy does not support placement strategies.")
    if strategy == "DAEMON" and (params.get("deploymentController") or {}).get("type", "ECS") != "ECS":
        raise model.invalid("The daemon scheduling strategy does not support the CODE_DEPLOY or EXTERNAL deployment controller types.")
    if not params.get("taskDefinition"):
        raise model.invalid("TaskDefinition must be specified.")
    taskdef = model.get_taskdef(txn, account, region, params["taskDefinition"], active_only=True)
    launch, provider = model.resolve_launch(cluster, params)
    if strategy == "DAEMON" and launch != "EC2":
        raise model.invalid("The daemon scheduling strategy does not support the FARGATE launch type.")
    network = model.check_network(taskdef, launch, params.get("networkConfiguration"))
    desired = params.get("desiredCount")
    if strategy == "DAEMON" and desired:
        raise model.invalid("The daemon scheduling strategy does not support a desired count for services.")
    if desired is None:
        desired = 0 if strategy == "DAEMON" else None
    if desired is None:
        raise model.invalid("desiredCount must be specified for the REPLICA scheduling strategy.")
    if desired < 0:
        raise model.invalid("desiredCount must be greater than or equal to 0.")
    for reg in params.get("serviceRegistries") or []:
        if not re.fullmatch(r"arn:aws:servicediscovery:[a-z0-9-]+:\d{12}:service/srv-[a-z0-9]+", reg.get("registryArn", "")):
            raise model.invalid("Service registry ARN is not valid.")
    if launch == "EC2":
        from gureum.services.ecs import instances as ci

        ci.check_constraints(params.get("placementConstraints") or [])
        ci.check_strategy(params.get("placementStrategy") or [])
        if desired > 0 and strategy == "REPLICA" and not any(d["status"] in ("ACTIVE", "DRAINING") for _, d in ci.cluster_instances(txn, account, region, cluster["clusterName"])):
            raise model.invalid("No Container Instances were found in your cluster.")
    doc: dict[str, Any] = {
        "serviceArn": service_arn(account, region, cluster["clusterName"], name),
        "serviceName": name,
        "clusterArn": cluster["clusterArn"],
        "loadBalancers": params.get("loadBalancers") or [],
        "serviceRegistries": params.get("serviceRegistries") or [],
        "status": "ACTIVE",
        "desiredCount": desired,
        "runningCount": 0,
        "pendingCount": 0,
        "taskDefinition": taskdef["taskDefinitionArn"],
        "deploymentConfiguration": _deployment_config(params.get("deploymentConfiguration"), DAEMON_DEPLOYMENT if strategy == "DAEMON" else None),
        "deployments": [],
        "events": [],
        "createdAt": model.now(),
        "placementConstraints": params.get("placementConstraints") or [],
        "placementStrategy": params.get("placementStrategy") or [],
        "schedulingStrategy": strategy,
        "deploymentController": params.get("deploymentController") or {"type": "ECS"},
        "createdBy": created_by,
        "enableECSManagedTags": bool(params.get("enableECSManagedTags")),
        "propagateTags": params.get("propagateTags") or "NONE",
        "enableExecuteCommand": bool(params.get("enableExecuteCommand")),
        "tags": params.get("tags") or [],
    }
    if provider:
        doc["capacityProviderStrategy"] = params.get("capacityProviderStrategy") or cluster.get("defaultCapacityProviderStrategy")
    else:
        doc["launchType"] = launch
    if launch == "FARGATE":
        doc["platformVersion"] = params.get("platformVersion") or "LATEST"
        doc["platformFamily"] = "Linux"
    if network:
        doc["networkConfiguration"] = network
    if params.get("healthCheckGracePeriodSeconds") is not None:
        doc["healthCheckGracePeriodSeconds"] = params["healthCheckGracePeriodSeconds"]
    if params.get("role"):
        doc["roleArn"] = params["role"]
    doc["deployments"] = [_new_deployment(doc, taskdef["taskDefinitionArn"], desired)]
    doc["_"] = {"account": account, "region": region, "cluster": cluster["clusterName"], "counted": []}
    txn.put(model.SERVICES, key, doc)
    txn.publish(model.TASK_EVENT, {"service": key})
    return doc


def _get_active(txn: Txn, account: str, region: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    cluster = model.get_cluster(txn, account, region, params.get("cluster"))
    name = params["service"].rsplit("/", 1)[-1]
    key = f"{model.scope(account, region)}{cluster['clusterName']}:{name}"
    doc = txn.get(model.SERVICES, key)
    if doc is None or doc["status"] == "INACTIVE":
        raise not_found()
    return key, doc


def update_service(txn: Txn, account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    key, doc = _get_active(txn, account, region, params)
    if doc["status"] != "ACTIVE":
        raise not_active()
    new_td = doc["taskDefinition"]
    if params.get("taskDefinition"):
        new_td = model.get_taskdef(txn, account, region, params["taskDefinition"], active_only=True)["taskDefinitionArn"]
    if params.get("desiredCount") is not None and doc.get("schedulingStrategy") == "DAEMON":
        raise model.invalid("The daemon scheduling strategy does not support a desired count for services.")
    if params.get("placementStrategy") and doc.get("schedulingStrategy") == "DAEMON":
        raise model.invalid("The daemon scheduling strategy does not support placement strategies.")
    if params.get("desiredCount") is not None:
        if params["desiredCount"] < 0:
            raise model.invalid("desiredCount must be greater than or equal to 0.")
        doc["desiredCount"] = params["desiredCount"]
        doc["deployments"][0]["desiredCount"] = params["desiredCount"]
    if params.get("deploymentConfiguration"):
        doc["deploymentConfiguration"] = _deployment_config(params["deploymentConfiguration"], doc["deploymentConfiguration"])
    if params.get("networkConfiguration"):
        taskdef = model.get_taskdef(txn, account, region, new_td)
        doc["networkConfiguration"] = model.check_network(taskdef, doc.get("launchType", "FARGATE"), params["networkConfiguration"])
    if params.get("healthCheckGracePeriodSeconds") is not None:
        doc["healthCheckGracePeriodSeconds"] = params["healthCheckGracePeriodSeconds"]
    if params.get("platformVersion"):
        doc["platformVersion"] = params["platformVersion"]
    new_deployment = new_td != doc["taskDefinition"] or params.get("forceNewDeployment") or params.get("networkConfiguration")
    if new_deployment:
        doc["taskDefinition"] = new_td
        for d in doc["deployments"]:
            d["status"] = "ACTIVE"
        doc["deployments"].insert(0, _new_deployment(doc, new_td, doc["desiredCount"]))
    txn.put(model.SERVICES, key, doc)
    txn.publish(model.TASK_EVENT, {"service": key})
    return doc


def delete_service(txn: Txn, account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    key, doc = _get_active(txn, account, region, params)
    if doc["status"] == "DRAINING":
        return doc
    if doc["desiredCount"] > 0 and not params.get("force") and doc.get("schedulingStrategy") != "DAEMON":
        raise model.invalid("The service cannot be stopped while it is scaled above 0.")
    doc["status"] = "DRAINING"
    doc["desiredCount"] = 0
    for d in doc["deployments"]:
        d["desiredCount"] = 0
    txn.put(model.SERVICES, key, doc)
    txn.publish(model.TASK_EVENT, {"service": key})
    return doc


# --- the scheduler ------------------------------------------------------------------------------


def _threshold(desired: int) -> int:
    return min(200, max(3, math.ceil(desired * 0.5)))


def reconcile(txn: Txn, key: str, doc: dict[str, Any]) -> None:
    """One scheduling pass over one service (see the module docstring)."""
    meta = doc["_"]
    account, region, cluster_name = meta["account"], meta["region"], meta["cluster"]
    changed = False
    tasks = [
        (k, t)
        for k, t in txn.scan(model.TASKS, f"{model.scope(account, region)}{cluster_name}:")
        if t["_"].get("service") == doc["serviceName"]
    ]
    deps = doc["deployments"]
    daemon = _daemon_instances(txn, doc) if doc.get("schedulingStrategy") == "DAEMON" else None
    if daemon is not None:
        if doc["status"] != "ACTIVE":
            daemon = {}  # a deleted daemon service stops everywhere
        n = len(daemon)
        if doc["desiredCount"] != n:
            doc["desiredCount"] = n
            changed = True
    counted = set(meta.get("counted") or [])
    live: dict[str, list[tuple[str, dict[str, Any]]]] = {d["id"]: [] for d in deps}
    now = model.now()
    for k, t in tasks:
        dep = t["_"].get("deployment")
        if t["desiredStatus"] == "RUNNING" and t["lastStatus"] != "STOPPED":
            inst = txn.get("ecs.instances", t["_"]["instance"]) if t["_"].get("instance") else None
            if inst is not None and inst["status"] in ("DRAINING", "INACTIVE") and doc["status"] == "ACTIVE":
                # tasks on a draining container instance are replaced elsewhere
                model.request_stop(txn, k, t, f"Service task stopped because its container instance is {inst['status']}.", "ServiceSchedulerInitiated")
                _event(doc, f"has stopped 1 running tasks: (task {t['taskArn'].rsplit('/', 1)[-1]}) on a {inst['status'].lower()} container instance.")
                changed = True
                continue
            if _failed_health(doc, t, now) and doc["status"] == "ACTIVE":
                # past the service's healthCheckGracePeriodSeconds: the scheduler replaces it
                model.request_stop(txn, k, t, "Task failed container health checks", "ServiceSchedulerInitiated")
                _event(doc, f"(task {t['taskArn'].rsplit('/', 1)[-1]}) failed container health checks.")
                changed = True
                continue
            if daemon is not None and t.get("containerInstanceArn") not in daemon and doc["status"] == "ACTIVE" and inst is not None and inst["status"] == "ACTIVE":
                # a daemon task on an instance that no longer meets the placement constraints
                model.request_stop(txn, k, t, f"Service task stopped because its container instance no longer meets the placement constraints (deployment {dep}).", "ServiceSchedulerInitiated")
                _event(doc, f"has stopped 1 running tasks: (task {t['taskArn'].rsplit('/', 1)[-1]}).")
                changed = True
                continue
            if dep in live:
                live[dep].append((k, t))
            else:  # a deployment that no longer exists: stop its tasks
                model.request_stop(txn, k, t, "Scaling activity initiated by (deployment unknown)", "ServiceSchedulerInitiated")
            continue
        if t["lastStatus"] == "STOPPED" and t["taskArn"] not in counted:
            counted.add(t["taskArn"])
            changed = True
            if t.get("stopCode") in ("TaskFailedToStart", "EssentialContainerExited") or t.get("stoppedReason") == "Task failed container health checks":
                for d in deps:
                    if d["id"] == dep:
                        d["failedTasks"] = d.get("failedTasks", 0) + 1
                        d["_lastFailure"] = now
                if t.get("stoppedReason"):
                    _event(doc, f"has stopped 1 running tasks: (task {t['taskArn'].rsplit('/', 1)[-1]}).")
    # forget counted tasks that no longer exist
    existing = {t["taskArn"] for _, t in tasks}
    counted &= existing
    meta["counted"] = sorted(counted)

    cfg = doc["deploymentConfiguration"]
    desired = doc["desiredCount"] if doc["status"] == "ACTIVE" else 0
    primary = deps[0]
    breaker = cfg.get("deploymentCircuitBreaker") or {}

    # circuit breaker
    if breaker.get("enable") and primary.get("rolloutState") == "IN_PROGRESS" and primary.get("failedTasks", 0) >= _threshold(desired):
        primary["rolloutState"] = "FAILED"
        primary["rolloutStateReason"] = "ECS deployment circuit breaker: tasks failed to start."
        _event(doc, f"(deployment {primary['id']}) deployment failed: tasks failed to start.")
        changed = True
        previous = next((d for d in deps[1:] if d.get("taskDefinition")), None)
        if breaker.get("rollback") and previous is not None:
            td = previous["taskDefinition"]
            primary["status"] = "ACTIVE"
            new = _new_deployment(doc, td, desired)
            new["rolloutStateReason"] = f"ECS deployment circuit breaker: rolling back to deploymentId {previous['id']}."
            deps.insert(0, new)
            live[new["id"]] = []
            doc["taskDefinition"] = td
            _event(doc, f"rolling back to deployment {previous['id']}.")
            primary = new

    # counts
    for d in deps:
        ts = live.get(d["id"], [])
        running = sum(1 for _, t in ts if t["lastStatus"] == "RUNNING")
        pending = len(ts) - running
        if (d["runningCount"], d["pendingCount"]) != (running, pending):
            d["runningCount"], d["pendingCount"] = running, pending
            d["updatedAt"] = now
            changed = True
        d["desiredCount"] = desired if d is primary else d.get("desiredCount", 0)

    total = sum(len(v) for v in live.values())
    healthy_all = sum(1 for v in live.values() for _, t in v if t["lastStatus"] == "RUNNING" and not _failed_health(doc, t, now))
    max_total = max(desired, math.floor(desired * cfg.get("maximumPercent", 200) / 100))
    min_healthy = math.ceil(desired * cfg.get("minimumHealthyPercent", 100) / 100)

    # start tasks for the primary deployment
    mine = live[primary["id"]]
    can_start = primary.get("rolloutState") != "FAILED" or not breaker.get("enable")
    backoff = min(5.0, 0.5 * primary.get("failedTasks", 0))
    may_start = can_start and now - primary.get("_lastFailure", 0) >= backoff
    if daemon is not None:
        changed |= _daemon_pass(txn, doc, primary, live, mine, daemon, may_start)
    else:
        want = desired - len(mine)
        if want > 0 and may_start:
            room = max_total - total
            n = min(want, max(room, 0), 10)
            if n > 0:
                changed |= _start_tasks(txn, doc, primary, mine, n)

        # stop surplus primary tasks (scale-in): pending first, then unhealthy, then newest
        if len(mine) > desired:
            surplus = sorted(mine, key=lambda kt: (kt[1]["lastStatus"] == "RUNNING", kt[1].get("healthStatus") != "UNHEALTHY", kt[1]["createdAt"]))[: len(mine) - desired]
            for k, t in surplus:
                if k:
                    model.request_stop(txn, k, t, f"Scaling activity initiated by (deployment {primary['id']})", "ServiceSchedulerInitiated")
            if surplus:
                _event(doc, f"has stopped {len(surplus)} running tasks: {' '.join('(task ' + t['taskArn'].rsplit('/', 1)[-1] + ')' for _, t in surplus)}.")
                changed = True

    # drain old deployments while enough stay healthy
    primary_healthy = sum(1 for _, t in mine if t["lastStatus"] == "RUNNING")
    for d in deps[1:]:
        olds = live.get(d["id"], [])
        stopped = []
        for k, t in sorted(olds, key=lambda kt: kt[1]["lastStatus"] == "RUNNING"):
            is_healthy = t["lastStatus"] == "RUNNING"
            if is_healthy and healthy_all - 1 < min_healthy and primary_healthy < desired:
                continue
            model.request_stop(txn, k, t, f"Scaling activity initiated by (deployment {d['id']})", "ServiceSchedulerInitiated")
            stopped.append(t["taskArn"].rsplit("/", 1)[-1])
            if is_healthy:
                healthy_all -= 1
        if stopped:
            _event(doc, f"has stopped {len(stopped)} running tasks: {' '.join(f'(task {x})' for x in stopped)}.")
            changed = True
    # deployments with nothing left go away
    keep = [deps[0]] + [d for d in deps[1:] if live.get(d["id"])]
    if len(keep) != len(deps):
        doc["deployments"] = deps = keep
        changed = True

    # rollout complete / steady state
    running = sum(d["runningCount"] for d in deps)
    pending = sum(d["pendingCount"] for d in deps)
    if (doc["runningCount"], doc["pendingCount"]) != (running, pending):
        doc["runningCount"], doc["pendingCount"] = running, pending
        changed = True
    if len(deps) == 1 and primary["runningCount"] == desired and primary["pendingCount"] == 0:
        if primary.get("rolloutState") == "IN_PROGRESS":
            primary["rolloutState"] = "COMPLETED"
            primary["rolloutStateReason"] = f"ECS deployment {primary['id']} completed."
            _event(doc, f"(deployment {primary['id']}) deployment completed.")
            changed = True
        if not meta.get("steady"):
            meta["steady"] = True
            _event(doc, "has reached a steady state.")
            changed = True
    elif meta.get("steady"):
        meta["steady"] = False
        changed = True
    if doc["status"] == "DRAINING" and not any(live.values()):
        doc["status"] = "INACTIVE"
        changed = True
    if changed:
        for d in deps:
            d["updatedAt"] = now
        txn.put(model.SERVICES, key, doc)



def _failed_health(doc: dict[str, Any], t: dict[str, Any], now: float) -> bool:
    """A task whose container health checks failed, once the service's
    healthCheckGracePeriodSeconds after the task started have passed (until then the
    scheduler ignores its health)."""
    if t.get("healthStatus") != "UNHEALTHY" or t["lastStatus"] != "RUNNING":
        return False
    grace = doc.get("healthCheckGracePeriodSeconds") or 0
    started = t.get("startedAt") or now
    return now - started >= grace


def _daemon_instances(txn: Txn, doc: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """containerInstanceArn -> (key, doc) of the ACTIVE instances a DAEMON service runs on:
    those that satisfy its (and its task definition's) memberOf constraints."""
    from gureum.services.ecs import instances as ci

    meta = doc["_"]
    constraints = list(doc.get("placementConstraints") or [])
    try:
        taskdef = model.get_taskdef(txn, meta["account"], meta["region"], doc["deployments"][0]["taskDefinition"])
        constraints += list(taskdef.get("placementConstraints") or [])
    except AwsError:
        pass
    out = {}
    for k, d in ci.cluster_instances(txn, meta["account"], meta["region"], meta["cluster"]):
        if d["status"] != "ACTIVE":
            continue
        if all(ci.match(c["expression"], d) for c in constraints if c.get("type") == "memberOf"):
            out[d["containerInstanceArn"]] = (k, d)
    return out


def _daemon_pass(
    txn: Txn,
    doc: dict[str, Any],
    primary: dict[str, Any],
    live: dict[str, list[tuple[str, dict[str, Any]]]],
    mine: list[tuple[str, dict[str, Any]]],
    daemon: dict[str, tuple[str, dict[str, Any]]],
    may_start: bool,
) -> bool:
    """One task of the primary deployment on each eligible instance: start where missing
    (only once no task of the service is left there: maximumPercent 100), stop extras."""
    changed = False
    by_inst: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for ts in live.values():
        for kt in ts:
            by_inst.setdefault(kt[1].get("containerInstanceArn") or "", []).append(kt)
    surplus = []
    for arn, ts in by_inst.items():
        own = [kt for kt in ts if kt in mine]
        if arn not in daemon:
            surplus += own  # DRAINING service (eligible set empty) or the instance left
        elif len(own) > 1:
            surplus += sorted(own, key=lambda kt: (kt[1]["lastStatus"] == "RUNNING", kt[1]["createdAt"]))[: len(own) - 1]
    for k, t in surplus:
        if k:
            model.request_stop(txn, k, t, f"Scaling activity initiated by (deployment {primary['id']})", "ServiceSchedulerInitiated")
            mine.remove((k, t))
    if surplus:
        _event(doc, f"has stopped {len(surplus)} running tasks: {' '.join('(task ' + t['taskArn'].rsplit('/', 1)[-1] + ')' for _, t in surplus)}.")
        changed = True
    if not may_start or doc["status"] != "ACTIVE":
        return changed
    missing = [arn for arn in daemon if not by_inst.get(arn)]
    if missing:
        changed |= _start_tasks(txn, doc, primary, mine, len(missing), only=missing)
    return changed


def _start_tasks(txn: Txn, doc: dict[str, Any], primary: dict[str, Any], mine: list[tuple[str, dict[str, Any]]], n: int, only: list[str] | None = None) -> bool:
    """Start up to n tasks of the primary deployment (placed on container instances for the
    EC2 launch type; `only`: one on each of these instances)."""
    meta = doc["_"]
    account, region, cluster_name = meta["account"], meta["region"], meta["cluster"]
    now = model.now()
    changed = False
    cluster = model.get_cluster(txn, account, region, cluster_name)
    try:
        taskdef = model.get_taskdef(txn, account, region, primary["taskDefinition"])
    except AwsError:
        return False
    placed: list[Any] = []
    req: dict[str, Any] = {}
    if doc.get("launchType") == "EC2":
        from gureum.services.ecs import instances as ci

        req = ci.requirements(taskdef, {})
        constraints = list(taskdef.get("placementConstraints") or []) + list(doc.get("placementConstraints") or [])
        placed, failures = ci.place(txn, account, region, cluster_name, req, n, f"service:{doc['serviceName']}", doc.get("placementStrategy") or [], constraints, only)
        if len(placed) < n and now - meta.get("unplaced_at", 0) >= 60:
            meta["unplaced_at"] = now
            closest = failures[0] if failures else None
            why = f" The closest matching container-instance {closest['arn'].rsplit('/', 1)[-1]} has {closest['reason']}." if closest else ""
            _event(doc, f"was unable to place a task because no container instance met all of its requirements.{why}")
            changed = True
        n = len(placed)
    if n <= 0:
        return changed
    launch = doc.get("launchType") or "FARGATE"
    started = []
    for i in range(n):
        t = model.new_task(
            txn,
            account,
            region,
            cluster,
            taskdef,
            launch_type=launch,
            capacity_provider=(doc.get("capacityProviderStrategy") or [{}])[0].get("capacityProvider"),
            network=doc.get("networkConfiguration"),
            overrides={},
            started_by=primary["id"],
            group=f"service:{doc['serviceName']}",
            tags=doc.get("tags") if doc.get("propagateTags") == "SERVICE" else [],
            platform_version=doc.get("platformVersion"),
            service=doc["serviceName"],
            deployment=primary["id"],
            registries=doc.get("serviceRegistries") or [],
        )
        if placed:
            from gureum.services.ecs import instances as ci

            ci.attach(txn, t, placed[i], req)
        started.append(t["taskArn"].rsplit("/", 1)[-1])
        mine.append(("", t))
    primary["pendingCount"] += len(started)
    _event(doc, f"has started {len(started)} tasks: {' '.join(f'(task {x})' for x in started)}.")
    return True


async def reconcile_all(store: Store) -> None:
    def keys(t: Txn) -> list[str]:
        return [k for k, d in t.scan(model.SERVICES) if d["status"] in ("ACTIVE", "DRAINING")]

    for key in await store.read(keys):

        def one(t: Txn, key: str = key) -> None:
            doc = t.get(model.SERVICES, key)
            if doc is not None and doc["status"] in ("ACTIVE", "DRAINING"):
                reconcile(t, key, doc)

        await store.run(one)
