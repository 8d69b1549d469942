"""The ECS part of the cluster failure suite: a FARGATE service of 3 busybox tasks (an image
built without Docker, tests/ecs/images.py, pushed to the cluster's ECR through node 0),
which the nodes run between them and must bring back to 3 running tasks after node crashes.

Each node runs its tasks on its own bridge inside its namespace (`ecs.bridge`/`ecs.subnet`
settings, the same names in every namespace) and pulls the image from its own loopback
(127.0.0.1:4566 in its namespace is itself), so the blobs are the shared blob directory's."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from ecs.images import build_image, containers_skip_reason, push

from cluster.history import History, Op
from cluster.load import CLIENT_CONFIG, Clients, Live
from cluster.nodes import API_PORT, NetnsNode

AWSVPC = {"awsvpcConfiguration": {"subnets": ["subnet-0123456789abcdef0"], "securityGroups": ["sg-12345678"]}}
TASKS = 3


def settings(tag: str) -> list[str]:
    """Node settings: the task bridge and subnet, and quick heartbeats so a dead node's tasks
    are claimed in seconds."""
    return ["--set", f"ecs.bridge=gclt{tag}", "--set", "ecs.subnet=10.239.0.0/16", "--set", "ecs.heartbeat_interval=0.5",
            "--set", "ecs.node_timeout=5", "--set", "ecs.follow_interval=0.1"]  # fmt: skip


def skip_reason() -> str | None:
    return containers_skip_reason()


def create_service(node: NetnsNode, workdir: Path) -> str:
    """Build and push the image, register a task definition, create the service; its name."""
    layout = workdir / "layout"
    build_image(layout, "v1", workdir="/var/www")
    repo = f"cl-img-{uuid.uuid4().hex[:8]}"
    node.client("ecr").create_repository(repositoryName=repo)
    push(layout, "v1", f"{node.address}:{API_PORT}/{repo}:v1")
    ecs = node.client("ecs")
    td = ecs.register_task_definition(
        family=f"cl-{uuid.uuid4().hex[:8]}", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "sleeper", "image": f"127.0.0.1:{API_PORT}/{repo}:v1", "command": ["sleep", "3600"], "stopTimeout": 2}],
    )["taskDefinition"]["taskDefinitionArn"]  # fmt: skip
    name = f"cl-svc-{uuid.uuid4().hex[:8]}"
    ecs.create_service(serviceName=name, taskDefinition=td, desiredCount=TASKS, launchType="FARGATE", networkConfiguration=AWSVPC)
    return name


def running(node: NetnsNode | Any, service: str, client: Any | None = None) -> int:
    """How many of the service's tasks are RUNNING (ListTasks + DescribeTasks)."""
    ecs = client or node.client("ecs", config=CLIENT_CONFIG)
    arns = ecs.list_tasks(serviceName=service, desiredStatus="RUNNING")["taskArns"]
    tasks = ecs.describe_tasks(tasks=arns)["tasks"] if arns else []
    return sum(1 for t in tasks if t.get("lastStatus") == "RUNNING")


def watcher(live: Live, clients: Clients, history: History, service: str, pace: float) -> None:
    """Sample the running count through a live node; ok when it is the desired count."""
    n = 0
    while not live.stop.is_set():
        i = live.pick(n % len(live.nodes))
        n += 1
        t0 = time.monotonic()
        try:
            count = running(None, service, clients.get(i, "ecs"))
            history.add(Op("ecs.running", i, str(n), t0, time.monotonic(), count == TASKS, str(count)))
        except Exception as exc:  # noqa: BLE001 - a node dying
            history.add(Op("ecs.running", i, str(n), t0, time.monotonic(), False, type(exc).__name__))
        live.stop.wait(pace)  # real time: the watcher's pace
