"""Directory buckets (S3 Express One Zone) end to end through boto3: CreateBucket with a
directory configuration, ListDirectoryBuckets, CreateSession (boto3 calls it on its own before
object requests on a `--x-s3` bucket and signs them with the session), RenameObject."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from botocore.exceptions import ClientError

ZONE = "use1-az4"


@pytest.fixture
def s3(gureum):
    return gureum.client("s3")


def _name() -> str:
    return f"dir{uuid.uuid4().hex[:10]}--{ZONE}--x-s3"


def _create(s3, name: str) -> None:
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={
        "Location": {"Type": "AvailabilityZone", "Name": ZONE},
        "Bucket": {"Type": "Directory", "DataRedundancy": "SingleAvailabilityZone"}})


def _err(exc: pytest.ExceptionInfo) -> tuple[str, int]:
    r = exc.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


def test_directory_buckets_are_listed_apart(s3):
    name = _name()
    _create(s3, name)
    names = [b["Name"] for b in s3.list_directory_buckets()["Buckets"]]
    assert name in names
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    general = f"gp-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=general)
    assert general not in [b["Name"] for b in s3.list_directory_buckets()["Buckets"]]
    second = _name()
    _create(s3, second)
    page = s3.list_directory_buckets(MaxDirectoryBuckets=1)
    assert len(page["Buckets"]) == 1 and page["ContinuationToken"]
    rest = s3.list_directory_buckets(ContinuationToken=page["ContinuationToken"])["Buckets"]
    assert page["Buckets"][0]["Name"] not in [b["Name"] for b in rest]


def test_directory_bucket_names_and_zones_are_checked(s3):
    with pytest.raises(ClientError) as e:  # the zone of the name and of the location differ
        s3.create_bucket(Bucket=f"x{uuid.uuid4().hex[:8]}--use1-az5--x-s3", CreateBucketConfiguration={
            "Location": {"Type": "AvailabilityZone", "Name": ZONE}, "Bucket": {"Type": "Directory"}})
    assert _err(e) == ("InvalidBucketName", 400)
    with pytest.raises(ClientError) as e:  # a zone of another region
        s3.create_bucket(Bucket=f"x{uuid.uuid4().hex[:8]}--usw2-az1--x-s3", CreateBucketConfiguration={
            "Location": {"Type": "AvailabilityZone", "Name": "usw2-az1"}, "Bucket": {"Type": "Directory"}})
    assert _err(e)[1] == 400


def test_create_session_gives_five_minute_credentials(s3):
    name = _name()
    _create(s3, name)
    creds = s3.create_session(Bucket=name)["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and creds["SecretAccessKey"] and creds["SessionToken"]
    left = creds["Expiration"] - dt.datetime.now(dt.UTC)
    assert dt.timedelta(minutes=4) < left <= dt.timedelta(minutes=5)
    general = f"gp-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=general)
    with pytest.raises(ClientError) as e:
        s3.create_session(Bucket=general)
    assert _err(e) == ("NoSuchBucket", 404)


def test_objects_in_a_directory_bucket_and_rename(s3):
    name = _name()
    _create(s3, name)
    s3.put_object(Bucket=name, Key="a/one.txt", Body=b"first")
    assert s3.get_object(Bucket=name, Key="a/one.txt")["Body"].read() == b"first"
    s3.rename_object(Bucket=name, Key="b/two.txt", RenameSource=f"{name}/a/one.txt")
    assert s3.get_object(Bucket=name, Key="b/two.txt")["Body"].read() == b"first"
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=name, Key="a/one.txt")
    assert _err(e)[1] == 404
    s3.put_object(Bucket=name, Key="c.txt", Body=b"other")
    with pytest.raises(ClientError) as e:  # the destination exists: If-None-Match refuses
        s3.rename_object(Bucket=name, Key="b/two.txt", RenameSource=f"{name}/c.txt", DestinationIfNoneMatch="*")
    assert _err(e) == ("PreconditionFailed", 412)
    s3.rename_object(Bucket=name, Key="d.txt", RenameSource=f"{name}/c.txt", ClientToken="tok-1")
    s3.rename_object(Bucket=name, Key="d.txt", RenameSource=f"{name}/c.txt", ClientToken="tok-1")  # a retry
    assert s3.get_object(Bucket=name, Key="d.txt")["Body"].read() == b"other"
    with pytest.raises(ClientError) as e:
        s3.rename_object(Bucket=name, Key="d.txt", RenameSource=f"{name}/b/two.txt", ClientToken="tok-1")
    assert _err(e) == ("IdempotencyParameterMismatch", 400)


def test_rename_is_refused_in_general_purpose_buckets(s3):
    general = f"gp-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=general)
    s3.put_object(Bucket=general, Key="k", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.rename_object(Bucket=general, Key="k2", RenameSource=f"{general}/k")
    assert _err(e) == ("InvalidRequest", 400)
