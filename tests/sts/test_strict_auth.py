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



def test_unsigned_web_identity_federation_is_allowed_in_strict_mode(tmp_path):
    """The request needs no signature (AWS's too); the token does, with the issuer's keys."""
    import json

    from oidc_issuer import Issuer

    issuer = Issuer("https://issuer.example")
    with issuer.serve() as url:
        proc = GureumProcess(tmp_path / "data", ["--auth", "strict", "--set", f"auth.keys=rootkey:rootsecret:{ACCOUNT}",
                                                 "--set", f"iam.oidc_jwks=https://issuer.example={url}/jwks"])
        proc.start()
        try:
            root = proc.client("iam", aws_access_key_id="rootkey", aws_secret_access_key="rootsecret")
            provider = root.create_open_id_connect_provider(Url="https://issuer.example", ClientIDList=["sts.amazonaws.com"])
            trust = {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Federated": provider["OpenIDConnectProviderArn"]},
                "Action": "sts:AssumeRoleWithWebIdentity"}]}
            arn = root.create_role(RoleName="fed", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
            sts = proc.client("sts")
            out = sts.assume_role_with_web_identity(RoleArn=arn, RoleSessionName="fed", WebIdentityToken=issuer.token())
            assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/fed/fed"
            with pytest.raises(ClientError) as exc:  # the forged, unsigned token
                sts.assume_role_with_web_identity(RoleArn=arn, RoleSessionName="fed", WebIdentityToken=issuer.unsigned())
            assert exc.value.response["Error"]["Code"] == "InvalidIdentityToken"
        finally:
            proc.stop()


def test_inactive_access_key_is_refused(strict):
    root = strict.client("iam", aws_access_key_id="rootkey", aws_secret_access_key="rootsecret")
    root.create_user(UserName="off")
    key = root.create_access_key(UserName="off")["AccessKey"]
    root.update_access_key(UserName="off", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    sts = strict.client("sts", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    with pytest.raises(ClientError) as exc:
        sts.get_caller_identity()
    assert exc.value.response["Error"]["Code"] == "InvalidClientTokenId"
