"""IAM's account-wide settings end to end through boto3: the STS token version preference
shown by GetAccountSummary, and the Organizations-dependent operations answered as for an
account outside an organization."""

from __future__ import annotations

import random

import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def iam(gureum):
    account = str(random.randint(10**11, 10**12 - 1))
    return gureum.client("iam", aws_access_key_id=account, aws_secret_access_key="x")


def test_sts_token_version_preference_is_kept(iam):
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 1
    iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v2Token")
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 2
    iam.set_security_token_service_preferences(GlobalEndpointTokenVersion="v1Token")
    assert iam.get_account_summary()["SummaryMap"]["GlobalEndpointTokenVersion"] == 1


@pytest.mark.parametrize("op", [
    "list_organizations_features",
    "enable_organizations_root_credentials_management",
    "disable_organizations_root_credentials_management",
    "enable_organizations_root_sessions",
    "disable_organizations_root_sessions",
])
def test_organizations_operations_answer_as_outside_an_organization(iam, op):
    with pytest.raises(ClientError) as exc:
        getattr(iam, op)()
    r = exc.value.response
    assert r["Error"]["Code"] == "OrganizationNotFoundException"
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 400


COND = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*",'
        '"Condition":{"StringLike":{"s3:prefix":"home/"},"Bool":{"aws:SecureTransport":"true"}}}]}')
COND2 = ('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:*","Resource":"*",'
         '"Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1","S3:Prefix":"x"}}}}')


def test_context_keys_for_custom_and_principal_policies(iam):
    keys = iam.get_context_keys_for_custom_policy(PolicyInputList=[COND, COND2])["ContextKeyNames"]
    assert keys == ["s3:prefix", "aws:SecureTransport", "aws:RequestedRegion"]
    with pytest.raises(ClientError) as exc:
        iam.get_context_keys_for_custom_policy(PolicyInputList=["{not json"])
    assert exc.value.response["Error"]["Code"] == "InvalidInput"

    user = iam.create_user(UserName="ctx")["User"]
    iam.create_group(GroupName="g")
    iam.add_user_to_group(GroupName="g", UserName="ctx")
    iam.put_group_policy(GroupName="g", PolicyName="p", PolicyDocument=COND)
    keys = iam.get_context_keys_for_principal_policy(PolicySourceArn=user["Arn"])["ContextKeyNames"]
    assert keys == ["s3:prefix", "aws:SecureTransport"]
    keys = iam.get_context_keys_for_principal_policy(PolicySourceArn=user["Arn"], PolicyInputList=[COND2])
    assert keys["ContextKeyNames"] == ["s3:prefix", "aws:SecureTransport", "aws:RequestedRegion"]
