"""S3 replication end to end through boto3: the configuration held to AWS's rules (versioning
on both buckets, destinations that exist), and new versions really copied to the destination
bucket, asynchronously: PENDING then COMPLETED on the source, REPLICA on the copy, the same
version id and bytes; delete markers as DeleteMarkerReplication says; filters."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from waiting import wait_for

ROLE = "arn:aws:iam::000000000000:role/replication"


@pytest.fixture
def s3(gureum: Any) -> Any:
    return gureum.client("s3")


def _versioned(s3: Any) -> str:
    name = f"rep-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def _rule(dest: str, **extra: Any) -> dict[str, Any]:
    return {"ID": "all", "Priority": 1, "Status": "Enabled", "Filter": {},
            "DeleteMarkerReplication": {"Status": "Disabled"},
            "Destination": {"Bucket": f"arn:aws:s3:::{dest}"}, **extra}


def _error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_replication_configuration_requires_versioning_and_a_destination(s3: Any) -> None:
    source, dest = _versioned(s3), _versioned(s3)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_replication(Bucket=source)
    assert _error(exc) == ("ReplicationConfigurationNotFoundError", 404)
    plain = f"rep-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=plain)
    with pytest.raises(ClientError) as exc:  # the source is not versioned
        s3.put_bucket_replication(Bucket=plain, ReplicationConfiguration={"Role": ROLE, "Rules": [_rule(dest)]})
    assert _error(exc) == ("InvalidRequest", 400)
    with pytest.raises(ClientError) as exc:  # nor is the destination
        s3.put_bucket_replication(Bucket=source, ReplicationConfiguration={"Role": ROLE, "Rules": [_rule(plain)]})
    assert _error(exc) == ("InvalidRequest", 400)
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_replication(Bucket=source, ReplicationConfiguration={"Role": ROLE, "Rules": [
            _rule(f"missing-{uuid.uuid4().hex[:8]}")]})
    assert _error(exc) == ("InvalidRequest", 400)
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_replication(Bucket=source, ReplicationConfiguration={"Role": ROLE, "Rules": [
            {k: v for k, v in _rule(dest).items() if k != "DeleteMarkerReplication"}]})
    assert _error(exc) == ("InvalidArgument", 400)
    s3.put_bucket_replication(Bucket=source, ReplicationConfiguration={"Role": ROLE, "Rules": [_rule(dest)]})
    got = s3.get_bucket_replication(Bucket=source)["ReplicationConfiguration"]
    assert got["Role"] == ROLE and got["Rules"][0]["Destination"]["Bucket"] == f"arn:aws:s3:::{dest}"
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_versioning(Bucket=source, VersioningConfiguration={"Status": "Suspended"})
    assert _error(exc) == ("InvalidBucketState", 409)
    s3.delete_bucket_replication(Bucket=source)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_replication(Bucket=source)
    assert _error(exc) == ("ReplicationConfigurationNotFoundError", 404)
    s3.put_bucket_versioning(Bucket=source, VersioningConfiguration={"Status": "Suspended"})


def test_new_versions_are_replicated_with_their_version_id(s3: Any) -> None:
    source, dest = _versioned(s3), _versioned(s3)
    s3.put_object(Bucket=source, Key="before", Body=b"old")  # written before the configuration: not copied
    s3.put_bucket_replication(Bucket=source, ReplicationConfiguration={"Role": ROLE, "Rules": [
        _rule(dest, Destination={"Bucket": f"arn:aws:s3:::{dest}", "StorageClass": "STANDARD_IA"})]})
    put = s3.put_object(Bucket=source, Key="docs/a.txt", Body=b"hello", Metadata={"who": "me"})
    status = s3.head_object(Bucket=source, Key="docs/a.txt")["ReplicationStatus"]
    assert status in ("PENDING", "COMPLETED")
    wait_for("the source version to be COMPLETED",
             lambda: s3.head_object(Bucket=source, Key="docs/a.txt").get("ReplicationStatus") == "COMPLETED")
    copy = s3.get_object(Bucket=dest, Key="docs/a.txt")
    assert (copy["ReplicationStatus"], copy["VersionId"], copy["Body"].read(), copy["Metadata"]) == (
        "REPLICA", put["VersionId"], b"hello", {"who": "me"})
    assert copy["StorageClass"] == "STANDARD_IA"
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=dest, Key="before")
    assert _error(exc)[1] == 404
    assert "ReplicationStatus" not in s3.head_object(Bucket=source, Key="before")


def test_delete_markers_follow_delete_marker_replication(s3: Any) -> None:
    source, quiet, other, loud = _versioned(s3), _versioned(s3), _versioned(s3), _versioned(s3)
    s3.put_bucket_replication(Bucket=source, ReplicationConfiguration={"Role": ROLE, "Rules": [
        _rule(quiet, DeleteMarkerReplication={"Status": "Disabled"})]})
    s3.put_bucket_replication(Bucket=other, ReplicationConfiguration={"Role": ROLE, "Rules": [
        _rule(loud, DeleteMarkerReplication={"Status": "Enabled"})]})
    for src, dest in ((source, quiet), (other, loud)):
        s3.put_object(Bucket=src, Key="k", Body=b"v1")
        wait_for(f"k copied to {dest}", lambda d=dest: any(
            v["Key"] == "k" for v in s3.list_object_versions(Bucket=d).get("Versions") or []))
        s3.delete_object(Bucket=src, Key="k")
    wait_for("the delete marker copied to the loud destination",
             lambda: len(s3.list_object_versions(Bucket=loud).get("DeleteMarkers") or []) == 1)
    with pytest.raises(ClientError):
        s3.head_object(Bucket=loud, Key="k")
    # the quiet destination keeps the object: its source's delete marker was not replicated
    assert s3.get_object(Bucket=quiet, Key="k")["Body"].read() == b"v1"
    assert not s3.list_object_versions(Bucket=quiet).get("DeleteMarkers")


def test_filters_choose_what_is_replicated(s3: Any) -> None:
    source, dest = _versioned(s3), _versioned(s3)
    s3.put_bucket_replication(Bucket=source, ReplicationConfiguration={"Role": ROLE, "Rules": [
        _rule(dest, Filter={"And": {"Prefix": "logs/", "Tags": [{"Key": "copy", "Value": "yes"}]}})]})
    s3.put_object(Bucket=source, Key="logs/tagged", Body=b"1", Tagging="copy=yes")
    s3.put_object(Bucket=source, Key="logs/untagged", Body=b"2")
    s3.put_object(Bucket=source, Key="other/tagged", Body=b"3", Tagging="copy=yes")
    wait_for("logs/tagged to be copied",
             lambda: [o["Key"] for o in s3.list_objects_v2(Bucket=dest).get("Contents") or []] == ["logs/tagged"])
    for key in ("logs/untagged", "other/tagged"):
        assert "ReplicationStatus" not in s3.head_object(Bucket=source, Key=key)
