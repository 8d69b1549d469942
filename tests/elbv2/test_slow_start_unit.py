"""Slow start on values (slow_start.py): who enters it (a target turning healthy beside a
healthy target not in slow start), the linear weight, and the smooth weighted round robin's
shares; and the records that move a target in and out of it (targets.record, MemoryStore)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from gureum.services.elbv2 import groups, slow_start, targets
from gureum.services.elbv2.snapshot import GroupView
from gureum.store.memory import MemoryStore

TG = {"attributes": {"slow_start.duration_seconds": "100"}}


def test_only_a_target_beside_a_healthy_one_not_in_slow_start_enters_it() -> None:
    first: dict[str, Any] = {"state": "healthy"}
    slow_start.enter(TG, [], first, 1000.0)  # the first target of a group
    assert "slow_until" not in first
    second: dict[str, Any] = {"state": "healthy"}
    slow_start.enter(TG, [first], second, 1000.0)
    assert (second["slow_from"], second["slow_until"]) == (1000.0, 1100.0)
    third: dict[str, Any] = {"state": "healthy"}
    slow_start.enter(TG, [second], third, 1010.0)  # its only healthy peer is itself in slow start
    assert "slow_until" not in third
    off: dict[str, Any] = {"state": "healthy"}
    slow_start.enter({"attributes": {"slow_start.duration_seconds": "0"}}, [first], off, 1000.0)
    assert "slow_until" not in off
    slow_start.leave(second)
    assert "slow_from" not in second and "slow_until" not in second


def test_the_weight_grows_linearly_over_the_window() -> None:
    assert slow_start.ramp_weight(None, 5.0) == 1.0
    assert [slow_start.ramp_weight((100.0, 200.0), t) for t in (100.0, 125.0, 150.0, 199.0, 200.0, 300.0)] == \
        [0.0, 0.25, 0.5, 0.99, 1.0, 1.0]


def test_the_ramp_gives_each_target_its_weighted_share() -> None:
    a, b = ("10.0.0.1", 80), ("10.0.0.2", 80)
    view = GroupView("tg", "k", {}, [], routable=[a, b], slow={b: (0.0, 100.0)})
    ramp = slow_start.Ramp()
    counts = Counter(ramp.pick(view, 25.0) for _ in range(100))  # b's weight: 0.25
    assert counts == {a: 80, b: 20}
    counts = Counter(ramp.pick(view, 0.0) for _ in range(50))  # b's weight: 0
    assert counts == {a: 50}
    counts = Counter(ramp.pick(view, 100.0) for _ in range(50))  # window over: plain round robin
    assert counts == {a: 25, b: 25}


def test_records_move_a_target_in_and_out_of_slow_start() -> None:
    store = MemoryStore()

    def setup(t: Any) -> str:
        tg = groups.create(t, "000000000000", "us-east-1", {"Name": "slow", "Protocol": "HTTP", "Port": 80,
                                                            "VpcId": "vpc-0123456789abcdef0", "TargetType": "ip"}, 0.0, 100)
        k, doc = groups.get(t, tg["TargetGroupArn"])
        doc["attributes"]["slow_start.duration_seconds"] = "60"
        t.put(groups.TGS, k, doc)
        targets.register(t, tg["TargetGroupArn"], [{"Id": "10.0.0.1"}, {"Id": "10.0.0.2"}], 0.0)
        return str(tg["TargetGroupArn"])
    store.run_sync(setup)
    rows = dict(store.run_sync(lambda t: list(t.scan(targets.TARGETS))))
    k1, k2 = sorted(rows)
    store.run_sync(lambda t: targets.record(t, k1, True, None, 1, 2, now=10.0))
    store.run_sync(lambda t: targets.record(t, k2, True, None, 1, 2, now=20.0))
    rows = dict(store.run_sync(lambda t: list(t.scan(targets.TARGETS))))
    assert "slow_until" not in rows[k1] and (rows[k2]["slow_from"], rows[k2]["slow_until"]) == (20.0, 80.0)
    for _ in range(2):
        store.run_sync(lambda t: targets.record(t, k2, False, ("Target.Timeout", "Request timed out"), 1, 2, now=30.0))
    assert "slow_until" not in store.run_sync(lambda t: t.get(targets.TARGETS, k2))
    store.run_sync(lambda t: targets.record(t, k2, True, None, 1, 2, now=40.0))  # healthy again: slow start anew
    assert store.run_sync(lambda t: t.get(targets.TARGETS, k2))["slow_from"] == 40.0
