"""The prices and meters issue 22 added, by hand-computed values: Cognito's MAUs in AWS's bands
(the free ones first), EKS cluster-hours (ACTIVE clusters only), the monthly free tiers of
DynamoDB (25 GB, 25 provisioned RCU and WCU all month) and Route 53 (50 health checks of AWS
endpoints), each deducted per account and calendar month; and the two meters' ledger rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gureum.billing import pricing
from gureum.billing.ledger import USAGE
from gureum.billing.line_items import LineItem, of_row, with_free_tier
from gureum.services.cognito_idp import mau
from gureum.services.eks import metering
from gureum.services.eks.clusters import CLUSTERS
from gureum.store.memory import MemoryStore

NOV = datetime(2026, 11, 3, tzinfo=UTC).timestamp()  # a 30-day month: 720 hours
A = "111122223333"


def _items(key: str, *quantities: float, region: str = "us-east-1", start: float = NOV) -> list[LineItem]:
    table = pricing.load()
    rate = table.rate(region, key)
    return [LineItem(account=A, service=rate.service, region=region, usage_type=rate.usage_type,
                     operation=rate.operation, resource="r", start=start + i, end=start + i, quantity=q,
                     unit=rate.unit, cost=q * rate.price, key=key) for i, q in enumerate(quantities)]


def _costs(items: list[LineItem]) -> list[float]:
    return [i.cost for i in with_free_tier(pricing.load(), items)]


def test_cognito_lite_maus_are_priced_band_by_band_after_the_free_ten_thousand() -> None:
    # 5,000 free; then 5,000 free + 5,000 at $0.0055; then 85,000 at $0.0055 up to 100,000 and 15,000 at $0.0046
    assert _costs(_items("Cognito-MAU-Lite", 5000, 10000, 100000)) == pytest.approx([0.0, 27.5, 467.5 + 69.0])
    # Essentials: 10,000 free, then $0.015 each; Plus has no free MAUs
    assert _costs(_items("Cognito-MAU-Essentials", 12000)) == pytest.approx([30.0])
    assert _costs(_items("Cognito-MAU-Plus", 3)) == pytest.approx([0.06])
    # without the free tiers deducted a MAU is priced at its first paid band (the line item's own cost)
    assert [i.cost for i in _items("Cognito-MAU-Lite", 2)] == pytest.approx([0.011])
    # a new month starts the bands again
    dec = datetime(2026, 12, 1, tzinfo=UTC).timestamp()
    assert _costs(_items("Cognito-MAU-Lite", 10000) + _items("Cognito-MAU-Lite", 10, start=dec)) == \
        pytest.approx([0.0, 0.0])


def test_dynamodb_free_tier_is_25_gb_and_25_provisioned_units_all_month() -> None:
    assert _costs(_items("DynamoDB-TimedStorage-ByteHrs", 20, 10)) == pytest.approx([0.0, 5 * 0.25])
    # 25 WCU for each of November's 720 hours are free: 18,000 WCU-hours
    assert _costs(_items("WriteCapacityUnit-Hrs", 17000, 3000)) == pytest.approx([0.0, 2000 * 0.00065])
    assert _costs(_items("ReadCapacityUnit-Hrs", 18000, 100)) == pytest.approx([0.0, 100 * 0.00013])
    # every Region together: the allowance is the account's
    assert _costs(_items("DynamoDB-TimedStorage-ByteHrs", 25) + _items("DynamoDB-TimedStorage-ByteHrs", 1, region="us-west-2",
                                                                        start=NOV + 10)) == pytest.approx([0.0, 0.25])


def test_route53_first_50_health_checks_of_aws_endpoints_are_free() -> None:
    assert _costs(_items("Health-Check-AWS", 40, 20, region="global")) == pytest.approx([0.0, 10 * 0.5])
    assert _costs(_items("Health-Check-Non-AWS", 3, region="global")) == pytest.approx([3 * 0.75])
    assert _costs(_items("Health-Check-Option-AWS", 1, region="global")) == pytest.approx([1.0])


def test_eks_cluster_hours_are_priced_at_ten_cents() -> None:
    table = pricing.load()
    row = {"service": "eks", "region": "us-east-1", "resource": "arn-of-cluster", "hours": 2.0, "ts": int(NOV * 1000)}
    [item] = of_row(table, f"{A}/eks/x", row)
    assert (item.usage_type, item.service, item.quantity, item.cost, item.end - item.start) == \
        ("USE1-AmazonEKS-Hours:perCluster", "Amazon Elastic Container Service for Kubernetes", 2.0,
         pytest.approx(0.2), pytest.approx(7200.0))


def _cluster(status: str, created: float) -> dict[str, object]:
    return {"name": status.lower(), "arn": f"arn-{status}", "createdAt": created, "status": status}


def test_eks_meter_bills_active_clusters_once_and_never_failed_ones() -> None:
    store = MemoryStore()
    store.run_sync(lambda t: [t.put(CLUSTERS, f"{A}/us-east-1/{s.lower()}", _cluster(s, NOV))
                              for s in ("ACTIVE", "FAILED", "CREATING")])
    assert store.run_sync(lambda t: metering.meter(t, NOV + 1800)) == 1
    assert store.run_sync(lambda t: metering.meter(t, NOV + 5400)) == 1
    rows = store.read_sync(lambda t: t.scan(USAGE, f"{A}/eks/"))
    assert [(r["resource"], r["hours"]) for _, r in rows] == [("arn-ACTIVE", 0.5), ("arn-ACTIVE", 1.0)]
    assert store.run_sync(lambda t: metering.meter(t, NOV + 5400)) == 0  # nothing since the mark


def test_a_cognito_user_is_one_monthly_active_user_however_often_they_sign_in() -> None:
    store = MemoryStore()
    pool = {"account": A, "region": "us-east-1", "Id": "us-east-1_abc", "Arn": "arn-pool", "UserPoolTier": "LITE"}
    assert store.run_sync(lambda t: mau.seen(t, pool, "sub-1", NOV)) is True
    assert store.run_sync(lambda t: mau.seen(t, pool, "sub-1", NOV + 86400)) is False
    assert store.run_sync(lambda t: mau.seen(t, pool, "sub-2", NOV + 86400)) is True
    assert store.run_sync(lambda t: mau.seen(t, pool, "sub-1", datetime(2026, 12, 1, tzinfo=UTC).timestamp())) is True
    rows = store.read_sync(lambda t: t.scan(USAGE, f"{A}/cognito/"))
    items = [i for k, r in rows for i in of_row(pricing.load(), k, r)]
    assert sorted((i.usage_type, i.quantity) for i in items) == [("USE1-CognitoUserPoolsMAU-Lite", 1.0)] * 3
