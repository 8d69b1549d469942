"""ECS container instances (the EC2 launch type) and task placement onto them.

Table ecs.instances "<acct>:<region>:<cluster name>:<instance id>", documents stored
output-shaped (a ContainerInstance) with gureum's bookkeeping under "_":
  node: the gureum node whose task agent runs this instance's tasks (the local node's own
        instance is registered by its agent; instances registered through the API are
        served by the node that took the call).
remainingResources, runningTasksCount and pendingTasksCount are derived from the tasks
placed on the instance (task docs carry containerInstanceArn and "_".reserved), so they are
never out of step with the tasks. Registering and deregistering an instance start and end
its billed hours in the same transaction (instance_billing.py).

Placement (`place`): feasible instances are ACTIVE ones with enough CPU/memory/ports that
satisfy the constraints (distinctInstance, memberOf with a subset of the cluster query
language); the strategies (binpack, spread, random) then order them, first strategy first.
"""

from __future__ import annotations

import json
import random
import re
import uuid
from typing import Any

from gureum.aws import arn as arns
from gureum.aws.errors import AwsError
from gureum.services.ecs import instance_billing, model
from gureum.store import Txn

INSTANCES = "ecs.instances"
AGENT_VERSION = "1.86.0"
RESERVED_PORTS = ["22", "2375", "2376", "51678", "51679"]
DYNAMIC_PORTS = (49153, 65535)


def instance_arn(account: str, region: str, cluster: str, iid: str) -> str:
    return arns.ecs_container_instance(region, account, cluster, iid)


def instance_key(account: str, region: str, cluster: str, iid: str) -> str:
    return f"{model.scope(account, region)}{cluster}:{iid}"


def _resource(name: str, value: int | list[str]) -> dict[str, Any]:
    if isinstance(value, list):
        return {"name": name, "type": "STRINGSET", "doubleValue": 0.0, "longValue": 0, "integerValue": 0, "stringSetValue": list(value)}
    return {"name": name, "type": "INTEGER", "doubleValue": 0.0, "longValue": 0, "integerValue": int(value)}


def _res(resources: list[dict[str, Any]], name: str) -> Any:
    for r in resources:
        if r.get("name") == name:
            if r.get("type") == "STRINGSET" or "stringSetValue" in r:
                return list(r.get("stringSetValue") or [])
            return int(r.get("integerValue") or r.get("longValue") or r.get("doubleValue") or 0)
    return None


# --- registration ---------------------------------------------------------------------------


def register(txn: Txn, account: str, region: str, params: dict[str, Any], node: str | None) -> dict[str, Any]:
    cluster = model.get_cluster(txn, account, region, params.get("cluster"))
    cname = cluster["clusterName"]
    ident: dict[str, Any] = {}
    if params.get("instanceIdentityDocument"):
        try:
            ident = json.loads(params["instanceIdentityDocument"])
        except ValueError:
            raise AwsError.modeled("ecs", "ClientException", "The identity document is not valid JSON.") from None
    total = params.get("totalResources") or []
    cpu, mem = _res(total, "CPU"), _res(total, "MEMORY")
    if cpu is None or mem is None:
        raise AwsError.modeled("ecs", "ClientException", "totalResources must include CPU and MEMORY.")
    if cpu <= 0 or mem <= 0:
        raise AwsError.modeled("ecs", "InvalidParameterException", "CPU and MEMORY must be positive.")
    ports = _res(total, "PORTS")
    ports_udp = _res(total, "PORTS_UDP") or []
    existing = None
    if params.get("containerInstanceArn"):
        iid = params["containerInstanceArn"].rsplit("/", 1)[-1]
        existing = txn.get(INSTANCES, instance_key(account, region, cname, iid))
        if existing is None:
            raise AwsError.modeled(
                "ecs", "InvalidParameterException", "The referenced container instance was not found."
            )
    else:
        ec2_id = ident.get("instanceId")
        if ec2_id:
            for _, d in txn.scan(INSTANCES, f"{model.scope(account, region)}{cname}:"):
                if d["ec2InstanceId"] == ec2_id and d["status"] != "INACTIVE":
                    existing = d
        iid = existing["containerInstanceArn"].rsplit("/", 1)[-1] if existing else uuid.uuid4().hex
    az = ident.get("availabilityZone") or f"{region}a"
    itype = ident.get("instanceType") or "gureum.node"
    attrs = {
        "ecs.os-type": "linux",
        "ecs.os-family": "LINUX",
        "ecs.cpu-architecture": ident.get("architecture") or "x86_64",
        "ecs.instance-type": itype,
        "ecs.availability-zone": az,
        "ecs.ami-id": ident.get("imageId") or "ami-0gureum",
        "ecs.capability.container-health-check": None,
        "ecs.capability.execution-role-awslogs": None,
        "ecs.capability.task-eni": None,
        "com.amazonaws.ecs.capability.logging-driver.awslogs": None,
        "com.amazonaws.ecs.capability.task-iam-role": None,
        "com.amazonaws.ecs.capability.task-eni": None,
        "com.amazonaws.ecs.capability.docker-remote-api.1.21": None,
    }
    custom = dict((existing or {}).get("_", {}).get("custom") or {})  # PutAttributes' survive re-registration
    for a in params.get("attributes") or []:
        check_attribute(a)
        custom[a["name"]] = a.get("value")
    if len(custom) > MAX_CUSTOM_ATTRIBUTES:
        raise AwsError.modeled("ecs", "AttributeLimitExceededException", ATTRIBUTE_LIMIT)
    attrs.update(custom)
    doc: dict[str, Any] = {
        "containerInstanceArn": instance_arn(account, region, cname, iid),
        "ec2InstanceId": ident.get("instanceId") or f"i-{uuid.uuid4().hex[:17]}",
        "version": (existing or {}).get("version", 0) + 1,
        "versionInfo": params.get("versionInfo") or {"agentVersion": AGENT_VERSION, "agentHash": "gureum", "dockerVersion": "runc"},
        "registeredResources": [
            _resource("CPU", cpu),
            _resource("MEMORY", mem),
            _resource("PORTS", RESERVED_PORTS if ports is None else ports),
            _resource("PORTS_UDP", ports_udp),
        ],
        "status": (existing or {}).get("status", "ACTIVE"),
        "agentConnected": True,
        "attributes": [{"name": k, **({"value": v} if v is not None else {})} for k, v in attrs.items()],
        "registeredAt": (existing or {}).get("registeredAt") or model.now(),
        "attachments": [],
        "tags": params.get("tags") or (existing or {}).get("tags") or [],
        "_": {"node": node, "account": account, "region": region, "cluster": cname, "az": az, "custom": custom},
    }
    txn.put(INSTANCES, instance_key(account, region, cname, iid), doc)
    instance_billing.start(txn, instance_key(account, region, cname, iid), doc, doc["registeredAt"] if existing is None else model.now())
    return doc


def find(txn: Txn, account: str, region: str, cluster: str, ref: str) -> tuple[str, dict[str, Any]] | None:
    iid = ref.rsplit("/", 1)[-1]
    key = instance_key(account, region, cluster, iid)
    doc = txn.get(INSTANCES, key)
    return (key, doc) if doc is not None else None


def cluster_instances(txn: Txn, account: str, region: str, cluster: str) -> list[tuple[str, dict[str, Any]]]:
    return list(txn.scan(INSTANCES, f"{model.scope(account, region)}{cluster}:"))


def tasks_on(txn: Txn, account: str, region: str, cluster: str) -> dict[str, list[dict[str, Any]]]:
    """Live tasks by containerInstanceArn."""
    out: dict[str, list[dict[str, Any]]] = {}
    for _, t in txn.scan(model.TASKS, f"{model.scope(account, region)}{cluster}:"):
        arn = t.get("containerInstanceArn")
        if arn and t["lastStatus"] != "STOPPED":
            out.setdefault(arn, []).append(t)
    return out


def usage(tasks: list[dict[str, Any]]) -> tuple[int, int, set[str]]:
    cpu = mem = 0
    ports: set[str] = set()
    for t in tasks:
        r = t["_"].get("reserved") or {}
        cpu += r.get("cpu", 0)
        mem += r.get("memory", 0)
        ports.update(str(p) for p in r.get("ports", []))
    return cpu, mem, ports


def view(doc: dict[str, Any], tasks: list[dict[str, Any]], include: list[str] | None = None) -> dict[str, Any]:
    out = model.view(doc)
    reg = doc["registeredResources"]
    cpu, mem, ports = usage(tasks)
    out["remainingResources"] = [
        _resource("CPU", _res(reg, "CPU") - cpu),
        _resource("MEMORY", _res(reg, "MEMORY") - mem),
        _resource("PORTS", sorted(set(_res(reg, "PORTS") or []) | ports, key=int)),
        _resource("PORTS_UDP", _res(reg, "PORTS_UDP") or []),
    ]
    out["runningTasksCount"] = sum(1 for t in tasks if t["lastStatus"] == "RUNNING")
    out["pendingTasksCount"] = sum(1 for t in tasks if t["lastStatus"] in ("PROVISIONING", "PENDING", "ACTIVATING"))
    if include is not None and "TAGS" not in include:
        out.pop("tags", None)
    if include and "CONTAINER_INSTANCE_HEALTH" in include:
        out["healthStatus"] = {"overallStatus": "OK", "details": [{"type": "CONTAINER_RUNTIME", "status": "OK"}]}
    return out


def set_state(txn: Txn, key: str, doc: dict[str, Any], status: str) -> dict[str, Any]:
    if status not in ("ACTIVE", "DRAINING"):
        raise AwsError.modeled(
            "ecs", "InvalidParameterException", "Container instances status should be one of [ACTIVE, DRAINING]."
        )
    if doc["status"] != status:
        doc["status"] = status
        doc["version"] += 1
        txn.put(INSTANCES, key, doc)
        txn.publish(model.TASK_EVENT, {"instance": key})
    return doc


def deregister(txn: Txn, key: str, doc: dict[str, Any], tasks: list[dict[str, Any]], force: bool) -> dict[str, Any]:
    if tasks and not force:
        raise AwsError.modeled("ecs", "InvalidParameterException", "Found running tasks on the instance.")
    doc["status"] = "INACTIVE"
    doc["agentConnected"] = False
    doc["version"] += 1
    txn.put(INSTANCES, key, doc)
    instance_billing.stop(txn, doc, model.now())  # its hours end with the registration
    txn.publish(model.TASK_EVENT, {"instance": key})
    return doc


# --- custom attributes (PutAttributes, ListAttributes, DeleteAttributes) -------------------

MAX_CUSTOM_ATTRIBUTES = 10
TARGET_TYPE = "container-instance"
_ATTR_NAME = re.compile(r"[A-Za-z0-9_./\\-]{1,128}")
_ATTR_VALUE = re.compile(r"[A-Za-z0-9_.@/\\: -]{1,128}")


ATTRIBUTE_LIMIT = (
    "You can apply up to 10 custom attributes for each resource. You can view the attributes of a resource with "
    "ListAttributes. You can remove existing attributes on a resource with DeleteAttributes."
)
TARGET_NOT_FOUND = (
    "The specified target wasn't found. You can view your available container instances with ListContainerInstances. "
    "Amazon ECS container instances are cluster-specific and Region-specific."
)


def check_attribute(a: dict[str, Any], with_value: bool = True) -> None:
    """AWS's Attribute rules: a name of 1-128 letters, numbers, hyphens, underscores, forward
    and back slashes or periods; a value of 1-128 of those plus at signs, colons and spaces,
    not starting or ending with a space."""
    name = a.get("name") or ""
    if not _ATTR_NAME.fullmatch(name):
        raise AwsError.modeled(
            "ecs",
            "InvalidParameterException",
            f"Attribute name '{name}' is not valid. The name must contain between 1 and 128 characters: letters (uppercase and "
            "lowercase), numbers, hyphens (-), underscores (_), forward slashes (/), back slashes (\\), or periods (.).",
        )
    value = a.get("value")
    if with_value and value is not None and (not _ATTR_VALUE.fullmatch(value) or value != value.strip(" ")):
        raise AwsError.modeled(
            "ecs",
            "InvalidParameterException",
            f"Attribute value '{value}' is not valid. The value must contain between 1 and 128 characters: letters (uppercase and "
            "lowercase), numbers, hyphens (-), underscores (_), periods (.), at signs (@), forward slashes (/), back slashes (\\), "
            "colons (:), or spaces, and can't start or end with a space.",
        )
    if a.get("targetType") not in (None, TARGET_TYPE):
        raise AwsError.modeled("ecs", "InvalidParameterException", "targetType must be container-instance.")


def _attribute_target(txn: Txn, account: str, region: str, cluster: str, a: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    ref = a.get("targetId") or ""
    if not ref:
        raise AwsError.modeled("ecs", "InvalidParameterException", "The targetId of an attribute must be specified.")
    if arns.looks_like_arn(ref):
        try:
            arn_region, arn_account, arn_cluster, iid = arns.ecs_container_instance_parts(ref)
        except arns.BadArn:
            raise AwsError.modeled(
                "ecs", "InvalidParameterException", f"The targetId '{ref}' is not a valid container instance ARN."
            ) from None
        if arn_region != region or arn_account != account or (arn_cluster and arn_cluster != cluster):
            raise AwsError.modeled("ecs", "TargetNotFoundException", TARGET_NOT_FOUND)
    else:
        if not a.get("targetType"):
            raise AwsError.modeled(
                "ecs", "InvalidParameterException", "The targetType must be specified when the targetId is not an ARN."
            )
        iid = ref
    doc = txn.get(INSTANCES, instance_key(account, region, cluster, iid))
    if doc is None or doc["status"] == "INACTIVE":
        raise AwsError.modeled("ecs", "TargetNotFoundException", TARGET_NOT_FOUND)
    return instance_key(account, region, cluster, iid), doc


def _set_attributes(doc: dict[str, Any], custom: dict[str, str | None], removed: set[str]) -> None:
    attrs = [x for x in doc["attributes"] if x["name"] not in custom and x["name"] not in removed]
    attrs += [{"name": k, **({"value": v} if v is not None else {})} for k, v in custom.items()]
    doc["attributes"] = attrs
    doc["_"]["custom"] = custom


def put_attributes(txn: Txn, account: str, region: str, cluster: str, attributes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not attributes:
        raise AwsError.modeled("ecs", "InvalidParameterException", "Attributes cannot be empty.")
    if len(attributes) > MAX_CUSTOM_ATTRIBUTES:
        raise AwsError.modeled(
            "ecs", "InvalidParameterException", "You can specify up to 10 attributes in a single call."
        )
    changed: dict[str, tuple[dict[str, Any], dict[str, str | None]]] = {}
    out = []
    for a in attributes:
        check_attribute(a)
        key, doc = _attribute_target(txn, account, region, cluster, a)
        if key not in changed:
            changed[key] = (doc, dict(doc["_"].get("custom") or {}))
        custom = changed[key][1]
        custom[a["name"]] = a.get("value")
        if len(custom) > MAX_CUSTOM_ATTRIBUTES:
            raise AwsError.modeled("ecs", "AttributeLimitExceededException", ATTRIBUTE_LIMIT)
        out.append({"name": a["name"], **({"value": a["value"]} if a.get("value") is not None else {}), "targetType": TARGET_TYPE, "targetId": a["targetId"]})
    for key, (doc, custom) in changed.items():
        _set_attributes(doc, custom, set())
        doc["version"] += 1
        txn.put(INSTANCES, key, doc)
        txn.publish(model.TASK_EVENT, {"instance": key})  # placement (memberOf) may change
    return out


def delete_attributes(txn: Txn, account: str, region: str, cluster: str, attributes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not attributes:
        raise AwsError.modeled("ecs", "InvalidParameterException", "Attributes cannot be empty.")
    if len(attributes) > MAX_CUSTOM_ATTRIBUTES:
        raise AwsError.modeled(
            "ecs", "InvalidParameterException", "You can specify up to 10 attributes in a single call."
        )
    changed: dict[str, tuple[dict[str, Any], dict[str, str | None], set[str]]] = {}
    out = []
    for a in attributes:
        check_attribute(a, with_value=False)
        key, doc = _attribute_target(txn, account, region, cluster, a)
        if key not in changed:
            changed[key] = (doc, dict(doc["_"].get("custom") or {}), set())
        _, custom, removed = changed[key]
        if a["name"] in custom:
            custom.pop(a["name"])
            removed.add(a["name"])
        out.append({"name": a["name"], **({"value": a["value"]} if a.get("value") is not None else {}), "targetType": TARGET_TYPE, "targetId": a["targetId"]})
    for key, (doc, custom, removed) in changed.items():
        if removed:
            _set_attributes(doc, custom, removed)
            doc["version"] += 1
            txn.put(INSTANCES, key, doc)
            txn.publish(model.TASK_EVENT, {"instance": key})
    return out


def list_attributes(txn: Txn, account: str, region: str, cluster: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Attributes of the cluster's instances, in (registeredAt, instance, name) order; each
    carries its instance's registeredAt as `_at` (the page key; the caller drops it)."""
    if params.get("targetType") != TARGET_TYPE:
        raise AwsError.modeled("ecs", "InvalidParameterException", "targetType must be container-instance.")
    if params.get("attributeValue") is not None and not params.get("attributeName"):
        raise AwsError.modeled(
            "ecs", "InvalidParameterException", "attributeName must be specified when attributeValue is specified."
        )
    out = []
    for _, d in sorted(cluster_instances(txn, account, region, cluster), key=lambda kd: (kd[1]["registeredAt"], kd[1]["containerInstanceArn"])):
        if d["status"] == "INACTIVE":
            continue
        for a in sorted(d.get("attributes") or [], key=lambda a: a["name"]):
            if params.get("attributeName") and a["name"] != params["attributeName"]:
                continue
            if params.get("attributeValue") is not None and a.get("value") != params["attributeValue"]:
                continue
            out.append({**a, "targetType": TARGET_TYPE, "targetId": d["containerInstanceArn"], "_at": d["registeredAt"]})
    return out


# --- what a task needs ------------------------------------------------------------------------


def requirements(taskdef: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """CPU units, MiB and static host ports a task reserves on its container instance."""
    containers = model.effective_containers(taskdef, overrides)
    cpu = model._cpu_units(overrides.get("cpu") or taskdef.get("cpu"))
    mem = model._memory_mib(overrides.get("memory") or taskdef.get("memory"))
    if cpu is None:
        cpu = sum(int(c.get("cpu") or 0) for c in containers)
    if mem is None:
        mem = sum(int(c.get("memoryReservation") or c.get("memory") or 0) for c in containers)
    ports: list[int] = []
    mode = taskdef.get("networkMode") or "bridge"
    for c in containers if mode in ("bridge", "host") else []:  # awsvpc tasks have their own addresses
        for pm in c.get("portMappings") or []:
            hp = pm.get("containerPort") if mode == "host" else pm.get("hostPort")
            if hp and pm.get("protocol", "tcp") == "tcp":
                ports.append(int(hp))
    return {"cpu": cpu, "memory": mem, "ports": ports}


# --- cluster query language (a subset) --------------------------------------------------------

_TERM = re.compile(
    r"^\s*(?P<lhs>attribute:[\w.\-]+|ec2InstanceId|agentConnected|registeredAt|runningTasksCount)\s*"
    r"(?:(?P<op>==|!=|=~|!~|not in|in|>=|<=|>|<)\s*(?P<rhs>\[[^\]]*\]|\(\s*[^)]*\)|[^\s()]+)|(?P<ex>!?exists))\s*$",
    re.IGNORECASE,
)


def _lhs_value(lhs: str, inst: dict[str, Any]) -> str | None:
    if lhs.lower().startswith("attribute:"):
        name = lhs.split(":", 1)[1]
        for a in inst.get("attributes") or []:
            if a["name"] == name:
                return a.get("value", "")
        return None
    if lhs == "ec2InstanceId":
        return inst.get("ec2InstanceId")
    if lhs == "agentConnected":
        return str(inst.get("agentConnected", False)).lower()
    return None


def _glob(pattern: str, value: str) -> bool:
    return re.fullmatch(re.escape(pattern).replace(r"\*", ".*"), value) is not None


def match(expression: str, inst: dict[str, Any]) -> bool:
    """Evaluate `expression` against a container instance (`or` of `and`s of terms;
    terms: ==, !=, =~, !~ with * wildcards, in/not in [..], exists, !exists)."""
    expression = expression.strip()
    if not expression:
        return True
    ors = re.split(r"\s+or\s+|\s*\|\|\s*", expression, flags=re.IGNORECASE)
    return any(all(_term(t, inst) for t in re.split(r"\s+and\s+|\s*&&\s*", part, flags=re.IGNORECASE)) for part in ors)


def _term(text: str, inst: dict[str, Any]) -> bool:
    text = text.strip()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    m = _TERM.match(text)
    if m is None:
        raise AwsError.modeled("ecs", "InvalidParameterException", f"The expression '{text}' is not valid.")
    value = _lhs_value(m.group("lhs"), inst)
    if m.group("ex"):
        return (value is not None) == (m.group("ex").lower() == "exists")
    op, rhs = m.group("op").lower(), m.group("rhs").strip()
    if op in ("in", "not in"):
        items = [x.strip().strip("'\"") for x in rhs.strip("[]()").split(",") if x.strip()]
        return (value in items) == (op == "in")
    rhs = rhs.strip("'\"")
    if value is None:
        return op in ("!=", "!~")
    if op == "==":
        return value == rhs
    if op == "!=":
        return value != rhs
    if op == "=~":
        return _glob(rhs, value)
    if op == "!~":
        return not _glob(rhs, value)
    try:
        a, b = float(value), float(rhs)
    except ValueError:
        return False
    return {">": a > b, "<": a < b, ">=": a >= b, "<=": a <= b}[op]


# --- placement -------------------------------------------------------------------------------


class Candidate:
    def __init__(self, key: str, doc: dict[str, Any], tasks: list[dict[str, Any]]) -> None:
        self.key = key
        self.doc = doc
        reg = doc["registeredResources"]
        used_cpu, used_mem, used_ports = usage(tasks)
        self.cpu = _res(reg, "CPU") - used_cpu
        self.memory = _res(reg, "MEMORY") - used_mem
        self.ports = set(_res(reg, "PORTS") or []) | used_ports
        self.groups = [t.get("group") for t in tasks]

    def attribute(self, field: str) -> str:
        f = field.lower()
        if f in ("instanceid", "host"):
            return self.doc["containerInstanceArn"]
        if f.startswith("attribute:"):
            return _lhs_value(field, self.doc) or ""
        return ""

    def take(self, req: dict[str, Any], group: str) -> None:
        self.cpu -= req["cpu"]
        self.memory -= req["memory"]
        self.ports.update(str(p) for p in req["ports"])
        self.groups.append(group)


def check_constraints(constraints: list[dict[str, Any]]) -> None:
    if len(constraints) > 10:
        raise AwsError.modeled("ecs", "InvalidParameterException", "Placement constraints can have at most 10 items.")
    for c in constraints:
        if c.get("type") not in ("distinctInstance", "memberOf"):
            raise AwsError.modeled(
                "ecs",
                "InvalidParameterException",
                "Placement constraint type must be one of distinctInstance, memberOf.",
            )
        if c["type"] == "memberOf":
            if not c.get("expression"):
                raise AwsError.modeled(
                    "ecs", "InvalidParameterException", "An expression is required for a memberOf placement constraint."
                )
            match(c["expression"], {"attributes": []})  # syntax check
        elif c.get("expression"):
            raise AwsError.modeled(
                "ecs",
                "InvalidParameterException",
                "Expression is not supported for distinctInstance placement constraints.",
            )


def check_strategy(strategy: list[dict[str, Any]]) -> None:
    if len(strategy) > 5:
        raise AwsError.modeled("ecs", "InvalidParameterException", "Placement strategies can have at most 5 items.")
    for s in strategy:
        if s.get("type") not in ("binpack", "spread", "random"):
            raise AwsError.modeled(
                "ecs", "InvalidParameterException", "Placement strategy type must be one of binpack, spread, random."
            )
        if s["type"] == "binpack" and (s.get("field") or "").upper() not in ("CPU", "MEMORY"):
            raise AwsError.modeled(
                "ecs", "InvalidParameterException", "Binpack placement strategy field must be one of cpu, memory."
            )
        if s["type"] == "spread" and not s.get("field"):
            raise AwsError.modeled("ecs", "InvalidParameterException", "Spread placement strategy requires a field.")


def _reasons(c: Candidate, req: dict[str, Any], constraints: list[dict[str, Any]], group: str) -> str | None:
    if c.doc["status"] != "ACTIVE" or not c.doc.get("agentConnected", True):
        return "AGENT" if not c.doc.get("agentConnected", True) else None
    for con in constraints:
        if con["type"] == "memberOf" and not match(con["expression"], c.doc):
            return "MemberOf"
        if con["type"] == "distinctInstance" and group in c.groups:
            return "DistinctInstance"
    if req["cpu"] > c.cpu:
        return "RESOURCE:CPU"
    if req["memory"] > c.memory:
        return "RESOURCE:MEMORY"
    if any(str(p) in c.ports for p in req["ports"]):
        return "RESOURCE:PORTS"
    return ""


def place(
    txn: Txn,
    account: str,
    region: str,
    cluster: str,
    req: dict[str, Any],
    count: int,
    group: str,
    strategy: list[dict[str, Any]],
    constraints: list[dict[str, Any]],
    only: list[str] | None = None,
) -> tuple[list[Candidate], list[dict[str, str]]]:
    """Choose up to `count` instances (one per task); failures as AWS reports them (one per
    container instance that could not take a task, with the first reason found)."""
    by_arn = tasks_on(txn, account, region, cluster)
    cands = [Candidate(k, d, by_arn.get(d["containerInstanceArn"], [])) for k, d in cluster_instances(txn, account, region, cluster) if d["status"] != "INACTIVE"]
    chosen: list[Candidate] = []
    failures: dict[str, str] = {}
    rng = random.Random()
    if only is not None:
        for ref, c in zip(only, [next((c for c in cands if c.doc["containerInstanceArn"].rsplit("/", 1)[-1] == r.rsplit("/", 1)[-1]), None) for r in only], strict=False):
            if c is None:
                failures[ref] = "MISSING"
                continue
            why = _reasons(c, req, constraints, group)
            if why is None:
                why = "DRAINING" if c.doc["status"] == "DRAINING" else "AGENT"
            if why:
                failures[c.doc["containerInstanceArn"]] = why
                continue
            c.take(req, group)
            chosen.append(c)
        return chosen, [{"arn": a, "reason": r} for a, r in failures.items()]
    for _ in range(count):
        fit = []
        for c in cands:
            why = _reasons(c, req, constraints, group)
            if why is None:
                continue
            if why:
                failures.setdefault(c.doc["containerInstanceArn"], why)
            else:
                fit.append(c)
        if not fit:
            break
        best = _order(fit, strategy or [{"type": "spread", "field": "instanceId"}], group, rng)
        best.take(req, group)
        chosen.append(best)
    if len(chosen) == count:
        failures = {}
    return chosen, [{"arn": a, "reason": r} for a, r in failures.items()]


def _order(fit: list[Candidate], strategy: list[dict[str, Any]], group: str, rng: random.Random) -> Candidate:
    rng.shuffle(fit)

    def key(c: Candidate) -> tuple[Any, ...]:
        parts: list[Any] = []
        for s in strategy:
            if s["type"] == "binpack":
                parts.append(c.cpu if s["field"].upper() == "CPU" else c.memory)
            elif s["type"] == "spread":
                value = c.attribute(s["field"])
                parts.append(sum(1 for o in fit for g in o.groups if g == group and o.attribute(s["field"]) == value))
            # random: the shuffle above
        return tuple(parts)

    return min(fit, key=key)


def attach(txn: Txn, task: dict[str, Any], cand: Candidate, req: dict[str, Any]) -> None:
    """Record the placement on a task document created in this transaction (before its
    agent event is handled: the agent reads the task in a later transaction)."""
    task["containerInstanceArn"] = cand.doc["containerInstanceArn"]
    task["availabilityZone"] = cand.doc["_"].get("az") or task["availabilityZone"]
    task["_"]["reserved"] = req
    task["_"]["instance"] = cand.key
    task["_"]["node"] = cand.doc["_"].get("node")
    meta = task["_"]
    txn.put(model.TASKS, model.task_key(meta["account"], meta["region"], meta["cluster"], task["taskArn"].rsplit("/", 1)[-1]), task)


def unknown_instance() -> AwsError:
    return AwsError.modeled("ecs", "InvalidParameterException", "The referenced container instance was not found.")
