"""On-demand backups through boto3 and the AWS CLI: CreateBackup copies the items (later writes
do not reach it), DescribeBackup/ListBackups, a backup outliving its table,
RestoreTableFromBackup with its items and index rows, AWS's errors; DescribeContinuousBackups
and UpdateContinuousBackups (the point-in-time recovery flag)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError


def error(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def test_backup_and_restore(ddb: Any, table: Any) -> None:
    t = table(None, more_defs=[{"AttributeName": "g", "AttributeType": "S"}],
              GlobalSecondaryIndexes=[{"IndexName": "byg", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                       "Projection": {"ProjectionType": "ALL"}}])
    for i in range(7):
        ddb.put_item(TableName=t, Item={"pk": {"S": f"k{i}"}, "g": {"S": "even" if i % 2 == 0 else "odd"}, "b": {"B": b"\x00\xff"}})
    d = ddb.create_backup(TableName=t, BackupName="first")["BackupDetails"]
    arn = d["BackupArn"]
    assert arn.startswith(ddb.describe_table(TableName=t)["Table"]["TableArn"] + "/backup/") and d["BackupName"] == "first"
    ddb.put_item(TableName=t, Item={"pk": {"S": "later"}, "g": {"S": "odd"}})
    desc = ddb.describe_backup(BackupArn=arn)["BackupDescription"]
    assert desc["BackupDetails"]["BackupStatus"] == "AVAILABLE" and desc["SourceTableDetails"]["ItemCount"] == 7
    assert desc["SourceTableFeatureDetails"]["GlobalSecondaryIndexes"][0]["IndexName"] == "byg"
    summaries = ddb.list_backups(TableName=t)["BackupSummaries"]
    assert [s["BackupArn"] for s in summaries] == [arn] and summaries[0]["TableName"] == t
    ddb.delete_table(TableName=t)
    assert ddb.describe_backup(BackupArn=arn)["BackupDescription"]["SourceTableDetails"]["TableName"] == t
    target = t + "-restored"
    out = ddb.restore_table_from_backup(TargetTableName=target, BackupArn=arn)["TableDescription"]
    assert out["TableStatus"] == "CREATING" and out["RestoreSummary"]["SourceBackupArn"] == arn
    ddb.get_waiter("table_exists").wait(TableName=target, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    described = ddb.describe_table(TableName=target)["Table"]
    assert described["ItemCount"] == 7 and described["RestoreSummary"]["RestoreInProgress"] is False
    assert ddb.get_item(TableName=target, Key={"pk": {"S": "k3"}})["Item"]["b"] == {"B": b"\x00\xff"}
    assert "Item" not in ddb.get_item(TableName=target, Key={"pk": {"S": "later"}})
    odd = ddb.query(TableName=target, IndexName="byg", KeyConditionExpression="g = :g", ExpressionAttributeValues={":g": {"S": "odd"}})
    assert sorted(i["pk"]["S"] for i in odd["Items"]) == ["k1", "k3", "k5"]
    assert error(lambda: ddb.restore_table_from_backup(TargetTableName=target, BackupArn=arn)) == (
        "TableAlreadyExistsException", f"Table already exists: {target}")
    gone = ddb.delete_backup(BackupArn=arn)["BackupDescription"]
    assert gone["BackupDetails"]["BackupStatus"] == "DELETED"
    assert error(lambda: ddb.describe_backup(BackupArn=arn)) == ("BackupNotFoundException", f"Backup not found for BackupArn: {arn}")
    assert error(lambda: ddb.create_backup(TableName="nosuch", BackupName="xyz")) == ("TableNotFoundException", "Table not found: nosuch")


def test_list_backups_paging(ddb: Any, table: Any) -> None:
    t = table(None)
    arns = [ddb.create_backup(TableName=t, BackupName=f"bak{i}")["BackupDetails"]["BackupArn"] for i in range(3)]
    first = ddb.list_backups(TableName=t, Limit=2)
    assert len(first["BackupSummaries"]) == 2 and first["LastEvaluatedBackupArn"]
    rest = ddb.list_backups(TableName=t, Limit=2, ExclusiveStartBackupArn=first["LastEvaluatedBackupArn"])
    assert sorted(s["BackupArn"] for s in first["BackupSummaries"] + rest["BackupSummaries"]) == sorted(arns)
    assert "LastEvaluatedBackupArn" not in rest
    assert ddb.list_backups(TableName=t, BackupType="SYSTEM")["BackupSummaries"] == []


def test_continuous_backups(gureum: Any, ddb: Any, table: Any) -> None:
    t = table(None)
    d = ddb.describe_continuous_backups(TableName=t)["ContinuousBackupsDescription"]
    assert d == {"ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"}}
    d = ddb.update_continuous_backups(TableName=t, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True,
                                                                                      "RecoveryPeriodInDays": 7})
    pitr = d["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "ENABLED" and pitr["RecoveryPeriodInDays"] == 7
    assert pitr["EarliestRestorableDateTime"] <= pitr["LatestRestorableDateTime"]
    out = gureum.aws("dynamodb", "describe-continuous-backups", "--table-name", t)
    assert out["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    assert error(lambda: ddb.update_continuous_backups(
        TableName=t, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 40}))[0] == \
        "ValidationException"
    assert error(lambda: ddb.describe_continuous_backups(TableName="nosuch")) == ("TableNotFoundException", "Table not found: nosuch")
    out = gureum.aws("dynamodb", "create-backup", "--table-name", t, "--backup-name", "cli")
    listed = gureum.aws("dynamodb", "list-backups", "--table-name", t)
    assert json.dumps(out["BackupDetails"]["BackupArn"]) in json.dumps(listed)


def test_export_to_s3(gureum: Any, ddb: Any, table: Any) -> None:
    import gzip

    t = table("N")
    for i in range(5):
        ddb.put_item(TableName=t, Item={"pk": {"S": "p"}, "sk": {"N": str(i)}, "b": {"B": b"\x01"}, "ss": {"SS": ["a", "b"]}})
    arn = ddb.describe_table(TableName=t)["Table"]["TableArn"]
    s3 = gureum.client("s3")
    bucket = f"exports-{t.lower()}"
    s3.create_bucket(Bucket=bucket)
    assert error(lambda: ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket)) == (
        "PointInTimeRecoveryUnavailableException", f"Point in time recovery is not enabled for table '{t}'")
    ddb.update_continuous_backups(TableName=t, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    d = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket, S3Prefix="snap", ClientToken="tok")["ExportDescription"]
    assert d["ExportStatus"] == "IN_PROGRESS" and d["ExportArn"].startswith(arn + "/export/")
    again = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket, S3Prefix="snap", ClientToken="tok")["ExportDescription"]
    assert again["ExportArn"] == d["ExportArn"]
    done = ddb.describe_export(ExportArn=d["ExportArn"])["ExportDescription"]
    assert done["ExportStatus"] == "COMPLETED" and done["ItemCount"] == 5
    summary = json.loads(s3.get_object(Bucket=bucket, Key=done["ExportManifest"])["Body"].read())
    assert summary["itemCount"] == 5 and summary["exportArn"] == d["ExportArn"] and summary["outputFormat"] == "DYNAMODB_JSON"
    files = [json.loads(line) for line in s3.get_object(Bucket=bucket, Key=summary["manifestFilesS3Key"])["Body"].read().splitlines()]
    lines = gzip.decompress(s3.get_object(Bucket=bucket, Key=files[0]["dataFileS3Key"])["Body"].read()).decode().splitlines()
    items = [json.loads(line)["Item"] for line in lines]
    assert files[0]["dataFileS3Key"].startswith("snap/AWSDynamoDB/") and sorted(i["sk"]["N"] for i in items) == ["0", "1", "2", "3", "4"]
    assert items[0]["b"] == {"B": "AQ=="} and sorted(items[0]["ss"]["SS"]) == ["a", "b"]
    assert [x["ExportArn"] for x in ddb.list_exports(TableArn=arn)["ExportSummaries"]] == [d["ExportArn"]]
    failed = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="no-such-bucket-here")["ExportDescription"]
    got = ddb.describe_export(ExportArn=failed["ExportArn"])["ExportDescription"]
    assert got["ExportStatus"] == "FAILED" and got["FailureCode"] == "S3NoSuchBucket"
    assert error(lambda: ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket, ExportFormat="ION"))[0] == "NotImplemented"


def test_import_from_s3_round_trip_and_csv(gureum: Any, ddb: Any, table: Any) -> None:
    import gzip

    t = table("N")
    for i in range(4):
        ddb.put_item(TableName=t, Item={"pk": {"S": "p"}, "sk": {"N": str(i)}, "b": {"B": b"\x02"}})
    ddb.update_continuous_backups(TableName=t, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    s3 = gureum.client("s3")
    bucket = f"imports-{t.lower()}"
    s3.create_bucket(Bucket=bucket)
    arn = ddb.describe_table(TableName=t)["Table"]["TableArn"]
    ex = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=bucket, S3Prefix="ex")["ExportDescription"]
    eid = ex["ExportArn"].rsplit("/", 1)[1]
    s3.put_object(Bucket=bucket, Key=f"ex/AWSDynamoDB/{eid}/data/zz-bad.json.gz", Body=gzip.compress(b'{"Item": {"pk": {"S": "x"}}}\nnot json\n'))
    schema = {"TableName": t + "-imported", "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
              "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
              "BillingMode": "PAY_PER_REQUEST"}
    d = ddb.import_table(S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": f"ex/AWSDynamoDB/{eid}/data/"}, InputFormat="DYNAMODB_JSON",
                         InputCompressionType="GZIP", TableCreationParameters=schema)["ImportTableDescription"]
    assert d["ImportStatus"] == "IN_PROGRESS"
    done = ddb.describe_import(ImportArn=d["ImportArn"])["ImportTableDescription"]
    assert done["ImportStatus"] == "COMPLETED" and done["ImportedItemCount"] == 4 and done["ErrorCount"] == 2
    assert ddb.get_item(TableName=t + "-imported", Key={"pk": {"S": "p"}, "sk": {"N": "3"}})["Item"]["b"] == {"B": b"\x02"}
    assert ddb.describe_table(TableName=t + "-imported")["Table"]["ItemCount"] == 4
    assert [x["ImportArn"] for x in ddb.list_imports(TableArn=done["TableArn"])["ImportSummaryList"]] == [d["ImportArn"]]
    assert error(lambda: ddb.import_table(S3BucketSource={"S3Bucket": bucket}, InputFormat="DYNAMODB_JSON",
                                          TableCreationParameters=schema))[0] == "ResourceInUseException"
    s3.put_object(Bucket=bucket, Key="csv/one.csv", Body=b"pk,sk,name\nq,1,first\nq,2,\nq,oops,bad\n")
    csv_schema = dict(schema, TableName=t + "-csv")
    d = ddb.import_table(S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": "csv/"}, InputFormat="CSV",
                         TableCreationParameters=csv_schema)["ImportTableDescription"]
    done = ddb.describe_import(ImportArn=d["ImportArn"])["ImportTableDescription"]
    assert done["ImportedItemCount"] == 2 and done["ErrorCount"] == 1
    assert ddb.get_item(TableName=t + "-csv", Key={"pk": {"S": "q"}, "sk": {"N": "1"}})["Item"]["name"] == {"S": "first"}
    missing = ddb.import_table(S3BucketSource={"S3Bucket": "no-such-bucket-here"}, InputFormat="CSV",
                               TableCreationParameters=dict(schema, TableName=t + "-never"))["ImportTableDescription"]
    got = ddb.describe_import(ImportArn=missing["ImportArn"])["ImportTableDescription"]
    assert got["ImportStatus"] == "FAILED" and got["FailureCode"] == "S3NoSuchBucket"
    assert error(lambda: ddb.describe_table(TableName=t + "-never"))[0] == "ResourceNotFoundException"


def test_restore_to_latest_point_in_time(ddb: Any, table: Any) -> None:
    import datetime

    t = table(None)
    ddb.put_item(TableName=t, Item={"pk": {"S": "a"}, "n": {"N": "1"}})
    assert error(lambda: ddb.restore_table_to_point_in_time(SourceTableName=t, TargetTableName=t + "-pitr", UseLatestRestorableTime=True)) == (
        "PointInTimeRecoveryUnavailableException", f"Point in time recovery is not enabled for table '{t}'")
    ddb.update_continuous_backups(TableName=t, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    ddb.put_item(TableName=t, Item={"pk": {"S": "b"}})
    out = ddb.restore_table_to_point_in_time(SourceTableName=t, TargetTableName=t + "-pitr", UseLatestRestorableTime=True)
    summary = out["TableDescription"]["RestoreSummary"]
    assert summary["SourceTableArn"].endswith(f":table/{t}") and "SourceBackupArn" not in summary
    assert ddb.describe_table(TableName=t + "-pitr")["Table"]["ItemCount"] == 2
    assert ddb.get_item(TableName=t + "-pitr", Key={"pk": {"S": "a"}})["Item"]["n"] == {"N": "1"}
    past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=2)
    assert error(lambda: ddb.restore_table_to_point_in_time(SourceTableName=t, TargetTableName=t + "-old", RestoreDateTime=past))[0] == \
        "InvalidRestoreTimeException"
    assert error(lambda: ddb.restore_table_to_point_in_time(SourceTableName=t, TargetTableName=t + "-pitr", UseLatestRestorableTime=True))[0] == \
        "TableAlreadyExistsException"
