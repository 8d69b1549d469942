"""Fargate tasks run as real containers (runc) from an image pushed to gureum's own ECR:
lifecycle, networking, exit codes, OOM, stop signals, logs, image config merging."""

from __future__ import annotations

import os
import shutil
import urllib.request

import pytest
from waiting import wait_for

from gureum.sandbox import cgroups
from gureum.sandbox import network as net

from .images import build_image, containers_skip_reason, push
from .test_api import AWSVPC, uniq, wait_status

pytestmark = [
    pytest.mark.skipif(containers_skip_reason() is not None, reason=str(containers_skip_reason())),
    pytest.mark.xdist_group("ecs-containers"),
]

LIFECYCLE = ["PROVISIONING", "PENDING", "ACTIVATING", "RUNNING", "DEACTIVATING", "STOPPING", "DEPROVISIONING", "STOPPED"]


def register(ecs, image: str, containers: list[dict], **kw) -> str:
    for c in containers:
        c.setdefault("image", image)
    args = {"family": uniq("t"), "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512", "containerDefinitions": containers}
    args.update(kw)
    return ecs.register_task_definition(**args)["taskDefinition"]["taskDefinitionArn"]


def run(ecs, td: str, **kw) -> str:
    return ecs.run_task(taskDefinition=td, launchType="FARGATE", networkConfiguration=AWSVPC, **kw)["tasks"][0]["taskArn"]


def watch(ecs, arn: str, until: str, timeout: float = 60.0) -> tuple[dict, list[str]]:
    """Poll DescribeTasks until lastStatus is `until`; the distinct statuses seen, in order."""
    seen: list[str] = []

    def reached() -> dict | None:
        task = ecs.describe_tasks(tasks=[arn])["tasks"][0]
        if not seen or seen[-1] != task["lastStatus"]:
            seen.append(task["lastStatus"])
        if task["lastStatus"] == until:
            return task
        if task["lastStatus"] == "STOPPED":
            raise AssertionError(f"task stopped while waiting for {until}: {task.get('stoppedReason')} {task['containers']}")
        return None

    try:
        return wait_for(f"task {arn} {until}", reached, timeout, interval=0.02), seen
    except AssertionError as e:
        raise AssertionError(f"{e}; saw {seen}") from None


def fetch(url: str, timeout: float = 10.0) -> bytes:
    """The body at `url`, once it answers (connection refused or reset meanwhile: retried)."""

    def get() -> bytes | None:
        try:
            with urllib.request.urlopen(url, timeout=3) as resp:
                return resp.read()
        except OSError:
            return None

    return wait_for(f"{url} to answer", get, timeout, interval=0.05)


HTTPD = ["httpd", "-f", "-p", "8080", "-h", "/var/www"]


def test_httpd_task_serves_on_its_address_and_published_port_then_stops(ecs, image):
    td = register(ecs, image, [{"name": "web", "command": HTTPD, "portMappings": [{"containerPort": 8080}], "stopTimeout": 2}])
    arn = run(ecs, td)
    task, seen = watch(ecs, arn, "RUNNING")
    assert seen == [s for s in LIFECYCLE if s in seen], seen  # never backwards
    assert task["desiredStatus"] == "RUNNING" and "startedAt" in task and "pullStoppedAt" in task
    eni = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
    assert task["attachments"][0]["status"] == "ATTACHED"
    assert eni["subnetId"] == "subnet-0123456789abcdef0" and eni["networkInterfaceId"].startswith("eni-")
    ip = eni["privateIPv4Address"]
    assert ip.startswith("10.213.")
    c = task["containers"][0]
    assert c["lastStatus"] == "RUNNING" and c["imageDigest"].startswith("sha256:")
    assert c["networkInterfaces"][0]["privateIpv4Address"] == ip
    binding = c["networkBindings"][0]
    assert binding["containerPort"] == 8080 and binding["bindIP"] == "127.0.0.1"
    assert fetch(f"http://{ip}:8080/index.html") == b"hello from gureum\n"
    assert fetch(f"http://127.0.0.1:{binding['hostPort']}/index.html") == b"hello from gureum\n"
    assert arn in ecs.list_tasks()["taskArns"]

    stopped = ecs.stop_task(task=arn, reason="done here")["task"]
    assert stopped["desiredStatus"] == "STOPPED"
    task, seen = watch(ecs, arn, "STOPPED")
    assert task["stoppedReason"] == "done here" and task["stopCode"] == "UserInitiated"
    assert task["containers"][0]["exitCode"] == 137  # httpd as PID 1 ignores SIGTERM: killed after stopTimeout
    assert task["attachments"][0]["status"] == "DELETED"
    for key in ("stoppingAt", "executionStoppedAt", "stoppedAt"):
        assert key in task
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{binding['hostPort']}/index.html", timeout=2)


def test_essential_container_exit_stops_the_task_with_its_exit_code(ecs, image):
    td = register(
        ecs,
        image,
        [
            {"name": "main", "command": ["sh", "-c", "sleep 1.5; exit 3"]},
            {"name": "side", "essential": False, "command": ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"]},
        ],
    )
    task = wait_status(ecs, run(ecs, td), "STOPPED")
    assert task["stopCode"] == "EssentialContainerExited"
    assert task["stoppedReason"] == "Essential container in task exited"
    codes = {c["name"]: c.get("exitCode") for c in task["containers"]}
    assert codes == {"main": 3, "side": 0}  # the sidecar got SIGTERM and exited cleanly
    # the stopped task leaves no cgroup behind in any hierarchy: not gureum's memory/cpu/pids
    # groups, nor those the OCI runtime made for its containers (devices, freezer, blkio...)
    task_id = task["taskArn"].rsplit("/", 1)[1]
    assert [str(p) for h in cgroups.hierarchies() for p in h.glob(f"**/gureum-ecs/*/{task_id}")] == []


def test_non_essential_exit_keeps_the_task_running_and_containers_share_localhost(ecs, image):
    probe = "for i in $(seq 100); do wget -qO- http://localhost:8080/index.html && exit 0; sleep 0.1; done; exit 1"
    td = register(
        ecs,
        image,
        [
            {"name": "web", "command": HTTPD, "stopTimeout": 2},
            {"name": "probe", "essential": False, "command": ["sh", "-c", probe], "dependsOn": [{"containerName": "web", "condition": "START"}]},
        ],
    )
    arn = run(ecs, td)
    task = wait_for("the probe container stopped", lambda: container_stopped(ecs, arn, "probe"), timeout=30, interval=0.05)
    probe_c = next(c for c in task["containers"] if c["name"] == "probe")
    assert probe_c.get("exitCode") == 0
    assert task["lastStatus"] == "RUNNING"
    ecs.stop_task(task=arn)
    wait_status(ecs, arn, "STOPPED")


def test_memory_hog_is_oom_killed_with_137_and_aws_reason(ecs, image):
    hog = "x=aaaaaaaaaaaaaaaa; while true; do x=$x$x; done"
    td = register(ecs, image, [{"name": "hog", "command": ["sh", "-c", hog], "memory": 32}])
    task = wait_status(ecs, run(ecs, td), "STOPPED")
    c = task["containers"][0]
    assert c["exitCode"] == 137
    assert c["reason"] == "OutOfMemoryError: Container killed due to memory usage"
    assert task["stoppedReason"] == "Essential container in task exited"


def test_stop_task_sends_sigterm_first(ecs, image):
    marker = uniq("trap")
    script = f"trap 'exit 42' TERM; : {marker}; while true; do sleep 0.1; done"
    td = register(ecs, image, [{"name": "app", "command": ["sh", "-c", script], "stopTimeout": 10}])
    arn = run(ecs, td)
    watch(ecs, arn, "RUNNING")
    # RUNNING means started, not that the shell has installed its trap: wait for its loop
    wait_for("the container's shell in its loop (its trap installed)", lambda: shell_loop_running(marker), timeout=30, interval=0.05)
    ecs.stop_task(task=arn)
    task = wait_status(ecs, arn, "STOPPED")
    assert task["containers"][0]["exitCode"] == 42
    assert task["stoppedReason"] == "Task stopped by user"


def test_missing_executable_fails_to_start(ecs, image):
    td = register(ecs, image, [{"name": "app", "command": ["/no/such/binary"]}])
    task = wait_status(ecs, run(ecs, td), "STOPPED")
    assert task["stopCode"] == "TaskFailedToStart"
    assert task["stoppedReason"].startswith("CannotStartContainerError:")
    assert "/no/such/binary" in task["stoppedReason"]


def test_unknown_tag_fails_to_pull(ecs, gureum, image):
    td = register(ecs, image, [{"name": "app", "image": image.rsplit(":", 1)[0] + ":nope"}])
    task = wait_status(ecs, run(ecs, td), "STOPPED")
    assert task["stopCode"] == "TaskFailedToStart"
    assert task["stoppedReason"].startswith("CannotPullContainerError:")


def test_image_config_is_merged_with_the_container_definition_and_logs_reach_cloudwatch(ecs, gureum, image):
    group = "/ecs/" + uniq("merge")
    script = 'echo "foo=$FOO bar=$BAR pwd=$(pwd) uid=$(id -u) args=$*"'
    td = register(
        ecs,
        image,
        [
            {
                "name": "app",
                "entryPoint": ["sh", "-c", script, "sh"],
                "command": ["one", "two"],
                "environment": [{"name": "BAR", "value": "from-def"}],
                "user": "nobody",
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {"awslogs-group": group, "awslogs-region": "us-east-1", "awslogs-stream-prefix": "ecs", "awslogs-create-group": "true"},
                },
            }
        ],
    )
    arn = run(ecs, td)
    task = wait_status(ecs, arn, "STOPPED")
    assert task["containers"][0]["exitCode"] == 0
    stream = f"ecs/app/{arn.rsplit('/', 1)[-1]}"
    messages = read_log(gureum, group, stream, timeout=10)
    assert messages == ["foo=from-image bar=from-def pwd=/var/www uid=65534 args=one two"]


def test_overrides_replace_the_command(ecs, image):
    td = register(ecs, image, [{"name": "app", "command": ["sh", "-c", "exit 1"]}])
    arn = run(ecs, td, overrides={"containerOverrides": [{"name": "app", "command": ["sh", "-c", "exit 7"]}]})
    task = wait_status(ecs, arn, "STOPPED")
    assert task["containers"][0]["exitCode"] == 7
    assert task["overrides"]["containerOverrides"][0]["command"] == ["sh", "-c", "exit 7"]


def test_fork_bomb_is_contained_and_the_host_keeps_working(ecs, image):
    bomb = "b() { b | b & }; b; sleep 2; exit 9"
    td = register(ecs, image, [{"name": "bomb", "command": ["sh", "-c", bomb], "stopTimeout": 2}])
    before = host_processes()
    arn = run(ecs, td)
    wait_for("the fork bomb forking (200 processes more than before)", lambda: host_processes() - before > 200, timeout=60, interval=0.05)
    # the task's pids limit (ecs.task_pids_max, 4096) holds, and the host still forks fine
    assert host_processes() - before < 4096 + 300
    assert os.system("true") == 0
    ecs.stop_task(task=arn)
    task = wait_status(ecs, arn, "STOPPED", timeout=60)
    assert task["lastStatus"] == "STOPPED"
    wait_for("every process of the bomb gone", lambda: host_processes() - before <= 200, timeout=20)


def host_processes() -> int:
    return sum(1 for p in os.listdir("/proc") if p.isdigit())


def shell_loop_running(marker: str) -> bool:
    """Has the shell whose script holds `marker` started a `sleep` child (seen from the host's
    /proc, containers' processes included), so that it has run past everything before its loop?"""
    shells: set[str] = set()
    parents: dict[str, str] = {}
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            argv = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
            ppid = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1]
        except OSError:
            continue  # exited meanwhile
        if any(marker.encode() in a for a in argv[1:]):
            shells.add(pid)
        elif argv and argv[0].rsplit(b"/", 1)[-1] == b"sleep":
            parents[pid] = ppid
    return any(ppid in shells for ppid in parents.values())


def test_a_count_of_tasks_get_distinct_addresses(ecs, image):
    td = register(ecs, image, [{"name": "web", "command": HTTPD, "stopTimeout": 2}])
    # more than the warm task networks (2): the others are made together on demand
    tasks = ecs.run_task(taskDefinition=td, launchType="FARGATE", networkConfiguration=AWSVPC, count=5)["tasks"]
    ips = []
    for t in tasks:
        task, _ = watch(ecs, t["taskArn"], "RUNNING")
        ips.append(task["containers"][0]["networkInterfaces"][0]["privateIpv4Address"])
    assert len(set(ips)) == 5
    for ip in ips:
        assert fetch(f"http://{ip}:8080/index.html") == b"hello from gureum\n"
    for t in tasks:
        ecs.stop_task(task=t["taskArn"])
    for t in tasks:
        wait_status(ecs, t["taskArn"], "STOPPED")





def read_log(gureum, group: str, stream: str, timeout: float = 15.0) -> list[str]:
    """The messages of a log stream, once it has any."""
    logs = gureum.client("logs")

    def messages() -> list[str]:
        try:
            events = logs.get_log_events(logGroupName=group, logStreamName=stream)["events"]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        return [e["message"] for e in events]

    return wait_for(f"log events in {group}/{stream}", messages, timeout, interval=0.1)


def container_stopped(ecs, arn: str, name: str) -> dict | None:
    """The task, once its container `name` has stopped."""
    task = ecs.describe_tasks(tasks=[arn])["tasks"][0]
    return task if next(c for c in task["containers"] if c["name"] == name)["lastStatus"] == "STOPPED" else None


def test_metadata_v4_and_task_role_credentials_inside_the_task(ecs, gureum, image):
    import json

    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    role = gureum.client("iam").create_role(RoleName=uniq("task-role"), AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    group = "/ecs/" + uniq("meta")
    script = 'wget -qO- "$ECS_CONTAINER_METADATA_URI_V4/task"; echo; wget -qO- "$AWS_CONTAINER_CREDENTIALS_FULL_URI"; echo'
    td = register(
        ecs,
        image,
        [
            {
                "name": "app",
                "command": ["sh", "-c", script],
                "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": group, "awslogs-region": "us-east-1", "awslogs-stream-prefix": "m", "awslogs-create-group": "true"}},
            }
        ],
        taskRoleArn=role["Arn"],
    )
    arn = run(ecs, td)
    task = wait_status(ecs, arn, "STOPPED")
    assert task["containers"][0]["exitCode"] == 0, task
    lines = read_log(gureum, group, f"m/app/{arn.rsplit('/', 1)[-1]}")
    assert len(lines) == 2, lines
    meta = json.loads(lines[0])
    assert meta["TaskARN"] == arn and meta["LaunchType"] == "FARGATE"
    assert meta["Limits"] == {"CPU": 0.25, "Memory": 512}
    assert meta["Containers"][0]["Name"] == "app"
    ip = task["containers"][0]["networkInterfaces"][0]["privateIpv4Address"]
    assert meta["Containers"][0]["Networks"][0]["IPv4Addresses"] == [ip]
    creds = json.loads(lines[1])
    assert creds["RoleArn"] == role["Arn"] and creds["AccessKeyId"] and creds["Token"]
    who = gureum.client("sts", aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["Token"]).get_caller_identity()
    assert who["Arn"].startswith(f"arn:aws:sts::000000000000:assumed-role/{role['RoleName']}/")


def test_tasks_of_a_killed_gureum_are_stopped_and_cleaned_up_on_restart(fresh_gureum, tmp_path):
    import subprocess

    g = fresh_gureum
    g.client("ecs").list_clusters()  # the ECS agent idles until ECS is called
    g.wait_service("ecs", "running")
    layout = build_image(tmp_path / "layout", "v1")
    g.client("ecr").create_repository(repositoryName="restart")
    uri = f"127.0.0.1:{g.port}/restart:v1"
    push(layout, "v1", uri)
    ecs = g.client("ecs")
    td = register(ecs, uri, [{"name": "web", "command": HTTPD}])
    arn = run(ecs, td)
    task, _ = watch(ecs, arn, "RUNNING")
    ip = task["containers"][0]["networkInterfaces"][0]["privateIpv4Address"]
    netns = (net.LEASES / ip).read_text().split()[1]  # the namespace holding the task's address
    assert netns in subprocess.run(["ip", "netns", "list"], check=False, capture_output=True, text=True).stdout
    g.kill9()
    g.start()
    g.client("ecs").list_clusters()  # the ECS agent idles until ECS is called
    g.wait_service("ecs", "running")
    ecs = g.client("ecs")
    task = wait_status(ecs, arn, "STOPPED")
    assert task["desiredStatus"] == "STOPPED" and task["stopCode"] == "TerminationNotice"
    for runtime in ("runc", "crun"):  # no container left under either OCI runtime's state root (ecs.oci_runtime)
        root = g.data_dir / "ecs" / runtime
        if root.is_dir() and shutil.which(runtime):
            assert subprocess.run([runtime, "--root", str(root), "list", "-q"], check=True, capture_output=True, text=True).stdout.strip() == ""
    assert netns not in subprocess.run(["ip", "netns", "list"], check=False, capture_output=True, text=True).stdout
    assert not (net.LEASES / ip).exists() or (net.LEASES / ip).read_text().split()[1] != netns


def test_awslogs_without_create_group_needs_an_existing_group(ecs, gureum, image):
    group = "/ecs/" + uniq("nogroup")
    lc = {"logDriver": "awslogs", "options": {"awslogs-group": group, "awslogs-region": "us-east-1", "awslogs-stream-prefix": "p"}}
    td = register(ecs, image, [{"name": "app", "command": ["sh", "-c", "echo hi"], "logConfiguration": lc}])
    task = wait_status(ecs, run(ecs, td), "STOPPED")
    assert task["stopCode"] == "TaskFailedToStart"
    assert task["stoppedReason"].startswith("ResourceInitializationError: failed to validate logger args:")
    assert "The specified log group does not exist." in task["stoppedReason"]
    gureum.client("logs").create_log_group(logGroupName=group)
    arn = run(ecs, td)
    task = wait_status(ecs, arn, "STOPPED")
    assert task["containers"][0]["exitCode"] == 0
    assert read_log(gureum, group, f"p/app/{arn.rsplit('/', 1)[-1]}") == ["hi"]


def test_health_checks_mark_containers_healthy_and_gate_depends_on(ecs, image):
    td = register(
        ecs,
        image,
        [
            {
                "name": "web",
                "command": ["sh", "-c", "touch /tmp/ok; exec httpd -f -p 8080 -h /var/www"],
                "healthCheck": {"command": ["CMD-SHELL", "test -f /tmp/ok && wget -qO- http://localhost:8080/ >/dev/null"], "interval": 5, "timeout": 2, "retries": 1},
                "stopTimeout": 2,
            },
            {
                "name": "after",
                "essential": False,
                "command": ["sh", "-c", "wget -qO- http://localhost:8080/index.html"],
                "dependsOn": [{"containerName": "web", "condition": "HEALTHY"}],
            },
        ],
    )
    arn = run(ecs, td)
    task = wait_for("the container `after` stopped", lambda: container_stopped(ecs, arn, "after"), timeout=40)
    after = next(c for c in task["containers"] if c["name"] == "after")
    assert task["lastStatus"] == "RUNNING"
    web = next(c for c in task["containers"] if c["name"] == "web")
    assert web["healthStatus"] == "HEALTHY" and task["healthStatus"] == "HEALTHY"
    assert after.get("exitCode") == 0  # started only once web was healthy, reached it on localhost
    ecs.stop_task(task=arn)
    wait_status(ecs, arn, "STOPPED")


def test_images_are_pulled_from_the_task_accounts_registry(gureum, ecs, tmp_path):
    """A repository in another account's ECR: that account's tasks pull it (gureum hands the
    task an ECR token for its own account); the default account's tasks cannot see it."""
    import base64

    from .images import push_with_auth

    other = "111111111111"
    ecr = gureum.client("ecr", aws_access_key_id=other)
    repo = uniq("acct")
    ecr.create_repository(repositoryName=repo)
    token = ecr.get_authorization_token()["authorizationData"][0]["authorizationToken"]
    password = base64.b64decode(token).decode().split(":", 1)[1]
    layout = build_image(tmp_path / "layout", "v1")
    uri = f"127.0.0.1:{gureum.port}/{repo}:v1"
    push_with_auth(layout, "v1", f"127.0.0.1:{gureum.port}", repo, password)

    theirs = gureum.client("ecs", aws_access_key_id=other)
    td = register(theirs, uri, [{"name": "app", "command": ["sh", "-c", "exit 0"]}])
    arn = theirs.run_task(taskDefinition=td, launchType="FARGATE", networkConfiguration=AWSVPC)["tasks"][0]["taskArn"]
    assert arn.startswith(f"arn:aws:ecs:us-east-1:{other}:task/")
    task = wait_status(theirs, arn, "STOPPED")
    assert task["containers"][0].get("exitCode") == 0, task.get("stoppedReason")

    td = register(ecs, uri, [{"name": "app", "command": ["sh", "-c", "exit 0"]}])
    task = wait_status(ecs, run(ecs, td), "STOPPED")
    assert task["stopCode"] == "TaskFailedToStart" and task["stoppedReason"].startswith("CannotPullContainerError:")
