"""ECS's control-plane rules: clusters, task definitions and tasks as AWS keeps them.

Every function here runs inside one store transaction (`txn`) and raises AWS's errors with
AWS's wording. Documents are stored output-shaped (what Describe* returns), with gureum's
own bookkeeping under the key "_" (stripped by `view()`).

Tables (keys start with account and region):
  ecs.clusters  "<acct>:<region>:<cluster name>"
  ecs.taskdefs  "<acct>:<region>:<family>:<revision 9 digits>"
  ecs.tasks     "<acct>:<region>:<cluster name>:<task id>"
  ecs.services  "<acct>:<region>:<cluster name>:<service name>" (see services.py)
Events: "ecs.task" {key, desired} when a task is created or asked to stop, so the node's
task agent (agent.py) starts or stops it at once.
"""

from __future__ import annotations

import copy
import re
import time
import uuid
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.ecs import capacity_providers as cps
from gureum.store import Txn

CLUSTERS = "ecs.clusters"
TASKDEFS = "ecs.taskdefs"
TASKS = "ecs.tasks"
SERVICES = "ecs.services"
TASK_EVENT = "ecs.task"

LIFECYCLE = ("PROVISIONING", "PENDING", "ACTIVATING", "RUNNING", "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED")
PLATFORM_VERSIONS = {"LATEST": "1.4.0", "1.4.0": "1.4.0", "1.3.0": "1.3.0"}
STOPPED_RETENTION = 3600.0  # stopped tasks stay describable for an hour

# Fargate task sizes: cpu units -> allowed memory (MiB)
FARGATE_SIZES: dict[int, list[int]] = {
    256: [512, 1024, 2048],
    512: [g * 1024 for g in range(1, 5)],
    1024: [g * 1024 for g in range(2, 9)],
    2048: [g * 1024 for g in range(4, 17)],
    4096: [g * 1024 for g in range(8, 31)],
    8192: [g * 1024 for g in range(16, 61, 4)],
    16384: [g * 1024 for g in range(32, 121, 8)],
}


def now() -> float:
    return round(time.time(), 3)


def view(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "_"}


def scope(account: str, region: str) -> str:
    return f"{account}:{region}:"


def _is_s3_object(value: str) -> bool:
    try:
        arns.s3_object_parts(value)
    except arns.BadArn:
        return False
    return True


# --- clusters ------------------------------------------------------------------------------


def cluster_name_of(ref: str | None) -> str:
    """A cluster name from a name or ARN (default: "default")."""
    if not ref:
        return "default"
    if arns.looks_like_arn(ref):
        a = arns.try_parse(ref)
        return a.resource_id if a is not None else ref
    return ref


def cluster_arn(account: str, region: str, name: str) -> str:
    return arns.ecs_cluster(region, account, name)


def _new_cluster(account: str, region: str, name: str) -> dict[str, Any]:
    return {
        "clusterArn": cluster_arn(account, region, name),
        "clusterName": name,
        "status": "ACTIVE",
        "registeredContainerInstancesCount": 0,
        "runningTasksCount": 0,
        "pendingTasksCount": 0,
        "activeServicesCount": 0,
        "statistics": [],
        "tags": [],
        "settings": [{"name": "containerInsights", "value": "disabled"}],
        "capacityProviders": [],
        "defaultCapacityProviderStrategy": [],
    }


def create_cluster(txn: Txn, account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    name = params.get("clusterName") or "default"
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,255}", name):
        raise AwsError.modeled("ecs", "InvalidParameterException", "Cluster name can be up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens.")
    key = scope(account, region) + name
    doc = txn.get(CLUSTERS, key)
    if doc is not None and doc["status"] == "ACTIVE":
        return doc  # CreateCluster is idempotent for an active cluster
    doc = _new_cluster(account, region, name)
    if params.get("tags"):
        doc["tags"] = params["tags"]
    if params.get("settings"):
        doc["settings"] = _merge_settings(doc["settings"], params["settings"])
    if params.get("configuration"):
        doc["configuration"] = params["configuration"]
    if params.get("capacityProviders") or params.get("defaultCapacityProviderStrategy"):
        _set_capacity(txn, account, region, doc, params.get("capacityProviders") or [], params.get("defaultCapacityProviderStrategy") or [])
    if params.get("serviceConnectDefaults"):
        doc["serviceConnectDefaults"] = params["serviceConnectDefaults"]
    txn.put(CLUSTERS, key, doc)
    return doc


def _merge_settings(current: list[dict[str, str]], new: list[dict[str, str]]) -> list[dict[str, str]]:
    out = {s["name"]: s for s in current}
    for s in new:
        if s.get("name") != "containerInsights" or s.get("value") not in ("enabled", "disabled", "enhanced"):
            raise AwsError.modeled("ecs", "InvalidParameterException", "Invalid value for the containerInsights setting. Valid values are enabled, disabled and enhanced.")
        out[s["name"]] = {"name": s["name"], "value": s["value"]}
    return list(out.values())


NOT_ASSOCIATED = ("The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. "
                  "Associate the capacity provider with the cluster or specify a valid capacity provider and try again.")


def check_strategy(strategy: list[dict[str, Any]], providers: list[str]) -> None:
    """AWS's rules for a capacity provider strategy over the cluster's `providers`."""
    for item in strategy:
        if item["capacityProvider"] not in providers:
            raise AwsError.modeled("ecs", "InvalidParameterException", NOT_ASSOCIATED)
    if len({cps.is_fargate(s["capacityProvider"]) for s in strategy}) > 1:
        raise AwsError.modeled("ecs", "InvalidParameterException", "The specified capacity provider strategy cannot contain a mix of capacity providers using Auto Scaling groups and Fargate providers. Specify one or the other and try again.")
    if sum(1 for s in strategy if s.get("base")) > 1:
        raise AwsError.modeled("ecs", "InvalidParameterException", "Only one capacity provider in a capacity provider strategy can have a base defined.")


def _set_capacity(txn: Txn, account: str, region: str, doc: dict[str, Any], providers: list[str], strategy: list[dict[str, Any]]) -> None:
    names = []
    for p in providers:
        found = cps.active(txn, account, region, p)
        if found is None:
            raise AwsError.modeled("ecs", "InvalidParameterException", f"The specified capacity provider '{p}' is not in an ACTIVE state. Specify a valid capacity provider and try again.")
        names.append(found["name"])
    strategy = [{**s, "capacityProvider": cps.name_of(s["capacityProvider"])} for s in strategy]
    check_strategy(strategy, names)
    doc["capacityProviders"] = names
    doc["defaultCapacityProviderStrategy"] = [
        {"capacityProvider": s["capacityProvider"], "weight": s.get("weight", 0), "base": s.get("base", 0)} for s in strategy
    ]


def clusters_using(txn: Txn, account: str, region: str, provider: str) -> list[str]:
    """Names of the ACTIVE clusters that have `provider` associated."""
    return [c["clusterName"] for _, c in txn.scan(CLUSTERS, scope(account, region))
            if c["status"] == "ACTIVE" and provider in c.get("capacityProviders", [])]


def get_cluster(txn: Txn, account: str, region: str, ref: str | None, *, create_default: bool = True) -> dict[str, Any]:
    """The ACTIVE cluster named by `ref`; the default cluster is created on first use."""
    name = cluster_name_of(ref)
    doc = txn.get(CLUSTERS, scope(account, region) + name)
    if doc is None and name == "default" and create_default:
        doc = _new_cluster(account, region, name)
        txn.put(CLUSTERS, scope(account, region) + name, doc)
    if doc is None or doc["status"] != "ACTIVE":
        raise AwsError.modeled("ecs", "ClusterNotFoundException", "Cluster not found.")
    return doc


def cluster_view(txn: Txn, doc: dict[str, Any], include: list[str]) -> dict[str, Any]:
    out = view(doc)
    cluster_arn = arns.parse(doc["clusterArn"])
    account, region = cluster_arn.account, cluster_arn.region
    prefix = scope(account, region) + doc["clusterName"] + ":"
    running = pending = 0
    for _, t in txn.scan(TASKS, prefix):
        if t["lastStatus"] == "RUNNING":
            running += 1
        elif t["lastStatus"] in ("PROVISIONING", "PENDING", "ACTIVATING"):
            pending += 1
    out["runningTasksCount"] = running
    out["pendingTasksCount"] = pending
    out["activeServicesCount"] = sum(1 for _, s in txn.scan(SERVICES, prefix) if s["status"] == "ACTIVE")
    out["registeredContainerInstancesCount"] = sum(1 for _, i in txn.scan("ecs.instances", prefix) if i["status"] in ("ACTIVE", "DRAINING"))
    if "TAGS" not in include:
        out.pop("tags", None)
    if "SETTINGS" not in include and "settings" in out and not include:
        pass  # AWS returns settings on Create/Describe either way
    if "STATISTICS" in include:
        out["statistics"] = [
            {"name": "runningFargateTasksCount", "value": str(running)},
            {"name": "pendingFargateTasksCount", "value": str(pending)},
            {"name": "activeFargateServiceCount", "value": str(out["activeServicesCount"])},
        ]
    return out


def delete_cluster(txn: Txn, account: str, region: str, ref: str) -> dict[str, Any]:
    name = cluster_name_of(ref)
    key = scope(account, region) + name
    doc = txn.get(CLUSTERS, key)
    if doc is None or doc["status"] != "ACTIVE":
        raise AwsError.modeled("ecs", "ClusterNotFoundException", "Cluster not found.")
    prefix = key + ":"
    if any(s["status"] in ("ACTIVE", "DRAINING") for _, s in txn.scan(SERVICES, prefix)):
        raise AwsError.modeled("ecs", "ClusterContainsServicesException", "The Cluster cannot be deleted while Services are active.")
    if any(t["lastStatus"] != "STOPPED" for _, t in txn.scan(TASKS, prefix)):
        raise AwsError.modeled("ecs", "ClusterContainsTasksException", "The Cluster cannot be deleted while Tasks are active.")
    if any(i["status"] in ("ACTIVE", "DRAINING") for _, i in txn.scan("ecs.instances", prefix)):
        raise AwsError.modeled("ecs", "ClusterContainsContainerInstancesException", "The Cluster cannot be deleted while Container Instances are active or draining.")
    doc["status"] = "INACTIVE"
    txn.put(CLUSTERS, key, doc)
    return doc


def update_cluster(txn: Txn, account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    doc = get_cluster(txn, account, region, params["cluster"])
    if params.get("settings"):
        doc["settings"] = _merge_settings(doc.get("settings", []), params["settings"])
    if params.get("configuration"):
        doc["configuration"] = params["configuration"]
    if params.get("serviceConnectDefaults"):
        doc["serviceConnectDefaults"] = params["serviceConnectDefaults"]
    txn.put(CLUSTERS, scope(account, region) + doc["clusterName"], doc)
    return doc


def put_capacity_providers(txn: Txn, account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    doc = get_cluster(txn, account, region, params["cluster"])
    before = set(doc.get("capacityProviders", []))
    _set_capacity(txn, account, region, doc, params["capacityProviders"], params["defaultCapacityProviderStrategy"])
    removed = before - set(doc["capacityProviders"])
    prefix = scope(account, region) + doc["clusterName"] + ":"
    in_use = any(t.get("capacityProviderName") in removed for _, t in txn.scan(TASKS, prefix) if t["lastStatus"] != "STOPPED") or any(
        s["status"] == "ACTIVE" and {c["capacityProvider"] for c in s.get("capacityProviderStrategy") or []} & removed
        for _, s in txn.scan(SERVICES, prefix))
    if in_use:
        raise AwsError.modeled("ecs", "ResourceInUseException", "The specified capacity provider is in use and cannot be removed.")
    txn.put(CLUSTERS, scope(account, region) + doc["clusterName"], doc)
    return doc


# --- task definitions -----------------------------------------------------------------------


def taskdef_arn(account: str, region: str, family: str, revision: int) -> str:
    return arns.ecs_task_definition(region, account, family, revision)


def _cpu_units(value: str | None, what: str = "cpu") -> int | None:
    if value is None or value == "":
        return None
    v = value.strip()
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*vcpu", v, re.IGNORECASE)
    if m:
        return int(float(m.group(1)) * 1024)
    if v.isdigit():
        return int(v)
    raise AwsError.modeled("ecs", "ClientException", f"Invalid '{what}' setting for task. The value must be a number of CPU units or vCPUs.")


def _memory_mib(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    v = value.strip()
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*gb", v, re.IGNORECASE)
    if m:
        return int(float(m.group(1)) * 1024)
    if v.isdigit():
        return int(v)
    raise AwsError.modeled("ecs", "ClientException", "Invalid 'memory' setting for task. The value must be a number of MiB or GB.")


def fargate_problem(cpu: int | None, memory: int | None) -> str | None:
    """AWS's message when cpu/memory is not a valid Fargate task size, else None."""
    if cpu is None:
        return "Fargate requires that 'cpu' be defined at the task level."
    if memory is None:
        return "Fargate requires that 'memory' be defined at the task level."
    if memory not in FARGATE_SIZES.get(cpu, []):
        return f"No Fargate configuration exists for given values: {cpu} CPU, {memory} memory. See the Amazon ECS documentation for the valid values."
    return None


def _check_containers(defs: list[dict[str, Any]], task_memory: int | None, fargate: bool, network_mode: str) -> list[dict[str, Any]]:
    names: set[str] = set()
    out = []
    for c in defs:
        c = copy.deepcopy(c)
        name = c.get("name")
        if not name:
            raise AwsError.modeled("ecs", "ClientException", "Container.name should not be null or empty.")
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,255}", name):
            raise AwsError.modeled("ecs", "ClientException", "Container name can be up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores.")
        if name in names:
            raise AwsError.modeled("ecs", "ClientException", f"Duplicate container name found: {name}")
        names.add(name)
        if not c.get("image"):
            raise AwsError.modeled("ecs", "ClientException", "Container.image should not be null or empty.")
        if task_memory is None and c.get("memory") is None and c.get("memoryReservation") is None:
            raise AwsError.modeled(
                "ecs",
                "ClientException",
                f"Invalid setting for container '{name}'. At least one of 'memory' or 'memoryReservation' must be specified.",
            )
        if c.get("memory") is not None and c.get("memoryReservation") is not None and c["memoryReservation"] > c["memory"]:
            raise AwsError.modeled(
                "ecs",
                "ClientException",
                f"Invalid setting for container '{name}'. 'memory' must be greater than or equal to 'memoryReservation'.",
            )
        for key in ("memory", "memoryReservation"):
            if c.get(key) is not None and c[key] < 6:
                raise AwsError.modeled(
                    "ecs",
                    "ClientException",
                    f"Invalid '{key}' setting for container '{name}'. The value must be at least 6 MiB.",
                )
        if task_memory is not None and c.get("memory") is not None and c["memory"] > task_memory:
            raise AwsError.modeled(
                "ecs",
                "ClientException",
                f"Invalid 'memory' setting for container '{name}'. The container memory must be less than or equal to the task memory.",
            )
        st = c.get("stopTimeout")
        if st is not None and fargate and not (2 <= st <= 120):
            raise AwsError.modeled(
                "ecs",
                "ClientException",
                "Invalid 'stopTimeout' setting for container. Must be between 2 and 120 seconds for Fargate.",
            )
        c.setdefault("cpu", 0)
        c.setdefault("essential", True)
        c.setdefault("portMappings", [])
        c.setdefault("environment", [])
        c.setdefault("mountPoints", [])
        c.setdefault("volumesFrom", [])
        for pm in c["portMappings"]:
            if network_mode == "awsvpc":
                if pm.get("hostPort") not in (None, pm.get("containerPort")):
                    raise AwsError.modeled(
                        "ecs",
                        "ClientException",
                        "When networkMode=awsvpc, the host ports and container ports in port mappings must match.",
                    )
                if pm.get("containerPort") is not None:
                    pm["hostPort"] = pm["containerPort"]
            pm.setdefault("protocol", "tcp")
        hc = c.get("healthCheck")
        if hc:
            if not hc.get("command") or hc["command"][0] not in ("CMD", "CMD-SHELL", "NONE"):
                raise AwsError.modeled(
                    "ecs", "ClientException", "The healthCheck command must start with CMD, CMD-SHELL or NONE."
                )
            hc.setdefault("interval", 30)
            hc.setdefault("timeout", 5)
            hc.setdefault("retries", 3)
            for k, lo, hi in (("interval", 5, 300), ("timeout", 2, 60), ("retries", 1, 10), ("startPeriod", 0, 300)):
                if hc.get(k) is not None and not (lo <= hc[k] <= hi):
                    raise AwsError.modeled(
                        "ecs",
                        "ClientException",
                        f"Invalid 'healthCheck.{k}' setting for container '{name}'. Must be between {lo} and {hi}.",
                    )
        files = c.get("environmentFiles") or []
        if len(files) > 10:
            raise AwsError.modeled(
                "ecs",
                "ClientException",
                f"Invalid setting for container '{name}'. You can specify up to 10 environment files.",
            )
        for f in files:
            if f.get("type") != "s3" or not _is_s3_object(f.get("value") or ""):
                raise AwsError.modeled(
                    "ecs",
                    "ClientException",
                    f"Invalid setting for container '{name}'. environmentFiles must be Amazon S3 object ARNs of type s3.",
                )
        for dep in c.get("dependsOn") or []:
            if dep.get("condition") not in ("START", "COMPLETE", "SUCCESS", "HEALTHY"):
                raise AwsError.modeled(
                    "ecs", "ClientException", "dependsOn condition must be one of START, COMPLETE, SUCCESS, HEALTHY."
                )
        out.append(c)
    if not any(c["essential"] for c in out):
        raise AwsError.modeled(
            "ecs", "ClientException", "Invalid TaskDefinition: at least one essential container is required."
        )
    for c in out:
        for dep in c.get("dependsOn") or []:
            if dep["containerName"] not in names:
                raise AwsError.modeled(
                    "ecs",
                    "ClientException",
                    f"Container '{c['name']}' depends on a container '{dep['containerName']}' that is not in the task definition.",
                )
            if dep["condition"] == "HEALTHY" and not next(x for x in out if x["name"] == dep["containerName"]).get("healthCheck"):
                raise AwsError.modeled(
                    "ecs",
                    "ClientException",
                    f"Container '{dep['containerName']}' must have a healthCheck to be depended on with condition HEALTHY.",
                )
    return out


def register_taskdef(txn: Txn, account: str, region: str, params: dict[str, Any], registered_by: str) -> dict[str, Any]:
    family = params["family"]
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,255}", family):
        raise AwsError.modeled(
            "ecs",
            "ClientException",
            "Family name can be up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores.",
        )
    requires = list(params.get("requiresCompatibilities") or [])
    fargate = "FARGATE" in requires
    network_mode = params.get("networkMode") or ("awsvpc" if False else "bridge")
    cpu = _cpu_units(params.get("cpu"))
    memory = _memory_mib(params.get("memory"))
    if fargate:
        if network_mode != "awsvpc":
            raise AwsError.modeled("ecs", "ClientException", "Fargate only supports network mode \u2018awsvpc\u2019.")
        problem = fargate_problem(cpu, memory)
        if problem:
            raise AwsError.modeled("ecs", "ClientException", problem)
    if cpu is not None and not fargate and not (128 <= cpu <= 196608):
        raise AwsError.modeled(
            "ecs",
            "ClientException",
            "Invalid 'cpu' setting for task. For more information, see the Amazon ECS documentation.",
        )
    containers = _check_containers(params["containerDefinitions"], memory, fargate, network_mode)
    if not params.get("executionRoleArn") and any(c.get("secrets") for c in containers):
        raise AwsError.modeled("ecs", "ClientException",
                               "When you are specifying container secrets, you must also specify a value for 'executionRoleArn'.")
    for c in containers:
        lc = c.get("logConfiguration")
        if fargate and lc and lc.get("logDriver") not in ("awslogs", "splunk", "awsfirelens"):
            raise AwsError.modeled(
                "ecs", "ClientException", f"Log driver {lc.get('logDriver')} not supported on Fargate."
            )
    compat = ["EC2"]
    if network_mode == "awsvpc" and fargate_problem(cpu, memory) is None:
        compat.append("FARGATE")
    rev_key = f"ecs.taskdef-rev:{account}:{region}:{family}"
    revision = txn.next_id(rev_key)
    doc: dict[str, Any] = {
        "taskDefinitionArn": taskdef_arn(account, region, family, revision),
        "containerDefinitions": containers,
        "family": family,
        "networkMode": network_mode,
        "revision": revision,
        "volumes": params.get("volumes") or [],
        "status": "ACTIVE",
        "requiresAttributes": _requires_attributes(containers, network_mode, params),
        "placementConstraints": params.get("placementConstraints") or [],
        "compatibilities": compat,
        "registeredAt": now(),
        "registeredBy": registered_by,
    }
    for k in ("taskRoleArn", "executionRoleArn", "pidMode", "ipcMode", "proxyConfiguration", "ephemeralStorage", "runtimePlatform", "enableFaultInjection"):
        if params.get(k) is not None:
            doc[k] = params[k]
    if requires:
        doc["requiresCompatibilities"] = requires
    if cpu is not None:
        doc["cpu"] = str(cpu)
    if memory is not None:
        doc["memory"] = str(memory)
    doc["_"] = {"tags": params.get("tags") or []}
    txn.put(TASKDEFS, f"{scope(account, region)}{family}:{revision:09d}", doc)
    return doc


def _requires_attributes(containers: list[dict[str, Any]], network_mode: str, params: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    if network_mode == "awsvpc":
        out.append({"name": "com.amazonaws.ecs.capability.task-eni"})
    if any((c.get("logConfiguration") or {}).get("logDriver") == "awslogs" for c in containers):
        out.append({"name": "com.amazonaws.ecs.capability.logging-driver.awslogs"})
        out.append({"name": "ecs.capability.execution-role-awslogs"})
    if any(c.get("healthCheck") for c in containers):
        out.append({"name": "ecs.capability.container-health-check"})
    if params.get("taskRoleArn"):
        out.append({"name": "com.amazonaws.ecs.capability.task-iam-role"})
    return out


def parse_taskdef_ref(ref: str) -> tuple[str, int | None]:
    """family, family:revision or ARN -> (family, revision or None for latest ACTIVE)."""
    a = arns.try_parse(ref)
    if a is not None and a.resource_type == "task-definition":
        ref = a.resource_id
    family, _, rev = ref.partition(":")
    if rev:
        if not rev.isdigit():
            raise AwsError.modeled("ecs", "ClientException", "Invalid revision number. Number: " + rev)
        return family, int(rev)
    return family, None


def get_taskdef(txn: Txn, account: str, region: str, ref: str, *, active_only: bool = False) -> dict[str, Any]:
    family, rev = parse_taskdef_ref(ref)
    prefix = f"{scope(account, region)}{family}:"
    if rev is None:
        for _, doc in txn.scan(TASKDEFS, prefix, reverse=True):
            if doc["status"] == "ACTIVE":
                return doc
        raise AwsError.modeled("ecs", "ClientException", "Unable to describe task definition.")
    found = txn.get(TASKDEFS, f"{prefix}{rev:09d}")
    if found is None or found["status"] == "DELETE_IN_PROGRESS":
        raise AwsError.modeled("ecs", "ClientException", "Unable to describe task definition.")
    doc = found
    if active_only and doc["status"] != "ACTIVE":
        raise AwsError.modeled("ecs", "ClientException", "TaskDefinition is inactive")
    return doc


def deregister_taskdef(txn: Txn, account: str, region: str, ref: str) -> dict[str, Any]:
    family, rev = parse_taskdef_ref(ref)
    if rev is None:
        raise AwsError.modeled("ecs", "ClientException", "Invalid revision number. Number: " + ref)
    doc = get_taskdef(txn, account, region, ref)
    if doc["status"] == "ACTIVE":
        doc["status"] = "INACTIVE"
        doc["deregisteredAt"] = now()
        txn.put(TASKDEFS, f"{scope(account, region)}{family}:{rev:09d}", doc)
    return doc


def delete_taskdefs(txn: Txn, account: str, region: str, refs: list[str]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    done, failures = [], []
    for ref in refs:
        family, rev = parse_taskdef_ref(ref)
        arn = taskdef_arn(account, region, family, rev or 0)
        if rev is None:
            failures.append({"arn": ref, "reason": "The specified task definition identifier is invalid. Specify a valid name or ARN and try again."})
            continue
        key = f"{scope(account, region)}{family}:{rev:09d}"
        doc = txn.get(TASKDEFS, key)
        if doc is None:
            failures.append({"arn": arn, "reason": "The specified task definition does not exist. Specify a valid account, family, revision and try again."})
            continue
        if doc["status"] == "ACTIVE":
            failures.append({"arn": arn, "reason": "The specified task definition is still in ACTIVE status. Please deregister the target and try again."})
            continue
        doc["status"] = "DELETE_IN_PROGRESS"
        doc["deleteRequestedAt"] = now()
        txn.put(TASKDEFS, key, doc)
        done.append(doc)
    return done, failures


# --- tasks ----------------------------------------------------------------------------------


def task_key(account: str, region: str, cluster: str, task_id: str) -> str:
    return f"{scope(account, region)}{cluster}:{task_id}"


def task_id_of(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def resolve_launch(cluster: dict[str, Any], params: dict[str, Any]) -> tuple[str, str | None]:
    """(launchType, capacityProviderName) for RunTask / CreateService."""
    lt = params.get("launchType")
    strategy = params.get("capacityProviderStrategy") or []
    if lt and strategy:
        raise AwsError.modeled(
            "ecs",
            "InvalidParameterException",
            "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.",
        )
    if lt:
        return lt, None
    if not strategy:
        strategy = cluster.get("defaultCapacityProviderStrategy") or []
    if strategy:
        strategy = [{**s, "capacityProvider": cps.name_of(s["capacityProvider"])} for s in strategy]
        check_strategy(strategy, cluster.get("capacityProviders") or [])
        # weights: with one node, the provider with a base or the highest weight wins
        best = max(strategy, key=lambda s: (s.get("base", 0), s.get("weight", 0)))["capacityProvider"]
        return ("FARGATE" if cps.is_fargate(best) else "EC2"), best
    return "EC2", None


def check_network(taskdef: dict[str, Any], launch_type: str, network: dict[str, Any] | None) -> dict[str, Any] | None:
    mode = taskdef.get("networkMode", "bridge")
    if launch_type == "FARGATE" and "FARGATE" not in taskdef.get("compatibilities", []):
        raise AwsError.modeled(
            "ecs", "InvalidParameterException", "Task definition does not support launch_type FARGATE."
        )
    if mode != "awsvpc":
        if network and network.get("awsvpcConfiguration"):
            raise AwsError.modeled(
                "ecs",
                "InvalidParameterException",
                "Network Configuration is not valid for the given networkMode of this task definition.",
            )
        return None
    vpc = (network or {}).get("awsvpcConfiguration")
    if not vpc:
        raise AwsError.modeled(
            "ecs",
            "InvalidParameterException",
            "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
        )
    subnets = vpc.get("subnets") or []
    if not subnets:
        raise AwsError.modeled("ecs", "InvalidParameterException", "subnets can not be empty.")
    if len(subnets) > 16:
        raise AwsError.modeled(
            "ecs", "InvalidParameterException", "awsvpcConfiguration.subnets can have at most 16 items."
        )
    for s in subnets:
        if not re.fullmatch(r"subnet-[0-9a-f]{8}(?:[0-9a-f]{9})?", s):
            raise AwsError.modeled(
                "ecs",
                "InvalidParameterException",
                f"Error retrieving subnet information for [{s}]: The subnet ID '{s}' is malformed",
            )
    sgs = vpc.get("securityGroups") or []
    if len(sgs) > 5:
        raise AwsError.modeled(
            "ecs", "InvalidParameterException", "awsvpcConfiguration.securityGroups can have at most 5 items."
        )
    for g in sgs:
        if not re.fullmatch(r"sg-[0-9a-f]{8}(?:[0-9a-f]{9})?", g):
            raise AwsError.modeled(
                "ecs",
                "InvalidParameterException",
                f"Error retrieving security group information for [{g}]: The security group '{g}' does not exist",
            )
    out = {"subnets": list(subnets), "securityGroups": list(sgs), "assignPublicIp": vpc.get("assignPublicIp", "DISABLED")}
    return {"awsvpcConfiguration": out}


def effective_containers(taskdef: dict[str, Any], overrides: dict[str, Any]) -> list[dict[str, Any]]:
    """Container definitions with RunTask's containerOverrides applied."""
    defs = copy.deepcopy(taskdef["containerDefinitions"])
    by_name = {c["name"]: c for c in defs}
    for o in overrides.get("containerOverrides") or []:
        c = by_name.get(o.get("name", ""))
        if c is None:
            raise AwsError.modeled(
                "ecs",
                "InvalidParameterException",
                f"Override for container named {o.get('name')} is not a container in the TaskDefinition.",
            )
        if o.get("command") is not None:
            c["command"] = o["command"]
        if o.get("environment"):
            env = {e["name"]: e for e in c.get("environment") or []}
            for e in o["environment"]:
                env[e["name"]] = e
            c["environment"] = list(env.values())
        for k in ("cpu", "memory", "memoryReservation", "environmentFiles", "resourceRequirements"):
            if o.get(k) is not None:
                c[k] = o[k]
    return defs


def new_task(
    txn: Txn,
    account: str,
    region: str,
    cluster: dict[str, Any],
    taskdef: dict[str, Any],
    *,
    launch_type: str,
    capacity_provider: str | None,
    network: dict[str, Any] | None,
    overrides: dict[str, Any],
    started_by: str | None,
    group: str | None,
    tags: list[dict[str, str]],
    platform_version: str | None,
    service: str | None = None,
    deployment: str | None = None,
    registries: list[dict[str, Any]] | None = None,
    execute_command: bool = False,
    load_balancers: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    task_id = uuid.uuid4().hex
    cname = cluster["clusterName"]
    arn = arns.ecs_task(region, account, cname, task_id)
    containers = effective_containers(taskdef, overrides)
    task_cpu = overrides.get("cpu") or taskdef.get("cpu")
    task_mem = overrides.get("memory") or taskdef.get("memory")
    if launch_type == "FARGATE" and (overrides.get("cpu") or overrides.get("memory")):
        problem = fargate_problem(_cpu_units(task_cpu), _memory_mib(task_mem))
        if problem:
            raise AwsError.modeled("ecs", "InvalidParameterException", problem)
    t = now()
    doc: dict[str, Any] = {
        "attachments": [],
        "attributes": [{"name": "ecs.cpu-architecture", "value": "x86_64"}],
        "availabilityZone": f"{region}a",
        "clusterArn": cluster["clusterArn"],
        "containers": [
            {
                "containerArn": arns.ecs_container(region, account, cname, task_id, str(uuid.uuid4())),
                "taskArn": arn,
                "name": c["name"],
                "image": c["image"],
                "lastStatus": "PENDING",
                "networkInterfaces": [],
                "networkBindings": [],
                "healthStatus": "UNKNOWN",
                "cpu": str(c.get("cpu", 0)),
                **({"memory": str(c["memory"])} if c.get("memory") is not None else {}),
                **({"memoryReservation": str(c["memoryReservation"])} if c.get("memoryReservation") is not None else {}),
            }
            for c in containers
        ],
        "cpu": str(_cpu_units(task_cpu)) if task_cpu else None,
        "memory": str(_memory_mib(task_mem)) if task_mem else None,
        "createdAt": t,
        "desiredStatus": "RUNNING",
        "enableExecuteCommand": execute_command,
        "group": group or (f"service:{service}" if service else f"family:{taskdef['family']}"),
        "healthStatus": "UNKNOWN",
        "lastStatus": "PROVISIONING",
        "launchType": launch_type,
        "overrides": {"containerOverrides": overrides.get("containerOverrides") or [{"name": c["name"]} for c in containers], "inferenceAcceleratorOverrides": []},
        "tags": tags,
        "taskArn": arn,
        "taskDefinitionArn": taskdef["taskDefinitionArn"],
        "version": 1,
    }
    for k in ("cpu", "memory"):
        if doc[k] is None:
            doc.pop(k)
    for k in ("taskRoleArn", "executionRoleArn"):
        if overrides.get(k):
            doc["overrides"][k] = overrides[k]
    if started_by:
        doc["startedBy"] = started_by
    if capacity_provider:
        doc["capacityProviderName"] = capacity_provider
    if launch_type == "FARGATE":
        doc["platformVersion"] = PLATFORM_VERSIONS.get(platform_version or "LATEST", "1.4.0")
        doc["platformFamily"] = "Linux"
        doc["ephemeralStorage"] = {"sizeInGiB": 20}
        doc["fargateEphemeralStorage"] = {"sizeInGiB": 20}
    if network:
        attachment_id = str(uuid.uuid4())
        doc["attachments"].append(
            {
                "id": attachment_id,
                "type": "ElasticNetworkInterface",
                "status": "PRECREATED",
                "details": [{"name": "subnetId", "value": network["awsvpcConfiguration"]["subnets"][0]}],
            }
        )
    doc["_"] = {
        "account": account,
        "region": region,
        "cluster": cname,
        "containers": containers,
        "taskdef": {k: taskdef.get(k) for k in ("family", "revision", "networkMode", "taskRoleArn", "executionRoleArn", "volumes", "cpu", "memory", "runtimePlatform")},
        "network": network,
        "service": service,
        "deployment": deployment,
        "registries": registries or [],
        "loadBalancers": load_balancers or [],  # ELB target groups (load_balancers.py)
    }
    key = task_key(account, region, cname, task_id)
    txn.put(TASKS, key, doc)
    txn.publish(TASK_EVENT, {"key": key, "desired": "RUNNING"})
    return doc


def get_task(txn: Txn, account: str, region: str, cluster: str, ref: str) -> tuple[str, dict[str, Any]] | None:
    tid = task_id_of(ref)
    key = task_key(account, region, cluster, tid)
    doc = txn.get(TASKS, key)
    return (key, doc) if doc is not None else None


def request_stop(txn: Txn, key: str, doc: dict[str, Any], reason: str, stop_code: str) -> dict[str, Any]:
    """Set desiredStatus STOPPED (the agent then stops the containers)."""
    if doc["desiredStatus"] == "STOPPED":
        return doc
    doc["desiredStatus"] = "STOPPED"
    doc.setdefault("stoppedReason", reason)
    doc.setdefault("stopCode", stop_code)
    doc.setdefault("stoppingAt", now())
    doc["version"] += 1
    txn.put(TASKS, key, doc)
    txn.publish(TASK_EVENT, {"key": key, "desired": "STOPPED"})
    return doc


def task_view(doc: dict[str, Any], include_tags: bool) -> dict[str, Any]:
    out = view(doc)
    if not include_tags:
        out.pop("tags", None)
    return out


def list_tasks(txn: Txn, account: str, region: str, cluster: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    desired = params.get("desiredStatus") or "RUNNING"
    out = []
    for _, t in txn.scan(TASKS, f"{scope(account, region)}{cluster}:"):
        if t["desiredStatus"] != desired:
            continue
        if params.get("family") and t["_"]["taskdef"]["family"] != params["family"]:
            continue
        if params.get("startedBy") and t.get("startedBy") != params["startedBy"]:
            continue
        if params.get("serviceName") and t["_"].get("service") != params["serviceName"]:
            continue
        if params.get("launchType") and t["launchType"] != params["launchType"]:
            continue
        if params.get("containerInstance") and (t.get("containerInstanceArn") or "").rsplit("/", 1)[-1] != params["containerInstance"].rsplit("/", 1)[-1]:
            continue  # (Fargate tasks run on no container instance)
        out.append(t)
    out.sort(key=lambda t: (t["createdAt"], t["taskArn"]))
    return out
