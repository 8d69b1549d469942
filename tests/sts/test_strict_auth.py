"""With `--auth strict`, keys made by IAM and credentials issued by STS are the ones gureum
verifies signatures against (the lookups in gureum.services.iam.lookup)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from harness import GureumProcess

ACCOUNT = "111122223333"
TRUST = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}'


@pytest.fixture
def strict(tmp_path: Path) -> Iterator[GureumProcess]:
    proc = GureumProcess(
        tmp_path / "data", ["--auth", "strict", "--set", f"auth.keys=rootkey:rootsecret:{ACCOUNT}"]
    )
    proc.start()
    yield proc
    proc.stop()


def test_iam_keys_and_sts_credentials_sign_requests(strict):
    root = strict.client("iam", aws_access_key_id="rootkey", aws_secret_access_key="rootsecret")
    root.create_user(UserName="signer")
    key = root.create_access_key(UserName="signer")["AccessKey"]
    arn = root.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]

    user_sts = strict.client("sts", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    assert user_sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/signer"
    wrong = strict.client("sts", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key="x" * 40)
    with pytest.raises(ClientError) as exc:
        wrong.get_caller_identity()
    assert exc.value.response["Error"]["Code"] == "SignatureDoesNotMatch"

    creds = user_sts.assume_role(RoleArn=arn, RoleSessionName="strict")["Credentials"]
    role_sts = strict.client(
        "sts",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    assert role_sts.get_caller_identity()["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/r/strict"
    no_token = strict.client(
        "sts", aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"]
    )
    with pytest.raises(ClientError) as exc:
        no_token.get_caller_identity()
    assert exc.value.response["Error"]["Code"] == "InvalidClientTokenId"



def test_unsigned_web_identity_federation_is_allowed_in_strict_mode(strict):
    import base64
    import json

    root = strict.client("iam", aws_access_key_id="rootkey", aws_secret_access_key="rootsecret")
    root.create_open_id_connect_provider(Url="https://issuer.example", ClientIDList=["sts.amazonaws.com"])
    arn = root.create_role(RoleName="fed", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    claims = {"iss": "https://issuer.example", "sub": "me", "aud": "sts.amazonaws.com"}
    token = "e30." + base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=") + ".c2ln"
    out = strict.client("sts").assume_role_with_web_identity(RoleArn=arn, RoleSessionName="fed", WebIdentityToken=token)
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/fed/fed"



def test_inactive_access_key_is_refused(strict):
    root = strict.client("iam", aws_access_key_id="rootkey", aws_secret_access_key="rootsecret")
    root.create_user(UserName="off")
    key = root.create_access_key(UserName="off")["AccessKey"]
    root.update_access_key(UserName="off", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    sts = strict.client("sts", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    with pytest.raises(ClientError) as exc:
        sts.get_caller_identity()
    assert exc.value.response["Error"]["Code"] == "InvalidClientTokenId"
