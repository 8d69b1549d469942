"""ECS account settings through boto3 against a real gureum: per-principal values, the
account default (root), AWS's defaults (aws_managed), effectiveSettings, deletion, paging,
validation errors, and the containerInsights setting as a new cluster's default."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from .test_api import err, uniq


@pytest.fixture(scope="module")
def ecs(gureum):
    return gureum.client("ecs")


@pytest.fixture(scope="module")
def account(gureum):
    return gureum.client("sts").get_caller_identity()["Account"]


def user_arn(account: str) -> str:
    return f"arn:aws:iam::{account}:user/{uniq('u')}"


def test_put_for_principal_then_effective_falls_back(ecs, account):
    alice, bob = user_arn(account), user_arn(account)
    got = ecs.put_account_setting(name="awsvpcTrunking", value="enabled", principalArn=alice)["setting"]
    assert got == {"name": "awsvpcTrunking", "value": "enabled", "principalArn": alice, "type": "user"}
    own = ecs.list_account_settings(principalArn=alice)["settings"]
    assert [(s["name"], s["value"]) for s in own] == [("awsvpcTrunking", "enabled")]
    # bob set nothing: no own settings, effective values are AWS's defaults
    assert ecs.list_account_settings(principalArn=bob)["settings"] == []
    eff = ecs.list_account_settings(principalArn=bob, effectiveSettings=True, name="awsvpcTrunking")["settings"]
    assert eff == [{"name": "awsvpcTrunking", "value": "disabled", "principalArn": f"arn:aws:iam::{account}:root", "type": "aws_managed"}]
    eff = ecs.list_account_settings(principalArn=alice, effectiveSettings=True, name="awsvpcTrunking")["settings"]
    assert eff[0]["value"] == "enabled" and eff[0]["principalArn"] == alice


def test_default_applies_to_principals_without_their_own(ecs, account):
    root = f"arn:aws:iam::{account}:root"
    carol, dave = user_arn(account), user_arn(account)
    ecs.put_account_setting(name="fargateFIPSMode", value="disabled", principalArn=dave)
    got = ecs.put_account_setting_default(name="fargateFIPSMode", value="enabled")["setting"]
    assert got["principalArn"] == root and got["value"] == "enabled"
    try:
        eff = {p: ecs.list_account_settings(principalArn=p, effectiveSettings=True, name="fargateFIPSMode")["settings"][0]
               for p in (carol, dave)}
        assert (eff[carol]["value"], eff[carol]["principalArn"], eff[carol]["type"]) == ("enabled", root, "user")
        assert eff[dave]["value"] == "disabled"
        # dave's own setting deleted: the account default now applies to him
        gone = ecs.delete_account_setting(name="fargateFIPSMode", principalArn=dave)["setting"]
        assert gone["principalArn"] == dave and gone["value"] == "disabled"
        eff_dave = ecs.list_account_settings(principalArn=dave, effectiveSettings=True, name="fargateFIPSMode")["settings"][0]
        assert eff_dave["value"] == "enabled"
    finally:
        ecs.delete_account_setting(name="fargateFIPSMode", principalArn=root)
    back = ecs.list_account_settings(principalArn=carol, effectiveSettings=True, name="fargateFIPSMode")["settings"][0]
    assert (back["value"], back["type"]) == ("disabled", "aws_managed")


def test_effective_lists_every_setting_in_pages(ecs, account):
    p = user_arn(account)
    names, token = [], None
    while True:
        kw = {"nextToken": token} if token else {}
        out = ecs.list_account_settings(principalArn=p, effectiveSettings=True, maxResults=4, **kw)
        assert len(out["settings"]) <= 4
        names += [s["name"] for s in out["settings"]]
        token = out.get("nextToken")
        if not token:
            break
    assert len(names) == len(set(names)) == 11
    assert {"taskLongArnFormat", "containerInsights", "guardDutyActivate", "fargateTaskRetirementWaitPeriod"} <= set(names)


def test_value_filter(ecs, account):
    p = user_arn(account)
    ecs.put_account_setting(name="containerInsights", value="enhanced", principalArn=p)
    assert len(ecs.list_account_settings(principalArn=p, name="containerInsights", value="enhanced")["settings"]) == 1
    assert ecs.list_account_settings(principalArn=p, name="containerInsights", value="enabled")["settings"] == []


@pytest.mark.parametrize(
    ("call", "kw", "fragment"),
    [
        ("put_account_setting", {"name": "containerInsights", "value": "maybe"}, "Invalid value"),
        ("put_account_setting", {"name": "noSuchSetting", "value": "enabled"}, "failed to satisfy constraint"),
        ("put_account_setting", {"name": "guardDutyActivate", "value": "on"}, "read-only"),
        ("put_account_setting_default", {"name": "fargateTaskRetirementWaitPeriod", "value": "3"}, "Invalid value"),
        ("delete_account_setting", {"name": "bogus"}, "failed to satisfy constraint"),
        ("list_account_settings", {"value": "enabled"}, "name parameter"),
        ("list_account_settings", {"maxResults": 11}, "maxResults"),
    ],
)
def test_validation_errors(ecs, call, kw, fragment):
    with pytest.raises(ClientError) as exc:
        getattr(ecs, call)(**kw)
    code, message = err(exc)
    assert code == "InvalidParameterException" and fragment in message
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_retirement_wait_period_needs_the_root_user(ecs, account):
    with pytest.raises(ClientError) as exc:
        ecs.put_account_setting(name="fargateTaskRetirementWaitPeriod", value="14", principalArn=user_arn(account))
    assert err(exc)[0] == "InvalidParameterException"
    got = ecs.put_account_setting_default(name="fargateTaskRetirementWaitPeriod", value="14")["setting"]
    assert got["value"] == "14"
    ecs.delete_account_setting(name="fargateTaskRetirementWaitPeriod", principalArn=f"arn:aws:iam::{account}:root")


def test_container_insights_setting_is_a_new_clusters_default(ecs, account):
    me = ecs.put_account_setting(name="containerInsights", value="enabled")["setting"]["principalArn"]
    try:
        name = uniq("insights")
        cluster = ecs.create_cluster(clusterName=name)["cluster"]
        assert {"name": "containerInsights", "value": "enabled"} in cluster["settings"]
        explicit = ecs.create_cluster(clusterName=uniq("insights"), settings=[{"name": "containerInsights", "value": "disabled"}])["cluster"]
        assert {"name": "containerInsights", "value": "disabled"} in explicit["settings"]
        ecs.delete_cluster(cluster=name)
        ecs.delete_cluster(cluster=explicit["clusterName"])
    finally:
        ecs.delete_account_setting(name="containerInsights", principalArn=me)
