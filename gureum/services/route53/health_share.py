"""Route 53 health checking when several nodes share one store: one node probes, all answer.

  route53.healthlead     "checker"            -> {"node", "until"}  the probing node's lease
  route53.healthregions  {check id}/{region}  -> {"healthy", "streak", "report", "checked",
                                                  "failure": [report, time] | null}

The node holding the lease (renewed every LEAD_RENEW seconds, lost LEAD_TTL seconds after
its holder stops renewing) runs every check's probe loops, as a single node does, and writes
each region's state after each probe; the other nodes probe nothing and copy the region
states from the store every FOLLOW_EVERY seconds into their checker, whose evaluation feeds
their own DNS index. So each checker region probes a check once per interval cluster-wide,
and every node's answers and GetHealthCheckStatus agree within FOLLOW_EVERY seconds. A new
leader starts from the states in the store. With a store that is not shared (SQLite) none of
this runs: the node leads alone and writes nothing per probe.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from gureum.store import Txn

LEAD = "route53.healthlead"
REGIONS = "route53.healthregions"
LEAD_TTL = 10.0
LEAD_RENEW = 3.0
FOLLOW_EVERY = 1.0


def claim_lead(txn: Txn, node: str, now: float, ttl: float = LEAD_TTL) -> bool:
    """Take or renew the checker lease for `node`; False while another node holds it."""
    row = txn.get(LEAD, "checker")
    if row is not None and row["node"] != node and row["until"] > now:
        return False
    txn.put(LEAD, "checker", {"node": node, "until": now + ttl})
    return True


def release_lead(txn: Txn, node: str) -> None:
    """Give the lease up (a node stopping cleanly), so another node leads at once."""
    row = txn.get(LEAD, "checker")
    if row is not None and row["node"] == node:
        txn.delete(LEAD, "checker")


def _ts(t: dt.datetime | None) -> float | None:
    return None if t is None else t.timestamp()


def _dt(t: float | None) -> dt.datetime | None:
    return None if t is None else dt.datetime.fromtimestamp(t, dt.UTC)


def region_doc(healthy: bool, streak: int, report: str, checked: dt.datetime | None,
               failure: tuple[str, dt.datetime] | None) -> dict[str, Any]:
    return {"healthy": healthy, "streak": streak, "report": report, "checked": _ts(checked),
            "failure": None if failure is None else [failure[0], _ts(failure[1])]}


def region_fields(doc: dict[str, Any]) -> tuple[bool, int, str, dt.datetime | None, tuple[str, dt.datetime] | None]:
    """(healthy, streak, report, checked, last failure) from a stored region state."""
    failure = doc.get("failure")
    when = _dt(failure[1]) if failure else None
    return (bool(doc["healthy"]), int(doc.get("streak", 0)), str(doc.get("report", "")), _dt(doc.get("checked")),
            None if not failure or when is None else (str(failure[0]), when))


def save_region(txn: Txn, hc_id: str, region: str, doc: dict[str, Any]) -> None:
    txn.put(REGIONS, f"{hc_id}/{region}", doc)


def load_regions(txn: Txn) -> dict[str, dict[str, dict[str, Any]]]:
    """Every stored region state: {check id: {region: state}}."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for key, doc in txn.scan(REGIONS, ""):
        hc_id, _, region = key.partition("/")
        out.setdefault(hc_id, {})[region] = doc
    return out


def forget_checks(txn: Txn, keep: set[str]) -> None:
    """Delete the region states of checks that no longer exist."""
    for key, _ in txn.scan(REGIONS, ""):
        if key.partition("/")[0] not in keep:
            txn.delete(REGIONS, key)
