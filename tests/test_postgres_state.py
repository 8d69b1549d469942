"""gureum on a PostgreSQL store: acknowledged writes survive kill -9, and two nodes sharing
one database see each other's writes (the multi-node design)."""

from __future__ import annotations

from pathlib import Path

import pytest
from harness import GureumProcess

pytestmark = pytest.mark.xdist_group("postgres")


def test_writes_on_postgres_survive_kill_9(pg_url: str, tmp_path: Path) -> None:
    node = GureumProcess(tmp_path / "a", extra_args=["--state", pg_url])
    node.start()
    try:
        iam = node.client("iam")
        iam.create_user(UserName="pg-durable")
        node.kill9()
        node.start()
        assert node.client("iam").get_user(UserName="pg-durable")["User"]["UserName"] == "pg-durable"
    finally:
        node.stop()


def test_two_nodes_sharing_postgres_see_each_others_writes(pg_url: str, tmp_path: Path) -> None:
    a = GureumProcess(tmp_path / "a", extra_args=["--state", pg_url])
    b = GureumProcess(tmp_path / "b", extra_args=["--state", pg_url])
    a.start()
    b.start()
    try:
        a.client("iam").create_role(
            RoleName="shared-role",
            AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
        )
        role = b.client("iam").get_role(RoleName="shared-role")["Role"]
        assert role["RoleName"] == "shared-role"
    finally:
        a.stop()
        b.stop()
