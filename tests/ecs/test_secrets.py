"""Container `secrets` (SSM parameters by name or ARN, Secrets Manager ARNs with
`:json-key:version-stage:version-id`) put in the container's environment at task start, the
stop reason when one is missing, the execution role AWS requires for them, and Fargate
`repositoryCredentials` (a Secrets Manager secret) pulling from a private registry with
basic authentication."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .images import build_image, containers_skip_reason
from .images import run as sh
from .test_api import uniq, wait_status
from .test_tasks import read_log, register, run

needs_containers = pytest.mark.skipif(containers_skip_reason() is not None, reason=str(containers_skip_reason()))
container_group = pytest.mark.xdist_group("ecs-containers")
ROLE = "arn:aws:iam::000000000000:role/ecsTaskExecutionRole"


def _logged(group: str) -> dict[str, Any]:
    return {"logDriver": "awslogs", "options": {"awslogs-group": group, "awslogs-region": "us-east-1",
                                                "awslogs-stream-prefix": "ecs", "awslogs-create-group": "true"}}


def test_secrets_need_an_execution_role(ecs) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as e:
        register(ecs, "busybox", [{"name": "app", "secrets": [{"name": "X", "valueFrom": "/p"}]}])
    assert e.value.response["Error"]["Code"] == "ClientException"
    assert "executionRoleArn" in e.value.response["Error"]["Message"]


@needs_containers
@container_group
def test_secrets_reach_the_environment(ecs, gureum, image) -> None:  # type: ignore[no-untyped-def]
    ssm, sm = gureum.client("ssm"), gureum.client("secretsmanager")
    param = "/" + uniq("app") + "/db-pass"
    ssm.put_parameter(Name=param, Value="from-ssm", Type="SecureString")
    plain = uniq("plain")
    ssm.put_parameter(Name=plain, Value="v1", Type="String")
    ssm.put_parameter(Name=plain, Value="v2", Type="String", Overwrite=True)
    plain_arn = ssm.get_parameter(Name=plain)["Parameter"]["ARN"]
    made = sm.create_secret(Name=uniq("db"), SecretString=json.dumps({"user": "alice", "port": 5432}))
    sm.put_secret_value(SecretId=made["ARN"], SecretString=json.dumps({"user": "bob", "port": 5433}))
    group = "/ecs/" + uniq("sec")
    td = register(ecs, image, [{
        "name": "app",
        "command": ["sh", "-c", 'echo "P=$P V=$V WHOLE=$WHOLE USER=$USER_ PREV=$PREV PORT=$PORT"'],
        "secrets": [
            {"name": "P", "valueFrom": param},
            {"name": "V", "valueFrom": plain_arn + ":1"},
            {"name": "WHOLE", "valueFrom": made["ARN"]},
            {"name": "USER_", "valueFrom": made["ARN"] + ":user::"},
            {"name": "PREV", "valueFrom": made["ARN"] + ":user:AWSPREVIOUS:"},
            {"name": "PORT", "valueFrom": made["ARN"] + ":port::"},
        ],
        "logConfiguration": _logged(group),
    }], executionRoleArn=ROLE)
    arn = run(ecs, td)
    task = wait_status(ecs, arn, "STOPPED")
    assert task["containers"][0].get("exitCode") == 0, task
    lines = read_log(gureum, group, f"ecs/app/{arn.rsplit('/', 1)[-1]}")
    assert lines == ['P=from-ssm V=v1 WHOLE={"user": "bob", "port": 5433} USER=bob PREV=alice PORT=5433']


@needs_containers
@container_group
def test_a_missing_secret_stops_the_task(ecs, gureum, image) -> None:  # type: ignore[no-untyped-def]
    td = register(ecs, image, [{"name": "app", "command": ["true"],
                                "secrets": [{"name": "X", "valueFrom": "/" + uniq("nope")}]}], executionRoleArn=ROLE)
    task = wait_status(ecs, run(ecs, td), "STOPPED")
    assert task["stopCode"] == "TaskFailedToStart"
    assert task["stoppedReason"].startswith("ResourceInitializationError: unable to pull secrets or registry auth: ")
    assert "exitCode" not in task["containers"][0]
    missing = "arn:aws:secretsmanager:us-east-1:000000000000:secret:" + uniq("gone") + "-AbCdEf"
    td = register(ecs, image, [{"name": "app", "command": ["true"], "secrets": [{"name": "X", "valueFrom": missing}]}], executionRoleArn=ROLE)
    task = wait_status(ecs, run(ecs, td), "STOPPED")
    assert task["stoppedReason"].startswith("ResourceInitializationError: unable to pull secrets or registry auth: ")
    assert "ResourceNotFoundException" in task["stoppedReason"]


@needs_containers
@container_group
@pytest.mark.skipif(shutil.which("docker-registry") is None, reason="needs docker-registry")
def test_repository_credentials_pull_from_a_private_registry(ecs, gureum, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import warnings

    from .test_other_registry import start_registry

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt as c

        (tmp_path / "htpasswd").write_text(f"carol:{c.crypt('pw-1', c.mksalt(c.METHOD_BLOWFISH))}\n")
    reg, port = start_registry(tmp_path, tmp_path / "htpasswd")
    try:
        layout = build_image(tmp_path / "layout", "v1")
        image = f"127.0.0.1:{port}/team/app:v1"
        sh("skopeo", "copy", "--dest-tls-verify=false", "--dest-creds", "carol:pw-1", f"oci:{layout}:v1", f"docker://{image}")
        sm = gureum.client("secretsmanager")
        creds = sm.create_secret(Name=uniq("regcreds"), SecretString=json.dumps({"username": "carol", "password": "pw-1"}))
        td = register(ecs, image, [{"name": "app", "command": ["true"], "repositoryCredentials": {"credentialsParameter": creds["ARN"]}}],
                      executionRoleArn=ROLE)
        task = wait_status(ecs, run(ecs, td), "STOPPED")
        assert task["containers"][0].get("exitCode") == 0, task
        without = register(ecs, image, [{"name": "app", "command": ["true"]}])
        task = wait_status(ecs, run(ecs, without), "STOPPED")
        assert task["stoppedReason"].startswith("CannotPullContainerError"), task
    finally:
        reg.terminate()
        reg.wait()


@needs_containers
@container_group
def test_another_accounts_secret_only_through_its_policy(ecs, gureum, image) -> None:  # type: ignore[no-untyped-def]
    other = gureum.client("secretsmanager", aws_access_key_id="444455556666")
    made = other.create_secret(Name=uniq("shared"), SecretString="cross")
    td = register(ecs, image, [{"name": "app", "command": ["sh", "-c", 'echo "S=$S"'], "logConfiguration": _logged(group := "/ecs/" + uniq("x")),
                                "secrets": [{"name": "S", "valueFrom": made["ARN"]}]}], executionRoleArn=ROLE)
    task = wait_status(ecs, run(ecs, td), "STOPPED")
    assert task["stoppedReason"].startswith("ResourceInitializationError: unable to pull secrets or registry auth: ")
    assert "AccessDeniedException" in task["stoppedReason"]
    grant = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"},
                                                     "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}
    other.put_resource_policy(SecretId=made["ARN"], ResourcePolicy=json.dumps(grant))
    arn = run(ecs, td)
    task = wait_status(ecs, arn, "STOPPED")
    assert task["containers"][0].get("exitCode") == 0, task
    assert read_log(gureum, group, f"ecs/app/{arn.rsplit('/', 1)[-1]}") == ["S=cross"]
