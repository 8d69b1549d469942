"""ECS services: the API's rules (Create/Update/Delete/Describe) and the service scheduler.

The scheduler (`reconcile`) runs in one store transaction in three steps: `read_state` reads
the service, its tasks and (DAEMON) its eligible container instances into plain values;
`scheduler_plan.plan` decides, without the store, what to do (count each deployment's tasks,
record failed ones, trip the deployment circuit breaker and roll back when asked, start tasks
up to desiredCount within maximumPercent, stop old deployments' tasks while
minimumHealthyPercent stays running, mark the rollout COMPLETED and the steady state); `apply`
carries out those actions (task stops and starts, placement, the service document written
once). The agent runs it for every active service every half second and on every task change.
"""

from __future__ import annotations

import random
import re
import uuid
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.ecs import instances as ci
from gureum.services.ecs import load_balancers, model, task_protection, task_sets
from gureum.services.ecs import scheduler_plan as sp
from gureum.services.ecs import service_history as history
from gureum.services.elbv2 import port as elb
from gureum.services.servicediscovery import port as sd
from gureum.store import Store, Txn

MAX_EVENTS = 100


def service_arn(account: str, region: str, cluster: str, name: str) -> str:
    return arns.ecs_service(region, account, cluster, name)


def _deployment_id() -> str:
    return "ecs-svc/" + "".join(random.choice("0123456789") for _ in range(19))


def service_view(doc: dict[str, Any], include_tags: bool) -> dict[str, Any]:
    out = model.view(doc)
    out["deployments"] = [{k: v for k, v in d.items() if not k.startswith("_")} for d in out["deployments"]]
    if "taskSets" in out:
        out["taskSets"] = [task_sets.view(ts, include_tags) for ts in out["taskSets"]]
    if not include_tags:
        out.pop("tags", None)
    return out


def find_service(txn: Txn, account: str, region: str, cluster: str, ref: str) -> dict[str, Any] | None:
    name = ref.rsplit("/", 1)[-1]
    return txn.get(model.SERVICES, f"{model.scope(account, region)}{cluster}:{name}")


def _event(doc: dict[str, Any], message: str) -> None:
    doc["events"].insert(0, {"id": str(uuid.uuid4()), "createdAt": model.now(), "message": f"(service {doc['serviceName']}) {message}"})
    del doc["events"][MAX_EVENTS:]


def _new_deployment(doc: dict[str, Any], taskdef_arn: str, desired: int, dep_id: str | None = None) -> dict[str, Any]:
    t = model.now()
    dep_id = dep_id or _deployment_id()
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
        raise AwsError.modeled(
            "ecs", "InvalidParameterException", "maximumPercent must be at least 100 when minimumHealthyPercent is 100."
        )
    if cfg.get("minimumHealthyPercent", 100) > cfg.get("maximumPercent", 200):
        raise AwsError.modeled(
            "ecs", "InvalidParameterException", "minimumHealthyPercent must be less than or equal to maximumPercent."
        )
    return cfg


def create_service(txn: Txn, account: str, region: str, params: dict[str, Any], created_by: str) -> dict[str, Any]:
    cluster = model.get_cluster(txn, account, region, params.get("cluster"))
    name = params["serviceName"]
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,255}", name):
        raise AwsError.modeled(
            "ecs",
            "InvalidParameterException",
            "Service name can be up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens.",
        )
    key = f"{model.scope(account, region)}{cluster['clusterName']}:{name}"
    existing = txn.get(model.SERVICES, key)
    if existing is not None and existing["status"] in ("ACTIVE", "DRAINING"):
        raise AwsError.modeled("ecs", "InvalidParameterException", "Creation of service was not idempotent.")
    strategy = params.get("schedulingStrategy") or "REPLICA"
    if strategy not in ("REPLICA", "DAEMON"):
        raise AwsError.modeled("ecs", "InvalidParameterException", "schedulingStrategy must be one of REPLICA, DAEMON.")
    if strategy == "DAEMON" and params.get("launchType") == "FARGATE":
        raise AwsError.modeled(
            "ecs",
            "InvalidParameterException",
            "The daemon scheduling strategy does not support the FARGATE launch type.",
        )
    if strategy == "DAEMON" and params.get("placementStrategy"):
        raise AwsError.modeled(
            "ecs", "InvalidParameterException", "The daemon scheduling strategy does not support placement strategies."
        )
    if strategy == "DAEMON" and (params.get("deploymentController") or {}).get("type", "ECS") != "ECS":
        raise AwsError.modeled(
            "ecs",
            "InvalidParameterException",
            "The daemon scheduling strategy does not support the CODE_DEPLOY or EXTERNAL deployment controller types.",
        )
    if (params.get("deploymentController") or {}).get("type") == "EXTERNAL":
        return _create_external(txn, account, region, cluster, key, params, created_by)
    if not params.get("taskDefinition"):
        raise AwsError.modeled("ecs", "InvalidParameterException", "TaskDefinition must be specified.")
    taskdef = model.get_taskdef(txn, account, region, params["taskDefinition"], active_only=True)
    launch, provider = model.resolve_launch(cluster, params)
    if strategy == "DAEMON" and launch != "EC2":
        raise AwsError.modeled(
            "ecs",
            "InvalidParameterException",
            "The daemon scheduling strategy does not support the FARGATE launch type.",
        )
    network = model.check_network(taskdef, launch, params.get("networkConfiguration"))
    desired = params.get("desiredCount")
    if strategy == "DAEMON" and desired:
        raise AwsError.modeled(
            "ecs",
            "InvalidParameterException",
            "The daemon scheduling strategy does not support a desired count for services.",
        )
    if desired is None:
        desired = 0 if strategy == "DAEMON" else None
    if desired is None:
        raise AwsError.modeled(
            "ecs", "InvalidParameterException", "desiredCount must be specified for the REPLICA scheduling strategy."
        )
    if desired < 0:
        raise AwsError.modeled("ecs", "InvalidParameterException", "desiredCount must be greater than or equal to 0.")
    _check_load_balancers(txn, taskdef, params.get("loadBalancers") or [])
    for reg in params.get("serviceRegistries") or []:
        try:
            arns.servicediscovery_service_parts(reg.get("registryArn", ""))
        except arns.BadArn:
            raise AwsError.modeled("ecs", "InvalidParameterException", "Service registry ARN is not valid.") from None
    if launch == "EC2":
        ci.check_constraints(params.get("placementConstraints") or [])
        ci.check_strategy(params.get("placementStrategy") or [])
        if desired > 0 and strategy == "REPLICA" and not any(d["status"] in ("ACTIVE", "DRAINING") for _, d in ci.cluster_instances(txn, account, region, cluster["clusterName"])):
            raise AwsError.modeled(
                "ecs", "InvalidParameterException", "No Container Instances were found in your cluster."
            )
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
        # AWS's default for a new service (2025): ENABLED where the service can be rebalanced
        # (REPLICA under the ECS deployment controller), else DISABLED
        "availabilityZoneRebalancing": params.get("availabilityZoneRebalancing") or (
            "ENABLED" if strategy == "REPLICA" and (params.get("deploymentController") or {}).get("type", "ECS") == "ECS"
            else "DISABLED"),
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
    if provider:  # the capacity provider the strategy chose and the launch type it runs on
        doc["_"].update(provider=provider, launch=launch)
    connect = service_connect(txn, account, region, cluster, params.get("serviceConnectConfiguration"))
    if connect:
        doc["_"]["serviceConnect"] = doc["deployments"][0]["serviceConnectConfiguration"] = connect
    history.record(txn, doc, doc["deployments"][0], [])
    txn.put(model.SERVICES, key, doc)
    txn.publish(model.TASK_EVENT, {"service": key})
    return doc


def _check_load_balancers(txn: Txn, taskdef: dict[str, Any], entries: list[dict[str, Any]]) -> None:
    """CreateService's checks of `loadBalancers`: the container and its port are in the task
    definition, and a load balancer uses the target group (AWS's messages)."""
    for lb in entries:
        name, port = lb.get("containerName"), lb.get("containerPort")
        if lb.get("targetGroupArn") and name is not None:
            spec = next((c for c in taskdef["containerDefinitions"] if c["name"] == name), None)
            if spec is None:
                raise AwsError.modeled("ecs", "InvalidParameterException",
                                       f"The container {name} does not exist in the task definition.")
            if port is not None and all(m.get("containerPort") != port for m in spec.get("portMappings") or []):
                raise AwsError.modeled("ecs", "InvalidParameterException",
                                       f"The container {name} did not have a container port {port} defined.")
        if lb.get("targetGroupArn") and elb.has_load_balancer(txn, lb["targetGroupArn"]) is False:
            raise AwsError.modeled("ecs", "InvalidParameterException", f"The target group with targetGroupArn "
                                   f"{lb['targetGroupArn']} does not have an associated load balancer.")


def _create_external(txn: Txn, account: str, region: str, cluster: dict[str, Any], key: str, params: dict[str, Any],
                     created_by: str) -> dict[str, Any]:
    """A service under the EXTERNAL deployment controller: no deployments, its tasks come from
    its task sets (task_sets.py); the task-set-level parameters are the task sets'."""
    desired = params.get("desiredCount")
    if desired is None or desired < 0:
        raise AwsError.modeled("ecs", "InvalidParameterException", "desiredCount must be specified and at least 0.")
    for k in ("taskDefinition", "launchType", "capacityProviderStrategy", "networkConfiguration", "platformVersion", "loadBalancers"):
        if params.get(k):
            raise AwsError.modeled("ecs", "InvalidParameterException",
                                   f"{k} is a task set parameter for services that use the EXTERNAL deployment controller.")
    name = params["serviceName"]
    doc: dict[str, Any] = {
        "serviceArn": service_arn(account, region, cluster["clusterName"], name),
        "serviceName": name, "clusterArn": cluster["clusterArn"], "loadBalancers": [],
        "serviceRegistries": params.get("serviceRegistries") or [], "status": "ACTIVE", "desiredCount": desired,
        "runningCount": 0, "pendingCount": 0, "taskSets": [], "deployments": [], "events": [],
        "deploymentConfiguration": _deployment_config(params.get("deploymentConfiguration")),
        "createdAt": model.now(), "placementConstraints": params.get("placementConstraints") or [],
        "placementStrategy": params.get("placementStrategy") or [], "schedulingStrategy": "REPLICA",
        "deploymentController": {"type": "EXTERNAL"}, "createdBy": created_by,
        "enableECSManagedTags": bool(params.get("enableECSManagedTags")), "propagateTags": params.get("propagateTags") or "NONE",
        "enableExecuteCommand": bool(params.get("enableExecuteCommand")), "tags": params.get("tags") or [],
        "availabilityZoneRebalancing": "DISABLED",
        "_": {"account": account, "region": region, "cluster": cluster["clusterName"], "counted": []},
    }
    if params.get("healthCheckGracePeriodSeconds") is not None:
        doc["healthCheckGracePeriodSeconds"] = params["healthCheckGracePeriodSeconds"]
    txn.put(model.SERVICES, key, doc)
    txn.publish(model.TASK_EVENT, {"service": key})
    return doc


def service_connect(txn: Txn, account: str, region: str, cluster: dict[str, Any], given: dict[str, Any] | None) -> dict[str, Any] | None:
    """A service's Service Connect configuration, its namespace (the cluster's default when
    none is given) resolved to the Cloud Map namespace's ARN; NamespaceNotFoundException when
    Cloud Map has no such namespace."""
    if not given or not given.get("enabled"):
        return dict(given) if given else None
    ref = given.get("namespace") or (cluster.get("serviceConnectDefaults") or {}).get("namespace")
    if not ref:
        raise AwsError.modeled("ecs", "InvalidParameterException",
                               "Service Connect needs a namespace: give one or set the cluster's serviceConnectDefaults.")
    found = sd.find_namespace(txn, account, region, ref)
    if found is None:
        raise AwsError.modeled("ecs", "NamespaceNotFoundException", f"The namespace {ref} was not found.")
    return dict(given, namespace=found[2])


def services_in_namespace(txn: Txn, account: str, region: str, ref: str) -> list[str]:
    """ARNs of the ACTIVE services (of every cluster) whose Service Connect uses namespace `ref`."""
    found = sd.find_namespace(txn, account, region, ref)
    if found is None:
        raise AwsError.modeled("ecs", "NamespaceNotFoundException", f"The namespace {ref} was not found.")
    return sorted(d["serviceArn"] for _, d in txn.scan(model.SERVICES, model.scope(account, region))
                  if d["status"] == "ACTIVE" and ((d["_"].get("serviceConnect") or {}).get("namespace") == found[2]))


def _get_active(txn: Txn, account: str, region: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    cluster = model.get_cluster(txn, account, region, params.get("cluster"))
    name = params["service"].rsplit("/", 1)[-1]
    key = f"{model.scope(account, region)}{cluster['clusterName']}:{name}"
    doc = txn.get(model.SERVICES, key)
    if doc is None or doc["status"] == "INACTIVE":
        raise AwsError.modeled("ecs", "ServiceNotFoundException", "Service not found.")
    return key, doc


def update_service(txn: Txn, account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    key, doc = _get_active(txn, account, region, params)
    if doc["status"] != "ACTIVE":
        raise AwsError.modeled("ecs", "ServiceNotActiveException", "Service was not ACTIVE.")
    new_td = doc["taskDefinition"]
    if params.get("taskDefinition"):
        new_td = model.get_taskdef(txn, account, region, params["taskDefinition"], active_only=True)["taskDefinitionArn"]
    if params.get("desiredCount") is not None and doc.get("schedulingStrategy") == "DAEMON":
        raise AwsError.modeled(
            "ecs",
            "InvalidParameterException",
            "The daemon scheduling strategy does not support a desired count for services.",
        )
    if params.get("placementStrategy") and doc.get("schedulingStrategy") == "DAEMON":
        raise AwsError.modeled(
            "ecs", "InvalidParameterException", "The daemon scheduling strategy does not support placement strategies."
        )
    if task_sets.is_external(doc) and (params.get("taskDefinition") or params.get("forceNewDeployment")
                                       or params.get("networkConfiguration") or params.get("platformVersion")):
        raise AwsError.modeled("ecs", "InvalidParameterException",
                               "Updating the task definition, network configuration or platform version is not supported "
                               "for services using the EXTERNAL deployment controller: create a task set.")
    if params.get("desiredCount") is not None:
        if params["desiredCount"] < 0:
            raise AwsError.modeled(
                "ecs", "InvalidParameterException", "desiredCount must be greater than or equal to 0."
            )
        doc["desiredCount"] = params["desiredCount"]
        if doc["deployments"]:
            doc["deployments"][0]["desiredCount"] = params["desiredCount"]
        task_sets.scale_all(doc)
    if params.get("deploymentConfiguration"):
        doc["deploymentConfiguration"] = _deployment_config(params["deploymentConfiguration"], doc["deploymentConfiguration"])
    if params.get("networkConfiguration"):
        taskdef = model.get_taskdef(txn, account, region, new_td)
        doc["networkConfiguration"] = model.check_network(taskdef, doc.get("launchType", "FARGATE"), params["networkConfiguration"])
    if params.get("healthCheckGracePeriodSeconds") is not None:
        doc["healthCheckGracePeriodSeconds"] = params["healthCheckGracePeriodSeconds"]
    if params.get("platformVersion"):
        doc["platformVersion"] = params["platformVersion"]
    if params.get("availabilityZoneRebalancing"):  # not given: the service's own (DISABLED if it never had one)
        doc["availabilityZoneRebalancing"] = params["availabilityZoneRebalancing"]
    connect = None
    if params.get("serviceConnectConfiguration") is not None:
        cluster = model.get_cluster(txn, account, region, doc["_"]["cluster"])
        connect = service_connect(txn, account, region, cluster, params["serviceConnectConfiguration"])
        doc["_"]["serviceConnect"] = connect
    new_deployment = (new_td != doc["taskDefinition"] or params.get("forceNewDeployment") or params.get("networkConfiguration")
                      or params.get("serviceConnectConfiguration") is not None)
    if new_deployment and task_sets.is_external(doc):
        new_deployment = False
    if new_deployment:
        doc["taskDefinition"] = new_td
        sources = list(doc["deployments"])
        for d in doc["deployments"]:
            d["status"] = "ACTIVE"
        doc["deployments"].insert(0, _new_deployment(doc, new_td, doc["desiredCount"]))
        if doc["_"].get("serviceConnect"):
            doc["deployments"][0]["serviceConnectConfiguration"] = doc["_"]["serviceConnect"]
        history.record(txn, doc, doc["deployments"][0], sources)
    txn.put(model.SERVICES, key, doc)
    txn.publish(model.TASK_EVENT, {"service": key})
    return doc


def delete_service(txn: Txn, account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    key, doc = _get_active(txn, account, region, params)
    if doc["status"] == "DRAINING":
        return doc
    if doc["desiredCount"] > 0 and not params.get("force") and doc.get("schedulingStrategy") != "DAEMON":
        raise AwsError.modeled(
            "ecs", "InvalidParameterException", "The service cannot be stopped while it is scaled above 0."
        )
    doc["status"] = "DRAINING"
    doc["desiredCount"] = 0
    for d in doc["deployments"]:
        d["desiredCount"] = 0
    txn.put(model.SERVICES, key, doc)
    txn.publish(model.TASK_EVENT, {"service": key})
    return doc


# --- the scheduler: read the state, plan (scheduler_plan.plan, pure), apply ---------------------


def read_state(txn: Txn, doc: dict[str, Any]) -> sp.ServiceState:
    """The plain values `plan` decides on: the service, its tasks (with the status of the
    container instance each runs on and, behind load balancers, their targets' health) and,
    for a DAEMON service, its eligible instances."""
    meta = doc["_"]
    now = model.now()
    tasks = []
    for k, t in txn.scan(model.TASKS, f"{model.scope(meta['account'], meta['region'])}{meta['cluster']}:"):
        if t["_"].get("service") != doc["serviceName"]:
            continue
        inst_status = None
        if t["desiredStatus"] == "RUNNING" and t["lastStatus"] != "STOPPED" and t["_"].get("instance"):
            inst = txn.get("ecs.instances", t["_"]["instance"])
            inst_status = inst["status"] if inst is not None else None
        elb = load_balancers.health_of(txn, t) if doc.get("loadBalancers") and t["lastStatus"] != "STOPPED" else None
        tasks.append(sp.TaskState.from_doc(k, t, inst_status, task_protection.protected_until(t, now) is not None, elb))
    daemon = tuple(_daemon_instances(txn, doc)) if doc.get("schedulingStrategy") == "DAEMON" else None
    return sp.ServiceState(service=doc, tasks=tuple(tasks), now=now, daemon_instances=daemon, new_deployment_id=_deployment_id())


def reconcile(txn: Txn, key: str, doc: dict[str, Any]) -> None:
    """One scheduling pass over one service (see the module docstring); an EXTERNAL service's
    task sets are scheduled by task_sets.reconcile."""
    if task_sets.is_external(doc):
        task_sets.reconcile(txn, key, doc, _start_tasks)
        return
    state = read_state(txn, doc)
    apply(txn, key, doc, sp.plan(state), now=state.now)


def apply(txn: Txn, key: str, doc: dict[str, Any], actions: list[sp.Action], *, now: float) -> None:
    """Carry out a plan's actions on the service doc and its tasks; the service is written
    once, at the end, if anything in it changed."""
    meta = doc["_"]
    changed = False
    started = 0

    def dep(dep_id: str) -> dict[str, Any]:
        return next(d for d in doc["deployments"] if d["id"] == dep_id)

    for a in actions:
        if isinstance(a, sp.StopTask):
            t = txn.get(model.TASKS, a.key)
            if t is not None:
                model.request_stop(txn, a.key, t, a.reason, "ServiceSchedulerInitiated")
            continue
        if isinstance(a, sp.SetCounted):
            meta["counted"] = list(a.task_arns)
            continue
        if isinstance(a, sp.StartTasks):
            did, n = _start_tasks(txn, doc, dep(a.deployment_id), a.count, list(a.only) if a.only is not None else None)
            changed |= did
            started += n
            continue
        if isinstance(a, sp.SetServiceCounts):
            counts = (a.running, a.pending + started)
            if (doc["runningCount"], doc["pendingCount"]) != counts:
                doc["runningCount"], doc["pendingCount"] = counts
                changed = True
            continue
        changed = True
        if isinstance(a, sp.SetDesiredCount):
            doc["desiredCount"] = a.count
        elif isinstance(a, sp.AddEvent):
            _event(doc, a.message)
        elif isinstance(a, sp.CountStopped):
            pass  # remembered by the SetCounted that follows
        elif isinstance(a, sp.RecordFailure):
            d = dep(a.deployment_id)
            d["failedTasks"] = d.get("failedTasks", 0) + 1
            d["_lastFailure"] = now
        elif isinstance(a, sp.FailDeployment):
            d = dep(a.deployment_id)
            d["rolloutState"] = "FAILED"
            d["rolloutStateReason"] = "ECS deployment circuit breaker: tasks failed to start."
            history.failed(txn, doc, a.deployment_id, d["rolloutStateReason"])
        elif isinstance(a, sp.RollBack):
            history.rolled_back(txn, doc, doc["deployments"][0]["id"], a.new_deployment_id, a.previous_deployment_id,
                                f"ECS deployment circuit breaker: rolling back to deploymentId {a.previous_deployment_id}.")
            doc["deployments"][0]["status"] = "ACTIVE"
            new = _new_deployment(doc, a.task_definition, a.desired, a.new_deployment_id)
            new["rolloutStateReason"] = f"ECS deployment circuit breaker: rolling back to deploymentId {a.previous_deployment_id}."
            doc["deployments"].insert(0, new)
            doc["taskDefinition"] = a.task_definition
        elif isinstance(a, sp.SetDeploymentCounts):
            d = dep(a.deployment_id)
            d["runningCount"], d["pendingCount"] = a.running, a.pending
            d["updatedAt"] = now
        elif isinstance(a, sp.SetDeploymentDesired):
            dep(a.deployment_id)["desiredCount"] = a.desired
        elif isinstance(a, sp.DropDeployments):
            doc["deployments"] = [d for d in doc["deployments"] if d["id"] not in a.deployment_ids]
        elif isinstance(a, sp.CompleteRollout):
            d = dep(a.deployment_id)
            d["rolloutState"] = "COMPLETED"
            d["rolloutStateReason"] = f"ECS deployment {d['id']} completed."
            history.completed(txn, doc, a.deployment_id)
        elif isinstance(a, sp.SetSteady):
            meta["steady"] = a.steady
        elif isinstance(a, sp.SetInactive):
            doc["status"] = "INACTIVE"
    if changed:
        for d in doc["deployments"]:
            d["updatedAt"] = now
        txn.put(model.SERVICES, key, doc)


def _daemon_instances(txn: Txn, doc: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """containerInstanceArn -> (key, doc) of the ACTIVE instances a DAEMON service runs on:
    those that satisfy its (and its task definition's) memberOf constraints."""
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


def _start_tasks(txn: Txn, doc: dict[str, Any], primary: dict[str, Any], n: int, only: list[str] | None = None) -> tuple[bool, int]:
    """Start up to n tasks of the primary deployment (placed on container instances for the
    EC2 launch type; `only`: one on each of these instances). Returns (whether the service
    changed, how many tasks started)."""
    meta = doc["_"]
    account, region, cluster_name = meta["account"], meta["region"], meta["cluster"]
    now = model.now()
    changed = False
    cluster = model.get_cluster(txn, account, region, cluster_name)
    try:
        taskdef = model.get_taskdef(txn, account, region, primary["taskDefinition"])
    except AwsError:
        return False, 0
    placed: list[Any] = []
    req: dict[str, Any] = {}
    launch = doc.get("launchType") or meta.get("launch") or "FARGATE"
    if launch == "EC2":
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
        return changed, 0
    started = []
    for i in range(n):
        t = model.new_task(
            txn,
            account,
            region,
            cluster,
            taskdef,
            launch_type=launch,
            capacity_provider=meta.get("provider") or (doc.get("capacityProviderStrategy") or [{}])[0].get("capacityProvider"),
            network=doc.get("networkConfiguration"),
            overrides={},
            started_by=primary["id"],
            group=f"service:{doc['serviceName']}",
            tags=(doc.get("tags") or []) if doc.get("propagateTags") == "SERVICE" else [],
            platform_version=doc.get("platformVersion"),
            service=doc["serviceName"],
            deployment=primary["id"],
            registries=doc.get("serviceRegistries") or [],
            load_balancers=doc.get("loadBalancers") or [],
            execute_command=bool(doc.get("enableExecuteCommand")),
        )
        if placed:
            ci.attach(txn, t, placed[i], req)
        started.append(t["taskArn"].rsplit("/", 1)[-1])
    primary["pendingCount"] += len(started)
    _event(doc, f"has started {len(started)} tasks: {' '.join(f'(task {x})' for x in started)}.")
    return True, len(started)


async def reconcile_all(store: Store) -> None:
    def keys(t: Txn) -> list[str]:
        return [k for k, d in t.scan(model.SERVICES) if d["status"] in ("ACTIVE", "DRAINING")]

    for key in await store.read(keys):

        def one(t: Txn, key: str = key) -> None:
            doc = t.get(model.SERVICES, key)
            if doc is not None and doc["status"] in ("ACTIVE", "DRAINING"):
                reconcile(t, key, doc)

        await store.run(one)


def stop_deployment(txn: Txn, account: str, arn: str, stop_type: str | None) -> str:
    """StopServiceDeployment: roll an in-progress service deployment back to its source
    revision (a new scheduler deployment on the source's task definition)."""
    if (stop_type or "ROLLBACK") != "ROLLBACK":
        raise AwsError.modeled("ecs", "InvalidParameterException", f"stopType {stop_type} is not supported: use ROLLBACK.")
    rec = history.find(txn, account, history.DEPLOYS, "service-deployment", arn)
    if rec is None:
        raise AwsError.modeled("ecs", "ServiceDeploymentNotFoundException", "The service deployment does not exist.")
    if rec["status"] not in ("PENDING", "IN_PROGRESS"):
        raise AwsError.modeled("ecs", "ConflictException",
                               f"The service deployment is {rec['status']} and can't be stopped.")
    found = history.service_of(txn, rec)
    if found is None or found[1]["status"] != "ACTIVE":
        raise AwsError.modeled("ecs", "ConflictException", "The service of the service deployment is not ACTIVE.")
    key, doc = found
    if not rec["_"]["sources"]:
        raise AwsError.modeled("ecs", "InvalidParameterException",
                               "The service deployment has no source service revision to roll back to.")
    to_dep = rec["_"]["sources"][0]
    rev = history.find(txn, account, history.REVISIONS, "service-revision", rec["sourceServiceRevisionArns"][0])
    if rev is None:
        raise AwsError.modeled("ecs", "InvalidParameterException", "The source service revision no longer exists.")
    new = _new_deployment(doc, rev["taskDefinition"], doc["desiredCount"])
    new["rolloutStateReason"] = f"ECS deployment {rec['_']['target']} stopped: rolling back to deploymentId {to_dep}."
    history.rolled_back(txn, doc, rec["_"]["target"], new["id"], to_dep, "Rollback requested by StopServiceDeployment.")
    for d in doc["deployments"]:
        d["status"] = "ACTIVE"
    doc["deployments"].insert(0, new)
    doc["taskDefinition"] = rev["taskDefinition"]
    txn.put(model.SERVICES, key, doc)
    txn.publish(model.TASK_EVENT, {"service": key})
    return str(rec["serviceDeploymentArn"])
