"""`gureum agent`: more machines joining one cloud through a shared PostgreSQL store. An agent
registers itself as a container instance, runs the EC2 tasks placed on it and claims Fargate
tasks, follows stop requests made through another node, and, when it stops beating, is marked
disconnected with its Fargate tasks stopped; it serves no AWS API itself."""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from harness import AgentProcess, GureumProcess
from waiting import wait_for

from .images import build_image, containers_skip_reason, push
from .test_api import AWSVPC, uniq, wait_status
from .test_tasks import HTTPD, fetch

pytestmark = [
    pytest.mark.xdist_group("ecs-agents"),
    pytest.mark.skipif(containers_skip_reason() is not None, reason=str(containers_skip_reason())),
]

AGENT_NET = ["--set", "ecs.bridge=gureum8", "--set", "ecs.subnet=10.218.0.0/16"]
FAST = ["--set", "ecs.heartbeat_interval=0.5", "--set", "ecs.node_timeout=5", "--set", "ecs.follow_interval=0.1"]


@pytest.fixture(scope="module")
def cloud(pg_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GureumProcess, AgentProcess, str]]:
    """An API node that runs no tasks itself, an agent in cluster "remote", and an image."""
    base = tmp_path_factory.mktemp("agents")
    api = GureumProcess(base / "api", extra_args=["--state", pg_database, "--set", "ecs.run_tasks=false", *FAST])
    api.start()
    agent = AgentProcess(base / "agent", pg_database, api, extra_args=["--cluster", "remote", *AGENT_NET, *FAST])
    try:
        api.client("ecs").create_cluster(clusterName="remote")
        agent.start()
        layout = base / "layout"
        build_image(layout, "v1", workdir="/var/www")
        repo = uniq("agent-img")
        api.client("ecr").create_repository(repositoryName=repo)
        uri = f"127.0.0.1:{api.port}/{repo}:v1"
        push(layout, "v1", uri)
        yield api, agent, uri
    finally:
        agent.stop()
        api.stop()


def remote_instance(ecs, connected: bool = True, timeout: float = 20.0) -> dict:
    def found() -> dict | None:
        arns = ecs.list_container_instances(cluster="remote")["containerInstanceArns"]
        if arns:
            inst = ecs.describe_container_instances(cluster="remote", containerInstances=arns)["containerInstances"][0]
            if inst["agentConnected"] == connected:
                return inst
        return None

    return wait_for(f"a remote instance with agentConnected={connected}", found, timeout, interval=0.1)


def web_td(ecs, image: str, compat: str) -> str:
    return ecs.register_task_definition(
        family=uniq("agent"),
        networkMode="awsvpc",
        requiresCompatibilities=[compat],
        cpu="256",
        memory="512",
        containerDefinitions=[{"name": "web", "image": image, "command": HTTPD, "portMappings": [{"containerPort": 8080}], "stopTimeout": 2}],
    )["taskDefinition"]["taskDefinitionArn"]


def task_ip(task: dict) -> str:
    return next(d["value"] for d in task["attachments"][0]["details"] if d["name"] == "privateIPv4Address")


def test_agent_registers_itself_and_serves_no_api(cloud) -> None:
    api, agent, _ = cloud
    inst = remote_instance(api.client("ecs"))
    assert inst["status"] == "ACTIVE" and inst["ec2InstanceId"].startswith("i-")
    cpu = next(r["integerValue"] for r in inst["registeredResources"] if r["name"] == "CPU")
    assert cpu == (os.cpu_count() or 1) * 1024
    health = agent.health()
    assert health["role"] == "agent" and health["endpoints"]["aws"] == api.endpoint
    assert health["services"]["ecs"]["state"] == "running"
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(f"http://127.0.0.1:{agent.port}/?Action=ListClusters", timeout=5)
    assert e.value.code == 421 and api.endpoint in e.value.read().decode()


def test_ec2_task_placed_on_the_agent_runs_there_and_stops_through_the_api(cloud) -> None:
    api, _, image = cloud
    ecs = api.client("ecs")
    inst = remote_instance(ecs)
    td = web_td(ecs, image, "EC2")
    arn = ecs.run_task(cluster="remote", taskDefinition=td, launchType="EC2", networkConfiguration=AWSVPC)["tasks"][0]["taskArn"]
    task = wait_status(ecs, arn, "RUNNING", cluster="remote")
    assert task["containerInstanceArn"] == inst["containerInstanceArn"]
    ip = task_ip(task)
    assert ip.startswith("10.218."), ip  # the agent's task network, not the API node's
    assert fetch(f"http://{ip}:8080/index.html") == b"hello from gureum\n"
    ecs.stop_task(cluster="remote", task=arn, reason="through the api")
    task = wait_status(ecs, arn, "STOPPED", cluster="remote", timeout=30)
    assert task["stoppedReason"] == "through the api" and task["stopCode"] == "UserInitiated"


def test_fargate_task_claimed_by_the_agent_and_stopped_when_the_agent_is_lost(cloud) -> None:
    api, agent, image = cloud
    ecs = api.client("ecs")
    td = web_td(ecs, image, "FARGATE")
    arn = ecs.run_task(cluster="remote", taskDefinition=td, launchType="FARGATE", networkConfiguration=AWSVPC)["tasks"][0]["taskArn"]
    task = wait_status(ecs, arn, "RUNNING", cluster="remote")
    ip = task_ip(task)
    assert ip.startswith("10.218."), ip  # the API node runs no tasks: the agent claimed it
    assert fetch(f"http://{ip}:8080/index.html") == b"hello from gureum\n"

    agent.kill9()
    try:
        task = wait_status(ecs, arn, "STOPPED", cluster="remote", timeout=20)
        assert task["stopCode"] == "TerminationNotice"
        assert task["stoppedReason"].startswith("Host EC2 (instance i-") and task["stoppedReason"].endswith(") stopped/terminated.")
        assert remote_instance(ecs, connected=False)["status"] == "ACTIVE"
    finally:
        agent.start()
    assert remote_instance(ecs, connected=True)
    # the restarted agent killed what it left behind
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://{ip}:8080/index.html", timeout=2)


def test_environment_files_reach_a_task_on_the_agent(cloud) -> None:
    """The S3 bodies live with the API node: the agent reads the file over S3's API."""
    from .test_tasks import read_log

    api, _, image = cloud
    ecs = api.client("ecs")
    s3 = api.client("s3")
    bucket = uniq("agent-env")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="app.env", Body=b"GREETING=from-s3\n")
    group = uniq("/ecs/agent-env")
    td = ecs.register_task_definition(
        family=uniq("agent-env"),
        networkMode="awsvpc",
        requiresCompatibilities=["EC2"],
        cpu="256",
        memory="512",
        containerDefinitions=[
            {
                "name": "app",
                "image": image,
                "command": ["sh", "-c", "echo GREETING=$GREETING"],
                "environmentFiles": [{"value": f"arn:aws:s3:::{bucket}/app.env", "type": "s3"}],
                "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": group, "awslogs-region": "us-east-1", "awslogs-create-group": "true", "awslogs-stream-prefix": "ecs"}},
            }
        ],
    )["taskDefinition"]["taskDefinitionArn"]
    arn = ecs.run_task(cluster="remote", taskDefinition=td, launchType="EC2", networkConfiguration=AWSVPC)["tasks"][0]["taskArn"]
    task = wait_status(ecs, arn, "STOPPED", cluster="remote", timeout=30)
    assert task["containers"][0].get("exitCode") == 0, task
    assert read_log(api, group, f"ecs/app/{arn.rsplit('/', 1)[-1]}") == ["GREETING=from-s3"]
