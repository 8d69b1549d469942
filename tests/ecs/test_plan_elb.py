"""The service scheduler's decision behind load balancers (`scheduler_plan.plan` on values): a
new task counts toward a deployment, and lets an old task stop, only once its target is
healthy; a task whose target turned unhealthy is replaced once healthCheckGracePeriodSeconds
have passed since it started, with AWS's stoppedReason, and counts as a failed task."""

from __future__ import annotations

from typing import Any

from gureum.services.ecs import scheduler_plan as sp
from tests.ecs.test_plan import NEW, NOW, OLD, dep, of, run, service, stopped_keys, task

TG = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/0123456789abcdef"


def elb(state: str, description: str | None = None) -> sp.ElbHealth:
    if state == "healthy":
        return sp.ElbHealth("healthy")
    return sp.ElbHealth(state, TG, "web", 8080, description)


def lb_task(n: int, deployment: str, state: str, **kw: Any) -> sp.TaskState:
    return task(n, deployment, elb=elb(state, kw.pop("description", None)), started_at=kw.pop("started_at", NOW - 60), **kw)


def rollout(new_state: str) -> list[sp.Action]:
    deps = [dep(NEW, td="td:2", desired=1, running=1), dep(OLD, td="td:1", running=1, desired=1, status="ACTIVE", rollout="COMPLETED")]
    doc = service(1, deps, running=2, min_healthy=100, max_percent=200)
    return run(doc, [lb_task(1, OLD, "healthy"), lb_task(2, NEW, new_state)])


def test_an_old_task_stays_while_the_new_tasks_target_is_not_yet_healthy() -> None:
    for state in ("initial", "unregistered", "draining"):
        actions = rollout(state)
        assert not of(actions, sp.StopTask), state
        assert not of(actions, sp.CompleteRollout) and not of(actions, sp.StartTasks)


def test_the_old_task_stops_once_the_new_tasks_target_is_healthy() -> None:
    actions = rollout("healthy")
    assert stopped_keys(actions) == ["k1"]
    assert of(actions, sp.StopTask)[0].reason == f"Scaling activity initiated by (deployment {OLD})"


def test_a_running_task_with_a_target_not_yet_healthy_is_not_steady() -> None:
    doc = service(1, [dep(NEW, desired=1, running=1)], running=1)
    actions = run(doc, [lb_task(1, NEW, "initial")])
    assert not of(actions, sp.CompleteRollout) and not of(actions, sp.SetSteady)
    actions = run(doc, [lb_task(1, NEW, "healthy")])
    assert of(actions, sp.CompleteRollout) == [sp.CompleteRollout(NEW)]


def test_an_unhealthy_target_stops_its_task_after_the_grace_period() -> None:
    doc = service(1, [dep(NEW, desired=1, running=1, rollout="COMPLETED")], running=1, grace=120)
    young = lb_task(1, NEW, "unhealthy", description="Health checks failed with these codes: [404]", started_at=NOW - 30)
    assert not of(run(doc, [young]), sp.StopTask)  # within healthCheckGracePeriodSeconds
    old = lb_task(1, NEW, "unhealthy", description="Health checks failed with these codes: [404]", started_at=NOW - 121)
    actions = run(doc, [old])
    assert of(actions, sp.StopTask) == [sp.StopTask("k1", f"Task failed ELB health checks in (target-group {TG})")]
    assert sp.AddEvent("(task t1) (port 8080) is unhealthy in (target-group web) due to "
                       "(reason Health checks failed with these codes: [404]).") in actions
    assert of(actions, sp.StartTasks) == [sp.StartTasks(NEW, 1)]  # its replacement


def test_a_task_stopped_for_failed_elb_health_checks_counts_as_a_failure() -> None:
    doc = service(1, [dep(NEW, desired=1)], breaker=True)
    gone = task(1, NEW, "STOPPED", desired_status="STOPPED", stop_code="ServiceSchedulerInitiated",
                stopped_reason=f"Task failed ELB health checks in (target-group {TG})")
    actions = run(doc, [gone])
    assert of(actions, sp.RecordFailure) == [sp.RecordFailure(NEW)]


def test_without_load_balancers_nothing_changes() -> None:
    deps = [dep(NEW, td="td:2", desired=1, running=1), dep(OLD, td="td:1", running=1, desired=1, status="ACTIVE", rollout="COMPLETED")]
    doc = service(1, deps, running=2)
    assert stopped_keys(run(doc, [task(1, OLD), task(2, NEW)])) == ["k1"]
