"""S3 lifecycle end to end: configurations held to AWS's rules (boto3 against the suite's
gureum), and a gureum with a short lifecycle day (s3.lifecycle_day_seconds=1) whose sweep
really expires objects, noncurrent versions, delete markers and incomplete multipart uploads
and transitions storage classes. The planner's decisions are also checked on values."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from harness import GureumProcess
from waiting import wait_for

from gureum.services.s3 import lifecycle_plan
from gureum.services.s3.lifecycle_plan import Action


def _name() -> str:
    return f"lc-{uuid.uuid4().hex[:12]}"


def _error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


# -- the planner, on values --------------------------------------------------------------------

def test_due_rounds_up_to_the_next_day_boundary() -> None:
    assert lifecycle_plan.due(10.0, 1, 86400.0) == 2 * 86400.0
    assert lifecycle_plan.due(86400.0 * 3 + 5, 2, 86400.0) == 86400.0 * 6
    assert lifecycle_plan.due(86400.0 * 3, 2, 86400.0) == 86400.0 * 5


def test_plan_keeps_newer_noncurrent_versions_and_never_warms_a_class() -> None:
    rules = [{"Status": "Enabled", "Filter": {}, "NoncurrentVersionExpiration": {"NoncurrentDays": 1,
                                                                                 "NewerNoncurrentVersions": 1}}]
    versions = [{"vid": "v3", "mtime": 300.0, "size": 1}, {"vid": "v2", "mtime": 200.0, "size": 1},
                {"vid": "v1", "mtime": 100.0, "size": 1}]
    assert lifecycle_plan.plan_key(rules, "k", versions, now=10_000.0, day=10.0) == [Action("delete_version", "k", "v1")]
    cold = [{"Status": "Enabled", "Filter": {}, "Transitions": [{"Days": 1, "StorageClass": "STANDARD_IA"}]}]
    glacier = [{"vid": "g", "mtime": 0.0, "size": 1 << 20, "sc": "GLACIER"}]
    assert lifecycle_plan.plan_key(cold, "k", glacier, now=10_000.0, day=10.0) == []
    small = [{"vid": "s", "mtime": 0.0, "size": 10}]
    assert lifecycle_plan.plan_key(cold, "k", small, now=10_000.0, day=10.0) == []


def test_disabled_rules_and_unmatched_filters_do_nothing() -> None:
    versions = [{"vid": "v", "mtime": 0.0, "size": 500, "tags": {"team": "a"}}]
    for rule in ({"Status": "Disabled", "Filter": {}, "Expiration": {"Days": 1}},
                 {"Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 1}},
                 {"Status": "Enabled", "Filter": {"Tag": {"Key": "team", "Value": "b"}}, "Expiration": {"Days": 1}},
                 {"Status": "Enabled", "Filter": {"ObjectSizeGreaterThan": 500}, "Expiration": {"Days": 1}}):
        assert lifecycle_plan.plan_key([rule], "data/x", versions, now=1e9, day=1.0) == []
    rule = {"Status": "Enabled", "Filter": {"And": {"Prefix": "data/", "Tags": [{"Key": "team", "Value": "a"}],
                                                    "ObjectSizeLessThan": 501}}, "Expiration": {"Days": 1}}
    assert lifecycle_plan.plan_key([rule], "data/x", versions, now=1e9, day=1.0) == [Action("expire", "data/x", "v")]


# -- configurations, against the suite's gureum ------------------------------------------------

@pytest.fixture
def s3(gureum: Any) -> Any:
    return gureum.client("s3")


@pytest.fixture
def bucket(s3: Any) -> str:
    name = _name()
    s3.create_bucket(Bucket=name)
    return name


def test_lifecycle_configuration_round_trips_and_deletes(s3: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert _error(exc) == ("NoSuchLifecycleConfiguration", 404)
    rules = [
        {"ID": "logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"},
         "Expiration": {"Days": 365}, "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"},
                                                      {"Days": 90, "StorageClass": "GLACIER"}]},
        {"ID": "old", "Status": "Disabled", "Filter": {"And": {"Prefix": "tmp/", "Tags": [{"Key": "a", "Value": "b"}],
                                                               "ObjectSizeGreaterThan": 10}},
         "Expiration": {"Date": dt.datetime(2030, 1, 1, tzinfo=dt.UTC)}},
        {"ID": "versions", "Status": "Enabled", "Filter": {},
         "NoncurrentVersionExpiration": {"NoncurrentDays": 7, "NewerNoncurrentVersions": 2},
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 3}},
    ]
    put = s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
    assert put["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"
    got = s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert got["Rules"] == rules and got["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"
    # the 2006 API reads the same document (its flattened <Transition> is the first transition)
    legacy = s3.get_bucket_lifecycle(Bucket=bucket)["Rules"]
    assert legacy[0]["ID"] == "logs" and legacy[0]["Transition"] == {"Days": 30, "StorageClass": "STANDARD_IA"}
    s3.delete_bucket_lifecycle(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert _error(exc) == ("NoSuchLifecycleConfiguration", 404)
    s3.put_bucket_lifecycle(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "legacy", "Prefix": "a/", "Status": "Enabled", "Expiration": {"Days": 200},
         "Transition": {"Days": 40, "StorageClass": "STANDARD_IA"}}]})
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"] == [
        {"ID": "legacy", "Prefix": "a/", "Status": "Enabled", "Expiration": {"Days": 200},
         "Transitions": [{"Days": 40, "StorageClass": "STANDARD_IA"}]}]
    assert s3.get_bucket_lifecycle(Bucket=bucket)["Rules"] == [
        {"ID": "legacy", "Prefix": "a/", "Status": "Enabled", "Expiration": {"Days": 200},
         "Transition": {"Days": 40, "StorageClass": "STANDARD_IA"}}]


@pytest.mark.parametrize(("rules", "code"), [
    ([{"ID": "a", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1}},
      {"ID": "a", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 2}}], "InvalidArgument"),
    ([{"ID": "x" * 256, "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1}}], "InvalidArgument"),
    ([{"Status": "Enabled", "Filter": {}}], "InvalidRequest"),
    ([{"Status": "Enabled", "Filter": {}, "Expiration": {"Days": 0}}], "InvalidArgument"),
    ([{"Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1, "ExpiredObjectDeleteMarker": True}}], "MalformedXML"),
    ([{"Status": "Enabled", "Filter": {}, "Expiration": {"Date": dt.datetime(2030, 1, 1, 12, tzinfo=dt.UTC)}}],
     "InvalidArgument"),
    ([{"Status": "Enabled", "Filter": {}, "Transitions": [{"Days": 10, "StorageClass": "STANDARD_IA"}]}],
     "InvalidArgument"),
    ([{"Status": "Enabled", "Filter": {}, "Expiration": {"Days": 30},
       "Transitions": [{"Days": 60, "StorageClass": "GLACIER"}]}], "InvalidArgument"),
    ([{"Status": "Enabled", "Filter": {"Prefix": "a", "Tag": {"Key": "k", "Value": "v"}},
       "Expiration": {"Days": 1}}], "MalformedXML"),
    ([{"Status": "Enabled", "Filter": {"Tag": {"Key": "k", "Value": "v"}},
       "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}], "InvalidArgument"),
    ([{"Status": "Enabled", "Filter": {}, "NoncurrentVersionExpiration": {"NoncurrentDays": 1,
                                                                          "NewerNoncurrentVersions": 101}}],
     "InvalidArgument"),
    ([{"Status": "Enabled", "Filter": {}, "Transitions": [{"Days": 40}]}], "MalformedXML"),
    ([{"Status": "Enabled", "Filter": {}, "NoncurrentVersionTransitions": [{"NoncurrentDays": 40}]}], "MalformedXML"),
    ([{"Status": "Enabled", "Filter": {}, "NoncurrentVersionExpiration": {}}], "InvalidRequest"),
    ([{"Status": "Enabled", "Filter": {}, "AbortIncompleteMultipartUpload": {}}], "InvalidRequest"),
    ([{"Status": "Enabled", "Filter": {}, "Expiration": {"Days": 3},
       "AbortIncompleteMultipartUpload": {}}], "InvalidArgument"),
    ([{"Status": "Enabled", "Filter": {"ObjectSizeGreaterThan": 10, "ObjectSizeLessThan": 5},
       "Expiration": {"Days": 1}}], "MalformedXML"),
    ([{"Status": "Enabled", "Filter": {"And": {"ObjectSizeGreaterThan": 10, "ObjectSizeLessThan": 5}},
       "Expiration": {"Days": 1}}], "InvalidArgument"),
])
def test_lifecycle_rules_are_held_to_aws_rules(s3: Any, bucket: str, rules: list[dict[str, Any]], code: str) -> None:
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
    assert _error(exc) == (code, 400)


# -- the sweep, with a one-second lifecycle day ------------------------------------------------

@pytest.fixture(scope="module")
def short_day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path_factory.mktemp("lifecycle") / "data", extra_args=[
        "--set", "s3.lifecycle_day_seconds=1", "--set", "s3.lifecycle_interval_seconds=0.5"])
    proc.start()
    yield proc
    proc.stop()


def _keys(s3: Any, bucket: str) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents") or []]


def test_sweep_expires_current_objects_by_prefix_and_tag(short_day: GureumProcess) -> None:
    s3 = short_day.client("s3")
    bucket = _name()
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 2}},
        {"ID": "tagged", "Status": "Enabled", "Filter": {"Tag": {"Key": "ttl", "Value": "short"}},
         "Expiration": {"Days": 1}}]})
    s3.put_object(Bucket=bucket, Key="logs/a", Body=b"a")
    s3.put_object(Bucket=bucket, Key="data/tagged", Body=b"t", Tagging="ttl=short")
    s3.put_object(Bucket=bucket, Key="data/untagged", Body=b"u", Tagging="ttl=long")
    s3.put_object(Bucket=bucket, Key="keep/b", Body=b"b")
    wait_for("logs/a and data/tagged to expire", lambda: sorted(_keys(s3, bucket)) == ["data/untagged", "keep/b"],
             timeout=30)


def test_sweep_expires_noncurrent_versions_then_the_lone_delete_marker(short_day: GureumProcess) -> None:
    s3 = short_day.client("s3")
    bucket = _name()
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for body in (b"1", b"2", b"3"):
        s3.put_object(Bucket=bucket, Key="k", Body=body)
    s3.delete_object(Bucket=bucket, Key="k")
    s3.put_object(Bucket=bucket, Key="live", Body=b"current")
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "v", "Status": "Enabled", "Filter": {}, "Expiration": {"ExpiredObjectDeleteMarker": True},
         "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}]})

    def versions() -> list[tuple[str, bool]]:
        out = s3.list_object_versions(Bucket=bucket)
        return sorted([(v["Key"], v["IsLatest"]) for v in out.get("Versions") or []]
                      + [(m["Key"], m["IsLatest"]) for m in out.get("DeleteMarkers") or []])

    wait_for("only the live object's version to remain", lambda: versions() == [("live", True)], timeout=30)
    assert s3.get_object(Bucket=bucket, Key="live")["Body"].read() == b"current"


def test_sweep_transitions_storage_class_and_keeps_small_objects(short_day: GureumProcess) -> None:
    s3 = short_day.client("s3")
    bucket = _name()
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "cold", "Status": "Enabled", "Filter": {}, "Transitions": [{"Days": 1, "StorageClass": "GLACIER"}]}]})
    s3.put_object(Bucket=bucket, Key="big", Body=b"x" * (200 * 1024))
    s3.put_object(Bucket=bucket, Key="small", Body=b"x" * 100)
    wait_for("big to move to GLACIER",
             lambda: s3.head_object(Bucket=bucket, Key="big").get("StorageClass") == "GLACIER", timeout=30)
    listed = {o["Key"]: o["StorageClass"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert listed == {"big": "GLACIER", "small": "STANDARD"}


def test_sweep_aborts_incomplete_multipart_uploads(short_day: GureumProcess) -> None:
    s3 = short_day.client("s3")
    bucket = _name()
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "mpu", "Status": "Enabled", "Filter": {"Prefix": "up/"},
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}]})
    doomed = s3.create_multipart_upload(Bucket=bucket, Key="up/a")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="up/a", UploadId=doomed, PartNumber=1, Body=b"part")
    kept = s3.create_multipart_upload(Bucket=bucket, Key="other/b")["UploadId"]

    def open_uploads() -> list[str]:
        return [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads") or []]

    wait_for("the upload under up/ to be aborted", lambda: open_uploads() == [kept], timeout=30)
    with pytest.raises(ClientError) as exc:
        s3.list_parts(Bucket=bucket, Key="up/a", UploadId=doomed)
    assert _error(exc) == ("NoSuchUpload", 404)


def test_sweep_expires_on_a_past_date(short_day: GureumProcess) -> None:
    s3 = short_day.client("s3")
    bucket = _name()
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="old", Body=b"o")
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "date", "Status": "Enabled", "Filter": {}, "Expiration": {"Date": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)}}]})
    wait_for("the object to expire on its date", lambda: _keys(s3, bucket) == [], timeout=30)


# -- several nodes: the claim and the re-checked actions, on a store ---------------------------

def _run(store: Any, fn: Any) -> Any:
    import asyncio

    return asyncio.run(store.run(fn))


def test_one_node_claims_a_bucket_per_interval() -> None:
    from gureum.services.s3 import lifecycle_sweep
    from gureum.store.memory import MemoryStore

    store = MemoryStore()
    assert _run(store, lambda t: lifecycle_sweep.claim(t, "b", "node-a", 1000.0, 60.0)) is True
    assert _run(store, lambda t: lifecycle_sweep.claim(t, "b", "node-b", 1001.0, 60.0)) is False
    assert _run(store, lambda t: lifecycle_sweep.claim(t, "other", "node-b", 1001.0, 60.0)) is True
    assert _run(store, lambda t: lifecycle_sweep.claim(t, "b", "node-b", 1060.0, 60.0)) is True


def test_an_action_applied_twice_acts_once() -> None:
    from gureum.services.s3 import lifecycle_sweep, model
    from gureum.store.memory import MemoryStore

    store = MemoryStore()
    _run(store, lambda t: model.create_bucket(t, "b", "000000000000", "us-east-1"))
    _run(store, lambda t: model.update_bucket(t, "b", "000000000000", versioning="Enabled"))
    obj, _ = _run(store, lambda t: model.put_object(t, "b", "000000000000", {"key": "k", "mtime": 0.0, "size": 1,
                                                                             "etag": '"e"'}))
    action = Action("expire", "k", obj["vid"])
    first = _run(store, lambda t: lifecycle_sweep.apply(t, "b", action))  # node A
    second = _run(store, lambda t: lifecycle_sweep.apply(t, "b", action))  # node B, with the same plan
    assert first is not None and first[1] == "LifecycleExpiration:DeleteMarkerCreated" and second is None
    versions = _run(store, lambda t: t.scan(model.VERSIONS, "b/"))
    assert [bool(v.get("dm")) for _, v in versions] == [True, False]


def test_sweep_sends_lifecycle_notifications(short_day: GureumProcess) -> None:
    import json

    s3, sqs = short_day.client("s3"), short_day.client("sqs")
    url = sqs.create_queue(QueueName=f"lc-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": arn}]})})
    bucket = _name()
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [
        {"QueueArn": arn, "Events": ["s3:LifecycleExpiration:*"]}]})
    s3.put_object(Bucket=bucket, Key="tmp/x", Body=b"x")
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 1}}]})
    events: list[dict[str, Any]] = []

    def expired() -> bool:
        for m in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1, MaxNumberOfMessages=10).get("Messages") or []:
            events.extend(json.loads(m["Body"]).get("Records") or [])
        return any(e["eventName"] == "LifecycleExpiration:Delete" for e in events)

    wait_for("a LifecycleExpiration:Delete event", expired, timeout=30)
    record = next(e for e in events if e["eventName"] == "LifecycleExpiration:Delete")
    assert record["s3"]["object"]["key"] == "tmp/x" and record["s3"]["bucket"]["name"] == bucket


def test_sweep_keeps_versions_object_lock_protects(short_day: GureumProcess) -> None:
    """AWS: lifecycle rules do not delete a version under a retention period or legal hold."""
    s3 = short_day.client("s3")
    bucket = _name()
    s3.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
    held = s3.put_object(Bucket=bucket, Key="k", Body=b"1", ObjectLockLegalHoldStatus="ON", ChecksumAlgorithm="SHA256")["VersionId"]
    loose = s3.put_object(Bucket=bucket, Key="k", Body=b"2")["VersionId"]
    s3.put_object(Bucket=bucket, Key="k", Body=b"3")
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "v", "Status": "Enabled", "Filter": {}, "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}]})

    def ids() -> set[str]:
        return {v["VersionId"] for v in s3.list_object_versions(Bucket=bucket).get("Versions") or []}

    wait_for("the unprotected noncurrent version to expire", lambda: loose not in ids(), timeout=30)
    assert held in ids()
    assert s3.get_object(Bucket=bucket, Key="k", VersionId=held)["Body"].read() == b"1"
