"""Fixtures shared by the ECS tests: a busybox image in gureum's ECR, an ECS client."""

from __future__ import annotations

import pytest

from .images import build_image, push
from .test_api import uniq


@pytest.fixture(scope="module")
def image(gureum, tmp_path_factory):
    """127.0.0.1:<port>/<repo>:v1 — busybox with an index page, Env FOO=from-image, WorkingDir /var/www."""
    gureum.client("ecs").list_clusters()  # the ECS agent idles until ECS is first called (gureum/app.py)
    gureum.wait_service("ecs", "running")
    layout = tmp_path_factory.mktemp("ecs-image") / "layout"
    build_image(layout, "v1", env=["FOO=from-image", "PATH=/bin"], workdir="/var/www", extra_files={"/etc/motd": "layer two\n"})
    repo = uniq("ecs-img")
    gureum.client("ecr").create_repository(repositoryName=repo)
    uri = f"127.0.0.1:{gureum.port}/{repo}:v1"
    push(layout, "v1", uri)
    return uri


@pytest.fixture(scope="module")
def ecs(gureum):
    return gureum.client("ecs")


