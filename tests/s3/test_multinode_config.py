"""S3's background work with two gureum nodes on one PostgreSQL store: the lifecycle sweep and
the replication worker run on both, and what the cluster must do once is done once — one
delete marker per expired key, one replica per version."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from harness import GureumProcess
from waiting import wait_for

pytestmark = [pytest.mark.xdist_group("multinode"), pytest.mark.e2e]


@pytest.fixture(scope="module")
def two_nodes(pg_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GureumProcess, GureumProcess]]:
    base = tmp_path_factory.mktemp("s3cfg-multinode")
    args = ["--state", pg_database, "--set", f"storage.blob_dir={base / 'blobs'}",
            "--set", "s3.lifecycle_day_seconds=1", "--set", "s3.lifecycle_interval_seconds=0.3",
            "--set", "s3.replication_poll_seconds=0.2", "--set", "ecs.enabled=0"]
    a, b = GureumProcess(base / "a", extra_args=args), GureumProcess(base / "b", extra_args=args)
    a.start()
    try:
        b.start()
    except BaseException:
        a.stop()
        raise
    try:
        yield a, b
    finally:
        b.stop()
        a.stop()


def _versioned(s3: Any) -> str:
    name = f"mn-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def test_lifecycle_expires_each_key_once_across_nodes(two_nodes: tuple[GureumProcess, GureumProcess]) -> None:
    a, b = two_nodes
    s3a, s3b = a.client("s3"), b.client("s3")
    bucket = _versioned(s3a)
    keys = [f"k{i:02d}" for i in range(20)]
    for i, key in enumerate(keys):
        (s3a if i % 2 else s3b).put_object(Bucket=bucket, Key=key, Body=b"x")
    s3b.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "all", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1}}]})

    def markers() -> Counter[str]:
        out = s3a.list_object_versions(Bucket=bucket)
        return Counter(m["Key"] for m in out.get("DeleteMarkers") or [])

    wait_for("every key to get its delete marker", lambda: set(markers()) == set(keys), timeout=60)
    assert set(markers().values()) == {1}
    assert not s3b.list_objects_v2(Bucket=bucket).get("Contents")


def test_replication_copies_each_version_once_across_nodes(two_nodes: tuple[GureumProcess, GureumProcess]) -> None:
    a, b = two_nodes
    s3a, s3b = a.client("s3"), b.client("s3")
    source, dest = _versioned(s3a), _versioned(s3a)
    s3a.put_bucket_replication(Bucket=source, ReplicationConfiguration={
        "Role": "arn:aws:iam::000000000000:role/r", "Rules": [
            {"ID": "all", "Priority": 1, "Status": "Enabled", "Filter": {},
             "DeleteMarkerReplication": {"Status": "Disabled"}, "Destination": {"Bucket": f"arn:aws:s3:::{dest}"}}]})
    written = [(s3a if i % 2 else s3b).put_object(Bucket=source, Key=f"k{i % 5}", Body=str(i).encode())["VersionId"]
               for i in range(20)]

    def replicas() -> Counter[str]:
        out = s3b.list_object_versions(Bucket=dest)
        return Counter(v["VersionId"] for v in out.get("Versions") or [])

    wait_for("every version to be replicated", lambda: set(replicas()) == set(written), timeout=60)
    assert set(replicas().values()) == {1}
    for i in range(5):
        assert s3a.head_object(Bucket=source, Key=f"k{i}")["ReplicationStatus"] == "COMPLETED"
        # the destination's current version is the source's, whichever node copied last
        assert s3b.get_object(Bucket=dest, Key=f"k{i}")["Body"].read() == \
            s3a.get_object(Bucket=source, Key=f"k{i}")["Body"].read()
