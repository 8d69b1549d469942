"""Cognito's monthly active users in Cost Explorer (cognito_idp/mau.py, billing/line_items.py):
a user who signs in and refreshes in a month is one MAU of the pool's feature plan, priced from
the price table, read back through boto3 in an account of the test's own (the shared gureum's
other tests sign users in too)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from .helpers import STRONG, confirmed_user, make_client, uniq


def _cognito_usage(ce: Any) -> dict[str, dict[str, Any]]:
    now = datetime.now(UTC)
    period = {"Start": (now - timedelta(days=1)).strftime("%Y-%m-%d"), "End": (now + timedelta(days=1)).strftime("%Y-%m-%d")}
    out = ce.get_cost_and_usage(TimePeriod=period, Granularity="MONTHLY", Metrics=["UsageQuantity", "UnblendedCost"],
                                Filter={"Dimensions": {"Key": "SERVICE", "Values": ["Amazon Cognito"]}},
                                GroupBy=[{"Type": "DIMENSION", "Key": "USAGE_TYPE"}])
    return {g["Keys"][0]: g["Metrics"] for r in out["ResultsByTime"] for g in r["Groups"]}


def test_a_user_signing_in_twice_is_one_monthly_active_user_of_the_pools_plan(gureum, public_idp) -> None:  # type: ignore[no-untyped-def]
    account = f"{random.randrange(10**11, 10**12)}"
    idp = gureum.client("cognito-idp", aws_access_key_id=account)
    pid = idp.create_user_pool(PoolName=uniq("pool"), UserPoolTier="LITE")["UserPool"]["Id"]
    cid = make_client(idp, pid)["ClientId"]
    name = uniq("mau")
    confirmed_user(idp, pid, name)
    months = set()
    for _ in range(2):
        months.add(datetime.now(UTC).strftime("%Y-%m"))
        out = public_idp.initiate_auth(ClientId=cid, AuthFlow="USER_PASSWORD_AUTH",
                                       AuthParameters={"USERNAME": name, "PASSWORD": STRONG})
        months.add(datetime.now(UTC).strftime("%Y-%m"))
    public_idp.initiate_auth(ClientId=cid, AuthFlow="REFRESH_TOKEN_AUTH",
                             AuthParameters={"REFRESH_TOKEN": out["AuthenticationResult"]["RefreshToken"]})
    usage = _cognito_usage(gureum.client("ce", aws_access_key_id=account))
    maus = sum(float(m["UsageQuantity"]["Amount"]) for m in usage.values())
    assert set(usage) == {"USE1-CognitoUserPoolsMAU-Lite"}
    assert maus == len(months)  # one a month (two only when the sign-ins straddled a month's start)
    # the free tiers are not deducted by default: a Lite MAU at its first paid band, $0.0055
    assert float(usage["USE1-CognitoUserPoolsMAU-Lite"]["UnblendedCost"]["Amount"]) == 0.0055 * maus
