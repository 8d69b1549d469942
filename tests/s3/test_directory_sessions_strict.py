"""Directory bucket sessions under `--auth strict`: boto3's own CreateSession and
s3express-signed requests work, and the session is checked as AWS checks it: a forged or
another session's x-amz-s3session-token is refused, a ReadOnly session cannot write, and a
session of one account reaches nothing of another's buckets."""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from harness import GureumProcess

ALICE = "111111111111"
BOB = "222222222222"
ZONE = "use1-az4"


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    data = tmp_path_factory.mktemp("express") / "data"
    proc = GureumProcess(data, ["--auth", "strict", "--set", f"auth.keys=test:test:{ALICE},bobkey:bobsecret:{BOB}"])
    proc.start()
    yield proc
    proc.stop()


def _bucket(s3: Any) -> str:
    name = f"ex{uuid.uuid4().hex[:10]}--{ZONE}--x-s3"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={
        "Location": {"Type": "AvailabilityZone", "Name": ZONE}, "Bucket": {"Type": "Directory"}})
    return name


def _send(g: GureumProcess, method: str, path: str, creds: dict[str, Any], body: bytes = b"",
          token: str | None = None) -> int:
    """A request signed for s3express with session credentials, as a Zonal endpoint call."""
    url = g.endpoint + path
    req = AWSRequest(method=method, url=url, data=body,
                     headers={"x-amz-s3session-token": token if token is not None else creds["SessionToken"],
                              "x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    SigV4Auth(Credentials(creds["AccessKeyId"], creds["SecretAccessKey"]), "s3express", "us-east-1").add_auth(req)
    prepared = urllib.request.Request(url, data=body or None, method=method, headers=dict(req.headers.items()))
    try:
        with urllib.request.urlopen(prepared) as r:
            return int(r.status)
    except urllib.error.HTTPError as err:
        return int(err.code)


def test_boto3_works_with_sessions_under_strict_auth(strict):
    s3 = strict.client("s3")
    name = _bucket(s3)
    s3.put_object(Bucket=name, Key="k", Body=b"v")
    assert s3.get_object(Bucket=name, Key="k")["Body"].read() == b"v"


def test_forged_and_foreign_session_tokens_are_refused(strict):
    s3 = strict.client("s3")
    name = _bucket(s3)
    s3.put_object(Bucket=name, Key="k", Body=b"v")
    creds = s3.create_session(Bucket=name)["Credentials"]
    assert _send(strict, "GET", f"/{name}/k", creds) == 200
    assert _send(strict, "GET", f"/{name}/k", creds, token="forged") == 403
    other = s3.create_session(Bucket=name)["Credentials"]
    assert _send(strict, "GET", f"/{name}/k", creds, token=other["SessionToken"]) == 403
    # another account's session reaches nothing of this account's bucket
    bob = strict.client("s3", aws_access_key_id="bobkey", aws_secret_access_key="bobsecret")
    with pytest.raises(ClientError) as e:
        bob.create_session(Bucket=name)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    bob_bucket = _bucket(bob)
    bob_creds = bob.create_session(Bucket=bob_bucket)["Credentials"]
    assert _send(strict, "GET", f"/{name}/k", bob_creds) == 403


def test_read_only_session_cannot_write(strict):
    s3 = strict.client("s3")
    name = _bucket(s3)
    s3.put_object(Bucket=name, Key="k", Body=b"v")
    creds = s3.create_session(Bucket=name, SessionMode="ReadOnly")["Credentials"]
    assert _send(strict, "GET", f"/{name}/k", creds) == 200
    assert _send(strict, "PUT", f"/{name}/new", creds, body=b"x") == 403
    rw = s3.create_session(Bucket=name, SessionMode="ReadWrite")["Credentials"]
    assert _send(strict, "PUT", f"/{name}/new", rw, body=b"x") == 200
