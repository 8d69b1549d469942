"""Managed renewal over the in-memory store: the sweep starts the renewal of an issued
certificate in use within 60 days of its NotAfter (and of no other), the validator's success
reissues it in place (new serial and NotAfter, RenewalSummary SUCCESS), and the sweep leaves it
alone afterwards."""

from __future__ import annotations

from typing import Any

from gureum.services.acm import certs, lifecycle, uses
from gureum.store.memory import MemoryStore

DAY = 86400.0
ACCOUNT, REGION = "000000000000", "us-east-1"


def _issued(store: MemoryStore, domain: str, now: float) -> tuple[str, str]:
    arn = store.run_sync(lambda t: certs.request(t, ACCOUNT, REGION, {"DomainName": domain, "ValidationMethod": "DNS"}, now))
    k = store.read_sync(lambda t: certs.get(t, arn))[0]
    assert store.run_sync(lambda t: certs.validated(t, k, domain, now))
    return arn, k


def test_sweep_renews_certificates_in_use_sixty_days_before_expiry() -> None:
    store = MemoryStore()
    used_arn, used = _issued(store, "used.example.com", 0.0)
    idle_arn, _ = _issued(store, "idle.example.com", 0.0)
    store.run_sync(lambda t: uses.set_uses(t, "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/x/1/2", [used_arn]))
    first: dict[str, Any] = store.read_sync(lambda t: certs.get(t, used_arn))[1]
    early = first["NotAfter"] - 61 * DAY
    assert store.run_sync(lambda t: lifecycle.sweep(t, early)) == []
    due = first["NotAfter"] - 59 * DAY
    started = store.run_sync(lambda t: lifecycle.sweep(t, due))
    assert [d["CertificateArn"] for d in started] == [used_arn]  # the idle one is not eligible
    doc = store.read_sync(lambda t: certs.get(t, used_arn))[1]
    assert doc["RenewalSummary"]["RenewalStatus"] == "PENDING_AUTO_RENEWAL"
    assert [p[0] for p in store.read_sync(certs.pending)] == [used]  # the validator looks the record up again
    assert store.run_sync(lambda t: lifecycle.sweep(t, due)) == []  # already under way
    assert store.run_sync(lambda t: certs.validated(t, used, "used.example.com", due))
    doc = store.read_sync(lambda t: certs.get(t, used_arn))[1]
    assert doc["RenewalSummary"]["RenewalStatus"] == "SUCCESS" and doc["Status"] == "ISSUED"
    assert doc["Serial"] != first["Serial"] and doc["NotAfter"] > first["NotAfter"]
    assert store.run_sync(lambda t: lifecycle.sweep(t, due + DAY)) == []
    assert store.read_sync(lambda t: certs.get(t, idle_arn))[1].get("RenewalSummary") is None
