"""Fargate usage rows in the ledger are priced by `gureum costs` beside Lambda."""

from __future__ import annotations

from gureum.billing import prices
from gureum.billing.cli import fargate_report
from gureum.billing.ledger import USAGE, fargate_summary
from gureum.store.memory import MemoryStore

ARN = "arn:aws:ecs:us-east-1:000000000000:task/default/abc123"


def test_fargate_rows_are_priced_per_second_with_the_one_minute_minimum() -> None:
    store = MemoryStore()

    def write(txn):  # type: ignore[no-untyped-def]
        txn.put(USAGE, "000000000000/fargate/0000000000001.n0000000001", {
            "service": "fargate", "region": "us-east-1", "resource": ARN, "seconds": 12.5,
            "billed_seconds": 60, "vcpu": 0.25, "memory_gb": 0.5, "arch": "x86_64"})
        txn.put(USAGE, "000000000000/fargate/0000000000002.n0000000002", {
            "service": "fargate", "region": "us-east-1", "resource": ARN, "seconds": 90.0,
            "billed_seconds": 90, "vcpu": 0.25, "memory_gb": 0.5, "arch": "x86_64"})

    store.run_sync(write)
    summary = store.run_sync(lambda t: fargate_summary(t))
    s = summary[("000000000000", ARN)]
    assert s["billed_seconds"] == 150
    expected = prices.fargate_cost(60, 0.25, 0.5) + prices.fargate_cost(90, 0.25, 0.5)
    assert abs(s["cost"] - expected) < 1e-12
    assert abs(expected - (150 / 3600) * (0.25 * 0.04048 + 0.5 * 0.004445)) < 1e-12
    lines, total = fargate_report(summary)
    assert "default/abc123" in lines[1]
    assert abs(total - expected) < 1e-12
