"""The real AWS CDK (npm's aws-cdk CLI and aws-cdk-lib, installed by `make install-test` in .venv/cdk)
against a real gureum: `cdk bootstrap` (the CDKToolkit stack: staging bucket, ECR repository,
roles, the /cdk-bootstrap/hnb659fds/version parameter), `cdk deploy` of an app with a Lambda
file asset uploaded to the bootstrap bucket, an update deploy, and `cdk destroy`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .helpers import error_of, uniq

APP = Path(__file__).resolve().parent / "cdk_app"
MODULES = Path(__file__).resolve().parents[2] / ".venv" / "cdk" / "node_modules"  # make install-test
CDK = MODULES / ".bin" / "cdk"


def _cdk(gureum: Any, out: Path, *args: str, env: dict[str, str] | None = None) -> str:
    full = {**gureum.env, "NODE_PATH": str(MODULES), "CDK_DISABLE_VERSION_CHECK": "1", "CDK_DISABLE_CLI_TELEMETRY": "true",
            **(env or {})}
    proc = subprocess.run([str(CDK), *args, "--no-notices", "--output", str(out)], cwd=APP, env=full,
                          capture_output=True, text=True, timeout=420)
    assert proc.returncode == 0, f"cdk {' '.join(args)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}"
    return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def cdk_ready() -> None:
    if not CDK.exists() or shutil.which("node") is None:
        if os.environ.get("CI"):
            pytest.fail("the CDK is not installed: make install-test installs it (npm)")
        pytest.skip("the CDK is not installed (make install-test)")


def test_cdk_bootstrap_deploy_update_and_destroy(gureum: Any, cdk_ready: None, tmp_path: Path) -> None:
    cfn, ssm = gureum.client("cloudformation"), gureum.client("ssm")
    _cdk(gureum, tmp_path / "boot", "bootstrap", "aws://000000000000/us-east-1")
    toolkit = cfn.describe_stacks(StackName="CDKToolkit")["Stacks"][0]
    assert toolkit["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in toolkit["Outputs"]}
    assert outputs["BucketName"] == "cdk-hnb659fds-assets-000000000000-us-east-1"
    assert int(ssm.get_parameter(Name="/cdk-bootstrap/hnb659fds/version")["Parameter"]["Value"]) >= 20
    repo = gureum.client("ecr").describe_repositories(repositoryNames=["cdk-hnb659fds-container-assets-000000000000-us-east-1"])
    assert repo["repositories"][0]["imageTagMutability"] == "IMMUTABLE"
    gureum.client("iam").get_role(RoleName="cdk-hnb659fds-deploy-role-000000000000-us-east-1")

    name = uniq("Cdk")
    env = {"GUREUM_CDK_STACK": name}
    _cdk(gureum, tmp_path / "v1", "deploy", "--require-approval", "never", env=env)
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    out = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    sqs = gureum.client("sqs")
    assert sqs.get_queue_attributes(QueueUrl=out["QueueUrl"], AttributeNames=["VisibilityTimeout"])["Attributes"]["VisibilityTimeout"] == "30"
    assert ssm.get_parameter(Name=f"/{name}/queue")["Parameter"]["Value"] == out["QueueUrl"]
    # the function's code is the file asset cdk uploaded to the bootstrap bucket
    assets = gureum.client("s3").list_objects_v2(Bucket=outputs["BucketName"]).get("Contents", [])
    assert any(o["Key"].endswith(".zip") for o in assets)
    answer = json.loads(gureum.client("lambda").invoke(FunctionName=out["FunctionName"], Payload=b"{}")["Payload"].read())
    assert answer == {"queue": out["QueueUrl"], "got": {}}

    _cdk(gureum, tmp_path / "v2", "deploy", "--require-approval", "never", env={**env, "GUREUM_CDK_VISIBILITY": "75"})
    assert cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    assert sqs.get_queue_attributes(QueueUrl=out["QueueUrl"], AttributeNames=["VisibilityTimeout"])["Attributes"]["VisibilityTimeout"] == "75"

    _cdk(gureum, tmp_path / "v3", "destroy", "--force", env=env)
    assert error_of(lambda: cfn.describe_stacks(StackName=name))[0] == "ValidationError"
    assert error_of(lambda: ssm.get_parameter(Name=f"/{name}/queue"))[0] == "ParameterNotFound"
