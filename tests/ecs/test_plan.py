"""The service scheduler's decision (`scheduler_plan.plan`) on plain values: no store, no
server. Each test builds a service document and its tasks and checks the actions."""

from __future__ import annotations

import copy
from typing import Any

from gureum.services.ecs import scheduler_plan as sp

NOW = 1_000_000.0
OLD = "ecs-svc/1111111111111111111"
NEW = "ecs-svc/2222222222222222222"
ROLLBACK = "ecs-svc/3333333333333333333"


def dep(dep_id: str, *, td: str = "td:1", running: int = 0, pending: int = 0, desired: int = 0, status: str = "PRIMARY", rollout: str = "IN_PROGRESS", failed: int = 0, last_failure: float = 0.0) -> dict[str, Any]:
    d = {"id": dep_id, "status": status, "taskDefinition": td, "desiredCount": desired, "runningCount": running, "pendingCount": pending, "failedTasks": failed, "rolloutState": rollout}
    if last_failure:
        d["_lastFailure"] = last_failure
    return d


def service(desired: int, deployments: list[dict[str, Any]], *, status: str = "ACTIVE", running: int = 0, pending: int = 0, min_healthy: int = 100, max_percent: int = 200, breaker: bool = False, rollback: bool = False, grace: int | None = None, steady: bool = False, counted: list[str] | None = None, daemon: bool = False) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "serviceName": "s",
        "status": status,
        "desiredCount": desired,
        "runningCount": running,
        "pendingCount": pending,
        "schedulingStrategy": "DAEMON" if daemon else "REPLICA",
        "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": breaker, "rollback": rollback}, "maximumPercent": max_percent, "minimumHealthyPercent": min_healthy},
        "deployments": deployments,
        "_": {"counted": counted or [], "steady": steady},
    }
    if grace is not None:
        doc["healthCheckGracePeriodSeconds"] = grace
    return doc


def task(n: int, deployment: str | None, last: str = "RUNNING", **kw: Any) -> sp.TaskState:
    return sp.TaskState(key=f"k{n}", arn=f"arn:aws:ecs:r:a:task/c/t{n}", deployment=deployment, last_status=last, created_at=float(n), **kw)


def run(doc: dict[str, Any], tasks: list[sp.TaskState], daemon: tuple[str, ...] | None = None) -> list[sp.Action]:
    return sp.plan(sp.ServiceState(service=doc, tasks=tuple(tasks), now=NOW, daemon_instances=daemon, new_deployment_id=ROLLBACK))


def of(actions: list[sp.Action], kind: type) -> list[Any]:
    return [a for a in actions if isinstance(a, kind)]


def stopped_keys(actions: list[sp.Action]) -> list[str]:
    return [a.key for a in of(actions, sp.StopTask)]


# --- replica scaling ----------------------------------------------------------------------------


def test_scale_up_starts_the_missing_tasks_of_the_primary():
    actions = run(service(3, [dep(NEW, desired=3)]), [])
    assert of(actions, sp.StartTasks) == [sp.StartTasks(NEW, 3)]
    assert not of(actions, sp.SetSteady) and not of(actions, sp.CompleteRollout)
    assert of(actions, sp.SetServiceCounts) == [sp.SetServiceCounts(0, 0)]  # apply adds the started


def test_scale_up_starts_at_most_ten_tasks_per_pass():
    actions = run(service(25, [dep(NEW, desired=25)]), [])
    assert of(actions, sp.StartTasks) == [sp.StartTasks(NEW, 10)]


def test_scale_in_stops_pending_then_unhealthy_then_oldest():
    tasks = [task(1, NEW), task(2, NEW), task(3, NEW, health_status="UNHEALTHY", started_at=NOW), task(4, NEW, "PENDING")]
    actions = run(service(1, [dep(NEW, desired=1, running=3, pending=1)], grace=3600), tasks)
    assert stopped_keys(actions) == ["k4", "k3", "k1"]
    assert all(a.reason == f"Scaling activity initiated by (deployment {NEW})" for a in of(actions, sp.StopTask))
    assert sp.AddEvent("has stopped 3 running tasks: (task t4) (task t3) (task t1).") in actions
    assert not of(actions, sp.StartTasks)


def test_steady_state_completes_the_rollout_once():
    doc = service(2, [dep(NEW, desired=2, running=2)], running=2)
    actions = run(doc, [task(1, NEW), task(2, NEW)])
    assert actions == [
        sp.SetCounted(()),
        sp.CompleteRollout(NEW),
        sp.AddEvent(f"(deployment {NEW}) deployment completed."),
        sp.SetSteady(True),
        sp.AddEvent("has reached a steady state."),
    ]
    again = service(2, [dep(NEW, desired=2, running=2, rollout="COMPLETED")], running=2, steady=True)
    assert run(again, [task(1, NEW), task(2, NEW)]) == [sp.SetCounted(())]


def test_leaving_the_steady_state_is_recorded_without_an_event():
    doc = service(2, [dep(NEW, desired=2, running=2, rollout="COMPLETED")], running=2, steady=True)
    actions = run(doc, [task(1, NEW)])
    assert sp.SetSteady(False) in actions and sp.StartTasks(NEW, 1) in actions
    assert not of(actions, sp.AddEvent)


def test_tasks_of_an_unknown_deployment_are_stopped():
    actions = run(service(0, [dep(NEW)]), [task(1, "ecs-svc/gone")])
    assert of(actions, sp.StopTask) == [sp.StopTask("k1", "Scaling activity initiated by (deployment unknown)")]


# --- rolling deployments ------------------------------------------------------------------------


def rolling(min_healthy: int, max_percent: int) -> list[sp.Action]:
    deps = [dep(NEW, td="td:2", desired=2), dep(OLD, td="td:1", running=2, desired=2, status="ACTIVE", rollout="COMPLETED")]
    doc = service(2, deps, running=2, min_healthy=min_healthy, max_percent=max_percent)
    return run(doc, [task(1, OLD), task(2, OLD)])


def test_rolling_deployment_with_100_200_starts_new_before_stopping_old():
    actions = rolling(100, 200)
    assert of(actions, sp.StartTasks) == [sp.StartTasks(NEW, 2)]
    assert not of(actions, sp.StopTask)


def test_rolling_deployment_with_50_percent_minimum_stops_one_old_task():
    actions = rolling(50, 200)
    assert of(actions, sp.StartTasks) == [sp.StartTasks(NEW, 2)]
    assert stopped_keys(actions) == ["k1"]


def test_rolling_deployment_with_0_100_stops_old_first_and_has_no_room_to_start():
    actions = rolling(0, 100)
    assert not of(actions, sp.StartTasks)  # 2 tasks already: maximumPercent 100 leaves no room
    assert stopped_keys(actions) == ["k1", "k2"]


def test_old_deployment_is_dropped_once_its_tasks_are_gone():
    deps = [dep(NEW, td="td:2", desired=1, running=1), dep(OLD, status="ACTIVE")]
    actions = run(service(1, deps, running=1), [task(1, NEW)])
    assert sp.DropDeployments((OLD,)) in actions
    assert sp.CompleteRollout(NEW) in actions


# --- failures and the circuit breaker -----------------------------------------------------------


def test_a_failed_task_is_counted_once_and_delays_its_replacement():
    doc = service(2, [dep(NEW, desired=2, running=2)], running=2)
    stopped = task(2, NEW, "STOPPED", desired_status="STOPPED", stop_code="EssentialContainerExited", stopped_reason="Essential container in task exited")
    actions = run(doc, [task(1, NEW), stopped])
    assert actions[:3] == [sp.CountStopped(stopped.arn), sp.RecordFailure(NEW), sp.AddEvent("has stopped 1 running tasks: (task t2).")]
    assert sp.SetCounted((stopped.arn,)) in actions
    assert not of(actions, sp.StartTasks)  # back-off: 0.5 s per failed task
    counted = service(2, [dep(NEW, desired=2, running=2, failed=1, last_failure=NOW - 1)], running=2, counted=[stopped.arn])
    again = run(counted, [task(1, NEW), stopped])
    assert not of(again, sp.RecordFailure) and of(again, sp.StartTasks) == [sp.StartTasks(NEW, 1)]


def test_a_task_stopped_by_the_scheduler_is_not_a_failure():
    stopped = task(2, NEW, "STOPPED", desired_status="STOPPED", stop_code="ServiceSchedulerInitiated", stopped_reason="Scaling activity")
    actions = run(service(1, [dep(NEW, desired=1, running=1)], running=1), [task(1, NEW), stopped])
    assert sp.CountStopped(stopped.arn) in actions and not of(actions, sp.RecordFailure)


def breaker_case(rollback: bool) -> list[sp.Action]:
    deps = [dep(NEW, td="td:2", desired=2, failed=2), dep(OLD, td="td:1", running=2, desired=2, status="ACTIVE", rollout="COMPLETED")]
    doc = service(2, deps, running=2, breaker=True, rollback=rollback)
    failed = task(9, NEW, "STOPPED", desired_status="STOPPED", stop_code="TaskFailedToStart", stopped_reason="CannotPullContainerError")
    return run(doc, [task(1, OLD), task(2, OLD), failed])


def test_breaker_below_threshold_does_not_trip():
    deps = [dep(NEW, td="td:2", desired=2, failed=1), dep(OLD, running=2, status="ACTIVE")]
    failed = task(9, NEW, "STOPPED", desired_status="STOPPED", stop_code="TaskFailedToStart")
    actions = run(service(2, deps, running=2, breaker=True), [task(1, OLD), task(2, OLD), failed])
    assert not of(actions, sp.FailDeployment)


def test_breaker_at_threshold_fails_the_deployment_and_stops_starting():
    actions = breaker_case(rollback=False)
    assert of(actions, sp.FailDeployment) == [sp.FailDeployment(NEW)]
    assert sp.AddEvent(f"(deployment {NEW}) deployment failed: tasks failed to start.") in actions
    assert not of(actions, sp.RollBack) and not of(actions, sp.StartTasks)


def test_breaker_with_rollback_starts_a_new_primary_on_the_previous_task_definition():
    actions = breaker_case(rollback=True)
    assert of(actions, sp.RollBack) == [sp.RollBack(ROLLBACK, OLD, "td:1", 2)]
    assert sp.AddEvent(f"rolling back to deployment {OLD}.") in actions
    assert of(actions, sp.StartTasks) == [sp.StartTasks(ROLLBACK, 2)]
    assert actions.index(of(actions, sp.FailDeployment)[0]) < actions.index(of(actions, sp.RollBack)[0])
    # the old deployment's tasks keep running (minimumHealthyPercent 100)
    assert not of(actions, sp.StopTask)


def test_breaker_threshold_values():
    assert [sp.breaker_threshold(n) for n in (0, 2, 7, 10, 1000)] == [3, 3, 4, 5, 200]


# --- health checks and the grace period ---------------------------------------------------------


def test_unhealthy_task_inside_the_grace_period_is_kept():
    sick = task(1, NEW, health_status="UNHEALTHY", started_at=NOW - 10)
    actions = run(service(1, [dep(NEW, desired=1, running=1)], running=1, grace=30), [sick])
    assert not of(actions, sp.StopTask)


def test_unhealthy_task_after_the_grace_period_is_replaced():
    sick = task(1, NEW, health_status="UNHEALTHY", started_at=NOW - 31)
    actions = run(service(1, [dep(NEW, desired=1, running=1)], running=1, grace=30), [sick])
    assert of(actions, sp.StopTask) == [sp.StopTask("k1", sp.FAILED_HEALTH)]
    assert sp.AddEvent("(task t1) failed container health checks.") in actions
    assert of(actions, sp.StartTasks) == [sp.StartTasks(NEW, 1)]


# --- container instances: draining, daemon placement and removal ---------------------------------


def test_task_on_a_draining_instance_is_stopped_and_replaced():
    t = task(1, NEW, container_instance_arn="ci/a", instance_status="DRAINING")
    actions = run(service(1, [dep(NEW, desired=1, running=1)], running=1), [t])
    assert of(actions, sp.StopTask) == [sp.StopTask("k1", "Service task stopped because its container instance is DRAINING.")]
    assert sp.AddEvent("has stopped 1 running tasks: (task t1) on a draining container instance.") in actions
    assert of(actions, sp.StartTasks) == [sp.StartTasks(NEW, 1)]


def test_daemon_starts_one_task_on_each_eligible_instance_without_one():
    doc = service(1, [dep(NEW, desired=1, running=1)], running=1, daemon=True, max_percent=100, min_healthy=0)
    on_a = task(1, NEW, container_instance_arn="ci/a", instance_status="ACTIVE")
    actions = run(doc, [on_a], daemon=("ci/a", "ci/b", "ci/c"))
    assert actions[0] == sp.SetDesiredCount(3)
    assert of(actions, sp.StartTasks) == [sp.StartTasks(NEW, 2, ("ci/b", "ci/c"))]
    assert sp.SetDeploymentDesired(NEW, 3) in actions


def test_daemon_stops_a_task_on_an_instance_that_left_the_eligible_set():
    doc = service(2, [dep(NEW, desired=2, running=2)], running=2, daemon=True, max_percent=100, min_healthy=0)
    tasks = [task(1, NEW, container_instance_arn="ci/a", instance_status="ACTIVE"), task(2, NEW, container_instance_arn="ci/b", instance_status="ACTIVE")]
    actions = run(doc, tasks, daemon=("ci/a",))
    assert stopped_keys(actions) == ["k2"]
    assert "no longer meets the placement constraints" in of(actions, sp.StopTask)[0].reason


def test_daemon_keeps_one_task_per_instance():
    doc = service(1, [dep(NEW, desired=1, running=2)], running=2, daemon=True, max_percent=100, min_healthy=0)
    tasks = [task(1, NEW, container_instance_arn="ci/a", instance_status="ACTIVE"), task(2, NEW, "PENDING", container_instance_arn="ci/a", instance_status="ACTIVE")]
    actions = run(doc, tasks, daemon=("ci/a",))
    assert stopped_keys(actions) == ["k2"]  # the pending duplicate goes first
    assert not of(actions, sp.StartTasks)


def test_deleted_daemon_service_stops_everywhere_and_becomes_inactive():
    doc = service(2, [dep(NEW, desired=0, running=2)], status="DRAINING", running=2, daemon=True, max_percent=100, min_healthy=0)
    tasks = [task(1, NEW, container_instance_arn="ci/a", instance_status="ACTIVE"), task(2, NEW, container_instance_arn="ci/b", instance_status="ACTIVE")]
    actions = run(doc, tasks, daemon=("ci/a", "ci/b"))
    assert actions[0] == sp.SetDesiredCount(0)
    assert stopped_keys(actions) == ["k1", "k2"]
    assert not of(actions, sp.StartTasks)
    assert actions[-1] == sp.SetInactive()


def test_draining_replica_service_becomes_inactive_once_its_tasks_are_gone():
    doc = service(0, [dep(NEW)], status="DRAINING")
    assert run(doc, [])[-1] == sp.SetInactive()
    assert sp.SetInactive() not in run(service(0, [dep(NEW, running=1)], status="DRAINING", running=1), [task(1, NEW)])


# --- purity -------------------------------------------------------------------------------------


def test_plan_does_not_change_its_input():
    deps = [dep(NEW, td="td:2", desired=2, failed=2), dep(OLD, td="td:1", running=2, desired=2, status="ACTIVE")]
    doc = service(2, deps, running=2, breaker=True, rollback=True)
    before = copy.deepcopy(doc)
    failed = task(9, NEW, "STOPPED", desired_status="STOPPED", stop_code="TaskFailedToStart")
    first = run(doc, [task(1, OLD), task(2, OLD), failed])
    assert doc == before
    assert run(doc, [task(1, OLD), task(2, OLD), failed]) == first
