"""The real AWS SAM CLI (pip's aws-sam-cli, installed by `make install-test` in its own
environment) against a real gureum: `sam deploy --resolve-s3` creates SAM's managed stack
(aws-sam-cli-managed-default, its bucket and tags), uploads the code, deploys through a change
set with the Serverless transform; a second deploy with a new parameter updates it; the
function answers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .helpers import uniq

APP = Path(__file__).resolve().parent / "sam_app"
SAM = Path(__file__).resolve().parents[2] / ".venv" / "sam" / "bin" / "sam"


def _sam(gureum: Any, build: Path, *args: str) -> str:
    env = {**gureum.env, "SAM_CLI_TELEMETRY": "0", "SAM_CLI_CONTAINER_CONNECTION_TIMEOUT": "1"}
    proc = subprocess.run([str(SAM), *args], cwd=build, env=env, capture_output=True, text=True, timeout=420)
    assert proc.returncode == 0, f"sam {' '.join(args)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc.stdout + proc.stderr


def test_sam_deploy_resolve_s3_and_an_update(gureum: Any, tmp_path: Path) -> None:
    if not SAM.exists():
        if os.environ.get("CI"):
            pytest.fail("the SAM CLI is not installed: make install-test installs it")
        pytest.skip("the SAM CLI is not installed (make install-test)")
    build = tmp_path / "app"
    shutil.copytree(APP, build)
    name = uniq("sam")
    common = ("deploy", "--resolve-s3", "--stack-name", name, "--capabilities", "CAPABILITY_IAM",
              "--no-confirm-changeset", "--region", "us-east-1")
    _sam(gureum, build, *common)
    cfn = gureum.client("cloudformation")
    managed = cfn.describe_stacks(StackName="aws-sam-cli-managed-default")["Stacks"][0]
    assert managed["StackStatus"] == "CREATE_COMPLETE"
    assert {"Key": "ManagedStackSource", "Value": "AwsSamCli"} in managed["Tags"]
    bucket = next(o["OutputValue"] for o in managed["Outputs"] if o["OutputKey"] == "SourceBucket")
    assert gureum.client("s3").list_objects_v2(Bucket=bucket)["KeyCount"] >= 1  # the uploaded code and template
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    fn = stack["Outputs"][0]["OutputValue"]
    lam = gureum.client("lambda")
    assert json.loads(lam.invoke(FunctionName=fn)["Payload"].read()) == {"greeting": "hello"}

    _sam(gureum, build, *common, "--parameter-overrides", "Greeting=bonjour")
    assert cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    assert json.loads(lam.invoke(FunctionName=fn)["Payload"].read()) == {"greeting": "bonjour"}
    cfn.delete_stack(StackName=name)
