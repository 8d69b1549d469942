"""Table resource policies through boto3: Put/Get/DeleteResourcePolicy with revision ids and
AWS's errors, and the policy gate enforcing them: another account reads a table by its ARN only
while the policy allows it, and only the actions it allows."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

OTHER = "222233334444"


def error(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def test_resource_policy_governs_cross_account_access(gureum: Any, ddb: Any, table: Any) -> None:
    other = gureum.client("dynamodb", aws_access_key_id=OTHER, config=Config(retries={"max_attempts": 1}))
    t = table(None)
    arn = ddb.describe_table(TableName=t)["Table"]["TableArn"]
    ddb.put_item(TableName=t, Item={"pk": {"S": "k"}, "v": {"S": "shared"}})
    assert error(lambda: ddb.get_resource_policy(ResourceArn=arn)) == (
        "PolicyNotFoundException", f"Resource-based policy not found for the provided ResourceArn: {arn}")
    assert error(lambda: other.get_item(TableName=arn, Key={"pk": {"S": "k"}}))[0] == "AccessDeniedException"
    assert error(lambda: ddb.put_resource_policy(ResourceArn=arn, Policy="{not json"))[0] == "ValidationException"
    grant = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"}, "Action": ["dynamodb:GetItem", "dynamodb:Query"],
        "Resource": arn}]})
    rev = ddb.put_resource_policy(ResourceArn=arn, Policy=grant)["RevisionId"]
    got = ddb.get_resource_policy(ResourceArn=arn)
    assert json.loads(got["Policy"]) == json.loads(grant) and got["RevisionId"] == rev
    assert other.get_item(TableName=arn, Key={"pk": {"S": "k"}})["Item"]["v"] == {"S": "shared"}
    assert error(lambda: other.put_item(TableName=arn, Item={"pk": {"S": "mine"}}))[0] == "AccessDeniedException"
    assert error(lambda: ddb.put_resource_policy(ResourceArn=arn, Policy=grant, ExpectedRevisionId="1"))[0] == "PolicyNotFoundException"
    rev2 = ddb.put_resource_policy(ResourceArn=arn, Policy=grant, ExpectedRevisionId=rev)["RevisionId"]
    assert rev2 != rev
    assert ddb.delete_resource_policy(ResourceArn=arn, ExpectedRevisionId=rev2)["RevisionId"] == rev2
    assert error(lambda: other.get_item(TableName=arn, Key={"pk": {"S": "k"}}))[0] == "AccessDeniedException"
    assert error(lambda: ddb.delete_resource_policy(ResourceArn=arn))[0] == "PolicyNotFoundException"


def test_other_account_cannot_reach_tables_past_the_gate(gureum: Any, ddb: Any, table: Any) -> None:
    """Attack: ARNs in places the gate does not see as the resource (PartiQL table names,
    backup/export ARNs, export and restore source ARNs) must not reach another account."""
    other = gureum.client("dynamodb", aws_access_key_id=OTHER, config=Config(retries={"max_attempts": 1}))
    t = table(None)
    arn = ddb.describe_table(TableName=t)["Table"]["TableArn"]
    ddb.put_item(TableName=t, Item={"pk": {"S": "secret"}})
    ddb.update_continuous_backups(TableName=t, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    backup = ddb.create_backup(TableName=t, BackupName="mine")["BackupDetails"]["BackupArn"]
    assert error(lambda: other.execute_statement(Statement=f'SELECT * FROM "{arn}"'))[0] == "ResourceNotFoundException"
    got = other.batch_execute_statement(Statements=[{"Statement": f"SELECT * FROM \"{arn}\" WHERE pk = 'secret'"}])["Responses"]
    assert got[0]["Error"]["Code"] == "ResourceNotFound" and "Item" not in got[0]
    assert error(lambda: other.describe_backup(BackupArn=backup))[0] == "BackupNotFoundException"
    assert error(lambda: other.restore_table_from_backup(TargetTableName="stolen", BackupArn=backup))[0] == "BackupNotFoundException"
    assert error(lambda: other.delete_backup(BackupArn=backup))[0] == "BackupNotFoundException"
    assert error(lambda: other.restore_table_to_point_in_time(SourceTableArn=arn, TargetTableName="stolen2",
                                                              UseLatestRestorableTime=True))[0] == "AccessDeniedException"
    assert error(lambda: other.export_table_to_point_in_time(TableArn=arn, S3Bucket="any-bucket"))[0] == "AccessDeniedException"
    assert error(lambda: other.describe_table(TableName=arn))[0] == "AccessDeniedException"
    assert ddb.describe_backup(BackupArn=backup)["BackupDescription"]["BackupDetails"]["BackupStatus"] == "AVAILABLE"
