"""Route 53 hosted zones charged monthly into the usage ledger: after AWS's 12-hour grace,
once per zone and month however many times (or nodes) the job runs; priced by hand."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from gureum.billing import pricing
from gureum.services.ce import model, monthly
from gureum.services.route53 import port as route53
from gureum.store import open_store

ACCOUNT = "111122223333"


def test_a_zone_is_charged_once_a_month_after_twelve_hours(tmp_path):
    store = open_store(f"sqlite:///{tmp_path}/state.sqlite")
    created = datetime(2026, 12, 3, 10, tzinfo=UTC).timestamp()
    try:
        zone = store.run_sync(lambda t: route53.create_zone(t, ACCOUNT, "billed.example.", "ref-1", None, False, None))
        short = store.run_sync(lambda t: route53.create_zone(t, ACCOUNT, "short.example.", "ref-2", None, False, None))
        assert store.run_sync(lambda t: monthly.charge(t, created)) == 0  # within 12 hours: not yet
        store.run_sync(lambda t: route53.delete_zone(t, ACCOUNT, short))  # deleted within 12 hours: never charged
        for _ in range(3):  # later passes, on any node, write the same row
            assert store.run_sync(lambda t: monthly.charge(t, created + 13 * 3600)) == 1

        def zone_items(t):
            return [i for i in model.items(t, pricing.load(), ACCOUNT) if i.service == "Amazon Route 53"]

        [item] = store.read_sync(zone_items)
        assert (item.usage_type, item.resource, item.region, item.cost) == ("HostedZone", zone, "global", 0.5)
        january = datetime(2027, 1, 1, 0, 5, tzinfo=UTC).timestamp()
        store.run_sync(lambda t: monthly.charge(t, january))
        items = store.read_sync(zone_items)
        assert sum(i.cost for i in items) == pytest.approx(1.0)
        assert sorted(datetime.fromtimestamp(i.start, UTC).strftime("%Y-%m") for i in items) == ["2026-12", "2027-01"]
    finally:
        asyncio.run(store.close())
