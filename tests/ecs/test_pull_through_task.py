"""An ECS task whose image names a pull through cache repository of gureum's registry: the
task's pull makes the registry fetch the image from the rule's upstream (Debian's
docker-registry on loopback), cache it in a repository the cache creates, and the task runs it."""

from __future__ import annotations

import shutil
import subprocess
import urllib.request
import uuid
from collections.abc import Iterator

import pytest
from harness import free_port
from waiting import wait_for

from .images import build_image, containers_skip_reason, push
from .test_api import AWSVPC, uniq, wait_status

pytestmark = [
    pytest.mark.xdist_group("ecs-containers"),
    pytest.mark.skipif(containers_skip_reason() is not None or shutil.which("docker-registry") is None,
                       reason="needs containers and docker-registry"),
]


@pytest.fixture(scope="module")
def upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    work = tmp_path_factory.mktemp("ptc-upstream")
    port = free_port()
    cfg = work / "registry.yml"
    cfg.write_text(f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {work / 'data'}\n"
                   f"http:\n  addr: 127.0.0.1:{port}\n")
    proc = subprocess.Popen(["docker-registry", "serve", str(cfg)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def up() -> bool:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1).close()
        except OSError:
            return False
        return True

    try:
        wait_for("the upstream registry", up, timeout=20, interval=0.05)
        layout = build_image(work / "layout", "v1")
        push(layout, "v1", f"127.0.0.1:{port}/tools/busybox:v1")
        yield f"127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait()


def test_a_task_runs_an_image_pulled_through_the_cache(gureum, ecs, upstream):
    ecr = gureum.client("ecr")
    prefix = "hub" + uuid.uuid4().hex[:6]
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix=prefix, upstreamRegistryUrl=upstream)
    image = f"127.0.0.1:{gureum.port}/{prefix}/tools/busybox:v1"
    td = ecs.register_task_definition(
        family=uniq("ptc"), networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
        containerDefinitions=[{"name": "app", "image": image, "command": ["sh", "-c", "test -f /var/www/index.html"], "essential": True}],
    )["taskDefinition"]["taskDefinitionArn"]
    arn = ecs.run_task(taskDefinition=td, launchType="FARGATE", networkConfiguration=AWSVPC)["tasks"][0]["taskArn"]
    task = wait_status(ecs, arn, "STOPPED", timeout=120)
    c = task["containers"][0]
    assert c.get("exitCode") == 0, task
    cached = ecr.describe_images(repositoryName=f"{prefix}/tools/busybox")["imageDetails"]
    assert [i["imageDigest"] for i in cached] == [c["imageDigest"]] and cached[0]["imageTags"] == ["v1"]
