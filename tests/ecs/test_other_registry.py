"""Images from registries other than gureum's ECR: Debian's docker-registry (distribution)
started here, anonymous, and with basic authentication whose credentials the container
instance holds (ECS_ENGINE_AUTH_TYPE / ECS_ENGINE_AUTH_DATA, for EC2 tasks, as in ECS)."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from harness import GureumProcess, free_port
from waiting import wait_for

from .images import build_image, containers_skip_reason, run
from .test_api import AWSVPC, uniq, wait_status

pytestmark = [
    pytest.mark.xdist_group("other-registry"),
    pytest.mark.skipif(containers_skip_reason() is not None or shutil.which("docker-registry") is None, reason="needs containers and docker-registry"),
]
USER, PASSWORD = "alice", "s3cret"


def start_registry(work: Path, htpasswd: Path | None) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    auth = f"auth:\n  htpasswd:\n    realm: gureum-test\n    path: {htpasswd}\n" if htpasswd else ""
    cfg = work / f"registry-{port}.yml"
    cfg.write_text(
        f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {work / str(port)}\nhttp:\n  addr: 127.0.0.1:{port}\n{auth}"
    )
    proc = subprocess.Popen(["docker-registry", "serve", str(cfg)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def up() -> bool:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1).close()
        except urllib.error.HTTPError:
            pass  # 401: up, wants credentials
        except OSError:
            return False
        return True

    try:
        wait_for(f"the registry on port {port}", up, timeout=20, interval=0.05)
    except AssertionError:
        proc.kill()
        raise
    return proc, port


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GureumProcess, str, str]]:
    import warnings

    work = tmp_path_factory.mktemp("registries")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt as c

        line = f"{USER}:{c.crypt(PASSWORD, c.mksalt(c.METHOD_BLOWFISH))}\n"
    (work / "htpasswd").write_text(line)
    open_reg, open_port = start_registry(work, None)
    private_reg, private_port = start_registry(work, work / "htpasswd")
    auth = json.dumps({f"127.0.0.1:{private_port}": {"username": USER, "password": PASSWORD}})
    g = GureumProcess(work / "gureum", extra_args=["--set", "ecs.engine_auth_type=docker", "--set", f"ecs.engine_auth_data={auth}"])
    try:
        layout = build_image(work / "layout", "v1")
        run("skopeo", "copy", "--dest-tls-verify=false", f"oci:{layout}:v1", f"docker://127.0.0.1:{open_port}/tools/busybox:v1")
        run("skopeo", "copy", "--dest-tls-verify=false", "--dest-creds", f"{USER}:{PASSWORD}", f"oci:{layout}:v1", f"docker://127.0.0.1:{private_port}/team/busybox:v1")
        g.start()
        g.client("ecs").list_clusters()  # the ECS agent idles until ECS is called
        g.wait_service("ecs", "running")
        yield g, f"127.0.0.1:{open_port}/tools/busybox:v1", f"127.0.0.1:{private_port}/team/busybox:v1"
    finally:
        g.stop()
        for p in (open_reg, private_reg):
            p.terminate()
            p.wait(10)


def one_shot(ecs, image: str, compat: str) -> str:
    args = {"networkMode": "awsvpc", "cpu": "256", "memory": "512"} if compat == "FARGATE" else {}
    return ecs.register_task_definition(
        family=uniq("reg"),
        requiresCompatibilities=[compat],
        containerDefinitions=[{"name": "app", "image": image, "command": ["sh", "-c", "test -f /var/www/index.html"], "memory": 128, "essential": True}],
        **args,
    )["taskDefinition"]["taskDefinitionArn"]


def test_a_fargate_task_pulls_from_an_anonymous_registry(setup) -> None:
    g, open_image, _ = setup
    ecs = g.client("ecs")
    arn = ecs.run_task(taskDefinition=one_shot(ecs, open_image, "FARGATE"), launchType="FARGATE", networkConfiguration=AWSVPC)["tasks"][0]["taskArn"]
    task = wait_status(ecs, arn, "STOPPED", timeout=60)
    c = task["containers"][0]
    assert c.get("exitCode") == 0 and c["imageDigest"].startswith("sha256:"), task
    assert task["stopCode"] == "EssentialContainerExited"


def test_an_ec2_task_pulls_with_the_instance_credentials_and_fargate_gets_none(setup) -> None:
    g, _, private_image = setup
    ecs = g.client("ecs")
    arn = ecs.run_task(taskDefinition=one_shot(ecs, private_image, "EC2"), launchType="EC2")["tasks"][0]["taskArn"]
    task = wait_status(ecs, arn, "STOPPED", timeout=60)
    assert task["containers"][0].get("exitCode") == 0, task

    arn = ecs.run_task(taskDefinition=one_shot(ecs, private_image, "FARGATE"), launchType="FARGATE", networkConfiguration=AWSVPC)["tasks"][0]["taskArn"]
    task = wait_status(ecs, arn, "STOPPED", timeout=60)
    assert task["stopCode"] == "TaskFailedToStart"
    assert "CannotPullContainerError" in task["stoppedReason"] and "denied" in task["stoppedReason"], task["stoppedReason"]
