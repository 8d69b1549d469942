"""An acknowledged API write survives kill -9 of gureum and a restart."""

from __future__ import annotations

import concurrent.futures

from harness import GureumProcess


def test_acknowledged_writes_survive_kill_9_and_restart(fresh_gureum: GureumProcess) -> None:
    iam = fresh_gureum.client("iam")
    acked: list[str] = []

    def create(i: int) -> str:
        name = f"user-{i:03d}"
        iam.create_user(UserName=name)  # returns only after the commit
        return name

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        acked = list(pool.map(create, range(40)))
    policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
    iam.create_role(RoleName="durable-role", AssumeRolePolicyDocument=policy)
    fresh_gureum.kill9()
    fresh_gureum.start()
    iam = fresh_gureum.client("iam")
    names = {u["UserName"] for page in iam.get_paginator("list_users").paginate() for u in page["Users"]}
    assert set(acked) <= names
    role = iam.get_role(RoleName="durable-role")["Role"]
    assert role["RoleName"] == "durable-role"
