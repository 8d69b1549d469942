"""Container environmentFiles read from gureum's own S3 at task start: the ECS agent's
parsing (comments, first `=`, no trimming or unquoting, empty keys/values skipped), the
precedence (`environment` over files, the first file over later ones) and the stop reason
when an object is missing."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from gureum.services.ecs import envfiles

from .images import containers_skip_reason
from .test_api import uniq, wait_status
from .test_tasks import read_log, register, run

needs_containers = pytest.mark.skipif(containers_skip_reason() is not None, reason=str(containers_skip_reason()))
container_group = pytest.mark.xdist_group("ecs-containers")

FILE_A = '# a comment\nA=from-a\nSHARED=a\n\nSPACED= x \nQUOTED="q"\nEMPTY=\n=novalue\nEQ=x=y\nB=1\nB=2\n  #not a comment=1\n'
FILE_B = "SHARED=b\nC=from-b\nD=from-b\n"


def test_parse_and_merge_as_the_agent_does():
    a = envfiles.parse(FILE_A)
    assert a == {"A": "from-a", "SHARED": "a", "SPACED": " x ", "QUOTED": '"q"', "EQ": "x=y", "B": "2", "  #not a comment": "1"}
    env = envfiles.merge([{"name": "C", "value": "from-def"}], [a, envfiles.parse(FILE_B)])
    assert env["SHARED"] == "a" and env["C"] == "from-def" and env["D"] == "from-b"


def _bucket(gureum) -> str:
    s3 = gureum.client("s3")
    bucket = uniq("envf").lower()
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="app/a.env", Body=FILE_A.encode())
    s3.put_object(Bucket=bucket, Key="b.env", Body=FILE_B.encode())
    return bucket


@needs_containers
@container_group
def test_environment_files_reach_the_container(ecs, gureum, image):
    bucket = _bucket(gureum)
    group = "/ecs/" + uniq("envf")
    script = 'echo "A=$A SHARED=$SHARED SPACED=[$SPACED] QUOTED=$QUOTED EQ=$EQ B=$B C=$C D=$D EMPTY=${EMPTY-unset}"'
    td = register(
        ecs,
        image,
        [
            {
                "name": "app",
                "command": ["sh", "-c", script],
                "environment": [{"name": "C", "value": "from-def"}],
                "environmentFiles": [{"value": f"arn:aws:s3:::{bucket}/app/a.env", "type": "s3"}, {"value": f"arn:aws:s3:::{bucket}/b.env", "type": "s3"}],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {"awslogs-group": group, "awslogs-region": "us-east-1", "awslogs-stream-prefix": "ecs", "awslogs-create-group": "true"},
                },
            }
        ],
    )
    arn = run(ecs, td)
    task = wait_status(ecs, arn, "STOPPED")
    assert task["containers"][0].get("exitCode") == 0, task
    lines = read_log(gureum, group, f"ecs/app/{arn.rsplit('/', 1)[-1]}")
    assert lines == ['A=from-a SHARED=a SPACED=[ x ] QUOTED="q" EQ=x=y B=2 C=from-def D=from-b EMPTY=unset']


@needs_containers
@container_group
def test_a_missing_environment_file_fails_the_task_to_start(ecs, gureum, image):
    bucket = _bucket(gureum)
    td = register(
        ecs,
        image,
        [{"name": "app", "command": ["true"], "environmentFiles": [{"value": f"arn:aws:s3:::{bucket}/missing.env", "type": "s3"}]}],
    )
    arn = run(ecs, td)
    task = wait_status(ecs, arn, "STOPPED")
    assert task["stopCode"] == "TaskFailedToStart"
    assert task["stoppedReason"].startswith("ResourceInitializationError: failed to download env files: ")
    assert "NoSuchKey" in task["stoppedReason"]
    assert "exitCode" not in task["containers"][0]


def test_at_most_ten_environment_files(ecs):
    files = [{"value": f"arn:aws:s3:::b/{i}.env", "type": "s3"} for i in range(11)]
    with pytest.raises(ClientError) as e:
        register(ecs, "busybox", [{"name": "app", "environmentFiles": files}])
    assert e.value.response["Error"]["Code"] == "ClientException"
