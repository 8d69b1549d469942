"""The real AWS CDK (npm's aws-cdk CLI and aws-cdk-lib, installed by `make install-test` in
.venv/cdk) deploying an app of API Gateway constructs against a real gureum (BootstraplessSynthesizer, no
assets; the bootstrap stack still made first, since the CLI deploys as its cfn-exec role): a RestApi whose GET needs an API key (addApiKey,
addUsagePlan: ApiKey with StageKeys, UsagePlan, UsagePlanKey), a POST validated against a model
(addModel, addRequestValidator) and a gateway response (addGatewayResponse), called over HTTP;
an update deploy changing the plan's quota in place; `cdk destroy`."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .helpers import uniq

APP = Path(__file__).resolve().parent / "cdk_api_app"
MODULES = Path(__file__).resolve().parents[2] / ".venv" / "cdk" / "node_modules"  # make install-test
CDK = MODULES / ".bin" / "cdk"


def _cdk(gureum: Any, out: Path, *args: str, env: dict[str, str]) -> str:
    full = {**gureum.env, "NODE_PATH": str(MODULES), "CDK_DISABLE_VERSION_CHECK": "1", "CDK_DISABLE_CLI_TELEMETRY": "true",
            **env}
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


def _call(gureum: Any, method: str, api: str, path: str, headers: dict[str, str], body: str | None = None) -> tuple[int, Any]:
    port = int(gureum.endpoint.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, body=body, headers={"Host": f"{api}.execute-api.localhost:{port}",
                                                   "Content-Type": "application/json", **headers})
    r = conn.getresponse()
    data = r.read()
    conn.close()
    try:
        return r.status, json.loads(data) if data else None
    except ValueError:
        return r.status, data


def test_cdk_rest_api_with_key_plan_model_and_validator(gureum: Any, cdk_ready: None, tmp_path: Path) -> None:
    cfn, apigw = gureum.client("cloudformation"), gureum.client("apigateway")
    name = uniq("CdkApi")
    key = uuid.uuid4().hex
    env = {"GUREUM_CDK_STACK": name, "GUREUM_CDK_KEY": key}
    # The CLI deploys as the bootstrap's cfn-exec role even for a bootstrapless app, and
    # CloudFormation refuses a RoleARN that does not exist or does not trust it, as AWS does:
    # bootstrap first (a no-op when another test of this gureum already has).
    _cdk(gureum, tmp_path / "boot", "bootstrap", "aws://000000000000/us-east-1", env=env)
    _cdk(gureum, tmp_path / "v1", "deploy", "--require-approval", "never", env=env)
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    out = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    api = out["ApiId"]
    assert apigw.get_api_key(apiKey=out["KeyId"], includeValue=True)["value"] == key
    assert apigw.get_usage_plan(usagePlanId=out["PlanId"])["quota"]["limit"] == 100
    assert _call(gureum, "GET", api, "/live/things", {"x-api-key": key}) == (200, {"ok": True})
    assert _call(gureum, "GET", api, "/live/things", {})[0] == 403
    assert _call(gureum, "POST", api, "/live/things", {}, '{"name": "n"}') == (200, {"made": True})
    assert _call(gureum, "POST", api, "/live/things", {}, '{"other": 1}') == (422, {"invalid": True})

    _cdk(gureum, tmp_path / "v2", "deploy", "--require-approval", "never", env={**env, "GUREUM_CDK_QUOTA": "250"})
    assert cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    assert apigw.get_usage_plan(usagePlanId=out["PlanId"])["quota"]["limit"] == 250

    _cdk(gureum, tmp_path / "v3", "destroy", "--force", env=env)
    for call in (lambda: apigw.get_rest_api(restApiId=api), lambda: apigw.get_api_key(apiKey=out["KeyId"]),
                 lambda: apigw.get_usage_plan(usagePlanId=out["PlanId"])):
        with pytest.raises(ClientError):
            call()
