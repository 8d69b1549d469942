"""STS's and IAM's newest operations end to end through boto3: outbound identity federation
(IAM enables it; STS GetWebIdentityToken's JWT verifies with the keys gureum's issuer
publishes), GetScopedCredentials narrowing a role session under --auth strict,
DecodeAuthorizationMessage refusing what it cannot open, AssumeRoot and GetDelegatedAccessToken
answering as AWS does where their features (Organizations, delegation partners) are absent,
account properties, delegation requests and role templates."""

from __future__ import annotations

import json
import random
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from harness import GureumProcess
from joserfc import jwt
from joserfc.jwk import KeySet


def code_of(fn, **kw) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as e:
        fn(**kw)
    return str(e.value.response["Error"]["Code"])


def test_outbound_federation_tokens_verify_with_the_issuers_keys(gureum) -> None:  # type: ignore[no-untyped-def]
    account = str(random.randint(10**11, 10**12 - 1))
    iam, sts = gureum.client("iam", aws_access_key_id=account), gureum.client("sts", aws_access_key_id=account)
    assert code_of(iam.get_outbound_web_identity_federation_info) == "FeatureDisabled"
    assert code_of(sts.get_web_identity_token, Audience=["https://api.example.com"], SigningAlgorithm="RS256") == \
        "OutboundWebIdentityFederationDisabledException"
    issuer = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
    assert code_of(iam.enable_outbound_web_identity_federation) == "FeatureEnabled"
    got = iam.get_outbound_web_identity_federation_info()
    assert (got["IssuerIdentifier"], got["JwtVendingEnabled"]) == (issuer, True)
    with urllib.request.urlopen(issuer + "/.well-known/openid-configuration", timeout=10) as r:
        config = json.load(r)
    assert config["issuer"] == issuer
    with urllib.request.urlopen(config["jwks_uri"], timeout=10) as r:
        keys = KeySet.import_key_set(json.load(r))
    for alg in ("RS256", "ES384"):
        out = sts.get_web_identity_token(Audience=["https://api.example.com"], SigningAlgorithm=alg, DurationSeconds=120,
                                         Tags=[{"Key": "team", "Value": "a"}])
        token = jwt.decode(out["WebIdentityToken"], keys, algorithms=[alg])
        claims = token.claims
        assert (claims["iss"], claims["aud"], claims["sub"]) == (issuer, "https://api.example.com", f"arn:aws:iam::{account}:root")
        assert claims["exp"] - claims["iat"] == 120 and abs(out["Expiration"].timestamp() - claims["exp"]) < 1
        assert claims["https://sts.amazonaws.com/"]["aws_account"] == account
        assert claims["https://sts.amazonaws.com/"]["request_tags"] == {"team": "a"}
    iam.disable_outbound_web_identity_federation()
    assert iam.get_outbound_web_identity_federation_info()["JwtVendingEnabled"] is False
    assert code_of(iam.disable_outbound_web_identity_federation) == "FeatureDisabled"
    assert code_of(sts.get_web_identity_token, Audience=["x"], SigningAlgorithm="RS256") == \
        "OutboundWebIdentityFederationDisabledException"


ACCOUNT = "111122223333"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]})


@pytest.fixture
def strict(tmp_path: Path) -> Iterator[GureumProcess]:
    proc = GureumProcess(tmp_path / "data", ["--auth", "strict", "--set", f"auth.keys=rootkey:rootsecret:{ACCOUNT}"])
    proc.start()
    yield proc
    proc.stop()


def test_scoped_credentials_narrow_a_role_session(strict) -> None:  # type: ignore[no-untyped-def]
    root = strict.client("iam", aws_access_key_id="rootkey", aws_secret_access_key="rootsecret")
    role = root.create_role(RoleName="worker", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    root.put_role_policy(RoleName="worker", PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["sqs:ListQueues", "sns:ListTopics", "sts:GetScopedCredentials"], "Resource": "*"}]}))
    creds = strict.client("sts", aws_access_key_id="rootkey", aws_secret_access_key="rootsecret").assume_role(
        RoleArn=role, RoleSessionName="sess")["Credentials"]

    def clients(c: dict) -> dict:  # type: ignore[type-arg]
        kw = {"aws_access_key_id": c["AccessKeyId"], "aws_secret_access_key": c["SecretAccessKey"], "aws_session_token": c["SessionToken"]}
        return {s: strict.client(s, **kw) for s in ("sqs", "sns", "sts")}

    wide = clients(creds)
    wide["sns"].list_topics()
    only_sqs = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]})
    assert code_of(wide["sts"].get_scoped_credentials, Policy=only_sqs, DurationSeconds=7200) == "InsufficientSessionLifetime"
    out = wide["sts"].get_scoped_credentials(Policy=only_sqs, DurationSeconds=900)
    assert out["Credentials"]["Expiration"] <= creds["Expiration"]
    narrow = clients(out["Credentials"])
    assert narrow["sts"].get_caller_identity()["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/worker/sess"
    narrow["sqs"].list_queues()
    assert code_of(narrow["sns"].list_topics) == "AuthorizationError"
    wide["sns"].list_topics()  # the caller's own session keeps its permissions
    root_sts = strict.client("sts", aws_access_key_id="rootkey", aws_secret_access_key="rootsecret")
    assert code_of(root_sts.get_scoped_credentials, Policy=only_sqs) == "InvalidSubjectCredentials"


def test_features_gureum_has_no_counterpart_for_answer_as_aws_does(gureum) -> None:  # type: ignore[no-untyped-def]
    account = str(random.randint(10**11, 10**12 - 1))
    iam, sts = gureum.client("iam", aws_access_key_id=account), gureum.client("sts", aws_access_key_id=account)
    assert code_of(sts.decode_authorization_message, EncodedMessage="not-a-message") == "InvalidAuthorizationMessageException"
    assert code_of(sts.assume_root, TargetPrincipal="111122223333",
                   TaskPolicyArn={"arn": "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"}) == "AccessDenied"
    assert code_of(sts.get_delegated_access_token, TradeInToken="x" * 64) == "ExpiredTradeInTokenException"

    iam.put_account_properties(Properties={"RoleManager/Enabled": "true"})
    assert iam.get_account_properties()["Properties"] == {"RoleManager/Enabled": "true"}
    assert code_of(iam.put_account_properties, Properties={"A/x": "1", "B/y": "2"}) == "InvalidInput"
    request_id = "a" * 16
    for call in (iam.get_delegation_request, iam.accept_delegation_request, iam.reject_delegation_request,
                 iam.send_delegation_token, iam.associate_delegation_request):
        assert code_of(call, DelegationRequestId=request_id) == "NoSuchEntity"
    assert iam.list_delegation_requests()["DelegationRequests"] == []
    assert code_of(iam.create_delegation_request, Description="a delegation", Permissions={"PolicyTemplateArn": "arn:aws:iam::aws:policy-template/Example"}, RequestorWorkflowId="workflow-1",
                   NotificationChannel="arn:aws:sns:us-east-1:123456789012:t", SessionDuration=3600) == "AccessDenied"
    template = "arn:aws:iam::aws:role-template/Example"
    assert code_of(iam.get_role_template_version, TemplateArn=template) == "NoSuchEntity"
