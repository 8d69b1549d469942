"""`gureum aws ...` runs the installed AWS CLI against gureum, whatever the CLI does with
AWS_ENDPOINT_URL (awscli v1 ignores it for SQS in us-east-1)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from harness import ROOT, GureumProcess

from gureum.awscli import command


def test_endpoint_url_is_added_unless_given_and_credentials_default_to_test() -> None:
    cmd, env = command(["sqs", "list-queues"], {"GUREUM_ENDPOINT": "http://127.0.0.1:9", "PATH": "/nonexistent"})
    assert cmd[-4:] == ["--endpoint-url", "http://127.0.0.1:9", "sqs", "list-queues"]
    assert env["AWS_ACCESS_KEY_ID"] == "test" and env["AWS_DEFAULT_REGION"] == "us-east-1"
    cmd, env = command(["--endpoint-url=http://other:1", "s3", "ls"], {"AWS_ACCESS_KEY_ID": "AKIA1", "AWS_REGION": "eu-west-1", "PATH": "/nonexistent"})
    assert "--endpoint-url" not in cmd and cmd[-3:] == ["--endpoint-url=http://other:1", "s3", "ls"]
    assert env["AWS_ACCESS_KEY_ID"] == "AKIA1" and "AWS_SECRET_ACCESS_KEY" not in env
    assert "AWS_DEFAULT_REGION" not in env


def test_gureum_aws_reaches_sqs_in_us_east_1_without_aws_endpoint_url(gureum: GureumProcess) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(GUREUM_ENDPOINT=gureum.endpoint, PYTHONPATH=str(ROOT), GUREUM_AWS_CLI="")
    env["PATH"] = "/nonexistent"  # the awscli module in this venv, as `python -m awscli`
    run = subprocess.run(
        [sys.executable, "-m", "gureum", "aws", "sqs", "create-queue", "--queue-name", "via-wrapper", "--output", "json"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stderr
    url = json.loads(run.stdout)["QueueUrl"]
    assert url.endswith("/via-wrapper")
    assert any(u.endswith("/via-wrapper") for u in gureum.client("sqs").list_queues()["QueueUrls"])
