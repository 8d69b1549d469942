"""route53.health_share on values: the checker lease one node holds at a time, and region
states that round-trip through the store."""

from __future__ import annotations

import datetime as dt

from gureum.services.route53 import health_share
from gureum.store.memory import MemoryStore


def test_one_node_holds_the_checker_lease_until_it_lapses_or_is_released() -> None:
    store = MemoryStore()
    claim = health_share.claim_lead
    assert store.run_sync(lambda t: claim(t, "a", 100.0, ttl=10))
    assert not store.run_sync(lambda t: claim(t, "b", 105.0, ttl=10))  # a holds it
    assert store.run_sync(lambda t: claim(t, "a", 105.0, ttl=10))  # renewed to 115
    assert not store.run_sync(lambda t: claim(t, "b", 114.0, ttl=10))
    assert store.run_sync(lambda t: claim(t, "b", 115.5, ttl=10))  # lapsed: b takes over
    assert not store.run_sync(lambda t: claim(t, "a", 116.0, ttl=10))
    store.run_sync(lambda t: health_share.release_lead(t, "a"))  # not a's to release
    assert not store.run_sync(lambda t: claim(t, "a", 116.0, ttl=10))
    store.run_sync(lambda t: health_share.release_lead(t, "b"))
    assert store.run_sync(lambda t: claim(t, "a", 116.0, ttl=10))


def test_region_states_round_trip_and_are_forgotten_with_their_check() -> None:
    store = MemoryStore()
    checked = dt.datetime(2026, 1, 2, 3, 4, 5, 250000, tzinfo=dt.UTC)
    failed = checked - dt.timedelta(seconds=30)
    doc = health_share.region_doc(False, 1, "Failure: Connection refused", checked, ("Failure: timeout", failed))
    store.run_sync(lambda t: health_share.save_region(t, "hc1", "us-east-1", doc))
    store.run_sync(lambda t: health_share.save_region(t, "hc2", "eu-west-1", health_share.region_doc(True, 0, "Success", None, None)))
    states = store.run_sync(health_share.load_regions)
    assert set(states) == {"hc1", "hc2"}
    assert health_share.region_fields(states["hc1"]["us-east-1"]) == (False, 1, "Failure: Connection refused", checked, ("Failure: timeout", failed))
    assert health_share.region_fields(states["hc2"]["eu-west-1"]) == (True, 0, "Success", None, None)
    store.run_sync(lambda t: health_share.forget_checks(t, {"hc2"}))
    assert set(store.run_sync(health_share.load_regions)) == {"hc2"}
