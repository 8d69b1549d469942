"""AWS/ECS CPUUtilization and MemoryUtilization of a running service, from its tasks'
cgroups, read back through CloudWatch per ClusterName/ServiceName and per ClusterName."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from harness import GureumProcess
from waiting import wait_for

from .images import containers_skip_reason
from .test_api import AWSVPC, uniq
from .test_tasks import register

pytestmark = [
    pytest.mark.skipif(containers_skip_reason() is not None, reason=str(containers_skip_reason())),
    pytest.mark.xdist_group("ecs-containers"),
]


@pytest.fixture(scope="module")
def gureum(tmp_path_factory) -> Iterator[GureumProcess]:  # this module's own: metrics sampled every 0.5 s
    proc = GureumProcess(tmp_path_factory.mktemp("ecs-metrics") / "data",
                         env={"GUREUM_ECS_METRICS_INTERVAL": "0.5", "GUREUM_CLOUDWATCH_EMIT_INTERVAL": "0.3"})
    proc.start()
    yield proc
    proc.stop()


def _max(cw: Any, metric: str, dims: list[dict[str, str]]) -> float | None:
    now = datetime.now(UTC)
    got = cw.get_metric_statistics(Namespace="AWS/ECS", MetricName=metric, Dimensions=dims, StartTime=now - timedelta(minutes=5),
                                   EndTime=now + timedelta(minutes=1), Period=360, Statistics=["Maximum"])
    return float(got["Datapoints"][0]["Maximum"]) if got["Datapoints"] else None


def test_a_busy_service_reports_cpu_and_memory_utilization(gureum, image):
    ecs, cw = gureum.client("ecs"), gureum.client("cloudwatch")
    td = register(ecs, image, [{"name": "busy", "command": ["sh", "-c", "while :; do :; done"], "stopTimeout": 2}])
    name = uniq("busy")
    ecs.create_service(serviceName=name, taskDefinition=td, desiredCount=1, launchType="FARGATE", networkConfiguration=AWSVPC)
    by_service = [{"Name": "ClusterName", "Value": "default"}, {"Name": "ServiceName", "Value": name}]
    try:
        wait_for("CPUUtilization of the busy service", lambda: (_max(cw, "CPUUtilization", by_service) or 0.0) > 1.0, 120, interval=0.5)
        cpu = _max(cw, "CPUUtilization", by_service)
        assert cpu is not None and cpu <= 150.0  # its quota is its reservation (cfs quota), give or take a sampling interval
        mem = _max(cw, "MemoryUtilization", by_service)
        assert mem is not None and 0.0 < mem < 100.0  # a shell uses some of its 512 MiB
        assert (_max(cw, "CPUUtilization", [{"Name": "ClusterName", "Value": "default"}]) or 0.0) > 0.0
    finally:
        ecs.update_service(service=name, desiredCount=0)
        ecs.delete_service(service=name, force=True)
