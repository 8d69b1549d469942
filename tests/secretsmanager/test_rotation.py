"""RotateSecret through a real rotation Lambda function (AWS's four-step contract): the
function is invoked with {"SecretId", "ClientRequestToken", "Step"} for createSecret,
setSecret, testSecret and finishSecret in order; it puts the AWSPENDING value and moves
AWSCURRENT, after which the new version is AWSCURRENT (AWSPENDING gone) and the old one
AWSPREVIOUS. A function failing a step leaves AWSCURRENT where it was; one whose policy does
not let secretsmanager.amazonaws.com invoke it is refused by RotateSecret."""

from __future__ import annotations

import json
import textwrap
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from lambda_.lambda_helpers import TRUST, zip_of
from waiting import wait_for

ROTATOR = textwrap.dedent(
    """
    import json
    import boto3

    def handler(event, context):
        sm = boto3.client("secretsmanager")
        arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
        assert set(event) == {"SecretId", "ClientRequestToken", "Step"}, event
        versions = sm.describe_secret(SecretId=arn)["VersionIdsToStages"]
        if "AWSPENDING" not in versions.get(token, []):
            raise ValueError("version %s not pending" % token)
        done = sm.describe_secret(SecretId=arn).get("Tags", [])
        sm.tag_resource(SecretId=arn, Tags=[{"Key": "step%d-%s" % (len(done), step), "Value": token}])
        if step == FAIL_AT:
            raise RuntimeError("refusing " + step)
        if step == "createSecret":
            try:
                sm.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
            except sm.exceptions.ResourceNotFoundException:
                pw = sm.get_random_password(ExcludePunctuation=True)["RandomPassword"]
                sm.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString=json.dumps({"password": pw}),
                                    VersionStages=["AWSPENDING"])
        elif step == "finishSecret":
            current = next(v for v, s in versions.items() if "AWSCURRENT" in s)
            sm.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token,
                                           RemoveFromVersionId=current)
    """
)


@pytest.fixture(scope="module")
def rotator(gureum: Any) -> Any:
    iam, lam = gureum.client("iam"), gureum.client("lambda")
    role = iam.create_role(RoleName=f"rot-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]

    def make(fail_at: str, allowed: bool = True) -> str:
        name = f"rotator-{uuid.uuid4().hex[:8]}"
        code = f"FAIL_AT = {fail_at!r}\n" + ROTATOR
        arn = str(lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="app.handler",
                                      Timeout=60, Code={"ZipFile": zip_of({"app.py": code})})["FunctionArn"])
        if allowed:
            lam.add_permission(FunctionName=name, StatementId="sm", Action="lambda:InvokeFunction",
                               Principal="secretsmanager.amazonaws.com")
        return arn

    return make


def _steps(sm: Any, arn: str) -> list[str]:
    tags = sm.describe_secret(SecretId=arn).get("Tags", [])
    return [t["Key"].split("-", 1)[1] for t in sorted(tags, key=lambda t: t["Key"]) if t["Key"].startswith("step")]


def test_rotation_runs_the_four_steps_and_moves_awscurrent(gureum: Any, rotator: Any) -> None:
    sm = gureum.client("secretsmanager")
    made = sm.create_secret(Name=f"rot-{uuid.uuid4().hex[:8]}", SecretString=json.dumps({"password": "old"}))
    fn = rotator("")
    out = sm.rotate_secret(SecretId=made["ARN"], RotationLambdaARN=fn, RotationRules={"AutomaticallyAfterDays": 30})
    token = out["VersionId"]
    wait_for("rotation finished", lambda: sm.describe_secret(SecretId=made["ARN"]).get("LastRotatedDate") is not None, 120, 0.5)
    assert _steps(sm, made["ARN"]) == ["createSecret", "setSecret", "testSecret", "finishSecret"]
    desc = sm.describe_secret(SecretId=made["ARN"])
    assert desc["RotationEnabled"] and desc["RotationLambdaARN"] == fn and desc["RotationRules"]["AutomaticallyAfterDays"] == 30
    assert desc["VersionIdsToStages"] == {made["VersionId"]: ["AWSPREVIOUS"], token: ["AWSCURRENT"]}
    assert json.loads(sm.get_secret_value(SecretId=made["ARN"])["SecretString"])["password"] != "old"


def test_a_failing_step_leaves_awscurrent_in_place(gureum: Any, rotator: Any) -> None:
    sm = gureum.client("secretsmanager")
    made = sm.create_secret(Name=f"rot-{uuid.uuid4().hex[:8]}", SecretString="keep")
    out = sm.rotate_secret(SecretId=made["ARN"], RotationLambdaARN=rotator("testSecret"))
    wait_for("the failing step ran", lambda: "testSecret" in _steps(sm, made["ARN"]), 120, 0.5)
    assert _steps(sm, made["ARN"]) == ["createSecret", "setSecret", "testSecret"]
    assert sm.get_secret_value(SecretId=made["ARN"])["SecretString"] == "keep"
    stages = sm.describe_secret(SecretId=made["ARN"])["VersionIdsToStages"]
    assert stages[out["VersionId"]] == ["AWSPENDING"]
    # another rotation with a new token waits for that one to be cleared
    with pytest.raises(ClientError) as e:
        sm.rotate_secret(SecretId=made["ARN"])
    assert e.value.response["Error"]["Code"] == "InvalidRequestException"
    sm.cancel_rotate_secret(SecretId=made["ARN"])
    assert sm.describe_secret(SecretId=made["ARN"])["RotationEnabled"] is False


def test_a_function_secrets_manager_may_not_invoke_is_refused(gureum: Any, rotator: Any) -> None:
    sm = gureum.client("secretsmanager")
    made = sm.create_secret(Name=f"rot-{uuid.uuid4().hex[:8]}", SecretString="keep")
    with pytest.raises(ClientError) as e:
        sm.rotate_secret(SecretId=made["ARN"], RotationLambdaARN=rotator("", allowed=False))
    assert e.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "secretsmanager.amazonaws.com" in e.value.response["Error"]["Message"]
    desc = sm.describe_secret(SecretId=made["ARN"])
    assert not desc["RotationEnabled"] and list(desc["VersionIdsToStages"].values()) == [["AWSCURRENT"]]
