"""A clean shutdown (SIGTERM or SIGINT) of `gureum up` stops its tasks the way ECS stops the
tasks of a host that goes away (stopCode TerminationNotice and the host's stoppedReason, not
null) and removes the task bridge gureum created for itself."""

from __future__ import annotations

import secrets
import signal
from pathlib import Path

import pytest
from harness import GureumProcess

from .images import build_image, containers_skip_reason, push
from .test_api import AWSVPC, wait_status

pytestmark = [
    pytest.mark.skipif(containers_skip_reason() is not None, reason=str(containers_skip_reason())),
    pytest.mark.xdist_group("ecs-containers"),
]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_clean_shutdown_gives_stopped_tasks_the_host_reason_and_removes_its_bridge(tmp_path: Path, sig: int) -> None:
    bridge = "gt" + secrets.token_hex(4)  # a bridge of this test's own: no other node uses it
    subnet = f"10.214.{secrets.randbelow(250) + 1}.0/24"
    g = GureumProcess(tmp_path / "data", extra_args=["--set", f"ecs.bridge={bridge}", "--set", f"ecs.subnet={subnet}"])
    g.start()
    try:
        g.client("ecs").list_clusters()  # the ECS agent idles until ECS is called
        g.wait_service("ecs", "running")
        layout = build_image(tmp_path / "layout", "v1")
        g.client("ecr").create_repository(repositoryName="shutdown")
        uri = f"127.0.0.1:{g.port}/shutdown:v1"
        push(layout, "v1", uri)
        ecs = g.client("ecs")
        td = ecs.register_task_definition(
            family="shutdown", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            containerDefinitions=[{"name": "app", "image": uri, "command": ["sleep", "600"]}],
        )["taskDefinition"]["taskDefinitionArn"]
        arn = ecs.run_task(taskDefinition=td, launchType="FARGATE", networkConfiguration=AWSVPC)["tasks"][0]["taskArn"]
        wait_status(ecs, arn, "RUNNING")
        assert Path(f"/sys/class/net/{bridge}").exists()

        assert g.stop(sig, timeout=60) == 0
        assert not Path(f"/sys/class/net/{bridge}").exists()  # and its addresses with it

        g.start()
        g.client("ecs").list_clusters()  # the ECS agent idles until ECS is called
        g.wait_service("ecs", "running")
        task = g.client("ecs").describe_tasks(tasks=[arn])["tasks"][0]
        assert task["lastStatus"] == "STOPPED"
        assert task["stopCode"] == "TerminationNotice"
        assert task["stoppedReason"].startswith("Host EC2 (instance i-") and task["stoppedReason"].endswith(") stopped/terminated.")
    finally:
        g.stop()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_shutdown_cuts_short_a_stop_already_under_way(tmp_path: Path, sig: int) -> None:
    """A task being stopped (StopTask) whose container ignores its stop signal and has a
    long stopTimeout: shutting gureum down does not wait that timeout out (it took ~30 s,
    past the harness's 15 s patience, so gureum was SIGKILLed): the container gets the
    shutdown grace, then SIGKILL; the task keeps the reason of the stop that was asked for."""
    g = GureumProcess(tmp_path / "data")
    g.start()
    try:
        g.client("ecs").list_clusters()  # the ECS agent idles until ECS is called
        g.wait_service("ecs", "running")
        layout = build_image(tmp_path / "layout", "v1")
        g.client("ecr").create_repository(repositoryName="slowstop")
        uri = f"127.0.0.1:{g.port}/slowstop:v1"
        push(layout, "v1", uri)
        ecs = g.client("ecs")
        td = ecs.register_task_definition(
            family="slowstop", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
            containerDefinitions=[{"name": "app", "image": uri, "command": ["sleep", "600"], "stopTimeout": 120}],
        )["taskDefinition"]["taskDefinitionArn"]
        arn = ecs.run_task(taskDefinition=td, launchType="FARGATE", networkConfiguration=AWSVPC)["tasks"][0]["taskArn"]
        wait_status(ecs, arn, "RUNNING")
        ecs.stop_task(task=arn, reason="stopped by hand")
        wait_status(ecs, arn, "STOPPING")  # the stop signal is out; `sleep` as pid 1 ignores it

        assert g.stop(sig, timeout=15) == 0  # a clean exit, not the harness's SIGKILL

        g.start()
        g.client("ecs").list_clusters()  # the ECS agent idles until ECS is called
        g.wait_service("ecs", "running")
        task = g.client("ecs").describe_tasks(tasks=[arn])["tasks"][0]
        assert task["lastStatus"] == "STOPPED"
        assert task["stopCode"] == "UserInitiated" and task["stoppedReason"] == "stopped by hand"
    finally:
        g.stop()
