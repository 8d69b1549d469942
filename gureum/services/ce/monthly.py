"""Monthly charges written to the usage ledger: Route 53 hosted zones ($0.50 a zone a month,
price table unit "HostedZone", usage type "HostedZone", no Region prefix) and health checks
(by type: "Health-Check-AWS"/"Health-Check-Non-AWS" and one "Health-Check-Option-*" unit per
optional feature, route53 metering.py `health_check_units`).

As AWS bills them: a zone is charged for the month it is created in once it has existed 12
hours (a zone deleted sooner is free), then at the start of every month it still exists in.
gureum stores no creation time for a zone, so the first time this job sees a zone stands for
it (table `ce.zones_seen`: "<account>/<zone id>" -> {"first": epoch seconds}).

Ledger rows: "<account>/route53/<month start ms:013d>.<zone id>" -> {"service": "route53",
"unit": "HostedZone", "region": "global", "resource": zone id, "quantity": 1, "ts"}. The key
names the month and the zone, so every node running this job writes the same row: a zone's
month is charged exactly once however many nodes (or runs) see it. A health check is charged for
every month it exists in (from the first time this job sees it), one row per unit:
"<account>/route53/<month start ms:013d>.<check id>.<unit>" -> {..., "quantity": n}; its
configuration when first seen in a month prices that month. Runs every
`ce.monthly_interval` seconds on every API node (component "ce-monthly").
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from gureum.billing import pricing
from gureum.billing.ledger import USAGE
from gureum.node_settings import BillingSettings
from gureum.services.ce.settings import CeSettings
from gureum.services.route53 import port as route53
from gureum.store import Txn

if TYPE_CHECKING:
    from gureum.app import App

SEEN = "ce.zones_seen"
GRACE = 12 * 3600.0


def month_start(ts: float) -> float:
    return datetime.fromtimestamp(ts, UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()


def charge(txn: Txn, now: float) -> int:
    """Write the month rows due now; the number of zones charged for this month."""
    charged = 0
    this_month = month_start(now)
    zones = route53.hosted_zones(txn)
    present = {f"{account}/{zone_id}" for account, zone_id in zones}
    for key, _ in list(txn.scan(SEEN)):
        if key not in present:  # a deleted zone
            txn.delete(SEEN, key)
    for account, zone_id in zones:
        key = f"{account}/{zone_id}"
        seen = txn.get(SEEN, key)
        if seen is None:
            seen = {"first": now}
            txn.put(SEEN, key, seen)
        first = float(seen["first"])
        if now - first < GRACE and month_start(first) == this_month:
            continue  # a zone deleted within 12 hours of its creation is not charged
        ts = max(first, this_month)
        row_key = f"{account}/route53/{int(this_month * 1000):013d}.{zone_id}"
        if txn.get(USAGE, row_key) is None:
            txn.put(USAGE, row_key, {"service": "route53", "unit": "HostedZone", "region": "global", "resource": zone_id,
                                     "quantity": 1, "ts": int(ts * 1000)})
        charged += 1
    charge_health_checks(txn, now)
    return charged


def charge_health_checks(txn: Txn, now: float) -> int:
    """Write this month's rows of every health check (by type and options, route53
    metering.py); the number of checks charged."""
    this_month = month_start(now)
    checks = route53.health_checks(txn)
    for account, check_id, units in checks:
        for unit, quantity in units:
            row_key = f"{account}/route53/{int(this_month * 1000):013d}.{check_id}.{unit}"
            if txn.get(USAGE, row_key) is None:
                txn.put(USAGE, row_key, {"service": "route53", "unit": unit, "region": "global", "resource": check_id,
                                         "quantity": quantity, "ts": int(now * 1000)})
    return len(checks)


async def run(app: App) -> None:
    pricing.load(app.settings(BillingSettings).price_file)  # a bad price file: the component fails, /_gureum/health says why
    async def job() -> None:
        await app.store.run(lambda t: charge(t, time.time()))

    app.set_status("ce", "running")
    app.every(app.settings(CeSettings).monthly_interval, job, name="ce-monthly", first=1.0)
