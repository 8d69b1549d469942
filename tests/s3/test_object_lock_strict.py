"""Object Lock under `--auth strict`: bypassing GOVERNANCE retention needs the permission
s3:BypassGovernanceRetention besides the delete's own, as AWS requires (attack: a user allowed
to delete versions sends the bypass header without it)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError
from harness import GureumProcess
from waiting import wait_for

ACCOUNT = "111111111111"


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    data = tmp_path_factory.mktemp("lockstrict") / "data"
    proc = GureumProcess(data, ["--auth", "strict", "--set", f"auth.keys=test:test:{ACCOUNT}"])
    proc.start()
    yield proc
    proc.stop()


def _policy(*actions: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": list(actions),
                                                               "Resource": "*"}]})


def test_bypass_needs_its_own_permission(strict):
    root = strict.client("s3")
    name = f"lks-{uuid.uuid4().hex[:10]}"
    root.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    until = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    vid = root.put_object(Bucket=name, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE",
                          ObjectLockRetainUntilDate=until)["VersionId"]
    iam = strict.client("iam")
    user = f"ops-{uuid.uuid4().hex[:6]}"
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="delete", PolicyDocument=_policy(
        "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:GetObject", "s3:GetObjectVersion"))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    ops = strict.client("s3", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    wait_for("the user's key to work", lambda: ops.get_object(Bucket=name, Key="k") is not None, timeout=30)
    with pytest.raises(ClientError) as e:
        ops.delete_object(Bucket=name, Key="k", VersionId=vid, BypassGovernanceRetention=True)
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    assert root.head_object(Bucket=name, Key="k", VersionId=vid)["ObjectLockMode"] == "GOVERNANCE"
    iam.put_user_policy(UserName=user, PolicyName="bypass", PolicyDocument=_policy("s3:BypassGovernanceRetention"))

    def deleted() -> bool:
        try:
            ops.delete_object(Bucket=name, Key="k", VersionId=vid, BypassGovernanceRetention=True)
        except ClientError:
            return False
        return True

    assert wait_for("the bypass to be allowed", deleted, timeout=30)
    with pytest.raises(ClientError) as e:
        root.head_object(Bucket=name, Key="k", VersionId=vid)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
