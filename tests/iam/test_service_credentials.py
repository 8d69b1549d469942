"""IAM service-specific credentials end to end through boto3: CodeCommit/Keyspaces user names
and passwords shown once (Create, Reset), Bedrock API keys with an expiry, the per-service
quota, listing by user, service or all users, status, and deletion guarding the user."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def account() -> str:
    return str(random.randint(10**11, 10**12 - 1))


@pytest.fixture
def iam(gureum, account):
    return gureum.client("iam", aws_access_key_id=account, aws_secret_access_key="x")


def error_of(exc: pytest.ExceptionInfo) -> tuple[str, int, str]:
    r = exc.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Message"]


def test_codecommit_credentials_lifecycle(iam, account):
    iam.create_user(UserName="git")
    cred = iam.create_service_specific_credential(UserName="git", ServiceName="codecommit.amazonaws.com")[
        "ServiceSpecificCredential"
    ]
    assert cred["ServiceUserName"] == f"git-at-{account}" and cred["Status"] == "Active"
    assert cred["ServiceSpecificCredentialId"].startswith("ACCA") and len(cred["ServicePassword"]) >= 40
    cid = cred["ServiceSpecificCredentialId"]

    listed = iam.list_service_specific_credentials(UserName="git")["ServiceSpecificCredentials"]
    assert [c["ServiceSpecificCredentialId"] for c in listed] == [cid]
    assert "ServicePassword" not in listed[0]

    reset = iam.reset_service_specific_credential(UserName="git", ServiceSpecificCredentialId=cid)
    assert reset["ServiceSpecificCredential"]["ServicePassword"] != cred["ServicePassword"]

    iam.update_service_specific_credential(UserName="git", ServiceSpecificCredentialId=cid, Status="Inactive")
    listed = iam.list_service_specific_credentials(UserName="git")["ServiceSpecificCredentials"]
    assert listed[0]["Status"] == "Inactive"

    iam.create_service_specific_credential(UserName="git", ServiceName="codecommit.amazonaws.com")
    with pytest.raises(ClientError) as exc:
        iam.create_service_specific_credential(UserName="git", ServiceName="codecommit.amazonaws.com")
    assert error_of(exc)[:2] == ("LimitExceeded", 409)
    iam.create_service_specific_credential(UserName="git", ServiceName="cassandra.amazonaws.com")  # another service
    by_service = iam.list_service_specific_credentials(UserName="git", ServiceName="cassandra.amazonaws.com")
    assert [c["ServiceName"] for c in by_service["ServiceSpecificCredentials"]] == ["cassandra.amazonaws.com"]

    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName="git")
    assert error_of(exc)[:2] == ("DeleteConflict", 409)
    for c in iam.list_service_specific_credentials(UserName="git")["ServiceSpecificCredentials"]:
        iam.delete_service_specific_credential(UserName="git", ServiceSpecificCredentialId=c["ServiceSpecificCredentialId"])
    with pytest.raises(ClientError) as exc:
        iam.delete_service_specific_credential(UserName="git", ServiceSpecificCredentialId=cid)
    assert error_of(exc)[:2] == ("NoSuchEntity", 404)
    iam.delete_user(UserName="git")


def test_bedrock_api_key_expires_and_unknown_services_refused(iam):
    iam.create_user(UserName="ml")
    cred = iam.create_service_specific_credential(
        UserName="ml", ServiceName="bedrock.amazonaws.com", CredentialAgeDays=30
    )["ServiceSpecificCredential"]
    assert cred["ServiceCredentialSecret"] and "ServicePassword" not in cred
    assert cred["ExpirationDate"] - cred["CreateDate"] == timedelta(days=30)
    with pytest.raises(ClientError) as exc:
        iam.create_service_specific_credential(UserName="ml", ServiceName="s3.amazonaws.com")
    assert error_of(exc)[:2] == ("NotSupportedService", 404)


def test_list_all_users_credentials(iam):
    for name in ("a", "b"):
        iam.create_user(UserName=name)
        iam.create_service_specific_credential(UserName=name, ServiceName="codecommit.amazonaws.com")
    every = iam.list_service_specific_credentials(AllUsers=True)["ServiceSpecificCredentials"]
    assert sorted(c["UserName"] for c in every) == ["a", "b"]
