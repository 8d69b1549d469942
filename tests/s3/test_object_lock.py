"""S3 Object Lock end to end through boto3: bucket configuration and default retention,
GOVERNANCE and COMPLIANCE retention, legal holds, and the deletes they refuse."""

from __future__ import annotations

import datetime as dt
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError


def _name() -> str:
    return f"lk-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def s3(gureum):
    return gureum.client("s3")


@pytest.fixture
def locked(s3):
    name = _name()
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    return name


def _err(exc: pytest.ExceptionInfo) -> tuple[str, int]:
    r = exc.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


def _later(days: float) -> dt.datetime:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=days)).replace(microsecond=0)


def test_lock_bucket_turns_versioning_on_and_keeps_it(s3, locked):
    assert s3.get_bucket_versioning(Bucket=locked)["Status"] == "Enabled"
    assert s3.get_object_lock_configuration(Bucket=locked)["ObjectLockConfiguration"] == {"ObjectLockEnabled": "Enabled"}
    with pytest.raises(ClientError) as e:
        s3.put_bucket_versioning(Bucket=locked, VersioningConfiguration={"Status": "Suspended"})
    assert _err(e) == ("InvalidBucketState", 409)


def test_lock_configuration_absent_and_on_existing_buckets(s3):
    name = _name()
    s3.create_bucket(Bucket=name)
    with pytest.raises(ClientError) as e:
        s3.get_object_lock_configuration(Bucket=name)
    assert _err(e) == ("ObjectLockConfigurationNotFoundError", 404)
    with pytest.raises(ClientError) as e:  # versioning must be on first
        s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})
    assert _err(e) == ("InvalidBucketState", 409)
    with pytest.raises(ClientError) as e:
        s3.put_object_retention(Bucket=name, Key="k", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": _later(1)})
    assert _err(e) == ("InvalidRequest", 400)
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=name, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=_later(1))
    assert _err(e) == ("InvalidRequest", 400)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})
    assert s3.get_object_lock_configuration(Bucket=name)["ObjectLockConfiguration"]["ObjectLockEnabled"] == "Enabled"


def test_default_retention_applies_to_new_versions(s3, locked):
    rule = {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 2}}
    s3.put_object_lock_configuration(Bucket=locked, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled", "Rule": rule})
    assert s3.get_object_lock_configuration(Bucket=locked)["ObjectLockConfiguration"]["Rule"] == rule
    vid = s3.put_object(Bucket=locked, Key="k", Body=b"x")["VersionId"]
    head = s3.head_object(Bucket=locked, Key="k")
    assert head["ObjectLockMode"] == "GOVERNANCE"
    until = head["ObjectLockRetainUntilDate"]
    assert _later(1.9) < until < _later(2.1)
    ret = s3.get_object_retention(Bucket=locked, Key="k", VersionId=vid)["Retention"]
    assert ret["Mode"] == "GOVERNANCE" and ret["RetainUntilDate"] == until
    for bad in ({"Mode": "GOVERNANCE", "Days": 0}, {"Mode": "GOVERNANCE", "Days": 1, "Years": 1}):
        with pytest.raises(ClientError) as e:
            s3.put_object_lock_configuration(Bucket=locked, ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": bad}})
        assert _err(e)[1] == 400


def test_governance_retention_refuses_deletes_unless_bypassed(s3, locked):
    vid = s3.put_object(Bucket=locked, Key="g", Body=b"x", ObjectLockMode="GOVERNANCE",
                        ObjectLockRetainUntilDate=_later(1))["VersionId"]
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket=locked, Key="g", VersionId=vid)
    assert _err(e) == ("AccessDenied", 403)
    assert "object lock" in e.value.response["Error"]["Message"]
    res = s3.delete_objects(Bucket=locked, Delete={"Objects": [{"Key": "g", "VersionId": vid}]})
    assert res["Errors"][0]["Code"] == "AccessDenied" and not res.get("Deleted")
    # a delete without a version id only adds a delete marker: allowed, the version stays
    assert s3.delete_object(Bucket=locked, Key="g")["DeleteMarker"] is True
    assert s3.get_object(Bucket=locked, Key="g", VersionId=vid)["Body"].read() == b"x"
    # shortening GOVERNANCE needs the bypass header
    with pytest.raises(ClientError) as e:
        s3.put_object_retention(Bucket=locked, Key="g", VersionId=vid,
                                Retention={"Mode": "GOVERNANCE", "RetainUntilDate": _later(0.5)})
    assert _err(e) == ("AccessDenied", 403)
    s3.put_object_retention(Bucket=locked, Key="g", VersionId=vid, BypassGovernanceRetention=True,
                            Retention={"Mode": "GOVERNANCE", "RetainUntilDate": _later(0.5)})
    s3.delete_object(Bucket=locked, Key="g", VersionId=vid, BypassGovernanceRetention=True)
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=locked, Key="g", VersionId=vid)
    assert _err(e)[1] == 404


def test_compliance_retention_cannot_be_shortened_or_bypassed(s3, locked):
    vid = s3.put_object(Bucket=locked, Key="c", Body=b"x")["VersionId"]
    s3.put_object_retention(Bucket=locked, Key="c", Retention={"Mode": "COMPLIANCE", "RetainUntilDate": _later(2)})
    for retention in ({"Mode": "COMPLIANCE", "RetainUntilDate": _later(1)},
                      {"Mode": "GOVERNANCE", "RetainUntilDate": _later(3)}):
        with pytest.raises(ClientError) as e:
            s3.put_object_retention(Bucket=locked, Key="c", VersionId=vid, BypassGovernanceRetention=True,
                                    Retention=retention)
        assert _err(e) == ("AccessDenied", 403)
    longer = _later(3)
    s3.put_object_retention(Bucket=locked, Key="c", Retention={"Mode": "COMPLIANCE", "RetainUntilDate": longer})
    assert s3.get_object_retention(Bucket=locked, Key="c")["Retention"]["RetainUntilDate"] == longer
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket=locked, Key="c", VersionId=vid, BypassGovernanceRetention=True)
    assert _err(e) == ("AccessDenied", 403)
    res = s3.delete_objects(Bucket=locked, BypassGovernanceRetention=True,
                            Delete={"Objects": [{"Key": "c", "VersionId": vid}]})
    assert res["Errors"][0]["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as e:  # a date in the past
        s3.put_object_retention(Bucket=locked, Key="c", Retention={"Mode": "COMPLIANCE",
                                                                   "RetainUntilDate": _later(-1)})
    assert _err(e) == ("InvalidArgument", 400)


def test_legal_hold_blocks_deletes_until_released(s3, locked):
    vid = s3.put_object(Bucket=locked, Key="h", Body=b"x", ObjectLockLegalHoldStatus="ON")["VersionId"]
    assert s3.get_object_legal_hold(Bucket=locked, Key="h")["LegalHold"] == {"Status": "ON"}
    assert s3.get_object(Bucket=locked, Key="h")["ObjectLockLegalHoldStatus"] == "ON"
    with pytest.raises(ClientError) as e:
        s3.get_object_retention(Bucket=locked, Key="h")
    assert _err(e) == ("NoSuchObjectLockConfiguration", 404)
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket=locked, Key="h", VersionId=vid, BypassGovernanceRetention=True)
    assert _err(e) == ("AccessDenied", 403)
    s3.put_object_legal_hold(Bucket=locked, Key="h", LegalHold={"Status": "OFF"})
    assert s3.get_object_legal_hold(Bucket=locked, Key="h", VersionId=vid)["LegalHold"] == {"Status": "OFF"}
    s3.delete_object(Bucket=locked, Key="h", VersionId=vid)
    other = s3.put_object(Bucket=locked, Key="h2", Body=b"y")["VersionId"]
    with pytest.raises(ClientError) as e:
        s3.get_object_legal_hold(Bucket=locked, Key="h2", VersionId=other)
    assert _err(e) == ("NoSuchObjectLockConfiguration", 404)


def test_lock_headers_need_a_digest_and_both_mode_and_date(gureum, s3, locked):
    bare = boto3.client("s3", endpoint_url=gureum.endpoint, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test",
                        config=Config(request_checksum_calculation="when_required", s3={"addressing_style": "path"}))
    with pytest.raises(ClientError) as e:
        bare.put_object(Bucket=locked, Key="d", Body=b"x", ObjectLockMode="GOVERNANCE",
                        ObjectLockRetainUntilDate=_later(1))
    assert _err(e) == ("InvalidRequest", 400)
    assert "Content-MD5" in e.value.response["Error"]["Message"]
    bare.put_object(Bucket=locked, Key="d", Body=b"x")  # no lock parameters: no digest needed
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=locked, Key="d", Body=b"x", ObjectLockMode="GOVERNANCE")
    assert _err(e) == ("InvalidArgument", 400)


def test_multipart_upload_keeps_its_lock(s3, locked):
    up = s3.create_multipart_upload(Bucket=locked, Key="m", ObjectLockMode="COMPLIANCE",
                                    ObjectLockRetainUntilDate=_later(1))
    etag = s3.upload_part(Bucket=locked, Key="m", UploadId=up["UploadId"], PartNumber=1, Body=b"p")["ETag"]
    vid = s3.complete_multipart_upload(Bucket=locked, Key="m", UploadId=up["UploadId"],
                                       MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})["VersionId"]
    assert s3.get_object_retention(Bucket=locked, Key="m", VersionId=vid)["Retention"]["Mode"] == "COMPLIANCE"
    with pytest.raises(ClientError) as e:
        s3.delete_object(Bucket=locked, Key="m", VersionId=vid)
    assert _err(e) == ("AccessDenied", 403)
