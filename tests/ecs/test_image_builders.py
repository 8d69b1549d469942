"""Images as the common tools write them run as ECS tasks and as Lambda image functions:
`umoci insert` (layers without end-of-archive blocks), `podman build`, `docker build`, and
archives converted by `skopeo copy docker-archive:` / `oci-archive:`. Each image holds
busybox, a static Runtime API bootstrap and /hello.txt; the task checks the file, the
function answers an invocation."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from ecr.test_clients import docker, podman  # noqa: F401 - fixtures: a private dockerd, podman with its own storage
from waiting import wait_for

from .images import BUSYBOX, build_image, containers_skip_reason, push, run
from .test_api import uniq, wait_status
from .test_tasks import register
from .test_tasks import run as run_task

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lambda_"))
from test_image_functions import BOOTSTRAP  # noqa: E402 - the C bootstrap the Lambda image tests use

pytestmark = [
    pytest.mark.skipif(containers_skip_reason() is not None, reason=str(containers_skip_reason())),
    pytest.mark.xdist_group("ecs-containers"),
]

HELLO = "hello from a layer\n"
CHECK = f'test "$(cat /hello.txt)" = "{HELLO.strip()}"'


@pytest.fixture(scope="module")
def bootstrap(tmp_path_factory) -> Path:
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        pytest.skip("no C compiler (apt-get install gcc)")
    tmp = tmp_path_factory.mktemp("bootstrap")
    (tmp / "bootstrap.c").write_text(BOOTSTRAP)
    proc = subprocess.run([cc, "-O2", "-static", "-o", str(tmp / "bootstrap"), str(tmp / "bootstrap.c")], capture_output=True, text=True, timeout=300, check=False)
    if proc.returncode != 0:
        pytest.skip(f"gcc -static failed: {proc.stderr[-500:]}")
    return tmp / "bootstrap"


@pytest.fixture(scope="module")
def context(tmp_path_factory, bootstrap) -> Path:
    """A build context holding the whole root file system (for `FROM scratch` + `COPY`)."""
    ctx = tmp_path_factory.mktemp("ctx")
    root = ctx / "rootfs"
    (root / "bin").mkdir(parents=True)
    (root / "tmp").mkdir()
    shutil.copy2(BUSYBOX, root / "bin" / "busybox")
    for applet in ("sh", "cat", "test", "echo"):
        os.symlink("busybox", root / "bin" / applet)
    shutil.copy2(bootstrap, root / "bootstrap")
    (root / "hello.txt").write_text(HELLO)
    (ctx / "Containerfile").write_text(
        'FROM scratch\nCOPY rootfs/ /\nENV PATH=/bin TAG=built\nENTRYPOINT ["/bootstrap"]\nCMD ["app.handler"]\n'
    )
    return ctx


def _umoci_insert(layout: Path, tag: str, bootstrap: Path) -> None:
    """Layers added with `umoci insert` end without padding or end-of-archive blocks."""
    build_image(layout, tag, entrypoint=["/bootstrap"], cmd=["app.handler"], env=["PATH=/bin", "TAG=built"])
    hello = layout.parent / "hello.txt"
    hello.write_text(HELLO)
    run("umoci", "insert", "--image", f"{layout}:{tag}", str(bootstrap), "/bootstrap")
    run("umoci", "insert", "--image", f"{layout}:{tag}", str(hello), "/hello.txt")


def _build(builder: str, gureum, tmp: Path, bootstrap: Path, context: Path, request) -> str:
    """The image built by `builder`, pushed to gureum's ECR; its URI."""
    repo = uniq(f"built-{builder}")
    gureum.client("ecr").create_repository(repositoryName=repo)
    uri = f"127.0.0.1:{gureum.port}/{repo}:v1"
    layout = tmp / "layout"
    if builder == "umoci-insert":
        _umoci_insert(layout, "v1", bootstrap)
        push(layout, "v1", uri)
    elif builder in ("docker-archive", "oci-archive"):
        _umoci_insert(layout, "v1", bootstrap)
        archive = tmp / "image.tar"
        dest = f"{builder}:{archive}" + (":built/app:v1" if builder == "docker-archive" else "")
        run("skopeo", "copy", f"oci:{layout}:v1", dest)
        run("skopeo", "copy", "--dest-tls-verify=false", f"{builder}:{archive}", f"docker://{uri}")
    elif builder == "podman-build":
        podman = request.getfixturevalue("podman")
        run(*podman, "build", "-q", "--format", "oci", "-t", uri, "-f", str(context / "Containerfile"), str(context))
        run(*podman, "push", "-q", "--tls-verify=false", uri)
    elif builder == "docker-build":
        docker = request.getfixturevalue("docker")
        env = {**os.environ, "DOCKER_BUILDKIT": "0"}
        res = subprocess.run([*docker, "build", "-q", "-t", uri, "-f", str(context / "Containerfile"), str(context)],
                             capture_output=True, text=True, env=env, timeout=300, check=False)
        assert res.returncode == 0, res.stderr
        run(*docker, "push", uri)
    else:
        raise AssertionError(builder)
    return uri


BUILDERS = ["umoci-insert", "docker-archive", "oci-archive", "podman-build", "docker-build"]


@pytest.fixture
def function(gureum) -> Iterator[Callable[[str], str]]:
    lam = gureum.client("lambda")
    iam = gureum.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName=uniq("img-role"), AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    names: list[str] = []

    def make(uri: str) -> str:
        name = f"built-{uuid.uuid4().hex[:10]}"
        lam.create_function(FunctionName=name, Role=role, PackageType="Image", Code={"ImageUri": uri}, Timeout=20)
        names.append(name)
        return name

    yield make
    for name in names:
        lam.delete_function(FunctionName=name)


@pytest.mark.parametrize("builder", BUILDERS)
def test_images_from_common_builders_run_as_tasks_and_functions(builder, gureum, tmp_path, bootstrap, context, function, request):
    gureum.client("ecs").list_clusters()  # the ECS agent idles until ECS is called
    gureum.wait_service("ecs", "running")
    uri = _build(builder, gureum, tmp_path, bootstrap, context, request)

    ecs = gureum.client("ecs")
    td = register(ecs, uri, [{"name": "check", "entryPoint": ["sh", "-c"], "command": [CHECK]}])
    task = wait_status(ecs, run_task(ecs, td), "STOPPED", timeout=120)
    assert task.get("stopCode") == "EssentialContainerExited", (task.get("stoppedReason"), task["containers"])
    assert task["containers"][0].get("exitCode") == 0, task["containers"]

    lam = gureum.client("lambda")
    name = function(uri)
    cfg = wait_for("the function settled (not Pending)", lambda: (c := lam.get_function_configuration(FunctionName=name))["State"] != "Pending" and c, timeout=120)
    assert cfg["State"] == "Active", cfg
    resp = lam.invoke(FunctionName=name, Payload=b'{"n": 1}')
    out = json.loads(resp["Payload"].read())
    assert "FunctionError" not in resp, out
    assert out["tag"] == "built" and out["event"] == {"n": 1}
