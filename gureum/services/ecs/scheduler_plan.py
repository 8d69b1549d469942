"""The ECS service scheduler's decision: `plan(state) -> [actions]`, a pure function.

State (`ServiceState`, plain values read by `services.reconcile` in its transaction):
  - `service`: the service document as stored (read-only here: deployments, desiredCount,
    status, deploymentConfiguration, healthCheckGracePeriodSeconds, `_.counted`, `_.steady`);
  - `tasks`: every task of the service (`TaskState`: its key, status, deployment, health,
    stop code/reason, container instance and that instance's status, and for a service with
    `loadBalancers` its health in its target groups, `ElbHealth`);
  - `daemon_instances`: for a DAEMON service, the ARNs of the ACTIVE container instances that
    meet its memberOf constraints, in cluster order (None for REPLICA);
  - `now` (epoch seconds) and `new_deployment_id` (used only if the breaker rolls back).

Actions (frozen dataclasses, applied in order by `services.apply` in the same transaction):
  `SetDesiredCount`, `StopTask`, `AddEvent`, `CountStopped`, `RecordFailure`, `SetCounted`,
  `FailDeployment`, `RollBack`, `SetDeploymentCounts`, `SetDeploymentDesired`, `StartTasks`,
  `DropDeployments`, `SetServiceCounts`, `CompleteRollout`, `SetSteady`, `SetInactive`.

Invariants: `plan` reads no store, writes nothing and does not mutate its input; events are
emitted in the order the service shows them (newest last in the list, first in the doc);
a task is stopped at most once per pass; tasks are started only for the primary deployment,
never beyond maximumPercent of desiredCount, at most 10 per pass, and not during the failure
back-off (0.5 s per failed task, at most 5 s); old deployments' RUNNING tasks are stopped
only while minimumHealthyPercent stays healthy (or the primary already has desiredCount
healthy); behind load balancers a task is healthy only once its targets are healthy, so a
new task counts toward the deployment (and lets an old one stop) only then, and a RUNNING
task whose target turned unhealthy after healthCheckGracePeriodSeconds is stopped ("Task
failed ELB health checks in (target-group <arn>)") and counts as a failure; a tripped breaker (failed tasks >= min(200, max(3, ceil(desired/2)))) marks the
primary FAILED and, with rollback, puts a new primary on the previous task definition.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Union

FAILED_HEALTH = "Task failed container health checks"
FAILED_ELB = "Task failed ELB health checks in (target-group {arn})"
MAX_START_PER_PASS = 10


@dataclass(frozen=True)
class ElbHealth:
    """A task's health in its target groups: "healthy" when every target is; else the worst
    target's state ("unhealthy", "unregistered", "draining", "initial"), its group's ARN and
    name, the port and the reason's description."""

    state: str
    group_arn: str | None = None
    group_name: str | None = None
    port: int | None = None
    description: str | None = None


@dataclass(frozen=True)
class TaskState:
    key: str
    arn: str
    deployment: str | None
    desired_status: str = "RUNNING"
    last_status: str = "PENDING"
    created_at: float = 0.0
    started_at: float | None = None
    health_status: str | None = None
    stop_code: str | None = None
    stopped_reason: str | None = None
    container_instance_arn: str | None = None
    instance_status: str | None = None  # status of its container instance; None: no instance
    protected: bool = False  # scale-in protection (task_protection.py): scale-in passes it over
    elb: ElbHealth | None = None  # None: the task has no load balancer targets

    @property
    def short_id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    @classmethod
    def from_doc(cls, key: str, doc: Mapping[str, Any], instance_status: str | None, protected: bool = False,
                 elb: ElbHealth | None = None) -> TaskState:
        meta = doc.get("_") or {}
        return cls(
            key=key,
            arn=doc["taskArn"],
            deployment=meta.get("deployment"),
            desired_status=doc["desiredStatus"],
            last_status=doc["lastStatus"],
            created_at=doc.get("createdAt") or 0.0,
            started_at=doc.get("startedAt"),
            health_status=doc.get("healthStatus"),
            stop_code=doc.get("stopCode"),
            stopped_reason=doc.get("stoppedReason"),
            container_instance_arn=doc.get("containerInstanceArn"),
            instance_status=instance_status,
            protected=protected,
            elb=elb,
        )


@dataclass(frozen=True)
class ServiceState:
    service: Mapping[str, Any]
    tasks: tuple[TaskState, ...]
    now: float
    daemon_instances: tuple[str, ...] | None = None
    new_deployment_id: str = "ecs-svc/0000000000000000000"


# --- actions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SetDesiredCount:
    count: int


@dataclass(frozen=True)
class StopTask:
    key: str
    reason: str


@dataclass(frozen=True)
class AddEvent:
    message: str  # without the "(service name) " prefix


@dataclass(frozen=True)
class CountStopped:
    """A STOPPED task seen for the first time (it is remembered in `_.counted`)."""

    task_arn: str


@dataclass(frozen=True)
class RecordFailure:
    deployment_id: str


@dataclass(frozen=True)
class SetCounted:
    """The stopped tasks already counted (those still existing); not a change on its own."""

    task_arns: tuple[str, ...]


@dataclass(frozen=True)
class FailDeployment:
    deployment_id: str


@dataclass(frozen=True)
class RollBack:
    """Demote the primary and put a new primary deployment on `task_definition`."""

    new_deployment_id: str
    previous_deployment_id: str
    task_definition: str
    desired: int


@dataclass(frozen=True)
class SetDeploymentCounts:
    deployment_id: str
    running: int
    pending: int


@dataclass(frozen=True)
class SetDeploymentDesired:
    deployment_id: str
    desired: int


@dataclass(frozen=True)
class StartTasks:
    """Start `count` tasks of the deployment (`only`: one on each of these instances)."""

    deployment_id: str
    count: int
    only: tuple[str, ...] | None = None


@dataclass(frozen=True)
class DropDeployments:
    deployment_ids: tuple[str, ...]


@dataclass(frozen=True)
class SetServiceCounts:
    """The service's counts before this pass's starts (apply adds the tasks it started)."""

    running: int
    pending: int


@dataclass(frozen=True)
class CompleteRollout:
    deployment_id: str


@dataclass(frozen=True)
class SetSteady:
    steady: bool


@dataclass(frozen=True)
class SetInactive:
    pass


Action = Union[
    SetDesiredCount,
    StopTask,
    AddEvent,
    CountStopped,
    RecordFailure,
    SetCounted,
    FailDeployment,
    RollBack,
    SetDeploymentCounts,
    SetDeploymentDesired,
    StartTasks,
    DropDeployments,
    SetServiceCounts,
    CompleteRollout,
    SetSteady,
    SetInactive,
]


# --- the decision -------------------------------------------------------------------------------


def breaker_threshold(desired: int) -> int:
    return min(200, max(3, math.ceil(desired * 0.5)))


def failed_health(service: Mapping[str, Any], t: TaskState, now: float) -> bool:
    """Container health checks failed, and the service's healthCheckGracePeriodSeconds since
    the task started have passed (until then the scheduler ignores its health)."""
    if t.health_status != "UNHEALTHY" or t.last_status != "RUNNING":
        return False
    grace = service.get("healthCheckGracePeriodSeconds") or 0
    started = t.started_at or now
    return now - started >= grace


def elb_ok(t: TaskState) -> bool:
    """The task's load balancer targets are healthy (or it has none)."""
    return t.elb is None or t.elb.state in ("healthy", "unavailable")


def failed_elb(service: Mapping[str, Any], t: TaskState, now: float) -> bool:
    """A RUNNING task's target is unhealthy and the grace period since it started has passed."""
    if t.elb is None or t.elb.state != "unhealthy" or t.last_status != "RUNNING":
        return False
    grace = service.get("healthCheckGracePeriodSeconds") or 0
    return now - (t.started_at or now) >= grace


def _is_healthy(service: Mapping[str, Any], t: TaskState, now: float) -> bool:
    return t.last_status == "RUNNING" and not failed_health(service, t, now) and elb_ok(t)


def _stopped_event(ts: list[TaskState]) -> AddEvent:
    return AddEvent(f"has stopped {len(ts)} running tasks: {' '.join(f'(task {t.short_id})' for t in ts)}.")


@dataclass
class _Dep:
    """The plan's working view of one deployment."""

    id: str
    task_definition: str | None
    rollout: str | None
    failed: int
    last_failure: float
    running: int
    pending: int
    desired: int
    live: list[TaskState] = field(default_factory=list)


def plan(state: ServiceState) -> list[Action]:
    """One scheduling pass over one service (see the module docstring)."""
    doc, now = state.service, state.now
    out: list[Action] = []
    active = doc["status"] == "ACTIVE"
    deps = [
        _Dep(d["id"], d.get("taskDefinition"), d.get("rolloutState"), d.get("failedTasks", 0), d.get("_lastFailure", 0), d["runningCount"], d["pendingCount"], d.get("desiredCount", 0))
        for d in copy.deepcopy(list(doc["deployments"]))
    ]
    by_id = {d.id: d for d in deps}
    meta = doc.get("_") or {}

    daemon = state.daemon_instances
    desired_count = doc["desiredCount"]
    if daemon is not None:
        if not active:
            daemon = ()  # a deleted daemon service stops everywhere
        if desired_count != len(daemon):
            desired_count = len(daemon)
            out.append(SetDesiredCount(desired_count))

    counted = set(meta.get("counted") or [])
    for t in state.tasks:
        if t.desired_status == "RUNNING" and t.last_status != "STOPPED":
            if t.instance_status in ("DRAINING", "INACTIVE") and active:
                # tasks on a draining container instance are replaced elsewhere
                out.append(StopTask(t.key, f"Service task stopped because its container instance is {t.instance_status}."))
                out.append(AddEvent(f"has stopped 1 running tasks: (task {t.short_id}) on a {t.instance_status.lower()} container instance."))
                continue
            if failed_health(doc, t, now) and active:
                out.append(StopTask(t.key, FAILED_HEALTH))
                out.append(AddEvent(f"(task {t.short_id}) failed container health checks."))
                continue
            if failed_elb(doc, t, now) and active:
                assert t.elb is not None
                out.append(StopTask(t.key, FAILED_ELB.format(arn=t.elb.group_arn)))
                out.append(AddEvent(f"(task {t.short_id}) (port {t.elb.port}) is unhealthy in (target-group "
                                    f"{t.elb.group_name}) due to (reason {t.elb.description or 'Health checks failed'})."))
                continue
            if daemon is not None and t.container_instance_arn not in daemon and active and t.instance_status == "ACTIVE":
                # a daemon task on an instance that no longer meets the placement constraints
                out.append(StopTask(t.key, f"Service task stopped because its container instance no longer meets the placement constraints (deployment {t.deployment})."))
                out.append(AddEvent(f"has stopped 1 running tasks: (task {t.short_id})."))
                continue
            if t.deployment is not None and t.deployment in by_id:
                by_id[t.deployment].live.append(t)
            else:  # a deployment that no longer exists: stop its tasks
                out.append(StopTask(t.key, "Scaling activity initiated by (deployment unknown)"))
            continue
        if t.last_status == "STOPPED" and t.arn not in counted:
            counted.add(t.arn)
            out.append(CountStopped(t.arn))
            if (t.stop_code in ("TaskFailedToStart", "EssentialContainerExited") or t.stopped_reason == FAILED_HEALTH
                    or (t.stopped_reason or "").startswith(FAILED_ELB.split("{", 1)[0])):
                if t.deployment is not None and t.deployment in by_id:
                    d = by_id[t.deployment]
                    d.failed += 1
                    d.last_failure = now
                    out.append(RecordFailure(d.id))
                if t.stopped_reason:
                    out.append(AddEvent(f"has stopped 1 running tasks: (task {t.short_id})."))
    counted &= {t.arn for t in state.tasks}  # forget counted tasks that no longer exist
    out.append(SetCounted(tuple(sorted(counted))))

    cfg = doc["deploymentConfiguration"]
    desired = desired_count if active else 0
    primary = deps[0]
    breaker = cfg.get("deploymentCircuitBreaker") or {}

    if breaker.get("enable") and primary.rollout == "IN_PROGRESS" and primary.failed >= breaker_threshold(desired):
        primary.rollout = "FAILED"
        out.append(FailDeployment(primary.id))
        out.append(AddEvent(f"(deployment {primary.id}) deployment failed: tasks failed to start."))
        previous = next((d for d in deps[1:] if d.task_definition), None)
        if breaker.get("rollback") and previous is not None and previous.task_definition:
            new = _Dep(state.new_deployment_id, previous.task_definition, "IN_PROGRESS", 0, 0, 0, 0, desired)
            out.append(RollBack(new.id, previous.id, previous.task_definition, desired))
            out.append(AddEvent(f"rolling back to deployment {previous.id}."))
            deps.insert(0, new)
            by_id[new.id] = new
            primary = new

    for d in deps:
        running = sum(1 for t in d.live if t.last_status == "RUNNING")
        pending = len(d.live) - running
        if (d.running, d.pending) != (running, pending):
            d.running, d.pending = running, pending
            out.append(SetDeploymentCounts(d.id, running, pending))
    if primary.desired != desired:
        primary.desired = desired
        out.append(SetDeploymentDesired(primary.id, desired))

    total = sum(len(d.live) for d in deps)
    healthy_all = sum(1 for d in deps for t in d.live if _is_healthy(doc, t, now))
    max_total = max(desired, math.floor(desired * cfg.get("maximumPercent", 200) / 100))
    min_healthy = math.ceil(desired * cfg.get("minimumHealthyPercent", 100) / 100)

    mine = list(primary.live)
    can_start = primary.rollout != "FAILED" or not breaker.get("enable")
    backoff = min(5.0, 0.5 * primary.failed)
    may_start = can_start and now - primary.last_failure >= backoff
    starting = 0
    if daemon is not None:
        by_inst: dict[str, list[TaskState]] = {}
        for d in deps:
            for t in d.live:
                by_inst.setdefault(t.container_instance_arn or "", []).append(t)
        surplus: list[TaskState] = []
        for arn, ts in by_inst.items():
            own = [t for t in ts if t in primary.live]
            if arn not in daemon:
                surplus += own  # DRAINING service (eligible set empty) or the instance left
            elif len(own) > 1:
                surplus += sorted(own, key=lambda t: (t.last_status == "RUNNING", t.created_at))[: len(own) - 1]
        for t in surplus:
            out.append(StopTask(t.key, f"Scaling activity initiated by (deployment {primary.id})"))
            mine.remove(t)
        if surplus:
            out.append(_stopped_event(surplus))
            primary.live = mine
        if may_start and active:
            missing = tuple(arn for arn in daemon if not by_inst.get(arn))
            if missing:
                starting = len(missing)
                out.append(StartTasks(primary.id, starting, missing))
    else:
        want = desired - len(mine)
        if want > 0 and may_start:
            n = min(want, max(max_total - total, 0), MAX_START_PER_PASS)
            if n > 0:
                starting = n
                out.append(StartTasks(primary.id, n))
        # stop surplus primary tasks (scale-in): pending first, then unhealthy, then oldest;
        # a task with scale-in protection is never chosen
        if len(mine) > desired:
            candidates = [t for t in mine if not t.protected]
            surplus = sorted(candidates, key=lambda t: (t.last_status == "RUNNING", t.health_status != "UNHEALTHY", t.created_at))[: len(mine) - desired]
            for t in surplus:
                out.append(StopTask(t.key, f"Scaling activity initiated by (deployment {primary.id})"))
            if surplus:
                out.append(_stopped_event(surplus))

    # drain old deployments while enough stay healthy
    primary_healthy = sum(1 for t in mine if _is_healthy(doc, t, now))
    for d in deps[1:]:
        stopped: list[TaskState] = []
        for t in sorted(d.live, key=lambda t: _is_healthy(doc, t, now)):
            is_healthy = _is_healthy(doc, t, now)
            if is_healthy and healthy_all - 1 < min_healthy and primary_healthy < desired:
                continue
            out.append(StopTask(t.key, f"Scaling activity initiated by (deployment {d.id})"))
            stopped.append(t)
            if is_healthy:
                healthy_all -= 1
        if stopped:
            out.append(_stopped_event(stopped))
    gone = tuple(d.id for d in deps[1:] if not d.live)
    if gone:
        out.append(DropDeployments(gone))
        deps = [d for d in deps if d.id not in gone]

    running = sum(d.running for d in deps)
    pending = sum(d.pending for d in deps)
    if (doc["runningCount"], doc["pendingCount"]) != (running + 0, pending + starting) or starting:
        out.append(SetServiceCounts(running, pending))
    if len(deps) == 1 and primary.running == desired and primary.pending + starting == 0 and all(elb_ok(t) for t in mine):
        if primary.rollout == "IN_PROGRESS":
            out.append(CompleteRollout(primary.id))
            out.append(AddEvent(f"(deployment {primary.id}) deployment completed."))
        if not meta.get("steady"):
            out.append(SetSteady(True))
            out.append(AddEvent("has reached a steady state."))
    elif meta.get("steady"):
        out.append(SetSteady(False))
    if doc["status"] == "DRAINING" and not any(d.live for d in deps):
        out.append(SetInactive())
    return out
