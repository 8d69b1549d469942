"""Secrets Manager through boto3 against a real gureum: create/get/put/update, versions and
staging labels, ListSecrets filters and paging, deletion with a recovery window, restore and
forced deletion, tags, resource policies (cross-account reads only through them),
GetRandomPassword's options, BatchGetSecretValue, values sealed at rest, durability."""

from __future__ import annotations

import json
import string
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

OTHER = "222233334444"


def uniq(prefix: str = "s") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def sm(gureum):  # type: ignore[no-untyped-def]
    return gureum.client("secretsmanager")


def code_of(call) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as e:
        call()
    return str(e.value.response["Error"]["Code"])


def test_create_get_put_and_stages(sm) -> None:  # type: ignore[no-untyped-def]
    name = "app/" + uniq()
    made = sm.create_secret(Name=name, SecretString="one", Description="d")
    assert made["Name"] == name and made["ARN"].split(":secret:")[1].startswith(name + "-")
    v1 = made["VersionId"]
    got = sm.get_secret_value(SecretId=name)
    assert (got["SecretString"], got["VersionId"], got["VersionStages"]) == ("one", v1, ["AWSCURRENT"])
    assert code_of(lambda: sm.create_secret(Name=name, SecretString="x")) == "ResourceExistsException"
    v2 = sm.put_secret_value(SecretId=made["ARN"], SecretString="two")["VersionId"]
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert stages == {v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"]}
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == "one"
    assert sm.get_secret_value(SecretId=name, VersionId=v1)["SecretString"] == "one"
    # partial ARN (without the random suffix) names it too
    partial = made["ARN"][: -7]
    assert sm.get_secret_value(SecretId=partial)["SecretString"] == "two"
    # same token, same value: idempotent; same token, other value: refused
    token = str(uuid.uuid4())
    sm.put_secret_value(SecretId=name, SecretString="three", ClientRequestToken=token)
    sm.put_secret_value(SecretId=name, SecretString="three", ClientRequestToken=token)
    assert code_of(lambda: sm.put_secret_value(SecretId=name, SecretString="four", ClientRequestToken=token)) == "ResourceExistsException"
    upd = sm.update_secret(SecretId=name, SecretString="five", Description="new")
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "five" and upd["VersionId"]
    assert sm.describe_secret(SecretId=name)["Description"] == "new"
    assert code_of(lambda: sm.get_secret_value(SecretId=uniq())) == "ResourceNotFoundException"
    assert code_of(lambda: sm.create_secret(Name=uniq(), SecretString="a", SecretBinary=b"b")) == "InvalidParameterException"
    assert code_of(lambda: sm.create_secret(Name="bad name!", SecretString="a")) == "ValidationException"
    assert code_of(lambda: sm.create_secret(Name="x" * 513, SecretString="a")) == "ValidationException"
    binary = sm.create_secret(Name=uniq(), SecretBinary=b"\x00\x01")
    assert sm.get_secret_value(SecretId=binary["ARN"])["SecretBinary"] == b"\x00\x01"
    empty = sm.create_secret(Name=uniq())
    assert "VersionId" not in empty
    assert code_of(lambda: sm.get_secret_value(SecretId=empty["ARN"])) == "ResourceNotFoundException"


def test_update_secret_version_stage(sm) -> None:  # type: ignore[no-untyped-def]
    name = uniq()
    v1 = sm.create_secret(Name=name, SecretString="a")["VersionId"]
    v2 = sm.put_secret_value(SecretId=name, SecretString="b", VersionStages=["AWSPENDING"])["VersionId"]
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "a"
    assert code_of(lambda: sm.update_secret_version_stage(SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=v2)) == "InvalidParameterException"
    sm.update_secret_version_stage(SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=v2, RemoveFromVersionId=v1)
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert sorted(stages[v2]) == ["AWSCURRENT", "AWSPENDING"] and stages[v1] == ["AWSPREVIOUS"]
    sm.update_secret_version_stage(SecretId=name, VersionStage="custom", MoveToVersionId=v1)
    sm.update_secret_version_stage(SecretId=name, VersionStage="custom", RemoveFromVersionId=v1)
    assert "custom" not in sm.describe_secret(SecretId=name)["VersionIdsToStages"][v1]
    versions = sm.list_secret_version_ids(SecretId=name)["Versions"]
    assert {v["VersionId"] for v in versions} == {v1, v2}


def test_list_filters_paging_and_tags(sm) -> None:  # type: ignore[no-untyped-def]
    team = uniq("team")
    names = [f"{team}/s{i}" for i in range(5)]
    for i, n in enumerate(names):
        sm.create_secret(Name=n, SecretString="v", Tags=[{"Key": "team", "Value": team}, {"Key": "idx", "Value": str(i)}])
    listed = [s["Name"] for page in sm.get_paginator("list_secrets").paginate(
        Filters=[{"Key": "name", "Values": [team]}], PaginationConfig={"PageSize": 2}) for s in page["SecretList"]]
    assert sorted(listed) == names
    by_tag = sm.list_secrets(Filters=[{"Key": "tag-value", "Values": [team]}, {"Key": "tag-key", "Values": ["idx"]}])["SecretList"]
    assert len(by_tag) == 5
    negated = sm.list_secrets(Filters=[{"Key": "name", "Values": [team, f"!{team}/s0"]}])["SecretList"]
    assert sorted(s["Name"] for s in negated) == names[1:]
    assert code_of(lambda: sm.list_secrets(NextToken="bogus")) == "InvalidNextTokenException"
    sm.tag_resource(SecretId=names[0], Tags=[{"Key": "extra", "Value": "1"}])
    sm.untag_resource(SecretId=names[0], TagKeys=["idx"])
    assert {t["Key"] for t in sm.describe_secret(SecretId=names[0])["Tags"]} == {"team", "extra"}


def test_delete_with_window_restore_and_force(sm) -> None:  # type: ignore[no-untyped-def]
    name = uniq()
    sm.create_secret(Name=name, SecretString="v")
    assert code_of(lambda: sm.delete_secret(SecretId=name, RecoveryWindowInDays=6)) == "InvalidParameterException"
    assert code_of(lambda: sm.delete_secret(SecretId=name, RecoveryWindowInDays=7, ForceDeleteWithoutRecovery=True)) == "InvalidParameterException"
    out = sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    assert out["DeletionDate"]
    assert code_of(lambda: sm.get_secret_value(SecretId=name)) == "InvalidRequestException"
    assert "DeletedDate" in sm.describe_secret(SecretId=name)
    assert name not in [s["Name"] for s in sm.list_secrets(Filters=[{"Key": "name", "Values": [name]}])["SecretList"]]
    assert name in [s["Name"] for s in sm.list_secrets(Filters=[{"Key": "name", "Values": [name]}], IncludePlannedDeletion=True)["SecretList"]]
    assert code_of(lambda: sm.create_secret(Name=name, SecretString="x")) == "InvalidRequestException"
    sm.restore_secret(SecretId=name)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v"
    sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    assert code_of(lambda: sm.describe_secret(SecretId=name)) == "ResourceNotFoundException"
    sm.create_secret(Name=name, SecretString="again")  # the name is free at once


def test_random_password_options(sm) -> None:  # type: ignore[no-untyped-def]
    assert len(sm.get_random_password()["RandomPassword"]) == 32
    pw = sm.get_random_password(PasswordLength=64, ExcludePunctuation=True, ExcludeUppercase=True, ExcludeCharacters="abc")["RandomPassword"]
    assert len(pw) == 64 and not set(pw) & set(string.ascii_uppercase + string.punctuation + "abc")
    assert set(pw) & set(string.digits) and set(pw) & set(string.ascii_lowercase)
    spaced = sm.get_random_password(PasswordLength=4, IncludeSpace=True, ExcludeNumbers=True, ExcludeLowercase=True, ExcludeUppercase=True, ExcludePunctuation=True)["RandomPassword"]
    assert spaced == "    "
    assert code_of(lambda: sm.get_random_password(ExcludeNumbers=True, ExcludeLowercase=True, ExcludeUppercase=True, ExcludePunctuation=True)) == "InvalidParameterException"
    assert code_of(lambda: sm.get_random_password(PasswordLength=3)) == "InvalidParameterException"


def test_batch_get_secret_value(sm) -> None:  # type: ignore[no-untyped-def]
    prefix = uniq("batch")
    a = sm.create_secret(Name=f"{prefix}/a", SecretString="A")
    sm.create_secret(Name=f"{prefix}/b", SecretString="B")
    missing = uniq()
    out = sm.batch_get_secret_value(SecretIdList=[a["ARN"], missing])
    assert [v["SecretString"] for v in out["SecretValues"]] == ["A"]
    assert out["Errors"][0]["SecretId"] == missing and out["Errors"][0]["ErrorCode"] == "ResourceNotFoundException"
    by_filter = sm.batch_get_secret_value(Filters=[{"Key": "name", "Values": [prefix]}])
    assert sorted(v["SecretString"] for v in by_filter["SecretValues"]) == ["A", "B"]
    assert code_of(lambda: sm.batch_get_secret_value(SecretIdList=[a["ARN"]], Filters=[{"Key": "name", "Values": ["x"]}])) == "InvalidParameterException"


def test_resource_policy_governs_cross_account_reads(gureum, sm) -> None:  # type: ignore[no-untyped-def]
    other = gureum.client("secretsmanager", aws_access_key_id=OTHER)
    made = sm.create_secret(Name=uniq(), SecretString="shared")
    assert code_of(lambda: other.get_secret_value(SecretId=made["ARN"])) == "AccessDeniedException"
    assert code_of(lambda: other.get_secret_value(SecretId=made["Name"])) == "ResourceNotFoundException"
    public = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
    assert code_of(lambda: sm.put_resource_policy(SecretId=made["ARN"], ResourcePolicy=public, BlockPublicPolicy=True)) == "PublicPolicyException"
    assert code_of(lambda: sm.put_resource_policy(SecretId=made["ARN"], ResourcePolicy="{not json")) == "MalformedPolicyDocumentException"
    grant = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"},
                                                                "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
    assert sm.validate_resource_policy(ResourcePolicy=grant)["PolicyValidationPassed"] is True
    assert sm.validate_resource_policy(ResourcePolicy="{}")["PolicyValidationPassed"] is False
    sm.put_resource_policy(SecretId=made["ARN"], ResourcePolicy=grant, BlockPublicPolicy=True)
    assert json.loads(sm.get_resource_policy(SecretId=made["ARN"])["ResourcePolicy"]) == json.loads(grant)
    assert other.get_secret_value(SecretId=made["ARN"])["SecretString"] == "shared"
    assert code_of(lambda: other.put_secret_value(SecretId=made["ARN"], SecretString="mine")) == "AccessDeniedException"
    sm.delete_resource_policy(SecretId=made["ARN"])
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId=made["ARN"])
    assert code_of(lambda: other.get_secret_value(SecretId=made["ARN"])) == "AccessDeniedException"


def test_values_sealed_at_rest_and_durable(gureum) -> None:  # type: ignore[no-untyped-def]
    sm = gureum.client("secretsmanager")
    value = "plain-" + uuid.uuid4().hex
    name = uniq()
    sm.create_secret(Name=name, SecretString=value)
    gureum.restart()
    sm = gureum.client("secretsmanager")
    assert sm.get_secret_value(SecretId=name)["SecretString"] == value
    for f in Path(gureum.data_dir).glob("state.db*"):
        assert value.encode() not in f.read_bytes(), f
