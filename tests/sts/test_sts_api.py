"""STS end to end: who is calling, AssumeRole and GetSessionToken credentials that gureum
then accepts, through boto3 and the AWS CLI."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

TRUST = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}'


@pytest.fixture
def account() -> str:
    return str(random.randint(10**11, 10**12 - 1))


def client(gureum, service, creds=None, account=None):
    if creds is not None:
        return gureum.client(
            service,
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )
    return gureum.client(service, aws_access_key_id=account or "test", aws_secret_access_key="x")


def issued_within(at: datetime, before: datetime, after: datetime) -> bool:
    """Whether `at` (a credential's issue time: its expiration less its duration) falls between
    two readings of the clock taken around the call; the server keeps whole seconds."""
    return before - timedelta(seconds=1) <= at <= after


def fresh_client(gureum, service, account, **config):
    from botocore.config import Config

    cfg = Config(retries={"max_attempts": 1}, **config)
    return gureum.client(service, aws_access_key_id=account, aws_secret_access_key="x", config=cfg)


def test_non_iam_keys_are_the_account_root(gureum, account):
    ident = client(gureum, "sts", account=account).get_caller_identity()
    assert ident["Account"] == account and ident["UserId"] == account
    assert ident["Arn"] == f"arn:aws:iam::{account}:root"
    default = client(gureum, "sts", account="test").get_caller_identity()
    assert default["Account"] == "000000000000" and default["Arn"] == "arn:aws:iam::000000000000:root"


def test_assume_role_credentials_are_accepted_as_the_assumed_role(gureum, account):
    iam = client(gureum, "iam", account=account)
    role = iam.create_role(RoleName="deployer", Path="/ci/", AssumeRolePolicyDocument=TRUST)["Role"]
    before = datetime.now(UTC)
    out = client(gureum, "sts", account=account).assume_role(
        RoleArn=role["Arn"], RoleSessionName="build-42", DurationSeconds=900
    )
    after = datetime.now(UTC)
    creds = out["Credentials"]
    assert re.fullmatch(r"ASIA[A-Z0-9]{16}", creds["AccessKeyId"])
    assert len(creds["SecretAccessKey"]) == 40 and len(creds["SessionToken"]) > 100
    assert issued_within(creds["Expiration"] - timedelta(seconds=900), before, after)
    arn = f"arn:aws:sts::{account}:assumed-role/deployer/build-42"
    assert out["AssumedRoleUser"] == {"AssumedRoleId": f"{role['RoleId']}:build-42", "Arn": arn}
    ident = client(gureum, "sts", creds).get_caller_identity()
    assert ident == {**ident, "Account": account, "Arn": arn, "UserId": f"{role['RoleId']}:build-42"}
    # the credentials act in the role's account
    assert [r["RoleName"] for r in client(gureum, "iam", creds).list_roles()["Roles"]] == ["deployer"]
    assert iam.get_role(RoleName="deployer")["Role"]["RoleLastUsed"]["Region"] == "us-east-1"


def test_assume_role_defaults_to_an_hour(gureum, account):
    iam = client(gureum, "iam", account=account)
    arn = iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    before = datetime.now(UTC)
    creds = client(gureum, "sts", account=account).assume_role(RoleArn=arn, RoleSessionName="s1")["Credentials"]
    assert issued_within(creds["Expiration"] - timedelta(hours=1), before, datetime.now(UTC))


def test_assume_role_errors(gureum, account):
    iam = client(gureum, "iam", account=account)
    sts = client(gureum, "sts", account=account)
    missing = f"arn:aws:iam::{account}:role/missing"
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=missing, RoleSessionName="s1")
    err = exc.value.response
    assert err["Error"]["Code"] == "AccessDenied" and err["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert err["Error"]["Message"] == (
        f"User: arn:aws:iam::{account}:root is not authorized to perform: sts:AssumeRole on resource: {missing}"
    )
    arn = iam.create_role(RoleName="short", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=arn, RoleSessionName="s1", DurationSeconds=7200)
    assert exc.value.response["Error"]["Code"] == "ValidationError"
    assert "MaxSessionDuration" in exc.value.response["Error"]["Message"]
    unchecked = fresh_client(gureum, "sts", account, parameter_validation=False)
    with pytest.raises(ClientError) as exc:
        unchecked.assume_role(RoleArn=arn, RoleSessionName="s1", DurationSeconds=60)
    assert exc.value.response["Error"]["Code"] == "ValidationError"  # below the model's 900


def test_role_chaining(gureum, account):
    iam = client(gureum, "iam", account=account)
    a = iam.create_role(RoleName="a", AssumeRolePolicyDocument=TRUST, MaxSessionDuration=7200)["Role"]["Arn"]
    b = iam.create_role(RoleName="b", AssumeRolePolicyDocument=TRUST, MaxSessionDuration=7200)["Role"]["Arn"]
    first = client(gureum, "sts", account=account).assume_role(RoleArn=a, RoleSessionName="one")["Credentials"]
    chained = client(gureum, "sts", first)
    second = chained.assume_role(RoleArn=b, RoleSessionName="two")["Credentials"]
    ident = client(gureum, "sts", second).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:sts::{account}:assumed-role/b/two"
    with pytest.raises(ClientError) as exc:
        chained.assume_role(RoleArn=b, RoleSessionName="three", DurationSeconds=7200)
    assert "role chaining" in exc.value.response["Error"]["Message"]


def test_get_session_token_keeps_the_callers_identity(gureum, account):
    iam = client(gureum, "iam", account=account)
    iam.create_user(UserName="dev")
    key = iam.create_access_key(UserName="dev")["AccessKey"]
    user_sts = gureum.client("sts", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    before = datetime.now(UTC)
    creds = user_sts.get_session_token()["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert issued_within(creds["Expiration"] - timedelta(hours=12), before, datetime.now(UTC))
    ident = client(gureum, "sts", creds).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:iam::{account}:user/dev" and ident["Account"] == account
    with pytest.raises(ClientError) as exc:
        client(gureum, "sts", creds).get_session_token()
    assert exc.value.response["Error"]["Code"] == "AccessDenied"
    root = client(gureum, "sts", account=account).get_session_token(DurationSeconds=7200)["Credentials"]
    assert root["Expiration"] - timedelta(hours=1) <= datetime.now(UTC)  # root sessions last at most an hour


def test_aws_cli_assume_role(gureum):
    name = f"cli-{random.randint(0, 10**9)}"
    arn = gureum.aws("iam", "create-role", "--role-name", name, "--assume-role-policy-document", TRUST)["Role"]["Arn"]
    out = gureum.aws("sts", "assume-role", "--role-arn", arn, "--role-session-name", "cli")
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::000000000000:assumed-role/{name}/cli"
    assert out["Credentials"]["AccessKeyId"].startswith("ASIA")
    assert gureum.aws("sts", "get-caller-identity")["Arn"] == "arn:aws:iam::000000000000:root"


def test_credentials_survive_a_restart(fresh_gureum, account):
    iam = client(fresh_gureum, "iam", account=account)
    arn = iam.create_role(RoleName="durable", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    creds = client(fresh_gureum, "sts", account=account).assume_role(RoleArn=arn, RoleSessionName="s1")["Credentials"]
    iam.create_user(UserName="u")
    key = iam.create_access_key(UserName="u")["AccessKey"]
    fresh_gureum.kill9()
    fresh_gureum.start()
    assert client(fresh_gureum, "sts", creds).get_caller_identity()["Arn"].endswith(":assumed-role/durable/s1")
    user = fresh_gureum.client("sts", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    assert user.get_caller_identity()["Arn"] == f"arn:aws:iam::{account}:user/u"


def test_get_access_key_info_names_the_keys_account(gureum, account):
    iam = client(gureum, "iam", account=account)
    iam.create_user(UserName="k")
    key = iam.create_access_key(UserName="k")["AccessKey"]["AccessKeyId"]
    sts = client(gureum, "sts")
    assert sts.get_access_key_info(AccessKeyId=key)["Account"] == account
    assert sts.get_access_key_info(AccessKeyId="AKIAIOSFODNN7EXAMPLE")["Account"] == "000000000000"


def test_assumed_role_must_name_the_user(gureum, account):
    iam = client(gureum, "iam", account=account)
    arn = iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    creds = client(gureum, "sts", account=account).assume_role(RoleArn=arn, RoleSessionName="s1")["Credentials"]
    with pytest.raises(ClientError) as exc:
        client(gureum, "iam", creds).get_user()
    assert exc.value.response["Error"] == {
        **exc.value.response["Error"],
        "Code": "ValidationError",
        "Message": "Must specify userName when calling with non-User credentials",
    }


def test_session_policies_are_checked_and_packed(gureum, account):
    iam = client(gureum, "iam", account=account)
    # session tags need sts:TagSession in the trust policy too
    tagging = TRUST.replace('"Action":"sts:AssumeRole"', '"Action":["sts:AssumeRole","sts:TagSession"]')
    arn = iam.create_role(RoleName="p", AssumeRolePolicyDocument=tagging)["Role"]["Arn"]
    sts = client(gureum, "sts", account=account)
    policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'
    out = sts.assume_role(RoleArn=arn, RoleSessionName="s1", Policy=policy, Tags=[{"Key": "k", "Value": "v"}])
    assert 1 <= out["PackedPolicySize"] <= 100
    assert "PackedPolicySize" not in sts.assume_role(RoleArn=arn, RoleSessionName="s1")
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=arn, RoleSessionName="s1", Policy="{nope")
    assert exc.value.response["Error"]["Code"] == "MalformedPolicyDocument"


def test_federation_token_identifies_the_federated_user(gureum, account):
    out = client(gureum, "sts", account=account).get_federation_token(Name="bob")
    assert out["FederatedUser"] == {
        "FederatedUserId": f"{account}:bob", "Arn": f"arn:aws:sts::{account}:federated-user/bob"}
    ident = client(gureum, "sts", out["Credentials"]).get_caller_identity()
    assert ident["Arn"] == f"arn:aws:sts::{account}:federated-user/bob" and ident["UserId"] == f"{account}:bob"
