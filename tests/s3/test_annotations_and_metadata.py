"""Object annotations, S3 Metadata configurations, and the operations that need a service gureum
does not serve (WriteGetObjectResponse, UpdateObjectEncryption), end to end through boto3."""

from __future__ import annotations

import uuid

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError


@pytest.fixture
def s3(gureum):
    return gureum.client("s3")


@pytest.fixture
def bucket(s3):
    name = f"an-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


def _err(exc: pytest.ExceptionInfo) -> tuple[str, int]:
    r = exc.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


def test_annotations_round_trip_list_and_delete(s3, bucket):
    s3.put_object(Bucket=bucket, Key="doc.pdf", Body=b"%PDF")
    put = s3.put_object_annotation(Bucket=bucket, Key="doc.pdf", AnnotationName="labels/ml",
                                   AnnotationPayload=b'{"label": "invoice"}')
    assert put["ETag"]
    got = s3.get_object_annotation(Bucket=bucket, Key="doc.pdf", AnnotationName="labels/ml")
    assert got["AnnotationPayload"].read() == b'{"label": "invoice"}' and got["ETag"] == put["ETag"]
    for i in range(3):
        s3.put_object_annotation(Bucket=bucket, Key="doc.pdf", AnnotationName=f"audit/{i}", AnnotationPayload=b"ok")
    page = s3.list_object_annotations(Bucket=bucket, Key="doc.pdf", AnnotationPrefix="audit/", MaxAnnotationResults=2)
    assert [a["AnnotationName"] for a in page["Annotations"]] == ["audit/0", "audit/1"]
    rest = s3.list_object_annotations(Bucket=bucket, Key="doc.pdf", AnnotationPrefix="audit/",
                                      ContinuationToken=page["NextContinuationToken"])
    assert [a["AnnotationName"] for a in rest["Annotations"]] == ["audit/2"] and "NextContinuationToken" not in rest
    s3.delete_object_annotation(Bucket=bucket, Key="doc.pdf", AnnotationName="labels/ml")
    with pytest.raises(ClientError) as e:
        s3.get_object_annotation(Bucket=bucket, Key="doc.pdf", AnnotationName="labels/ml")
    assert _err(e) == ("NoSuchAnnotation", 404)
    # overwriting the object makes a new object: its annotations do not carry over
    s3.put_object(Bucket=bucket, Key="doc.pdf", Body=b"%PDF-2")
    assert s3.list_object_annotations(Bucket=bucket, Key="doc.pdf")["Annotations"] == []


def test_annotation_rules(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.put_object_annotation(Bucket=bucket, Key="k", AnnotationName="n" * 513, AnnotationPayload=b"x")
    assert _err(e) == ("AnnotationNameTooLong", 400)
    with pytest.raises(ClientError) as e:
        s3.put_object_annotation(Bucket=bucket, Key="k", AnnotationName="bin", AnnotationPayload=b"\xff\xfe")
    assert _err(e)[0] == "UnsupportedMediaType"
    with pytest.raises(ClientError) as e:
        s3.put_object_annotation(Bucket=bucket, Key="missing", AnnotationName="a", AnnotationPayload=b"x")
    assert _err(e) == ("NoSuchKey", 404)
    with pytest.raises(ClientError) as e:
        s3.put_object_annotation(Bucket=bucket, Key="k", AnnotationName="a", AnnotationPayload=b"x",
                                 ObjectIfMatch='"0123"')
    assert _err(e) == ("PreconditionFailed", 412)


def test_annotations_of_a_locked_version_cannot_change(s3):
    name = f"anl-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    s3.put_object(Bucket=name, Key="k", Body=b"x", ObjectLockLegalHoldStatus="ON")
    with pytest.raises(ClientError) as e:
        s3.put_object_annotation(Bucket=name, Key="k", AnnotationName="a", AnnotationPayload=b"x")
    assert _err(e) == ("AccessDenied", 403)


def test_metadata_configuration_is_kept_and_its_tables_report_failure(s3, bucket):
    with pytest.raises(ClientError) as e:
        s3.get_bucket_metadata_configuration(Bucket=bucket)
    assert _err(e) == ("MetadataConfigurationNotFound", 404)
    s3.create_bucket_metadata_configuration(Bucket=bucket, MetadataConfiguration={
        "JournalTableConfiguration": {"RecordExpiration": {"Expiration": "ENABLED", "Days": 7}},
        "InventoryTableConfiguration": {"ConfigurationState": "ENABLED"}})
    res = s3.get_bucket_metadata_configuration(Bucket=bucket)["GetBucketMetadataConfigurationResult"][
        "MetadataConfigurationResult"]
    assert res["DestinationResult"]["TableBucketType"] == "aws"
    journal = res["JournalTableConfigurationResult"]
    assert journal["RecordExpiration"] == {"Expiration": "ENABLED", "Days": 7}
    assert journal["TableStatus"] == "FAILED" and journal["Error"]["ErrorCode"]
    assert res["InventoryTableConfigurationResult"]["ConfigurationState"] == "ENABLED"
    s3.update_bucket_metadata_journal_table_configuration(Bucket=bucket, JournalTableConfiguration={
        "RecordExpiration": {"Expiration": "DISABLED"}})
    res = s3.get_bucket_metadata_configuration(Bucket=bucket)["GetBucketMetadataConfigurationResult"]
    assert res["MetadataConfigurationResult"]["JournalTableConfigurationResult"]["RecordExpiration"] == {
        "Expiration": "DISABLED"}
    with pytest.raises(ClientError) as e:  # V1's Get on a V2 configuration
        s3.get_bucket_metadata_table_configuration(Bucket=bucket)
    assert _err(e)[1] == 405
    s3.delete_bucket_metadata_configuration(Bucket=bucket)
    with pytest.raises(ClientError) as e:
        s3.delete_bucket_metadata_configuration(Bucket=bucket)
    assert _err(e) == ("MetadataConfigurationNotFound", 404)


def test_v1_metadata_table_configuration(s3, bucket):
    arn = "arn:aws:s3tables:us-east-1:000000000000:bucket/my-tables"
    s3.create_bucket_metadata_table_configuration(Bucket=bucket, MetadataTableConfiguration={
        "S3TablesDestination": {"TableBucketArn": arn, "TableName": "meta"}})
    got = s3.get_bucket_metadata_table_configuration(Bucket=bucket)["GetBucketMetadataTableConfigurationResult"]
    assert got["MetadataTableConfigurationResult"]["S3TablesDestinationResult"]["TableName"] == "meta"
    assert got["Status"] == "FAILED" and got["Error"]["ErrorCode"]
    s3.delete_bucket_metadata_table_configuration(Bucket=bucket)


def test_write_get_object_response_without_object_lambda(gureum):
    s3 = gureum.client("s3", config=Config(inject_host_prefix=False, retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as e:
        s3.write_get_object_response(RequestRoute="io-abc", RequestToken="token", Body=b"transformed")
    assert _err(e) == ("InvalidRequest", 400)


def test_ops_answer_no_501(s3, bucket):
    """Every operation of this part answers something other than 501 NotImplemented."""
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    calls = [lambda: s3.get_object_lock_configuration(Bucket=bucket),
             lambda: s3.get_object_retention(Bucket=bucket, Key="k"),
             lambda: s3.get_object_legal_hold(Bucket=bucket, Key="k"),
             lambda: s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["ETag"]),
             lambda: s3.get_object_torrent(Bucket=bucket, Key="k"),
             lambda: s3.restore_object(Bucket=bucket, Key="k", RestoreRequest={"Days": 1}),
             lambda: s3.list_directory_buckets(),
             lambda: s3.get_bucket_metadata_table_configuration(Bucket=bucket)]
    for call in calls:
        try:
            r = call()
            assert r["ResponseMetadata"]["HTTPStatusCode"] < 300
        except ClientError as err:
            assert err.response["ResponseMetadata"]["HTTPStatusCode"] != 501
