"""The `AWS/Route53` metrics AWS emits for health checks, and CLOUDWATCH_METRIC checks
following their alarm's state.

Metrics (us-east-1, dimension HealthCheckId, as AWS publishes them), computed by `datapoints`
from the checker's state (pure) and sent through CloudWatch's port (`emit`, batched per
minute in memory) every `route53.health_metrics_interval` seconds by the node that probes:
  HealthCheckStatus               1 healthy, 0 unhealthy (after Inverted / Disabled)
  HealthCheckPercentageHealthy    % of checker regions reporting healthy (endpoint checks)
  ChildHealthCheckHealthyCount    healthy children (CALCULATED checks)

CLOUDWATCH_METRIC checks: `alarm_refs` names the alarms the checks watch, CloudWatch's port
(`alarm_states`) reads their states in one store read, and `HealthChecker.evaluate` applies
them: OK healthy, ALARM unhealthy, INSUFFICIENT_DATA (or no such alarm) the check's
InsufficientDataHealthStatus (Healthy, Unhealthy, LastKnownStatus).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gureum.services.cloudwatch import port as cloudwatch

if TYPE_CHECKING:
    from gureum.app import App

NAMESPACE = "AWS/Route53"
REGION = "us-east-1"


def datapoints(checks: dict[str, Any], status: dict[str, bool], accounts: dict[str, str]) -> list[tuple[str, str, str, float, str]]:
    """(account, health check id, metric, value, unit) for every check whose owner is known.
    `checks` is HealthChecker.checks (id -> CheckState), `status` its final statuses."""
    out: list[tuple[str, str, str, float, str]] = []
    for hc_id, st in checks.items():
        account = accounts.get(hc_id)
        if not account:
            continue
        cfg = st.doc["HealthCheckConfig"]
        out.append((account, hc_id, "HealthCheckStatus", 1.0 if status.get(hc_id, True) else 0.0, "None"))
        if st.regions:
            up = sum(1 for r in st.regions.values() if r.healthy)
            out.append((account, hc_id, "HealthCheckPercentageHealthy", 100.0 * up / len(st.regions), "Percent"))
        if cfg.get("Type") == "CALCULATED":
            healthy = sum(1 for c in cfg.get("ChildHealthChecks") or [] if status.get(c, True))
            out.append((account, hc_id, "ChildHealthCheckHealthyCount", float(healthy), "Count"))
    return out


def emit(app: App, checks: dict[str, Any], status: dict[str, bool], accounts: dict[str, str]) -> None:
    for account, hc_id, metric, value, unit in datapoints(checks, status, accounts):
        cloudwatch.emit(app, account, REGION, NAMESPACE, metric, {"HealthCheckId": hc_id}, value, unit)


def alarm_refs(checks: dict[str, Any], accounts: dict[str, str]) -> dict[str, tuple[str, str, str]]:
    """health check id -> (account, Region, alarm name) of every CLOUDWATCH_METRIC check."""
    out: dict[str, tuple[str, str, str]] = {}
    for hc_id, st in checks.items():
        cfg = st.doc["HealthCheckConfig"]
        ident = cfg.get("AlarmIdentifier") or {}
        if cfg.get("Type") == "CLOUDWATCH_METRIC" and accounts.get(hc_id) and ident.get("Name"):
            out[hc_id] = (accounts[hc_id], str(ident.get("Region") or REGION), str(ident["Name"]))
    return out


async def read_alarm_states(app: App, refs: dict[str, tuple[str, str, str]]) -> dict[str, str]:
    """health check id -> its alarm's StateValue (absent: no such alarm)."""
    if not refs:
        return {}
    wanted = sorted(set(refs.values()))
    states = await app.store.read(lambda t: cloudwatch.alarm_states(t, wanted))
    return {hc_id: states[ref] for hc_id, ref in refs.items() if ref in states}
