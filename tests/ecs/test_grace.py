"""healthCheckGracePeriodSeconds: the service scheduler ignores failed container health
checks for that long after a task started, then replaces the unhealthy task."""

from __future__ import annotations

import pytest
from waiting import wait_for

from .images import containers_skip_reason
from .test_api import AWSVPC, uniq
from .test_tasks import register

pytestmark = [
    pytest.mark.skipif(containers_skip_reason() is not None, reason=str(containers_skip_reason())),
    pytest.mark.xdist_group("ecs-containers"),
]

GRACE = 9


def test_unhealthy_tasks_are_replaced_only_after_the_grace_period(ecs, image):
    td = register(
        ecs,
        image,
        [
            {
                "name": "app",
                "command": ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"],
                "healthCheck": {"command": ["CMD-SHELL", "false"], "interval": 5, "timeout": 2, "retries": 1},
                "stopTimeout": 2,
            }
        ],
    )
    name = uniq("grace")
    ecs.create_service(
        serviceName=name, taskDefinition=td, desiredCount=1, launchType="FARGATE", networkConfiguration=AWSVPC, healthCheckGracePeriodSeconds=GRACE
    )
    assert ecs.describe_services(services=[name])["services"][0]["healthCheckGracePeriodSeconds"] == GRACE

    def first_unhealthy():
        arns = ecs.list_tasks(serviceName=name)["taskArns"]
        tasks = ecs.describe_tasks(tasks=arns)["tasks"] if arns else []
        return next((t for t in tasks if t.get("healthStatus") == "UNHEALTHY"), None)

    task = wait_for("an UNHEALTHY task", first_unhealthy, timeout=60)
    started = task["startedAt"].timestamp()

    # the scheduler stops it and starts a replacement, but only after the grace period: its
    # first failed check (5 s) fell inside it, and the task was left alone until it ended
    def stopped():
        t = ecs.describe_tasks(tasks=[task["taskArn"]])["tasks"][0]
        return t if t["desiredStatus"] == "STOPPED" else None

    gone = wait_for("the unhealthy task stopped", stopped, timeout=30)
    assert gone["stoppedReason"] == "Task failed container health checks"
    assert gone["stopCode"] == "ServiceSchedulerInitiated"
    assert gone["stoppingAt"].timestamp() - started >= GRACE - 0.5

    def replaced():
        arns = ecs.list_tasks(serviceName=name)["taskArns"]
        return [a for a in arns if a != task["taskArn"]]

    wait_for("a replacement task", replaced, timeout=30)
    ecs.update_service(service=name, desiredCount=0)
    ecs.delete_service(service=name)
