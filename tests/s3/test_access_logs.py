"""S3 server access logging end to end: requests on a bucket with logging enabled are
delivered as log objects to the target bucket under its prefix, in AWS's line format (a
gureum that delivers every half second: s3.access_log_flush_seconds=0.5)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from harness import GureumProcess
from waiting import wait_for


@pytest.fixture(scope="module")
def fast_logs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path_factory.mktemp("access-logs") / "data",
                         extra_args=["--set", "s3.access_log_flush_seconds=0.5"])
    proc.start()
    yield proc
    proc.stop()


def _log_lines(s3: Any, bucket: str, prefix: str) -> list[str]:
    lines: list[str] = []
    for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents") or []:
        lines += s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read().decode().splitlines()
    return lines


def test_requests_are_logged_to_the_target_bucket(fast_logs: GureumProcess) -> None:
    s3 = fast_logs.client("s3")
    source, target = f"src-{uuid.uuid4().hex[:10]}", f"logs-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=source)
    s3.create_bucket(Bucket=target)
    s3.put_bucket_logging(Bucket=source, BucketLoggingStatus={"LoggingEnabled": {
        "TargetBucket": target, "TargetPrefix": "access/"}})
    s3.put_object(Bucket=source, Key="docs/a.txt", Body=b"hello")
    s3.get_object(Bucket=source, Key="docs/a.txt")["Body"].read()
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket=source, Key="missing")

    def delivered() -> list[str]:
        lines = _log_lines(s3, target, "access/")
        ops = {(ln.split()[7], ln.split()[8]) for ln in lines}
        wanted = {("REST.PUT.OBJECT", "docs/a.txt"), ("REST.GET.OBJECT", "docs/a.txt"), ("REST.GET.OBJECT", "missing")}
        return lines if wanted <= ops else []

    lines = wait_for("the access log lines in the target bucket", delivered, timeout=30)
    missing = next(ln for ln in lines if " missing " in ln)
    assert ' 404 NoSuchKey ' in missing and missing.split()[1] == source
    put = next(ln for ln in lines if "REST.PUT.OBJECT" in ln)
    assert '"PUT /' in put and " 200 " in put
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=target)["Contents"]]
    assert all(k.startswith("access/") for k in keys)
    # a bucket without logging leaves no lines anywhere
    before = len(keys)
    quiet = f"quiet-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=quiet)
    s3.put_object(Bucket=quiet, Key="x", Body=b"x")
    s3.put_object(Bucket=source, Key="marker", Body=b"m")
    wait_for("the marker request's line", lambda: any(" marker " in ln for ln in _log_lines(s3, target, "access/")),
             timeout=30)
    assert not any(quiet in ln for ln in _log_lines(s3, target, "access/"))
    assert len(s3.list_objects_v2(Bucket=target)["Contents"]) > before
