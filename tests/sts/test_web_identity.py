"""AssumeRoleWithWebIdentity end to end: tokens are verified against the issuer's keys (served
by a test identity provider on loopback, configured with iam.oidc_jwks), then the role's
trust policy decides. Attack tests: forged, unsigned, wrong-key, expired, wrong-audience and
wrong-issuer tokens are all refused; the issue's forged Google token gets no credentials."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from harness import GureumProcess
from joserfc.jwk import RSAKey
from oidc_issuer import Issuer

ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/GUREUMTEST"
HOST_PATH = ISSUER.removeprefix("https://")
SUB = "system:serviceaccount:default:app"


@pytest.fixture(scope="module")
def idp() -> Iterator[tuple[Issuer, str]]:
    issuer = Issuer(ISSUER)
    with issuer.serve() as url:
        yield issuer, url


@pytest.fixture(scope="module")
def cloud(idp: tuple[Issuer, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[GureumProcess]:
    _, url = idp
    proc = GureumProcess(tmp_path_factory.mktemp("oidc") / "data", ["--set", f"iam.oidc_jwks={ISSUER}={url}/jwks"])
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture
def setup(cloud: GureumProcess) -> dict[str, Any]:
    account = str(random.randint(10**11, 10**12 - 1))
    iam = cloud.client("iam", aws_access_key_id=account, aws_secret_access_key="x")
    provider = iam.create_open_id_connect_provider(
        Url=ISSUER, ClientIDList=["sts.amazonaws.com"], ThumbprintList=["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"]
    )["OpenIDConnectProviderArn"]
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{HOST_PATH}:sub": SUB, f"{HOST_PATH}:aud": "sts.amazonaws.com"}},
    }]}
    role = iam.create_role(RoleName="irsa", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    google_trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": "accounts.google.com"}, "Action": "sts:AssumeRoleWithWebIdentity",
    }]}
    google_role = iam.create_role(RoleName="google", AssumeRolePolicyDocument=json.dumps(google_trust))["Role"]["Arn"]
    return {"account": account, "provider": provider, "role": role, "google_role": google_role, "iam": iam}


def assume(cloud: GureumProcess, role: str, token: str) -> dict[str, Any]:
    out: dict[str, Any] = cloud.client("sts").assume_role_with_web_identity(
        RoleArn=role, RoleSessionName="pod", WebIdentityToken=token)
    return out


def refused(cloud: GureumProcess, role: str, token: str) -> dict[str, Any]:
    with pytest.raises(ClientError) as exc:
        assume(cloud, role, token)
    err: dict[str, Any] = exc.value.response["Error"]
    return err


def test_a_signed_token_gets_credentials_with_awss_response_fields(cloud, idp, setup):
    issuer, _ = idp
    for alg in ("RS256", "ES256"):
        out = assume(cloud, setup["role"], issuer.token(alg=alg))
        assert out["SubjectFromWebIdentityToken"] == SUB
        assert out["Provider"] == setup["provider"]
        assert out["Audience"] == "sts.amazonaws.com"
        assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{setup['account']}:assumed-role/irsa/pod"
        creds = out["Credentials"]
        ident = cloud.client("sts", aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                             aws_session_token=creds["SessionToken"]).get_caller_identity()
        assert ident["Arn"] == f"arn:aws:sts::{setup['account']}:assumed-role/irsa/pod"


def test_forged_and_invalid_tokens_are_refused(cloud, idp, setup):
    issuer, _ = idp
    attacker = RSAKey.generate_key(2048, parameters={"kid": "rsa-1"})
    role = setup["role"]
    for token in (
        issuer.unsigned(),                                   # alg: none
        issuer.token(key=attacker),                          # signed with another key under the real kid
        issuer.token(key=attacker, kid="attacker"),          # a key id the issuer never published
        issuer.token(aud="another-client"),                  # audience not a client id of the provider
        issuer.token(iss="https://oidc.example.org/id/X"),   # issuer not registered, no keys
    ):
        assert refused(cloud, role, token)["Code"] == "InvalidIdentityToken"
    err = refused(cloud, role, issuer.token(exp=1_600_000_000))
    assert err["Code"] == "ExpiredTokenException"


def test_the_issues_forged_google_token_gets_no_credentials(cloud, idp, setup):
    issuer, _ = idp
    forged = issuer.unsigned(iss="https://accounts.google.com", aud="anything", sub="1234")
    err = refused(cloud, setup["google_role"], forged)
    assert err["Code"] == "InvalidIdentityToken"
    # signed, but Google's keys cannot be had here: refused as AWS refuses unverifiable tokens
    signed = issuer.token(iss="https://accounts.google.com", aud="anything", sub="1234")
    err = refused(cloud, setup["google_role"], signed)
    assert err == {**err, "Code": "InvalidIdentityToken",
                   "Message": "Couldn't retrieve verification key from your identity provider,  please reference "
                              "AssumeRoleWithWebIdentity documentation for requirements"}


def test_the_trust_policy_decides_after_the_token_verifies(cloud, idp, setup):
    issuer, _ = idp
    err = refused(cloud, setup["role"], issuer.token(sub="system:serviceaccount:kube-system:admin"))
    assert (err["Code"], err["Message"]) == ("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
    # a valid token for a role whose trust policy names no web identity provider
    other = setup["iam"].create_role(RoleName="plain", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": setup["account"]}, "Action": "sts:AssumeRole"}]}))
    assert refused(cloud, other["Role"]["Arn"], issuer.token())["Code"] == "AccessDenied"


def test_no_keys_are_fetched_for_an_issuer_the_account_has_not_registered(cloud, idp, setup):
    issuer, url = idp
    before = len(issuer.fetches)
    err = refused(cloud, setup["role"], issuer.token(iss=url))  # a loopback issuer named by the token
    assert err["Code"] == "InvalidIdentityToken"
    assert err["Message"] == f"No OpenIDConnect provider found in your account for {url}"
    assert issuer.fetches[before:] == []


def test_rotated_keys_are_fetched_again(cloud, idp, setup):
    issuer, _ = idp
    assert assume(cloud, setup["role"], issuer.token())["Audience"] == "sts.amazonaws.com"
    fresh = RSAKey.generate_key(2048, parameters={"kid": "rsa-rotated"})
    issuer.published = [*issuer.published, fresh]
    try:
        assert assume(cloud, setup["role"], issuer.token(key=fresh))["Audience"] == "sts.amazonaws.com"
    finally:
        issuer.published = issuer.published[:-1]


def test_keys_from_a_file(tmp_path: Path) -> None:
    issuer = Issuer("https://issuer.example/file")
    proc = GureumProcess(tmp_path / "data", ["--set", f"iam.oidc_jwks=https://issuer.example/file={issuer.write(tmp_path / 'jwks.json')}"])
    proc.start()
    try:
        iam = proc.client("iam")
        provider = iam.create_open_id_connect_provider(Url="https://issuer.example/file", ClientIDList=["app"])
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRoleWithWebIdentity",
                 "Principal": {"Federated": provider["OpenIDConnectProviderArn"]}}]}
        role = iam.create_role(RoleName="f", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        assert assume(proc, role, issuer.token(aud="app"))["Audience"] == "app"
        assert refused(proc, role, issuer.unsigned(aud="app"))["Code"] == "InvalidIdentityToken"
    finally:
        proc.stop()
