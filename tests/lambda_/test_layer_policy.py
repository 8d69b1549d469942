"""Layer version permissions: another account reads a layer version (GetLayerVersion,
GetLayerVersionByArn) and uses it in its function's Layers only through a statement of
AddLayerVersionPermission; RemoveLayerVersionPermission takes the grant back."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError
from lambda_helpers import TRUST, invoke_json, zip_of

OWNER = "111111111111"
OTHER = "222222222222"


def _code(err: ClientError) -> str:
    return str(err.response["Error"]["Code"])


def test_a_layer_version_reaches_another_account_only_through_its_policy(gureum):
    owner = gureum.client("lambda", aws_access_key_id=OWNER)
    other = gureum.client("lambda", aws_access_key_id=OTHER)
    name = f"shared-{uuid.uuid4().hex[:8]}"
    published = owner.publish_layer_version(LayerName=name, Content={"ZipFile": zip_of({"python/shared_mod.py": "VALUE = 42\n"})})
    arn = published["LayerVersionArn"]
    assert f":{OWNER}:layer:{name}:1" in arn

    with pytest.raises(ClientError) as err:
        owner.get_layer_version_policy(LayerName=name, VersionNumber=1)
    assert _code(err.value) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as err:  # no grant yet
        other.get_layer_version_by_arn(Arn=arn)
    assert _code(err.value) == "AccessDeniedException"

    added = owner.add_layer_version_permission(LayerName=name, VersionNumber=1, StatementId="share",
                                               Action="lambda:GetLayerVersion", Principal=OTHER)
    statement = json.loads(added["Statement"])
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{OTHER}:root"}
    assert statement["Resource"] == arn
    policy = owner.get_layer_version_policy(LayerName=name, VersionNumber=1)
    assert policy["RevisionId"] == added["RevisionId"]
    assert [s["Sid"] for s in json.loads(policy["Policy"])["Statement"]] == ["share"]
    with pytest.raises(ClientError) as err:
        owner.add_layer_version_permission(LayerName=name, VersionNumber=1, StatementId="share",
                                           Action="lambda:GetLayerVersion", Principal="*")
    assert _code(err.value) == "ResourceConflictException"
    with pytest.raises(ClientError) as err:
        owner.add_layer_version_permission(LayerName=name, VersionNumber=1, StatementId="again",
                                           Action="lambda:GetLayerVersion", Principal="*", RevisionId=str(uuid.uuid4()))
    assert _code(err.value) == "PreconditionFailedException"

    assert other.get_layer_version_by_arn(Arn=arn)["LayerVersionArn"] == arn
    assert other.get_layer_version(LayerName=arn.rsplit(":", 1)[0], VersionNumber=1)["Version"] == 1
    # and the other account's function runs with it under /opt
    iam = gureum.client("iam", aws_access_key_id=OTHER)
    role = iam.create_role(RoleName=f"r-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    fn = f"uses-{uuid.uuid4().hex[:8]}"
    other.create_function(FunctionName=fn, Runtime="python3.12", Role=role, Handler="app.handler", Layers=[arn],
                          Code={"ZipFile": zip_of({"app.py": "import shared_mod\ndef handler(e, c):\n    return shared_mod.VALUE\n"})})
    other.get_waiter("function_active_v2").wait(FunctionName=fn)
    assert invoke_json(other, fn)[1] == 42

    owner.remove_layer_version_permission(LayerName=name, VersionNumber=1, StatementId="share")
    with pytest.raises(ClientError) as err:
        other.get_layer_version_by_arn(Arn=arn)
    assert _code(err.value) == "AccessDeniedException"
    with pytest.raises(ClientError) as err:
        owner.remove_layer_version_permission(LayerName=name, VersionNumber=1, StatementId="share")
    assert _code(err.value) == "ResourceNotFoundException"
    other.delete_function(FunctionName=fn)


def test_put_resource_policy_replaces_the_functions_policy_and_is_enforced(gureum, role_arn):
    owner = gureum.client("lambda")
    other = gureum.client("lambda", aws_access_key_id=OTHER)
    name = f"pol-{uuid.uuid4().hex[:8]}"
    arn = owner.create_function(FunctionName=name, Runtime="python3.12", Role=role_arn, Handler="app.handler",
                                Code={"ZipFile": zip_of({"app.py": "def handler(e, c):\n    return 'hi'\n"})})["FunctionArn"]
    owner.get_waiter("function_active_v2").wait(FunctionName=name)
    with pytest.raises(ClientError) as err:
        other.invoke(FunctionName=arn, Payload=b"{}")
    assert _code(err.value) == "AccessDeniedException"
    owner.add_permission(FunctionName=name, StatementId="old", Action="lambda:GetFunction", Principal="333333333333")

    policy = {"Version": "2012-10-17", "Statement": [{"Sid": "invoke", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
                                                      "Action": "lambda:InvokeFunction", "Resource": arn}]}
    put = owner.put_resource_policy(ResourceArn=arn, Policy=json.dumps(policy))
    got = owner.get_resource_policy(ResourceArn=arn)
    assert got["RevisionId"] == put["RevisionId"]
    assert [s["Sid"] for s in json.loads(got["Policy"])["Statement"]] == ["invoke"]  # AddPermission's statement replaced
    assert [s["Sid"] for s in json.loads(owner.get_policy(FunctionName=name)["Policy"])["Statement"]] == ["invoke"]
    assert json.loads(other.invoke(FunctionName=arn, Payload=b"{}")["Payload"].read()) == "hi"

    with pytest.raises(ClientError) as err:
        owner.put_resource_policy(ResourceArn=arn, Policy=json.dumps(policy), RevisionId=str(uuid.uuid4()))
    assert _code(err.value) == "PreconditionFailedException"
    with pytest.raises(ClientError) as err:
        owner.put_resource_policy(ResourceArn=arn, Policy="{not json")
    assert _code(err.value) == "InvalidParameterValueException"

    owner.delete_resource_policy(ResourceArn=arn, RevisionId=got["RevisionId"])
    with pytest.raises(ClientError) as err:
        owner.get_resource_policy(ResourceArn=arn)
    assert _code(err.value) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as err:
        other.invoke(FunctionName=arn, Payload=b"{}")
    assert _code(err.value) == "AccessDeniedException"
    owner.delete_function(FunctionName=name)
