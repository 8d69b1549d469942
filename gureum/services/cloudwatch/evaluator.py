"""The alarm evaluator: a background component that, every `cloudwatch.evaluate_interval`
seconds, decides each metric alarm's state from its data (evaluate.py), then each composite
alarm's from its rule (rule.py), applies changes with `alarms.transition` (one transaction,
guarded by the state the decision was read in) and delivers the notification to the actions
(gureum.delivery: SNS topics, and so their subscriptions; Lambda functions).

Several nodes sharing a store all run it: each alarm is evaluated by the node the alarm's name
hashes to among the live nodes the roster lists (`_mine`), and a transition commits only if
the alarm is still in the state the decision was read in, so a change is announced once even
while nodes join or leave."""

from __future__ import annotations

import functools
import logging
import time
import zlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from gureum.aws import arn as arns
from gureum.delivery import Source, deliver
from gureum.services.cloudwatch import alarms, evaluate, metrics, notify, query, rule
from gureum.services.cloudwatch.settings import CloudWatchSettings

if TYPE_CHECKING:
    from gureum.app import App
    from gureum.store import Txn

log = logging.getLogger(__name__)


def metric_points(txn: Txn, account: str, region: str, alarm: dict[str, Any], now: float) -> list[tuple[float, float | None]]:
    """The values of `alarm`'s evaluation range, oldest first (None: no data): the last
    EvaluationPeriods periods, the current one only if it has data."""
    n = int(alarm["EvaluationPeriods"])
    period = int(alarm.get("Period") or evaluate._metric_period(alarm))
    starts = evaluate.window(period, n + 1, now)
    lo, hi = starts[0], starts[-1] + period
    if alarm.get("MetricName"):
        stat = alarm.get("Statistic") or alarm.get("ExtendedStatistic") or "Average"
        series = query.metric_series(txn, account, region, alarm, period, lo, hi, alarm.get("Unit"), stat)
    else:
        results = query.run_queries(txn, account, region, alarm["Metrics"], lo, hi)
        wanted = next((q["Id"] for q in alarm["Metrics"] if q.get("ReturnData", True)), None)
        series = results.get(wanted or "", ({}, None))[0]
    points: list[tuple[float, float | None]] = [(t, series.get(t)) for t in starts]
    return points[1:] if points[-1][1] is not None else points[:-1]


Change = tuple[str, str, str, str, str, str, str | None]


def decide_all(txn: Txn, now: float, mine: Any) -> list[Change]:
    """Every state change due, as (account, region, name, expected state, new state, reason, data)."""
    out: list[Change] = []
    docs = [(k, d) for k, d in txn.scan(alarms.ALARMS) if mine(k)]
    states: dict[str, str] = {k: d["StateValue"] for k, d in txn.scan(alarms.ALARMS)}
    for k, d in docs:
        if d["kind"] != "metric":
            continue
        account, region, name = k.split("/", 2)
        try:
            pts = metric_points(txn, account, region, d, now)
        except Exception as e:  # noqa: BLE001 - a broken expression leaves the alarm as it is
            log.debug("alarm %s: %s", k, e)
            continue
        dec = evaluate.decide(d, pts, now, d["StateValue"])
        if dec.state != d["StateValue"]:
            out.append((account, region, name, d["StateValue"], dec.state, dec.reason, dec.reason_data))
            states[k] = dec.state
    for k, d in docs:
        if d["kind"] != "composite":
            continue
        account, region, name = k.split("/", 2)

        def state_of(ref: str, account: str = account, region: str = region) -> str | None:
            return states.get(alarms.key(account, region, ref.rsplit(":alarm:", 1)[-1]))

        holds = rule.evaluate(rule.parse(d["AlarmRule"]), state_of)
        new = "ALARM" if holds else "OK"
        if new != d["StateValue"]:
            reason = _composite_reason(account, region, rule.parse(d["AlarmRule"]), state_of, now)
            out.append((account, region, name, d["StateValue"], new, reason, None))
    return out


def _composite_reason(account: str, region: str, parsed: rule.Rule, state_of: Any, now: float) -> str:
    """AWS's wording: the child alarm whose state the rule now follows, and when."""
    refs = sorted(rule.names(parsed))
    child = refs[0].rsplit(":alarm:", 1)[-1] if refs else ""
    when = datetime.fromtimestamp(now, UTC).strftime("%A %d %B, %Y %H:%M:%S UTC")
    return f"{arns.cloudwatch_alarm(region, account, child)} transitioned to {state_of(child)} at {when}"


async def run_once(app: App, mine: Any = lambda _k: True) -> int:
    now = time.time()
    due = await app.store.read(lambda t: decide_all(t, now, mine))
    for account, region, name, expect, state, reason, data in due:
        note = await app.store.run(functools.partial(alarms.transition, account=account, region=region, name=name,
                                                     state=state, reason=reason, reason_data=data, now=now,
                                                     expect=expect))
        if note:
            await announce(app, note)
    return len(due)


async def announce(app: App, note: dict[str, Any]) -> None:
    """Deliver a state change to its actions (failures are logged: AWS records them in the
    alarm history and goes on)."""
    if not note["actions"]:
        return
    text = notify.message(note)
    src = Source(subject=notify.subject(note["alarm"], note["region"]))
    for arn in note["actions"]:
        try:
            await deliver(app, arn, text, source=src)
        except Exception as e:  # noqa: BLE001 - an action target may be gone
            log.warning("alarm %s: action %s failed: %s", note["alarm"]["AlarmName"], arn, e)


async def run(app: App) -> None:
    settings = app.settings(CloudWatchSettings)

    async def evaluate_job() -> None:
        await run_once(app, await _mine_fn(app))

    async def sweep_job() -> None:
        now = time.time()
        await app.store.run(lambda t: metrics.sweep(t, now))
        await app.store.run(lambda t: alarms.sweep_history(t, now))

    app.every(settings.evaluate_interval, evaluate_job, name="cloudwatch-alarms", first=settings.evaluate_interval)
    app.every(settings.sweep_interval, sweep_job, name="cloudwatch-sweep")
    app.set_status("cloudwatch", "running")


async def _mine_fn(app: App) -> Any:
    """Which alarms this node evaluates: all on a store of its own; with a shared store, those
    whose key hashes to this node among the nodes the roster reports up."""
    if not app.store.shared:
        return lambda _k: True
    from gureum import roster
    from gureum.node_settings import RosterSettings

    timeout = roster.timeout_of(app.settings(RosterSettings))
    now = time.time()
    rows = await app.store.read(lambda t: roster.view(t, now, timeout))
    nodes = sorted({r["node"] for r in rows if r["state"] == "up"} | {app.node_id})
    me = nodes.index(app.node_id)
    return lambda k: zlib.crc32(k.encode()) % len(nodes) == me
