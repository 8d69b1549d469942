"""The clusters' token authenticator (gureum/services/eks/authn.py) fed what the API server's
webhook sends: TokenReviews carrying tokens made by the real `aws eks get-token`, verified by
their SigV4 signatures. The creator is admitted as cluster-admin, anyone else (no access
entry), a forged or retargeted token, and a creator who opted out of the bootstrap admin
permissions are refused; bad requests get 4xx."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest

ROLE = "arn:aws:iam::000000000000:role/eks-cluster"
VPC = {"subnetIds": ["subnet-1", "subnet-2"]}
ACCOUNT = "000000000000"


def uniq(prefix: str = "auth") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def get_token(gureum: Any, cluster: str, env: dict[str, str] | None = None) -> str:
    """`aws eks get-token` as a user runs it (with other credentials when `env` says)."""
    cmd = [sys.executable, "-m", "awscli", "eks", "get-token", "--cluster-name", cluster, "--output", "json"]
    res = subprocess.run(cmd, env={**gureum.env, **(env or {})}, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    token = json.loads(res.stdout)["status"]["token"]
    assert token.startswith("k8s-aws-v1.")
    return str(token)


def review(gureum: Any, cluster: str, body: Any, region: str = "us-east-1") -> tuple[int, Any]:
    url = f"{gureum.endpoint}/_gureum/eks/authenticate/{ACCOUNT}/{region}/{cluster}"
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="POST", headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def token_review(token: str) -> dict[str, Any]:
    return {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": token}}


@pytest.fixture(scope="module")
def cluster(gureum) -> str:  # type: ignore[no-untyped-def]
    name = uniq()
    gureum.client("eks").create_cluster(name=name, roleArn=ROLE, resourcesVpcConfig=VPC)
    return name


def test_the_creator_is_cluster_admin(gureum, cluster) -> None:  # type: ignore[no-untyped-def]
    status, doc = review(gureum, cluster, token_review(get_token(gureum, cluster)))
    assert status == 200 and doc["kind"] == "TokenReview"
    assert doc["status"]["authenticated"] is True
    user = doc["status"]["user"]
    assert user["username"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert user["groups"] == ["system:masters"]


def test_forged_and_retargeted_tokens_are_refused(gureum, cluster) -> None:  # type: ignore[no-untyped-def]
    token = get_token(gureum, cluster)
    # another cluster of the same creator: the signature covers x-k8s-aws-id
    other = uniq()
    gureum.client("eks").create_cluster(name=other, roleArn=ROLE, resourcesVpcConfig=VPC)
    status, doc = review(gureum, other, token_review(token))
    assert status == 200 and doc["status"]["authenticated"] is False
    assert "signature we calculated does not match" in doc["status"]["error"]
    # one character of the signed URL changed

    body = token[len("k8s-aws-v1."):]
    url = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    sig_at = url.index("X-Amz-Signature=") + len("X-Amz-Signature=")
    forged_url = url[:sig_at] + ("0" if url[sig_at] != "0" else "1") + url[sig_at + 1:]
    forged = "k8s-aws-v1." + base64.urlsafe_b64encode(forged_url.encode()).decode().rstrip("=")
    status, doc = review(gureum, cluster, token_review(forged))
    assert status == 200 and doc["status"]["authenticated"] is False
    assert "signature we calculated does not match" in doc["status"]["error"]
    # a URL for another STS action, and no token at all
    for bad in (token.replace("k8s-aws-v1.", "k8s-aws-v2."), "k8s-aws-v1.!!!", "k8s-aws-v1." + base64.urlsafe_b64encode(
            url.replace("GetCallerIdentity", "GetSessionToken").encode()).decode().rstrip("=")):
        status, doc = review(gureum, cluster, token_review(bad))
        assert status == 200 and doc["status"]["authenticated"] is False, bad


def test_an_identity_without_an_access_entry_is_refused(gureum, cluster) -> None:  # type: ignore[no-untyped-def]
    iam = gureum.client("iam")
    user = uniq("dev")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    token = get_token(gureum, cluster, {"AWS_ACCESS_KEY_ID": key["AccessKeyId"],
                                        "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]})
    status, doc = review(gureum, cluster, token_review(token))
    assert status == 200 and doc["status"]["authenticated"] is False
    assert f"arn:aws:iam::{ACCOUNT}:user/{user}" in doc["status"]["error"]
    # a key deleted after the token was made no longer authenticates anyone either
    iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
    status, doc = review(gureum, cluster, token_review(token))
    assert status == 200 and doc["status"]["authenticated"] is False
    assert "access key is not valid" in doc["status"]["error"]


def test_a_creator_without_bootstrap_admin_is_refused(gureum) -> None:  # type: ignore[no-untyped-def]
    name = uniq()
    gureum.client("eks").create_cluster(name=name, roleArn=ROLE, resourcesVpcConfig=VPC, accessConfig={
        "authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False})
    status, doc = review(gureum, name, token_review(get_token(gureum, name)))
    assert status == 200 and doc["status"]["authenticated"] is False
    assert "no access entry" in doc["status"]["error"]


def test_bad_requests(gureum, cluster) -> None:  # type: ignore[no-untyped-def]
    assert review(gureum, cluster, b"not json")[0] == 400
    assert review(gureum, cluster, {"spec": {}})[0] == 400
    assert review(gureum, cluster, b"x" * (65 * 1024))[0] == 400
    assert review(gureum, uniq("none"), token_review("k8s-aws-v1.x"))[0] == 404
    assert review(gureum, cluster, token_review("k8s-aws-v1.x"), region="eu-west-1")[0] == 404


def test_an_assumed_role_maps_to_its_role() -> None:
    from gureum.services.eks.authn import canonical_arn

    assert canonical_arn(f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/alice") == f"arn:aws:iam::{ACCOUNT}:role/Admin"
    assert canonical_arn(f"arn:aws:iam::{ACCOUNT}:user/dev") == f"arn:aws:iam::{ACCOUNT}:user/dev"


def _signed_token(gureum: Any, cluster: str, when: Any, expires: int) -> str:
    """A token as `aws eks get-token` makes it, signed at `when` (botocore's own signer, its
    clock set back) with X-Amz-Expires `expires`."""
    from unittest import mock

    from botocore.auth import SigV4QueryAuth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method="GET", url=f"{gureum.endpoint}/",
                         params={"Action": "GetCallerIdentity", "Version": "2011-06-15"},
                         headers={"x-k8s-aws-id": cluster})
    with mock.patch("botocore.auth.get_current_datetime", return_value=when):
        SigV4QueryAuth(Credentials("test", "test"), "sts", "us-east-1", expires=expires).add_auth(request)
    url = request.prepare().url
    return "k8s-aws-v1." + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


def test_a_token_older_than_15_minutes_is_refused(gureum, cluster) -> None:  # type: ignore[no-untyped-def]
    import datetime

    now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
    fresh = _signed_token(gureum, cluster, now, 60)
    assert review(gureum, cluster, token_review(fresh))[1]["status"]["authenticated"] is True
    # X-Amz-Expires says an hour, but a k8s-aws-v1 token lives 15 minutes from its signing
    stale = _signed_token(gureum, cluster, now - datetime.timedelta(minutes=20), 3600)
    doc = review(gureum, cluster, token_review(stale))[1]
    assert doc["status"]["authenticated"] is False and "expired" in doc["status"]["error"]
    # and a presigned URL past its own X-Amz-Expires is refused as well
    past = _signed_token(gureum, cluster, now - datetime.timedelta(minutes=2), 60)
    assert review(gureum, cluster, token_review(past))[1]["status"]["authenticated"] is False
